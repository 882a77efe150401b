"""A table model back to the document an analyst writes (cells as their text)."""
from __future__ import annotations

from .model import Table, ValueSet


def table_to_document(table: Table) -> dict:
    doc = {"table": table.name, "title": table.title, "hit_policy": table.hit_policy.value}
    if table.aggregation is not None:
        doc["aggregation"] = table.aggregation.value
    if table.each is not None:
        doc["each"] = table.each
    doc["inputs"] = {}
    for inp in table.inputs:
        spec = {"from": inp.source, "type": inp.type.value}
        if inp.transform is not None:
            spec["transform"] = inp.transform.value
        if inp.values is not None:
            spec["values"] = list(inp.values)
        if inp.default is not None:
            spec["default"] = inp.default
        doc["inputs"][inp.name] = spec
    doc["outputs"] = {o.name: {"type": o.type.value, **({"allowed": list(o.allowed)} if o.allowed else {})}
                      for o in table.outputs}
    if table.default is not None:
        doc["default"] = dict(table.default)
    doc["rules"] = [{"id": r.id, "annotation": r.annotation, "when": {k: c.text() for k, c in r.when.items()},
                     "then": dict(r.then)} for r in table.rules]
    return doc


def value_set_to_document(value_set: ValueSet) -> dict:
    return {"value_set": value_set.name, "title": value_set.title, "match": value_set.match.value,
            "codes": sorted(value_set.codes)}
