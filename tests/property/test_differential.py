"""durable_rules and the reference evaluator agree, over the real tables and random ones."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.case_facts import derive
from service.case_schema import load_case
from service.declared_facts import with_extensions
from service.engine.compile import compile_policy
from service.engine.hit_policy import HitPolicyViolation
from service.engine.limits import EngineLimits
from service.engine.runtime import Runtime
from service.policy.assembly import folder_policy as load_policy
from service.policy.source import folder_versions, payers_of
from service.tables.validate import build_policy
from tests import reference
from tests.strategies import VALUE_SETS, cases, policy_documents, tables_from

ROOT = Path(__file__).resolve().parents[2] / "decision_tables"
SHARD_EVERYTHING = EngineLimits(inline_rules=1, shard_rules=3, bucket_rules=2)


def engine_results(runtime: Runtime, facts) -> dict:
    try:
        evaluation = runtime.evaluate(facts)
    except HitPolicyViolation:
        return "violation"
    return {(r.table, r.item): ("ok", r.matched, r.resolution.value) for r in evaluation.runs}


def reference_results(policy, facts):
    results = reference.evaluate(policy, facts)
    if any(status == "violation" for status, _, _ in results.values()):
        return "violation"
    return results


REAL = {payer: Runtime(compile_policy(load_policy(ROOT, payer))) for payer in payers_of(folder_versions(ROOT))}


@pytest.mark.parametrize("payer", sorted(REAL))
@given(case=cases, data=st.data())
def test_real_tables_agree_with_reference(payer, case, data):
    runtime = REAL[payer]
    declared = runtime.policy.facts      # the payer's own facts: some of their values, or their defaults
    case["extensions"] = {f.name: data.draw(st.sampled_from(f.values)) for f in declared if f.values and data.draw(st.booleans())}
    facts = derive(with_extensions(load_case(case), declared), None, declared)
    assert engine_results(runtime, facts) == reference_results(runtime.policy, facts)


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(docs=policy_documents(), batch=st.lists(cases, min_size=1, max_size=4), sharded=st.booleans())
def test_random_tables_agree_with_reference(docs, batch, sharded):
    policy = build_policy("generated", tables_from(docs), VALUE_SETS, analyse=False)
    runtime = Runtime(compile_policy(policy, SHARD_EVERYTHING if sharded else EngineLimits()))
    for case in batch:
        facts = derive(load_case(case))
        assert engine_results(runtime, facts) == reference_results(policy, facts)
