"""Opening the store: migrate it, and on first start seed it from the decision_tables folder."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from ..tables.errors import PolicyError, Problem
from .assembly import check_compiles, folder_entries, payers_of
from .store import SYSTEM, Actor, Store, StoreConflict, Version, content_hash, now


def open_store(database_url: str, tables_dir: Path) -> Store:
    store = Store(database_url)
    store.migrate()
    if store.is_empty():
        try:
            store.add_versions(folder_entries(tables_dir, "seeded from decision_tables"), SYSTEM, "seed")
        except StoreConflict:
            pass      # another process seeded it first
    return store


def _as_versions(entries: list[dict], start_id: int) -> list[Version]:
    return [Version(start_id - i, e["payer_id"], e["kind"], e["name"], e.get("version", 0), e["effective_from"],
                    e["document"], content_hash(e["document"]), "sync", e.get("comment", ""), now())
            for i, e in enumerate(entries)]


def sync(store: Store, tables_dir: Path, actor: Actor = SYSTEM, effective_from: date | None = None) -> list[Version]:
    """Publish every file whose content differs from its newest stored version, after checking
    that every payer's policy still validates and compiles with all of them."""
    stored = store.all_versions()
    newest = {}
    for v in stored:
        key = (v.payer_id, v.kind, v.name)
        if key not in newest or v.version > newest[key].version:
            newest[key] = v
    changed = []
    for entry in folder_entries(tables_dir, "synced from decision_tables"):
        current = newest.get((entry["payer_id"], entry["kind"], entry["name"]))
        if current is None or current.content_hash != content_hash(entry["document"]):
            entry["effective_from"] = effective_from or date.today()
            entry["version"] = (current.version if current else 0) + 1
            entry["summary"] = f"synced: {entry['kind']} {entry['name']}"
            changed.append(entry)
    if not changed:
        return []
    versions = stored + _as_versions(changed, -1)
    problems = []
    for payer in payers_of(versions):
        try:
            check_compiles(versions, payer, sorted({e["effective_from"] for e in changed}))
        except PolicyError as exc:
            problems += [Problem(f"payer {payer}: {p}") for p in exc.problems]
    if problems:
        raise PolicyError(problems)
    for entry in changed:
        entry.pop("version")
    return store.add_versions(changed, actor, "sync")
