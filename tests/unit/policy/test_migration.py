"""The store schema upgrades in place: a store written by the 0001 release keeps every version and key."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from service.policy.registry import PolicyRegistry
from service.policy.source import folder_versions
from service.policy.store import MIGRATIONS, Store, content_hash
from tests.conftest import TABLES, fresh_database_url


def test_a_0001_store_upgrades_in_place(tmp_path):
    store = Store(fresh_database_url(tmp_path))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as c:
        config.attributes["connection"] = c
        command.upgrade(config, "0001")
        at = datetime(2026, 1, 1, tzinfo=timezone.utc)
        for v in folder_versions(TABLES):       # as the 0001 release seeded it: one generation
            c.execute(text("INSERT INTO table_versions (payer_id, kind, name, version, effective_from, document, "
                           "content_hash, author_key_id, comment, created_at) VALUES (:p, :k, :n, 1, :e, :d, :h, "
                           "'system', 'seeded', :at)"),
                      {"p": v.payer_id, "k": v.kind, "n": v.name, "e": date.min, "d": json.dumps(v.document),
                       "h": content_hash(v.document), "at": at})
        c.execute(text("INSERT INTO api_keys (id, name, role, payers, key_hash, created_at) "
                       "VALUES ('abc', 'ops team', 'admin', :payers, 'x', :at)"), {"at": at, "payers": '["*"]'})
        c.execute(text("UPDATE policy_state SET generation = 1"))
    rows = len(folder_versions(TABLES))
    store.migrate()
    versions = store.all_versions()
    assert len(versions) == rows and all(v.generation == v.id for v in versions)
    assert store.generation() > max(v.id for v in versions)
    assert store.key("abc").owner == "ops team"
    assert store.changes("acme-health") == [] and store.all_settings() == {}
    registry = PolicyRegistry(store)
    registry.refresh(force=True)
    assert registry.ready and registry.degraded == {}
    store.close()
