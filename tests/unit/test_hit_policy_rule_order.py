"""RULE ORDER: every matching row's outputs, in rule order."""
from __future__ import annotations

from tests.unit.tables import facts, runtime_of, visits_table


def test_all_matches_in_rule_order():
    runtime = runtime_of(visits_table("RULE ORDER", [("> 6", {"o": "high"}), (None, {"o": "low"}), ("> 2", {"o": "mid"})]))
    run = runtime.evaluate(facts(visit_number=7)).runs[0]
    assert run.resolution.value == [{"o": "high"}, {"o": "low"}, {"o": "mid"}]
    assert runtime.evaluate(facts(visit_number=1)).runs[0].resolution.value == [{"o": "low"}]
