"""Every table-test case under decision_tables/tests as its own pytest item: a failure names the case."""
from __future__ import annotations

import pytest

from service.case_schema import load_case
from service.policy.assembly import engine_on
from service.policy.changes import suite_cases
from service.policy.source import folder_versions, payers_of
from service.table_tests import mismatches, view
from tests.conftest import TABLES

VERSIONS = folder_versions(TABLES)
CASES = [case for payer in payers_of(VERSIONS) for case in suite_cases(VERSIONS, payer)]
ENGINES: dict = {}


def engine(payer, on):
    if (payer, on) not in ENGINES:
        ENGINES[(payer, on)] = engine_on(VERSIONS, payer, on)
    return ENGINES[(payer, on)]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.file}::{c.payer}::{c.name}" for c in CASES])
def test_case(case):
    on = case.date_of_service
    decision, evaluation = engine(case.payer, on).answer(load_case(case.facts), on)
    assert mismatches(case.expect, view(decision, evaluation)) == []


def test_there_are_cases_for_every_payer():
    assert {c.payer for c in CASES} == set(payers_of(VERSIONS))
