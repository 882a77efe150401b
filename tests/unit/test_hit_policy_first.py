"""FIRST: the first matching row in rule order wins, whatever order the engine fired them in."""
from __future__ import annotations

from tests.unit.tables import facts, runtime_of, visits_table

ROWS = [("> 10", {"o": "high"}), ("> 5", {"o": "mid"}), (None, {"o": "low"})]


def test_first_match_in_rule_order():
    runtime = runtime_of(visits_table("FIRST", ROWS))
    for visit, out in [(11, "high"), (10, "mid"), (6, "mid"), (5, "low"), (1, "low")]:
        run = runtime.evaluate(facts(visit_number=visit)).runs[0]
        assert run.resolution.value == {"o": out}
    assert runtime.evaluate(facts(visit_number=11)).runs[0].matched == (0, 1, 2)


def test_reversed_rows_give_the_other_answer():
    runtime = runtime_of(visits_table("FIRST", [(None, {"o": "low"})] + ROWS[:2]))
    assert runtime.evaluate(facts(visit_number=11)).runs[0].resolution.value == {"o": "low"}
