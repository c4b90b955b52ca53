"""The statements SqlRepository runs on every call, built once with bound parameters.

Building a statement per call (``.where(column == value)``, ``.values(**columns)``) costs
more than running it: every value is coerced and the statement's cache key regenerated.
These are built at import and take their values at execute time; the hot ones are
:class:`~orderflow.adapters.sql.driver.Fixed`, compiled once per dialect and run on the
driver's cursor. An INSERT or UPDATE without ``.values()`` takes
its columns from the parameters' keys; the WHERE parameters are named ``b_...`` because a
bound parameter may not share a column's name there.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update

from orderflow.adapters.sql.driver import Fixed
from orderflow.adapters.sql.rows import order_columns
from orderflow.adapters.sql.schema import counters, idempotency, lookups, order_numbers, orders
from orderflow.domain.order import Order
from orderflow.ports.repository import IdempotencyRecord

_o = orders.c
_i = idempotency.c

DOCUMENT = (_o.id, _o.version, _o.document, _o.revision)
"""What loading an order reads: the document, the id and version to check it against, and
the revision token that says whether the order already loaded is still the stored one."""

ORDER_BY_ID = Fixed(select(*DOCUMENT).where(_o.id == bindparam("b_id")))
ORDER_BY_NUMBER = Fixed(select(*DOCUMENT).where(_o.number == bindparam("b_number")))
ORDER_BY_CHECKOUT = Fixed(
    select(*DOCUMENT).where(_o.external_checkout_id == bindparam("b_checkout"))
)
ORDER_BY_REFERENCE = Fixed(
    select(*DOCUMENT)
    .join(lookups, lookups.c.order_id == _o.id)
    .where(lookups.c.kind == bindparam("b_kind"), lookups.c.value == bindparam("b_value"))
    .order_by(lookups.c.seq.desc())
    .limit(1)
)
VERSION_OF = Fixed(select(_o.version).where(_o.id == bindparam("b_id")))
NEXT_NUMBER = Fixed(
    update(counters)
    .where(counters.c.name == "order_number")
    .values(value=counters.c.value + 1)
    .returning(counters.c.value)
)
"""The next order number where there are no sequences (SQLite): the counter, moved on."""
NEXT_IN_SEQUENCE = Fixed(select(order_numbers.next_value()))
"""The next order number from the sequence (PostgreSQL)."""
NUMBER_TAKEN = Fixed(select(_o.id).where(_o.number == bindparam("b_number")))

INSERT_ORDER = Fixed(insert(orders))
"""Run with :func:`new_order_row`."""
UPDATE_ORDER = Fixed(
    update(orders).where(_o.id == bindparam("b_id"), _o.version == bindparam("b_expected"))
)
"""Run with :func:`saved_order_row`: changes the row only at the expected version."""

INSERT_LOOKUPS = Fixed(insert(lookups))
"""Run with :func:`~orderflow.adapters.sql.rows.lookup_rows` (one executemany)."""
DELETE_LOOKUPS = Fixed(delete(lookups).where(lookups.c.order_id == bindparam("b_id")))

RECORD = Fixed(
    select(idempotency).where(_i.source == bindparam("b_source"), _i.key == bindparam("b_key"))
)
PURGE_RECORDS = Fixed(delete(idempotency).where(_i.expires_at <= bindparam("b_now")))
INSERT_RECORD = Fixed(insert(idempotency))
"""Run with :func:`record_row`."""
DELETE_EXPIRED_RECORD = Fixed(
    delete(idempotency).where(
        _i.source == bindparam("b_source"),
        _i.key == bindparam("b_key"),
        _i.expires_at <= bindparam("b_now"),
    )
)
"""Makes room for a record whose key's previous record has expired."""


def new_order_row(order: Order, revision: str | None = None) -> dict[str, Any]:
    """Every column of a new order's row, written with ``revision``."""
    return {
        "id": order.id,
        "number": order.number,
        "external_checkout_id": order.external_checkout_id,
        **order_columns(order),
        "revision": revision,
    }


def saved_order_row(
    order: Order, expected_version: int, revision: str | None = None
) -> dict[str, Any]:
    """The parameters of :data:`UPDATE_ORDER`: the changed columns, the new revision token
    and the row's key."""
    return {
        **order_columns(order),
        "revision": revision,
        "b_id": order.id,
        "b_expected": expected_version,
    }


def record_row(record: IdempotencyRecord) -> dict[str, Any]:
    return {
        "source": record.source,
        "key": record.key,
        "request_hash": record.request_hash,
        "order_id": record.order_id,
        "created_at": record.created_at,
        "expires_at": record.expires_at,
    }
