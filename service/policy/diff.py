"""Row-level differences between two versions of a document: what a reviewer reads, what the audit
log summarises. Rows and test cases are matched by id and name; value-set codes as sets."""
from __future__ import annotations

ITEMS = {"table": ("rules", "id"), "tests": ("cases", "name")}


def diff(kind: str, old: dict | None, new: dict) -> dict:
    """{"added", "removed", "changed", "properties"}: items by key, with before and after."""
    old = old or {}
    if kind == "value_set":
        before, after = set(old.get("codes") or ()), set(new.get("codes") or ())
        items = {"added": sorted(after - before), "removed": sorted(before - after), "changed": []}
        skip = {"codes"}
    else:
        field, key = ITEMS[kind]
        before = {r.get(key): r for r in old.get(field) or () if isinstance(r, dict)}
        after = {r.get(key): r for r in new.get(field) or () if isinstance(r, dict)}
        items = {"added": [after[k] for k in after if k not in before],
                 "removed": [before[k] for k in before if k not in after],
                 "changed": [{key: k, "before": before[k], "after": after[k]}
                             for k in after if k in before and before[k] != after[k]]}
        skip = {field}
    properties = {k: {"before": old.get(k), "after": new.get(k)}
                  for k in sorted(set(old) | set(new) - skip) if k not in skip and old.get(k) != new.get(k)}
    return {**items, "properties": properties, "new": not old}


def summary(kind: str, old: dict | None, new: dict) -> str:
    """One line for the audit log: which rows (codes, cases) were added, removed and changed."""
    d = diff(kind, old, new)
    if d["new"]:
        field = {"table": "rows", "tests": "cases", "value_set": "codes"}[kind]
        return f"new {kind.replace('_', ' ')} with {len(new.get(ITEMS.get(kind, ('codes',))[0]) or ())} {field}"
    key = ITEMS.get(kind, (None, None))[1]

    def ids(entries):
        return ", ".join(str(e.get(key) if isinstance(e, dict) and key else e) for e in entries)
    parts = [f"{label}: {ids(d[label])}" for label in ("added", "removed") if d[label]]
    if d["changed"]:
        parts.append(f"changed: {', '.join(str(c[key]) for c in d['changed'])}")
    if d["properties"]:
        parts.append(f"properties changed: {', '.join(d['properties'])}")
    noun = {"table": "rows", "tests": "cases", "value_set": "codes"}[kind]
    return f"{noun} " + "; ".join(parts) if parts else "no change"
