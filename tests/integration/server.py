"""Start the real service under gunicorn on a free loopback port, for tests and benchmarks."""
from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`keys` holds one key per role (all payers); `request` sends the admin key unless told otherwise."""

    def __init__(self, log_path: Path, workers: int = 2, env: dict | None = None, database_url: str | None = None):
        from service.api.auth import ROLES
        from service.policy.bootstrap import open_store
        self.port = free_port()
        self.log_path = log_path
        from tests.conftest import fresh_database_url
        self.database_url = database_url or fresh_database_url(log_path.parent)
        self.store = open_store(self.database_url, ROOT / "decision_tables")
        self.keys = {role: self.store.create_key(role, ["*"], f"test {role}")[1] for role in ROLES}
        env = {**(env or {}), "MASSAGE_RULES_DATABASE_URL": self.database_url}
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "deploy" / "gunicorn.conf.py"),
             "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers)],
            cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {}), "PROMETHEUS_MULTIPROC_DIR": str(log_path.parent / f"metrics-{self.port}")})
        os.makedirs(log_path.parent / f"metrics-{self.port}", exist_ok=True)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_path.read_text()[-2000:]}")
            try:
                if self.request("GET", "/readyz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not become ready")

    def request(self, method: str, path: str, body=None, headers=None, key: str | None = "admin"):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            data = json.dumps(body) if body is not None and not isinstance(body, (str, bytes)) else body
            auth = {"Authorization": f"Bearer {self.keys[key]}"} if key else {}
            conn.request(method, path, body=data,
                         headers={"Content-Type": "application/json", **auth, **(headers or {})})
            response = conn.getresponse()
            raw = response.read()
            kind = response.getheader("Content-Type", "")
            return response.status, (json.loads(raw) if "json" in kind else raw.decode()), kind
        finally:
            conn.close()

    def stop(self) -> None:
        self.store.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()
