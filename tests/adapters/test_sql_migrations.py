"""The SQL schema's versions: Alembic revisions that lead any earlier database to today's
tables, a store that refuses a schema of another version and says what to run, and a
version table that never meets a host's own Alembic. Each test runs on SQLite and on
PostgreSQL (a new schema of its own) unless it says otherwise."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    String,
    Table,
    delete,
    insert,
    inspect,
    select,
    update,
)

from adapters import schema_v1
from orderflow import SchemaError
from orderflow.adapters.sql import (
    SCHEMA_VERSION,
    SqlRepository,
    create_schema,
    make_engine,
    schema_version,
    upgrade_schema,
)
from orderflow.adapters.sql import statements as sql
from orderflow.adapters.sql.engine import outside_transaction
from orderflow.adapters.sql.migrate import VERSION_TABLE, alembic_config
from orderflow.adapters.sql.rows import lookup_rows, width
from orderflow.adapters.sql.schema import lookups, metadata, orders, outbox, schema_info
from orderflow.testing.contract import T0, item, new_order, record, shipped


def differences(connection: Connection, tables: MetaData = metadata) -> list[Any]:
    """What Alembic's autogenerate finds between the database and ``tables``."""
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return list(compare_metadata(context, tables))


def changed_columns(found: list[Any]) -> set[tuple[str, str]]:
    """(table, column) of each column whose type ``differences`` found changed."""
    return {
        (change[2], change[3])
        for changes in found
        if isinstance(changes, list)  # a column added is a tuple of its own
        for change in changes
    }


def added_columns(found: list[Any]) -> set[tuple[str, str]]:
    """(table, column) of each column ``differences`` found missing from the database."""
    return {
        (change[2], change[3].name)
        for change in found
        if isinstance(change, tuple) and change[0] == "add_column"
    }


def revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def test_this_release_is_schema_version_3() -> None:
    assert SCHEMA_VERSION == 3


# -- the revisions -----------------------------------------------------------------------------


def test_upgrading_an_empty_database_revision_by_revision_gives_the_tables_create_schema_makes(
    empty_engine: Engine,
) -> None:
    with empty_engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0001")
        assert differences(connection, schema_v1.metadata) == []  # the baseline is release 1
        assert changed_columns(differences(connection)) == {
            ("orderflow_orders", "external_checkout_id"),
            ("orderflow_orders", "customer_email"),
            ("orderflow_lookups", "value"),
            ("orderflow_outbox", "key"),
            ("orderflow_idempotency", "key"),
        }  # what revision 0002 widens: the comparison does see column types
        command.upgrade(alembic_config(connection), "0002")
        assert added_columns(differences(connection)) == {("orderflow_orders", "revision")}
        command.upgrade(alembic_config(connection), "head")

    with empty_engine.connect() as connection:
        assert differences(connection) == []
    assert (schema_version(empty_engine), revision(empty_engine)) == (3, "0003")
    assert SqlRepository(empty_engine).next_number() == 1001


def test_create_schema_makes_the_current_tables_and_stamps_the_last_revision(
    empty_engine: Engine,
) -> None:
    assert create_schema(empty_engine) == 3

    with empty_engine.connect() as connection:
        assert differences(connection) == []
    assert (schema_version(empty_engine), revision(empty_engine)) == (3, "0003")


def test_every_revision_can_be_undone_and_done_again(empty_engine: Engine) -> None:
    create_schema(empty_engine)

    with empty_engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0001")
        assert differences(connection, schema_v1.metadata) == []
        assert connection.scalar(select(schema_info.c.version)) == 1
        command.downgrade(alembic_config(connection), "base")
        assert set(inspect(connection).get_table_names()) == {VERSION_TABLE}
        command.upgrade(alembic_config(connection), "head")
        assert differences(connection) == []


# -- a database an earlier release created -----------------------------------------------------


def fill_as_release_1(engine: Engine) -> tuple[Any, ...]:
    """The tables and rows of release 1, written by its own ``create_schema``: an order
    shipped with tracking number 1Z9 from checkout chk-1, one queued job, one record."""
    schema_v1.create_schema(engine)
    order = attrs.evolve(shipped("ord-1", 1001, tracking="1Z9"), external_checkout_id="chk-1")
    job = item("job-1")
    kept = record("evt-1", expires_at=T0 + timedelta(days=30))
    with engine.begin() as connection:  # the columns are the same: today's rows fit
        row = {k: v for k, v in sql.new_order_row(order).items() if k != "revision"}
        connection.execute(insert(schema_v1.orders), row)
        connection.execute(insert(schema_v1.lookups), lookup_rows(order))
        connection.execute(
            insert(schema_v1.outbox),
            {
                **attrs.asdict(job),
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": job.created_at,
            },
        )
        connection.execute(insert(schema_v1.idempotency), sql.record_row(kept))
    return order, job, kept


def test_a_database_an_earlier_release_created_is_recognised_and_upgraded_with_its_rows(
    empty_engine: Engine,
) -> None:
    order, job, kept = fill_as_release_1(empty_engine)
    assert VERSION_TABLE not in inspect(empty_engine).get_table_names()

    assert upgrade_schema(empty_engine) == 3

    store = SqlRepository(empty_engine)
    assert store.get("ord-1") == order
    assert store.by_checkout_id("chk-1") == order
    assert store.by_reference("tracking_number", "1Z9") == order
    assert [d.item for d in store.deliveries("ord-1")] == [job]
    assert store.idempotency_record("payment", "evt-1") == kept
    assert store.next_number() == 1002  # release 1's numbering carries on; #1001 is taken
    assert (schema_version(empty_engine), revision(empty_engine)) == (3, "0003")
    with empty_engine.begin() as connection:
        assert differences(connection) == []
        # the rebuilt tables still follow their order when it goes
        connection.execute(delete(orders).where(orders.c.id == "ord-1"))
        assert connection.execute(select(lookups.c.seq)).all() == []
        assert connection.execute(select(outbox.c.seq)).all() == []


def test_a_store_on_a_database_an_earlier_release_created_says_to_run_db_upgrade(
    empty_engine: Engine,
) -> None:
    schema_v1.create_schema(empty_engine)

    with pytest.raises(SchemaError, match=r"version 1, older .* `orderflow db upgrade URL`"):
        SqlRepository(empty_engine)
    with pytest.raises(SchemaError, match=r"version 1, older .* `orderflow db upgrade URL`"):
        create_schema(empty_engine)


def test_a_database_at_a_newer_version_is_refused_asking_for_a_newer_orderflow(
    empty_engine: Engine,
) -> None:
    create_schema(empty_engine)
    with empty_engine.begin() as connection:
        connection.execute(update(schema_info).values(version=4))

    newer = r"version 4, newer than this orderflow's version 3: upgrade orderflow"
    with pytest.raises(SchemaError, match=newer):
        SqlRepository(empty_engine)
    with pytest.raises(SchemaError, match=newer):
        upgrade_schema(empty_engine)
    with pytest.raises(SchemaError, match=newer):
        create_schema(empty_engine)


def test_upgrading_a_current_database_changes_nothing(empty_engine: Engine) -> None:
    store = SqlRepository.from_url(empty_engine.url, create=True)
    store.add(new_order("ord-1", 1001))

    assert upgrade_schema(empty_engine) == upgrade_schema(empty_engine) == 3

    assert store.get("ord-1") == new_order("ord-1", 1001)
    assert revision(empty_engine) == "0003"
    store.engine.dispose()


def test_upgrading_an_empty_database_creates_the_tables(empty_engine: Engine) -> None:
    assert upgrade_schema(empty_engine) == 3

    assert SqlRepository(empty_engine).next_number() == 1001
    assert revision(empty_engine) == "0003"


# -- living beside the host ----------------------------------------------------------------------


def test_orderflows_version_table_leaves_the_hosts_own_alembic_alone(
    empty_engine: Engine,
) -> None:
    host = MetaData()
    alembic_version = Table("alembic_version", host, Column("version_num", String(32)))
    host.create_all(empty_engine)
    with empty_engine.begin() as connection:
        connection.execute(insert(alembic_version).values(version_num="host_abc"))

    create_schema(empty_engine)
    upgrade_schema(empty_engine)

    with empty_engine.connect() as connection:
        assert connection.scalars(select(alembic_version.c.version_num)).all() == ["host_abc"]
    assert revision(empty_engine) == "0003"


def test_upgrading_sqlite_through_a_plain_engine_is_refused(tmp_path: Path) -> None:
    plain = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'plain.sqlite3'}")

    with pytest.raises(ValueError, match="make_engine"):
        upgrade_schema(plain)

    plain.dispose()


def test_an_upgrade_that_would_break_a_reference_between_tables_changes_nothing(
    tmp_path: Path,
) -> None:
    # SQLite rebuilds tables with foreign keys off: it checks them before committing.
    path = tmp_path / "orphan.sqlite3"
    engine = make_engine(path)
    fill_as_release_1(engine)
    with closing(sqlite3.connect(path)) as by_hand, by_hand:  # foreign keys off by default
        by_hand.execute(
            "INSERT INTO orderflow_lookups (order_id, kind, value) VALUES ('gone', 'tag', 'vip')"
        )

    with pytest.raises(SchemaError, match="would break a reference"):
        upgrade_schema(engine)

    assert (schema_version(engine), revision(engine)) == (1, None)
    engine.dispose()


def test_a_schema_table_holding_two_versions_is_refused_as_edited_by_hand(
    sqlite_engine: Engine,
) -> None:
    with sqlite_engine.begin() as connection:
        connection.execute(insert(schema_info).values(version=1))

    with pytest.raises(SchemaError, match=r"should hold one version and holds \[3, 1\]"):
        SqlRepository(sqlite_engine)


def test_a_pragma_meant_for_outside_a_transaction_is_refused_inside_one(
    sqlite_engine: Engine,
) -> None:
    with sqlite_engine.begin() as connection, pytest.raises(RuntimeError, match="outside"):
        outside_transaction(connection, "PRAGMA foreign_keys=OFF")


def test_the_width_of_a_column_without_one_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="search_text"):
        width(orders.c.search_text)
