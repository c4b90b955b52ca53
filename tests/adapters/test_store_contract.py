"""The published store contract (``orderflow.testing.contract``), run against every store
orderflow ships: in memory, SQLite and PostgreSQL (skipped with its reason when no server
is reachable, a failure under ``ORDERFLOW_REQUIRE_POSTGRES=1``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine

from orderflow.adapters.memory import InMemoryRepository
from orderflow.adapters.sql import SqlRepository
from orderflow.ports.repository import OrderStore
from orderflow.testing.contract import StoreContract
from orderflow.testing.contract.support import RolledBack


class TestEveryShippedStore(StoreContract):
    @pytest.fixture(params=["memory", "sqlite", "postgres"])
    def store(self, request: pytest.FixtureRequest) -> OrderStore:
        if request.param == "memory":
            return InMemoryRepository()
        engine: Engine = request.getfixturevalue(f"{request.param}_engine")
        return SqlRepository(engine)

    @pytest.fixture
    def other_store(self, store: OrderStore) -> OrderStore:
        if isinstance(store, SqlRepository):
            return SqlRepository(store.engine)  # another repository, caching on its own
        return store

    @pytest.fixture
    def rolled_back(self, store: OrderStore) -> RolledBack:
        if not isinstance(store, SqlRepository):
            pytest.skip("the in-memory store works inside no host transaction")

        @contextmanager
        def host_transaction() -> Iterator[OrderStore]:
            with store.engine.connect() as connection:
                transaction = connection.begin()
                yield store.joining(connection)
                transaction.rollback()

        return host_transaction
