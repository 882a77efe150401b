"""Table tests (facts in, expected outputs) as documents of a payer's policy, and the row coverage
they reach.

A test suite document: `tests` (its name), optional `base_facts`, then `cases`, each with a
`name`, `facts` (merged over `base_facts`) and `expect`, a partial view of the decision that must
hold (see README, "Writing table tests"). A case runs against the policy in force on its own
`date_of_service`, or, without one, on the effective date of the version of the suite that holds
it: a test published with a change describes that change, and dated changes never trip tests
about other dates. In a folder, a file may hold cases of several payers (`payer` on the file or
the case); it becomes one suite per payer, named after the file.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import date

from .case_schema import CaseInvalid, load_case
from .contract import DEFAULT_PAYER
from .tables.errors import LoadError, Problem
from .tables.loader import NAME

MAX_CASES = 2_000
MAX_NAME = 200


@dataclass(frozen=True)
class TestCase:
    file: str
    name: str
    payer: str
    facts: dict = field(hash=False)
    expect: dict = field(hash=False)
    on: date | None = None           # the suite's effective date: the date of a case that gives none

    @property
    def date_of_service(self) -> date:
        given = self.facts.get("date_of_service")
        return date.fromisoformat(given) if isinstance(given, str) else given or self.on or date.min


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


def is_tests_document(doc: object) -> bool:
    return isinstance(doc, dict) and ("tests" in doc or "cases" in doc) and "table" not in doc


def split_by_payer(doc: dict, name: str) -> dict[str, dict]:
    """A folder's test file -> one suite document per payer its cases name."""
    suites: dict[str, dict] = {}
    cases = doc.get("cases") if isinstance(doc.get("cases"), list) else []
    for raw in cases:
        payer = raw.get("payer", doc.get("payer", DEFAULT_PAYER)) if isinstance(raw, dict) \
            else doc.get("payer", DEFAULT_PAYER)
        suite = suites.setdefault(str(payer), {"tests": name, **({"base_facts": doc["base_facts"]}
                                                                   if "base_facts" in doc else {}), "cases": []})
        suite["cases"].append({k: v for k, v in raw.items() if k != "payer"} if isinstance(raw, dict) else raw)
    if not suites:
        suites[str(doc.get("payer", DEFAULT_PAYER))] = {k: v for k, v in doc.items() if k != "payer"}
    return suites


def suite_from_document(doc: object, file: str, payer: str, on: date | None = None) -> list[TestCase]:
    """The cases of one suite document, or LoadError naming the file and every bad case."""
    if not isinstance(doc, dict):
        raise LoadError(Problem("a test suite is a mapping with `tests` and a `cases` list", file))
    problems = []
    unknown = set(doc) - {"tests", "base_facts", "cases"}
    if unknown:
        problems.append(Problem(f"unknown keys {sorted(unknown)}", file))
    name = doc.get("tests")
    if not isinstance(name, str) or not NAME.match(name):
        problems.append(Problem(f"`tests` must be a name matching {NAME.pattern}", file))
    base = doc.get("base_facts") or {}
    if not isinstance(base, dict):
        problems.append(Problem("`base_facts` must be a mapping of case facts", file))
        base = {}
    raw_cases = doc.get("cases")
    if not isinstance(raw_cases, list) or not raw_cases:
        problems.append(Problem("`cases` must be a non-empty list", file))
        raw_cases = []
    elif len(raw_cases) > MAX_CASES:
        problems.append(Problem(f"{len(raw_cases)} cases; a suite may have at most {MAX_CASES}", file))
        raw_cases = []
    cases, names = [], set()
    for index, raw in enumerate(raw_cases):
        label = f"case #{index + 1}"
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not isinstance(raw.get("expect"), dict):
            problems.append(Problem(f"{label} needs a `name` and an `expect` mapping", file))
            continue
        extra = set(raw) - {"name", "facts", "expect"}
        if extra:
            problems.append(Problem(f"{label}: unknown keys {sorted(extra)}", file))
        if not raw["name"] or len(raw["name"]) > MAX_NAME or raw["name"] in names:
            problems.append(Problem(f"{label}: the name must be unique and 1 to {MAX_NAME} characters", file))
        names.add(raw["name"])
        facts = raw.get("facts") or {}
        if not isinstance(facts, dict):
            problems.append(Problem(f"{label}: `facts` must be a mapping", file))
            continue
        merged = _merge(base, facts)
        try:
            load_case(merged)
        except CaseInvalid as exc:
            problems += [Problem(f"{raw['name']}: facts do not follow the contract: {e['field']}: {e['message']}", file)
                         for e in exc.errors]
            continue
        cases.append(TestCase(file, raw["name"], payer, merged, raw["expect"], on))
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


def run(cases: list[TestCase], engine_for) -> Report:
    """Run each case on `engine_for(payer, date_of_service)` (None for an unknown payer)."""
    report = Report()
    seen_engines = {}
    for case in cases:
        label = f"{case.file}: {case.name}"
        on = case.date_of_service
        engine = engine_for(case.payer, on)
        if engine is None:
            report.failures.append(f"{label}: unknown payer {case.payer!r}")
            continue
        if id(engine) not in seen_engines:
            seen_engines[id(engine)] = engine
            for table in engine.policy.tables.values():
                report.rows.update((table.file, rule.id) for rule in table.rules)
        try:
            decision, evaluation = engine.answer(load_case(case.facts), on)
        except Exception as exc:  # noqa: BLE001 - a policy that cannot decide a test case fails that test
            report.failures.append(f"{label}\n    the policy could not decide it: {type(exc).__name__}: {exc}")
            continue
        for r in evaluation.runs:
            table = engine.policy.tables[r.table]
            report.covered.update((table.file, table.rules[i].id) for i in r.resolution.selected)
        problems = mismatches(case.expect, view(decision, evaluation))
        if problems:
            report.failures.append(label + "\n    " + "\n    ".join(problems))
        else:
            report.passed += 1
    return report
