"""The README's change-set walkthrough (examples/change-set-walkthrough.sh) runs against the real service."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.integration.server import Server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("walk") / "server.log", workers=2)
    yield server
    server.stop()


def test_the_walkthrough(server):
    env = {**os.environ, "H": f"http://127.0.0.1:{server.port}", "ADMIN": server.keys["admin"],
           "MR": f"{sys.executable} -m service.cli", "PY": sys.executable,
           "MASSAGE_RULES_DATABASE_URL": server.database_url}
    result = subprocess.run(["bash", str(ROOT / "examples" / "change-set-walkthrough.sh")], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line]
    assert lines[0] == '{"payer_id":"acme-health","four_eyes":true,"time_zone":"UTC"}'
    assert "'> 8'" in lines[1] and lines[2] == "proposed"
    assert lines[3] == "403 The analyst role may not do this."
    assert lines[4] == "published pia"
    assert lines[5] == "False acme-health@2"
    assert lines[6] == "proposed"
    assert lines[7].startswith("403 this payer requires four eyes")
    assert lines[8] == "published quinn"
    assert lines[9] == "True acme-health@1"
    assert "value set covered_diagnoses: codes added: M25.5" in lines[10]
