"""PRIORITY: among matching rows, the output that comes first in `allowed` wins; ties by rule order."""
from __future__ import annotations

from tests.unit.tables import facts, runtime_of, visits_table


def test_highest_priority_output_wins_regardless_of_row_order():
    runtime = runtime_of(visits_table("PRIORITY", [(None, {"o": "low"}), ("> 5", {"o": "mid"}), ("> 10", {"o": "high"})]))
    assert runtime.evaluate(facts(visit_number=11)).runs[0].resolution.value == {"o": "high"}
    assert runtime.evaluate(facts(visit_number=7)).runs[0].resolution.value == {"o": "mid"}
    assert runtime.evaluate(facts(visit_number=2)).runs[0].resolution.value == {"o": "low"}


def test_later_outputs_break_ties():
    outputs = {"o": {"type": "string", "allowed": ["high", "low"]}, "p": {"type": "number", "allowed": [1, 2]}}
    table = visits_table("PRIORITY", [(None, {"o": "high", "p": 2}), ("> 5", {"o": "high", "p": 1})], outputs=outputs)
    run = runtime_of(table).evaluate(facts(visit_number=7)).runs[0]
    assert run.resolution.value == {"o": "high", "p": 1} and run.resolution.selected == (1,)
