"""durable_rules' C engine, driven directly.

durable_rules' Python `Host` costs about nine times what its C engine does per action (closures,
promises, two JSON round trips), starts timer threads that run actions off the caller's thread
(unless `_run` is overridden) and stores an action's exception in the state instead of raising.
This host keeps only the loop that matters: assert, then take each action the engine schedules,
run it here, on this thread, and complete it; an action's error propagates. It never calls
`delete_state` (it segfaults on a session that fired nothing) and it frees its rulesets with
`delete_ruleset` when the policy is replaced.
"""
from __future__ import annotations

import json
from typing import Callable

import durable_rules_engine as _engine

_NOT_HANDLED, _OBSERVED, _NOTHING_PENDING = 1, 2, 3   # the engine's result codes


class EngineCallError(RuntimeError):
    """The engine answered a call with a code this host does not expect."""


def _state_handle(result) -> int | None:
    """What durable's own Ruleset._handle_result makes of a result: None when no rule took it."""
    code = result[0]
    if code == _NOT_HANDLED:
        return None
    if code == _OBSERVED:
        raise EngineCallError("durable_rules reported the message as already observed")
    return 0 if code == _NOTHING_PENDING else result[1]

Dispatch = Callable[[str, dict], None]    # (action name, matched facts by pattern name)


class EngineHost:
    def __init__(self, rulesets: dict[str, dict], dispatch: Dispatch):
        self._dispatch = dispatch
        self._handles: dict[str, int] = {}
        self._actions: dict[str, dict[str, str]] = {}
        try:
            for name, rules in rulesets.items():
                definition = {rule: {k: v for k, v in spec.items() if k != "run"} for rule, spec in rules.items()}
                self._handles[name] = _engine.create_ruleset(name, json.dumps(definition, ensure_ascii=False))
                self._actions[name] = {rule: spec["run"] for rule, spec in rules.items()}
        except BaseException:
            self.close()
            raise

    def post(self, ruleset: str, facts: list[dict]) -> bool:
        """Assert facts and run every action they cause; False when no rule took them."""
        if not facts:
            return False
        handle = self._handles[ruleset]
        payload = json.dumps(facts[0] if len(facts) == 1 else facts, ensure_ascii=False)
        state_handle = _state_handle((_engine.assert_fact if len(facts) == 1 else _engine.assert_facts)(handle, payload))
        if state_handle is None:
            return False
        self._run_actions(ruleset, handle, state_handle)
        return True

    def queue(self, ruleset: str, fact: dict) -> bool:
        """Assert from inside an action: the engine schedules its consequences after the action."""
        return _state_handle(_engine.assert_fact(self._handles[ruleset], json.dumps(fact, ensure_ascii=False))) is not None

    def retract(self, ruleset: str, facts: list[dict]) -> None:
        if not facts:
            return      # an empty list crashes the engine
        handle = self._handles[ruleset]
        state_handle = _state_handle(_engine.retract_facts(handle, json.dumps(facts, ensure_ascii=False)))
        if state_handle is not None:
            self._run_actions(ruleset, handle, state_handle)

    def facts(self, ruleset: str, sid: str) -> list:
        return json.loads(_engine.get_facts(self._handles[ruleset], sid))

    def _run_actions(self, ruleset: str, handle: int, state_handle: int) -> None:
        started = _engine.start_action_for_state(handle, state_handle)
        if not started:
            return
        state, message = started[0], started[1]
        actions = self._actions[ruleset]
        while message:
            (rule, matched), = json.loads(message).items()
            try:
                self._dispatch(actions[rule], matched)
            except BaseException:
                _engine.abandon_action(handle, state_handle)
                raise
            _engine.update_state(handle, state)
            message = _engine.complete_and_start_action(handle, state_handle)

    def close(self) -> None:
        for handle in self._handles.values():
            _engine.delete_ruleset(handle)
        self._handles.clear()
