"""Static checks of a table's rows: overlaps (UNIQUE, ANY), rows that can never fire (FIRST), gaps.

Each column's domain is cut into representative values, one per distinct way the column's cells
can answer (numbers split at every constant the cells mention; strings by literal and value-set
membership; lists as empty, single elements and pairs). A row set is a bitmask over rows; the
search walks the columns, intersecting masks, and stops at the first witness.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

from .model import ColumnType, HitPolicy, Input, MatchKind, Table, ValueSet
from .semantics import cell_holds
from .unary import Compare, Equal, InSet, Interval

MAX_STEPS = 2_000_000
_OTHER = "\u0000other"


class AnalysisBudgetExceeded(Exception):
    """The table is too irregular to analyse exhaustively within the step budget."""


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


def _reps(inp: Input, table: Table, value_sets) -> list:
    kind = inp.type
    if kind is ColumnType.BOOLEAN:
        return [True, False]
    if kind is ColumnType.NUMBER:
        constants = set()
        for rule in table.rules:
            for test in rule.cell(inp.name).tests:
                if isinstance(test, (Equal, Compare)) and not isinstance(test.value, (str, bool)):
                    constants.add(test.value)
                elif isinstance(test, Interval):
                    constants.update((test.low, test.high))
        return _number_reps(constants)
    elements = _string_reps(inp, table, value_sets)
    if kind is ColumnType.STRING:
        return elements
    singles = [(e,) for e in elements]
    pairs = list(combinations(elements, 2)) if len(elements) <= 12 else []
    return [()] + singles + pairs


def _literal_key(value):
    """Index key for an equality literal: booleans apart from numbers, 8 and 8.0 together."""
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, (int, float)):
        return ("n", value)
    return ("s", value)


class _Columns:
    """Per column: representatives deduplicated by how the cells answer, and row masks per rep.

    Cells that are plain equalities (the bulk of a big table) are found through an index of the
    representatives by value; only the other cells are evaluated against every representative.
    """

    def __init__(self, table: Table, value_sets: dict[str, ValueSet]):
        self.names, self.reps, self.masks, self.row_reps = [], [], [], []
        for inp in table.inputs:
            cell_rows: dict = {}
            for rule in table.rules:
                cell_rows.setdefault(rule.cell(inp.name), []).append(rule.index)
            if all(c.is_any for c in cell_rows):
                continue
            reps = _reps(inp, table, value_sets)
            by_value: dict = {}
            for r, rep in enumerate(reps):
                for element in (rep if isinstance(rep, tuple) else (rep,)):
                    by_value.setdefault(_literal_key(element), []).append(r)
            holding: list[list] = [[] for _ in reps]       # cell ids holding at each rep
            cells = list(cell_rows)
            for c, cell in enumerate(cells):
                if not cell.negated and cell.tests and all(isinstance(t, Equal) for t in cell.tests):
                    found = {r for t in cell.tests for r in by_value.get(_literal_key(t.value), ())}
                else:
                    found = (r for r, rep in enumerate(reps) if cell_holds(cell, rep, value_sets))
                for r in found:
                    holding[r].append(c)
            seen: dict = {}
            kept_reps, masks = [], []
            cell_masks = [sum(1 << i for i in cell_rows[cell]) for cell in cells]
            keep_index = []
            for r, rep in enumerate(reps):
                signature = tuple(sorted(holding[r]))
                if signature in seen:
                    continue
                seen[signature] = len(kept_reps)
                mask = 0
                for c in signature:
                    mask |= cell_masks[c]
                kept_reps.append(rep)
                masks.append(mask)
                keep_index.append(signature)
            per_row = [[] for _ in table.rules]
            for k, signature in enumerate(keep_index):
                for c in signature:
                    for row in cell_rows[cells[c]]:
                        per_row[row].append(k)
            self.names.append(inp.name)
            self.reps.append(kept_reps)
            self.masks.append(masks)
            self.row_reps.append(per_row)


class _Search:
    def __init__(self, table: Table, value_sets):
        self.table = table
        self.cols = _Columns(table, value_sets)
        self.steps = 0

    def _tick(self):
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise AnalysisBudgetExceeded(self.table.name)

    def _point(self, chosen) -> dict:
        return {self.cols.names[i]: self.cols.reps[i][r] for i, r in enumerate(chosen)}

    def find(self, mask: int, accept, prune, depth: int = 0, chosen=(), row: int | None = None):
        """Depth-first over columns; `accept(mask)` at a leaf, `prune(mask)` cuts a branch.

        With `row`, only the representatives where that row's cells hold are tried.
        """
        self._tick()
        if prune(mask):
            return None
        if depth == len(self.cols.names):
            return (mask, self._point(chosen)) if accept(mask) else None
        masks = self.cols.masks[depth]
        candidates = self.cols.row_reps[depth][row] if row is not None else range(len(masks))
        for r in candidates:
            found = self.find(mask & masks[r], accept, prune, depth + 1, chosen + (r,), row)
            if found:
                return found
        return None


def _ids(table: Table, mask: int) -> tuple[str, ...]:
    return tuple(rule.id for rule in table.rules if mask >> rule.index & 1)


def find_gap(table: Table, value_sets) -> Witness | None:
    """A case no row matches, if there is one."""
    search = _Search(table, value_sets)
    everything = (1 << len(table.rules)) - 1
    found = search.find(everything, accept=lambda m: m == 0, prune=lambda m: False)
    if found is None:
        return None
    return Witness((), found[1])


def find_overlaps(table: Table, value_sets, limit: int = 10, same_outputs_ok: bool = False) -> list[Witness]:
    """Pairs of rows that can both match one case (for ANY: only pairs whose outputs differ)."""
    search = _Search(table, value_sets)
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
    everything = (1 << len(table.rules)) - 1
    while len(witnesses) < limit:
        found = search.find(everything, accept, prune=lambda m: m & (m - 1) == 0)
        if found is None:
            break
        a, b = newest.pop()
        witnesses.append(Witness((a.id, b.id), found[1]))
    return witnesses


def find_unreachable(table: Table, value_sets) -> list[str]:
    """Rows of a FIRST table that every case they match is taken by an earlier row."""
    search = _Search(table, value_sets)
    unreachable = []
    for rule in table.rules:
        own = 1 << rule.index
        earlier = own - 1
        found = search.find(own | earlier, accept=lambda m, o=own, e=earlier: m & o and not m & e,
                            prune=lambda m, o=own: not m & o, row=rule.index)
        if found is None:
            unreachable.append(rule.id)
    return unreachable


def check(table: Table, value_sets) -> list[tuple[str, str | None]]:
    """(message, row id) for every static problem the hit policy forbids."""
    problems = []
    policy = table.hit_policy
    if policy in (HitPolicy.UNIQUE, HitPolicy.ANY):
        for w in find_overlaps(table, value_sets, same_outputs_ok=policy is HitPolicy.ANY):
            what = "overlap" if policy is HitPolicy.UNIQUE else "overlap with different outputs"
            problems.append((f"rows {w.rows[0]} and {w.rows[1]} {what} under {policy.value}, "
                             f"e.g. for {_show(w.point)}", w.rows[1]))
    if policy is HitPolicy.FIRST:
        for row in find_unreachable(table, value_sets):
            problems.append(("can never fire under FIRST: earlier rows match every case it matches", row))
    if policy.single_hit and table.default is None:
        gap = find_gap(table, value_sets)
        if gap is not None:
            problems.append((f"no row matches some cases, e.g. {_show(gap.point)}; add a row or a `default`", None))
    return problems


def _show(point: dict) -> str:
    def fmt(v):
        if isinstance(v, tuple):
            return "[" + ", ".join(fmt(x) for x in v) + "]"
        if v == _OTHER:
            return "any other value"
        if isinstance(v, str) and v.endswith("\u0000x"):
            return f"a code under {v[:-2]!r}"
        return repr(v)
    return ", ".join(f"{k}={fmt(v)}" for k, v in point.items()) or "every case"
