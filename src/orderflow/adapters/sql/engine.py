"""Engines set up for orderflow: SQLite in WAL mode with real transactions, or PostgreSQL."""

from __future__ import annotations

import os
import re
import sqlite3
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.schema import CreateSchema

from orderflow.adapters.sql.driver import raised

DEFAULT_URL = "sqlite:///orderflow.sqlite3"

WRITE = "orderflow_write"
"""Execution option: this connection's transaction writes (SQLite takes the lock at BEGIN)."""


def database_url(url_or_path: str | os.PathLike[str] | URL) -> URL:
    """A URL as given, or a plain file path read as a SQLite database."""
    if isinstance(url_or_path, URL):
        return url_or_path
    if isinstance(url_or_path, str) and "://" in url_or_path:
        return make_url(url_or_path)
    return URL.create("sqlite", database=os.fspath(url_or_path))


def make_engine(url_or_path: str | os.PathLike[str] | URL = DEFAULT_URL, **options: Any) -> Engine:
    """``sqlalchemy.create_engine`` plus what orderflow needs of SQLite: WAL journal,
    ``synchronous=NORMAL``, foreign keys, a busy timeout, and transactions SQLAlchemy
    begins itself, so SAVEPOINTs work and a writer takes the lock up front.

    A host that lets orderflow join its connections on SQLite creates its engine here
    (or calls :func:`configure_sqlite` on its own).
    """
    url = database_url(url_or_path)
    if url.get_backend_name() == "sqlite":
        connect_args = {"timeout": 30.0, **options.pop("connect_args", {})}
        return configure_sqlite(sqlalchemy.create_engine(url, connect_args=connect_args, **options))
    return sqlalchemy.create_engine(url, **options)


def search_path(url: URL, schema: str, *, create: bool) -> dict[str, str]:
    """The connect arguments that put a PostgreSQL session in ``schema`` (created first if
    ``create``), so orderflow's tables can live apart from the host's."""
    if url.get_backend_name() != "postgresql":
        raise ValueError(
            f"schemas are for PostgreSQL; give {url.get_backend_name()} a database of its own"
        )
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", schema):
        raise ValueError(f"schema names are lower-case letters, digits and _, not {schema!r}")
    if create:
        engine = sqlalchemy.create_engine(url)
        with engine.begin() as connection:
            lock_schema(connection, schema)  # IF NOT EXISTS alone still races
            connection.execute(CreateSchema(schema, if_not_exists=True))
        engine.dispose()
    return {"options": f"-csearch_path={schema}"}


def lock_schema(connection: Connection, schema: str | None = None) -> None:
    """On PostgreSQL, wait for and take the lock that serialises creating and upgrading
    orderflow's tables in ``schema`` (default: the session's current schema) until the end
    of ``connection``'s transaction. Elsewhere nothing: a SQLite writer holds the database
    from its ``BEGIN IMMEDIATE`` (the :data:`WRITE` option).

    Two processes creating the same tables at once otherwise collide in the catalogue
    (a raw IntegrityError); the second now waits, then finds the tables made.
    """
    if connection.dialect.name != "postgresql":
        return
    if schema is None:
        schema = connection.scalar(text("SELECT current_schema()")) or ""
    key = zlib.crc32(f"orderflow schema {schema}".encode())  # fits PostgreSQL's bigint
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def configure_sqlite(engine: Engine) -> Engine:
    """Set up a SQLite engine as :func:`make_engine` does; returns it."""
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


SWITCH_TO_WAL_WITHIN = 30.0
"""Seconds a new connection keeps trying to put a database in WAL mode while others hold
it (as the busy timeout waits for a lock)."""
_pause = time.sleep


def _on_connect(dbapi_connection: Any, _: Any) -> None:
    dbapi_connection.isolation_level = None  # the driver no longer BEGINs on its own
    cursor = dbapi_connection.cursor()
    try:
        _wal(cursor)
        for pragma in ("synchronous=NORMAL", "foreign_keys=ON"):
            cursor.execute(f"PRAGMA {pragma}")
    finally:
        cursor.close()


def _wal(cursor: Any) -> None:
    """Put the database in WAL mode. Switching needs the database to itself, and SQLite
    refuses at once ("database is locked"), without its busy timeout, while another
    connection reads or switches it: a new database opened by several processes at once.
    So try again, a little later each time, for :data:`SWITCH_TO_WAL_WITHIN` seconds."""
    deadline = time.monotonic() + SWITCH_TO_WAL_WITHIN
    delay = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
        _pause(delay)
        delay = min(delay * 2, 0.1)


def _on_begin(connection: Connection) -> None:
    # Straight to the driver: the statement needs none of SQLAlchemy's execution machinery
    # (parameters, results, events), which would cost more than the BEGIN itself.
    # A driver error is still raised as SQLAlchemy's (OperationalError when the database
    # stays locked past the busy timeout), as exec_driver_sql would raise it.
    # Inside immediate()'s transaction, SQLAlchemy's begins joins it.
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection is not None and not dbapi_connection.in_transaction:
        write = connection.get_execution_options().get(WRITE)
        _send(connection, "BEGIN IMMEDIATE" if write else "BEGIN")


def _send(connection: Connection, statement: str) -> None:
    """``statement`` on the driver's cursor, a driver error raised as SQLAlchemy's."""
    dbapi = connection.dialect.loaded_dbapi
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(statement)
    except dbapi.Error as error:
        raise raised(connection.dialect, statement, (), error) from error
    finally:
        cursor.close()


@contextmanager
def immediate(connection: Connection) -> Iterator[Connection]:
    """A SQLite write transaction on ``connection`` (of an engine :func:`configure_sqlite`
    set up, outside any transaction): ``BEGIN IMMEDIATE`` (the write lock, or
    OperationalError once the busy timeout passes), ``COMMIT`` at the end or ``ROLLBACK``
    on an error, straight on the driver's connection: SQLAlchemy's transaction objects,
    events and pool bookkeeping would cost more than the statements. A statement run
    through SQLAlchemy inside joins the transaction (``_on_begin``), which then ends
    through SQLAlchemy."""
    _send(connection, "BEGIN IMMEDIATE")
    driver = connection.connection.dbapi_connection
    assert driver is not None
    try:
        yield connection
    except BaseException:
        if connection.in_transaction():
            connection.rollback()
        else:
            driver.rollback()  # nothing to do if SQLite already rolled back
        raise
    if connection.in_transaction():
        connection.commit()
        return
    dbapi = connection.dialect.loaded_dbapi
    try:
        driver.commit()
    except dbapi.Error as error:
        driver.rollback()
        raise raised(connection.dialect, "COMMIT", (), error) from error


BUSY_STATES = frozenset({"40001", "40P01", "55P03"})
"""PostgreSQL's serialization failure, deadlock and lock timeout: another writer won."""


def is_busy(error: DBAPIError) -> bool:
    """Did ``error`` say another writer holds or won the database (SQLite ``database is
    locked`` past the busy timeout, PostgreSQL serialization failure, deadlock or lock
    timeout), rather than that the statement is wrong?"""
    orig = error.orig
    if getattr(orig, "sqlstate", None) in BUSY_STATES:
        return True
    message = str(orig).lower()
    return type(orig).__name__ == "OperationalError" and (
        "database is locked" in message or "database is busy" in message
    )


def outside_transaction(connection: Connection, statement: str) -> None:
    """Run ``statement`` on the driver's connection while no transaction is open (a SQLite
    ``PRAGMA foreign_keys`` does nothing inside one), on a connection of an engine set up
    by :func:`configure_sqlite`, whose driver no longer begins transactions by itself."""
    if connection.in_transaction():
        raise RuntimeError(f"{statement!r} must run outside a transaction")
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


def is_configured(bind: Connection | Engine) -> bool:
    """Does this engine (or connection's engine) begin real transactions, in which
    orderflow can nest its savepoints? Always on PostgreSQL; on SQLite, when set up by
    :func:`configure_sqlite`."""
    engine = bind if isinstance(bind, Engine) else bind.engine
    return engine.dialect.name != "sqlite" or event.contains(engine, "begin", _on_begin)
