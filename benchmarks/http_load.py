"""HTTP load on loopback: decisions per second and latency, beside GET /healthz in the same run.

    python benchmarks/http_load.py [--seconds 10] [--clients 4] [--workers 2] [--max-requests 50000]

Starts the real service under gunicorn on a free loopback port, then for each scenario runs
`--clients` client processes (a new connection per request, as gunicorn's sync workers close
each one) for at most `--seconds` seconds or `--max-requests` requests, and reports requests per
second, cases per second and p50/p99 latency. Scenarios: GET /healthz, POST /v1/decisions (the
contract's example), POST /v1/decisions/batch with 100 cases.
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.server import Server  # noqa: E402

CASE = json.loads((ROOT / "examples" / "contract-case.json").read_text())


def _client(port: int, key: str, method: str, path: str, body: bytes | None, deadline: float, budget: int, out):
    latencies = []
    while time.monotonic() < deadline and len(latencies) < budget:
        start = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request(method, path, body=body, headers={"Content-Type": "application/json",
                                                      "Authorization": f"Bearer {key}"})
        response = conn.getresponse()
        response.read()
        conn.close()
        if response.status != 200:
            out.put(("error", response.status))
            return
        latencies.append(time.perf_counter() - start)
    out.put(("ok", latencies))


def scenario(port: int, key: str, method: str, path: str, body, seconds: float, clients: int,
             max_requests: int) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    out = multiprocessing.Queue()
    started = time.monotonic()
    deadline = started + seconds
    procs = [multiprocessing.Process(target=_client, args=(port, key, method, path, data, deadline,
                                                           max_requests // clients, out)) for _ in range(clients)]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.monotonic() - started
    errors = [r[1] for r in results if r[0] == "error"]
    latencies = sorted(x for r in results if r[0] == "ok" for x in r[1])
    return {"requests": len(latencies), "errors": errors, "seconds": round(elapsed, 2),
            "requests_per_s": round(len(latencies) / elapsed, 1),
            "p50_ms": round(statistics.median(latencies) * 1000, 2),
            "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-requests", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp) / "server.log", workers=args.workers)
        try:
            run = lambda *a: scenario(server.port, server.keys["integrator"], *a,  # noqa: E731
                                      args.seconds, args.clients, args.max_requests)
            report = {"healthz": run("GET", "/healthz", None),
                      "decision": run("POST", "/v1/decisions", CASE),
                      "batch_100": run("POST", "/v1/decisions/batch", {"cases": [CASE] * 100})}
        finally:
            server.stop()
    report["batch_100"]["cases_per_s"] = round(report["batch_100"]["requests_per_s"] * 100, 1)
    report["ratios"] = {
        "decision_rps / healthz_rps": round(report["decision"]["requests_per_s"] / report["healthz"]["requests_per_s"], 2),
        "batch cases_per_s / decision_rps": round(report["batch_100"]["cases_per_s"] / report["decision"]["requests_per_s"], 2),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
