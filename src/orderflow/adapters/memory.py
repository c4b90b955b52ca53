"""In-memory repository and outbox, for tests, demos and single-process tools.

The order graph is immutable, so the repository keeps references without copying: what a
caller holds can never change under it. One lock makes each save atomic.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from itertools import count

import attrs

from orderflow.domain.due import next_due_at
from orderflow.domain.order import Order
from orderflow.errors import ConcurrencyError, DuplicateOrder, OrderNotFound, OutboxItemNotFound
from orderflow.ports.outbox import Delivery, OutboxItem, already_delivered, kept_error
from orderflow.ports.repository import (
    IdempotencyRecord,
    OrderQuery,
    Page,
    ReferenceKind,
    cursor_of,
    parse_cursor,
    references,
    sort_key,
)


def _same_indexes(before: Order, after: Order) -> bool:
    """Do the references and due time of ``after`` surely equal those of ``before``? They
    are computed from these parts alone, and parts the domain did not change are the very
    same objects."""
    return (
        before.transactions is after.transactions
        and before.fulfillment_orders is after.fulfillment_orders
        and before.fulfillments is after.fulfillments
        and before.archive_at is after.archive_at
        and before.status == after.status
    )


class InMemoryRepository:
    """Implements both :class:`~orderflow.ports.OrderRepository` and :class:`~orderflow.ports.Outbox`."""

    def __init__(self, *, first_number: int = 1001) -> None:
        self._lock = threading.RLock()
        self._orders: dict[str, Order] = {}
        self._by_number: dict[int, str] = {}
        self._by_checkout: dict[str, str] = {}
        self._due: dict[str, datetime] = {}
        self._references: dict[tuple[ReferenceKind, str], str] = {}
        self._references_of: dict[str, frozenset[tuple[ReferenceKind, str]]] = {}
        self._idempotency: dict[tuple[str, str], IdempotencyRecord] = {}
        self._deliveries: dict[str, Delivery] = {}
        self._pending: dict[str, None] = {}
        """Keys of pending deliveries in the order queued: claims scan only these."""
        self._numbers = count(first_number)

    # -- repository ------------------------------------------------------------------------

    def get(self, order_id: str) -> Order:
        try:
            return self._orders[order_id]
        except KeyError:
            raise OrderNotFound(f"no order with id {order_id!r}") from None

    def add(
        self,
        order: Order,
        *,
        outbox: Sequence[OutboxItem] = (),
        idempotency: IdempotencyRecord | None = None,
    ) -> None:
        with self._lock:
            if order.id in self._orders:
                raise DuplicateOrder(f"an order with id {order.id!r} already exists")
            if order.number in self._by_number:
                raise DuplicateOrder(f"order number #{order.number} is already taken")
            checkout = order.external_checkout_id
            if checkout is not None and checkout in self._by_checkout:
                raise DuplicateOrder(
                    f"checkout {checkout!r} already placed order {self._by_checkout[checkout]}"
                )
            self._check_keys(outbox)
            self._check_record(idempotency)
            self._by_number[order.number] = order.id
            if checkout is not None:
                self._by_checkout[checkout] = order.id
            self._write(order, outbox, idempotency)

    def save(
        self,
        order: Order,
        *,
        expected_version: int,
        outbox: Sequence[OutboxItem] = (),
        idempotency: IdempotencyRecord | None = None,
    ) -> None:
        with self._lock:
            stored = self.get(order.id)
            if stored.version != expected_version:
                raise ConcurrencyError(
                    f"{order} was changed by someone else (stored version {stored.version}, "
                    f"expected {expected_version}): reload it and decide again"
                )
            self._check_keys(outbox)
            self._check_record(idempotency)
            self._write(order, outbox, idempotency)

    def _check_record(self, record: IdempotencyRecord | None) -> None:
        held = None if record is None else self._idempotency.get((record.source, record.key))
        if record is not None and held is not None and held.expires_at > record.created_at:
            raise ConcurrencyError(
                f"idempotency key {record.key!r} ({record.source}) was recorded by a "
                f"concurrent request on order {held.order_id}: reload it and decide again"
            )

    def _check_keys(self, outbox: Sequence[OutboxItem]) -> None:
        keys = [item.key for item in outbox]
        taken = [key for key in keys if key in self._deliveries]
        if taken or len(set(keys)) != len(keys):
            raise DuplicateOrder(f"outbox keys already queued: {taken or keys}")

    def _write(
        self, order: Order, outbox: Sequence[OutboxItem], idempotency: IdempotencyRecord | None
    ) -> None:
        before = self._orders.get(order.id)
        self._orders[order.id] = order
        if before is None or not _same_indexes(before, order):
            self._index(order)
        else:  # the same references: this order, saved last, is the one they find
            self._references.update(dict.fromkeys(self._references_of[order.id], order.id))
        for item in outbox:
            self._deliveries[item.key] = Delivery(item=item, next_attempt_at=item.created_at)
            self._pending[item.key] = None
        if idempotency is not None:
            self._idempotency[(idempotency.source, idempotency.key)] = idempotency

    def _index(self, order: Order) -> None:
        now_known = references(order)
        for stale in self._references_of.get(order.id, frozenset()) - now_known:
            if self._references.get(stale) == order.id:
                del self._references[stale]
        self._references.update(dict.fromkeys(now_known, order.id))
        self._references_of[order.id] = now_known
        due = next_due_at(order)
        if due is None:
            self._due.pop(order.id, None)
        else:
            self._due[order.id] = due

    def next_number(self) -> int:
        with self._lock:
            number = next(self._numbers)
            while number in self._by_number:
                number = next(self._numbers)
            return number

    def by_number(self, number: int) -> Order | None:
        order_id = self._by_number.get(number)
        return None if order_id is None else self._orders[order_id]

    def by_checkout_id(self, checkout_id: str) -> Order | None:
        order_id = self._by_checkout.get(checkout_id)
        return None if order_id is None else self._orders[order_id]

    def by_reference(self, kind: ReferenceKind, value: str) -> Order | None:
        order_id = self._references.get((kind, value))
        return None if order_id is None else self._orders[order_id]

    def idempotency_record(self, source: str, key: str) -> IdempotencyRecord | None:
        return self._idempotency.get((source, key))

    def purge_idempotency(self, now: datetime) -> int:
        with self._lock:
            expired = [k for k, r in self._idempotency.items() if r.expires_at <= now]
            for k in expired:
                del self._idempotency[k]
            return len(expired)

    def query(self, query: OrderQuery) -> Page:
        start = None if query.after is None else parse_cursor(query.after)
        matching = sorted(
            (o for o in self._orders.values() if query.matches(o)), key=sort_key, reverse=True
        )
        if start is not None:
            matching = [o for o in matching if sort_key(o) < start]
        page = tuple(matching[: query.limit])
        more = len(matching) > query.limit
        return Page(orders=page, next_cursor=cursor_of(page[-1]) if more else None)

    def stream(self, query: OrderQuery | None = None, *, batch: int = 500) -> Iterator[Order]:
        query = OrderQuery(archived=None) if query is None else query
        while True:
            page = self.query(attrs.evolve(query, limit=batch))
            yield from page.orders
            if page.next_cursor is None:
                return
            query = attrs.evolve(query, after=page.next_cursor)

    def due_before(self, now: datetime, *, limit: int = 100) -> Sequence[str]:
        due = sorted((at, order_id) for order_id, at in self._due.items() if at <= now)
        return [order_id for _, order_id in due[:limit]]

    # -- outbox ------------------------------------------------------------------------------

    def claim(self, now: datetime, *, limit: int, lease: timedelta) -> Sequence[Delivery]:
        with self._lock:
            # Dicts keep insertion order: items due at the same time go in the order queued.
            queued = enumerate(self._deliveries[key] for key in self._pending)
            due = sorted((d.next_attempt_at, i, d) for i, d in queued if _claimable(d, now))
            return [self._lease(d, now, lease) for _, _, d in due[:limit]]

    def claim_key(self, key: str, now: datetime, *, lease: timedelta) -> Delivery | None:
        with self._lock:
            delivery = self._deliveries.get(key)
            if delivery is None or delivery.state != "pending":
                return None
            if delivery.lease_until is not None and delivery.lease_until > now:
                return None
            return self._lease(delivery, now, lease)

    def _lease(self, delivery: Delivery, now: datetime, lease: timedelta) -> Delivery:
        # spelt out: attrs.evolve costs several times the constructor, on every claim
        leased = Delivery(
            item=delivery.item,
            state=delivery.state,
            attempts=delivery.attempts + 1,
            next_attempt_at=delivery.next_attempt_at,
            lease_until=now + lease,
            last_error=delivery.last_error,
        )
        self._deliveries[delivery.item.key] = leased
        return leased

    def mark_delivered(self, key: str, now: datetime) -> None:
        with self._lock:
            delivery = self._deliveries[key]
            self._deliveries[key] = Delivery(
                item=delivery.item,
                state="delivered",
                attempts=delivery.attempts,
                next_attempt_at=delivery.next_attempt_at,
                last_error=delivery.last_error,
                delivered_at=now,
            )
            self._pending.pop(key, None)

    def mark_failed(self, key: str, *, error: str, retry_at: datetime | None) -> None:
        error = kept_error(error)
        with self._lock:
            delivery = self._deliveries[key]
            if retry_at is None:
                self._deliveries[key] = attrs.evolve(
                    delivery, state="dead", lease_until=None, last_error=error
                )
                self._pending.pop(key, None)
            else:
                self._deliveries[key] = attrs.evolve(
                    delivery, next_attempt_at=retry_at, lease_until=None, last_error=error
                )

    def requeue(self, key: str, now: datetime) -> None:
        with self._lock:
            delivery = self._deliveries.get(key)
            if delivery is None:
                raise OutboxItemNotFound(f"no outbox item with key {key!r}")
            if delivery.state == "delivered":
                raise already_delivered(key)
            self._deliveries[key] = attrs.evolve(
                delivery, state="pending", attempts=0, next_attempt_at=now, lease_until=None
            )
            self._pending[key] = None

    def deliveries(self, order_id: str) -> Sequence[Delivery]:
        return [d for d in self._deliveries.values() if d.item.order_id == order_id]


def _claimable(delivery: Delivery, now: datetime) -> bool:
    if delivery.state != "pending" or delivery.next_attempt_at > now:
        return False
    return delivery.lease_until is None or delivery.lease_until <= now
