"""ANY: several rows may match when they agree; disagreement is a violation."""
from __future__ import annotations

import pytest

from service.engine.hit_policy import HitPolicyViolation
from tests.unit.tables import facts, runtime_of, visits_table


def test_agreeing_rows_give_their_common_output():
    runtime = runtime_of(visits_table("ANY", [("< 8", {"o": "low"}), ("< 5", {"o": "low"}), (">= 8", {"o": "high"})]))
    run = runtime.evaluate(facts(visit_number=3)).runs[0]
    assert run.matched == (0, 1) and run.resolution.value == {"o": "low"} and run.resolution.selected == (0,)


def test_disagreeing_rows_break_any():
    runtime = runtime_of(visits_table("ANY", [("< 8", {"o": "low"}), ("< 5", {"o": "mid"})]))
    with pytest.raises(HitPolicyViolation, match="ANY but rows R1, R2 matched with different outputs"):
        runtime.evaluate(facts(visit_number=3))
    assert runtime.evaluate(facts(visit_number=6)).runs[0].resolution.value == {"o": "low"}
