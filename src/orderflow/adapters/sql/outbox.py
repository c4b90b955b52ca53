"""Outbox statements, each one run in the caller's transaction.

A claim is one ``UPDATE ... RETURNING`` over the due items it selects: on PostgreSQL the
selection takes ``FOR UPDATE SKIP LOCKED``, so dispatchers sharing the table never wait for
nor take each other's items; SQLite runs one writer at a time, so one dispatcher.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, insert, or_, select, update

from orderflow.adapters.sql.rows import delivery_of
from orderflow.adapters.sql.schema import outbox
from orderflow.ports.outbox import Delivery, OutboxItem

_c = outbox.c


def queue(connection: Connection, items: Sequence[OutboxItem]) -> None:
    """Insert new pending items, in the order given."""
    if items:
        connection.execute(
            insert(outbox),
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


def _free(now: datetime) -> ColumnElement[bool]:
    return and_(_c.state == "pending", or_(_c.lease_until.is_(None), _c.lease_until <= now))


def claim(connection: Connection, now: datetime, limit: int, lease: timedelta) -> list[Delivery]:
    due = (
        select(_c.seq)
        .where(_free(now), _c.next_attempt_at <= now)
        .order_by(_c.next_attempt_at, _c.seq)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = connection.execute(
        update(outbox)
        .where(_c.seq.in_(due.scalar_subquery()))
        .values(attempts=_c.attempts + 1, lease_until=now + lease)
        .returning(*outbox.c)
    ).all()
    # RETURNING gives no order: put the claimed items back in the order they were due.
    ordered = sorted(rows, key=lambda row: (row.next_attempt_at, row.seq))
    return [delivery_of(row) for row in ordered]


def claim_key(connection: Connection, key: str, now: datetime, lease: timedelta) -> Delivery | None:
    row = connection.execute(
        update(outbox)
        .where(_c.key == key, _free(now))
        .values(attempts=_c.attempts + 1, lease_until=now + lease)
        .returning(*outbox.c)
    ).one_or_none()
    return None if row is None else delivery_of(row)


def change(connection: Connection, key: str, **values: Any) -> None:
    """Update one item; an unknown key raises KeyError (as a dict would)."""
    if connection.execute(update(outbox).where(_c.key == key).values(**values)).rowcount != 1:
        raise KeyError(key)


def deliveries(connection: Connection, order_id: str) -> list[Delivery]:
    rows = connection.execute(select(outbox).where(_c.order_id == order_id).order_by(_c.seq))
    return [delivery_of(row) for row in rows]


def taken_keys(connection: Connection, keys: Sequence[str]) -> list[str]:
    """Which of ``keys`` are already queued."""
    found = set(connection.scalars(select(_c.key).where(_c.key.in_(keys))))
    return [key for key in keys if key in found]
