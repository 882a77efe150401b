"""The OpenAPI document: generated from the schemas, checked in, and true of real responses."""
from __future__ import annotations

import json

import jsonschema
import pytest

from service.api.spec import build_spec, rendered
from tests.conftest import ROOT


@pytest.mark.parametrize("path", sorted(rendered()), ids=lambda p: p.name)
def test_checked_in_schemas_match_the_generated_ones(path):
    assert path.read_text() == rendered()[path], "run `massage-rules schemas` and commit the result"


def test_served_document_is_the_generated_one(client):
    assert client.get("/openapi.json").get_json() == build_spec()


def validator(component: str):
    spec = build_spec()
    schema = {"$ref": f"#/components/schemas/{component}", "components": spec["components"]}
    return jsonschema.Draft7Validator(schema)


def test_decisions_match_the_documented_schema(client, contract_case):
    validator("Decision").validate(client.post("/v1/decisions", json=contract_case).get_json())


def test_problems_match_the_documented_schema(client):
    validator("Problem").validate(client.post("/v1/decisions", json={"service": 1}).get_json())


def test_the_case_json_schema_accepts_the_contract_example_and_rejects_a_typo(contract_case):
    schema = json.loads((ROOT / "schemas" / "case.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    validator.validate(contract_case)
    assert list(validator.iter_errors(dict(contract_case, servise={})))
