from __future__ import annotations

import json

import pytest

from service.api.auth import ROLES
from tests.conftest import ROOT, make_app


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    app = make_app(tmp_path_factory)
    yield app
    app.extensions["policy_store"].close()


@pytest.fixture(scope="session")
def keys(app):
    store = app.extensions["policy_store"]
    return {role: store.create_key(role, ["*"], f"test {role}")[1] for role in ROLES}


@pytest.fixture
def client(app, keys):
    client = app.test_client()
    client.key = keys["admin"]
    return client


@pytest.fixture
def contract_case():
    return json.loads((ROOT / "examples" / "contract-case.json").read_text())
