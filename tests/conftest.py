"""Shared fixtures; Hypothesis profiles: `ci` (default, bounded) and `soak` (long differential runs)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

settings.register_profile("ci", deadline=None, max_examples=120)
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


@pytest.fixture(scope="session")
def tables_dir() -> Path:
    return TABLES


@pytest.fixture(scope="session")
def engines():
    from service.engine.policy_engine import load_engines
    return load_engines(TABLES)
