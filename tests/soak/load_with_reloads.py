"""Load with reloads: 4 clients decide for 60 s while a new version is published every second.

    python tests/soak/load_with_reloads.py [--seconds 60] [--clients 4] [--workers 2]

Reports requests, failures, publishes, and checks that every decision names versions that were
published (or seeded) and that no decision mixes tables from two versions of the payer's policy:
the version it names for the changing table must say what the decision shows, and every other
table must be the seeded one. Exits non-zero on any failure.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.integration.server import Server  # noqa: E402
from tests.policy_documents import GP_FOR_LMT, MODIFIERS, URL  # noqa: E402

CASE = dict(json.loads((ROOT / "examples" / "contract-case.json").read_text()), payer_id="acme-health",
            date_of_service=date.today().isoformat())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp) / "server.log", workers=args.workers)
        seeded = None
        published: dict[str, bool] = {}
        answers, failures = [], []
        stop = threading.Event()

        def client():
            while not stop.is_set():
                try:
                    status, decision, _ = server.request("POST", "/v1/decisions", CASE, key="integrator")
                except OSError as exc:
                    failures.append(repr(exc))
                    continue
                if status != 200:
                    failures.append(status)
                else:
                    answers.append((decision["billing"]["insurance"]["lines"][0]["modifiers"],
                                    decision["policy"]["tables"]))
        try:
            _, first, _ = server.request("POST", "/v1/decisions", CASE, key="integrator")
            seeded = first["policy"]["tables"]
            threads = [threading.Thread(target=client) for _ in range(args.clients)]
            for t in threads:
                t.start()
            started = time.monotonic()
            n = 0
            while time.monotonic() - started < args.seconds:
                document = GP_FOR_LMT if n % 2 == 0 else MODIFIERS
                status, body, _ = server.request("PUT", URL, document, key="admin")
                if status != 201:
                    failures.append(f"publish {status}")
                else:
                    published[body["label"]] = document is GP_FOR_LMT
                n += 1
                time.sleep(max(0.0, started + n - time.monotonic()))
            stop.set()
            for t in threads:
                t.join()
        finally:
            stop.set()
            server.stop()
    wrong, mixed = 0, 0
    for modifiers, tables in answers:
        label = tables["line_modifiers"]
        expected_gp = published.get(label, False if label == seeded["line_modifiers"] else None)
        if expected_gp is None or (modifiers == ["GP"]) != expected_gp:
            wrong += 1
        if {k: v for k, v in tables.items() if k != "line_modifiers"} != \
                {k: v for k, v in seeded.items() if k != "line_modifiers"}:
            mixed += 1
    report = {"seconds": args.seconds, "clients": args.clients, "workers": args.workers,
              "decisions": len(answers), "failed_requests": len(failures), "publishes": len(published),
              "labels_seen": len({t["line_modifiers"] for _, t in answers}),
              "decisions_not_matching_their_version": wrong, "decisions_mixing_versions": mixed}
    print(json.dumps(report, indent=2))
    return 0 if not failures and not wrong and not mixed else 1


if __name__ == "__main__":
    sys.exit(main())
