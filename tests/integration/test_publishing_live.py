"""Publishing against the real service: two gunicorn workers follow the store within a second."""
from __future__ import annotations

import json
import threading
import time
from datetime import date

import pytest
import yaml

from tests.policy_documents import GP_FOR_LMT, MODIFIERS, URL
from tests.conftest import ROOT
from tests.integration.server import Server

CASE = dict(json.loads((ROOT / "examples" / "contract-case.json").read_text()), date_of_service=date.today().isoformat())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("live") / "server.log", workers=2)
    server.keys["acme"] = server.store.create_key("publisher", ["acme-health"], "acme publisher")[1]
    yield server
    server.stop()


def modifiers(server, payer):
    status, decision, _ = server.request("POST", "/v1/decisions", dict(CASE, payer_id=payer), key="integrator")
    assert status == 200
    return decision["billing"]["insurance"]["lines"][0]["modifiers"], decision["policy"]["tables"]["line_modifiers"]


def every_worker(server, payer, want, seconds=1.0):
    """Ask enough times that both workers answer (the kernel spreads connections); all must agree."""
    deadline = time.monotonic() + seconds
    while True:
        answers = {tuple(modifiers(server, payer)[0]) for _ in range(12)}
        if answers == {tuple(want)}:
            return time.monotonic() - (deadline - seconds)
        assert time.monotonic() < deadline, f"workers still answer {answers} for {payer}"


def test_publish_invalid_forbidden_rollback(server):
    assert every_worker(server, "acme-health", []) < 1
    status, body, _ = server.request("PUT", URL, yaml.safe_dump(GP_FOR_LMT), {"Content-Type": "application/yaml"},
                                     key="acme")
    assert status == 201, body
    assert every_worker(server, "acme-health", ["GP"]) <= 1.0
    assert every_worker(server, "default", []) < 1 and every_worker(server, "medicare-example", ["GP"]) < 1

    versions = len(server.store.all_versions())
    bad = dict(MODIFIERS, hit_policy="NOPE")
    status, problem, kind = server.request("PUT", URL, bad, key="acme")
    assert status == 422 and kind == "application/problem+json"
    assert len(server.store.all_versions()) == versions
    assert every_worker(server, "acme-health", ["GP"]) < 1

    status, _, _ = server.request("PUT", "/v1/payers/medicare-example/tables/line_modifiers", MODIFIERS, key="acme")
    assert status == 403

    # version 1 is what is in force: rolling back to it, or putting it again, stores nothing
    status, body, _ = server.request("POST", URL + "/rollback", {"version": 1, "comment": "undo"}, key="acme")
    assert status == 200 and body["status"] == "unchanged" and body["version"] == 1
    status, body, _ = server.request("PUT", URL, GP_FOR_LMT, key="acme")
    assert status == 200 and body["label"] == "acme-health@1"
    status, body, _ = server.request("PUT", URL, MODIFIERS, key="acme")
    assert status == 201 and body["version"] == 2
    assert every_worker(server, "acme-health", []) <= 1.0
    status, body, _ = server.request("POST", URL + "/rollback", {"version": 1, "comment": "undo"}, key="acme")
    assert status == 201 and body["version"] == 3
    assert every_worker(server, "acme-health", ["GP"]) <= 1.0


def test_publishing_under_load_loses_no_request_and_mixes_no_versions(server):
    """4 clients decide continuously while versions are published; each answer names versions that
    were live, and all its tables come from one consistent policy."""
    stop = threading.Event()
    answers, failures = [], []

    def client():
        while not stop.is_set():
            status, decision, _ = server.request("POST", "/v1/decisions", dict(CASE, payer_id="acme-health"),
                                                 key="integrator")
            if status != 200:
                failures.append(status)
            else:
                answers.append((decision["billing"]["insurance"]["lines"][0]["modifiers"],
                                decision["policy"]["tables"]["line_modifiers"]))
    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    published = {}
    try:
        assert server.request("PUT", URL, GP_FOR_LMT, key="acme")[0] in (200, 201)   # whatever was in force
        for document in (MODIFIERS, GP_FOR_LMT, MODIFIERS, GP_FOR_LMT):
            status, body, _ = server.request("PUT", URL, document, key="acme")
            assert status == 201
            published[body["label"]] = document is GP_FOR_LMT
            time.sleep(0.4)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not failures and len(answers) > 50
    for mods, label in answers:
        if label in published:      # the answer must be what that version says
            assert (mods == ["GP"]) == published[label], (mods, label)


def test_a_future_version_changes_nothing_until_its_date(server):
    from datetime import timedelta
    soon = date.today() + timedelta(days=10)
    status, body, _ = server.request("PUT", f"/v1/payers/medicare-example/tables/line_modifiers?effective_from={soon}",
                                     MODIFIERS, key="admin")
    assert status == 201 and body["effective_from"] == soon.isoformat()
    time.sleep(0.5)
    assert every_worker(server, "medicare-example", ["GP"]) < 1          # today: still GP on every line
    later = dict(CASE, payer_id="medicare-example", date_of_service=soon.isoformat())
    status, decision, _ = server.request("POST", "/v1/decisions", later, key="integrator")
    assert status == 200 and decision["billing"]["insurance"]["lines"][0]["modifiers"] == []
    assert decision["policy"]["tables"]["line_modifiers"] == body["label"]
