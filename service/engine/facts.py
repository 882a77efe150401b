"""Case values -> the typed facts the engine matches (one per table, or per item of an `each`)."""
from __future__ import annotations

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


def table_inputs(policy: Policy, table: Table, case: CaseFacts, outputs: dict, item: dict | None) -> dict:
    """The value of every input of `table` for this case (and item)."""
    values = {}
    for inp in table.inputs:
        source = policy.sources[(table.name, inp.name)]
        if source.kind is SourceKind.FACT:
            raw, path = case.values.get(source.path), source.path
        elif source.kind is SourceKind.ITEM:
            raw, path = item.get(source.path), f"{table.each}[].{source.path}"
        else:
            result = outputs[source.table]
            raw = tuple(r[source.path] for r in result) if isinstance(result, list) else result[source.path]
            path = f"{source.table}.{source.path}"
        values[inp.name] = input_value(inp, raw, path)
    return values


def engine_fact(layout: Layout, values: dict, value_sets, fact_id: str, item_index: int) -> tuple[dict, str | None]:
    """The fact to post, and for a sharded table the shard ruleset it belongs to."""
    fact = {"$t": layout.table, "$i": item_index, "id": fact_id}
    for name, field in layout.fields.items():
        value = values[name]
        fact[field] = segment_of(layout.segments[name], value) if name in layout.segments else value
    for flag in layout.flags:
        fact[flag.field] = cell_holds(Cell((flag.test,)), values[flag.input], value_sets)
    for group in range(layout.groups):
        fact[f"$g{group}"] = True
    ruleset = None
    if layout.shard is not None and layout.shard.partitions:
        ruleset, fact["$b"] = place(layout.shard, fact[layout.shard.field])
    return fact, ruleset
