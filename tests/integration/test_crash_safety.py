"""kill -9 in the middle of a publish (a worker, then the whole server): on restart the store is
consistent (each version fully there or absent) and decisions follow the last committed version."""
from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections import Counter
from datetime import date

import pytest

from tests.policy_documents import GP_FOR_LMT, MODIFIERS, URL
from tests.conftest import ROOT
from tests.integration.server import Server

CASE = dict(json.loads((ROOT / "examples" / "contract-case.json").read_text()), payer_id="acme-health",
            date_of_service=date.today().isoformat())


def workers(server) -> list[int]:
    path = f"/proc/{server.process.pid}/task/{server.process.pid}/children"
    with open(path) as f:
        return [int(pid) for pid in f.read().split()]


def assert_consistent(store) -> None:
    versions = store.all_versions()
    numbers: dict = {}
    for v in versions:
        numbers.setdefault((v.payer_id, v.kind, v.name), []).append(v.version)
    for key, found in numbers.items():
        assert sorted(found) == list(range(1, len(found) + 1)), (key, found)
    audited = Counter((e["payer_id"], e["table_name"], e["to_version"]) for e in store.audit(limit=100_000)
                      if e["action"] in ("seed", "publish", "rollback", "sync"))
    for v in versions:
        assert audited[(v.payer_id, v.name, v.version)] == 1, v.label


def newest_label(store) -> str:
    """What acme's decisions must name: its newest committed version, or the base table."""
    published = store.versions("acme-health", "table", "line_modifiers")
    return f"acme-health@{published[-1].version}" if published else "base@1"


def decided_label(server) -> str:
    deadline = time.monotonic() + 30
    while True:
        try:
            status, decision, _ = server.request("POST", "/v1/decisions", CASE, key="integrator")
            if status == 200:
                return decision["policy"]["tables"]["line_modifiers"]
        except OSError:
            pass
        assert time.monotonic() < deadline, "the service did not come back"
        time.sleep(0.1)


def publish_in_background(server, document) -> threading.Thread:
    def run():
        try:
            server.request("PUT", URL, document, key="admin")
        except OSError:
            pass          # the worker died under it: expected
    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.fixture
def server(tmp_path):
    server = Server(tmp_path / "server.log", workers=1, env={"MASSAGE_RULES_TIMEOUT": "60"})
    yield server
    if server.process.poll() is None:
        server.stop()


def test_killing_the_worker_mid_publish(server):
    started = time.monotonic()
    assert server.request("PUT", URL, GP_FOR_LMT, key="admin")[0] == 201
    took = time.monotonic() - started            # a publish's checks, on this machine, in a fresh worker
    committed = {newest_label(server.store)}
    for pid in workers(server):                  # a fresh worker: nothing of that check remembered
        os.kill(pid, signal.SIGKILL)
    decided_label(server)
    # from surely before the commit to surely after it
    for share in (0.0, 0.1, 0.3, 0.6, 0.9, 2.0):
        published = server.store.versions("acme-health", "table", "line_modifiers")
        document = MODIFIERS if published[-1].document == GP_FOR_LMT else GP_FOR_LMT   # always a real change
        delay = share * took
        thread = publish_in_background(server, document)
        time.sleep(delay)
        for pid in workers(server):
            os.kill(pid, signal.SIGKILL)
        thread.join(timeout=60)
        assert_consistent(server.store)
        assert decided_label(server) == newest_label(server.store)
        committed.add(newest_label(server.store))
    assert len(committed) >= 2          # some kills came before the commit, some after


def test_killing_the_whole_server_mid_publish(tmp_path):
    first = Server(tmp_path / "first.log", workers=2)
    thread = publish_in_background(first, GP_FOR_LMT)
    time.sleep(0.1)
    for pid in workers(first) + [first.process.pid]:
        os.kill(pid, signal.SIGKILL)
    thread.join(timeout=60)
    first.process.wait(timeout=30)
    assert_consistent(first.store)
    second = Server(tmp_path / "second.log", workers=2, database_url=first.database_url)
    try:
        published = first.store.versions("acme-health", "table", "line_modifiers")
        assert decided_label(second) == newest_label(first.store)
        status, body, _ = second.request("PUT", URL, dict(MODIFIERS, title="After the crash"), key="admin")
        assert status == 201 and body["version"] == len(published) + 1
        assert_consistent(second.store)
    finally:
        second.stop()
        first.stop()
