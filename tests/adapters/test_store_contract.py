"""The published store contract (``orderflow.testing.contract``), run against every store
orderflow ships: in memory, SQLite and PostgreSQL (skipped with its reason when no server
is reachable, a failure under ``ORDERFLOW_REQUIRE_POSTGRES=1``)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from orderflow.adapters.memory import InMemoryRepository
from orderflow.adapters.sql import SqlRepository
from orderflow.ports.repository import OrderStore
from orderflow.testing.contract import StoreContract


class TestEveryShippedStore(StoreContract):
    @pytest.fixture(params=["memory", "sqlite", "postgres"])
    def store(self, request: pytest.FixtureRequest) -> OrderStore:
        if request.param == "memory":
            return InMemoryRepository()
        engine: Engine = request.getfixturevalue(f"{request.param}_engine")
        return SqlRepository(engine)
