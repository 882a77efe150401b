from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from service.api import create_app
from service.api.auth import ROLES
from service.api.config import Settings
from tests.conftest import ROOT, fresh_database_url


class KeyedClient(FlaskClient):
    """A test client that sends `key` as the bearer token unless a test gives its own header."""

    key: str | None = None

    def open(self, *args, **kwargs):
        if self.key:
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("Authorization", f"Bearer {self.key}")
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)


def make_app(tmp_path_factory, **overrides):
    url = fresh_database_url(tmp_path_factory.mktemp("db"))
    app = create_app(Settings.from_env(env={}, database_url=url, **overrides))
    app.test_client_class = KeyedClient
    return app


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
