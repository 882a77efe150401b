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


def test_sync_dry_run_effective_date_author_and_a_failing_test(database, tmp_path, capsys):
    tables = tmp_path / "tables"
    shutil.copytree(TABLES, tables)
    path = tables / "payers" / "acme-health" / "prior_authorization.yaml"
    path.write_text(path.read_text().replace("'> 6'", "'> 8'"))
    # the shipped test "past visit 6" is dated 2026-11-20: a change in force that day breaks it
    assert main(["sync", str(tables), "--effective-from", "2026-11-01"]) == 1
    assert "table test fails" in capsys.readouterr().err
    assert main(["sync", str(tables), "--dry-run", "--effective-from", "2027-01-01"]) == 0
    out = capsys.readouterr().out
    assert "would publish table prior_authorization for acme-health from 2027-01-01" in out and "nothing stored" in out
    store = Store(database)
    assert [v.version for v in store.versions("acme-health", "table", "prior_authorization")] == [1]
    assert main(["sync", str(tables), "--effective-from", "2027-01-01", "--comment", "raise to 8",
                 "--author", "dana"]) == 0
    assert "as version 2 from 2027-01-01" in capsys.readouterr().out
    entry = store.audit("acme-health")[0]
    assert (entry["action"], entry["key_name"], entry["summary"]) == \
        ("sync", "dana", "table prior_authorization: rows changed: A1")
    assert store.versions("acme-health", "table", "prior_authorization")[-1].comment == "raise to 8"
    store.close()


def test_sync_for_a_payer_with_four_eyes_is_a_proposal(database, tmp_path, capsys):
    tables = tmp_path / "tables"
    shutil.copytree(TABLES, tables)
    assert main(["payers", "acme-health", "--four-eyes", "--time-zone", "America/New_York"]) == 0
    assert "four eyes on, time zone America/New_York" in capsys.readouterr().out
    path = tables / "payers" / "acme-health" / "performer.yaml"
    path.write_text(path.read_text().replace("title: ", "title: Acme's "))
    assert main(["sync", str(tables), "--author", "dana"]) == 0
    assert "proposed change 1 for acme-health" in capsys.readouterr().out
    store = Store(database)
    assert store.change(1).status == "proposed" and store.change(1).author_owner == "dana"
    assert [v.version for v in store.versions("acme-health", "table", "performer")] == [1]
    store.close()
    assert main(["payers", "acme-health", "--time-zone", "Mars/Olympus"]) == 2
