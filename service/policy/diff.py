"""Row-level differences between two versions of a document: what a reviewer reads, what the audit
log summarises. Rows, test cases and declared facts are matched by id and name; value-set codes as sets."""
from __future__ import annotations

ITEMS = {"table": ("rules", "id"), "tests": ("cases", "name"), "facts": ("declare", "name")}
NOUNS = {"table": "rows", "tests": "cases", "value_set": "codes", "facts": "facts"}


def _keyed(items, key: str) -> dict:
    """Items by key: a list of mappings that carry it, or a mapping of name to spec (declared facts)."""
    if isinstance(items, dict):
        return {name: {key: name, **spec} if isinstance(spec, dict) else spec for name, spec in items.items()}
    return {r.get(key): r for r in items or () if isinstance(r, dict)}


def diff(kind: str, old: dict | None, new: dict) -> dict:
    """{"added", "removed", "changed", "properties"}: items by key, with before and after."""
    old = old or {}
    if kind == "value_set":
        before, after = set(old.get("codes") or ()), set(new.get("codes") or ())
        items = {"added": sorted(after - before), "removed": sorted(before - after), "changed": []}
        skip = {"codes"}
    else:
        field, key = ITEMS[kind]
        before, after = _keyed(old.get(field), key), _keyed(new.get(field), key)
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
        what = "fact declaration" if kind == "facts" else kind.replace("_", " ")
        return f"new {what} with {len(new.get(ITEMS.get(kind, ('codes',))[0]) or ())} {NOUNS[kind]}"
    key = ITEMS.get(kind, (None, None))[1]

    def ids(entries):
        return ", ".join(str(e.get(key) if isinstance(e, dict) and key else e) for e in entries)
    parts = [f"{label}: {ids(d[label])}" for label in ("added", "removed") if d[label]]
    if d["changed"]:
        parts.append(f"changed: {', '.join(str(c[key]) for c in d['changed'])}")
    if d["properties"]:
        parts.append(f"properties changed: {', '.join(d['properties'])}")
    return f"{NOUNS[kind]} " + "; ".join(parts) if parts else "no change"
