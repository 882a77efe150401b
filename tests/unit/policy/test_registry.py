"""service/policy/registry.py: reloads, per-payer fallback to the last generation that compiles."""
from __future__ import annotations

import copy
from datetime import date, datetime
from zoneinfo import ZoneInfo

import yaml

import pytest

from service.policy.registry import PayerUnavailable, PolicyRegistry
from service.policy.source import folder_versions
from service.policy.store import SYSTEM, PayerSettings, Store
from tests.conftest import TABLES, fresh_database_url

MODIFIERS = yaml.safe_load((TABLES / "base" / "line_modifiers.yaml").read_text())
GP = copy.deepcopy(MODIFIERS)
GP["rules"][0]["when"]["credential"] = '"PT", "PTA", "LMT"'


def put(store, payer, document, name="line_modifiers"):
    """Straight into the store, past every check: what a store written by hand or by an old release holds."""
    return store.add_versions([{"payer_id": payer, "kind": "table", "name": name, "document": document,
                                "effective_from": date.min, "comment": ""}], SYSTEM, "publish")[0]


def label(registry, payer):
    return registry.engine(payer, date(2027, 1, 1)).policy.tables["line_modifiers"].version_label


def test_a_new_generation_is_picked_up(store):
    registry = PolicyRegistry(store, poll_seconds=0)
    registry.refresh()
    assert label(registry, "acme-health") == "base@1"
    put(store, "acme-health", GP)
    registry.refresh()
    assert label(registry, "acme-health") == "acme-health@1" and registry.degraded == {}


def test_a_payer_whose_newest_policy_does_not_compile_keeps_its_last_good_one_and_others_move_on(store):
    registry = PolicyRegistry(store, poll_seconds=0)
    put(store, "acme-health", GP)
    registry.refresh()
    put(store, "acme-health", dict(MODIFIERS, hit_policy="NEVER"))
    put(store, "medicare-example", GP)
    registry.refresh()
    assert label(registry, "acme-health") == "acme-health@1"
    assert label(registry, "medicare-example") == "medicare-example@2"
    assert list(registry.degraded) == ["acme-health"] and registry.ready
    assert "does not compile" in registry.degraded["acme-health"]


def test_a_new_worker_on_a_broken_store_serves_the_newest_generation_that_compiles(store):
    put(store, "acme-health", GP)
    put(store, "acme-health", dict(MODIFIERS, hit_policy="NEVER"))
    registry = PolicyRegistry(store)
    registry.refresh(force=True)
    assert registry.ready and label(registry, "acme-health") == "acme-health@1"
    assert registry.degraded.keys() == {"acme-health"}
    assert label(registry, "default") == "base@1"


def test_a_payer_no_generation_of_which_compiles_makes_the_service_not_ready(tmp_path):
    store = Store(fresh_database_url(tmp_path))
    store.migrate()
    store.add_versions([{"payer_id": v.payer_id, "kind": v.kind, "name": v.name, "effective_from": date.min,
                         "document": dict(v.document, hit_policy="NEVER") if v.payer_id == "medicare-example"
                         and v.name == "performer" else v.document} for v in folder_versions(TABLES)], SYSTEM, "seed")
    registry = PolicyRegistry(store)
    registry.refresh(force=True)
    assert not registry.ready and list(registry.unavailable) == ["medicare-example"]
    assert label(registry, "acme-health") == "base@1"
    with pytest.raises(PayerUnavailable):
        registry.engine("medicare-example")
    store.close()


def test_today_is_the_payers_date_in_its_time_zone(store):
    store.set_settings(PayerSettings("acme-health", False, "Pacific/Kiritimati"), SYSTEM)
    registry = PolicyRegistry(store)
    registry.refresh(force=True)
    assert registry.today("acme-health") == datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    assert registry.today("default") == datetime.now(ZoneInfo("UTC")).date()
