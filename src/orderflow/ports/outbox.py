"""The outbox: outside calls and messages saved with the order, delivered at least once."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal, Protocol, runtime_checkable

import attrs

from orderflow.errors import InvalidTransition


@attrs.frozen(kw_only=True)
class OutboxItem:
    """Work to do outside once the order is saved.

    ``key`` is unique and is also the idempotency key the outside call carries, so a
    redelivery is recognisable. ``topic`` says which runner handles it (``payment``,
    ``event``); ``payload`` is JSON text.
    """

    key: str
    order_id: str
    topic: str
    payload: str
    created_at: datetime


DeliveryState = Literal["pending", "delivered", "dead"]


@attrs.frozen(kw_only=True)
class Delivery:
    """An item and how its delivery is going (kept in the outbox, not in the order)."""

    item: OutboxItem
    state: DeliveryState = "pending"
    attempts: int = 0
    next_attempt_at: datetime
    lease_until: datetime | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None


class Outbox(Protocol):
    def claim(self, now: datetime, *, limit: int, lease: timedelta) -> Sequence[Delivery]:
        """Lease up to ``limit`` due pending items (their next attempt or lease has passed),
        counting the attempt; another dispatcher does not get them until the lease ends."""
        ...

    def claim_key(self, key: str, now: datetime, *, lease: timedelta) -> Delivery | None:
        """Lease one pending item by key, if it is not leased by someone else."""
        ...

    def mark_delivered(self, key: str, now: datetime) -> None: ...

    def mark_failed(self, key: str, *, error: str, retry_at: datetime | None) -> None:
        """Record a failed attempt; ``retry_at=None`` dead-letters the item. The delivery
        keeps :func:`kept_error` of ``error``, as every store does."""
        ...

    def requeue(self, key: str, now: datetime) -> None:
        """Give a dead-lettered (or failing) item a fresh set of attempts from ``now``.

        An unknown key raises :class:`~orderflow.errors.OutboxItemNotFound`; a delivered
        item raises :class:`~orderflow.errors.InvalidTransition` (it would be carried out
        a second time: a second e-mail, a second restock)."""
        ...

    def deliveries(self, order_id: str) -> Sequence[Delivery]:
        """Every item of an order with its delivery state, oldest first."""
        ...


MAX_ERROR_LENGTH = 10_000
"""The characters of an error a delivery keeps: its start, enough for any diagnosis."""

_UNKEEPABLE = re.compile(r"[\x00\ud800-\udfff]")


def kept_error(error: str) -> str:
    """What a delivery keeps of a failed attempt's error, the same on every store: its first
    :data:`MAX_ERROR_LENGTH` characters, NUL and lone surrogates (which PostgreSQL, or any
    UTF-8 store, cannot hold) replaced by U+FFFD. An error's text comes from outside (a
    gateway's reply, an exception): it may hold anything."""
    return _UNKEEPABLE.sub("\ufffd", error[:MAX_ERROR_LENGTH])


def already_delivered(key: str) -> InvalidTransition:
    """The refusal to requeue a delivered item, the same from every store."""
    return InvalidTransition(
        f"outbox item {key!r} was delivered: requeueing it would carry it out a second time"
    )


@runtime_checkable
class MarksDeliveredTogether(Protocol):
    """Optional beside :class:`Outbox`: an outbox that records several deliveries in one
    write (one transaction, one commit) says so with this method."""

    def mark_all_delivered(self, delivered: Sequence[tuple[str, datetime]]) -> None:
        """Mark each ``(key, delivered_at)`` delivered, all in one write; an unknown key
        raises KeyError once the others are recorded."""
        ...


def mark_all_delivered(outbox: Outbox, delivered: Sequence[tuple[str, datetime]]) -> None:
    """Record what a dispatch pass delivered: in one write if ``outbox`` offers it
    (:class:`MarksDeliveredTogether`), else one :meth:`Outbox.mark_delivered` each."""
    if not delivered:
        return
    together = getattr(outbox, "mark_all_delivered", None)
    if together is not None:
        together(delivered)
        return
    for key, at in delivered:
        outbox.mark_delivered(key, at)
