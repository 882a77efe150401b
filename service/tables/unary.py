"""Cell text -> condition tree. A real parser (lark); a cell is data, never code."""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Union

from lark import Lark, Token, Transformer
from lark.exceptions import LarkError

Scalar = Union[str, int, float, bool]
Bound = Union[int, float, date]       # what comparisons and intervals take: numbers, or dates


@dataclass(frozen=True)
class Equal:
    value: Scalar | date


@dataclass(frozen=True)
class Compare:
    op: str  # one of < <= > >=
    value: Bound


@dataclass(frozen=True)
class Interval:
    low: Bound
    low_closed: bool
    high: Bound
    high_closed: bool


@dataclass(frozen=True)
class InSet:
    name: str


Test = Union[Equal, Compare, Interval, InSet]


@dataclass(frozen=True)
class Cell:
    """`tests` empty means "-" (any value); otherwise any test holds, or none when negated."""

    tests: tuple[Test, ...] = ()
    negated: bool = False

    @property
    def is_any(self) -> bool:
        return not self.tests

    def text(self) -> str:
        if self.is_any:
            return "-"
        body = ", ".join(_test_text(t) for t in self.tests)
        return f"not({body})" if self.negated else body


ANY = Cell()


def _number_text(n: Bound) -> str:
    return f'date("{n.isoformat()}")' if isinstance(n, date) else json.dumps(n)


def _test_text(test: Test) -> str:
    if isinstance(test, Equal):
        return _number_text(test.value) if isinstance(test.value, date) else json.dumps(test.value)
    if isinstance(test, Compare):
        return f"{test.op} {_number_text(test.value)}"
    if isinstance(test, Interval):
        return (f"{'[' if test.low_closed else '('}{_number_text(test.low)}.."
                f"{_number_text(test.high)}{']' if test.high_closed else ')'}")
    return f"in {test.name}"


class CellParseError(ValueError):
    """Raised with a message fit for an analyst; the loader adds file/table/row/column."""


def _to_number(text: str) -> int | float:
    value = float(text)
    if math.isinf(value) or math.isnan(value):
        raise CellParseError(f"number {text!r} is out of range")
    if value.is_integer() and not any(c in text for c in ".eE"):
        return int(text)
    return value


def iso_day(text: str) -> date | None:
    """"2026-01-01" -> that day; only the YYYY-MM-DD form, so a table reads one way to everyone."""
    try:
        return date.fromisoformat(text) if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text) else None
    except ValueError:
        return None


def _to_date(literal: str) -> date:
    try:
        day = iso_day(json.loads(literal))
    except ValueError:
        day = None
    if day is None:
        raise CellParseError(f'not a date: write date("YYYY-MM-DD"), not date({literal})')
    return day


class _ToTree(Transformer):
    def any_value(self, _):
        return ANY

    def negation(self, items):
        return Cell(tests=items[1], negated=True)

    def open(self, items):
        return str(items[0])

    def close(self, items):
        return str(items[0])

    def start(self, items):
        return Cell(tests=items[0])

    def positive_tests(self, items):
        return tuple(items)

    def number(self, items):
        return _to_number(str(items[0]))

    def date(self, items):
        return _to_date(str(items[1]))

    def equal(self, items):
        (value,) = items
        if isinstance(value, Token):
            if value.type == "TRUE":
                return Equal(True)
            if value.type == "FALSE":
                return Equal(False)
            try:
                return Equal(json.loads(str(value)))
            except ValueError as exc:
                raise CellParseError(f"bad string literal {str(value)!r}") from exc
        return Equal(value)

    def compare(self, items):
        return Compare(str(items[0]), items[1])

    def interval(self, items):
        open_, low, high, close = items
        if isinstance(low, date) != isinstance(high, date):
            raise CellParseError("an interval's ends are both numbers or both dates")
        if low > high:
            raise CellParseError(f"interval low end {low} is above its high end {high}")
        return Interval(low, str(open_) == "[", high, str(close) == "]")

    def in_set(self, items):
        return InSet(str(items[0]))


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = (Path(__file__).with_name("unary.lark")).read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", maybe_placeholders=False)


MAX_CELL_LENGTH = 4096


@lru_cache(maxsize=65536)
def parse_cell(text: str) -> Cell:
    """Parse one cell's text; raise CellParseError saying what is wrong."""
    if len(text) > MAX_CELL_LENGTH:
        raise CellParseError(f"cell is longer than {MAX_CELL_LENGTH} characters")
    stripped = text.strip()
    if stripped == "":
        return ANY
    try:
        tree = _parser().parse(stripped)
        return _ToTree().transform(tree)
    except CellParseError:
        raise
    except LarkError as exc:
        inner = getattr(exc, "orig_exc", None)
        if isinstance(inner, CellParseError):
            raise inner from exc
        if re.fullmatch(r"in(\s+\S*)?", stripped):
            raise CellParseError("not a unary test: `in` takes a value set name of lowercase letters, "
                                 "digits and _") from exc
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_ .]*", stripped):
            raise CellParseError(
                f"not a unary test: {stripped!r} is a bare word; quote strings (\"{stripped}\")"
                " or write `in <value set>`") from exc
        raise CellParseError(f"not a unary test: {_describe(exc)}") from exc


def _describe(exc: LarkError) -> str:
    column = getattr(exc, "column", None)
    if column is not None and column != -1:
        return f"unexpected input at character {column}"
    return "unexpected end of cell"


def cell_from_yaml(value: object) -> Cell:
    """A YAML scalar cell: booleans and numbers are literal tests, strings are parsed."""
    if value is None:
        return ANY
    if isinstance(value, bool):
        return Cell(tests=(Equal(value),))
    if isinstance(value, (int, float)):
        if isinstance(value, float) and (math.isinf(value) or math.isnan(value)):
            raise CellParseError("number is not finite")
        return Cell(tests=(Equal(value),))
    if isinstance(value, str):
        return parse_cell(value)
    if isinstance(value, date):
        raise CellParseError(f'a date cell is text: write \'date("{value.isoformat()}")\' in quotes')
    raise CellParseError(f"a cell must be text, a number or a boolean, not {type(value).__name__}")
