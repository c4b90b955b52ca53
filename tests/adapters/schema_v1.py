"""orderflow's SQL schema as the last release before Alembic created it (schema version 1,
``src/orderflow/adapters/sql/schema.py`` at commit c0707a8), kept verbatim below this
docstring: the tests build "a database an earlier release created" with its
``create_schema``, as a store in production has one.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Dialect,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Sequence,
    String,
    Table,
    Text,
    TypeDecorator,
    insert,
    inspect,
    select,
)

from orderflow.errors import InvalidTimestamp, SchemaError

SCHEMA_VERSION = 1
"""Version of these tables, recorded by :func:`create_schema` (not the document's version)."""

FIRST_NUMBER = 1001
"""The first order number a new database hands out."""


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC, returned aware in UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise InvalidTimestamp(f"orderflow stores aware datetimes only, got {value!r}")
        utc = value.astimezone(timezone.utc)
        return utc if dialect.name == "postgresql" else utc.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


Id = String(100).with_variant(String(100, collation="C"), "postgresql")
"""Ids compare by code point everywhere, as Python compares them (stable pagination)."""

metadata = MetaData()

orders = Table(
    "orderflow_orders",
    metadata,
    Column("id", Id, primary_key=True),
    Column("number", BigInteger, nullable=False, unique=True),
    Column("external_checkout_id", String(200), unique=True),
    Column("status", String(20), nullable=False),
    Column("archive_status", String(20), nullable=False),
    Column("financial_status", String(30), nullable=False),
    Column("fulfillment_status", String(30), nullable=False),
    Column("customer_email", String(320), nullable=False, index=True),
    Column("search_text", Text, nullable=False),
    Column("placed_at", UtcDateTime, nullable=False),
    Column("archived_at", UtcDateTime),
    Column("next_due_at", UtcDateTime, index=True),
    Column("version", Integer, nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("document", Text, nullable=False),
    Index("orderflow_orders_listing", "placed_at", "id"),
)
"""One row per order: the document is the truth; the other columns are derived from it
(:func:`orderflow.adapters.sql.rows.order_columns`) for queries, never read back."""

lookups = Table(
    "orderflow_lookups",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("order_id", Id, ForeignKey(orders.c.id, ondelete="CASCADE"), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("value", String(200), nullable=False),
    Index("orderflow_lookups_value", "kind", "value"),
    Index("orderflow_lookups_order", "order_id"),
)
"""An order's outside references (``references(order)``) and tags, rewritten with every
save; the highest ``seq`` is the order saved last."""

outbox = Table(
    "orderflow_outbox",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("order_id", Id, ForeignKey(orders.c.id, ondelete="CASCADE"), nullable=False),
    Column("topic", String(50), nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("state", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("lease_until", UtcDateTime),
    Column("last_error", Text),
    Column("delivered_at", UtcDateTime),
    Index("orderflow_outbox_due", "state", "next_attempt_at"),
    Index("orderflow_outbox_order", "order_id"),
)

idempotency = Table(
    "orderflow_idempotency",
    metadata,
    Column("source", String(50), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(128), nullable=False),
    Column("order_id", Id, ForeignKey(orders.c.id, ondelete="CASCADE"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False, index=True),
)

counters = Table(
    "orderflow_counters",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("value", BigInteger, nullable=False),
)
"""The order-number counter where the database has no sequences (SQLite)."""

order_numbers = Sequence("orderflow_order_number", start=FIRST_NUMBER, metadata=metadata)
"""The order-number sequence where the database has them (PostgreSQL): never rolled back."""

schema_info = Table(
    "orderflow_schema",
    metadata,
    Column("version", Integer, nullable=False),
)


def create_schema(bind: Engine | Connection) -> int:
    """Create the tables that do not exist yet and record the schema version; returns it.

    Idempotent. Given a connection, it runs in that connection's transaction (the caller
    commits); given an engine, in its own. A database holding another version raises
    :class:`~orderflow.errors.SchemaError`.
    """
    if isinstance(bind, Engine):
        with bind.begin() as connection:
            return create_schema(connection)
    metadata.create_all(bind)
    found = bind.scalars(select(schema_info.c.version)).all()
    if not found:
        bind.execute(insert(schema_info).values(version=SCHEMA_VERSION))
        if not bind.dialect.supports_sequences:
            bind.execute(insert(counters).values(name="order_number", value=FIRST_NUMBER - 1))
        return SCHEMA_VERSION
    return check_version(found)


def schema_version(bind: Engine | Connection) -> int | None:
    """The version :func:`create_schema` recorded, or ``None`` if there is no schema."""
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            return schema_version(connection)
    if not inspect(bind).has_table(schema_info.name):
        return None
    return check_version(bind.scalars(select(schema_info.c.version)).all())


def check_version(found: Any) -> int:
    """The one recorded version if it is this release's, else SchemaError."""
    if list(found) != [SCHEMA_VERSION]:
        raise SchemaError(
            f"the database's orderflow schema is version {list(found)}, this orderflow "
            f"uses version {SCHEMA_VERSION}"
        )
    return SCHEMA_VERSION
