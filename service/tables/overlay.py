"""A payer's table that extends the base table of the same name instead of copying it.

An overlay names the base table (`extends`) and says only what differs: rows added (each placed
`before` or `after` a base row, else at the end), replaced or removed by id; inputs and outputs
added; a new title or default. It is applied to the base table in force on each date, so a change
to base reaches every payer that extends it, and a base change that would break an overlay is
refused. Pure: documents in, a table document (or every problem, located) out.
"""
from __future__ import annotations

from .errors import CellSyntaxError, LoadError, Problem, ValidationError
from .loader import (NAME, ROW_ID, _Collector, _columns, _is_cell_problem, _read_input, _read_output,
                     _read_outputs, _read_rule, _title, table_from_document)

KEYS = ("extends", "table", "title", "inputs", "outputs", "default", "rows", "version")
ROW_OPERATIONS = ("add", "replace", "remove")
PLACES = ("before", "after")


def is_overlay(document: object) -> bool:
    return isinstance(document, dict) and "extends" in document


def check(document: object, file: str) -> str:
    """The name of the table an overlay extends, or LoadError (CellSyntaxError for a bad cell)
    naming file, table, row and column: everything about an overlay that needs no base."""
    if not isinstance(document, dict):
        raise LoadError(Problem("a table document is a mapping", file=file))
    name = document.get("extends")
    out = _Collector(file, name if isinstance(name, str) else None)
    if not isinstance(name, str) or not NAME.match(name):
        out.add(f"`extends` must name a base table, matching {NAME.pattern}")
    elif document.get("table", name) != name:
        out.add("`table` may be left out of an overlay; given, it is the name the overlay `extends`")
    unknown = set(document) - set(KEYS)
    if unknown:
        out.add(f"unknown keys {sorted(unknown)}: an overlay may give only {', '.join(KEYS)} "
                "(hit policy, aggregation and `each` are the base table's)")
    _title(document, out)
    version = document.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        out.add("`version` must be a whole number >= 1")
    for key, reader in (("inputs", _read_input), ("outputs", _read_output)):
        if key in document:
            _columns(document, key, reader, out)
    default = document.get("default")
    if isinstance(default, dict):
        _read_outputs(default, "default", out)
    elif default is not None:
        out.add("`default` must map output names to values")
    _check_rows(document.get("rows", {}), out)
    if out.problems:
        cells = any(_is_cell_problem(p) for p in out.problems)
        raise (CellSyntaxError if cells else LoadError)(out.problems)
    return name


def _check_rows(rows: object, out: _Collector) -> None:
    if not isinstance(rows, dict) or set(rows) - set(ROW_OPERATIONS):
        out.add("`rows` must be a mapping with `add`, `replace` (lists of rows) and `remove` (a list of row ids)")
        return
    named: set[str] = set()

    def once(row_id: str) -> None:
        if row_id in named:
            out.add("the overlay names this row more than once in `rows`", row=row_id)
        named.add(row_id)

    for operation in ("add", "replace"):
        entries = rows.get(operation, [])
        if not isinstance(entries, list):
            out.add(f"`rows.{operation}` must be a list of rows")
            continue
        for index, raw in enumerate(entries):
            places = {k: raw[k] for k in PLACES if isinstance(raw, dict) and k in raw} if operation == "add" else {}
            rule = _read_rule(index, {k: v for k, v in raw.items() if k not in places}
                              if isinstance(raw, dict) else raw, out)
            if rule is None:
                continue
            once(rule.id)
            if len(places) > 1:
                out.add("a row is placed `before` or `after` one base row, not both", row=rule.id)
            for anchor in places.values():
                if not isinstance(anchor, str) or not ROW_ID.match(anchor):
                    out.add("`before` and `after` name a row of the base table by its id", row=rule.id)
    removed = rows.get("remove", [])
    if not isinstance(removed, list) or not all(isinstance(r, str) and ROW_ID.match(r) for r in removed):
        out.add("`rows.remove` must be a list of row ids")
        return
    for row_id in removed:
        once(row_id)


def apply(overlay: dict, base: dict | None, file: str, base_file: str | None = None) -> dict:
    """The table document in force: `base` with `overlay` applied. Raise LoadError for a malformed
    overlay or base, ValidationError naming file, table and row for an overlay this base does
    not fit (the base has no such table, or no such row, or already has a row or column it adds)."""
    name = check(overlay, file)
    if base is None:
        raise ValidationError(Problem(f"extends the base table {name}, which the base policy does not have "
                                      "on this date", file, name))
    if is_overlay(base):
        raise ValidationError(Problem("a base table is whole: only a payer's table may extend the base",
                                      base_file, name))
    table_from_document(base, base_file or "base")
    out = _Collector(file, name)
    for key in ("inputs", "outputs"):
        for column in overlay.get(key, {}):
            if column in base.get(key, {}):
                out.add(f"the base table already has this {key[:-1]}: an overlay adds {key}, it does not "
                        "change, retype or remove them", column=column)
    rows = overlay.get("rows", {})
    ids = [rule["id"] for rule in base["rules"]]
    removed = set(rows.get("remove", []))
    replaced = {row["id"]: row for row in rows.get("replace", [])}
    for row_id in rows.get("remove", []) + list(replaced):
        if row_id not in ids:
            verb = "removes" if row_id in removed else "replaces"
            out.add(f"{verb} a row that the base table {name} does not have", row=row_id)
    placed: dict[tuple[str, str | None], list[dict]] = {}
    for row in rows.get("add", []):
        place = next((p for p in PLACES if p in row), None)
        anchor = row.get(place) if place else None
        if row["id"] in ids:
            out.add(f"adds a row that the base table {name} already has: replace it, or give it a new id",
                    row=row["id"])
        if anchor is not None and anchor not in ids:
            out.add(f"is placed {place} row {anchor}, which the base table {name} does not have", row=row["id"])
        elif anchor in removed:
            out.add(f"is placed {place} row {anchor}, which this overlay removes", row=row["id"])
        placed.setdefault((place, anchor), []).append({k: v for k, v in row.items() if k not in PLACES})
    if out.problems:
        raise ValidationError(out.problems)
    rules = []
    for rule in base["rules"]:
        if rule["id"] not in removed:
            rules += placed.get(("before", rule["id"]), []) + [replaced.get(rule["id"], rule)] \
                + placed.get(("after", rule["id"]), [])
    merged = {k: v for k, v in base.items() if k != "version"}
    merged.update({k: overlay[k] for k in ("title", "default") if k in overlay})
    for key in ("inputs", "outputs"):
        if key in overlay:
            merged[key] = {**base.get(key, {}), **overlay[key]}
    return {**merged, "rules": rules + placed.get((None, None), [])}
