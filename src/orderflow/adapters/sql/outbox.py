"""Outbox statements, each one run in the caller's transaction.

A claim is one ``UPDATE ... RETURNING`` over the due items it selects: on PostgreSQL the
selection takes ``FOR UPDATE SKIP LOCKED``, so dispatchers sharing the table never wait for
nor take each other's items; SQLite runs one writer at a time, so one dispatcher.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Integer, and_, bindparam, insert, or_, select, update

from orderflow.adapters.sql.driver import Fixed, run, run_many, run_named
from orderflow.adapters.sql.rows import delivery_of, storable, width
from orderflow.adapters.sql.schema import UtcDateTime, outbox
from orderflow.errors import OutboxItemNotFound
from orderflow.ports.outbox import Delivery, OutboxItem, already_delivered

_c = outbox.c
_KEY = width(_c.key)
_ORDER = width(_c.order_id)
"""A key or order id longer, or holding NUL or a lone surrogate, was never queued: it is an
unknown key, as in memory, and never sent to a driver that would refuse it."""

# Built once, run with parameters (see orderflow.adapters.sql.statements).
_INSERT = Fixed(insert(outbox))
_FREE = and_(
    _c.state == "pending",
    or_(_c.lease_until.is_(None), _c.lease_until <= bindparam("b_now", type_=UtcDateTime)),
)
_LEASE = {"attempts": _c.attempts + 1, "lease_until": bindparam("b_until", type_=UtcDateTime)}
_DUE = (
    select(_c.seq)
    .where(_FREE, _c.next_attempt_at <= bindparam("b_now", type_=UtcDateTime))
    .order_by(_c.next_attempt_at, _c.seq)
    .limit(bindparam("b_limit", type_=Integer))
    .with_for_update(skip_locked=True)
)
_CLAIM = Fixed(
    update(outbox).where(_c.seq.in_(_DUE.scalar_subquery())).values(_LEASE).returning(*outbox.c)
)
_CLAIM_KEY = Fixed(
    update(outbox).where(_c.key == bindparam("b_key"), _FREE).values(_LEASE).returning(*outbox.c)
)
_CHANGE = Fixed(update(outbox).where(_c.key == bindparam("b_key")))
"""Its SET clause is the columns its parameters name beside ``b_key``."""
_REQUEUE = Fixed(
    update(outbox)
    .where(_c.key == bindparam("b_key"), _c.state != "delivered")
    .values(
        state="pending",
        attempts=0,
        lease_until=None,
        next_attempt_at=bindparam("b_now", type_=UtcDateTime),
    )
)
_STATE = Fixed(select(_c.state).where(_c.key == bindparam("b_key")))
_BY_ORDER = Fixed(select(outbox).where(_c.order_id == bindparam("b_order")).order_by(_c.seq))


def queue(connection: Connection, items: Sequence[OutboxItem]) -> None:
    """Insert new pending items, in the order given."""
    if items:
        run_many(
            connection,
            _INSERT,
            [
                {
                    "key": item.key,
                    "order_id": item.order_id,
                    "topic": item.topic,
                    "payload": item.payload,
                    "created_at": item.created_at,
                    "state": "pending",
                    "attempts": 0,
                    "next_attempt_at": item.created_at,
                }
                for item in items
            ],
        )


def claim(connection: Connection, now: datetime, limit: int, lease: timedelta) -> list[Delivery]:
    parameters = {"b_now": now, "b_until": now + lease, "b_limit": limit}
    _, rows = run_named(connection, _CLAIM, parameters)
    # RETURNING gives no order: put the claimed items back in the order they were due.
    ordered = sorted(rows, key=lambda row: (row.next_attempt_at, row.seq))
    return [delivery_of(row) for row in ordered]


def claim_key(connection: Connection, key: str, now: datetime, lease: timedelta) -> Delivery | None:
    if not storable(key, _KEY):
        return None
    parameters = {"b_key": key, "b_now": now, "b_until": now + lease}
    _, rows = run_named(connection, _CLAIM_KEY, parameters)
    return delivery_of(rows[0]) if rows else None


def change(connection: Connection, key: str, **values: Any) -> None:
    """Update one item; an unknown key raises KeyError (as a dict would)."""
    if not storable(key, _KEY) or run(connection, _CHANGE, {"b_key": key, **values})[0] != 1:
        raise KeyError(key)


def deliver_all(connection: Connection, delivered: Sequence[tuple[str, datetime]]) -> list[str]:
    """Mark each ``(key, delivered_at)`` delivered; the unknown keys. One ``executemany``
    when the driver's count says every key was found, else one update per key (again for
    those already marked: the same values)."""
    rows = [
        {"b_key": key, "state": "delivered", "lease_until": None, "delivered_at": at}
        for key, at in delivered
    ]
    stored = all(storable(key, _KEY) for key, _ in delivered)
    if stored and run_many(connection, _CHANGE, rows) == len(rows):
        return []
    unknown = []
    for key, at in delivered:
        try:
            change(connection, key, state="delivered", lease_until=None, delivered_at=at)
        except KeyError:
            unknown.append(key)
    return unknown


def requeue(connection: Connection, key: str, now: datetime) -> None:
    """A dead or failing item pending again with fresh attempts; refuses what is delivered."""
    if not storable(key, _KEY):
        raise OutboxItemNotFound(f"no outbox item with key {key!r}")
    if run(connection, _REQUEUE, {"b_key": key, "b_now": now})[0] == 1:
        return
    if not run(connection, _STATE, {"b_key": key})[1]:
        raise OutboxItemNotFound(f"no outbox item with key {key!r}")
    raise already_delivered(key)


def deliveries(connection: Connection, order_id: str) -> list[Delivery]:
    if not storable(order_id, _ORDER):
        return []
    _, rows = run_named(connection, _BY_ORDER, {"b_order": order_id})
    return [delivery_of(row) for row in rows]


def taken_keys(connection: Connection, keys: Sequence[str]) -> list[str]:
    """Which of ``keys`` are already queued."""
    found = set(connection.scalars(select(_c.key).where(_c.key.in_(keys))))
    return [key for key in keys if key in found]
