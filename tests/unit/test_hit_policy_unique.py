"""UNIQUE: at most one row may match; more is a violation, none gives the default."""
from __future__ import annotations

import pytest

from service.engine.hit_policy import HitPolicyViolation
from tests.unit.tables import facts, runtime_of, visits_table

ROWS = [("< 5", {"o": "low"}), ("[5..10]", {"o": "mid"}), ("> 10", {"o": "high"})]


@pytest.mark.parametrize("visit, row, out", [(4, 0, "low"), (5, 1, "mid"), (10, 1, "mid"), (11, 2, "high")])
def test_the_one_matching_row(visit, row, out):
    run = runtime_of(visits_table("UNIQUE", ROWS)).evaluate(facts(visit_number=visit)).runs[0]
    assert run.matched == (row,) and run.resolution.value == {"o": out}


def test_two_matching_rows_break_unique():
    runtime = runtime_of(visits_table("UNIQUE", [("< 5", {"o": "low"}), ("< 8", {"o": "mid"})]))
    with pytest.raises(HitPolicyViolation, match="UNIQUE but rows R1, R2 all matched"):
        runtime.evaluate(facts(visit_number=3))
    assert runtime.evaluate(facts(visit_number=6)).runs[0].resolution.value == {"o": "mid"}


def test_no_match_uses_the_default_or_fails():
    table = visits_table("UNIQUE", [("< 5", {"o": "low"})])
    with pytest.raises(HitPolicyViolation, match="no row matched"):
        runtime_of(table).evaluate(facts(visit_number=9))
    table["default"] = {"o": "high"}
    resolution = runtime_of(table).evaluate(facts(visit_number=9)).runs[0].resolution
    assert resolution.used_default and resolution.value == {"o": "high"}
