"""Domain events: what happened, as plain frozen records.

Operations return them in a :class:`~orderflow.domain.order.Change`; they are never fields
of the order. The service turns them into timeline entries, outbox jobs and published
messages. ``SCHEMA_VERSION`` is bumped when a published event's shape changes.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

import attrs

from orderflow.domain.actor import Actor
from orderflow.domain.money import Money
from orderflow.domain.transaction import TransactionKind


@attrs.frozen(kw_only=True)
class OrderEvent:
    SCHEMA_VERSION: ClassVar[int] = 1

    order_id: str
    at: datetime
    actor: Actor


@attrs.frozen(kw_only=True)
class OrderPlaced(OrderEvent):
    number: int
    total: Money


@attrs.frozen(kw_only=True)
class PaymentEvent(OrderEvent):
    transaction_id: str
    kind: TransactionKind
    amount: Money


@attrs.frozen(kw_only=True)
class PaymentRequested(PaymentEvent):
    """A capture, refund, void or sale was decided; an outbox job will ask the gateway."""


@attrs.frozen(kw_only=True)
class PaymentAuthorized(PaymentEvent):
    pass


@attrs.frozen(kw_only=True)
class PaymentCaptured(PaymentEvent):
    """A capture or a sale succeeded: money was taken."""


@attrs.frozen(kw_only=True)
class PaymentRefunded(PaymentEvent):
    pass


@attrs.frozen(kw_only=True)
class PaymentVoided(PaymentEvent):
    pass


@attrs.frozen(kw_only=True)
class PaymentFailed(PaymentEvent):
    error: str


@attrs.frozen(kw_only=True)
class AuthorizationExpired(PaymentEvent):
    pass


@attrs.frozen(kw_only=True)
class OrderCancelled(OrderEvent):
    reason: str
    note: str | None = None


@attrs.frozen(kw_only=True)
class OrderArchived(OrderEvent):
    pass


@attrs.frozen(kw_only=True)
class OrderUnarchived(OrderEvent):
    pass


@attrs.frozen(kw_only=True)
class NoteUpdated(OrderEvent):
    note: str


@attrs.frozen(kw_only=True)
class TagsUpdated(OrderEvent):
    added: frozenset[str] = frozenset()
    removed: frozenset[str] = frozenset()


EVENT_TYPES: tuple[type[OrderEvent], ...] = (
    OrderPlaced,
    PaymentRequested,
    PaymentAuthorized,
    PaymentCaptured,
    PaymentRefunded,
    PaymentVoided,
    PaymentFailed,
    AuthorizationExpired,
    OrderCancelled,
    OrderArchived,
    OrderUnarchived,
    NoteUpdated,
    TagsUpdated,
)
"""Every event the library emits (notification rules are checked against this list)."""
