"""Shared fixtures; Hypothesis profiles: `ci` (default, bounded) and `soak` (long differential runs)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings

settings.register_profile("ci", deadline=None, max_examples=120,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("soak", deadline=None, max_examples=10_000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parents[1]
TABLES = ROOT / "decision_tables"


def fresh_database_url(folder: Path) -> str:
    """SQLite in `folder`, or, when MASSAGE_RULES_TEST_DATABASE_URL names a server (PostgreSQL),
    a new empty database on it, so that every test app starts from its own store."""
    server = os.environ.get("MASSAGE_RULES_TEST_DATABASE_URL")
    if not server:
        return f"sqlite:///{folder / 'policy.db'}"
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    name = f"mr_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


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
    """The real app on a store of its own (SQLite, or a fresh database on the test server)."""
    from service.api import create_app
    from service.api.config import Settings
    url = fresh_database_url(tmp_path_factory.mktemp("db"))
    app = create_app(Settings.from_env(env={}, database_url=url, **overrides))
    app.test_client_class = KeyedClient
    return app


@pytest.fixture(scope="module")
def fresh_app(tmp_path_factory):
    """An app whose store only this module changes (tests that publish, fuzzers)."""
    app = make_app(tmp_path_factory)
    yield app
    app.extensions["policy_store"].close()


@pytest.fixture(scope="session")
def tables_dir() -> Path:
    return TABLES


@pytest.fixture(scope="session")
def engines():
    from service.policy.assembly import folder_engines
    return folder_engines(TABLES)
