"""What the contract's tests share: the fixed time, orders, outbox items and records built
by the domain, and the ``store`` fixture a host's subclass overrides."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest

from orderflow.domain.fulfillment import Fulfillment, Tracking
from orderflow.domain.money import Money
from orderflow.domain.order import Order
from orderflow.domain.placement import place
from orderflow.domain.transaction import Transaction, TransactionKind
from orderflow.ports.outbox import OutboxItem
from orderflow.ports.repository import IdempotencyRecord, OrderQuery, OrderStore
from orderflow.testing import STAFF, make_draft

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
"""The time every order of the suite is placed at, unless a test says otherwise."""
LEASE = timedelta(minutes=5)


def new_order(
    order_id: str,
    number: int,
    *,
    placed_at: datetime = T0,
    checkout: str | None = None,
    **changes: Any,
) -> Order:
    """A freshly placed ``make_draft()`` order at version 1, with ``changes`` applied."""
    change = place(
        make_draft(external_checkout_id=checkout),
        order_id=order_id,
        number=number,
        now=placed_at,
        actor=STAFF,
    )
    return attrs.evolve(change.recorded().order, version=1, **changes)


def item(key: str, order_id: str = "ord-1", *, at: datetime = T0) -> OutboxItem:
    return OutboxItem(key=key, order_id=order_id, topic="event", payload="{}", created_at=at)


def record(key: str, order_id: str = "ord-1", *, expires_at: datetime) -> IdempotencyRecord:
    return IdempotencyRecord(
        source="payment",
        key=key,
        request_hash="hash",
        order_id=order_id,
        created_at=T0,
        expires_at=expires_at,
    )


def transaction(
    kind: TransactionKind, status: str, *, expires_at: datetime | None = None
) -> Transaction:
    return Transaction(
        id=f"tx-{kind.value}",
        kind=kind,
        amount=Money("62.00", "EUR"),
        status=status,
        idempotency_key=f"key-{kind.value}",
        created_at=T0,
        expires_at=expires_at,
    )


def held_until(expires_at: datetime) -> tuple[Transaction, ...]:
    return (transaction(TransactionKind.AUTHORIZATION, "authorized", expires_at=expires_at),)


def ids(orders: Iterable[Order]) -> list[str]:
    return [order.id for order in orders]


def shipped(order_id: str, number: int, *, tracking: str) -> Order:
    """A new order whose one fulfillment order was shipped whole, with a tracking number."""
    placed = new_order(order_id, number)
    (fo,) = placed.fulfillment_orders
    shipment = Fulfillment(
        id=f"f-{order_id}",
        fulfillment_order_id=fo.id,
        lines=fo.lines,
        created_at=T0,
        tracking=Tracking(numbers=(tracking,)),
    )
    return attrs.evolve(
        placed,
        fulfillment_orders=(attrs.evolve(fo, status="closed"),),
        fulfillments=(shipment,),
    )


def all_pages(store: OrderStore, limit: int) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = store.query(OrderQuery(limit=limit, after=cursor))
        pages.append(ids(page.orders))
        cursor = page.next_cursor
        if cursor is None:
            return pages


UNSTORABLE = {
    "NUL": "ord\x00-1",
    "lone surrogate": "ord-\ud800",
    "100,000 characters": "o" * 100_000,
}
"""Strings a caller may pass that no SQL column holds as they are: every store answers them
as the in-memory store does (not found, no match), never with a driver's error."""


RolledBack = Callable[[], AbstractContextManager[OrderStore]]
"""Opens a host's transaction and yields the store working inside it; rolls it back at
the end."""


class ContractBase:
    @pytest.fixture
    def store(self) -> OrderStore:
        """A new, empty store for each test: the subclass says how to make one."""
        pytest.fail(f"{type(self).__name__} must define a `store` fixture returning an empty store")

    @pytest.fixture
    def other_store(self, store: OrderStore) -> OrderStore:
        """A second store on the same data as ``store``, as another process would open it
        (a new repository on the same database). By default ``store`` itself: a store
        whose data lives in the object has no other view of it."""
        return store

    @pytest.fixture
    def rolled_back(self, store: OrderStore) -> RolledBack | None:
        """For a store that can work inside a host's transaction: a context manager that
        yields ``store`` joined to a new transaction of the host, rolled back at the end.
        By default ``None``: the tests that take it then undo a save the only way every
        store can, by a refusal (an outbox key already queued)."""
        return None
