"""The DMN hit policies, applied to the rows that matched one evaluation of one table."""
from __future__ import annotations

from dataclasses import dataclass

from ..tables.model import Aggregation, HitPolicy, Table


class HitPolicyViolation(Exception):
    """The rows that matched break the table's hit policy (UNIQUE, ANY) or nothing matched."""


@dataclass(frozen=True)
class Resolution:
    selected: tuple[int, ...]     # row indices whose outputs make the result, in rule order
    value: object                 # dict for single hit / aggregation, list of dicts for COLLECT, RULE ORDER
    used_default: bool = False


def _priority_key(table: Table, index: int):
    then = table.rules[index].then
    return tuple(out.allowed.index(then[out.name]) for out in table.outputs) + (index,)


def resolve(table: Table, matched) -> Resolution:
    rows = sorted(set(matched))
    policy = table.hit_policy
    if policy.single_hit:
        if not rows:
            if table.default is None:
                raise HitPolicyViolation(f"table {table.name}: no row matched and the table has no default")
            return Resolution((), dict(table.default), used_default=True)
        if policy is HitPolicy.UNIQUE and len(rows) > 1:
            ids = ", ".join(table.rules[i].id for i in rows)
            raise HitPolicyViolation(f"table {table.name}: UNIQUE but rows {ids} all matched")
        if policy is HitPolicy.ANY and len({tuple(sorted(table.rules[i].then.items())) for i in rows}) > 1:
            ids = ", ".join(table.rules[i].id for i in rows)
            raise HitPolicyViolation(f"table {table.name}: ANY but rows {ids} matched with different outputs")
        chosen = min(rows, key=lambda i: _priority_key(table, i)) if policy is HitPolicy.PRIORITY else rows[0]
        return Resolution((chosen,), dict(table.rules[chosen].then))
    outputs = [dict(table.rules[i].then) for i in rows]
    if table.aggregation is None:
        return Resolution(tuple(rows), outputs)
    name = table.outputs[0].name
    values = [o[name] for o in outputs]
    if not values and table.default is not None:
        return Resolution((), dict(table.default), used_default=True)
    if table.aggregation is Aggregation.COUNT:
        result = len(values)
    elif table.aggregation is Aggregation.SUM:
        result = sum(values)
    elif table.aggregation is Aggregation.MIN:
        result = min(values)
    else:
        result = max(values)
    return Resolution(tuple(rows), {name: result})
