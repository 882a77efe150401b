"""Stored versions -> the documents in force for one payer on one date -> a validated Policy."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from ..engine.policy_engine import PolicyEngine
from ..tables.errors import PolicyError
from ..tables.loader import is_value_set_document, table_from_document, value_set_from_document
from ..tables.payers import DEFAULT_PAYER
from ..tables.policy import Policy
from ..tables.validate import build_policy
from ..tables.yaml_io import load_yaml
from .store import BASE, SEED_EFFECTIVE, Version


def in_force(versions: list[Version], payer_id: str, on: date) -> list[Version]:
    """Per table and value set: the payer's newest version effective on `on`, else base's."""
    best: dict[tuple[str, str, str], Version] = {}
    for v in versions:
        if v.payer_id not in (BASE, payer_id) or v.effective_from > on:
            continue
        key = (v.payer_id, v.kind, v.name)
        if key not in best or v.version > best[key].version:
            best[key] = v
    chosen = {}
    for (_owner, kind, name), v in sorted(best.items(), key=lambda item: item[0][0] != BASE):
        chosen[(kind, name)] = v          # the payer's overlay, sorted after base, replaces it
    return [chosen[k] for k in sorted(chosen)]


def policy_from(payer_id: str, chosen: list[Version], analyse: bool = True) -> Policy:
    tables, value_sets = [], []
    for v in chosen:
        file = f"{v.payer_id}/{v.name}@{v.version}"
        if v.kind == "value_set":
            value_sets.append(value_set_from_document(v.document, file, origin=v.payer_id))
        else:
            tables.append(table_from_document(v.document, file, origin=v.payer_id, version=v.version))
    return build_policy(payer_id, tables, value_sets, analyse)


def engine_on(versions: list[Version], payer_id: str, on: date) -> PolicyEngine:
    """The payer's policy as in force on `on`, validated and compiled; raises with every problem."""
    return PolicyEngine.build(policy_from(payer_id, in_force(versions, payer_id, on)))


def check_compiles(versions: list[Version], payer_id: str, dates) -> None:
    """Build the payer's policy as in force on each date, only to see that it can be, then free it."""
    for on in dates:
        engine_on(versions, payer_id, on).runtime.close()


def payers_of(versions: list[Version]) -> list[str]:
    return [DEFAULT_PAYER] + sorted({v.payer_id for v in versions} - {BASE, DEFAULT_PAYER})


def folder_entries(root: Path, comment: str) -> list[dict]:
    """Every table and value set file under base/ and payers/<id>/, as entries to store."""
    entries = []
    folders = [(BASE, root / "base")] + [(p.name, p) for p in sorted((root / "payers").glob("*")) if p.is_dir()]
    problems = []
    for owner, folder in folders:
        for path in sorted(folder.rglob("*.yaml")):
            shown = str(path.relative_to(root))
            try:
                doc = load_yaml(path.read_bytes(), shown)
                kind = "value_set" if is_value_set_document(doc) else "table"
                (value_set_from_document if kind == "value_set" else table_from_document)(doc, shown)
            except PolicyError as exc:
                problems.extend(exc.problems)
                continue
            doc.pop("version", None)
            entries.append({"payer_id": owner, "kind": kind, "name": doc["value_set" if kind == "value_set" else "table"],
                            "document": doc, "effective_from": SEED_EFFECTIVE, "comment": comment,
                            "summary": f"{comment}: {shown}"})
    if problems:
        raise PolicyError(problems)
    return entries
