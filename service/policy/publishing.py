"""Publishing a table for one payer: check everything first, store atomically, or store nothing."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from ..case_schema import CaseInvalid, load_case
from ..engine.policy_engine import PolicyEngine
from ..table_tests import load_cases, run
from ..tables.errors import LoadError, PolicyError, Problem
from ..tables.loader import table_from_document
from .assembly import check_compiles, engine_on
from .registry import PolicyRegistry
from .store import Actor, Store, Version, content_hash, now


def _draft_version(registry: PolicyRegistry, payer: str, name: str, document: dict, effective_from: date) -> Version:
    existing = [v.version for v in registry.versions if v.payer_id == payer and v.kind == "table" and v.name == name]
    return Version(-1, payer, "table", name, max(existing, default=0) + 1, effective_from, document,
                   content_hash(document), "draft", "", now())


def draft_engine(registry: PolicyRegistry, payer: str, name: str, document: dict, effective_from: date,
                 tables_dir: Path | None = None) -> PolicyEngine:
    """The payer's policy with the draft in force from `effective_from`, checked on every date it
    would meet other versions, and against the payer's table tests; raises with every problem."""
    table = table_from_document(document, f"{payer}/{name}@draft", origin=payer)   # before anything reads it
    if table.name != name:
        raise LoadError(Problem(f"the document is table {table.name!r}, not {name!r}", file=f"{payer}/{name}@draft"))
    draft = _draft_version(registry, payer, name, document, effective_from)
    versions = registry.versions + [draft]
    check_compiles(versions, payer, sorted({v.effective_from for v in registry.versions
                                            if v.effective_from > effective_from}))
    engine = engine_on(versions, payer, effective_from)
    try:
        if tables_dir is not None:
            _run_table_tests(engine, payer, tables_dir)
    except BaseException:
        engine.runtime.close()
        raise
    return engine


def _run_table_tests(engine: PolicyEngine, payer: str, tables_dir: Path) -> None:
    folder = tables_dir / "tests"
    if not folder.is_dir():
        return
    cases = [c for c in load_cases(folder) if c.payer == payer]
    report = run(cases, {payer: engine})
    if report.failures:
        raise PolicyError([Problem(f"table test fails with the draft: {failure}") for failure in report.failures])


def summarise(old: dict | None, new: dict) -> str:
    """A short diff: rows added, removed and changed, by row id."""
    if old is None:
        return f"new table with {len(new.get('rules', []))} rows"
    before = {r.get("id"): r for r in old.get("rules", [])}
    after = {r.get("id"): r for r in new.get("rules", [])}
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
    other = [k for k in set(old) | set(new) if k != "rules" and old.get(k) != new.get(k)]
    parts = [f"{label}: {', '.join(map(str, ids))}" for label, ids in
             (("rows added", added), ("rows removed", removed), ("rows changed", changed), ("changed", sorted(other)))
             if ids]
    return "; ".join(parts) or "no change"


def _current(registry: PolicyRegistry, payer: str, name: str) -> Version | None:
    own = [v for v in registry.versions if v.payer_id == payer and v.kind == "table" and v.name == name]
    return max(own, key=lambda v: v.version) if own else None


def publish(store: Store, registry: PolicyRegistry, tables_dir: Path | None, payer: str, name: str, document: dict,
            effective_from: date, comment: str, actor: Actor, action: str = "publish") -> Version:
    registry.refresh(force=True)
    draft_engine(registry, payer, name, document, effective_from, tables_dir).runtime.close()
    current = _current(registry, payer, name)
    base = next((v for v in reversed(registry.versions) if v.payer_id == "base" and v.name == name), None)
    summary = summarise((current or base).document if (current or base) else None, document)
    (stored,) = store.add_versions([{"payer_id": payer, "kind": "table", "name": name, "document": document,
                                     "effective_from": effective_from, "comment": comment,
                                     "summary": summary}], actor, action)
    registry.refresh(force=True)
    return stored


def rollback(store: Store, registry: PolicyRegistry, tables_dir: Path | None, payer: str, name: str, number: int,
             effective_from: date, comment: str, actor: Actor) -> Version:
    registry.refresh(force=True)
    target = next((v for v in registry.versions if v.payer_id == payer and v.kind == "table" and v.name == name
                   and v.version == number), None)
    if target is None:
        raise LookupError(f"{payer} has no version {number} of table {name}")
    return publish(store, registry, tables_dir, payer, name, target.document, effective_from,
                   comment or f"rollback to version {number}", actor, action="rollback")


def dry_run(registry: PolicyRegistry, payer: str, name: str, document: dict, cases: list, effective_from: date) -> list:
    """Each case decided under the live policy and under the draft, and the fields that differ."""
    engine = draft_engine(registry, payer, name, document, effective_from)
    results = []
    try:
        for index, raw in enumerate(cases):
            try:
                case = load_case(raw)
            except CaseInvalid as exc:
                results.append({"index": index, "errors": exc.errors})
                continue
            case = dict(case, payer_id=payer)
            on = case.get("date_of_service") or effective_from
            live = registry.engine(payer, on).decide(case, on)
            draft = engine.decide(case, on)
            results.append({"index": index, "live": live, "draft": draft, "differences": differences(live, draft)})
    finally:
        engine.runtime.close()     # a draft's rulesets would otherwise stay in the worker for good
    return results


def differences(live, draft, path: str = "") -> list[str]:
    """Paths where two decisions differ (the trace and versions are left out: they always do)."""
    if isinstance(live, dict) and isinstance(draft, dict):
        out = []
        for key in sorted(set(live) | set(draft)):
            if not path and key in ("trace", "policy"):
                continue
            out += differences(live.get(key), draft.get(key), f"{path}.{key}" if path else key)
        return out
    return [] if live == draft else [path]

