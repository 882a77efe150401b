"""POST /v1/decisions and /batch through the Flask app: the contract, and every error path."""
from __future__ import annotations

import copy
import json
import logging
import re

import pytest

from service.engine.hit_policy import HitPolicyViolation
from service.engine.policy_engine import PolicyEngine
from service.engine.runtime import EngineError

PROBLEM = "application/problem+json"
SECRET = "SECRET-7731"


def post(client, body, path="/v1/decisions", content_type="application/json"):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(path, data=data, content_type=content_type)


def test_the_contract_example(client, contract_case):
    response = post(client, contract_case)
    assert response.status_code == 200 and response.mimetype == "application/json"
    decision = response.get_json()
    assert list(decision) == ["case_id", "payer_id", "date_of_service", "classification", "referrals", "billing", "trace",
                              "policy"]
    assert decision["classification"] == "medical"
    assert decision["billing"]["insurance"]["lines"][1] == {"cpt": "97140", "units": 1, "modifiers": ["59"]}


def test_icd10_without_the_dot_is_normalised(client, contract_case):
    case = copy.deepcopy(contract_case)
    case["clinical"]["diagnosis_codes"] = ["m5450", "R519"]
    decision = post(client, case).get_json()
    assert decision["billing"]["insurance"]["eligible"] is True
    eligibility = [s for s in decision["trace"] if s["table"] == "classification"][0]
    assert eligibility["inputs"]["diagnosed"] is True


def test_a_payer_is_chosen_by_payer_id(client, contract_case):
    decision = post(client, dict(contract_case, payer_id="medicare-example")).get_json()
    assert decision["payer_id"] == "medicare-example"
    assert decision["billing"]["insurance"]["eligible"] is False


def errors_of(response):
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert {"type", "title", "status", "detail"} <= set(body) and body["status"] == response.status_code
    assert SECRET not in response.get_data(as_text=True)
    return {e["field"]: e["message"] for e in body.get("errors", [])}


def mutate(case, path, value):
    case = copy.deepcopy(case)
    node = case
    *parents, last = path.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    if value is DELETE:
        node.pop(last, None)
    else:
        node[last] = value
    return case


DELETE = object()


@pytest.mark.parametrize("path, value, field", [
    ("case_id", "x" * 65 + SECRET, "case_id"),
    ("case_id", 12, "case_id"),
    ("payer_id", "Acme " + SECRET, "payer_id"),
    ("date_of_service", "2026-02-30", "date_of_service"),
    ("date_of_service", SECRET, "date_of_service"),
    ("service", DELETE, "service"),
    ("service", [SECRET], "service"),
    ("service.purpose", SECRET, "service.purpose"),
    ("service.purpose", DELETE, "service.purpose"),
    ("service.techniques", [SECRET], "service.techniques[0]"),
    ("service.minutes", {"97124": -1}, "service.minutes.97124"),
    ("service.minutes", {"97124": 1441}, "service.minutes.97124"),
    ("service.minutes", {SECRET: 10}, "service.minutes"),
    ("service.minutes", {"97124": 10.5}, "service.minutes.97124"),
    ("service.minutes", {"97124": "10"}, "service.minutes.97124"),
    ("service.other_codes", [SECRET], "service.other_codes[0]"),
    ("service.regions", {"97140": [SECRET]}, "service.regions.97140[0]"),
    ("service.colour", "red", "service.colour"),
    ("practitioner.credential", SECRET, "practitioner.credential"),
    ("practitioner.license_state", "Texas", "practitioner.license_state"),
    ("practitioner.license_active", "true", "practitioner.license_active"),
    ("practitioner.license_active", 1, "practitioner.license_active"),
    ("clinical.diagnosis_codes", [SECRET], "clinical.diagnosis_codes[0]"),
    ("clinical.diagnosis_codes", "M54.50", "clinical.diagnosis_codes"),
    ("clinical.diagnosis_codes", ["M54.5"] * 51, "clinical.diagnosis_codes"),
    ("clinical.prescription", {"present": "yes"}, "clinical.prescription.present"),
    ("clinical.prescription", {"present": True, "prescriber": "RN"}, "clinical.prescription.prescriber"),
    ("clinical.prescription", {"present": True, "date": "01/10/2026"}, "clinical.prescription.date"),
    ("clinical.visit_number", 0, "clinical.visit_number"),
    ("clinical.visit_number", 2.5, "clinical.visit_number"),
    ("clinical.visits_this_year", -1, "clinical.visits_this_year"),
    ("clinical.red_flags", ["headache"], "clinical.red_flags[0]"),
    ("clinical.functional_goals", None, "clinical.functional_goals"),
    ("payment.method", "cash", "payment.method"),
    ("payment.lomn_on_file", "no", "payment.lomn_on_file"),
    ("payment.lomn_date", "yesterday", "payment.lomn_date"),
    ("extra", 1, "extra"),
])
def test_each_invalid_field_is_422_naming_it_and_never_its_value(client, contract_case, path, value, field):
    response = post(client, mutate(contract_case, path, value))
    assert response.status_code == 422
    assert field in errors_of(response)


def test_an_unknown_payer_is_404_naming_the_field(client, contract_case):
    response = post(client, dict(contract_case, payer_id="nobody"))
    assert response.status_code == 404 and "payer_id" in errors_of(response)


@pytest.mark.parametrize("body, content_type, status", [
    ("{", "application/json", 400),
    ("", "application/json", 400),
    ('{"a": NaN}', "application/json", 400),
    ('{"a": Infinity}', "application/json", 400),
    (b'{"case_id": "\xff"}', "application/json", 400),
    ("[1]", "application/json", 422),
    ("null", "application/json", 422),
    ('"text"', "application/json", 422),
    ('{"case_id": "a", "case_id": "b"}', "application/json", 422),
    ("[" * 50000 + "]" * 50000, "application/json", 422),
    ('{"service": {"regions": {"97140": [["deep"]]}}}', "application/json", 422),
    ("{}", "text/plain", 415),
    ("{}", "application/x-www-form-urlencoded", 415),
])
def test_malformed_bodies(client, body, content_type, status):
    response = post(client, body, content_type=content_type)
    assert response.status_code == status
    errors_of(response)


def test_bodies_over_1_mib_are_413(client, contract_case):
    big = dict(contract_case, padding="x" * (1024 * 1024))
    assert post(client, big).status_code == 413


def test_a_batch_is_answered_in_order_with_a_problem_for_each_bad_case(client, contract_case):
    bad = mutate(contract_case, "service.purpose", SECRET)
    response = post(client, {"cases": [contract_case, bad, dict(contract_case, payer_id="acme-health"), 7]},
                    path="/v1/decisions/batch")
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r.get("classification") or r["status"] for r in results] == ["medical", 422, "medical", 422]
    assert results[1]["errors"] == [{"field": "service.purpose", "message": results[1]["errors"][0]["message"]}]
    assert results[2]["payer_id"] == "acme-health"
    assert SECRET not in response.get_data(as_text=True)


@pytest.mark.parametrize("body, field", [
    ({}, "cases"),
    ({"cases": "x"}, "cases"),
    ({"cases": [], "more": 1}, "more"),
])
def test_bad_batches(client, body, field):
    response = post(client, body, path="/v1/decisions/batch")
    assert response.status_code == 422 and field in errors_of(response)


def test_a_batch_over_1000_cases_is_refused(client, contract_case):
    response = post(client, {"cases": [{}] * 1001}, path="/v1/decisions/batch")
    assert response.status_code == 422 and "cases" in errors_of(response)


def test_a_batch_over_10_mib_is_413(client, contract_case):
    response = post(client, {"cases": [dict(contract_case, pad="x" * 11_000)] * 1000}, path="/v1/decisions/batch")
    assert response.status_code == 413


def test_an_empty_batch(client):
    assert post(client, {"cases": []}, path="/v1/decisions/batch").get_json() == {"results": []}


@pytest.mark.parametrize("error", [
    EngineError(f"evaluation failed: {SECRET}"),
    HitPolicyViolation("table units: UNIQUE but rows U2, U3 all matched"),
    ZeroDivisionError(SECRET),
])
def test_a_case_the_engine_fails_is_its_own_500_and_the_batch_goes_on(client, contract_case, monkeypatch, error):
    """Whatever the engine raises for a valid case is the policy's failure, told without the case's facts."""
    real = PolicyEngine.decide

    def decide(self, case, today=None):
        if case.get("case_id") == "breaks":
            raise error
        return real(self, case, today)

    monkeypatch.setattr(PolicyEngine, "decide", decide)
    breaks = dict(contract_case, case_id="breaks")
    response = post(client, breaks)
    assert response.status_code == 500 and errors_of(response) == {}
    assert response.get_json()["type"].endswith("/decision-failed")
    response = post(client, {"cases": [contract_case, breaks, contract_case]}, path="/v1/decisions/batch")
    assert response.status_code == 200 and SECRET not in response.get_data(as_text=True)
    results = response.get_json()["results"]
    assert [r.get("classification") or r["status"] for r in results] == ["medical", 500, "medical"]


def test_a_decision_outside_the_contract_is_its_own_500_logged_and_counted(client, contract_case, monkeypatch, caplog):
    """The engine refuses such outputs when it compiles; this stands in for whatever that misses."""
    real = PolicyEngine.decide

    def decide(self, case, today=None):
        decision = real(self, case, today)
        if case.get("case_id") == "breaks":
            decision["billing"]["insurance"]["lines"][0]["units"] = 500
        return decision

    def failures():
        text = client.get("/metrics").get_data(as_text=True)
        found = re.search(r'^massage_rules_decision_failures_total\{payer_id="default"\} (\S+)$', text, re.MULTILINE)
        return float(found[1]) if found else 0.0

    monkeypatch.setattr(PolicyEngine, "decide", decide)
    logger = logging.getLogger("massage_rules.api")
    logger.addHandler(caplog.handler)
    try:
        before = failures()
        breaks = dict(contract_case, case_id="breaks")
        response = post(client, breaks)
        assert response.status_code == 500 and response.get_json()["title"] == "Decision failed"
        response = post(client, {"cases": [contract_case, breaks]}, path="/v1/decisions/batch")
        assert [r.get("classification") or r["status"] for r in response.get_json()["results"]] == ["medical", 500]
        assert failures() == before + 2
    finally:
        logger.removeHandler(caplog.handler)
    records = {id(r): r for r in caplog.records if r.getMessage() == "decision failed"}.values()
    assert [(r.payer_id, r.error_type, r.table) for r in records] == [("default", "ContractViolation", "units")] * 2
