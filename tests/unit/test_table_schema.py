"""schemas/decision-table.schema.json accepts every shipped file and rejects what the loader rejects."""
from __future__ import annotations

import json

import jsonschema
import pytest

from service.tables.yaml_io import load_yaml
from tests.conftest import ROOT, TABLES

SCHEMA = json.loads((ROOT / "schemas" / "decision-table.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
FILES = sorted(p for p in TABLES.rglob("*.yaml") if "tests" not in p.parts)


def test_the_schema_is_valid():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(TABLES)))
def test_every_shipped_table_and_value_set_matches(path):
    VALIDATOR.validate(load_yaml(path.read_bytes(), str(path)))


@pytest.mark.parametrize("document", [
    {"table": "t", "hit_policy": "SOMETIMES", "outputs": {"o": {"type": "string"}}, "rules": []},
    {"table": "t", "hit_policy": "FIRST", "outputs": {"o": {"type": "string"}}, "rules": [], "colour": 1},
    {"table": "t", "hit_policy": "FIRST", "outputs": {}, "rules": []},
    {"table": "t", "hit_policy": "FIRST", "outputs": {"o": {"type": "string"}}, "rules": [{"then": {"o": "x"}}]},
    {"table": "t", "hit_policy": "FIRST", "inputs": {"x": {"type": "string"}}, "outputs": {"o": {"type": "string"}}, "rules": []},
    {"value_set": "v", "codes": []},
    {"extends": "t", "hit_policy": "FIRST"},
    {"extends": "t", "rows": {"add": [{"id": "X", "before": "A", "after": "B", "then": {}}]}},
    {"extends": "t", "rows": {"replace": [{"id": "X", "after": "B", "then": {}}]}},
    {"extends": "t", "rows": {"remove": ["not an id"]}},
    {"extends": "t", "rows": {"move": []}},
])
def test_bad_documents_are_rejected(document):
    assert list(VALIDATOR.iter_errors(document))


def test_an_overlay_matches_the_overlay_shape():
    overlay = {"extends": "t", "title": "x", "default": None, "rows": {
        "add": [{"id": "X", "after": "A", "when": {"i": "> 1"}, "then": {"o": 1}}],
        "replace": [{"id": "A", "then": {"o": 2}}], "remove": ["B"]},
        "inputs": {"i": {"from": "clinical.visit_number", "type": "number"}}}
    VALIDATOR.validate(overlay)
