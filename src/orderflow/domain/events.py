"""Domain events: what happened, as plain frozen records.

Operations return them in a :class:`~orderflow.domain.order.Change`; they are never fields
of the order. The service turns them into timeline entries, outbox jobs and published
messages. A class's ``SCHEMA_VERSION`` is bumped when its published shape changes (version
2 added the ``notify_customer`` and ``notify_staff`` choices).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

import attrs

from orderflow.domain.actor import Actor
from orderflow.domain.customer import Address
from orderflow.domain.fulfillment import (
    Hold,
    LineQuantity,
    Location,
    RejectionReason,
    ShipmentEvent,
    Tracking,
)
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
class PaymentReviewRequested(OrderEvent):
    """The books and an outside party disagree, or a request went unanswered: the order's
    fulfillment waits for staff (see :mod:`orderflow.domain.review`)."""

    reason: str
    transaction_id: str | None = None


@attrs.frozen(kw_only=True)
class OrderCancelled(OrderEvent):
    SCHEMA_VERSION: ClassVar[int] = 2

    reason: str
    note: str | None = None
    notify_customer: bool = True
    """False when staff chose not to tell the customer (Shopify's notify toggle)."""


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


@attrs.frozen(kw_only=True)
class FulfillmentOrderEvent(OrderEvent):
    fulfillment_order_id: str


@attrs.frozen(kw_only=True)
class FulfillmentHeld(FulfillmentOrderEvent):
    SCHEMA_VERSION: ClassVar[int] = 2

    hold: Hold
    note: str | None = None
    notify_staff: bool = False
    """Alert the store's staff of this hold (opt-in, per hold)."""


@attrs.frozen(kw_only=True)
class FulfillmentReleased(FulfillmentOrderEvent):
    hold_ids: tuple[str, ...]


@attrs.frozen(kw_only=True)
class FulfillmentOrderSplit(FulfillmentOrderEvent):
    """Some lines of ``fulfillment_order_id`` moved to the new ``into_id``."""

    into_id: str
    lines: tuple[LineQuantity, ...]


@attrs.frozen(kw_only=True)
class FulfillmentOrderMoved(FulfillmentOrderEvent):
    from_location: Location
    to_location: Location


@attrs.frozen(kw_only=True)
class FulfillmentOrdersMerged(FulfillmentOrderEvent):
    """The lines of ``merged_ids`` joined ``fulfillment_order_id``; those close, empty."""

    merged_ids: tuple[str, ...]


@attrs.frozen(kw_only=True)
class FulfillmentScheduled(FulfillmentOrderEvent):
    fulfill_at: datetime


@attrs.frozen(kw_only=True)
class FulfillmentOpened(FulfillmentOrderEvent):
    """A scheduled (or incomplete, or reopened) fulfillment order can be worked on."""


@attrs.frozen(kw_only=True)
class FulfillmentOrderCancelled(FulfillmentOrderEvent):
    pass


@attrs.frozen(kw_only=True)
class ReadyForPickup(FulfillmentOrderEvent):
    pass


@attrs.frozen(kw_only=True)
class FulfillmentCreated(FulfillmentOrderEvent):
    fulfillment_id: str
    lines: tuple[LineQuantity, ...]
    SCHEMA_VERSION: ClassVar[int] = 2

    tracking: Tracking | None = None
    picked_up: bool = False
    """The customer collected it (local pickup)."""
    notify_customer: bool = True
    """False when staff chose not to tell the customer (Shopify's notify toggle)."""


@attrs.frozen(kw_only=True)
class FulfillmentCancelled(FulfillmentOrderEvent):
    fulfillment_id: str
    lines: tuple[LineQuantity, ...]
    restock: bool
    note: str | None = None


@attrs.frozen(kw_only=True)
class TrackingUpdated(FulfillmentOrderEvent):
    SCHEMA_VERSION: ClassVar[int] = 2

    fulfillment_id: str
    tracking: Tracking
    notify_customer: bool = True
    """False when staff chose not to tell the customer (Shopify's notify toggle)."""


@attrs.frozen(kw_only=True)
class ShipmentEventRecorded(FulfillmentOrderEvent):
    fulfillment_id: str
    event: ShipmentEvent


@attrs.frozen(kw_only=True)
class ServiceRequestEvent(FulfillmentOrderEvent):
    request_id: str
    service: str
    message: str | None = None


@attrs.frozen(kw_only=True)
class FulfillmentRequested(ServiceRequestEvent):
    """Fulfillment was requested from a service; an outbox job sends the request."""

    lines: tuple[LineQuantity, ...]


@attrs.frozen(kw_only=True)
class FulfillmentRequestAccepted(ServiceRequestEvent):
    pass


@attrs.frozen(kw_only=True)
class FulfillmentRequestRejected(ServiceRequestEvent):
    reason: RejectionReason


@attrs.frozen(kw_only=True)
class CancellationRequested(ServiceRequestEvent):
    """The merchant asked the service to cancel; an outbox job sends the request."""


@attrs.frozen(kw_only=True)
class CancellationAccepted(ServiceRequestEvent):
    pass


@attrs.frozen(kw_only=True)
class CancellationRejected(ServiceRequestEvent):
    pass


@attrs.frozen(kw_only=True)
class FulfillmentRequestClosed(ServiceRequestEvent):
    """The service gave up: the fulfillment order is incomplete, back with the merchant."""


@attrs.frozen(kw_only=True)
class LabelEvent(FulfillmentOrderEvent):
    fulfillment_id: str
    label_id: str
    carrier: str


@attrs.frozen(kw_only=True)
class LabelRequested(LabelEvent):
    """A label purchase (or void) was decided; an outbox job asks the label provider."""

    void: bool = False


@attrs.frozen(kw_only=True)
class LabelPurchased(LabelEvent):
    tracking_number: str


@attrs.frozen(kw_only=True)
class LabelFailed(LabelEvent):
    """The provider refused to sell the label (or, with ``void``, to void it)."""

    error: str
    void: bool = False


@attrs.frozen(kw_only=True)
class LabelVoided(LabelEvent):
    pass


@attrs.frozen(kw_only=True)
class RefundCreated(OrderEvent):
    """Lines, shipping or an amount were given back (``Order.refunds`` holds the detail);
    the money goes back through the refund transactions requested with it."""

    refund_id: str
    lines: tuple[LineQuantity, ...]
    shipping: Money
    total: Money
    """Everything it returns: lines, their taxes, shipping and any further amount."""
    reason: str
    restocked: bool
    """Some of its units are to go back to stock."""
    note: str | None = None


@attrs.frozen(kw_only=True)
class LinesCancelled(OrderEvent):
    """What had not shipped of a partly shipped order was cancelled and goes back to stock
    (``Order.refunds`` holds it as a refund); ``refund`` is what goes back of what was paid
    (what was only authorized is released instead)."""

    refund_id: str
    lines: tuple[LineQuantity, ...]
    refund: Money
    reason: str
    note: str | None = None
    notify_customer: bool = True


@attrs.frozen(kw_only=True)
class DisputeOpened(OrderEvent):
    """The customer's bank opened a chargeback or inquiry against one of the payments."""

    dispute_id: str
    transaction_id: str
    kind: str
    amount: Money
    reason: str | None = None
    evidence_due_by: datetime | None = None


@attrs.frozen(kw_only=True)
class DisputeUpdated(OrderEvent):
    """A dispute moved on: evidence under review, won, or lost (the money went back)."""

    dispute_id: str
    kind: str
    status: str
    amount: Money


@attrs.frozen(kw_only=True)
class OrderFulfilled(OrderEvent):
    """Every line of the order is fulfilled."""


@attrs.frozen(kw_only=True)
class ShippingAddressChanged(OrderEvent):
    SCHEMA_VERSION: ClassVar[int] = 2

    address: Address
    note: str | None = None
    notify_customer: bool = True
    """False when staff chose not to tell the customer (Shopify's notify toggle)."""


@attrs.frozen(kw_only=True)
class MessageRequested(OrderEvent):
    """Staff asked for a message by hand: a template sent now, or a copy of an earlier
    message (``resend_of``, its key)."""

    template: str
    audience: str
    channel: str
    to: str | None = None
    """The address, number or URL; ``None``: the audience's own."""
    note: str | None = None
    """Staff's words for the recipient, offered to the template as ``note``."""
    fulfillment_id: str | None = None
    resend_of: str | None = None


EVENT_TYPES: tuple[type[OrderEvent], ...] = (
    OrderPlaced,
    PaymentRequested,
    PaymentAuthorized,
    PaymentCaptured,
    PaymentRefunded,
    PaymentVoided,
    PaymentFailed,
    AuthorizationExpired,
    PaymentReviewRequested,
    OrderCancelled,
    OrderArchived,
    OrderUnarchived,
    NoteUpdated,
    TagsUpdated,
    FulfillmentHeld,
    FulfillmentReleased,
    FulfillmentOrderSplit,
    FulfillmentOrderMoved,
    FulfillmentOrdersMerged,
    FulfillmentScheduled,
    FulfillmentOpened,
    FulfillmentOrderCancelled,
    ReadyForPickup,
    FulfillmentCreated,
    FulfillmentCancelled,
    TrackingUpdated,
    ShipmentEventRecorded,
    OrderFulfilled,
    ShippingAddressChanged,
    MessageRequested,
    RefundCreated,
    LinesCancelled,
    DisputeOpened,
    DisputeUpdated,
    FulfillmentRequested,
    FulfillmentRequestAccepted,
    FulfillmentRequestRejected,
    CancellationRequested,
    CancellationAccepted,
    CancellationRejected,
    FulfillmentRequestClosed,
    LabelRequested,
    LabelPurchased,
    LabelFailed,
    LabelVoided,
)
"""Every event the library emits (notification rules are checked against this list)."""
