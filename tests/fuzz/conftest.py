"""The fuzz suite's stores: memory, a SQLite file and a PostgreSQL schema, emptied per test.

PostgreSQL comes from the adapter tests' fixture (``tests/adapters/conftest.py``): a schema
of this session's own, skipped without a server unless ``ORDERFLOW_REQUIRE_POSTGRES=1``
(as in CI) makes that a failure. The examples of one test share its stores: creating
tables per example would be far too slow.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from tests.adapters.conftest import empty_postgres, postgres_url

from orderflow.adapters.memory import InMemoryRepository
from orderflow.adapters.sql import SqlRepository, create_schema, make_engine

from .trio import Trio

__all__ = ["postgres_url"]  # the session's PostgreSQL schema, required in CI


@pytest.fixture(scope="session")
def fuzz_postgres_url(postgres_url: str) -> str:
    """The session's schema, without waiting for each commit to reach the disk: the fuzz
    suite commits thousands of times, and a crash would lose nothing it needs."""
    url = make_url(postgres_url)
    options = f"{url.query['options']} -csynchronous_commit=off"
    return url.update_query_dict({"options": options}).render_as_string(hide_password=False)


@pytest.fixture
def trio(fuzz_postgres_url: str, tmp_path: Path) -> Iterator[Trio]:
    """Three empty stores for one test, shared by its examples."""
    sqlite = make_engine(f"sqlite:///{tmp_path / 'fuzz.sqlite3'}")
    create_schema(sqlite)
    postgres = empty_postgres(fuzz_postgres_url)
    yield Trio(
        {
            "memory": InMemoryRepository(),
            "sqlite": SqlRepository(sqlite),
            "postgres": SqlRepository(postgres),
        }
    )
    sqlite.dispose()
    postgres.dispose()
