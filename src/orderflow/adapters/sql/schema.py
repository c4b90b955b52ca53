"""The tables: orders with their query columns, lookup rows, outbox, idempotency records,
the order-number counter and the schema's version.

Every timestamp column holds UTC and comes back timezone-aware, on SQLite (text) as on
PostgreSQL (``timestamptz``). Table names start with ``orderflow_`` so they can live in a
host's database next to its own. Every column that holds a string from outside is as wide
as the input rule of :mod:`orderflow.domain.limits` that bounds it.

These are the tables of the current release; Alembic's revisions (``migrations/``) lead a
database of an older release to them (:mod:`orderflow.adapters.sql.migrate`).
"""

from __future__ import annotations

from collections.abc import Callable
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
    inspect,
    select,
)

from orderflow.domain.limits import EMAIL, ID, KEY, ORDER_ID, TAG, TRACKING_NUMBER
from orderflow.errors import InvalidTimestamp, SchemaError

SCHEMA_VERSION = 3
"""Version of these tables, recorded in ``orderflow_schema`` (not the document's version).
Alembic revision ``000N`` leaves a database at version N."""

FIRST_NUMBER = 1001
"""The first order number a new database hands out."""

EMAIL_LENGTH = 2 * EMAIL.max_length
"""The customer e-mail column holds the address lower-cased, and ``str.lower`` can double a
string's length (U+0130, İ, becomes i and a combining dot): an address the input rule
accepts always fits."""

LOOKUP_LENGTH = max(ID.max_length, TRACKING_NUMBER.max_length, TAG.max_length)
"""The longest lookup value stored as it is: fulfillment order and service request ids,
tracking numbers, tags. A longer one, or a gateway reference no column can hold, is stored
as its digest (:func:`orderflow.adapters.sql.rows.lookup_value`)."""


REVISION_LENGTH = 32
"""A revision token: 16 random bytes in hex (:func:`orderflow.adapters.sql.rows.new_revision`)."""


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

    # SQLite keeps the time as text. SQLAlchemy's conversions (a format string, a regular
    # expression, then this type's) cost several times what one isoformat/fromisoformat
    # does, for the same text: "2026-01-05 09:00:00.000000" (the time in UTC, always 26
    # characters, so that the text sorts and compares as the time does).

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        # A command writes its time several times (the order's, each outbox item's): the
        # texts of the last few times are kept, as a lookup costs a fortieth of isoformat.
        texts: dict[datetime, str] = {}

        def to_text(value: datetime | None) -> str | None:
            if value is None:
                return None
            if value.tzinfo is timezone.utc:  # most times: one call, the offset cut off
                text = texts.get(value)
                if text is None:
                    if len(texts) >= 64:
                        texts.clear()
                    text = texts[value] = value.isoformat(" ", "microseconds")[:26]
                return text
            if value.tzinfo is None:
                raise InvalidTimestamp(f"orderflow stores aware datetimes only, got {value!r}")
            utc = value.astimezone(timezone.utc).replace(tzinfo=None)
            return utc.isoformat(" ", "microseconds")

        return to_text

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any] | None:
        general = super().result_processor(dialect, coltype)
        if dialect.name != "sqlite" or general is None:
            return general

        def from_text(value: Any) -> datetime | None:
            if value is None:
                return None
            if isinstance(value, str) and len(value) == 26:  # the text to_text writes
                try:  # read with its offset: datetime.replace costs more than the parse
                    return datetime.fromisoformat(value + "+00:00")
                except ValueError:
                    pass
            return general(value)

        return from_text


Id = String(ORDER_ID.max_length).with_variant(
    String(ORDER_ID.max_length, collation="C"), "postgresql"
)
"""Ids compare by code point everywhere, as Python compares them (stable pagination)."""

metadata = MetaData()

orders = Table(
    "orderflow_orders",
    metadata,
    Column("id", Id, primary_key=True),
    Column("number", BigInteger, nullable=False, unique=True),
    Column("external_checkout_id", String(KEY.max_length), unique=True),
    Column("status", String(20), nullable=False),
    Column("archive_status", String(20), nullable=False),
    Column("financial_status", String(30), nullable=False),
    Column("fulfillment_status", String(30), nullable=False),
    Column("customer_email", String(EMAIL_LENGTH), nullable=False, index=True),
    Column("search_text", Text, nullable=False),
    Column("placed_at", UtcDateTime, nullable=False),
    Column("archived_at", UtcDateTime),
    Column("next_due_at", UtcDateTime, index=True),
    Column("version", Integer, nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("document", Text, nullable=False),
    Column("revision", String(REVISION_LENGTH)),
    Index("orderflow_orders_listing", "placed_at", "id"),
)
"""One row per order: the document is the truth; the other columns are derived from it
(:func:`orderflow.adapters.sql.rows.order_columns`) for queries, never read back. ``revision``
is a random token written with each save: a repository reuses an order it loaded or saved
only while the row still holds that token (and that document); ``NULL`` (a row written by
hand or before schema version 3) matches nothing."""

lookups = Table(
    "orderflow_lookups",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("order_id", Id, ForeignKey(orders.c.id, ondelete="CASCADE"), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("value", String(LOOKUP_LENGTH), nullable=False),
    Index("orderflow_lookups_value", "kind", "value"),
    Index("orderflow_lookups_order", "order_id"),
)
"""An order's outside references (``references(order)``) and tags; the highest ``seq`` is
the order saved last. A save deletes the rows the order no longer holds and inserts the new
ones; a reference another order saved after it shares is inserted again (a new ``seq``)."""

outbox = Table(
    "orderflow_outbox",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("key", String(KEY.max_length), nullable=False, unique=True),
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
    Column("key", String(KEY.max_length), primary_key=True),
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


def schema_version(bind: Engine | Connection) -> int | None:
    """The version recorded in the database, or ``None`` if it holds no orderflow schema."""
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            return schema_version(connection)
    if not inspect(bind).has_table(schema_info.name):
        return None
    found: list[int] = list(bind.scalars(select(schema_info.c.version)))
    if len(found) != 1:
        raise SchemaError(
            f"orderflow_schema should hold one version and holds {found}: it was edited "
            "by hand or by a failed tool"
        )
    return found[0]


def require_current(version: int | None, where: str) -> int:
    """``version`` if it is this release's; else a SchemaError saying what to do."""
    if version is None:
        raise SchemaError(
            f"no orderflow schema in {where}: create it with create_schema(engine) or "
            "`orderflow db init URL`"
        )
    if version < SCHEMA_VERSION:
        raise SchemaError(
            f"the orderflow schema in {where} is version {version}, older than this "
            f"orderflow's version {SCHEMA_VERSION}: upgrade it with `orderflow db upgrade URL` "
            "(or upgrade_schema(engine))"
        )
    if version > SCHEMA_VERSION:
        raise SchemaError(
            f"the orderflow schema in {where} is version {version}, newer than this "
            f"orderflow's version {SCHEMA_VERSION}: upgrade orderflow to the release that "
            "wrote it"
        )
    return version
