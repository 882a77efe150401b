"""The dynamic checks: a generated corpus of contract cases, decided, and every decision held to the contract."""
from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import date
from itertools import combinations

import pytest
import yaml

from service import contract
from service.case_facts import derive
from service.case_schema import CREDENTIALS, METHODS, PRESCRIBERS, PURPOSES, RED_FLAGS, TECHNIQUES, load_case
from service.engine.compile import compile_policy
from service.engine.hit_policy import HitPolicyViolation
from service.engine.policy_engine import PolicyEngine
from service.engine.runtime import EngineError, Runtime
from service.policy.checks import (
    check_decisions,
    contract_violations,
    decision_problems,
    failure_location,
    generated_corpus,
    pairwise,
)
from service.tables.loader import table_from_document
from service.tables.model import MatchKind, ValueSet
from service.tables.validate import build_policy
from tests.conftest import ROOT, TABLES

ON = date(2026, 11, 20)
CASE = json.loads((ROOT / "examples" / "contract-case.json").read_text())


@pytest.fixture(scope="module")
def policy(engines):
    return engines["default"].policy


@pytest.fixture(scope="module")
def corpus(policy):
    return generated_corpus(policy, on=ON)


# -- the corpus ------------------------------------------------------------------------------------

SIZES = [3, 2, 4, 1, 2, 3]


def pairs_of(rows):
    return {(f, row[f], g, row[g]) for row in rows for f, g in combinations(range(len(SIZES)), 2)}


def test_pairwise_holds_every_pair_of_levels_of_two_factors():
    rows, untried = pairwise(SIZES)
    assert (rows, untried) == pairwise(SIZES) and untried == 0
    assert all(len(row) == len(SIZES) and all(0 <= v < s for v, s in zip(row, SIZES)) for row in rows)
    assert pairs_of(rows) == {(f, a, g, b) for f, g in combinations(range(len(SIZES)), 2)
                              for a in range(SIZES[f]) for b in range(SIZES[g])}
    assert len(rows) <= 14      # the two largest factors alone need 12


def test_pairwise_capped_keeps_the_first_rows_and_counts_the_pairs_they_leave():
    rows, _ = pairwise(SIZES)
    first, untried = pairwise(SIZES, 5)
    assert first == rows[:5]
    assert untried == len(pairs_of(rows)) - len(pairs_of(first)) > 0


def test_the_corpus_is_deterministic(policy, corpus):
    again = generated_corpus(policy, on=ON)
    assert again == corpus and len(corpus.cases) == 2000


def test_the_corpus_is_capped_keeping_the_first_cases_and_says_what_it_leaves_untried(policy, corpus):
    small = generated_corpus(policy, 50, on=ON)
    assert small.cases == corpus.cases[:50]
    assert small.pairs == corpus.pairs and small.untried > corpus.untried > 0
    whole = generated_corpus(policy, 10_000, on=ON)
    assert whole.cases[:2000] == corpus.cases and whole.untried == 0
    assert len(whole.cases) == 297 * 11   # the minutes maps (units edges) times the most values of another field


@pytest.mark.parametrize("payer", ["default", "acme-health", "medicare-example"])
def test_every_case_follows_the_contract_and_the_date(engines, payer):
    for case in generated_corpus(engines[payer].policy, on=ON).cases:
        loaded = load_case(case)
        assert loaded["date_of_service"] == ON and loaded["payer_id"] == payer


def values(cases, path):
    found = []
    for case in cases:
        node = case
        for part in path.split("."):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        found.append(node)
    return found


def test_the_corpus_tries_every_enum_value_and_the_boundaries_the_tables_draw(corpus):
    cases = corpus.cases
    assert set(values(cases, "service.purpose")) == set(PURPOSES)
    assert set(values(cases, "practitioner.credential")) == set(CREDENTIALS)
    assert set(PRESCRIBERS) <= {v for v in values(cases, "clinical.prescription.prescriber") if v != {}}
    assert set(METHODS) <= {v for v in values(cases, "payment.method") if v != {}}
    flags = [v for v in values(cases, "clinical.red_flags") if v != {}]
    assert [] in flags and RED_FLAGS in flags and all([flag] in flags for flag in RED_FLAGS)
    assert all([t] in values(cases, "service.techniques") for t in TECHNIQUES)
    assert {True, False} <= set(values(cases, "practitioner.license_active"))
    derived = [derive(load_case(case)).values for case in cases]
    totals = {d["derived.total_timed_minutes"] for d in derived}
    assert {7, 8, 9, 22, 23, 24, 1432, 1433, 1434} <= totals             # the units table's edges
    assert {-1, 0, 1, 11, 12, 13} <= {d["derived.lomn_age_months"] for d in derived}   # the lomn table's
    assert {5, 6, 7} <= {d["clinical.visit_number"] for d in derived}     # care_stage: <= 6
    assert {19, 20, 21} <= {d["clinical.visits_this_year"] for d in derived}
    codes = {code for d in derived for code in d["derived.billed_codes"]}
    assert {"97124", "97140"} <= codes and any(code.endswith("T") for code in codes)   # and one no set holds
    diagnoses = {tuple(d["clinical.diagnosis_codes"] or ()) for d in derived}
    assert () in diagnoses and any(len(d) > 1 for d in diagnoses)


def test_lomn_ages_hold_at_the_end_of_a_long_month():
    """31 March: a month back has no 31st, so the letter one month old is dated 1 March."""
    policy = build_policy("default", [table_from_document(yaml.safe_load((TABLES / "base" / "lomn.yaml").read_text()),
                                                          "lomn.yaml")], [], analyse=False)
    on = date(2027, 3, 31)
    ages = {derive(load_case(case)).values["derived.lomn_age_months"]
            for case in generated_corpus(policy, on=on).cases}
    assert {-1, 0, 1, 11, 12, 13} <= ages


# -- the response contract -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def decision(engines):
    return engines["default"].decide(load_case(CASE), ON)


def broken(decision, path, value):
    decision = copy.deepcopy(decision)
    node = decision
    *parents, last = path
    for part in parents:
        node = node[part]
    node[last] = value
    return decision


def test_a_sound_decision_has_no_violation(decision, policy):
    assert contract_violations(decision, policy) == [] and decision_problems(decision, policy) == []


@pytest.mark.parametrize("path, value, field, table, row", [
    (("classification",), "spa", "classification", "classification", "C3"),
    (("billing", "insurance", "lines", 0, "units"), 97, "billing.insurance.lines[0].units", "units", "U3"),
    (("billing", "insurance", "lines", 0, "units"), 0, "billing.insurance.lines[0].units", "units", "U3"),
    (("billing", "insurance", "lines", 0, "units"), 2.0, "billing.insurance.lines[0].units", "units", "U3"),
    (("billing", "insurance", "lines", 0, "units"), True, "billing.insurance.lines[0].units", "units", "U3"),
    (("billing", "insurance", "lines", 1, "modifiers"), ["59\n"], "billing.insurance.lines[1].modifiers[0]",
     "line_modifiers", None),
    (("billing", "insurance", "documentation_required"), ["fax"], "billing.insurance.documentation_required[0]",
     "insurance_documentation", None),
    (("billing", "hsa_fsa", "reasons"), [{"code": "nope", "message": "m", "rule": "hsa_fsa_eligibility:H2"}],
     "billing.hsa_fsa.reasons[0].code", "hsa_fsa_eligibility", "H2"),
    (("billing", "insurance", "reasons"), [{"code": "no_billable_code", "message": "m" * 501, "rule": "units:allocation"}],
     "billing.insurance.reasons[0].message", "units", "allocation"),
    (("referrals",), [{"to": "nurse", "reason": "red_flags", "message": "m", "rule": "referrals:R1"}],
     "referrals[0].to", "referrals", "R1"),
    (("referrals",), [{"to": "physician", "reason": "because", "message": "m", "rule": "referrals:R1"}],
     "referrals[0].reason", "referrals", "R1"),
])
def test_each_field_outside_the_contract_is_named_with_its_table_and_row(decision, policy, path, value, field, table, row):
    (violation,) = contract_violations(broken(decision, path, value), policy)
    assert (violation.path, violation.table, violation.row) == (field, table, row)
    assert decision_problems(broken(decision, path, value), policy) == [f"{field}: {violation.reason}"]


def test_the_modifier_is_traced_to_the_row_that_gave_it(decision, policy):
    edited = copy.deepcopy(decision)
    edited["billing"]["insurance"]["lines"][1]["modifiers"] = ["5"]
    next(s for s in edited["trace"] if s["table"] == "correct_coding_edits" and s["outputs"]["modifier"] == "59")[
        "outputs"]["modifier"] = "5"
    (violation,) = contract_violations(edited, policy)
    assert violation.table == "correct_coding_edits" and violation.row is not None


def test_a_payer_may_extend_reason_codes_and_documents_with_value_sets(decision, policy):
    edited = broken(broken(decision, ("billing", "hsa_fsa", "reasons"),
                           [{"code": "plan_excludes", "message": "m", "rule": "hsa_fsa_eligibility:H9"}]),
                    ("billing", "insurance", "documentation_required"), ["referral_form"])
    assert len(contract_violations(edited, policy)) == 2
    extended = replace(policy, value_sets={
        **policy.value_sets,
        contract.EXTRA_REASON_CODES: ValueSet(contract.EXTRA_REASON_CODES, "", MatchKind.EXACT, frozenset({"plan_excludes"})),
        contract.EXTRA_DOCUMENTS: ValueSet(contract.EXTRA_DOCUMENTS, "", MatchKind.EXACT, frozenset({"referral_form"}))})
    assert contract_violations(edited, extended) == []


# -- deciding the corpus ---------------------------------------------------------------------------

@pytest.mark.parametrize("payer", ["default", "acme-health", "medicare-example"])
def test_the_shipped_policies_decide_every_generated_case_soundly(engines, payer):
    engine = engines[payer]
    assert check_decisions(engine, generated_corpus(engine.policy, on=ON).cases, ON) == []


def edited_engine(policy, name, edit):
    """`policy` with table `name` edited in memory, compiled without the static checks that would
    refuse it (the analysis of overlaps and gaps, and the answer tables' values): what a gap in
    those checks would let through."""
    document = yaml.safe_load((TABLES / "base" / f"{name}.yaml").read_text())
    edit(document)
    tables = [t for n, t in policy.tables.items() if n != name] + [table_from_document(document, f"base/{name}.yaml")]
    compiled = compile_policy(build_policy(policy.payer_id, tables, list(policy.value_sets.values()), analyse=False,
                                           facts=policy.facts))
    return PolicyEngine(compiled.policy, compiled, Runtime(compiled))


def rule(document, row_id):
    return next(r for r in document["rules"] if r["id"] == row_id)


def check_broken(policy, name, edit, limit=500):
    engine = edited_engine(policy, name, edit)
    try:
        return check_decisions(engine, generated_corpus(engine.policy, limit, on=ON).cases, ON)
    finally:
        engine.runtime.close()


def test_an_overlap_in_a_unique_table_is_found_naming_table_and_rows(policy):
    problems = check_broken(policy, "units", lambda d: rule(d, "U2")["when"].update(total_minutes="[23..40)"))
    assert [(p.table, p.row, p.file) for p in problems] == [("units", "U2, U3", "base/units.yaml")]
    message = problems[0].message
    assert "HitPolicyViolation" in message and "UNIQUE but rows U2, U3 all matched" in message
    example = json.loads(message.split("the case: ", 1)[1])
    assert set(example) == {"date_of_service", "service"} and set(example["service"]) == {"minutes"}
    assert sum(example["service"]["minutes"].values()) in (38, 39)


def test_a_gap_in_a_table_is_found_naming_the_table(policy):
    """care_stage: `<= 6` narrowed to `< 6` leaves visit 6 to no row."""
    problems = check_broken(policy, "care_stage",
                            lambda d: d["rules"][0]["when"].update(visit_number="< 6"))
    assert [(p.table, p.row) for p in problems] == [("care_stage", None)]
    assert "no row matched" in problems[0].message
    assert json.loads(problems[0].message.split("the case: ", 1)[1])["clinical"] == {"visit_number": 6}


def test_an_output_outside_the_contract_is_found_naming_table_and_row(policy):
    def lower_case(document):
        document["outputs"]["modifier"]["allowed"] = ["gp"]
        rule(document, "G1")["then"]["modifier"] = "gp"
    problems = check_broken(policy, "line_modifiers", lower_case)
    assert [(p.table, p.row) for p in problems] == [("line_modifiers", "G1")]
    assert "billing.insurance.lines[0].modifiers[0]: not a modifier" in problems[0].message


def test_distinct_problems_are_few(policy):
    def everything_wrong(document):
        for r in document["rules"]:
            r["then"]["units"] = 200
    problems = check_broken(policy, "units", everything_wrong)
    assert 1 <= len(problems) <= 5 and all(p.table == "units" for p in problems)


def test_a_policy_that_cannot_be_checked_in_time_is_refused(engines):
    (problem,) = check_decisions(engines["default"], [CASE], ON, deadline_seconds=0)
    assert problem.message == "the policy could not be checked within 0 seconds (0 of 1 generated cases decided)"


def test_failure_location_takes_only_the_policy_s_own_names(policy):
    assert failure_location(HitPolicyViolation("table units: UNIQUE but rows U2, U3 all matched"), policy) == \
        ("units", "U2, U3")
    assert failure_location(HitPolicyViolation("table units: no row matched and the table has no default"), policy) == \
        ("units", None)
    assert failure_location(EngineError("table referrals was not evaluated (the engine dropped a fact)"), policy) == \
        ("referrals", None)
    assert failure_location(EngineError("table M54.50: secret"), policy) == (None, None)
    assert failure_location(ValueError("table units"), policy) == (None, None)
