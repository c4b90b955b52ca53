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

from sqlalchemy import bindparam, case, delete, exists, false, insert, select, update

from orderflow.adapters.sql.driver import Fixed
from orderflow.adapters.sql.rows import TAG, order_columns
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

INDEXED = tuple(
    sorted(
        {column.name for index in orders.indexes for column in index.columns}
        - {"id", "number", "external_checkout_id"}
    )
)
"""The columns :func:`saved_order_row` sets that an index holds (e-mail, placement and
due time). An UPDATE whose SET list names an indexed column writes that index's pages
(SQLite), or a new index entry (PostgreSQL, no heap-only update), even when the value is
the one already stored; most saves leave these three as they were."""
UPDATE_DOCUMENT = Fixed(
    update(orders).where(
        _o.id == bindparam("b_id"),
        _o.version == bindparam("b_expected"),
        *(
            _o[name].is_not_distinct_from(bindparam(f"b_{name}", type_=_o[name].type))
            if _o[name].nullable
            else _o[name] == bindparam(f"b_{name}", type_=_o[name].type)
            for name in INDEXED
        ),
    )
)
"""Run with :func:`document_row`: changes the row at the expected version only if its
indexed columns already hold what the save would write, and then sets only the others;
no row changed means stale, or indexed columns to change: :data:`UPDATE_ORDER` decides."""

INSERT_LOOKUPS = Fixed(insert(lookups))
"""Run with :func:`~orderflow.adapters.sql.rows.lookup_rows` (one executemany)."""
_l = lookups.c
_later = lookups.alias("later")
LOOKUPS_OF = Fixed(
    select(
        _l.seq,
        _l.kind,
        _l.value,
        case(
            (_l.kind == TAG, false()),
            else_=exists().where(
                _later.c.kind == _l.kind, _later.c.value == _l.value, _later.c.seq > _l.seq
            ),
        ),
    ).where(_l.order_id == bindparam("b_id"))
)
"""An order's stored lookup rows, each with whether a later row (another order's, saved
after it) holds the same reference, which then finds that other order; tags are found by
membership, never by the latest."""
DELETE_LOOKUP = Fixed(delete(lookups).where(_l.seq == bindparam("b_seq")))

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


def document_row(row: dict[str, Any]) -> dict[str, Any]:
    """The parameters of :data:`UPDATE_DOCUMENT` from those of :data:`UPDATE_ORDER`: the
    indexed columns move from the SET list to the WHERE clause."""
    found = {key: value for key, value in row.items() if key not in INDEXED}
    for name in INDEXED:
        found[f"b_{name}"] = row[name]
    return found


def record_row(record: IdempotencyRecord) -> dict[str, Any]:
    return {
        "source": record.source,
        "key": record.key,
        "request_hash": record.request_hash,
        "order_id": record.order_id,
        "created_at": record.created_at,
        "expires_at": record.expires_at,
    }
