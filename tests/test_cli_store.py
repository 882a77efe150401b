"""keys and sync commands, on a store of their own."""
from __future__ import annotations

import shutil

import pytest

from service.cli import main
from service.policy.store import Store
from tests.conftest import TABLES, fresh_database_url


@pytest.fixture
def database(tmp_path, monkeypatch):
    url = fresh_database_url(tmp_path)
    monkeypatch.setenv("MASSAGE_RULES_DATABASE_URL", url)
    yield url


def test_keys_create_list_revoke(database, capsys):
    assert main(["keys", "create", "--role", "publisher", "--payer", "acme-health", "--name", "ana"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    key = out[-1]
    assert key.startswith("mrk_") and "role publisher, payers acme-health" in out[0]
    key_id = key.split("_")[1]
    store = Store(database)
    stored = store.key(key_id)
    assert stored.key_hash != key and key.split("_", 2)[2] not in stored.key_hash
    assert main(["keys", "list"]) == 0
    listed = capsys.readouterr().out
    assert key_id in listed and "active" in listed and key not in listed
    assert main(["keys", "revoke", key_id]) == 0
    assert store.key(key_id).revoked_at is not None
    assert main(["keys", "revoke", key_id]) == 1
    assert main(["keys", "create", "--role", "root"]) == 2
    assert [e["action"] for e in store.audit()][:2] == ["key_revoke", "key_create"]
    store.close()


def test_sync_publishes_changed_files_only(database, tmp_path, capsys):
    tables = tmp_path / "tables"
    shutil.copytree(TABLES, tables)
    assert main(["sync", str(tables)]) == 0
    assert "nothing changed" in capsys.readouterr().out
    path = tables / "payers" / "acme-health" / "prior_authorization.yaml"
    path.write_text(path.read_text().replace("Past visit 6 of the plan year", "Past visit six of the plan year"))
    assert main(["sync", str(tables)]) == 0
    assert "published table prior_authorization for acme-health as version 2" in capsys.readouterr().out
    path.write_text(path.read_text().replace("then: {required: true}", "then: {required: often}"))
    assert main(["sync", str(tables)]) == 1
    assert "row A1, column required" in capsys.readouterr().err
    store = Store(database)
    assert [v.version for v in store.versions("acme-health", "table", "prior_authorization")] == [1, 2]
    store.close()
