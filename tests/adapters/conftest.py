"""Stores for the adapter tests: SQLite files under ``tmp_path`` and PostgreSQL schemas.

PostgreSQL tests need a server: ``ORDERFLOW_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``). Without one they are skipped with
the reason, unless ``ORDERFLOW_REQUIRE_POSTGRES=1`` (set by ``.ci/run``) makes that a
failure. Each test session works in a schema of its own, dropped at the end, and each test
starts from empty tables, so sessions running side by side on one server never meet.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

from orderflow.adapters.sql import SqlRepository, create_schema, make_engine
from orderflow.adapters.sql.schema import FIRST_NUMBER, metadata, order_numbers

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_server_url() -> URL:
    return make_url(os.environ.get("ORDERFLOW_POSTGRES_URL", DEFAULT_POSTGRES_URL))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a fresh schema for this session on the PostgreSQL server (tables created),
    as a string a subprocess can take: ``search_path`` travels in its ``options``."""
    server = postgres_server_url()
    try:
        admin = make_engine(server, connect_args={"connect_timeout": 5})
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = f"no PostgreSQL server at {server.render_as_string()}: {exc.orig}"
        if os.environ.get("ORDERFLOW_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"ORDERFLOW_REQUIRE_POSTGRES=1 but {reason}", pytrace=False)
        pytest.skip(f"{reason} (set ORDERFLOW_POSTGRES_URL to run the PostgreSQL tests)")
    schema = f"orderflow_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = server.update_query_dict({"options": f"-csearch_path={schema}"})
    engine = make_engine(url)
    create_schema(engine)
    engine.dispose()
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def new_postgres_schema(prefix: str) -> Iterator[str]:
    """The URL (a string, for subprocesses too) of a new, empty schema on the PostgreSQL
    server, dropped with everything in it at the end."""
    server = postgres_server_url()
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = make_engine(server)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = server.update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each SQL database in turn, holding no table at all (PostgreSQL: a new schema)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    request.getfixturevalue("postgres_url")  # skipped, or failed, without a server
    with new_postgres_schema("orderflow_empty") as url:
        yield url


@pytest.fixture
def empty_engine(empty_url: str) -> Iterator[Engine]:
    engine = make_engine(empty_url)
    yield engine
    engine.dispose()


def empty_postgres(url: str) -> Engine:
    """An engine on the session's schema, every table emptied and numbering from 1001."""
    engine = make_engine(url)
    tables = ", ".join(
        table.name for table in metadata.sorted_tables if table.name != "orderflow_schema"
    )
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY"))
        connection.execute(text(f"ALTER SEQUENCE {order_numbers.name} RESTART WITH {FIRST_NUMBER}"))
    return engine


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    engine = empty_postgres(postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A new SQLite database file with orderflow's tables."""
    url = f"sqlite:///{tmp_path / 'orders.sqlite3'}"
    engine = make_engine(url)
    create_schema(engine)
    engine.dispose()
    return url


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def sql_engine(request: pytest.FixtureRequest) -> Engine:
    """Each SQL database in turn, empty."""
    engine: Engine = request.getfixturevalue(f"{request.param}_engine")
    return engine


@pytest.fixture
def sql_store(sql_engine: Engine) -> SqlRepository:
    return SqlRepository(sql_engine)
