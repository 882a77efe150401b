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


@pytest.fixture(scope="session")
def tables_dir() -> Path:
    return TABLES


@pytest.fixture(scope="session")
def engines():
    from service.engine.policy_engine import load_engines
    return load_engines(TABLES)
