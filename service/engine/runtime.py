"""Evaluating one case at a time on a compiled policy hosted in durable_rules.

The guards against the engine's sharp edges live here and in `host.py`:
- actions run inside our own loop on the caller's thread (no timer threads exist);
- no `delete_state`: one session is reused and every fact a case asserted is retracted; after any
  failure the session is abandoned for a fresh one, and the host is rebuilt before the engine's
  1,024 live sessions per ruleset run out;
- no swallowed errors: an error in an action fails the evaluation;
- no silent de-duplication: every fact carries a unique id (case serial, table, item).
The C engine holds the GIL throughout, so threads add no throughput: evaluation is serialised by
a lock, and processes (gunicorn workers) are the way to scale.
"""
from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field

from ..case_facts import CaseFacts
from .compile import Action, CompiledPolicy, place
from .facts import CaseFactError, TableProjector
from .hit_policy import HitPolicyViolation, Resolution, resolve
from .host import EngineHost

MAX_SESSIONS_PER_HOST = 900   # durable_rules keeps at most 1,024 live sessions per ruleset


class EngineError(RuntimeError):
    """The engine could not produce a sound answer for this case."""


@dataclass(frozen=True)
class TableRun:
    table: str
    item: int | None              # index into the `each` collection, None for a whole-case table
    inputs: dict = field(hash=False)
    matched: tuple[int, ...]
    resolution: Resolution


@dataclass(frozen=True)
class Evaluation:
    case: CaseFacts
    runs: tuple[TableRun, ...]    # in the order they were resolved

    def output(self, table: str):
        return next(r.resolution.value for r in self.runs if r.table == table and r.item is None)

    def item_runs(self, table: str) -> list[TableRun]:
        return sorted((r for r in self.runs if r.table == table), key=lambda r: r.item)


class _Case:
    """What the actions of one evaluation record; the decision is built from this, never from engine state."""

    def __init__(self, serial: int, case: CaseFacts, sid: str):
        self.serial, self.case, self.sid = serial, case, sid
        self.hits: dict[tuple[str, int], set[int]] = {}
        self.inputs: dict[tuple[str, int], dict] = {}
        self.outputs: dict[str, object] = {}
        self.runs: list[TableRun] = []
        self.asserted: list[dict] = []
        self.error: BaseException | None = None


class Runtime:
    """One compiled policy in one engine host; `evaluate` is safe to call from any thread."""

    def __init__(self, compiled: CompiledPolicy):
        self.compiled = compiled
        self.policy = compiled.policy
        self._lock = threading.Lock()
        self._serial = itertools.count()
        self._case: _Case | None = None
        self._leaves = frozenset(compiled.leaves)
        self._projectors = {name: TableProjector(self.policy, self.policy.tables[name], compiled.layouts[name])
                            for name in self.policy.order}
        self._handlers = {"row": self._on_row, "resolve": self._on_resolve, "gather": self._on_gather,
                          "probe": self._on_probe}
        self._host: EngineHost | None = None
        self._new_host()

    # -- host and sessions -------------------------------------------------------------------
    def _new_host(self) -> None:
        if self._host is not None:
            self._host.close()
        self._host = EngineHost(self.compiled.rulesets, self._dispatch)
        self._sessions = itertools.count()
        self._sid = str(next(self._sessions))

    def _abandon_session(self) -> None:
        """Never delete_state (it can segfault): move on to a fresh session, or a fresh host."""
        number = next(self._sessions)
        if number >= MAX_SESSIONS_PER_HOST:
            self._new_host()
        else:
            self._sid = str(number)

    def close(self) -> None:
        """Free the engine's rulesets (a replaced policy would otherwise keep them for good)."""
        with self._lock:
            if self._host is not None:
                self._host.close()
                self._host = None

    # -- actions -----------------------------------------------------------------------------
    def _dispatch(self, action: str, matched: dict) -> None:
        case = self._case
        if case is None or case.error is not None:
            return
        spec = self.compiled.actions[action]
        try:
            self._handlers[spec.kind](matched, case, spec)
        except Exception as exc:  # noqa: BLE001 - kept, and raised once the engine is done
            case.error = exc

    def _on_row(self, matched: dict, case: _Case, spec: Action) -> None:
        case.hits.setdefault((spec.table, matched["m"]["$i"]), set()).add(spec.row)

    def _on_resolve(self, matched: dict, case: _Case, spec: Action) -> None:
        """Only tables that others read resolve inside the engine: their outputs chain onwards."""
        self._resolve(case, spec.table, matched["m"]["$i"])
        fact = {"$o": spec.table, "id": f"{case.serial}:o:{spec.table}", "sid": case.sid}
        case.asserted.append(fact)
        self._host.queue(self.compiled.main, fact)

    def _on_gather(self, matched: dict, case: _Case, spec: Action) -> None:
        for fact in self._table_facts(case, spec.table):
            self._host.queue(self.compiled.main, fact)

    def _on_probe(self, matched: dict, case: _Case, spec: Action) -> None:
        fact = matched["m"]
        shard = self.compiled.layouts[spec.table].shard
        asked = (place(shard, fact[shard.field])[0],) if shard.partitions else ()
        for ruleset in asked + shard.wildcard:
            if self._host.post(ruleset, [fact]):
                self._host.retract(ruleset, [fact])

    # -- evaluation --------------------------------------------------------------------------
    def _resolve(self, case: _Case, name: str, item: int) -> None:
        table = self.policy.tables[name]
        matched = tuple(sorted(case.hits.get((name, item), ())))
        resolution = resolve(table, matched)
        case.runs.append(TableRun(name, item if table.each else None, case.inputs[(name, item)], matched, resolution))
        if not table.each:
            case.outputs[name] = resolution.value

    def _table_facts(self, case: _Case, name: str) -> list[dict]:
        projector = self._projectors[name]
        items = case.case.items[projector.each] if projector.each else (None,)
        facts = []
        for index, item in enumerate(items):
            values = projector.values(case.case, case.outputs, item)
            case.inputs[(name, index)] = values
            fact = projector.fact(values, f"{case.serial}:{name}:{index}", index)
            fact["sid"] = case.sid
            case.asserted.append(fact)
            facts.append(fact)
        return facts

    def evaluate(self, case_facts: CaseFacts) -> Evaluation:
        with self._lock:
            if self._host is None:
                raise EngineError("this runtime was closed")
            case = _Case(next(self._serial), case_facts, self._sid)
            self._case = case
            clean = False
            try:
                self._run(case)
                clean = True
                return Evaluation(case_facts, tuple(case.runs))
            except (EngineError, CaseFactError, HitPolicyViolation):
                raise
            except Exception as exc:
                raise EngineError(f"evaluation failed: {exc}") from exc
            finally:
                self._case = None
                if not clean:
                    self._abandon_session()

    def _run(self, case: _Case) -> None:
        main = self.compiled.main
        chained = [f for name in self.compiled.roots if name not in self._leaves for f in self._table_facts(case, name)]
        if chained:
            self._host.post(main, chained)
        for name in self.compiled.roots:
            if name in self._leaves:
                for fact in self._table_facts(case, name):
                    self._host.post(main, [fact])     # a leaf fact no row matches is simply not taken
        if case.error is not None:
            raise case.error
        for name in self.compiled.leaves:              # nobody reads them: resolve once every row has fired
            for item in sorted(i for (t, i) in case.inputs if t == name):
                self._resolve(case, name, item)
        self._check_complete(case)
        self._host.retract(main, case.asserted)

    def _check_complete(self, case: _Case) -> None:
        resolved = {(r.table, r.item) for r in case.runs}
        for name in self.policy.order:
            table = self.policy.tables[name]
            count = len(case.case.items[table.each]) if table.each else 1
            want = {(name, i if table.each else None) for i in range(count)}
            if not want <= resolved:
                raise EngineError(f"table {name} was not evaluated (the engine dropped a fact)")
