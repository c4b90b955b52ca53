"""What the SQL store adds to the contract: its schema, joining a host's transaction, and
reading documents that are old, corrupt or edited by hand. Each test runs on SQLite and on
PostgreSQL unless it says otherwise."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta
from pathlib import Path

import attrs
import pytest
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    insert,
    select,
    text,
    update,
)

from orderflow import (
    ConcurrencyError,
    DocumentError,
    OrderQuery,
    SchemaError,
)
from orderflow.adapters.sql import (
    SCHEMA_VERSION,
    SqlRepository,
    create_schema,
    make_engine,
    schema_version,
)
from orderflow.adapters.sql.rows import lookup_rows, order_columns
from orderflow.adapters.sql.schema import lookups, orders, schema_info
from orderflow.domain.order import SCHEMA_VERSION as DOCUMENT_VERSION
from orderflow.domain.transaction import TransactionKind
from orderflow.serialization import loads
from orderflow.testing import STAFF, make_draft, make_flow
from orderflow.testing.contract import new_order, transaction
from orderflow.testing.contract.support import T0, held_until, ids, shipped

from .conftest import postgres_server_url

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "order_v1.json"


# -- schema ------------------------------------------------------------------------------------


def test_creating_the_schema_records_its_version_and_can_be_repeated(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "new.sqlite3")
    assert schema_version(engine) is None

    assert create_schema(engine) == SCHEMA_VERSION
    assert create_schema(engine) == SCHEMA_VERSION

    assert schema_version(engine) == SCHEMA_VERSION
    with engine.connect() as connection:
        assert connection.scalars(select(schema_info.c.version)).all() == [SCHEMA_VERSION]


def test_a_store_on_a_database_without_the_schema_says_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match=r"no orderflow schema in sqlite:///.*empty\.sqlite3"):
        SqlRepository(make_engine(tmp_path / "empty.sqlite3"))


def test_a_database_holding_another_schema_version_is_refused(sqlite_engine: Engine) -> None:
    with sqlite_engine.begin() as connection:
        connection.execute(update(schema_info).values(version=SCHEMA_VERSION + 1))

    with pytest.raises(SchemaError, match=f"version {SCHEMA_VERSION + 1}, newer than"):
        SqlRepository(sqlite_engine)


def test_from_url_can_create_the_schema_of_a_new_sqlite_file(tmp_path: Path) -> None:
    store = SqlRepository.from_url(tmp_path / "shop.sqlite3", create=True)

    assert store.next_number() == 1001
    assert (tmp_path / "shop.sqlite3").exists()


# -- lookup values -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "stored"),
    [
        ("ch_" + "9" * 252, "ch_" + "9" * 252),  # 255 characters: as it is
        ("ch_" + "9" * 253, "sha256:" + hashlib.sha256(b"ch_" + b"9" * 253).hexdigest()),
        ("ch_\x00", "sha256:" + hashlib.sha256(b"ch_\x00").hexdigest()),
        # a lone surrogate's UTF-8 bytes, as "surrogatepass" writes U+D800
        ("ch_\ud800", "sha256:" + hashlib.sha256(b"ch_\xed\xa0\x80").hexdigest()),
    ],
    ids=["255 characters", "256 characters", "NUL", "lone surrogate"],
)
def test_a_gateway_reference_no_lookup_column_holds_is_stored_as_its_sha256_digest(
    sql_store: SqlRepository, reference: str, stored: str
) -> None:
    sold = attrs.evolve(transaction(TransactionKind.SALE, "succeeded"), reference=reference)
    sql_store.add(new_order("ord-1", 1001, transactions=(sold,)))

    with sql_store.engine.connect() as connection:
        values = connection.scalars(
            select(lookups.c.value).where(lookups.c.kind == "gateway_reference")
        ).all()
    assert values == [stored]


# -- joining the host's transaction ------------------------------------------------------------

host_metadata = MetaData()
invoices = Table(
    "shop_invoices",
    host_metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", String(100), nullable=False),
)
"""A table of the host's own, in the same database as orderflow's."""


@pytest.fixture
def host_engine(sql_engine: Engine) -> Engine:
    host_metadata.create_all(sql_engine)
    yield sql_engine  # type: ignore[misc]
    host_metadata.drop_all(sql_engine)


def counts(engine: Engine, order_id: str) -> tuple[int, int, int]:
    """(host invoices, orderflow orders, outbox items) for the order."""
    store = SqlRepository(engine)
    with engine.connect() as connection:
        invoiced = len(connection.execute(select(invoices.c.id)).all())
        stored = len(connection.execute(select(orders.c.id).where(orders.c.id == order_id)).all())
    return invoiced, stored, len(store.deliveries(order_id))


def place_and_invoice(engine: Engine, *, fail: bool) -> str:
    """A host's request: place an order and write its invoice in one transaction of the
    host's, which fails at the end when told to; returns the order's id."""
    store = SqlRepository(engine)
    with engine.connect() as connection, connection.begin():
        flow = make_flow(repository=store.joining(connection)).flow
        placed = flow.place(make_draft(), actor=STAFF)
        connection.execute(insert(invoices).values(order_id=placed.id))
        if fail:
            raise RuntimeError(f"the host's own step failed after placing {placed.id}")
    return placed.id


def test_a_failed_host_transaction_leaves_neither_host_rows_nor_orderflow_rows(
    host_engine: Engine,
) -> None:
    with pytest.raises(RuntimeError, match="after placing id-1") as failed:
        place_and_invoice(host_engine, fail=True)

    assert "id-1" in str(failed.value)
    assert counts(host_engine, "id-1") == (0, 0, 0)
    assert SqlRepository(host_engine).query(OrderQuery(archived=None)).orders == ()


def test_a_committed_host_transaction_keeps_both_its_rows_and_orderflow_rows(
    host_engine: Engine,
) -> None:
    order_id = place_and_invoice(host_engine, fail=False)

    assert counts(host_engine, order_id) == (1, 1, 1)  # the "placed" event is queued
    assert SqlRepository(host_engine).get(order_id).name == "#1001"


def test_a_refused_save_inside_the_host_transaction_leaves_it_usable(host_engine: Engine) -> None:
    store = SqlRepository(host_engine)
    order = new_order("ord-1", 1001)
    store.add(order)
    with host_engine.connect() as connection, connection.begin():
        joined = store.joining(connection)
        connection.execute(insert(invoices).values(order_id="ord-1"))
        joined.save(attrs.evolve(order, note="first", version=2), expected_version=1)
        with pytest.raises(ConcurrencyError):
            joined.save(attrs.evolve(order, note="stale", version=2), expected_version=1)
        connection.execute(insert(invoices).values(order_id="ord-1"))

    assert counts(host_engine, "ord-1")[0] == 2
    assert store.get("ord-1").note == "first"


def test_joining_a_sqlite_connection_of_a_plain_engine_is_refused(sqlite_url: str) -> None:
    import sqlalchemy

    plain = sqlalchemy.create_engine(sqlite_url)
    store = SqlRepository(make_engine(sqlite_url))
    with plain.connect() as connection, pytest.raises(ValueError, match="make_engine"):
        store.joining(connection)
    plain.dispose()


# -- documents ---------------------------------------------------------------------------------


def write_document(engine: Engine, order_id: str, document: str) -> None:
    with engine.begin() as connection:
        connection.execute(update(orders).where(orders.c.id == order_id).values(document=document))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda text: text[:40], r"stored order 'ord-1' cannot be loaded: .*char"),
        (
            lambda text: text.replace('"note":""', '"note":5'),
            r"stored order 'ord-1' cannot be loaded: .*'ord-1'.*expected str, got int 5",
        ),
        (
            lambda text: text.replace('"version":1', '"version":7'),
            r"stored order 'ord-1' \(version 1\) holds the document of order 'ord-1' at "
            r"version 7: it was edited by hand",
        ),
    ],
    ids=["truncated", "wrong type", "version edited"],
)
def test_a_corrupt_or_hand_edited_document_raises_a_document_error_naming_the_order(
    sql_store: SqlRepository, edit: object, message: str
) -> None:
    order = new_order("ord-1", 1001)
    sql_store.add(order)
    with sql_store.engine.connect() as connection:
        document = connection.scalar(select(orders.c.document).where(orders.c.id == "ord-1"))
    write_document(sql_store.engine, "ord-1", edit(document))  # type: ignore[operator]

    with pytest.raises(DocumentError, match=message):
        sql_store.get("ord-1")
    with pytest.raises(DocumentError, match="'ord-1'"):
        sql_store.query(OrderQuery())


def test_a_document_of_an_older_schema_version_is_upgraded_when_loaded(
    sql_store: SqlRepository,
) -> None:
    stored = FIXTURE.read_text()
    current = loads(stored)  # what serialization's upgrades make of it
    assert json.loads(stored)["schema_version"] == 1 < DOCUMENT_VERSION
    with sql_store.engine.begin() as connection:  # the row as an older release wrote it
        columns = {**order_columns(current), "schema_version": 1, "document": stored}
        connection.execute(insert(orders).values(id=current.id, number=current.number, **columns))

    loaded = sql_store.get("o-fixture-1")

    assert loaded == current
    assert loaded.schema_version == DOCUMENT_VERSION
    sql_store.save(attrs.evolve(loaded, version=loaded.version + 1), expected_version=3)
    with sql_store.engine.connect() as connection:
        row = connection.execute(select(orders).where(orders.c.id == "o-fixture-1")).one()
    assert (row.schema_version, json.loads(row.document)["schema_version"]) == (
        DOCUMENT_VERSION,
        DOCUMENT_VERSION,
    )


# -- saves write what changed -------------------------------------------------------------------


def stored_row(engine: Engine, order_id: str) -> tuple[dict[str, object], list[tuple[int, str]]]:
    """The order's query columns and its lookup rows as ``(seq, kind:value)``."""
    with engine.connect() as connection:
        row = connection.execute(select(orders).where(orders.c.id == order_id)).one()._asdict()
        found = connection.execute(
            select(lookups.c.seq, lookups.c.kind, lookups.c.value)
            .where(lookups.c.order_id == order_id)
            .order_by(lookups.c.kind, lookups.c.value)
        )
        return row, [(seq, f"{kind}:{value}") for seq, kind, value in found]


def test_a_save_rewrites_the_indexed_columns_and_the_lookups_edited_behind_the_store(
    sql_store: SqlRepository,
) -> None:
    order = attrs.evolve(
        shipped("ord-1", 1001, tracking="1Z1"), transactions=held_until(T0 + timedelta(hours=1))
    )
    sql_store.add(order)
    assert sql_store.get("ord-1") == order  # kept by the store: its row looks unchanged
    with sql_store.engine.begin() as connection:  # a hand edit, the revision token kept
        connection.execute(
            update(orders)
            .where(orders.c.id == "ord-1")
            .values(
                customer_email="x@example.com", placed_at=T0 - timedelta(days=9), next_due_at=None
            )
        )
        connection.execute(
            delete(lookups).where(
                lookups.c.order_id == "ord-1", lookups.c.kind == "tracking_number"
            )
        )
        connection.execute(insert(lookups).values(order_id="ord-1", kind="tag", value="bogus"))
    saved = attrs.evolve(order, note="Resent", version=2)

    sql_store.save(saved, expected_version=1)

    row, found = stored_row(sql_store.engine, "ord-1")
    assert {k: v for k, v in row.items() if k in order_columns(saved)} == order_columns(saved)
    assert [value for _, value in found] == [
        f"{r['kind']}:{r['value']}" for r in lookup_rows(saved)
    ]
    assert sql_store.by_reference("tracking_number", "1Z1") == saved
    assert ids(sql_store.query(OrderQuery(tag="bogus")).orders) == []
    assert sql_store.due_before(T0 + timedelta(hours=1)) == ["ord-1"]


def test_a_save_that_keeps_the_lookups_and_indexed_columns_rewrites_neither(
    sql_store: SqlRepository,
) -> None:
    order = attrs.evolve(shipped("ord-1", 1001, tracking="1Z1"), tags=frozenset({"vip"}))
    sql_store.add(order)
    sql_store.add(new_order("ord-2", 1002))  # lookup rows after ord-1's
    before, lookups_before = stored_row(sql_store.engine, "ord-1")

    sql_store.save(attrs.evolve(order, note="Resent", version=2), expected_version=1)

    after, lookups_after = stored_row(sql_store.engine, "ord-1")
    assert lookups_after == lookups_before  # the same rows, not deleted and inserted again
    assert after["version"] == 2
    assert after["revision"] != before["revision"]
    assert sql_store.by_reference("tracking_number", "1Z1") == sql_store.get("ord-1")


# -- a schema of its own on PostgreSQL ---------------------------------------------------------


def test_on_postgres_the_store_can_keep_its_tables_in_a_schema_of_its_own(
    postgres_url: str,
) -> None:
    server = postgres_server_url()
    schema = f"orderflow_own_{uuid.uuid4().hex[:8]}"
    store = SqlRepository.from_url(server, create=True, schema=schema)
    try:
        store.add(new_order("ord-1", 1001))
        with store.engine.connect() as connection:
            where = connection.scalar(
                text(
                    "SELECT table_schema FROM information_schema.tables "
                    "WHERE table_name = 'orderflow_orders' AND table_schema = :s"
                ),
                {"s": schema},
            )
        assert where == schema
        assert store.get("ord-1").number == 1001
    finally:
        store.engine.dispose()
        admin = make_engine(server)
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.mark.parametrize(
    ("url", "schema", "message"),
    [
        ("sqlite:///shop.sqlite3", "shop", "schemas are for PostgreSQL"),
        ("postgresql+psycopg://h/db", "Shop; DROP", "lower-case letters"),
    ],
    ids=["sqlite", "odd name"],
)
def test_a_schema_is_refused_on_sqlite_and_when_its_name_is_odd(
    url: str, schema: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        SqlRepository.from_url(url, schema=schema)
