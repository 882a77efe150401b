"""Hostile decision requests against the real service: a 4xx problem naming the field, never a
5xx, nothing echoed, nothing logged, and the workers stay up."""
from __future__ import annotations

import http.client
import json

import pytest

from tests.integration.hostile_requests import CANARY, CORPUS
from tests.integration.server import Server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("hostile") / "server.log", workers=2,
                    env={"MASSAGE_RULES_LOG_LEVEL": "DEBUG"})
    yield server
    server.stop()


def post_raw(server, body: bytes, path="/v1/decisions"):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json",
                                                      "Authorization": f"Bearer {server.keys['integrator']}"})
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type"), response.read()
    finally:
        conn.close()


def test_the_corpus_is_large_enough():
    assert len(CORPUS) >= 50 and len({name for name, *_ in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("name, body, status, field", CORPUS, ids=[c[0] for c in CORPUS])
def test_each_hostile_request_gets_a_problem_naming_the_field(server, name, body, status, field):
    got, kind, raw = post_raw(server, body)
    assert got == status, raw[:300]
    assert kind == "application/problem+json"
    problem = json.loads(raw)
    assert problem["status"] == status
    if field is not None:
        assert field in {e["field"] for e in problem["errors"]}, problem
    assert CANARY.encode() not in raw and CANARY.lower().encode() not in raw or field == CANARY.lower()
    assert server.request("GET", "/healthz")[0] == 200


def test_the_same_corpus_in_a_batch_gets_one_problem_per_case(server):
    cases = [json.loads(body) for name, body, status, _ in CORPUS
             if status == 422 and len(body) < 100_000 and body.startswith(b"{")
             and "deep" not in name and "duplicate" not in name
             and b"\\ud800" not in body]
    status, _, raw = post_raw(server, json.dumps({"cases": cases}).encode(), "/v1/decisions/batch")
    assert status == 200
    results = json.loads(raw)["results"]
    assert len(results) == len(cases) and all(r.get("status") in (404, 422) for r in results)


def test_workers_are_up_and_nothing_reached_the_log(server):
    for _ in range(6):
        assert server.request("GET", "/healthz")[0] == 200
    log = server.log_path.read_text(errors="replace")
    assert CANARY not in log and CANARY.lower() not in log
    assert "Worker (pid" not in log or "exited" not in log
