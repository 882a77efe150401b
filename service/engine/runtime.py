"""Hosting compiled rulesets in durable_rules and evaluating one case at a time.

The guards against the engine's sharp edges live here:
- no timer threads: `_run` is a no-op, so every action runs inside `assert_fact` on the caller's
  thread (checked on every action);
- no `delete_state`: it segfaults on a session whose case fired nothing; one session is reused
  and every fact a case asserted is retracted afterwards; on any failure the session is abandoned
  for a fresh one (and the host rebuilt before the engine's 1,024 live sessions run out);
- no swallowed errors: every action body is wrapped, and an error it raises, or an `exception` the
  engine stored in the state, fails the evaluation loudly;
- no silent de-duplication: every fact carries a unique id (case serial, table, item).
The binding holds the GIL throughout, so threads add no throughput: evaluation is serialised by
a lock, and processes (gunicorn workers) are the way to scale.
"""
from __future__ import annotations

import copy
import itertools
import threading
from dataclasses import dataclass, field

from durable.engine import Host, MessageNotHandledException

from ..case_facts import CaseFacts
from .compile import Action, CompiledPolicy, place
from .facts import CaseFactError, engine_fact, table_inputs
from .hit_policy import HitPolicyViolation, Resolution, resolve

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
    runs: tuple[TableRun, ...]    # in the order the engine resolved them

    def output(self, table: str):
        return next(r.resolution.value for r in self.runs if r.table == table and r.item is None)

    def item_runs(self, table: str) -> list[TableRun]:
        return sorted((r for r in self.runs if r.table == table), key=lambda r: r.item)


class _Case:
    """What the actions of one evaluation record; the decision is built from this, never from engine state."""

    def __init__(self, serial: int, case: CaseFacts, sid: str):
        self.serial, self.case, self.sid = serial, case, sid
        self.thread = threading.get_ident()
        self.hits: dict[tuple[str, int], set[int]] = {}
        self.inputs: dict[tuple[str, int], dict] = {}
        self.outputs: dict[str, object] = {}
        self.runs: list[TableRun] = []
        self.asserted: list[dict] = []
        self.error: BaseException | None = None


class _Host(Host):
    def __init__(self, actions):
        self._named_actions = actions
        super().__init__()

    def _run(self):
        """durable_rules starts two timer threads here that run actions off the caller's thread."""

    def get_action(self, action_name):
        return self._named_actions[action_name]


class Runtime:
    """One compiled policy in one durable_rules host; `evaluate` is safe to call from any thread."""

    def __init__(self, compiled: CompiledPolicy):
        self.compiled = compiled
        self.policy = compiled.policy
        self._lock = threading.Lock()
        self._serial = itertools.count()
        self._sessions = itertools.count()
        self._case: _Case | None = None
        self._actions = {name: self._action(spec) for name, spec in compiled.actions.items()}
        self._new_host()

    # -- host and sessions -------------------------------------------------------------------
    def _new_host(self) -> None:
        self._host = _Host(self._actions)
        # Ruleset() deletes each rule's "run" key: give it a copy, keep ours intact
        self._host.set_rulesets(copy.deepcopy(self.compiled.rulesets))
        self._sessions = itertools.count()
        self._sid = str(next(self._sessions))

    def _abandon_session(self) -> None:
        """Never delete_state (it can segfault): move on to a fresh session, or a fresh host."""
        number = next(self._sessions)
        if number >= MAX_SESSIONS_PER_HOST:
            self._new_host()
        else:
            self._sid = str(number)

    # -- actions -----------------------------------------------------------------------------
    def _action(self, spec: Action):
        body = {"row": self._on_row, "resolve": self._on_resolve, "gather": self._on_gather,
                "probe": self._on_probe}[spec.kind]

        def run(c):
            case = self._case
            if case is None or case.error is not None:
                return
            try:
                if threading.get_ident() != case.thread:
                    raise EngineError("a durable_rules action ran off the evaluating thread")
                body(c, case, spec)
            except BaseException as exc:  # noqa: BLE001 - the engine would swallow it; we keep it
                case.error = exc
        return run

    @staticmethod
    def _matched_fact(c) -> dict:
        return c.m._d

    def _on_row(self, c, case: _Case, spec: Action) -> None:
        fact = self._matched_fact(c)
        case.hits.setdefault((spec.table, fact["$i"]), set()).add(spec.row)

    def _on_resolve(self, c, case: _Case, spec: Action) -> None:
        item = self._matched_fact(c)["$i"]
        table = self.policy.tables[spec.table]
        matched = tuple(sorted(case.hits.get((spec.table, item), ())))
        resolution = resolve(table, matched)
        case.runs.append(TableRun(spec.table, item if table.each else None,
                                  case.inputs[(spec.table, item)], matched, resolution))
        if table.each:
            return
        case.outputs[spec.table] = resolution.value
        if self.policy.readers(spec.table):
            fact = {"$o": spec.table, "id": f"{case.serial}:o:{spec.table}", "sid": case.sid}
            case.asserted.append(fact)
            c.assert_fact(dict(fact))

    def _on_gather(self, c, case: _Case, spec: Action) -> None:
        for fact in self._table_facts(case, spec.table):
            c.assert_fact(dict(fact))

    def _on_probe(self, c, case: _Case, spec: Action) -> None:
        fact = dict(self._matched_fact(c))
        shard = self.compiled.layouts[spec.table].shard
        asked = (place(shard, fact[shard.field])[0],) if shard.partitions else ()
        for ruleset in asked + shard.wildcard:
            try:
                self._host.assert_fact(ruleset, fact)
            except MessageNotHandledException:
                continue     # no row of this shard matches: the engine keeps nothing to retract
            self._host.retract_fact(ruleset, fact)
            if case.error is not None:
                return

    # -- evaluation --------------------------------------------------------------------------
    def _table_facts(self, case: _Case, name: str) -> list[dict]:
        table = self.policy.tables[name]
        layout = self.compiled.layouts[name]
        items = case.case.items[table.each] if table.each else (None,)
        facts = []
        for index, item in enumerate(items):
            values = table_inputs(self.policy, table, case.case, case.outputs, item)
            case.inputs[(name, index)] = values
            fact, _ = engine_fact(layout, values, self.policy.value_sets, f"{case.serial}:{name}:{index}", index)
            fact["sid"] = case.sid
            case.asserted.append(fact)
            facts.append(fact)
        return facts

    def evaluate(self, case_facts: CaseFacts) -> Evaluation:
        with self._lock:
            case = _Case(next(self._serial), case_facts, self._sid)
            self._case = case
            clean = False
            try:
                facts = [f for name in self.compiled.roots for f in self._table_facts(case, name)]
                state = self._host.assert_facts(self.compiled.main, [dict(f) for f in facts]) if facts else {}
                if case.error is not None:
                    raise case.error
                if isinstance(state, dict) and state.get("exception"):
                    raise EngineError("durable_rules reported an error inside an action")
                self._check_complete(case)
                clean = self._retract(case)
                return Evaluation(case_facts, tuple(case.runs))
            except (EngineError, CaseFactError, HitPolicyViolation):
                raise
            except Exception as exc:
                raise EngineError(f"evaluation failed: {exc}") from exc
            finally:
                self._case = None
                if not clean:
                    self._abandon_session()

    def _check_complete(self, case: _Case) -> None:
        resolved = {(r.table, r.item) for r in case.runs}
        for name in self.policy.order:
            table = self.policy.tables[name]
            count = len(case.case.items[table.each]) if table.each else 1
            want = {(name, i if table.each else None) for i in range(count)}
            if not want <= resolved:
                raise EngineError(f"table {name} was not evaluated (the engine dropped a fact)")

    def _retract(self, case: _Case) -> bool:
        if case.asserted:
            self._host.retract_facts(self.compiled.main, [dict(f) for f in case.asserted])
        return True
