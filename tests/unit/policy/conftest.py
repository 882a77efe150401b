"""A store of its own per test, seeded from the shipped folder."""
from __future__ import annotations

import pytest

from service.policy.bootstrap import open_store
from service.policy.store import Actor
from tests.conftest import TABLES, fresh_database_url

ANN = Actor("k-ann", "ann's key", "ann")
BOB = Actor("k-bob", "bob's key", "bob")


@pytest.fixture
def store(tmp_path):
    store = open_store(fresh_database_url(tmp_path), TABLES)
    yield store
    store.close()
