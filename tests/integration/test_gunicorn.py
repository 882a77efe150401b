"""The real service under gunicorn with two workers, over real HTTP on loopback."""
from __future__ import annotations

import copy
import json
import re
import threading

import pytest

from service.case_schema import load_case
from tests.conftest import ROOT
from tests.integration.server import Server

CANARY = "CANARY-5f1e9b"
CASE = json.loads((ROOT / "examples" / "contract-case.json").read_text())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("gunicorn") / "server.log", workers=2,
                    env={"MASSAGE_RULES_LOG_LEVEL": "DEBUG"})
    yield server
    server.stop()


def test_the_contract_example(server):
    status, decision, kind = server.request("POST", "/v1/decisions", CASE)
    assert status == 200 and kind == "application/json"
    assert decision["classification"] == "medical" and decision["case_id"] == "c-1042"
    assert decision["billing"]["insurance"]["lines"] == [{"cpt": "97124", "units": 2, "modifiers": []},
                                                         {"cpt": "97140", "units": 1, "modifiers": ["59"]}]


def test_a_batch(server):
    wellness = copy.deepcopy(CASE)
    wellness["service"]["purpose"] = "relaxation"
    status, body, _ = server.request("POST", "/v1/decisions/batch",
                                     {"cases": [CASE, wellness, {"service": {}}, dict(CASE, payer_id="medicare-example")]})
    assert status == 200
    results = body["results"]
    assert [r.get("classification", r.get("status")) for r in results] == ["medical", "wellness", 422, "medical"]
    assert results[3]["billing"]["insurance"]["reasons"][0]["code"] == "performer_not_covered"


def test_both_workers_answer_exactly_as_the_engine_does_in_process(server, engines):
    """The policy is compiled before the fork: every worker must still give the in-process answer."""
    cases = []
    for purpose in ("pain", "relaxation", "injury", "lymphedema"):
        for visit in (1, 7, 12):
            case = copy.deepcopy(CASE)
            case["service"]["purpose"] = purpose
            case["clinical"]["visit_number"] = visit
            cases.append(case)
    expected = [json.loads(json.dumps(engines["default"].decide(load_case(c)))) for c in cases]
    mismatches, failures = [], []

    def client():
        for _ in range(10):
            for case, want in zip(cases, expected):
                status, got, _ = server.request("POST", "/v1/decisions", case)
                if status != 200:
                    failures.append(status)
                elif got != want:
                    mismatches.append(case["service"]["purpose"])
    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures and not mismatches


def test_metrics_add_up_across_workers(server):
    before = _count(server, "/healthz")
    for _ in range(20):
        server.request("GET", "/healthz")
    assert _count(server, "/healthz") == before + 20


def _count(server, endpoint: str) -> float:
    _, text, _ = server.request("GET", "/metrics")
    line = next((l for l in text.splitlines()
                 if l.startswith("massage_rules_requests_total") and f'endpoint="{endpoint}"' in l), None)
    return float(line.split()[-1]) if line else 0.0


def test_case_facts_never_reach_a_log_line_even_at_debug_level(server):
    case = copy.deepcopy(CASE)
    case["case_id"] = CANARY
    assert server.request("POST", "/v1/decisions", case)[0] == 200
    bad = copy.deepcopy(CASE)
    bad["clinical"]["diagnosis_codes"] = [CANARY]
    status, problem, _ = server.request("POST", "/v1/decisions", bad)
    assert status == 422 and CANARY not in json.dumps(problem)
    assert server.request("POST", "/v1/decisions/batch", {"cases": [case, bad]})[0] == 200
    assert server.request("POST", "/v1/decisions", '{"case_id": "' + CANARY + '", ')[0] == 400
    assert server.request("GET", f"/v1/policy?payer_id={CANARY.lower()}")[0] == 404
    server.request("GET", "/healthz")          # flushes: the access log line of the last request
    log = server.log_path.read_text()
    assert '"path": "/v1/policy"' in log                 # the access log is on, without the query string
    assert re.search(r'"path": "/v1/policy", .*"request_id": "[0-9a-f]{32}"', log)    # each line names its request
    assert CANARY not in log and CANARY.lower() not in log
