"""The table model: frozen data, nothing that runs. Compiled artefacts live elsewhere."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from .unary import ANY, Cell, Scalar


class HitPolicy(str, Enum):
    UNIQUE = "UNIQUE"
    ANY = "ANY"
    FIRST = "FIRST"
    PRIORITY = "PRIORITY"
    COLLECT = "COLLECT"
    RULE_ORDER = "RULE ORDER"

    @property
    def single_hit(self) -> bool:
        return self in (HitPolicy.UNIQUE, HitPolicy.ANY, HitPolicy.FIRST, HitPolicy.PRIORITY)


class Aggregation(str, Enum):
    SUM = "sum"
    COUNT = "count"
    MIN = "min"
    MAX = "max"


class ColumnType(str, Enum):
    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    LIST = "list"  # a list of strings; tests hold when they hold for some element
    DATE = "date"  # a calendar day; compared like a number (cells write date("YYYY-MM-DD"))


class Transform(str, Enum):
    """Turns a list fact into a scalar input."""

    COUNT = "count"          # -> number
    NON_EMPTY = "non_empty"  # -> boolean


@dataclass(frozen=True)
class Input:
    name: str
    source: str                       # a case-fact path, `item.<field>`, or `<table>.<output>`
    type: ColumnType
    transform: Transform | None = None
    values: tuple[str, ...] | None = None   # the closed domain of a string input, if known
    default: Scalar | None = None           # used when the fact is absent


@dataclass(frozen=True)
class Output:
    name: str
    type: ColumnType
    allowed: tuple[Scalar, ...] | None = None   # also the priority order for PRIORITY


@dataclass(frozen=True)
class Rule:
    id: str
    index: int
    annotation: str
    when: dict[str, Cell] = field(hash=False)       # input name -> cell; absent means "-"
    then: dict[str, Scalar] = field(hash=False)     # output name -> value

    def cell(self, input_name: str) -> Cell:
        return self.when.get(input_name, ANY)


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    hit_policy: HitPolicy
    inputs: tuple[Input, ...]
    outputs: tuple[Output, ...]
    rules: tuple[Rule, ...]
    aggregation: Aggregation | None = None
    default: dict[str, Scalar] | None = field(default=None, hash=False)
    each: str | None = None          # evaluate once per item of this case collection
    file: str = "<memory>"
    origin: str = "base"             # "base" or the payer id whose folder holds it
    version: int = 1
    base_label: str | None = None    # the base version a payer's overlay was applied to ("base@3")

    @property
    def version_label(self) -> str:
        """Both versions of an overlaid table ("base@3 + acme-health@2"): either can change its answers."""
        own = f"{self.origin}@{self.version}"
        return f"{self.base_label} + {own}" if self.base_label else own

    def input(self, name: str) -> Input | None:
        return next((i for i in self.inputs if i.name == name), None)

    def output(self, name: str) -> Output | None:
        return next((o for o in self.outputs if o.name == name), None)


class MatchKind(str, Enum):
    EXACT = "exact"
    PREFIX = "prefix"   # ICD-10 style: "M54" covers "M54.50"


@dataclass(frozen=True)
class ValueSet:
    name: str
    title: str
    match: MatchKind
    codes: frozenset[str]
    file: str = "<memory>"
    origin: str = "base"
    version: int = 1

    @property
    def version_label(self) -> str:
        return f"{self.origin}@{self.version}"

    def contains(self, value: str) -> bool:
        """Hash lookups only: the value itself, or each of its prefixes for a prefix set."""
        if self.match is MatchKind.EXACT:
            return value in self.codes
        return any(value[:n] in self.codes for n in range(1, len(value) + 1))
