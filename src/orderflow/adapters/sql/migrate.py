"""Creating and upgrading orderflow's tables: Alembic revisions that orderflow runs itself.

The revisions live in ``migrations/versions``; revision ``000N`` leaves the tables at
schema version N (:data:`~orderflow.adapters.sql.schema.SCHEMA_VERSION`), which the
``orderflow_schema`` table records beside Alembic's own version table. That table is
``orderflow_alembic_version``, so a host's Alembic, with its ``alembic_version``, never
meets orderflow's revisions. Nobody needs an ``alembic.ini``: run ``orderflow db upgrade
URL`` or :func:`upgrade_schema`.

Creating and upgrading hold a lock for their whole transaction (PostgreSQL: an advisory
lock per schema; SQLite: a writer's ``BEGIN IMMEDIATE``), so several processes doing it at
once take turns, and each finds the work done by the one before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, insert, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from orderflow.adapters.sql.engine import WRITE, is_configured, lock_schema, outside_transaction
from orderflow.adapters.sql.schema import (
    FIRST_NUMBER,
    SCHEMA_VERSION,
    counters,
    metadata,
    require_current,
    schema_info,
    schema_version,
)
from orderflow.errors import SchemaError

MIGRATIONS = Path(__file__).with_name("migrations")
"""Alembic's script directory: ``env.py`` and ``versions/``."""

VERSION_TABLE = "orderflow_alembic_version"
"""Alembic's version table for orderflow's revisions (a host's own Alembic uses another)."""

FAILURES: tuple[type[Exception], ...] = (SchemaError, SQLAlchemyError)
"""What a schema command reports in a line (:func:`failure_message`), not as a traceback:
a schema it cannot use, a URL it cannot read, a database it cannot reach."""


def revision_of(version: int) -> str:
    """The Alembic revision that leaves the tables at schema ``version``."""
    return f"{version:04d}"


def alembic_config(connection: Connection) -> Config:
    """An Alembic configuration that runs orderflow's revisions on ``connection``, for
    ``alembic.command`` (``upgrade``, ``downgrade``, ``history``; ``revision`` with
    ``autogenerate=True`` drafts the next revision against :data:`schema.metadata`)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.set_main_option("file_template", "v%%(rev)s_%%(slug)s")
    config.attributes["connection"] = connection
    return config


def create_schema(bind: Engine | Connection) -> int:
    """Create orderflow's tables in a database that has none, and record their version;
    returns it.

    Idempotent: a database already at this version is left as it is. Given a connection,
    it runs in that connection's transaction (the caller commits); given an engine, in its
    own, as a writer. A database at another version raises
    :class:`~orderflow.errors.SchemaError` saying what to run: an older schema is upgraded
    by :func:`upgrade_schema` (``orderflow db upgrade URL``), never here.
    """
    if isinstance(bind, Engine):
        writer = bind.execution_options(**{WRITE: True})
        with writer.connect() as connection, connection.begin():
            return create_schema(connection)
    lock_schema(bind)
    found = schema_version(bind)
    if found is None:
        return _create(bind)
    return require_current(found, _where(bind))


def upgrade_schema(engine: Engine) -> int:
    """Bring the database's orderflow tables to this release's schema version, in one
    transaction; returns the version. Creates them in a database that has none.

    A database written by a release from before orderflow used Alembic (its tables at
    version 1, no ``orderflow_alembic_version``) is recognised and upgraded too. A
    database at a version newer than this release's raises
    :class:`~orderflow.errors.SchemaError`: upgrade orderflow instead.

    On SQLite, foreign keys are off while the tables are rebuilt (SQLite changes a
    column's type by copying its table), and checked before the transaction commits; the
    engine must come from :func:`~orderflow.adapters.sql.make_engine` (or go through
    :func:`~orderflow.adapters.sql.configure_sqlite`), whose transactions are real ones.
    """
    with _migrating(engine) as connection:
        found = schema_version(connection)
        if found is None:
            return _create(connection)
        if found > SCHEMA_VERSION:
            require_current(found, _where(connection))
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        if context.get_current_revision() is None:  # tables from before orderflow used Alembic
            context.stamp(ScriptDirectory(str(MIGRATIONS)), revision_of(found))
        command.upgrade(alembic_config(connection), "head")
        return require_current(schema_version(connection), _where(connection))


def failure_message(error: Exception) -> str:
    """One line for a person: a driver's own message without SQLAlchemy's statement and
    background link."""
    if isinstance(error, DBAPIError) and error.orig is not None:
        first = str(error.orig).strip().splitlines() or [""]
        return f"{type(error.orig).__name__}: {first[0]}"
    return str(error)


def _create(connection: Connection) -> int:
    metadata.create_all(connection)
    connection.execute(insert(schema_info).values(version=SCHEMA_VERSION))
    if not connection.dialect.supports_sequences:
        connection.execute(insert(counters).values(name="order_number", value=FIRST_NUMBER - 1))
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    context.stamp(ScriptDirectory(str(MIGRATIONS)), "head")
    return SCHEMA_VERSION


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A writer's connection in a transaction holding the schema lock; on SQLite, with
    foreign keys off until it ends (they cannot change inside a transaction)."""
    sqlite = engine.dialect.name == "sqlite"
    if not is_configured(engine):
        raise ValueError(
            "orderflow upgrades SQLite only through engines made by make_engine() or "
            "configure_sqlite(): plain pysqlite transactions would leave a half-upgraded "
            "database behind a failure"
        )
    with engine.execution_options(**{WRITE: True}).connect() as connection:
        if sqlite:
            outside_transaction(connection, "PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                lock_schema(connection)
                yield connection
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise SchemaError(
                        f"upgrading {_where(connection)} would break a reference between "
                        "orderflow's tables: nothing was changed"
                    )
        finally:
            if sqlite:
                outside_transaction(connection, "PRAGMA foreign_keys=ON")


def _where(connection: Connection) -> str:
    where = connection.engine.url.render_as_string()
    if connection.dialect.name == "postgresql":
        schema = connection.scalar(text("SELECT current_schema()"))
        return f"{where} (schema {schema})"
    return where
