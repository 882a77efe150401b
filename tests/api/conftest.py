from __future__ import annotations

import json

import pytest

from service.api import create_app
from service.api.config import Settings
from tests.conftest import ROOT


@pytest.fixture(scope="session")
def app():
    return create_app(Settings.from_env(env={}))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def contract_case():
    return json.loads((ROOT / "examples" / "contract-case.json").read_text())
