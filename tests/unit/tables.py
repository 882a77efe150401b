"""Small table documents for tests: a valid base and helpers that change one thing."""
from __future__ import annotations

import copy

from service.tables.loader import table_from_document
from service.tables.validate import build_policy

LICENSE = {
    "table": "lic", "title": "t", "hit_policy": "FIRST",
    "inputs": {"active": {"from": "practitioner.license_active", "type": "boolean"},
               "cred": {"from": "practitioner.credential", "type": "string"}},
    "outputs": {"licensed": {"type": "boolean"}},
    "rules": [{"id": "L1", "when": {"cred": '"none"'}, "then": {"licensed": False}},
              {"id": "L2", "when": {"active": True}, "then": {"licensed": True}}],
    "default": {"licensed": False},
}


def doc(base=LICENSE, **changes):
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def policy_of(*docs, value_sets=(), analyse=True):
    return build_policy("test", [table_from_document(d, f"{d['table']}.yaml") for d in docs], list(value_sets), analyse)


def runtime_of(*docs, value_sets=(), analyse=False, limits=None):
    """The real engine over in-memory tables (analysis off: tests build deliberately odd tables)."""
    from service.engine.compile import compile_policy
    from service.engine.limits import EngineLimits
    from service.engine.runtime import Runtime
    policy = policy_of(*docs, value_sets=value_sets, analyse=analyse)
    return Runtime(compile_policy(policy, limits or EngineLimits()))


def facts(**clinical):
    """Case facts with the given clinical values (visit_number, visits_this_year, ...)."""
    from datetime import date
    from service.case_facts import derive
    return derive({"date_of_service": date(2026, 11, 20), "service": {"purpose": "pain"},
                   "practitioner": {"credential": "LMT", "license_active": True}, "clinical": clinical})


def visits_table(policy: str, rows, outputs=None, **extra):
    """A table over clinical.visit_number with the given (cell, outputs) rows."""
    return doc(table="t", hit_policy=policy, inputs={"n": {"from": "clinical.visit_number", "type": "number"}},
               outputs=outputs or {"o": {"type": "string", "allowed": ["high", "mid", "low"]}},
               rules=[{"id": f"R{i}", "when": {"n": cell} if cell else {}, "then": then}
                      for i, (cell, then) in enumerate(rows, 1)], default=extra.pop("default", None), **extra)
