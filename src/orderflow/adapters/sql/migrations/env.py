"""Alembic's environment for orderflow's revisions: they run on the connection, and in the
transaction, that :mod:`orderflow.adapters.sql.migrate` hands over, recording themselves in
orderflow's own version table."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from orderflow.adapters.sql.migrate import VERSION_TABLE
from orderflow.adapters.sql.schema import metadata


def run() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError(
            "orderflow's revisions run on a connection: use `orderflow db upgrade URL`, "
            "upgrade_schema(engine) or alembic_config(connection), not alembic.ini"
        )
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        transactional_ddl=True,  # SQLite's DDL is transactional too
        render_as_batch=True,  # SQLite changes a column by copying its table
    )
    with context.begin_transaction():
        context.run_migrations()


run()
