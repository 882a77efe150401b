"""Hostile table documents: refused with a clear error by `massage-rules validate` and by the
publishing API, within bounded time and memory, and the live policy untouched."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT, TABLES
from tests.fuzz.hostile_tables import CORPUS, PWNED

IDS = [c[0] for c in CORPUS]
MEMORY_LIMIT = 3 * 1024 ** 3
VALIDATE_ALL = """
import contextlib, io, json, resource, shutil, sys
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from service.cli import main
from tests.fuzz.hostile_tables import CORPUS
work = Path(sys.argv[1])
results = {{}}
for name, text, table, needle in CORPUS:
    tables = work / "tables"
    if tables.exists():
        shutil.rmtree(tables)
    shutil.copytree(sys.argv[2], tables)
    path = tables / "payers" / "acme-health" / f"{{table}}.yaml"   # replaces acme's own file of that table
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["validate", str(tables)])
    results[name] = [code, err.getvalue()[:4000]]
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def validated(tmp_path_factory):
    """Every document through `massage-rules validate`, in one child capped at 3 GiB and 5 minutes."""
    work = tmp_path_factory.mktemp("hostile-tables")
    result = subprocess.run([sys.executable, "-c", VALIDATE_ALL.format(limit=MEMORY_LIMIT), str(work), str(TABLES)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def test_the_corpus_is_large_enough():
    assert len(CORPUS) >= 30 and len(set(IDS)) == len(IDS)


@pytest.mark.parametrize("name, text, table, needle", CORPUS, ids=IDS)
def test_validate_refuses_each_with_file_and_reason(validated, name, text, table, needle):
    code, err = validated[name]
    assert code == 1, err
    assert "acme-health: invalid" in err and needle in err
    assert f"payers/acme-health/{table}.yaml" in err
    assert not os.path.exists(PWNED)


@pytest.fixture(scope="module")
def app(fresh_app):
    return fresh_app


@pytest.fixture(scope="module")
def client(app):
    client = app.test_client()
    client.key = app.extensions["policy_store"].create_key("publisher", ["acme-health"], "acme")[1]
    return client


@pytest.fixture(scope="module")
def live(client):
    case = json.loads((ROOT / "examples" / "contract-case.json").read_text())
    case["payer_id"] = "acme-health"
    key = client.application.extensions["policy_store"].create_key("integrator", ["*"], "integrator")[1]

    def decide():
        return client.post("/v1/decisions", json=case, headers={"Authorization": f"Bearer {key}"}).get_json()
    return decide


@pytest.mark.parametrize("name, text, table, needle", CORPUS, ids=IDS)
def test_publishing_refuses_each_and_nothing_changes(app, client, live, name, text, table, needle):
    store = app.extensions["policy_store"]
    before_versions, before_decision = len(store.all_versions()), live()
    body = text if isinstance(text, bytes) else text.encode()
    response = client.put(f"/v1/payers/acme-health/tables/{table}", data=body, content_type="application/yaml")
    assert response.status_code in (400, 413, 422), response.get_data()[:500]
    assert response.mimetype == "application/problem+json"
    if needle and response.status_code == 422:
        assert needle in json.dumps(response.get_json()["errors"])
    assert len(store.all_versions()) == before_versions
    assert live() == before_decision
    assert not os.path.exists(PWNED)


def teardown_module():
    shutil.rmtree(PWNED, ignore_errors=True)
