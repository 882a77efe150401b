"""The runtime's guards against durable_rules' sharp edges, each shown to matter."""
from __future__ import annotations

import threading

import durable.engine
import durable_rules_engine
import pytest

from service.engine.facts import CaseFactError
from service.engine.hit_policy import HitPolicyViolation
from service.engine.limits import EngineLimits
from tests.unit.subprocess_run import run_python
from tests.unit.tables import doc, facts, runtime_of, visits_table

SEGFAULT = (-11, 139)


def test_delete_state_after_a_case_that_fired_nothing_segfaults_durable_rules():
    """The sharp edge itself, in a child process."""
    result = run_python("""
        from durable.engine import Host
        class H(Host):
            def _run(self): pass
            def get_action(self, n): return lambda c: None
        h = H(); h.set_rulesets({"t": {"r": {"all": [{"m": {"$and": [{"$t": "A"}, {"x": 1}]}}], "run": "a"}}})
        try:
            h.assert_fact("t", {"sid": "9", "$t": "A", "x": 5})
        except Exception:
            pass
        h.delete_state("t", "9")
    """, timeout=60)
    assert result.returncode in SEGFAULT


def test_the_runtime_never_deletes_state(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("delete_state called")
    monkeypatch.setattr(durable_rules_engine, "delete_state", refuse)
    sharded = visits_table("FIRST", [(str(i), {"o": "mid"}) for i in range(30)], default={"o": "low"})
    runtime = runtime_of(sharded, limits=EngineLimits(inline_rules=5, shard_rules=10, bucket_rules=3))
    for visit in range(1, 40):             # most of these fire nothing in the shard they are sent to
        assert runtime.evaluate(facts(visit_number=visit)).runs[0].resolution.value["o"] == ("mid" if visit < 30 else "low")


def test_thousands_of_cases_that_fire_nothing_do_not_crash_the_process():
    result = run_python("""
        from service.engine.limits import EngineLimits
        from tests.unit.tables import facts, runtime_of, visits_table
        table = visits_table("COLLECT", [("> 1000", {"o": "high"})] * 1 + [(str(i), {"o": "mid"}) for i in range(2000, 2020)])
        runtime = runtime_of(table, limits=EngineLimits(inline_rules=5, shard_rules=10, bucket_rules=3))
        for i in range(3000):
            assert runtime.evaluate(facts(visit_number=1 + i % 900)).runs[0].resolution.value == []
        print("ok")
    """, timeout=300)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]


def test_a_plain_host_starts_timer_threads_and_ours_does_not():
    before = threading.active_count()
    durable.engine.Host()
    assert threading.active_count() > before
    before = threading.active_count()
    runtime_of(visits_table("FIRST", [(None, {"o": "low"})]))
    assert threading.active_count() == before


def test_actions_run_on_the_calling_thread_of_any_thread():
    runtime = runtime_of(visits_table("FIRST", [("< 5", {"o": "low"}), (None, {"o": "high"})]))
    results, errors = [], []

    def worker(visit):
        try:
            for _ in range(200):
                results.append(runtime.evaluate(facts(visit_number=visit)).runs[0].resolution.value["o"])
        except Exception as exc:     # noqa: BLE001 - collected and asserted below
            errors.append(exc)
    threads = [threading.Thread(target=worker, args=(v,)) for v in (1, 9, 2, 8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results.count("low") == 400 and results.count("high") == 400


def test_an_error_inside_an_action_is_not_swallowed_and_the_next_case_is_clean():
    runtime = runtime_of(visits_table("UNIQUE", [("< 5", {"o": "low"}), ("< 3", {"o": "mid"}), (">= 5", {"o": "high"})]))
    with pytest.raises(HitPolicyViolation):
        runtime.evaluate(facts(visit_number=1))        # raised inside the resolve action
    assert runtime.evaluate(facts(visit_number=4)).runs[0].resolution.value == {"o": "low"}
    assert runtime.evaluate(facts(visit_number=9)).runs[0].resolution.value == {"o": "high"}


def test_a_bad_fact_in_a_downstream_table_fails_loudly():
    """Validation refuses `values` that leave out what the upstream table gives; should a policy
    reach the engine without it, the runtime still refuses the fact rather than guess."""
    import dataclasses
    from service.engine.compile import compile_policy
    from service.engine.limits import EngineLimits
    from service.engine.runtime import Runtime
    from tests.unit.tables import policy_of
    first = visits_table("FIRST", [(None, {"o": "low"})])
    reader = {"table": "r", "hit_policy": "FIRST",
              "inputs": {"o": {"from": "t.o", "type": "string", "values": ["low", "mid"]}},
              "outputs": {"x": {"type": "boolean"}}, "rules": [], "default": {"x": True}}
    policy = policy_of(first, reader)
    narrowed = policy.tables["r"].inputs[0]
    policy.tables["r"] = dataclasses.replace(policy.tables["r"], inputs=(dataclasses.replace(narrowed, values=("mid",)),))
    runtime = Runtime(compile_policy(policy, EngineLimits()))
    with pytest.raises(CaseFactError, match="t.o: must be one of mid"):
        runtime.evaluate(facts(visit_number=1))      # raised inside the gather action


def test_identical_items_are_not_merged_by_the_engine():
    """Every code pair reads only `same_region`, so all items' facts would be identical but for their ids."""
    from datetime import date
    from service.case_facts import derive
    table = doc(table="pairs", hit_policy="FIRST", each="service.code_pairs", default=None,
                inputs={"same": {"from": "item.same_region", "type": "boolean"}},
                outputs={"o": {"type": "boolean"}}, rules=[{"id": "P1", "when": {}, "then": {"o": True}}])
    runtime = runtime_of(table)
    case = derive({"date_of_service": date(2026, 11, 20),
                   "service": {"purpose": "pain", "minutes": {"97124": 10, "97140": 10, "97530": 10}},
                   "practitioner": {"credential": "LMT", "license_active": True}})
    assert len(case.items["service.code_pairs"]) == 6
    assert len(runtime.evaluate(case).item_runs("pairs")) == 6


def test_sessions_are_abandoned_not_deleted_and_the_host_is_renewed_before_the_engine_runs_out():
    runtime = runtime_of(visits_table("UNIQUE", [("< 3", {"o": "low"}), ("< 2", {"o": "mid"}), (">= 3", {"o": "high"})]))
    first_host = runtime._host
    for _ in range(950):
        with pytest.raises(HitPolicyViolation):
            runtime.evaluate(facts(visit_number=1))
    assert runtime._host is not first_host
    assert runtime.evaluate(facts(visit_number=4)).runs[0].resolution.value == {"o": "high"}


def test_every_fact_a_case_asserted_is_retracted():
    from pathlib import Path
    from service.engine.policy_engine import PolicyEngine
    from service.policy.assembly import folder_policy as load_policy
    engine = PolicyEngine.build(load_policy(Path(__file__).resolve().parents[2] / "decision_tables"))
    from service.case_schema import load_case
    engine.decide(load_case({"service": {"purpose": "pain", "minutes": {"97124": 30}},
                             "practitioner": {"credential": "LMT", "license_active": True}}))
    runtime = engine.runtime
    assert runtime._host.facts(runtime.compiled.main, runtime._sid) == []
