"""Payers' overlays in a store: what is in force is base's table in force with the overlay applied;
a base change reaches every payer that extends it, and is refused if it breaks one."""
from __future__ import annotations

import copy
import json
from datetime import date

import pytest
import yaml

from service.case_schema import load_case
from service.policy import changes
from service.policy.assembly import engine_on
from service.policy.registry import PolicyRegistry
from service.tables.errors import PolicyError
from tests.conftest import ROOT, TABLES
from tests.unit.policy.conftest import ANN

TODAY = date(2026, 11, 24)
PAYERS = ("acme-health", "medicare-example")
ELIGIBILITY = yaml.safe_load((TABLES / "base" / "insurance_eligibility.yaml").read_text())
CASE = json.loads((ROOT / "examples" / "contract-case.json").read_text())
CASE["practitioner"]["credential"] = "PT"          # a performer every shipped payer pays


def doc(document: dict, payer: str) -> dict:
    return changes.read_documents(payer, [document])[0]


def decide(versions, payer: str, **clinical) -> dict:
    case = copy.deepcopy(CASE) | {"payer_id": payer, "date_of_service": TODAY.isoformat()}
    case["clinical"].update(clinical)
    engine = engine_on(versions, payer, TODAY)
    try:
        return engine.decide(load_case(case), TODAY)
    finally:
        engine.runtime.close()


def base_with_plan_of_care_limit() -> dict:
    """Base adds a row (and the input it reads): no more than 40 visits in one plan of care."""
    table = copy.deepcopy(ELIGIBILITY)
    table["inputs"]["visit_number"] = {"from": "clinical.visit_number", "type": "number"}
    table["rules"].append({"id": "E6", "annotation": "Past visit 40 of the plan of care",
                           "when": {"visit_number": "> 40"},
                           "then": {"code": "visit_limit_exceeded", "message": "The plan of care's visits are used up"}})
    return table


def test_decisions_name_both_versions_and_base_rows_keep_their_ids(store):
    decision = decide(store.all_versions(), "acme-health", visits_this_year=17)
    assert decision["policy"]["tables"]["insurance_eligibility"] == "base@1 + acme-health@1"
    assert decision["policy"]["tables"]["classification"] == "base@1"
    [fired] = [e for e in decision["trace"] if e["table"] == "insurance_eligibility"]
    assert (fired["rule"], fired["version"]) == ("E5", "base@1 + acme-health@1")    # acme's E5: 16, not 20
    assert [r["code"] for r in decision["billing"]["insurance"]["reasons"]] == ["visit_limit_exceeded"]
    assert decide(store.all_versions(), "medicare-example", visits_this_year=40)["billing"]["insurance"]["eligible"]


def test_a_base_change_that_adds_a_row_reaches_every_payer_that_extends_the_table(store):
    assert all(decide(store.all_versions(), p, visit_number=41)["billing"]["insurance"]["eligible"] for p in PAYERS)
    changes.publish(store, [doc(base_with_plan_of_care_limit(), "base")], TODAY, "plan-of-care limit", ANN)
    for payer in PAYERS:
        decision = decide(store.all_versions(), payer, visit_number=41)
        assert not decision["billing"]["insurance"]["eligible"]
        assert decision["policy"]["tables"]["insurance_eligibility"] == f"base@2 + {payer}@1"
        assert [e["rule"] for e in decision["trace"] if e["table"] == "insurance_eligibility"] == ["E6"]
    # the acme overlay still lowers E5 on the new base
    assert not decide(store.all_versions(), "acme-health", visits_this_year=17)["billing"]["insurance"]["eligible"]


def test_the_registry_serves_a_base_change_to_a_payers_overlay_at_once(store):
    registry = PolicyRegistry(store, poll_seconds=0)
    registry.refresh()

    def label():
        return registry.engine("acme-health", TODAY).policy.tables["insurance_eligibility"].version_label
    assert label() == "base@1 + acme-health@1"
    changes.publish(store, [doc(base_with_plan_of_care_limit(), "base")], TODAY, "", ANN)
    registry.refresh()
    assert label() == "base@2 + acme-health@1"


@pytest.mark.parametrize("removed, refusals", [
    ("E5", [("acme-health", "E5", "replaces a row that the base table insurance_eligibility does not have"),
            ("medicare-example", "E5", "removes a row that the base table insurance_eligibility does not have")]),
    ("E4", [("acme-health", "A6", "is placed after row E4, which the base table insurance_eligibility does not have")]),
])
def test_a_base_change_that_removes_a_row_an_overlay_names_is_refused_naming_payer_and_row(store, removed, refusals):
    acme = {"extends": "insurance_eligibility", "rows": {
        "replace": [{"id": "E5", "when": {"visits_this_year": "> 16"}, "then": {"code": "visit_limit_exceeded", "message": "Used up"}}],
        "add": [{"id": "A6", "after": "E4", "when": {"visit_number": "> 40"},
                 "then": {"code": "visit_limit_exceeded", "message": "The plan of care's visits are used up"}}]},
        "inputs": {"visit_number": {"from": "clinical.visit_number", "type": "number"}}}
    changes.publish(store, [doc(acme, "acme-health")], TODAY, "acme places a row after E4", ANN)
    base = copy.deepcopy(ELIGIBILITY)
    base["rules"] = [r for r in base["rules"] if r["id"] != removed]
    before = len(store.all_versions())
    with pytest.raises(PolicyError) as caught:
        changes.publish(store, [doc(base, "base")], TODAY, "", ANN)
    located = [(p.message.split(": ")[0], p.row, p.message.split(": ")[-1], p.file) for p in caught.value.problems
               if p.table == "insurance_eligibility" and p.row]
    assert [found[:3] for found in located] == [(f"for payer {payer}", row, message) for payer, row, message in refusals]
    assert all(file.startswith(payer) for (payer, _, _), (*_, file) in zip(refusals, located, strict=True))
    assert len(store.all_versions()) == before


def test_the_dry_run_of_a_base_change_shows_each_payers_differences(store):
    versions = store.all_versions()
    case = copy.deepcopy(CASE)
    case["clinical"]["visit_number"] = 41
    results = changes.dry_run(versions, [doc(base_with_plan_of_care_limit(), "base")], TODAY, store.generation(),
                              [case], lambda payer, on: engine_on(versions, payer, on))
    moved = {r["payer_id"]: {d["field"]: d["after"] for d in r["differences"]} for r in results}
    assert set(moved) == {"default", *PAYERS}
    assert all(moved[p]["billing.insurance.eligible"] is False for p in moved)


def test_a_payer_publishes_its_overlay_and_reviewers_see_rows_not_a_patch(store):
    acme = yaml.safe_load((TABLES / "payers" / "acme-health" / "insurance_eligibility.yaml").read_text())
    acme["rows"]["replace"][0]["when"]["visits_this_year"] = "> 18"
    change = changes.draft(store, "acme-health", [doc(acme, "acme-health")], TODAY, "18 visits", ANN)
    [diff] = changes.diff_against_policy(store.all_versions(), change)
    assert [c["id"] for c in diff["diff"]["changed"]] == ["E5"] and not diff["diff"]["added"] + diff["diff"]["removed"]
    outcome = changes.publish(store, changes.documents_of(change), TODAY, "18 visits", ANN)
    assert [v.label for v in outcome.stored] == ["acme-health@2"]
    assert store.audit("acme-health")[0]["summary"].endswith("rows changed: E5")
    assert decide(store.all_versions(), "acme-health", visits_this_year=18)["billing"]["insurance"]["eligible"]
    assert decide(store.all_versions(), "acme-health")["policy"]["tables"]["insurance_eligibility"] \
        == "base@1 + acme-health@2"


def test_a_malformed_overlay_is_refused_when_drafted_naming_document_row_and_column():
    bad = {"extends": "insurance_eligibility", "rows": {"add": [{"id": "X", "when": {"visits_this_year": "> >"},
                                                                 "then": {"code": "c", "message": "m"}}]}}
    with pytest.raises(PolicyError) as caught:
        changes.read_documents("acme-health", [bad])
    assert [(p.file, p.table, p.row, p.column) for p in caught.value.problems] == [
        ("document #1", "insurance_eligibility", "X", "visits_this_year")]


def test_an_overlay_of_a_table_base_does_not_have_is_refused(store):
    with pytest.raises(PolicyError, match="for payer acme-health: .*the base policy does not have"):
        changes.publish(store, [doc({"extends": "acme_only", "rows": {}}, "acme-health")], TODAY, "", ANN)
