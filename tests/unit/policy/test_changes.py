"""service/policy/changes.py: a change set is checked whole, on every date it meets, and published in
one transaction, or not at all."""
from __future__ import annotations

import copy
from datetime import date, timedelta

import pytest
import yaml

from service.policy import changes
from service.policy.store import PayerSettings, StoreConflict
from service.tables.errors import PolicyError
from tests.conftest import TABLES
from tests.unit.policy.conftest import ANN, BOB


def table(path: str) -> dict:
    return yaml.safe_load((TABLES / path).read_text())


PRIOR = table("payers/acme-health/prior_authorization.yaml")
TODAY = date(2026, 11, 24)


def doc(document: dict, payer: str = "acme-health") -> dict:
    return changes.read_documents(payer, [document])[0]


def threshold(n: int) -> dict:
    changed = copy.deepcopy(PRIOR)
    changed["rules"][0]["when"]["visits_this_year"] = f"> {n}"
    return changed


def suite(visits: int, required: bool, name: str = "acme_prior_auth") -> dict:
    facts = {"payer_id": "acme-health", "service": {"purpose": "pain", "minutes": {"97124": 30}},
             "practitioner": {"credential": "LMT", "license_active": True}, "clinical": {"visits_this_year": visits}}
    return {"tests": name, "cases": [{"name": f"visit {visits}", "facts": facts,
                                      "expect": {"insurance": {"prior_authorization_required": required}}}]}


def test_a_table_and_its_test_publish_together_in_one_generation(store):
    outcome = changes.publish(store, [doc(threshold(8)), doc(suite(8, False))], TODAY, "raise it", ANN)
    assert [(v.kind, v.name, v.version) for v in outcome.stored] == [("table", "prior_authorization", 2),
                                                                     ("tests", "acme_prior_auth", 1)]
    assert {v.generation for v in outcome.stored} == {outcome.generation == store.generation() and outcome.generation}
    assert "rows changed: A1" in store.audit("acme-health")[1]["summary"]


def test_a_change_whose_own_test_fails_stores_nothing(store):
    before = len(store.all_versions())
    with pytest.raises(PolicyError) as caught:
        changes.publish(store, [doc(threshold(8)), doc(suite(8, True))], TODAY, "", ANN)
    assert "table test fails" in str(caught.value) and "visit 8" in str(caught.value)
    assert "/" not in str(caught.value).split("acme-health/")[0]          # no server path, only owner/name@version
    assert len(store.all_versions()) == before


def test_dated_tests_run_on_their_date_so_a_dated_change_does_not_trip_them(store):
    later = TODAY + timedelta(days=60)
    # the shipped acme tests say "past visit 6" on 2026-11-20; a change from a later date does not touch that day
    outcome = changes.publish(store, [doc(threshold(8)), doc(suite(8, False))], later, "", ANN)
    assert outcome.stored and outcome.stored[0].effective_from == later
    # and another table published afterwards is not jammed by either
    assert changes.publish(store, [doc(table("base/line_modifiers.yaml") | {"title": "Modifiers"})], TODAY, "", ANN).stored


def test_a_change_equal_to_what_is_in_force_stores_nothing(store):
    generation = store.generation()
    outcome = changes.publish(store, [doc(PRIOR)], TODAY, "", ANN)
    assert outcome.stored == [] and [v.label for v in outcome.unchanged] == ["acme-health@1"]
    assert store.generation() == generation


def test_a_change_is_checked_on_every_later_date_another_version_takes_over(store):
    later = TODAY + timedelta(days=30)
    changes.publish(store, [doc(suite(7, True, "seven"))], later, "", ANN)    # true from `later` on
    with pytest.raises(PolicyError) as caught:
        changes.publish(store, [doc(threshold(8))], TODAY, "", ANN)
    assert "seven" in str(caught.value)


def cycle_halves():
    care = table("base/care_stage.yaml")
    care["inputs"]["licensed"] = {"from": "license.licensed", "type": "boolean"}
    license_ = table("base/license.yaml")
    license_["inputs"]["past"] = {"from": "care_stage.past_reassessment", "type": "boolean"}
    return doc(care), doc(license_)


def test_two_changes_checked_against_the_same_policy_cannot_both_land(store):
    first, second = cycle_halves()
    generation = store.generation()
    for half in (first, second):      # each alone is a valid policy
        assert changes.check(changes.candidate(store.all_versions(), [half], TODAY, generation)) == []
    changes.publish(store, [first], TODAY, "", ANN)
    stale = changes.candidate(store.all_versions(), [second], TODAY, generation)
    entries = [{"payer_id": v.payer_id, "kind": v.kind, "name": v.name, "document": v.document,
                "effective_from": TODAY} for v in stale.new]
    with pytest.raises(StoreConflict):                   # the compare-and-swap refuses the stale check
        store.publish(entries, BOB, "publish", expect_generation=generation)
    with pytest.raises(PolicyError) as caught:          # checked again, together with the first: a cycle
        changes.publish(store, [second], TODAY, "", BOB)
    assert "cycle" in str(caught.value)


def test_a_base_change_is_checked_for_every_payer(store):
    units = table("base/units.yaml")
    units["rules"] = [r for r in units["rules"] if r["id"] != "U1"]       # a gap for every payer
    with pytest.raises(PolicyError) as caught:
        changes.publish(store, [doc(units, "base")], TODAY, "", ANN)
    text = str(caught.value)
    assert all(f"for payer {p}" in text for p in ("default", "acme-health", "medicare-example"))


def test_a_payer_that_declares_facts_passes_every_check(store):
    """The generated corpus sends acme's declared facts (a date too, at every boundary of its derived
    age), so its shipped declaration, and a change that declares a date a table reads, are checked whole."""
    shipped = table("payers/acme-health/extensions.yaml")
    assert changes.check(changes.candidate(store.all_versions(), [doc(dict(shipped, title="Acme's own"))], TODAY,
                                           store.generation())) == []
    declared = copy.deepcopy(shipped)
    declared["declare"]["birth_date"] = {"type": "date", "derived": ["age_on_service_date"]}
    prior = copy.deepcopy(PRIOR)
    prior["inputs"]["age"] = {"from": "extensions.birth_date.age_on_service_date", "type": "number"}
    prior["rules"].insert(2, {"id": "A4", "annotation": "From age 90 on, always",
                              "when": {"age": ">= 90"}, "then": {"required": True}})
    c = changes.candidate(store.all_versions(), [doc(declared), doc(prior)], TODAY, store.generation())
    assert [v.kind for v in c.new] == ["facts", "table"]
    assert changes.check(c) == []
    without = changes.candidate(store.all_versions(), [doc(prior)], TODAY, store.generation())
    assert "`extensions.birth_date.age_on_service_date` is not a fact the policy declares" in str(changes.check(without))


def test_four_eyes_needs_a_proposal_and_another_approver(store):
    store.set_settings(PayerSettings("acme-health", True), ANN)
    change = changes.draft(store, "acme-health", [doc(threshold(8))], TODAY, "", ANN)
    with pytest.raises(changes.ChangeRefused):
        changes.approve(store, change, BOB, PayerSettings("acme-health", True))       # not proposed yet
    with pytest.raises(changes.ChangeRefused):
        changes.propose(store, change, BOB)                                            # only its author
    change = changes.propose(store, change, ANN)
    with pytest.raises(changes.ChangeRefused):
        changes.approve(store, change, ANN, PayerSettings("acme-health", True))       # not its author
    outcome = changes.approve(store, change, BOB, PayerSettings("acme-health", True))
    assert outcome.stored and store.change(change.id).status == "published"
    assert store.change(change.id).decided_by_owner == "bob"
    assert [e["action"] for e in store.audit("acme-health")[:4]] == ["approve", "propose", "draft", "settings"]


def test_base_changes_always_need_four_eyes():
    assert changes.four_eyes("base", PayerSettings("base", False))
    assert not changes.four_eyes("acme-health", PayerSettings("acme-health", False))


def test_a_change_drafted_on_a_version_that_moved_must_be_rebased(store):
    change = changes.propose(store, changes.draft(store, "acme-health", [doc(threshold(8))], TODAY, "", ANN), ANN)
    changes.publish(store, [doc(threshold(7))], TODAY, "", BOB)
    with pytest.raises(changes.ChangeRefused) as caught:
        changes.approve(store, change, BOB, PayerSettings("acme-health"))
    assert "rebase" in str(caught.value) and caught.value.status == 409


def test_dry_run_gives_field_before_and_after_for_each_payer_a_base_change_moves(store):
    from service.policy.assembly import engine_on
    versions = store.all_versions()
    modifiers = table("base/line_modifiers.yaml")
    modifiers["rules"][0]["when"]["credential"] = '"PT", "PTA", "LMT"'
    case = {"service": {"purpose": "pain", "minutes": {"97124": 30}},
            "practitioner": {"credential": "LMT", "license_active": True}}
    results = changes.dry_run(versions, [doc(modifiers, "base")], TODAY, store.generation(), [case],
                              lambda payer, on: engine_on(versions, payer, on))
    moved = {r["payer_id"]: r["differences"] for r in results}
    assert moved["default"] == [{"field": "billing.insurance.lines", "before": [{"cpt": "97124", "units": 2, "modifiers": []}],
                                 "after": [{"cpt": "97124", "units": 2, "modifiers": ["GP"]}]}]
    assert moved["medicare-example"] == []       # medicare has its own line_modifiers


def test_dry_run_of_a_declaration_shows_the_live_policy_refusing_the_new_fact(store):
    from service.policy.assembly import engine_on
    versions = store.all_versions()
    declared = table("payers/acme-health/extensions.yaml")
    declared["declare"]["vip"] = {"type": "boolean"}
    case = {"service": {"purpose": "pain", "minutes": {"97124": 30}}, "extensions": {"vip": True},
            "practitioner": {"credential": "LMT", "license_active": True}}
    (result,) = changes.dry_run(versions, [doc(declared)], TODAY, store.generation(), [case],
                                lambda payer, on: engine_on(versions, payer, on))
    assert result["live"] == {"errors": [{"field": "extensions.vip", "message": "Unknown field."}]}
    assert result["draft"]["payer_id"] == "acme-health"
