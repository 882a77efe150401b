"""Memory over time: 200,000 decisions through one worker; resident memory at the end against
after the first 10,000.

    python tests/soak/memory.py [--decisions 200000] [--batch 100]

Cases vary (purpose, visit, minutes, payer) so the engine sees many paths; decisions are sent in
batches to one gunicorn worker. Exits non-zero when the final RSS is more than 10% above the RSS
measured after the first 10,000 decisions.
"""
from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.integration.server import Server  # noqa: E402

CASE = json.loads((ROOT / "examples" / "contract-case.json").read_text())
PURPOSES = ["pain", "relaxation", "injury", "lymphedema", "maintenance"]
PAYERS = ["default", "acme-health", "medicare-example"]


def case(i: int) -> dict:
    c = copy.deepcopy(CASE)
    c["case_id"] = f"m-{i}"
    c["payer_id"] = PAYERS[i % 3]
    c["service"]["purpose"] = PURPOSES[i % 5]
    c["service"]["minutes"] = {"97124": 5 + i % 60, "97140": i % 23}
    c["clinical"]["visit_number"] = 1 + i % 14
    c["clinical"]["visits_this_year"] = i % 30
    return c


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp) / "server.log", workers=1, env={"MASSAGE_RULES_TIMEOUT": "120"})
        try:
            worker = int(Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children").read_text().split()[0])
            samples, sent, started = [], 0, time.monotonic()
            baseline = None
            while sent < args.decisions:
                cases = [case(sent + k) for k in range(args.batch)]
                status, body, _ = server.request("POST", "/v1/decisions/batch", {"cases": cases}, key="integrator")
                if status != 200 or any("classification" not in r for r in body["results"]):
                    print(f"request failed at {sent}: {status}", file=sys.stderr)
                    return 2
                sent += args.batch
                if sent == 10_000:
                    baseline = rss_kb(worker)
                if sent % 20_000 == 0:
                    samples.append((sent, rss_kb(worker)))
            final = rss_kb(worker)
        finally:
            server.stop()
    growth = (final - baseline) / baseline
    print(json.dumps({"decisions": sent, "seconds": round(time.monotonic() - started, 1),
                      "rss_after_10000_kb": baseline, "rss_final_kb": final, "growth": round(growth, 4),
                      "samples_kb": samples}, indent=2))
    return 0 if growth <= 0.10 else 1


if __name__ == "__main__":
    sys.exit(main())
