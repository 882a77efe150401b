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


# A table document can be well-formed JSON and still not be a sound table (a cycle, an overlap):
# for the operations that take one, a 422 for schema-valid input is the point, not a defect.
SEMANTIC = {"PUT /v1/payers/{payer_id}/tables/{name}", "POST /v1/payers/{payer_id}/tables/{name}/dry-run"}


@pytest.mark.parametrize("label", LABELS)
def test_every_operation_conforms(label, served_schema, admin_key):
    operation = served_schema.find_operation_by_label(label)
    excluded = [positive_data_acceptance] if label in SEMANTIC else []

    @given(case=operation.as_strategy())
    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        case.call_and_validate(headers={"Authorization": f"Bearer {admin_key}"}, excluded_checks=excluded)
    check()
