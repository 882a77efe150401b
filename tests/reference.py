"""A reference evaluator for tests only: the table model interpreted in plain Python.

It shares nothing with the engine but the model, the hit-policy function (tested on its own in
tests/unit/test_hit_policy_*.py) and the case-fact derivation; every row is tested against every
input directly, so it is slow and obviously right.
"""
from __future__ import annotations

from datetime import date

from service.case_facts import CaseFacts, empty_value
from service.engine.hit_policy import HitPolicyViolation, resolve
from service.tables.model import ColumnType, Transform
from service.tables.policy import Policy, SourceKind
from service.tables.unary import Compare, Equal, InSet, Interval


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _alike(v, bound) -> bool:
    """Two numbers, or two dates."""
    return (_number(v) and _number(bound)) or (isinstance(v, date) and isinstance(bound, date))


def _one(test, v, value_sets) -> bool:
    if isinstance(test, Equal):
        if isinstance(test.value, bool) or isinstance(v, bool):
            return isinstance(test.value, bool) and isinstance(v, bool) and test.value == v
        if _number(test.value):
            return _number(v) and v == test.value
        return type(v) is type(test.value) and v == test.value
    if isinstance(test, Compare):
        return _alike(v, test.value) and {"<": v < test.value, "<=": v <= test.value,
                                          ">": v > test.value, ">=": v >= test.value}[test.op]
    if isinstance(test, Interval):
        if not _alike(v, test.low):
            return False
        above = v >= test.low if test.low_closed else v > test.low
        below = v <= test.high if test.high_closed else v < test.high
        return above and below
    assert isinstance(test, InSet)
    return isinstance(v, str) and value_sets[test.name].contains(v)


def cell_matches(cell, value, value_sets) -> bool:
    if not cell.tests:
        return True
    values = list(value) if isinstance(value, tuple) else [value]
    found = any(_one(t, v, value_sets) for t in cell.tests for v in values)
    return found != cell.negated


def _input(inp, raw):
    if raw is None:
        raw = inp.default if inp.default is not None else (() if inp.transform else empty_value(inp.type))
    if inp.transform is Transform.COUNT:
        return len(raw)
    if inp.transform is Transform.NON_EMPTY:
        return len(raw) > 0
    return tuple(raw) if inp.type is ColumnType.LIST else raw


def evaluate(policy: Policy, case: CaseFacts) -> dict:
    """(table, item or None) -> ("ok", matched rows, value) or ("violation", None, None)."""
    results, outputs = {}, {}
    for name in policy.order:
        table = policy.tables[name]
        items = list(enumerate(case.items[table.each])) if table.each else [(None, None)]
        for index, item in items:
            values = {}
            for inp in table.inputs:
                source = policy.sources[(name, inp.name)]
                if source.kind is SourceKind.FACT:
                    raw = case.values.get(source.path)
                elif source.kind is SourceKind.ITEM:
                    raw = item[source.path]
                else:
                    out = outputs[source.table]
                    raw = tuple(o[source.path] for o in out) if isinstance(out, list) else out[source.path]
                values[inp.name] = _input(inp, raw)
            matched = [r.index for r in table.rules
                       if all(cell_matches(r.cell(i.name), values[i.name], policy.value_sets) for i in table.inputs)]
            try:
                resolution = resolve(table, matched)
            except HitPolicyViolation:
                results[(name, index)] = ("violation", None, None)
                return results
            results[(name, index)] = ("ok", tuple(matched), resolution.value)
            if index is None:
                outputs[name] = resolution.value
    return results
