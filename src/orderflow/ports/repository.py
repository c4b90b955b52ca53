"""Where orders live: the repository saves an order, its outbox items and its idempotency
record in one transaction, and refuses a writer whose version is stale."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

import attrs
from attrs import validators as v

from orderflow.domain._fields import OPTIONAL_AWARE, optional_text, whole
from orderflow.domain.financial import FinancialStatus, financial_status
from orderflow.domain.fulfillment_status import FulfillmentStatus, fulfillment_status
from orderflow.domain.limits import EMAIL, ORDER_ID, SEARCH, TAG, check_time, shown
from orderflow.domain.machines import OrderStatus
from orderflow.domain.order import Order
from orderflow.errors import DuplicateOrder, InvalidText, OrderflowError
from orderflow.ports.outbox import Outbox, OutboxItem


@attrs.frozen(kw_only=True)
class IdempotencyRecord:
    """Proof that a request from outside was applied: a replay finds it and changes nothing.

    ``source`` names the caller's key space (``"payment"``, ``"carrier"``...); the pair
    (source, key) is unique. ``request_hash`` tells a replay from a reuse of the key.
    """

    source: str
    key: str
    request_hash: str
    order_id: str
    created_at: datetime
    expires_at: datetime


def _cursor(query: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str):
        raise TypeError(f"'after' must be a str, got {type(value).__name__}")
    try:
        placed, order_id = parse_cursor(value)
        ORDER_ID.check(order_id, "the cursor's order id")
        check_time(placed, "the cursor's time")
    except (ValueError, OrderflowError):
        raise InvalidText(
            f"'after' {shown(value)!r} is not a cursor from a previous page (Page.next_cursor)"
        ) from None


@attrs.frozen(kw_only=True)
class OrderQuery:
    """Filters for listing orders, newest first; ``after`` is the cursor of the previous page.

    ``archived=False`` (the default) lists the working orders, ``True`` the archive,
    ``None`` both. ``text`` matches the number (``#1001``), the customer's name or email
    and the note, case-insensitively.
    """

    archived: bool | None = False
    status: OrderStatus | None = None
    financial_status: FinancialStatus | None = None
    fulfillment_status: FulfillmentStatus | None = None
    customer_email: str | None = attrs.field(default=None, validator=optional_text(EMAIL))
    tag: str | None = attrs.field(default=None, validator=optional_text(TAG))
    text: str | None = attrs.field(default=None, validator=optional_text(SEARCH))
    placed_from: datetime | None = attrs.field(default=None, validator=OPTIONAL_AWARE)
    placed_before: datetime | None = attrs.field(default=None, validator=OPTIONAL_AWARE)
    limit: int = attrs.field(default=50, validator=whole(1_000))
    after: str | None = attrs.field(default=None, validator=v.optional(_cursor))

    def matches(self, order: Order) -> bool:
        """The reference semantics every adapter's query must reproduce."""
        customer = order.customer
        checks = (
            self.archived is None or (order.archive_status == "archived") == self.archived,
            self.status is None or order.status == self.status,
            self.financial_status is None or financial_status(order) == self.financial_status,
            self.fulfillment_status is None or fulfillment_status(order) == self.fulfillment_status,
            self.customer_email is None
            or (customer.email or "").lower() == self.customer_email.lower(),
            self.tag is None or self.tag in order.tags,
            self.placed_from is None or order.placed_at >= self.placed_from,
            self.placed_before is None or order.placed_at < self.placed_before,
            self.text is None or self.text.lower() in searchable(order),
        )
        return all(checks)


def searchable(order: Order) -> str:
    """The text ``OrderQuery(text=...)`` searches: number, customer name and email, note."""
    fields = (order.name, order.customer.name, order.customer.email or "", order.note)
    return "\n".join(fields).lower()


def cursor_of(order: Order) -> str:
    """The position of ``order`` in a listing: newest first, ties broken by id."""
    return f"{order.placed_at.isoformat()}|{order.id}"


def sort_key(order: Order) -> tuple[datetime, str]:
    return (order.placed_at, order.id)


def parse_cursor(cursor: str) -> tuple[datetime, str]:
    """The (placed at, id) position a cursor from :func:`cursor_of` stands for; a string
    no listing hands out (an id no order can have, a time no order is placed at) raises
    ValueError, on every store alike."""
    placed, _, order_id = cursor.partition("|")
    try:
        at = check_time(datetime.fromisoformat(placed), "its time")
        ORDER_ID.check(order_id, "its order id")
    except ValueError as error:
        raise ValueError(
            f"{cursor[:120]!r} is not a cursor a listing handed out: {error}"
        ) from None
    return at, order_id


def check_outbox_keys(items: Sequence[OutboxItem]) -> None:
    """Refuse items that repeat a key among themselves (DuplicateOrder)."""
    keys = [item.key for item in items]
    if len(set(keys)) != len(keys):
        raise DuplicateOrder(f"outbox keys already queued: {keys}")


ReferenceKind = Literal[
    "fulfillment_order", "service_request", "tracking_number", "gateway_reference", "dispute"
]


def references(order: Order) -> frozenset[tuple[ReferenceKind, str]]:
    """The outside references a callback may quote to find ``order``: fulfillment order
    ids, current service request ids, tracking numbers, gateway references, the gateway's
    ids of disputes against its payments."""
    found: set[tuple[ReferenceKind, str]] = set()
    for fo in order.fulfillment_orders:
        found.add(("fulfillment_order", fo.id))
        if fo.request is not None:
            found.add(("service_request", fo.request.id))
    for fulfillment in order.fulfillments:
        if fulfillment.tracking is not None:
            found.update(("tracking_number", number) for number in fulfillment.tracking.numbers)
    found.update(("gateway_reference", tx.reference) for tx in order.transactions if tx.reference)
    found.update(("dispute", dispute.id) for dispute in order.disputes)
    return frozenset(found)


@attrs.frozen(kw_only=True)
class Page:
    orders: tuple[Order, ...]
    next_cursor: str | None
    """Pass as ``OrderQuery(after=...)`` for the next page; ``None`` on the last page."""


class OrderRepository(Protocol):
    def get(self, order_id: str) -> Order:
        """The order, or :class:`~orderflow.errors.OrderNotFound`."""
        ...

    def add(
        self,
        order: Order,
        *,
        outbox: Sequence[OutboxItem] = (),
        idempotency: IdempotencyRecord | None = None,
    ) -> None:
        """Store a new order; :class:`~orderflow.errors.DuplicateOrder` when its id, number
        or external checkout id is taken."""
        ...

    def save(
        self,
        order: Order,
        *,
        expected_version: int,
        outbox: Sequence[OutboxItem] = (),
        idempotency: IdempotencyRecord | None = None,
    ) -> None:
        """Replace the stored order if its version is still ``expected_version``, with the
        outbox items and idempotency record, all or nothing; else
        :class:`~orderflow.errors.ConcurrencyError` and nothing is written."""
        ...

    def next_number(self) -> int:
        """The next order number of the store (never repeats; gaps allowed)."""
        ...

    def by_number(self, number: int) -> Order | None: ...

    def by_checkout_id(self, checkout_id: str) -> Order | None: ...

    def by_reference(self, kind: ReferenceKind, value: str) -> Order | None:
        """The order that carries this outside reference (see :func:`references`); when two
        orders share a tracking number, the one saved last."""
        ...

    def idempotency_record(self, source: str, key: str) -> IdempotencyRecord | None: ...

    def purge_idempotency(self, now: datetime) -> int:
        """Forget records expired at ``now``; returns how many."""
        ...

    def query(self, query: OrderQuery) -> Page: ...

    def due_before(self, now: datetime, *, limit: int = 100) -> Sequence[str]:
        """Ids of orders whose next due time is at or before ``now``, earliest first."""
        ...

    def stream(self, query: OrderQuery | None = None, *, batch: int = 500) -> Iterator[Order]:
        """Every order ``query`` matches (default: all, archived or not), in its order,
        ``batch`` at a time, for exports: never all orders in memory at once. The query's
        ``limit`` is ignored; its ``after`` is where the stream starts."""
        ...


@runtime_checkable
class UnitOfWork(Protocol):
    """Optional beside :class:`OrderRepository`: a repository that can run one command's
    calls (its reads, then its save) on one connection says so with this method. Each
    call inside is still a transaction of its own: nothing is locked between them, and a
    save takes the write lock only at its own BEGIN, with its version check inside it, so
    no host hook or template runs under a write lock. A repository without it works as
    before, one connection per call."""

    def unit_of_work(self) -> AbstractContextManager[None]:
        """A context in which this thread's calls share one connection; nested ones join
        the outer one."""
        ...


def unit_of_work(repository: object) -> AbstractContextManager[None]:
    """``repository``'s unit of work if it offers one (:class:`UnitOfWork`), else a
    context that does nothing."""
    begin = getattr(repository, "unit_of_work", None)
    if begin is None:
        return nullcontext()
    context: AbstractContextManager[None] = begin()
    return context


class OrderStore(OrderRepository, Outbox, Protocol):
    """A repository that is also the outbox, as both shipped adapters are."""
