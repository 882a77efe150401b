"""Table test cases (facts in, expected outputs) and the row coverage they reach.

A test file is YAML: optional `payer` and `base_facts` for all its cases, then `cases`, each with
a `name`, optional `payer`, `facts` (merged over `base_facts`) and `expect`, a partial view of the
decision that must hold (see README, "Writing table tests").
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .case_schema import CaseInvalid, load_case
from .engine.policy_engine import PolicyEngine
from .tables.errors import LoadError, Problem
from .tables.yaml_io import load_yaml

TODAY = date(2026, 11, 20)   # the date of service when a test case does not give one


@dataclass(frozen=True)
class TestCase:
    file: str
    name: str
    payer: str
    facts: dict = field(hash=False)
    expect: dict = field(hash=False)


@dataclass
class Report:
    passed: int = 0
    failures: list[str] = field(default_factory=list)
    covered: set = field(default_factory=set)      # (table file, row id)
    rows: set = field(default_factory=set)

    @property
    def uncovered(self) -> list[tuple[str, str]]:
        return sorted(self.rows - self.covered)

    @property
    def coverage(self) -> float:
        return len(self.covered & self.rows) / len(self.rows) if self.rows else 1.0


def _merge(base: dict, override: dict) -> dict:
    """Section by section: a key a case gives inside `service`, `clinical`... replaces the base value whole."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **copy.deepcopy(value)}
        else:
            out[key] = copy.deepcopy(value)
    return out


def load_cases(folder: Path) -> list[TestCase]:
    cases, problems = [], []
    for path in sorted(folder.glob("*.yaml")):
        shown = str(path)
        try:
            doc = load_yaml(path.read_bytes(), shown)
        except LoadError as exc:
            problems.extend(exc.problems)
            continue
        if not isinstance(doc, dict) or not isinstance(doc.get("cases"), list):
            problems.append(Problem("a test file is a mapping with a `cases` list", shown))
            continue
        base = doc.get("base_facts") or {}
        for index, raw in enumerate(doc["cases"]):
            if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not isinstance(raw.get("expect"), dict):
                problems.append(Problem(f"case #{index + 1} needs a `name` and an `expect` mapping", shown))
                continue
            cases.append(TestCase(shown, raw["name"], raw.get("payer", doc.get("payer", "default")),
                                  _merge(base, raw.get("facts") or {}), raw["expect"]))
    if problems:
        raise LoadError(problems)
    return cases


def view(decision: dict, evaluation) -> dict:
    """What `expect` can name: the decision without messages and rule ids, plus raw table outputs."""
    insurance, hsa = decision["billing"]["insurance"], decision["billing"]["hsa_fsa"]
    return {
        "classification": decision["classification"],
        "referrals": [{"to": r["to"], "reason": r["reason"]} for r in decision["referrals"]],
        "insurance": {
            "eligible": insurance["eligible"],
            "prior_authorization_required": insurance["prior_authorization_required"],
            "lines": insurance["lines"],
            "documentation_required": insurance["documentation_required"],
            "reasons": [r["code"] for r in insurance["reasons"]],
        },
        "hsa_fsa": {
            "eligible": hsa["eligible"],
            "documentation_required": hsa["documentation_required"],
            "reasons": [r["code"] for r in hsa["reasons"]],
        },
        "tables": {r.table: r.resolution.value for r in evaluation.runs if r.item is None},
    }


def _canonical(value):
    if isinstance(value, list):
        return sorted((_canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True, default=str))
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    return value


def mismatches(expect, actual, path: str = "") -> list[str]:
    """Dicts match on the keys `expect` names; lists match as multisets; scalars exactly."""
    if isinstance(expect, dict):
        if not isinstance(actual, dict):
            return [f"{path or 'decision'}: expected a mapping, got {json.dumps(actual, default=str)}"]
        out = []
        for key, value in expect.items():
            if key not in actual:
                out.append(f"{path}.{key}".lstrip(".") + ": not in the decision")
            else:
                out.extend(mismatches(value, actual[key], f"{path}.{key}".lstrip(".")))
        return out
    if _canonical(expect) != _canonical(actual) or type(expect) is bool and type(actual) is not bool:
        return [f"{path}: expected {json.dumps(expect, default=str)}, got {json.dumps(actual, default=str)}"]
    return []


def run(cases: list[TestCase], engines: dict[str, PolicyEngine]) -> Report:
    report = Report()
    for engine in engines.values():
        for table in engine.policy.tables.values():
            report.rows.update((table.file, rule.id) for rule in table.rules)
    for case in cases:
        label = f"{case.file}: {case.name}"
        engine = engines.get(case.payer)
        if engine is None:
            report.failures.append(f"{label}: unknown payer {case.payer!r}")
            continue
        try:
            facts = load_case(case.facts)
        except CaseInvalid as exc:
            report.failures.append(f"{label}: facts do not follow the contract: {exc}")
            continue
        decision, evaluation = engine.answer(facts, TODAY)
        for r in evaluation.runs:
            table = engine.policy.tables[r.table]
            report.covered.update((table.file, table.rules[i].id) for i in r.resolution.selected)
        problems = mismatches(case.expect, view(decision, evaluation))
        if problems:
            report.failures.append(label + "\n    " + "\n    ".join(problems))
        else:
            report.passed += 1
    return report
