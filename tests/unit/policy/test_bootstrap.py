"""service/policy/bootstrap.py: the first start seeds the store from the folder, tests included; sync
publishes only what differs, as one checked change."""
from __future__ import annotations

import shutil
from datetime import date

from service.policy.bootstrap import open_store, sync
from service.policy.source import folder_versions
from tests.conftest import TABLES


def test_the_first_start_seeds_every_document_once(store, tmp_path):
    kinds = {(v.payer_id, v.kind, v.name) for v in store.all_versions()}
    assert kinds == {(v.payer_id, v.kind, v.name) for v in folder_versions(TABLES)}
    assert ("acme-health", "tests", "payers") in kinds and ("base", "value_set", "covered_diagnoses") in kinds
    generation = store.generation()
    again = open_store(store.url, TABLES)
    assert len(again.all_versions()) == len(store.all_versions()) and again.generation() == generation
    again.close()


def test_sync_stores_nothing_when_nothing_differs_and_one_generation_otherwise(store, tmp_path):
    assert sync(store, TABLES, date(2027, 1, 1)).pending == []
    tables = tmp_path / "tables"
    shutil.copytree(TABLES, tables)
    for name in ("performer", "prior_authorization"):
        path = tables / "payers" / "acme-health" / f"{name}.yaml"
        path.write_text(path.read_text().replace("title: ", "title: Acme's ", 1))
    result = sync(store, tables, date(2027, 1, 1))
    assert sorted(v.name for v in result.published.stored) == ["performer", "prior_authorization"]
    assert len({v.generation for v in result.published.stored}) == 1
    assert all(v.effective_from == date(2027, 1, 1) for v in result.published.stored)
