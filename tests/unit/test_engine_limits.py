"""The compiler keeps every ruleset inside durable_rules 2.0.28's hard limits.

Each test builds a table that, compiled naively, would hang the engine (513 children under one
node), fail every case that reaches it (65 matching siblings: error 303; ~250 properties: error
302) or fail to load (4,097 rules: error 106), and shows the compiled policy evaluating correctly,
or the compiler refusing with a message naming the table.
"""
from __future__ import annotations

import json
import subprocess

import pytest

from service.engine.compile import compile_policy
from service.engine.limits import EngineLimits
from service.tables.errors import CompileError
from tests import reference
from tests.unit.subprocess_run import run_python
from tests.unit.tables import doc, facts, policy_of, runtime_of

CODES = {"table": "codes", "hit_policy": "FIRST",
         "inputs": {"cpt": {"from": "derived.billed_codes", "type": "list"},
                    "purpose": {"from": "service.purpose", "type": "string"}},
         "outputs": {"o": {"type": "number"}}, "default": {"o": -1}}


def wide_table(n: int) -> dict:
    """n rows, each an equality on its own value: one node with n distinct children."""
    return doc(CODES, inputs={"purpose": {"from": "service.purpose", "type": "string"}},
               rules=[{"id": f"R{i}", "when": {"purpose": f'"p{i}"'}, "then": {"o": i}} for i in range(n)])


def test_naive_600_children_hang_the_engine():
    """The sharp edge itself: 513+ distinct children under one node never return (guarded by timeout)."""
    code = """
        from durable.engine import Host
        class H(Host):
            def _run(self): pass
            def get_action(self, n): return lambda c: None
        rules = {f"r{i}": {"all": [{"m": {"$and": [{"$t": "A"}, {"x": f"v{i}"}]}}], "run": "a"} for i in range(600)}
        H().set_rulesets({"t": rules})
        print("returned")
    """
    with pytest.raises(subprocess.TimeoutExpired):
        run_python(code, timeout=15)


def test_a_600_row_equality_table_is_sharded_and_answers():
    code = """
        from tests.unit.tables import facts, runtime_of
        from tests.unit.test_engine_limits import wide_table
        from datetime import date
        from service.case_facts import derive
        runtime = runtime_of(wide_table(600))
        out = []
        for purpose in ["p0", "p299", "p599", "p600"]:
            case = derive({"date_of_service": date(2026, 11, 20), "service": {"purpose": purpose},
                           "practitioner": {"credential": "LMT", "license_active": True}})
            out.append(runtime.evaluate(case).output("codes")["o"])
        print(out, len(runtime.compiled.rulesets), runtime.compiled.stats["max_children"])
    """
    result = run_python(code, timeout=60)
    assert result.returncode == 0, result.stderr
    values, rulesets, widest = result.stdout.split("]")[0] + "]", *result.stdout.split("]")[1].split()
    assert json.loads(values) == [0, 299, 599, -1]
    assert int(rulesets) >= 2 and int(widest) <= 500


def test_600_inequalities_under_one_node_are_grouped_and_answer():
    table = doc(CODES, hit_policy="COLLECT", default=None, aggregation="count",
                inputs={"purpose": {"from": "service.purpose", "type": "string"}},
                rules=[{"id": f"R{i}", "when": {"purpose": f'not("p{i}")'}, "then": {"o": i}} for i in range(600)])
    runtime = runtime_of(table)
    assert runtime.compiled.stats["max_children"] <= 500 and runtime.compiled.stats["max_matches"] <= 60
    from datetime import date
    from service.case_facts import derive
    for purpose, count in [("p7", 599), ("x", 600)]:
        case = derive({"date_of_service": date(2026, 11, 20), "service": {"purpose": purpose},
                       "practitioner": {"credential": "LMT", "license_active": True}})
        assert runtime.evaluate(case).output("codes") == {"o": count}


def test_children_that_cannot_be_sharded_are_refused_before_the_engine_sees_them():
    by_method = [{"id": f"M{i}", "when": {"method": f'"m{i}"'}, "then": {"o": i}} for i in range(700)]
    by_purpose = [{"id": f"P{i}", "when": {"purpose": f'"p{i}"'}, "then": {"o": i}} for i in range(600)]
    table = doc(CODES, inputs={"purpose": {"from": "service.purpose", "type": "string"},
                               "method": {"from": "payment.method", "type": "string"}}, rules=by_method + by_purpose)
    with pytest.raises(CompileError, match=r"600 distinct conditions under one node .*hangs past 512") as info:
        compile_policy(policy_of(table, analyse=False))
    assert (info.value.problems[0].file, info.value.problems[0].table) == ("codes.yaml", "codes")


def test_many_overlapping_ranges_are_grouped_so_no_node_matches_more_than_64():
    """100 thresholds all passed by one value: naively 100 matching siblings, error 303."""
    table = doc(CODES, hit_policy="COLLECT", default=None, aggregation="count",
                inputs={"n": {"from": "clinical.visits_this_year", "type": "number"}},
                rules=[{"id": f"R{i}", "when": {"n": f">= {i}"}, "then": {"o": 1}} for i in range(100)])
    runtime = runtime_of(table)
    assert runtime.compiled.layouts["codes"].groups >= 2
    assert runtime.compiled.stats["max_matches"] <= 60
    for visits, count in [(0, 1), (57, 58), (99, 100), (500, 100)]:
        assert runtime.evaluate(facts(visits_this_year=visits)).output("codes") == {"o": count}


def test_the_naive_form_of_that_table_fails_with_error_303():
    code = """
        from durable.engine import Host
        class H(Host):
            def _run(self): pass
            def get_action(self, n): return lambda c: None
        rules = {f"r{i}": {"all": [{"m": {"$and": [{"$t": "A"}, {"$gte": {"n": i}}]}}], "run": "a"} for i in range(100)}
        h = H(); h.set_rulesets({"t": rules})
        h.assert_fact("t", {"sid": "1", "$t": "A", "n": 500})
    """
    result = run_python(code, timeout=30)
    assert result.returncode != 0 and "error code: 303" in result.stderr


def test_a_fact_with_too_many_properties_is_refused():
    table = doc(CODES, inputs={"flags": {"from": "clinical.red_flags", "type": "list"}},
                rules=[{"id": f"R{i}", "when": {"flags": f'"f{i}"'}, "then": {"o": i}} for i in range(260)])
    with pytest.raises(CompileError, match="properties"):
        compile_policy(policy_of(table, analyse=False))


def test_a_10000_row_table_is_split_below_4096_rules_per_ruleset_and_agrees_with_the_reference():
    rows = [{"id": f"R{i}", "when": {"purpose": f'"p{i}"', "cpt": '"97124"' if i % 2 else "-"}, "then": {"o": i}}
            for i in range(10_000)]
    table = doc(CODES, rules=rows)
    policy = policy_of(table, analyse=False)
    compiled = compile_policy(policy)
    sizes = sorted(len(r) for r in compiled.rulesets.values())
    assert len(sizes) >= 4 and sizes[-1] <= EngineLimits().shard_rules
    main = compiled.rulesets[compiled.main]
    assert len(main) == 1          # only the big table's probe: its rows cost the main ruleset nothing
    from service.engine.runtime import Runtime
    runtime = Runtime(compiled)
    from datetime import date
    from service.case_facts import derive
    for purpose, minutes in [("p0", {}), ("p1", {"97124": 30}), ("p1", {}), ("p9999", {"97124": 8}), ("zzz", {})]:
        case = derive({"date_of_service": date(2026, 11, 20), "service": {"purpose": purpose, "minutes": minutes},
                       "practitioner": {"credential": "LMT", "license_active": True}})
        expected = reference.evaluate(policy, case)[("codes", None)]
        run = runtime.evaluate(case).runs[0]
        assert (run.matched, run.resolution.value) == expected[1:]
