"""The validator: references, types, allowed values, ids, value sets, cycles, overlaps, unreachable rows, gaps."""
from __future__ import annotations

import pytest

from service.tables.errors import ValidationError
from service.tables.model import MatchKind, ValueSet
from tests.unit.tables import LICENSE, doc, policy_of

DX = ValueSet("dx", "", MatchKind.PREFIX, frozenset({"M54"}))


def problems(*docs, value_sets=()):
    with pytest.raises(ValidationError) as info:
        policy_of(*docs, value_sets=value_sets)
    return info.value.problems


def one(found, needle):
    match = [p for p in found if needle in p.message]
    assert match, [str(p) for p in found]
    return match[0]


def rules(*rows):
    return [{"id": f"R{i}", "when": when, "then": then} for i, (when, then) in enumerate(rows, 1)]


def test_the_base_document_is_valid():
    policy = policy_of(LICENSE)
    assert policy.order == ("lic",)


@pytest.mark.parametrize("change, needle, row, column", [
    ({"inputs": {"x": {"from": "clinical.nope", "type": "string"}}}, "unknown input source", None, "x"),
    ({"inputs": {"x": {"from": "clinical.visit_number", "type": "string"}}}, "declared string but", None, "x"),
    ({"inputs": {"x": {"from": "clinical.visit_number", "type": "number", "transform": "count"}}}, "needs a list source", None, "x"),
    ({"inputs": {"x": {"from": "item.cpt", "type": "string"}}}, "reads an item but the table has no `each`", None, "x"),
    ({"rules": rules(({"nope": "1"}, {"licensed": True}))}, "unknown input 'nope'", "R1", "nope"),
    ({"rules": rules(({}, {"nope": True, "licensed": True}))}, "unknown output 'nope'", "R1", "nope"),
    ({"rules": rules(({}, {}))}, "every row gives every output", "R1", "licensed"),
    ({"rules": rules(({"cred": "< 3"}, {"licensed": True}))}, "need a number or date column", "R1", "cred"),
    ({"rules": rules(({"cred": "3"}, {"licensed": True}))}, "does not fit a string column", "R1", "cred"),
    ({"rules": rules(({"active": '"yes"'}, {"licensed": True}))}, "does not fit a boolean column", "R1", "active"),
    ({"rules": rules(({"cred": "in nowhere"}, {"licensed": True}))}, "unknown value set 'nowhere'", "R1", "cred"),
    ({"rules": rules(({}, {"licensed": "yes"}))}, "does not fit output type boolean", "R1", "licensed"),
    ({"rules": rules(({"cred": '"a"'}, {"licensed": True}), ({"cred": '"b"'}, {"licensed": True})) + [
        {"id": "R1", "when": {}, "then": {"licensed": True}}]}, "duplicate row id", "R1", None),
    ({"default": {"licensed": 3}}, "does not fit output type", "default", "licensed"),
    ({"each": "service.nothing"}, "is not a case collection", None, None),
    ({"aggregation": "sum"}, "an aggregation needs hit_policy COLLECT", None, None),
])
def test_each_problem_is_located(change, needle, row, column):
    found = one(problems(doc(**change)), needle)
    assert (found.file, found.table, found.row, found.column) == ("lic.yaml", "lic", row, column)


def test_output_value_not_allowed():
    table = doc(outputs={"c": {"type": "string", "allowed": ["x", "y"]}},
                rules=rules(({}, {"c": "z"})), default={"c": "x"})
    found = one(problems(table), "not an allowed value")
    assert (found.row, found.column) == ("R1", "c")


def test_literal_outside_an_inputs_values():
    table = doc(inputs={"cred": {"from": "practitioner.credential", "type": "string", "values": ["LMT", "PT"]}},
                rules=rules(({"cred": '"RN"'}, {"licensed": True})))
    assert one(problems(table), "is not one of the input's values").column == "cred"


def test_reading_another_tables_output_and_cycles():
    a = doc(table="a", inputs={"x": {"from": "b.licensed", "type": "boolean"}}, rules=rules(({"x": True}, {"licensed": True})))
    b = doc(table="b", inputs={"x": {"from": "a.licensed", "type": "boolean"}}, rules=rules(({"x": True}, {"licensed": True})))
    found = one(problems(a, b), "in a cycle")
    assert "a -> b -> a" in found.message or "b -> a -> b" in found.message


def test_a_chain_is_ordered_by_dependency():
    a = doc(table="a")
    b = doc(table="b", inputs={"x": {"from": "a.licensed", "type": "boolean"}}, rules=rules(({"x": True}, {"licensed": True})))
    policy = policy_of(b, a)
    assert policy.order == ("a", "b") and policy.upstream("b") == ("a",) and policy.readers("a") == ("b",)


def test_unknown_output_of_another_table():
    b = doc(table="b", inputs={"x": {"from": "lic.nope", "type": "boolean"}}, rules=rules(({}, {"licensed": True})))
    assert one(problems(LICENSE, b), "table lic has no output 'nope'").column == "x"


def test_unique_overlaps_are_found_with_an_example():
    table = doc(hit_policy="UNIQUE", inputs={"n": {"from": "clinical.visit_number", "type": "number"}},
                rules=rules(({"n": "<= 6"}, {"licensed": True}), ({"n": ">= 6"}, {"licensed": False})))
    found = one(problems(table), "overlap under UNIQUE")
    assert "R1 and R2" in found.message and "n=6" in found.message


def test_any_allows_overlaps_with_equal_outputs_only():
    same = doc(hit_policy="ANY", inputs={"n": {"from": "clinical.visit_number", "type": "number"}},
               rules=rules(({"n": "<= 6"}, {"licensed": True}), ({"n": ">= 6"}, {"licensed": True})))
    policy_of(same)
    different = doc(same, rules=rules(({"n": "<= 6"}, {"licensed": True}), ({"n": ">= 6"}, {"licensed": False})))
    one(problems(different), "overlap with different outputs")


def test_first_rows_that_can_never_fire():
    table = doc(rules=rules(({"active": True}, {"licensed": True}), ({"active": False}, {"licensed": False}),
                            ({"cred": '"PT"'}, {"licensed": True})))
    found = one(problems(table), "can never fire under FIRST")
    assert found.row == "R3"


def test_gaps_without_a_default_are_found_with_an_example():
    table = doc(hit_policy="UNIQUE", default=None, inputs={"n": {"from": "clinical.visit_number", "type": "number"}},
                rules=rules(({"n": "< 6"}, {"licensed": True}), ({"n": "> 6"}, {"licensed": False})))
    assert "n=6" in one(problems(table), "no row matches some cases").message


def test_gaps_over_value_sets_and_lists():
    table = doc(hit_policy="UNIQUE", default=None, inputs={"dx": {"from": "clinical.diagnosis_codes", "type": "list"}},
                rules=rules(({"dx": "in dx"}, {"licensed": True})))
    one(problems(table, value_sets=[DX]), "no row matches some cases")
    complete = doc(table, rules=rules(({"dx": "in dx"}, {"licensed": True}), ({"dx": "not(in dx)"}, {"licensed": False})))
    policy_of(complete, value_sets=[DX])


def test_collect_tables_need_no_default():
    table = doc(hit_policy="COLLECT", default=None, rules=rules(({"active": True}, {"licensed": True})))
    policy_of(table)


# -- an input's `values` is its whole domain -------------------------------------------------------

CREDENTIALS = ["LMT", "PT", "PTA", "OT", "DC", "MD", "DO", "NP", "PA", "none"]


def with_input(spec, cell='"PT"', **extra):
    return doc(inputs={"x": spec}, rules=rules(({"x": cell}, {"licensed": True})), **extra)


def test_values_listing_the_whole_contract_enum_are_valid():
    policy_of(with_input({"from": "practitioner.credential", "type": "string", "values": CREDENTIALS}))


@pytest.mark.parametrize("path, values, lacks", [
    ("practitioner.credential", ["LMT", "PT"], "'PTA', 'OT', 'DC', 'MD', 'DO', 'NP', 'PA', 'none'"),
    ("service.purpose", ["pain", "PT"], "'relaxation'"),
    ("clinical.prescription.prescriber", ["MD", "PT"], "'DO', 'NP', 'PA', 'DC'"),
    ("payment.method", ["insurance", "PT"], "'hsa', 'fsa', 'self_pay'"),
])
def test_values_must_cover_the_contract_enum(path, values, lacks):
    found = one(problems(with_input({"from": path, "type": "string", "values": values})), "`values` must list every")
    assert lacks in found.message and (found.row, found.column) == (None, "x")


@pytest.mark.parametrize("spec", [
    {"from": "practitioner.license_state", "type": "string", "values": ["PT"]},
    {"from": "payer_id", "type": "string", "values": ["PT"]},
])
def test_values_on_free_text_are_refused(spec):
    assert one(problems(with_input(spec)), "can be any text").column == "x"


def test_values_on_an_item_field_are_refused():
    table = with_input({"from": "item.cpt", "type": "string", "values": ["PT"]}, each="service.lines")
    assert one(problems(table), "item.cpt can be any text").column == "x"


def test_values_on_a_list_input_are_refused():
    table = with_input({"from": "clinical.red_flags", "type": "list", "values": ["PT"]})
    assert one(problems(table), "`values` applies to string inputs").column == "x"


def test_values_must_cover_what_another_table_gives():
    upstream = doc(table="up", outputs={"level": {"type": "string"}}, default={"level": "none"},
                   rules=rules(({"active": True}, {"level": "high"}), ({"active": False}, {"level": ""})))
    def reader(values):
        return doc(table="r", inputs={"x": {"from": "up.level", "type": "string", "values": values}},
                   rules=rules(({"x": '"high"'}, {"licensed": True})))
    assert "it lacks ['none']" in one(problems(upstream, reader(["high"])), "`values` must list every").message
    policy_of(upstream, reader(["high", "none"]))                  # "" (absent) never needs listing
    policy_of(upstream, reader(["high", "none", "low"]))           # more than it gives is harmless


def test_an_inputs_default_must_be_one_of_its_values():
    spec = {"from": "practitioner.credential", "type": "string", "values": CREDENTIALS, "default": "RN"}
    assert one(problems(with_input(spec)), "default 'RN' is not one of the input's values").column == "x"
