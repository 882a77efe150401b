"""A valid case the policy cannot decide is that case's own 500: logged without case facts, counted,
and the rest of a batch answered. The broken policies are written into the store behind the API's
back, as the publishing checks would refuse them. (A decision outside the response contract can no
longer be stored so: the engine refuses such outputs when it compiles. tests/api/test_decisions.py
covers that path with a stand-in engine.)"""
from __future__ import annotations

import copy
import logging
import re
from datetime import date

import pytest
import yaml

from service.policy.store import SYSTEM
from tests.conftest import TABLES

SECRET = "M54.59"      # a fact of the failing case, which no log line or problem may repeat
UNITS = yaml.safe_load((TABLES / "base" / "units.yaml").read_text())


def units_table(edit) -> dict:
    document = copy.deepcopy(UNITS)
    edit(document)
    return document


def missing_row(document):
    document["rules"] = [r for r in document["rules"] if r["id"] != "U3"]    # 38 to 52 minutes: no row


def overlapping_rows(document):
    next(r for r in document["rules"] if r["id"] == "U2")["when"]["total_minutes"] = "[23..41)"


@pytest.fixture(scope="module")
def app(fresh_app):
    store = fresh_app.extensions["policy_store"]
    store.add_versions([
        {"payer_id": payer, "kind": "table", "name": "units", "document": units_table(edit),
         "effective_from": date(2020, 1, 1), "comment": "bypassing the API"}
        for payer, edit in (("medicare-example", missing_row), ("acme-health", overlapping_rows))], SYSTEM, "publish")
    fresh_app.extensions["policy_registry"].refresh(force=True)
    return fresh_app


@pytest.fixture(scope="module")
def client(app):
    client = app.test_client()
    client.key = app.extensions["policy_store"].create_key("admin", ["*"], "admin")[1]
    return client


@pytest.fixture
def api_log(caplog):
    """The API's log records, whether or not its logger propagates to the root that caplog watches."""
    logger = logging.getLogger("massage_rules.api")
    logger.addHandler(caplog.handler)
    yield caplog
    logger.removeHandler(caplog.handler)


def case(contract_case, payer):
    body = copy.deepcopy(contract_case)
    body["payer_id"] = payer
    body["clinical"]["diagnosis_codes"] = [SECRET]
    return body


def failures(client, payer) -> float:
    text = client.get("/metrics").get_data(as_text=True)
    found = re.search(rf'^massage_rules_decision_failures_total{{payer_id="{payer}"}} (\S+)$', text, re.MULTILINE)
    return float(found[1]) if found else 0.0


FAILED = {"type": "https://massage-rules.example/problems/decision-failed", "title": "Decision failed", "status": 500,
          "detail": "The policy could not decide this case; the failure is logged and counted."}


@pytest.mark.parametrize("payer", ["medicare-example", "acme-health"])
def test_a_case_the_policy_cannot_decide_is_a_500_problem_logged_and_counted(client, contract_case, api_log, payer):
    before = failures(client, payer)
    response = client.post("/v1/decisions", json=case(contract_case, payer))
    assert response.status_code == 500 and response.mimetype == "application/problem+json"
    assert response.get_json() == dict(FAILED, request_id=response.headers["X-Request-Id"])
    assert failures(client, payer) == before + 1
    (record,) = {id(r): r for r in api_log.records if r.getMessage() == "decision failed"}.values()
    assert (record.payer_id, record.error_type, record.table) == (payer, "HitPolicyViolation", "units")
    assert SECRET not in str(record.__dict__) and "c-1042" not in str(record.__dict__)


def test_in_a_batch_only_the_failing_case_is_a_problem(client, contract_case):
    before = failures(client, "medicare-example")
    response = client.post("/v1/decisions/batch", json={"cases": [
        case(contract_case, "default"), case(contract_case, "medicare-example"), case(contract_case, "acme-health"),
        dict(case(contract_case, "medicare-example"), service={"purpose": "relaxation"})]})
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert results[0]["classification"] == "medical" and results[1] == FAILED and results[2] == FAILED
    assert results[3]["billing"]["insurance"]["lines"] == []     # no minutes: a row matches
    assert failures(client, "medicare-example") == before + 1
    assert SECRET not in response.get_data(as_text=True)


def test_other_payers_and_other_cases_are_decided(client, contract_case):
    response = client.post("/v1/decisions", json=case(contract_case, "default"))
    assert response.status_code == 200
    short = dict(case(contract_case, "acme-health"), service={"purpose": "pain", "minutes": {"97124": 10}})
    assert client.post("/v1/decisions", json=short).status_code == 200      # 10 minutes: one row matches
