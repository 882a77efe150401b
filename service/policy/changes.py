"""Change sets: documents for one payer -> a candidate policy -> every check -> one atomic publish.

One straight line. Checking is pure (versions in, problems out), so the API, the CLI's sync and
dry-run share it. A candidate is checked for every payer it moves (all of them for a `base`
change), on its effective date and on every later date at which another version takes over, with
the full static analysis, a generated corpus of cases decided under the contract, and the payer's
table tests, each on its own date. Publishing is a compare-and-swap on the store's generation: if
another publish landed meanwhile, the change is checked again against the policy that includes it.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import date

from ..case_schema import CaseInvalid, load_case
from ..table_tests import TestCase, run
from ..tables.errors import PolicyError, Problem
from . import checks
from .assembly import engine_on
from .diff import diff, summary
from .source import (BASE, DEFAULT_PAYER, built_from, effective, file_of, in_force, kind_of, name_of, newest, parse,
                     payers_of)
from .store import Actor, ChangeSet, PayerSettings, Store, StoreConflict, Version, content_hash, now

MAX_DOCUMENTS = 50
PUBLISH_ATTEMPTS = 3
CHECK_SECONDS = 60.0          # a candidate that cannot be checked in this time is refused


class ChangeRefused(Exception):
    """A step of review that the caller may not take (four eyes, author only, wrong status)."""

    def __init__(self, message: str, status: int = 403):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Candidate:
    effective_from: date
    versions: list                  # what the store holds plus the change's new versions
    new: list                       # the change's documents that differ from what is in force
    unchanged: list                 # versions in force that already equal a document of the change

    @property
    def owners(self) -> set[str]:
        return {v.payer_id for v in self.new}


@dataclass(frozen=True)
class Outcome:
    stored: list                    # new versions, or [] when nothing differed from what is in force
    unchanged: list
    generation: int | None


def read_documents(payer_id: str, raw: object) -> list[dict]:
    """The documents of a change as `{"kind", "name", "document"}`, each parsed on its own, or
    PolicyError naming `document #n` and every problem."""
    if not isinstance(raw, list) or not raw or len(raw) > MAX_DOCUMENTS:
        raise PolicyError(Problem(f"`documents` must list 1 to {MAX_DOCUMENTS} table, value set, test or fact "
                                  "declaration documents"))
    docs, problems, seen = [], [], set()
    for index, document in enumerate(raw):
        file = f"document #{index + 1}"
        if not isinstance(document, dict):
            problems.append(Problem("a document is a mapping (a table, value set, test suite or fact declaration)",
                                    file))
            continue
        kind = kind_of(document)
        try:
            parse(kind, document, file, payer_id)
        except PolicyError as exc:
            problems.extend(exc.problems)
            continue
        name = name_of(kind, document)
        if (kind, name) in seen:
            problems.append(Problem(f"the change holds {kind} {name} twice", file))
        seen.add((kind, name))
        docs.append({"payer_id": payer_id, "kind": kind, "name": name, "document": document})
    if problems:
        raise PolicyError(problems)
    return docs


def candidate(versions: list[Version], docs: list[dict], effective_from: date, generation: int) -> Candidate:
    """The store's versions with the change's documents (each `{"payer_id", "kind", "name",
    "document"}`) added as their owners' next versions, except those equal to what is in force."""
    new, unchanged = [], []
    for doc in docs:
        owner = doc["payer_id"]
        current = next((v for v in in_force(versions, owner, effective_from)
                        if (v.kind, v.name) == (doc["kind"], doc["name"])), None)
        if current is not None and current.content_hash == content_hash(doc["document"]):
            unchanged.append(current)
            continue
        latest = newest(versions, owner, doc["kind"], doc["name"])
        new.append(Version(-1 - len(new), owner, doc["kind"], doc["name"], (latest.version if latest else 0) + 1,
                           effective_from, doc["document"], content_hash(doc["document"]), "draft", "", now(),
                           generation + 1))
    return Candidate(effective_from, versions + new, new, unchanged)


def affected_payers(c: Candidate) -> list[str]:
    """A base document moves every payer; a payer's document only that payer."""
    everyone = payers_of(c.versions)
    return everyone if BASE in c.owners else [p for p in everyone if p in c.owners]


def check(c: Candidate, corpus: bool = True, deadline_seconds: float = CHECK_SECONDS) -> list[Problem]:
    """Every problem the candidate policy has, for every payer it moves; [] when it may go live."""
    deadline = time.monotonic() + deadline_seconds
    problems = []
    for payer in affected_payers(c):
        problems += [_for(payer, p) for p in _check_payer(c, payer, corpus, deadline)]
    return problems


def _for(payer: str, problem: Problem) -> Problem:
    return replace(problem, message=f"for payer {payer}: {problem.message}")


def _check_payer(c: Candidate, payer: str, corpus: bool, deadline: float) -> list[Problem]:
    owners = (BASE, payer)
    dates = sorted({c.effective_from} | {v.effective_from for v in c.versions
                                         if v.payer_id in owners and v.effective_from > c.effective_from})
    engines: dict[tuple, object] = {}
    problems: list[Problem] = []

    def engine_for(on: date, analyse: bool = False):
        key = tuple(v.id for v in built_from(c.versions, payer, on))
        if key not in engines:
            engines[key] = engine_on(c.versions, payer, on, analyse)
        return engines[key]

    try:
        for on in dates:
            try:
                engine = engine_for(on, analyse=True)
            except PolicyError as exc:
                problems += [replace(p, message=f"from {on.isoformat()}: {p.message}") for p in exc.problems]
                continue
            if corpus and not _decided_before(payer, on, c.versions):
                found = checks.check_decisions(engine, checks.generated_corpus(engine.policy, on=on).cases, on,
                                               max(0.0, deadline - time.monotonic()))
                problems += found
                if not found:
                    _remember_decided(payer, on, c.versions)
        if problems:
            return problems
        return _test_problems(c, payer, engine_for)
    finally:
        for engine in engines.values():
            engine.runtime.close()


_DECIDED: OrderedDict = OrderedDict()     # policies whose generated corpus was decided without a problem


def _policy_key(payer: str, on: date, versions: list[Version]) -> tuple:
    """The corpus and its answers depend only on the tables and value sets in force (the payer's,
    and base's, which a payer's table may extend), and the date."""
    owned = in_force(versions, payer, on) + in_force(versions, BASE, on)
    return (payer, on) + tuple(sorted({v.content_hash for v in owned if v.kind != "tests"}))


def _decided_before(payer: str, on: date, versions: list[Version]) -> bool:
    return _policy_key(payer, on, versions) in _DECIDED


def _remember_decided(payer: str, on: date, versions: list[Version]) -> None:
    _DECIDED[_policy_key(payer, on, versions)] = None
    while len(_DECIDED) > 256:
        _DECIDED.popitem(last=False)


def suites_of(versions: list[Version], payer: str) -> list[Version]:
    """The payer's test suites, newest version of each (the `default` payer's include base's)."""
    owners = {payer, BASE} if payer == DEFAULT_PAYER else {payer}
    names = sorted({(v.payer_id, v.name) for v in versions if v.kind == "tests" and v.payer_id in owners})
    return [newest(versions, owner, "tests", name) for owner, name in names]


def suite_cases(versions: list[Version], payer: str) -> list[TestCase]:
    cases = []
    for suite in suites_of(versions, payer):
        cases += [replace(case, payer=payer) for case in
                  parse("tests", suite.document, file_of(suite), payer, on=suite.effective_from)]
    return cases


def _test_problems(c: Candidate, payer: str, engine_for) -> list[Problem]:
    try:
        cases = suite_cases(c.versions, payer)
    except PolicyError as exc:
        return exc.problems
    report = run(cases, lambda _payer, on: _engine_or_none(engine_for, on))
    return [Problem(f"table test fails: {failure}") for failure in report.failures]


def _engine_or_none(engine_for, on: date):
    try:
        return engine_for(on)
    except PolicyError:
        return None


# -- publishing --------------------------------------------------------------------------------
def publish(store: Store, docs: list[dict], effective_from: date, comment: str, actor: Actor,
            action: str = "publish", change_id: int | None = None, corpus: bool = True) -> Outcome:
    """Check the change against the policy in force and store it in one transaction, or raise
    PolicyError (nothing stored) or StoreConflict (others kept publishing: try again)."""
    for _ in range(PUBLISH_ATTEMPTS):
        generation = store.generation()
        c = candidate(store.all_versions(), docs, effective_from, generation)
        if not c.new:
            if change_id is not None:
                store.close_change(change_id, actor, "published", "nothing differed from the policy in force")
            return Outcome([], c.unchanged, None)
        problems = check(c, corpus)
        if problems:
            raise PolicyError(problems)
        entries = [{"payer_id": v.payer_id, "kind": v.kind, "name": v.name, "document": v.document,
                    "effective_from": v.effective_from, "comment": comment,
                    "summary": _summary(c.versions, v)} for v in c.new]
        try:
            stored, new_generation = store.publish(entries, actor, action, generation, change_id)
        except StoreConflict:
            continue
        return Outcome(stored, c.unchanged, new_generation)
    raise StoreConflict("other changes kept landing while this one was checked; try again")


def _summary(versions: list[Version], new: Version) -> str:
    before = [v for v in versions if v.kind == new.kind and v.name == new.name and v.id != new.id
              and v.payer_id in (new.payer_id, BASE)]
    old = max(before, key=lambda v: (v.payer_id == new.payer_id, v.version)) if before else None
    old_doc = effective(versions, old.kind, old.document, new.effective_from) if old else None
    return (f"{new.kind.replace('_', ' ')} {new.name}: "
            f"{summary(new.kind, old_doc, effective(versions, new.kind, new.document, new.effective_from))}")


# -- review (maker-checker) ---------------------------------------------------------------------
def four_eyes(payer_id: str, settings: PayerSettings) -> bool:
    """Base changes move every payer: always four eyes. Payers choose."""
    return payer_id == BASE or settings.four_eyes


def may_approve(change: ChangeSet, approver: Actor, settings: PayerSettings) -> None:
    if change.status not in ("draft", "proposed"):
        raise ChangeRefused(f"the change is {change.status}", 409)
    if four_eyes(change.payer_id, settings):
        if change.status != "proposed":
            raise ChangeRefused("this payer requires four eyes: propose the change, then another person approves it",
                                409)
        if approver.owner == change.author_owner:
            raise ChangeRefused("this payer requires four eyes: the approver must be another person than the author")


def diff_against_policy(versions: list[Version], change: ChangeSet) -> list[dict]:
    """Each document of a change beside what is in force on its effective date, row by row."""
    on = change.effective_from
    chosen = {(v.kind, v.name): v for v in in_force(versions, change.payer_id, on)}
    out = []
    for doc in change.documents:
        current = chosen.get((doc["kind"], doc["name"]))
        out.append({"kind": doc["kind"], "name": doc["name"], "in_force": current.label if current else None,
                    "moved_since_drafted": (current.content_hash if current else None) != doc.get("based_on"),
                    "diff": diff(doc["kind"],
                                 effective(versions, doc["kind"], current.document, on) if current else None,
                                 effective(versions, doc["kind"], doc["document"], on))})
    return out


def based_on(versions: list[Version], payer_id: str, effective_from: date, docs: list[dict]) -> list[dict]:
    """Record, per document, the content it was drafted against: approving it later must not
    silently overwrite a version someone else published meanwhile."""
    chosen = {(v.kind, v.name): v for v in in_force(versions, payer_id, effective_from)}
    return [{**d, "based_on": chosen[(d["kind"], d["name"])].content_hash if (d["kind"], d["name"]) in chosen
             else None} for d in docs]


def moved_underneath(versions: list[Version], change: ChangeSet) -> list[str]:
    """Documents whose version in force is no longer the one the change was drafted against."""
    return [f"{d['kind']} {d['name']} (now {d['in_force']})" for d in diff_against_policy(versions, change)
            if d["moved_since_drafted"]]



# -- the steps of a change set ------------------------------------------------------------------
def draft(store: Store, payer_id: str, docs: list[dict], effective_from: date, comment: str, actor: Actor) -> ChangeSet:
    return store.create_change(payer_id, effective_from, comment,
                               based_on(store.all_versions(), payer_id, effective_from, docs), actor)


def edit(store: Store, change: ChangeSet, docs: list[dict], effective_from: date, comment: str,
         actor: Actor) -> ChangeSet:
    _author_only(change, actor)
    if change.status != "draft":
        raise ChangeRefused(f"only a draft can be edited; this change is {change.status}", 409)
    docs = based_on(store.all_versions(), change.payer_id, effective_from, docs)
    return store.update_change(change, actor, "edit", f"change {change.id} edited", documents=docs,
                               effective_from=effective_from, comment=comment)


def documents_of(change: ChangeSet) -> list[dict]:
    return [{"payer_id": change.payer_id, "kind": d["kind"], "name": d["name"], "document": d["document"]}
            for d in change.documents]


def check_change(store: Store, change: ChangeSet) -> list[Problem]:
    return check(candidate(store.all_versions(), documents_of(change), change.effective_from, store.generation()))


def propose(store: Store, change: ChangeSet, actor: Actor) -> ChangeSet:
    """A proposal is checked first: reviewers only ever see changes that could go live."""
    _author_only(change, actor)
    if change.status != "draft":
        raise ChangeRefused(f"only a draft can be proposed; this change is {change.status}", 409)
    problems = check_change(store, change)
    if problems:
        raise PolicyError(problems)
    return store.update_change(change, actor, "propose", f"change {change.id} proposed: "
                               + "; ".join(_doc_summaries(store, change)), status="proposed")


def approve(store: Store, change: ChangeSet, actor: Actor, settings: PayerSettings) -> Outcome:
    """Publish the change as reviewed, checked again against the policy in force now."""
    may_approve(change, actor, settings)
    moved = moved_underneath(store.all_versions(), change)
    if moved:
        raise ChangeRefused("the policy moved underneath this change since it was drafted ("
                            + ", ".join(moved) + "); rebase it on what is in force and propose it again", 409)
    return publish(store, documents_of(change), change.effective_from, change.comment, actor, "approve", change.id)


def reject(store: Store, change: ChangeSet, actor: Actor, comment: str) -> ChangeSet:
    if change.status != "proposed":
        raise ChangeRefused(f"only a proposed change can be rejected; this change is {change.status}", 409)
    return store.update_change(change, actor, "reject", f"change {change.id} rejected: {comment}", status="rejected",
                               decided_by_key_id=actor.key_id, decided_by_owner=actor.owner, decided_at=now(),
                               decision_comment=comment)


def withdraw(store: Store, change: ChangeSet, actor: Actor) -> ChangeSet:
    _author_only(change, actor)
    if change.status not in ("draft", "proposed"):
        raise ChangeRefused(f"the change is {change.status}", 409)
    return store.update_change(change, actor, "withdraw", f"change {change.id} withdrawn", status="withdrawn")


def _author_only(change: ChangeSet, actor: Actor) -> None:
    if actor.owner != change.author_owner:
        raise ChangeRefused("only its author may do this to a change")


def _doc_summaries(store: Store, change: ChangeSet) -> list[str]:
    versions, on = store.all_versions(), change.effective_from
    chosen = {(v.kind, v.name): v for v in in_force(versions, change.payer_id, on)}
    return [f"{d['kind'].replace('_', ' ')} {d['name']}: "
            + summary(d["kind"], effective(versions, d["kind"], chosen[(d["kind"], d["name"])].document, on)
                      if (d["kind"], d["name"]) in chosen else None, effective(versions, d["kind"], d["document"], on))
            for d in change.documents]


# -- dry run ------------------------------------------------------------------------------------
def dry_run(versions: list[Version], docs: list[dict], effective_from: date, generation: int, cases: list,
            live) -> list[dict]:
    """Each case decided under the policy in force (`live(payer, on)`) and with the change, for
    every payer the change moves; differences as field, before and after. Nothing is stored.

    Both policies are taken as on the change's effective date, or on the case's date when that is
    later, so that an analyst's sample of past cases shows what the change would do to them."""
    c = candidate(versions, docs, effective_from, generation)
    payers = affected_payers(c) or sorted({d["payer_id"] for d in docs} - {BASE}) or payers_of(versions)
    engines: dict[tuple, object] = {}
    results = []
    try:
        for payer in payers:
            for index, raw in enumerate(cases):
                try:
                    case = dict(load_case(raw), payer_id=payer)
                except CaseInvalid as exc:
                    results.append({"index": index, "payer_id": payer, "errors": exc.errors})
                    continue
                dos = case.get("date_of_service") or effective_from
                on = max(dos, effective_from)      # a case dated before the change still shows what it does
                key = (payer,) + tuple(v.id for v in built_from(c.versions, payer, on))
                if key not in engines:
                    engines[key] = engine_on(c.versions, payer, on)
                before, after = _decided(live(payer, on), case, dos), _decided(engines[key], case, dos)
                results.append({"index": index, "payer_id": payer, "live": before, "draft": after,
                                "differences": differences(before, after)})
    finally:
        for engine in engines.values():
            engine.runtime.close()     # a draft's rulesets would otherwise stay in the worker for good
    return results


def _decided(engine, case: dict, dos: date) -> dict:
    """The decision, or the case's errors when its extensions do not fit the facts this policy declares
    (a change may declare facts, or stop declaring them)."""
    try:
        return engine.decide(case, dos)
    except CaseInvalid as exc:
        return {"errors": exc.errors}


def differences(live, draft, path: str = "") -> list[dict]:
    """Where two decisions differ, with both values (trace and versions left out: they always do)."""
    if isinstance(live, dict) and isinstance(draft, dict):
        out = []
        for key in sorted(set(live) | set(draft)):
            if not path and key in ("trace", "policy"):
                continue
            out += differences(live.get(key), draft.get(key), f"{path}.{key}" if path else key)
        return out
    return [] if live == draft else [{"field": path, "before": live, "after": draft}]
