"""Case values -> the typed facts the engine matches (one per table, or per item of an `each`)."""
from __future__ import annotations

from datetime import date

from ..case_facts import CaseFacts, empty_value
from ..tables.model import ColumnType, Input, Table, Transform
from ..tables.policy import Policy, SourceKind
from ..tables.semantics import cell_holds
from ..tables.unary import Cell
from .compile import Layout, place, segment_of


class CaseFactError(ValueError):
    """A fact has the wrong type or a value outside its input's domain; names the path only."""

    def __init__(self, path: str, message: str):
        self.path, self.message = path, message
        super().__init__(f"{path}: {message}")


def _typed(path: str, value, type_: ColumnType):
    if type_ is ColumnType.BOOLEAN:
        ok = isinstance(value, bool)
    elif type_ is ColumnType.NUMBER:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value == value \
            and value not in (float("inf"), float("-inf"))
    elif type_ is ColumnType.STRING:
        ok = isinstance(value, str)
    elif type_ is ColumnType.DATE:
        ok = isinstance(value, date)
    else:
        ok = isinstance(value, tuple) and all(isinstance(v, str) for v in value)
    if not ok:
        raise CaseFactError(path, f"must be a {type_.value}")
    return value


def input_value(inp: Input, raw, path: str):
    """Apply absence, transform and type rules to one raw value."""
    if raw is None:
        if inp.default is not None:
            return inp.default
        raw = () if inp.transform is not None else None
    if inp.transform is Transform.COUNT:
        return len(_typed(path, tuple(raw), ColumnType.LIST))
    if inp.transform is Transform.NON_EMPTY:
        return len(_typed(path, tuple(raw), ColumnType.LIST)) > 0
    if raw is None:
        return empty_value(inp.type)
    if inp.type is ColumnType.LIST and isinstance(raw, list):
        raw = tuple(raw)
    value = _typed(path, raw, inp.type)
    if inp.values is not None and value != "" and value not in inp.values:
        raise CaseFactError(path, f"must be one of {', '.join(inp.values)}")
    return value


class TableProjector:
    """`table_inputs` and `engine_fact` for one table, with every lookup done once at start-up."""

    def __init__(self, policy: Policy, table: Table, layout: Layout):
        self.table, self.layout, self.value_sets = table, layout, policy.value_sets
        self.each = table.each
        self.inputs = []
        for inp in table.inputs:
            source = policy.sources[(table.name, inp.name)]
            if source.kind is SourceKind.FACT:
                path = source.path
            elif source.kind is SourceKind.ITEM:
                path = f"{table.each}[].{source.path}"
            else:
                path = f"{source.table}.{source.path}"
            self.inputs.append((inp, source.kind, source.path, source.table, path))
        self.fields = [(name, f, layout.segments.get(name)) for name, f in layout.fields.items()]
        self.flags = [(flag.field, flag.input, Cell((flag.test,))) for flag in layout.flags]
        self.groups = [f"$g{g}" for g in range(layout.groups)]

    def values(self, case: CaseFacts, outputs: dict, item: dict | None) -> dict:
        values = {}
        for inp, kind, key, table, path in self.inputs:
            if kind is SourceKind.FACT:
                raw = case.values.get(key)
            elif kind is SourceKind.ITEM:
                raw = item.get(key)
            else:
                result = outputs[table]
                raw = tuple(r[key] for r in result) if isinstance(result, list) else result[key]
            values[inp.name] = input_value(inp, raw, path)
        return values

    def fact(self, values: dict, fact_id: str, item_index: int) -> dict:
        fact = {"$t": self.table.name, "$i": item_index, "id": fact_id}
        for name, field, segments in self.fields:
            value = values[name]
            fact[field] = segment_of(segments, value) if segments is not None else value
        for field, name, cell in self.flags:
            fact[field] = cell_holds(cell, values[name], self.value_sets)
        for group in self.groups:
            fact[group] = True
        shard = self.layout.shard
        if shard is not None and shard.partitions:
            fact["$b"] = place(shard, fact[shard.field])[1]
        return fact
