"""What a cell means for a value: the one definition the validator's analysis relies on."""
from __future__ import annotations

import operator
from datetime import date

from .model import ValueSet
from .unary import Cell, Compare, Equal, InSet, Interval, Test

_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _ordered(value, bound) -> bool:
    """Comparable without coercion: two numbers, or two dates."""
    if isinstance(bound, date):
        return isinstance(value, date)
    return _is_number(value) and _is_number(bound)


def test_holds(test: Test, value, value_sets: dict[str, ValueSet]) -> bool:
    """One test against one scalar. Types never coerce: "10" is not 10, true is not 1."""
    if isinstance(test, Equal):
        a, b = value, test.value
        if isinstance(a, bool) or isinstance(b, bool):
            return isinstance(a, bool) and isinstance(b, bool) and a is b
        if _is_number(a) and _is_number(b):
            return a == b
        return type(a) is type(b) and a == b
    if isinstance(test, Compare):
        return _ordered(value, test.value) and _COMPARE[test.op](value, test.value)
    if isinstance(test, Interval):
        if not _ordered(value, test.low):
            return False
        low_ok = value >= test.low if test.low_closed else value > test.low
        high_ok = value <= test.high if test.high_closed else value < test.high
        return low_ok and high_ok
    if isinstance(test, InSet):
        return isinstance(value, str) and value_sets[test.name].contains(value)
    raise TypeError(f"unknown test {test!r}")


def cell_holds(cell: Cell, value, value_sets: dict[str, ValueSet]) -> bool:
    """A cell against an input value; on a list a test holds when it holds for some element."""
    if cell.is_any:
        return True
    elements = value if isinstance(value, tuple) else (value,)
    hit = any(test_holds(t, v, value_sets) for t in cell.tests for v in elements)
    return not hit if cell.negated else hit
