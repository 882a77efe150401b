"""A validated policy: the tables in force for one payer, ready to compile."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from .model import ColumnType, Table, ValueSet


class SourceKind(str, Enum):
    FACT = "fact"      # a case-fact path
    ITEM = "item"      # a field of the current item of an `each` table
    TABLE = "table"    # another table's output


@dataclass(frozen=True)
class Source:
    kind: SourceKind
    path: str                      # fact path, item field, or output name
    table: str | None = None       # for TABLE sources
    type: ColumnType = ColumnType.STRING   # the type of the value before any transform


@dataclass(frozen=True)
class Policy:
    payer_id: str
    tables: dict[str, Table] = field(hash=False)
    value_sets: dict[str, ValueSet] = field(hash=False)
    order: tuple[str, ...]                         # tables in dependency order
    sources: dict[tuple[str, str], Source] = field(hash=False)   # (table, input) -> source
    facts: tuple = ()              # the payer's declared facts (DeclaredFact), read as `extensions.<name>`
    _upstream: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False, compare=False, repr=False)
    _readers: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False, compare=False, repr=False)

    def __post_init__(self):
        for name in self.order:
            names = {s.table for (t, _), s in self.sources.items() if t == name and s.kind is SourceKind.TABLE}
            self._upstream[name] = tuple(n for n in self.order if n in names)
        for name in self.order:
            self._readers[name] = tuple(t for t in self.order if name in self._upstream[t])

    def upstream(self, table: str) -> tuple[str, ...]:
        """The tables whose outputs `table` reads, in dependency order."""
        return self._upstream[table]

    def readers(self, table: str) -> tuple[str, ...]:
        return self._readers[table]

    @property
    def versions(self) -> dict[str, str]:
        return {name: self.tables[name].version_label for name in self.order}

    @property
    def value_set_versions(self) -> dict[str, str]:
        return {name: self.value_sets[name].version_label for name in sorted(self.value_sets)}
