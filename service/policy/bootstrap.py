"""Opening the store (migrate it, and on first start seed it from the decision_tables folder), and
`sync`: the folder's changed documents published as a change set, checked like any other."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..tables.errors import PolicyError
from .changes import Outcome, based_on, candidate, check, four_eyes, publish
from .source import folder_versions
from .store import SYSTEM, Actor, ChangeSet, PayerSettings, Store, StoreConflict


def open_store(database_url: str, tables_dir: Path) -> Store:
    store = Store(database_url)
    store.migrate()
    if store.is_empty():
        entries = [{"payer_id": v.payer_id, "kind": v.kind, "name": v.name, "document": v.document,
                    "effective_from": v.effective_from, "comment": "seeded from decision_tables",
                    "summary": f"seeded from {v.file}"} for v in folder_versions(tables_dir)]
        try:
            store.add_versions(entries, SYSTEM, "seed")
        except StoreConflict:
            pass      # another process seeded it first
    return store


@dataclass(frozen=True)
class SyncResult:
    published: Outcome | None
    proposed: list[ChangeSet]        # changes of payers that require four eyes (and of base)
    pending: list                    # (owner, kind, name) of every document that differed


def sync(store: Store, tables_dir: Path, effective_from: date, comment: str = "synced from decision_tables",
         actor: Actor = SYSTEM, dry_run: bool = False) -> SyncResult:
    """Publish what changed in the folder once every check a change set passes holds (PolicyError
    otherwise). The documents of payers that require four eyes, and of base, become proposals for
    another person to approve."""
    versions = store.all_versions()
    folder = candidate(versions, [_doc(v) for v in folder_versions(tables_dir)], effective_from, store.generation())
    changed = folder.new          # the folder's documents equal to what is in force are left out of it
    pending = [(v.payer_id, v.kind, v.name) for v in changed]
    if not changed:
        return SyncResult(None, [], [])
    problems = check(folder)
    if problems:
        raise PolicyError(problems)
    if dry_run:
        return SyncResult(None, [], pending)
    settings = store.all_settings()
    review = {v.payer_id for v in changed if four_eyes(v.payer_id, settings.get(v.payer_id, PayerSettings(v.payer_id)))}
    direct = [_doc(v) for v in changed if v.payer_id not in review]
    published = publish(store, direct, effective_from, comment, actor, "sync") if direct else None
    proposed = []
    for owner in sorted(review):
        docs = based_on(versions, owner, effective_from, [_doc(v) for v in changed if v.payer_id == owner])
        change = store.create_change(owner, effective_from, comment, docs, actor)
        proposed.append(store.update_change(change, actor, "propose", f"change {change.id} proposed by sync",
                                            status="proposed"))
    return SyncResult(published, proposed, pending)


def _doc(version) -> dict:
    return {"payer_id": version.payer_id, "kind": version.kind, "name": version.name, "document": version.document}
