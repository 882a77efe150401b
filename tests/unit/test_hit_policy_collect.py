"""COLLECT: every matching row, in rule order; with sum, count, min or max over one output."""
from __future__ import annotations

import pytest

from tests.unit.tables import facts, runtime_of, visits_table

NUMBER = {"o": {"type": "number"}}
ROWS = [("> 2", {"o": 5}), ("> 4", {"o": 1}), ("> 6", {"o": 3}), ("> 100", {"o": 7})]


def test_collects_every_match_in_rule_order():
    runtime = runtime_of(visits_table("COLLECT", ROWS, outputs=NUMBER))
    assert runtime.evaluate(facts(visit_number=7)).runs[0].resolution.value == [{"o": 5}, {"o": 1}, {"o": 3}]
    assert runtime.evaluate(facts(visit_number=1)).runs[0].resolution.value == []


@pytest.mark.parametrize("aggregation, matches, none", [("sum", 9, 0), ("count", 3, 0), ("min", 1, -1), ("max", 5, -1)])
def test_aggregations(aggregation, matches, none):
    extra = {"aggregation": aggregation}
    table = visits_table("COLLECT", ROWS, outputs=NUMBER, **extra)
    if aggregation in ("min", "max"):
        table["default"] = {"o": -1}
    runtime = runtime_of(table)
    assert runtime.evaluate(facts(visit_number=7)).runs[0].resolution.value == {"o": matches}
    assert runtime.evaluate(facts(visit_number=1)).runs[0].resolution.value == {"o": none}


def test_a_collected_list_feeds_the_next_table():
    reasons = visits_table("COLLECT", [("> 2", {"o": "low"}), ("> 6", {"o": "high"})])
    reader = {"table": "r", "hit_policy": "FIRST", "inputs": {"seen": {"from": "t.o", "type": "list"}},
              "outputs": {"flag": {"type": "boolean"}},
              "rules": [{"id": "F1", "when": {"seen": '"high"'}, "then": {"flag": True}}], "default": {"flag": False}}
    runtime = runtime_of(reasons, reader)
    assert runtime.evaluate(facts(visit_number=7)).output("r") == {"flag": True}
    assert runtime.evaluate(facts(visit_number=3)).output("r") == {"flag": False}
