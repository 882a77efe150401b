"""What a publish costs: the checks a change set passes before it goes live, for the shipped policy.

    python benchmarks/publish_latency.py [--repeat 5]

A one-table change of acme-health (its prior-authorization threshold, alternating so that every
publish stores a new version) is published in process on a fresh SQLite store seeded from
decision_tables, with the per-process memory of already-decided corpora cleared before each run,
so every figure includes the full generated-corpus check. Reported: the corpus size per payer, the
parts of one check (validate and compile with the full analysis; build the corpus; decide it; the
payer's table tests), and the median end-to-end publish (check, store, audit). A base change is
checked for every payer: its check time is reported too.
"""
from __future__ import annotations

import argparse
import copy
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import yaml

from service.policy import changes, checks
from service.policy.assembly import engine_on
from service.policy.bootstrap import open_store
from service.policy.source import payers_of
from service.policy.store import Actor

ROOT = Path(__file__).resolve().parents[1]
TODAY = date(2026, 11, 24)
ACTOR = Actor("bench", "bench", "bench")


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    store = open_store(f"sqlite:///{tempfile.mkdtemp()}/bench.db", ROOT / "decision_tables")
    versions = store.all_versions()
    print("| payer | corpus cases | value pairs | pairs untried at the cap | build corpus | decide it | per case |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for payer in payers_of(versions):
        engine = engine_on(versions, payer, TODAY, analyse=True)
        corpus, built = timed(lambda: checks.generated_corpus(engine.policy, on=TODAY))
        problems, decided = timed(lambda: checks.check_decisions(engine, corpus.cases, TODAY, 120))
        assert not problems, problems
        print(f"| {payer} | {len(corpus.cases):,} | {corpus.pairs:,} | {corpus.untried:,} | {built:.2f} s "
              f"| {decided:.2f} s | {decided / len(corpus.cases) * 1e6:,.0f} us |")
        engine.runtime.close()
    prior = yaml.safe_load((ROOT / "decision_tables/payers/acme-health/prior_authorization.yaml").read_text())
    parts = {"validate and compile (full analysis)": [], "checks without the corpus (incl. tests)": [],
             "all checks": [], "publish end to end": []}
    for i in range(args.repeat):
        document = copy.deepcopy(prior)
        document["rules"][0]["when"]["visits_this_year"] = f"> {7 + i % 2}"
        docs = changes.read_documents("acme-health", [document])
        c = changes.candidate(store.all_versions(), docs, TODAY, store.generation())
        parts["validate and compile (full analysis)"].append(
            timed(lambda: engine_on(c.versions, "acme-health", TODAY, analyse=True).runtime.close())[1])
        parts["checks without the corpus (incl. tests)"].append(timed(lambda: changes.check(c, corpus=False))[1])
        changes._DECIDED.clear()
        parts["all checks"].append(timed(lambda: changes.check(c))[1])
        changes._DECIDED.clear()
        outcome, took = timed(lambda: changes.publish(store, docs, TODAY, "bench", ACTOR))
        assert outcome.stored
        parts["publish end to end"].append(took)
    print()
    print(f"| acme-health one-table change, median of {args.repeat} | seconds |")
    print("| --- | --- |")
    for label, values in parts.items():
        print(f"| {label} | {statistics.median(values):.2f} |")
    modifiers = yaml.safe_load((ROOT / "decision_tables/base/line_modifiers.yaml").read_text()) | {"title": "bench"}
    c = changes.candidate(store.all_versions(), changes.read_documents("base", [modifiers]), TODAY, store.generation())
    changes._DECIDED.clear()
    problems, took = timed(lambda: changes.check(c))
    assert not problems, problems
    print(f"| a base change, checked for all {len(changes.affected_payers(c))} payers | {took:.2f} |")
    store.close()


if __name__ == "__main__":
    main()
