"""Facts of a payer's own: the declaration document, a case's extensions checked against it, tables
reading them, and the generated corpus trying them."""
from __future__ import annotations

from datetime import date

import pytest

from service.case_facts import derive
from service.case_schema import CaseInvalid, load_case
from service.declared_facts import describe, extensions_schema, facts_from_document, with_extensions
from service.engine.policy_engine import PolicyEngine
from service.policy import checks
from service.tables.errors import LoadError, ValidationError
from service.tables.loader import table_from_document
from service.tables.validate import build_policy
from tests.unit.tables import doc

D = date.fromisoformat
DECLARATION = {"facts": "member", "declare": {
    "plan_tier": {"type": "string", "values": ["bronze", "silver", "gold"], "default": "bronze"},
    "birth_date": {"type": "date", "derived": ["age_on_service_date", "days_before_service"], "required": True},
    "copay": {"type": "number", "default": 20},
    "vip": {"type": "boolean"},
    "programs": {"type": "list", "values": ["back", "neck"], "default": ["back"]},
}}
FACTS = facts_from_document(DECLARATION, "member.yaml")
CASE = {"date_of_service": "2026-11-20", "service": {"purpose": "pain", "minutes": {"97124": 30}},
        "practitioner": {"credential": "LMT", "license_active": True}}


@pytest.mark.parametrize("spec, message", [
    ({"type": "text"}, "`type` must be one of"),
    ({"type": "number", "values": ["1"]}, "`values` applies to string and list facts"),
    ({"type": "string", "values": ["a", "a"]}, "distinct text values"),
    ({"type": "string", "values": ["a"], "default": "b"}, "`default`: Must be one of: a."),
    ({"type": "string", "required": True, "default": "a"}, "a required fact has no `default`"),
    ({"type": "string", "derived": ["age_on_service_date"]}, "`derived` applies to date facts"),
    ({"type": "date", "derived": ["age_in_dog_years"]}, "`derived` must list forms among"),
    ({"type": "date", "default": date(2026, 1, 1)}, "a date is text"),      # YAML's unquoted date
    ({"type": "number", "default": "3"}, "`default`: Not a valid number."),
    ({"type": "string", "colour": "red"}, "unknown keys ['colour']"),
])
def test_a_bad_declaration_names_the_fact_and_the_problem(spec, message):
    with pytest.raises(LoadError) as caught:
        facts_from_document({"facts": "member", "declare": {"plan_tier": spec}}, "member.yaml")
    assert any(message in p.message and p.message.startswith("fact plan_tier:") for p in caught.value.problems), \
        [str(p) for p in caught.value.problems]


def test_a_declaration_document_needs_a_name_and_facts():
    with pytest.raises(LoadError) as caught:
        facts_from_document({"facts": "Member", "declare": {}, "extra": 1}, "member.yaml")
    assert len(caught.value.problems) == 3


def test_a_date_default_is_a_day():
    (fact,) = facts_from_document({"facts": "m", "declare": {"since": {"type": "date", "default": "2020-01-31"}}}, "m")
    assert fact.default == date(2020, 1, 31)


def extended(extensions: dict) -> dict:
    return with_extensions(load_case(dict(CASE, extensions=extensions)), FACTS)["extensions"]


def test_extensions_are_typed_and_defaulted():
    assert extended({"birth_date": "1960-11-21", "programs": ["neck"]}) == {
        "birth_date": date(1960, 11, 21), "programs": ["neck"], "plan_tier": "bronze", "copay": 20}


@pytest.mark.parametrize("extensions, errors", [
    ({}, {"extensions.birth_date": "Missing data for required field."}),
    ({"birth_date": "1960-11-21", "plan_tier": "diamond"},
     {"extensions.plan_tier": "Must be one of: bronze, silver, gold."}),
    ({"birth_date": "1960-11-21", "copay": True}, {"extensions.copay": "Not a valid number."}),
    ({"birth_date": "1960-11-21", "vip": "yes"}, {"extensions.vip": "Not a valid boolean."}),
    ({"birth_date": "1960-11-21", "programs": ["hip"]}, {"extensions.programs[0]": "Must be one of: back, neck."}),
    ({"birth_date": "11/21/1960", "shoe_size": 9}, {"extensions.birth_date": "Not a valid date.",
                                                     "extensions.shoe_size": "Unknown field."}),
])
def test_wrong_extensions_are_named_never_repeated(extensions, errors):
    with pytest.raises(CaseInvalid) as caught:
        extended(extensions)
    assert {e["field"]: e["message"] for e in caught.value.errors} == errors


def test_without_declarations_any_extension_is_unknown_and_none_is_fine():
    assert with_extensions(load_case(CASE), ()) == load_case(CASE)
    with pytest.raises(CaseInvalid, match="extensions.plan_tier: Unknown field."):
        with_extensions(load_case(dict(CASE, extensions={"plan_tier": "gold"})), ())


def test_derived_forms_of_a_declared_date():
    case = with_extensions(load_case(dict(CASE, extensions={"birth_date": "1960-11-21"})), FACTS)
    values = derive(case, None, FACTS).values
    assert values["extensions.birth_date"] == date(1960, 11, 21)
    assert values["extensions.birth_date.age_on_service_date"] == 65
    assert values["extensions.birth_date.days_before_service"] == (date(2026, 11, 20) - date(1960, 11, 21)).days
    assert values["extensions.plan_tier"] == "bronze" and values["extensions.programs"] == ("back",)
    assert values["extensions.vip"] is None
    future = with_extensions(load_case(dict(CASE, extensions={"birth_date": "2027-01-01"})), FACTS)
    assert derive(future, None, FACTS).values["extensions.birth_date.age_on_service_date"] == -1


def tier_table(**inputs):
    return doc(table="tier", hit_policy="FIRST", inputs=inputs or {
        "tier": {"from": "extensions.plan_tier", "type": "string", "values": ["bronze", "silver", "gold"]},
        "age": {"from": "extensions.birth_date.age_on_service_date", "type": "number"},
        "born": {"from": "extensions.birth_date", "type": "date"},
        "programs": {"from": "extensions.programs", "type": "list"},
        "copay": {"from": "extensions.copay", "type": "number"},
        "vip": {"from": "extensions.vip", "type": "boolean"}},
        outputs={"o": {"type": "string"}}, default={"o": "none"},
        rules=[{"id": "R1", "when": {"tier": '"gold"', "age": ">= 65"}, "then": {"o": "gold senior"}},
               {"id": "R2", "when": {"born": '< date("1950-01-01")'}, "then": {"o": "born before 1950"}},
               {"id": "R3", "when": {"programs": '"neck"', "copay": "> 10", "vip": True}, "then": {"o": "vip"}}])


def policy(*docs, facts=FACTS):
    return build_policy("p", [table_from_document(d, f"{d['table']}.yaml") for d in docs], [], True, facts)


def test_tables_read_declared_facts_with_their_types():
    assert policy(tier_table()).facts == FACTS


@pytest.mark.parametrize("inputs, message", [
    ({"x": {"from": "extensions.shoe_size", "type": "number"}}, "`extensions.shoe_size` is not a fact the policy"),
    ({"x": {"from": "extensions.plan_tier", "type": "string", "values": ["gold"]}}, "it lacks ['bronze', 'silver']"),
    ({"x": {"from": "extensions.copay", "type": "string"}}, "declared string but extensions.copay gives number"),
    ({"x": {"from": "extensions.vip.age_on_service_date", "type": "number"}}, "is not a fact the policy declares"),
])
def test_declared_facts_are_checked_like_contract_facts(inputs, message):
    table = doc(table="t", hit_policy="FIRST", inputs=inputs, outputs={"o": {"type": "string"}},
                rules=[{"id": "R1", "when": {}, "then": {"o": "a"}}], default=None)
    with pytest.raises(ValidationError, match=message.replace("[", r"\[").replace("]", r"\]")):
        policy(table)


def test_a_fact_declared_twice_and_a_table_named_extensions_are_refused():
    again = facts_from_document({"facts": "more", "declare": {"vip": {"type": "boolean"}}}, "more.yaml")
    with pytest.raises(ValidationError, match="fact 'vip' is declared twice"):
        policy(facts=FACTS + again)
    with pytest.raises(ValidationError, match="named like a case-fact root"):
        policy(doc(tier_table(), table="extensions"))


def test_integrators_are_told_what_to_send():
    schema = extensions_schema(FACTS)
    assert schema["required"] == ["birth_date"] and schema["additionalProperties"] is False
    assert schema["properties"]["birth_date"] == {"type": "string", "format": "date"}
    assert schema["properties"]["programs"]["items"]["enum"] == ["back", "neck"]
    assert schema["properties"]["programs"]["default"] == ["back"]
    assert describe(FACTS[1])["from"] == ["extensions.birth_date", "extensions.birth_date.age_on_service_date",
                                          "extensions.birth_date.days_before_service"]


def test_the_generated_corpus_tries_declared_facts_and_decides_them():
    from tests.conftest import TABLES
    from service.policy.assembly import folder_policy
    base = folder_policy(TABLES, "default")
    candidate = build_policy("p", list(base.tables.values()) + [table_from_document(tier_table(), "tier.yaml")],
                             list(base.value_sets.values()), True, FACTS)
    on = date(2026, 11, 20)
    cases = checks.generated_corpus(candidate, on=on).cases
    born = {c["extensions"]["birth_date"] for c in cases}
    assert {"1962-11-20", "1961-11-20", "1960-11-20", "1949-12-31", "1950-01-01", "2026-11-21"} <= born
    assert {c["extensions"].get("plan_tier") for c in cases} == {None, "bronze", "silver", "gold"}
    assert {(c["extensions"].get("vip"), tuple(c["extensions"].get("programs", ["-"]))) for c in cases} >= {
        (True, ("neck",)), (False, ())}
    engine = PolicyEngine.build(candidate)
    try:
        assert checks.check_decisions(engine, cases, on) == []
        outputs = {engine.answer(load_case(c), on)[1].output("tier")["o"] for c in cases}
        assert outputs == {"gold senior", "born before 1950", "vip", "none"}
    finally:
        engine.runtime.close()
