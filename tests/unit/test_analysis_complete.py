"""The static analysis is complete over every value a column can take, lists of any length
included; a table too large to prove is refused, never passed with a warning."""
from __future__ import annotations

import re
from itertools import combinations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from service.tables import analysis
from service.tables.errors import ValidationError
from service.tables.loader import table_from_document
from service.tables.semantics import cell_holds
from tests.unit.tables import policy_of

FLAGS = {"flags": {"from": "clinical.red_flags", "type": "list"}}
CODES = {"codes": {"from": "derived.billed_codes", "type": "list"}}
OUT = {"o": {"type": "string"}}


def table(policy, inputs, rows, **extra):
    """rows: (when, output) pairs."""
    return {"table": "t", "hit_policy": policy, "inputs": inputs, "outputs": OUT,
            "rules": [{"id": f"R{i}", "when": when, "then": {"o": o}} for i, (when, o) in enumerate(rows, 1)], **extra}


def problems(doc):
    with pytest.raises(ValidationError) as info:
        policy_of(doc)
    return info.value.problems


THREE = [({"flags": 'not("dvt_signs")'}, "a"), ({"flags": 'not("fever_or_infection")'}, "b"),
         ({"flags": 'not("other")'}, "c")]


def test_a_gap_that_needs_three_flags_is_found_with_them():
    (problem,) = problems(table("FIRST", FLAGS, THREE))
    assert "no row matches some cases" in problem.message
    assert "flags=['dvt_signs', 'fever_or_infection', 'other']" in problem.message


def test_a_row_that_only_three_flags_reach_can_fire():
    policy_of(table("FIRST", FLAGS, THREE + [({}, "d")]))


def test_an_overlap_in_a_list_column_of_more_than_eleven_literals():
    """Each row reads its own code and visit number; R1 and the last row share visit 1 and meet only
    on a list holding both their codes (the old analysis tried pairs only up to 12 literals)."""
    inputs = dict(CODES, n={"from": "clinical.visit_number", "type": "number"})
    rows = [({"codes": f'"c{i:02}"', "n": str(i)}, f"o{i}") for i in range(1, 14)]
    rows.append(({"codes": '"c99"', "n": "1"}, "z"))
    found = [p for p in problems(table("UNIQUE", inputs, rows, default={"o": "x"})) if "overlap" in p.message]
    assert len(found) == 1 and found[0].row == "R14"
    assert "rows R1 and R14 overlap" in found[0].message and "codes=['c01', 'c99'], n=1" in found[0].message


def test_an_unreachable_row_among_many_literals():
    rows = [({"codes": f'"c{i:02}"'}, "a") for i in range(20)] + [({"codes": '"c03", "c17"'}, "b")]
    (problem,) = problems(table("FIRST", CODES, rows, default={"o": "x"}))
    assert problem.row == "R21" and "can never fire" in problem.message


def test_a_gap_over_twelve_negated_literals_names_all_of_them():
    rows = [({"codes": f'not("c{i:02}")'}, "a") for i in range(12)]
    (problem,) = problems(table("FIRST", CODES, rows))
    assert "codes=[" + ", ".join(f"'c{i:02}'" for i in range(12)) + "]" in problem.message


def test_a_table_over_the_representative_budget_is_refused():
    rows = [({"codes": f'not("c{i:02}")'}, "a") for i in range(16)]      # 2**16 lists answer differently
    doc = table("FIRST", CODES, rows, default={"o": "x"})
    (problem,) = problems(doc)
    assert problem.message.startswith("too large to prove free of overlaps and gaps: column codes has more than")
    assert "split it" in problem.message and (problem.table, problem.row) == ("t", None)
    policy_of(doc, analyse=False)                                           # cheap rebuilds still skip it


def test_a_table_over_the_step_budget_is_refused(monkeypatch):
    monkeypatch.setattr(analysis, "MAX_STEPS", 5)
    (problem,) = problems(table("FIRST", FLAGS, THREE, default={"o": "x"}))
    assert "too large to prove free of overlaps and gaps: the search needs more than 5 steps" in problem.message


def test_a_min_or_max_aggregation_without_a_default_must_cover_every_case():
    rows = [({"n": "< 5"}, 1), ({"n": "> 5"}, 2)]
    doc = {"table": "t", "hit_policy": "COLLECT", "aggregation": "max",
           "inputs": {"n": {"from": "clinical.visit_number", "type": "number"}}, "outputs": {"o": {"type": "number"}},
           "rules": [{"id": f"R{i}", "when": w, "then": {"o": o}} for i, (w, o) in enumerate(rows, 1)]}
    assert "n=5" in problems(doc)[0].message
    policy_of(dict(doc, aggregation="sum"))                                 # the sum of no rows is 0


# -- against brute force -----------------------------------------------------------------------

UNIVERSE = ("dvt_signs", "fever_or_infection", "other", "numbness_or_tingling")
CELLS = ["-", '"dvt_signs"', '"fever_or_infection"', '"other", "dvt_signs"', 'not("dvt_signs")', 'not("other")',
         'not("fever_or_infection", "other")', 'not("numbness_or_tingling")']
INPUTS = dict(FLAGS, goals={"from": "clinical.functional_goals", "type": "boolean"})


def brute_force(doc):
    """Every list of the universe (and an element no cell names) with every boolean, row by row."""
    t = table_from_document(doc, "t.yaml")
    elements = UNIVERSE + ("suspected_fracture",)
    points = [(flags, goals) for n in range(len(elements) + 1) for flags in combinations(elements, n)
              for goals in (True, False)]
    matches = [{r.index for r in t.rules
                if cell_holds(r.cell("flags"), flags, {}) and cell_holds(r.cell("goals"), goals, {})}
               for flags, goals in points]
    ids = [r.id for r in t.rules]
    return {"gap": any(not m for m in matches),
            "overlaps": {(ids[a], ids[b]) for m in matches for a, b in combinations(sorted(m), 2)},
            "unreachable": {ids[i] for i in range(len(ids)) if not any(m and min(m) == i for m in matches)}}


def found(doc):
    messages = [(p.message, p.row) for p in policy_problems(doc)]
    return {"gap": any("no row matches" in m for m, _ in messages),
            "overlaps": {tuple(re.match(r"rows (\S+) and (\S+)", m).groups()) for m, _ in messages if "overlap" in m},
            "unreachable": {row for m, row in messages if "never fire" in m}}


def policy_problems(doc):
    try:
        policy_of(doc)
    except ValidationError as exc:
        return exc.problems
    return []


NEEDS_THREE = [('not("dvt_signs")', "-"), ('not("other")', "-"), ('not("numbness_or_tingling")', "true")]


@example(policy="FIRST", rows=NEEDS_THREE)                        # a gap only three flags show
@example(policy="FIRST", rows=NEEDS_THREE + [('"fever_or_infection"', "-")])   # a row only four flags reach
@given(policy=st.sampled_from(["FIRST", "UNIQUE"]),
       rows=st.lists(st.tuples(st.sampled_from(CELLS), st.sampled_from(["-", "true", "false"])),
                     min_size=1, max_size=5))
def test_the_analysis_finds_exactly_what_brute_force_finds(policy, rows):
    doc = table(policy, INPUTS, [({"flags": f, "goals": g}, "a") for f, g in rows])
    expected, got = brute_force(doc), found(doc)
    assert got["gap"] == expected["gap"]
    if policy == "UNIQUE":
        assert got["overlaps"] <= expected["overlaps"]
        assert len(got["overlaps"]) == min(len(expected["overlaps"]), 10)
    else:
        assert got["unreachable"] == expected["unreachable"]
