"""Engines set up for orderflow: SQLite in WAL mode with real transactions, or PostgreSQL."""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
import weakref
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool, Pool, QueuePool
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
    try:
        driver.commit()
    except connection.dialect.loaded_dbapi.Error as error:
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


class Spare:
    """At most one idle connection of a SQLite engine, kept by a repository between its
    calls: checking a connection out of the pool and back in (SQLAlchemy's ``Connection``,
    the pool's queue, its reset and events) costs more than a SQLite call's statements.

    A call :meth:`take` s the kept connection, or a new one from the pool; :meth:`give`
    keeps it again after a clean call (no transaction left open), or returns it to the
    pool when one is already kept, or after an error. So a repository holds one
    connection out of its pool while idle, whatever the number of threads calling it;
    threads that find none kept check one out as before.

    Kept only for pools that can spare it (:meth:`fits`): :class:`~sqlalchemy.pool.NullPool`,
    and a :class:`~sqlalchemy.pool.QueuePool` of two connections or more (a host sharing
    a pool of one would wait for it). Never used in another process: after ``os.fork`` the
    child leaves the parent's connection alone (it neither uses nor closes it: SQLite
    forbids both) and keeps one of its own. Returned to the pool when the engine is
    disposed (``engine_disposed``; a pool replaced otherwise is noticed at the next
    :meth:`take`), by :meth:`close`, and when the repository is garbage-collected.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._kept = _Kept()
        _spares_of(engine).add(self)
        weakref.finalize(self, self._kept.release)

    @staticmethod
    def fits(engine: Engine) -> bool:
        """Can ``engine``'s pool spare a connection to keep?"""
        pool = engine.pool
        if isinstance(pool, NullPool):
            return True
        if type(pool) is not QueuePool:
            return False  # SingletonThreadPool: a connection per thread; StaticPool: one
        overflow: int = getattr(pool, "_max_overflow", 0)
        return overflow < 0 or pool.size() + overflow >= 2

    def take(self) -> Connection:
        """The kept connection (no transaction open), or a new one from the pool."""
        kept = self._kept
        if kept.connection is not None:
            with kept.lock:
                found: Connection | None = kept.connection
                pool = kept.pool
                kept.connection = kept.pool = None
                if kept.pid != os.getpid():  # forked: the parent's connection
                    kept.pid = os.getpid()
                    if found is not None:
                        _FORKED.append(found)
                    found = None
            if found is not None:
                if pool is self._engine.pool:
                    return found
                found.close()  # the engine's pool was replaced
        return self._engine.connect()

    def give(self, connection: Connection) -> None:
        """Keep ``connection`` after a clean call, if none is kept yet; else close it
        (back to the pool). A transaction left open (a statement run through SQLAlchemy
        begins one) is rolled back first."""
        if connection.in_transaction():
            connection.rollback()
        driver = connection.connection.dbapi_connection
        kept = self._kept
        if not connection.invalidated and driver is not None and not driver.in_transaction:
            with kept.lock:
                if kept.connection is None and kept.pid == os.getpid():
                    kept.connection, kept.pool = connection, self._engine.pool
                    return
        connection.close()

    def close(self) -> None:
        """Return the kept connection to its pool (in the process that kept it)."""
        self._kept.release()


class _Kept:
    """A :class:`Spare`'s state, apart so that its finalizer holds no :class:`Spare`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.connection: Connection | None = None
        self.pool: Pool | None = None
        self.pid = os.getpid()

    def release(self, *, disposed: bool = False) -> None:
        """Return the connection kept, if any, to its pool; or close it, out of the pool,
        when the engine disposed of that pool (which would only keep it open)."""
        with self.lock:
            connection = self.connection
            self.connection = self.pool = None
            if connection is None:
                return
            if self.pid != os.getpid():
                _FORKED.append(connection)  # the parent's: neither use nor close it here
                return
        if disposed:
            connection.detach()
        connection.close()


_FORKED: list[Connection] = []
"""Connections a forked child found kept by its parent's repositories: held, untouched."""

_SPARES: weakref.WeakKeyDictionary[Engine, weakref.WeakSet[Spare]] = weakref.WeakKeyDictionary()
_SPARES_LOCK = threading.Lock()


def _spares_of(engine: Engine) -> weakref.WeakSet[Spare]:
    with _SPARES_LOCK:
        spares = _SPARES.get(engine)
        if spares is None:
            spares = _SPARES[engine] = weakref.WeakSet()
            event.listen(engine, "engine_disposed", _on_dispose)
        return spares


def _on_dispose(engine: Engine) -> None:
    with _SPARES_LOCK:
        spares = list(_SPARES.get(engine, ()))
    for spare in spares:
        spare._kept.release(disposed=True)
