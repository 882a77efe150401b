"""Compile time and cost per case: a 10,000-row table against a 10-row one, measured in one run.

    python benchmarks/engine_scale.py [--rows 10000] [--cases 3000]

Both tables have the same shape (a code equality, a purpose, a visit range); the big one is what a
payer's fee schedule or code list looks like. Compile = YAML text -> validated policy (with the
overlap and gap analysis) -> rulesets -> engine host. Cost per case = median of batches of
evaluations of the same mix of matching and non-matching cases. Also reports the shipped policy.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import date
from pathlib import Path

import yaml

from service.case_facts import derive
from service.case_schema import load_case
from service.engine.compile import compile_policy
from service.engine.policy_engine import PolicyEngine
from service.engine.runtime import Runtime
from service.tables.loader import table_from_document
from service.policy.assembly import folder_policy as load_policy
from service.tables.validate import build_policy
from service.tables.yaml_io import load_yaml

PURPOSES = ["pain", "injury", "disorder", "rehabilitation"]


def table_text(rows: int) -> str:
    """A fee schedule evaluated per billed line: code equality, purpose, a visit range."""
    rules = [{"id": f"R{i}", "annotation": f"fee row {i}",
              "when": {"code": f'"{90000 + i}"', "purpose": f'"{PURPOSES[i % 4]}"', "visit": "<= 12" if i % 3 else "-"},
              "then": {"fee": i % 97}} for i in range(rows)]
    doc = {"table": "fees", "title": "fee schedule", "hit_policy": "UNIQUE", "each": "service.lines",
           "inputs": {"code": {"from": "item.cpt", "type": "string"},
                      "purpose": {"from": "service.purpose", "type": "string"},
                      "visit": {"from": "clinical.visit_number", "type": "number", "default": 1}},
           "outputs": {"fee": {"type": "number"}}, "default": {"fee": -1}, "rules": rules}
    return yaml.safe_dump(doc, sort_keys=False)


def compile_once(text: str) -> tuple[float, Runtime]:
    start = time.perf_counter()
    table = table_from_document(load_yaml(text, "fees.yaml"), "fees.yaml")
    runtime = Runtime(compile_policy(build_policy("bench", [table], [])))
    return time.perf_counter() - start, runtime


def cases(rows: int, count: int, rng: random.Random):
    out = []
    for _ in range(count):
        code = str(90000 + rng.randrange(rows * 2))          # about half match no row
        out.append(derive({"date_of_service": date(2026, 11, 20),
                           "service": {"purpose": rng.choice(PURPOSES), "minutes": {code: 30}},
                           "practitioner": {"credential": "LMT", "license_active": True},
                           "clinical": {"visit_number": rng.randrange(1, 20)}}))
    return out


def per_case(runtime: Runtime, batch, rounds: int = 5) -> float:
    for facts in batch[:200]:
        runtime.evaluate(facts)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for facts in batch:
            runtime.evaluate(facts)
        times.append((time.perf_counter() - start) / len(batch))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--cases", type=int, default=3_000)
    args = parser.parse_args()
    rng = random.Random(7)
    report = {}
    for shape, make in (("fee schedule", table_text),):
        for rows in (10, args.rows):
            compile_times, runtime = [], None
            for _ in range(3):
                seconds, runtime = compile_once(make(rows))
                compile_times.append(seconds)
            batch = cases(rows, args.cases, rng)
            report[f"{shape}, {rows} rows"] = {
                "compile_s": round(statistics.median(compile_times), 3),
                "per_case_us": round(per_case(runtime, batch) * 1e6, 1),
                "rulesets": runtime.compiled.stats["rulesets"],
                "rules": runtime.compiled.stats["rules"],
            }
        small, big = report[f"{shape}, 10 rows"], report[f"{shape}, {args.rows} rows"]
        report[f"{shape}: ratio big/small per case"] = round(big["per_case_us"] / small["per_case_us"], 2)
    root = Path(__file__).resolve().parents[1]
    engine = PolicyEngine.build(load_policy(root / "decision_tables"))
    contract = load_case(json.loads((root / "examples" / "contract-case.json").read_text()))
    report["shipped default policy, contract case"] = {
        "per_case_us": round(per_case(engine.runtime, [derive(contract)] * 1000) * 1e6, 1),
        "rules": engine.compiled.stats["rules"]}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
