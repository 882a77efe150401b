"""service/policy/source.py: the documents in force for a payer on a date, from a folder or a store."""
from __future__ import annotations

import shutil
from datetime import date

import pytest

from service.policy.source import folder_versions, in_force, payers_of, revision
from service.policy.store import Version, content_hash, now
from service.tables.errors import LoadError
from tests.conftest import TABLES


def version(id_, owner, name, number, effective, kind="table"):
    doc = {"table": name, "n": number}
    return Version(id_, owner, kind, name, number, effective, doc, content_hash(doc), "k", "", now(), id_)


JAN, FEB, MAR = date(2027, 1, 1), date(2027, 2, 1), date(2027, 3, 1)
VERSIONS = [version(1, "base", "units", 1, date.min), version(2, "base", "units", 2, FEB),
            version(3, "acme", "units", 1, MAR), version(4, "base", "care", 1, date.min),
            version(5, "acme", "care", 1, JAN), version(6, "acme", "care", 2, MAR), version(7, "other", "care", 1, JAN)]


@pytest.mark.parametrize("payer, on, expected", [
    ("acme", date(2026, 12, 31), {"units": "base@1", "care": "base@1"}),
    ("acme", JAN, {"units": "base@1", "care": "acme@1"}),
    ("acme", FEB, {"units": "base@2", "care": "acme@1"}),
    ("acme", MAR, {"units": "acme@1", "care": "acme@2"}),
    ("default", MAR, {"units": "base@2", "care": "base@1"}),
    ("other", MAR, {"units": "base@2", "care": "other@1"}),
])
def test_in_force_takes_the_payers_newest_effective_version_else_bases(payer, on, expected):
    assert {v.name: v.label for v in in_force(VERSIONS, payer, on)} == expected


def test_payers_are_default_and_every_owner_but_base():
    assert payers_of(VERSIONS) == ["default", "acme", "other"]


def test_the_revision_moves_for_the_payers_and_bases_documents_only():
    before = revision(VERSIONS, "acme")
    assert revision(VERSIONS + [version(8, "other", "units", 1, JAN)], "acme") == before
    assert revision(VERSIONS + [version(8, "acme", "units", 2, JAN)], "acme") != before
    assert revision(VERSIONS + [version(8, "base", "units", 3, JAN)], "acme") != before


def test_the_folder_gives_tables_value_sets_and_one_suite_per_payer():
    versions = folder_versions(TABLES)
    kinds = {(v.payer_id, v.kind) for v in versions}
    assert {("base", "table"), ("base", "value_set"), ("acme-health", "table"), ("default", "tests"),
            ("acme-health", "tests"), ("medicare-example", "tests")} <= kinds
    suites = {(v.payer_id, v.name) for v in versions if v.kind == "tests"}
    assert ("acme-health", "payers") in suites and ("medicare-example", "payers") in suites
    assert all("payer" not in case for v in versions if v.kind == "tests" for case in v.document["cases"])
    assert all(v.file and not v.file.startswith("/") for v in versions)


def test_a_bad_folder_names_every_file_relative_to_it(tmp_path):
    root = tmp_path / "tables"
    shutil.copytree(TABLES, root)
    (root / "base" / "units.yaml").write_text("table: units\nrules: [\n")
    (root / "tests" / "units.yaml").write_text("cases: [{name: x}]\n")
    with pytest.raises(LoadError) as caught:
        folder_versions(root)
    text = str(caught.value)
    assert "base/units.yaml" in text and "tests/units.yaml" in text and str(tmp_path) not in text
