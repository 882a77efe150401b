"""Schemathesis on the real app, with a key: every operation of schemas/openapi.json (the served
document is the checked-in one: tests/api/test_openapi.py) answers as documented, never 5xx.

The app has a store of its own (publishing operations may store versions). Driven through
Hypothesis directly: schemathesis' pytest plugin does not run under pytest 9.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from schemathesis.openapi import from_path, from_wsgi
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.conftest import ROOT

LABELS = [result.ok().label for result in from_path(str(ROOT / "schemas" / "openapi.json")).get_all_operations()]


@pytest.fixture(scope="module")
def served_schema(fresh_app):
    return from_wsgi("/openapi.json", fresh_app)


@pytest.fixture(scope="module")
def admin_key(fresh_app):
    return fresh_app.extensions["policy_store"].create_key("admin", ["*"], "fuzzer")[1]


# A policy document can be well-formed JSON and still not be a sound table, value set, test suite or fact
# declaration (a cycle, an overlap, a failing test): for the operations that take one, and for the steps of
# review that depend on a change's state and its reviewer, a 4xx for schema-valid input is the point.
SEMANTIC = {f"PUT /v1/payers/{{payer_id}}/{kinds}/{{name}}"
            for kinds in ("tables", "value-sets", "tests", "facts")} | {
    "POST /v1/payers/{payer_id}/tables/{name}/dry-run", "POST /v1/payers/{payer_id}/changes",
    "PUT /v1/payers/{payer_id}/changes/{change_id}"} | {
    f"POST /v1/payers/{{payer_id}}/changes/{{change_id}}/{step}" for step in ("propose", "approve", "reject",
                                                                              "withdraw")}


@pytest.mark.parametrize("label", LABELS)
def test_every_operation_conforms(label, served_schema, admin_key):
    operation = served_schema.find_operation_by_label(label)
    excluded = [positive_data_acceptance] if label in SEMANTIC else []

    @given(case=operation.as_strategy())
    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        if label == "POST /v1/decisions" and isinstance(case.body, dict):
            # its members are each payer's own facts, which the payer-neutral document cannot name:
            # a schema-valid one is refused unless the case's payer declares it (tests/api/test_extensions.py)
            case.body.pop("extensions", None)
        case.call_and_validate(headers={"Authorization": f"Bearer {admin_key}"}, excluded_checks=excluded)
    check()
