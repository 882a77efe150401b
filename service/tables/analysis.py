"""Static checks of a table's rows: overlaps (UNIQUE, ANY), rows that can never fire (FIRST), gaps.

The checks are complete: each column's domain is cut into representative values, one per distinct
way the column's cells can answer, and every one is tried. Numbers split at every constant the
cells mention, dates at every day they mention (a day between two only when there is one);
strings by literal and value-set membership. A list answers according to which element classes
it holds (an element's class: the cells whose tests hold for it), so its representatives are the
distinct unions of classes reachable from the empty list. A row set is a bitmask over rows; the
search walks the columns, intersecting masks, and stops at the first witness. A table that would take more than the budget is refused, never checked in part.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import combinations

from .model import Aggregation, ColumnType, HitPolicy, Input, MatchKind, Table, ValueSet
from .semantics import test_holds
from .unary import Compare, Equal, InSet, Interval

MAX_REPRESENTATIVES = 16_384     # per column: a 10,000-code column fits
MAX_STEPS = 2_000_000
_OTHER = "\u0000other"


class AnalysisBudgetExceeded(Exception):
    """The table is too large to analyse completely; the message says what is too large."""


@dataclass(frozen=True)
class Witness:
    rows: tuple[str, ...]
    point: dict


def _number_reps(constants: set) -> list:
    points = sorted(constants) or [0]
    reps = [points[0] - 1]
    for low, high in zip(points, points[1:], strict=False):
        reps += [low, (low + high) / 2]
    return reps + [points[-1], points[-1] + 1]


def _date_reps(constants: set) -> list:
    """Days either side of, at and between the mentioned days; a gap between consecutive days is no gap."""
    days = sorted(d.toordinal() for d in constants) or [1]
    reps = {days[0] - 1}
    for low, high in zip(days, days[1:] + [days[-1] + 2], strict=True):
        reps.update((low, low + 1) if high - low > 1 else (low,))
    return [date.fromordinal(d) for d in sorted(reps) if 1 <= d <= date.max.toordinal()]


def _string_reps(inp: Input, table: Table, value_sets: dict[str, ValueSet]) -> list:
    if inp.values:
        return list(inp.values) + [""]   # "" is how an absent fact reads
    reps = {_OTHER}
    for rule in table.rules:
        for test in rule.cell(inp.name).tests:
            if isinstance(test, Equal) and isinstance(test.value, str):
                reps.add(test.value)
            elif isinstance(test, InSet) and test.name in value_sets:
                vs = value_sets[test.name]
                reps.update(vs.codes)
                if vs.match is MatchKind.PREFIX:
                    reps.update(code + "\u0000x" for code in vs.codes)
    return sorted(reps)


def _values(inp: Input, table: Table, value_sets) -> list:
    """Representative scalars: of the column, or of a list column's elements."""
    if inp.type is ColumnType.BOOLEAN:
        return [True, False]
    if inp.type in (ColumnType.NUMBER, ColumnType.DATE):
        constants = set()
        for rule in table.rules:
            for test in rule.cell(inp.name).tests:
                if isinstance(test, (Equal, Compare)) and not isinstance(test.value, (str, bool)):
                    constants.add(test.value)
                elif isinstance(test, Interval):
                    constants.update((test.low, test.high))
        return _number_reps(constants) if inp.type is ColumnType.NUMBER else _date_reps(constants)
    return _string_reps(inp, table, value_sets)


def _literal_key(value):
    """Index key for an equality literal: booleans apart from numbers, 8 and 8.0 together."""
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, (int, float)):
        return ("n", value)
    return ("s", value)


def _hits(cells: list, values: list, value_sets) -> list[frozenset]:
    """Per value, the cells one of whose tests holds for it, negation aside. Cells of plain
    equalities (the bulk of a big table) find their values through an index, not a scan."""
    by_value: dict = {}
    for v, value in enumerate(values):
        by_value.setdefault(_literal_key(value), []).append(v)
    hits: list[list[int]] = [[] for _ in values]
    for c, cell in enumerate(cells):
        if cell.is_any:
            continue
        if all(isinstance(t, Equal) for t in cell.tests):
            found = {v for t in cell.tests for v in by_value.get(_literal_key(t.value), ())}
        else:
            found = (v for v, value in enumerate(values) if any(test_holds(t, value, value_sets) for t in cell.tests))
        for v in found:
            hits[v].append(c)
    return [frozenset(h) for h in hits]


def _unions(elements: list, hits: list[frozenset], negated: frozenset, at_once: int,
            column: str) -> tuple[list, list]:
    """The lists that answer differently: one shortest list per distinct union of element classes.

    Classes that hit a negated cell combine freely (their closure from the empty list). The others
    only switch cells on: a list with fewer of them holds fewer cells, so it matches no row the
    longer one does not, and a check needs no more of them than the rows it needs to hold at once
    (`at_once`: two for an overlap, one for a row that fires).
    """
    classes: dict[frozenset, str] = {}
    for element, hit in zip(elements, hits, strict=True):
        classes.setdefault(hit, element)
    turning_off = [(hit, (e,)) for hit, e in classes.items() if hit & negated]
    turning_on = [(hit, (e,)) for hit, e in classes.items() if hit and not hit & negated]
    reached: dict[frozenset, tuple] = {frozenset(): ()}
    for hit, items in turning_off:
        for union, have in list(reached.items()):
            reached.setdefault(union | hit, have + items)
        _limit(len(reached), column)
    extras = turning_on + ([(h1 | h2, e1 + e2) for (h1, e1), (h2, e2) in combinations(turning_on, 2)]
                           if at_once > 1 else [])
    _limit(len(reached) * (1 + len(extras)), column)
    for union, have in list(reached.items()):
        for hit, items in extras:
            reached.setdefault(union | hit, have + items)
    return list(reached.values()), list(reached)


def _limit(count: int, column: str) -> None:
    if count > MAX_REPRESENTATIVES:
        raise AnalysisBudgetExceeded(f"column {column} has more than {MAX_REPRESENTATIVES:,} values "
                                     "that match different sets of rows")


class _Columns:
    """Per column: representatives deduplicated by how the cells answer, the rows each leaves
    possible, and which representatives hold for a given row's cell."""

    def __init__(self, table: Table, value_sets: dict[str, ValueSet], at_once: int):
        self.names, self.reps, self.masks = [], [], []
        self._cells, self._hits, self._row_cell, self._hit_reps = [], [], [], []
        for inp in table.inputs:
            cell_rows: dict = {}
            for rule in table.rules:
                cell_rows.setdefault(rule.cell(inp.name), []).append(rule.index)
            if all(c.is_any for c in cell_rows):
                continue
            cells = list(cell_rows)
            values = _values(inp, table, value_sets)
            hits = _hits(cells, values, value_sets)
            if inp.type is ColumnType.LIST:
                negated = frozenset(c for c, cell in enumerate(cells) if cell.negated)
                values, hits = _unions(values, hits, negated, at_once, inp.name)
            else:
                unique: dict[frozenset, object] = {}
                for value, hit in zip(values, hits, strict=True):
                    unique.setdefault(hit, value)
                hits, values = list(unique), list(unique.values())
            _limit(len(values), inp.name)
            # each row has one cell per column, so cells' row sets are disjoint: a hit cell flips its rows
            cell_masks = [sum(1 << i for i in cell_rows[cell]) for cell in cells]
            base = 0
            for cell, mask in zip(cells, cell_masks, strict=True):
                if cell.is_any or cell.negated:
                    base |= mask
            masks, hit_reps = [], [[] for _ in cells]
            for r, hit in enumerate(hits):
                mask = base
                for c in hit:
                    mask ^= cell_masks[c]
                    hit_reps[c].append(r)
                masks.append(mask)
            row_cell = [0] * len(table.rules)
            for c, cell in enumerate(cells):
                for row in cell_rows[cell]:
                    row_cell[row] = c
            self.names.append(inp.name)
            self.reps.append(values)
            self.masks.append(masks)
            self._cells.append(cells)
            self._hits.append(hits)
            self._row_cell.append(row_cell)
            self._hit_reps.append(hit_reps)

    def holding(self, column: int, row: int):
        """The representatives of a column where the row's cell holds."""
        c = self._row_cell[column][row]
        cell, hits = self._cells[column][c], self._hits[column]
        if cell.is_any:
            return range(len(hits))
        if not cell.negated:
            return self._hit_reps[column][c]
        return (r for r, hit in enumerate(hits) if c not in hit)


class _Search:
    def __init__(self, table: Table, value_sets, at_once: int):
        self.table = table
        self.cols = _Columns(table, value_sets, at_once)
        self.steps = 0

    def _tick(self):
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise AnalysisBudgetExceeded(f"the search needs more than {MAX_STEPS:,} steps")

    def find(self, mask: int, accept, prune, row: int | None = None) -> dict | None:
        """A point (one representative per column) whose rows `accept(mask)` takes, or None.

        Depth-first over columns; `prune(mask)` cuts a branch; with `row`, only representatives
        where that row's cells hold are tried. A (column, rows) pair searched in vain is not
        searched again: other choices that leave the same rows possible end the same way.
        """
        cols, failed = self.cols, set()

        def walk(mask: int, depth: int, chosen: tuple) -> dict | None:
            self._tick()
            if prune(mask) or (depth, mask) in failed:
                return None
            if depth == len(cols.names):
                if accept(mask):
                    return {cols.names[i]: cols.reps[i][r] for i, r in enumerate(chosen)}
            else:
                masks = cols.masks[depth]
                for r in cols.holding(depth, row) if row is not None else range(len(masks)):
                    found = walk(mask & masks[r], depth + 1, chosen + (r,))
                    if found is not None:
                        return found
            failed.add((depth, mask))
            return None

        return walk(mask, 0, ())


def _everything(table: Table) -> int:
    return (1 << len(table.rules)) - 1


def find_gap(search: _Search) -> dict | None:
    """A case no row matches, if there is one."""
    return search.find(_everything(search.table), accept=lambda m: m == 0, prune=lambda m: False)


def find_overlaps(search: _Search, limit: int = 10, same_outputs_ok: bool = False) -> list[Witness]:
    """Pairs of rows that can both match one case (for ANY: only pairs whose outputs differ)."""
    table = search.table
    reported: set[tuple[int, int]] = set()
    newest: list = []

    def accept(mask):
        members = [r for r in table.rules if mask >> r.index & 1]
        for a, b in combinations(members, 2):
            if (a.index, b.index) in reported or (same_outputs_ok and a.then == b.then):
                continue
            reported.add((a.index, b.index))
            newest.append((a, b))
            return True
        return False

    witnesses = []
    while len(witnesses) < limit:
        point = search.find(_everything(table), accept, prune=lambda m: m & (m - 1) == 0)
        if point is None:
            break
        a, b = newest.pop()
        witnesses.append(Witness((a.id, b.id), point))
    return witnesses


def find_unreachable(search: _Search) -> list[str]:
    """Rows of a FIRST table that every case they match is taken by an earlier row."""
    unreachable = []
    for rule in search.table.rules:
        own = 1 << rule.index
        earlier = own - 1
        found = search.find(own | earlier, accept=lambda m, o=own, e=earlier: m & o and not m & e,
                            prune=lambda m, o=own: not m & o, row=rule.index)
        if found is None:
            unreachable.append(rule.id)
    return unreachable


def check(table: Table, value_sets) -> list[tuple[str, str | None]]:
    """(message, row id) for every static problem the hit policy forbids, or one saying the table
    is too large to prove free of them."""
    policy = table.hit_policy
    # single-hit tables, and min/max of no rows, have no answer when nothing matches
    gaps_break = (policy.single_hit or table.aggregation in (Aggregation.MIN, Aggregation.MAX)) \
        and table.default is None
    if not (gaps_break or policy in (HitPolicy.UNIQUE, HitPolicy.ANY, HitPolicy.FIRST)):
        return []
    problems = []
    try:
        overlaps = policy in (HitPolicy.UNIQUE, HitPolicy.ANY)
        search = _Search(table, value_sets, at_once=2 if overlaps else 1)
        if overlaps:
            for w in find_overlaps(search, same_outputs_ok=policy is HitPolicy.ANY):
                what = "overlap" if policy is HitPolicy.UNIQUE else "overlap with different outputs"
                problems.append((f"rows {w.rows[0]} and {w.rows[1]} {what} under {policy.value}, "
                                 f"e.g. for {_show(w.point)}", w.rows[1]))
        if policy is HitPolicy.FIRST:
            for row in find_unreachable(search):
                problems.append(("can never fire under FIRST: earlier rows match every case it matches", row))
        gap = find_gap(search) if gaps_break else None
        if gap is not None:
            problems.append((f"no row matches some cases, e.g. {_show(gap)}; add a row or a `default`", None))
    except AnalysisBudgetExceeded as exc:
        return [(f"too large to prove free of overlaps and gaps: {exc}; split it into smaller tables, "
                 "or gather literals that lead to the same rows into a value set", None)]
    return problems


def _show(point: dict) -> str:
    def fmt(v):
        if isinstance(v, tuple):
            return "[" + ", ".join(fmt(x) for x in v) + "]"
        if v == _OTHER:
            return "any other value"
        if isinstance(v, date):
            return f'date("{v.isoformat()}")'
        if isinstance(v, str) and v.endswith("\u0000x"):
            return f"a code under {v[:-2]!r}"
        return repr(v)
    return ", ".join(f"{k}={fmt(v)}" for k, v in point.items()) or "every case"
