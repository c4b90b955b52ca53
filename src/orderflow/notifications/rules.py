"""Notification rules: which event sends which template, to whom, by which channels.

A rule names an event *class*; configuration refuses a class the library never emits,
so a rule can never wait silently for something that does not happen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from orderflow.domain.events import (
    FulfillmentCreated,
    FulfillmentHeld,
    FulfillmentRequested,
    LinesCancelled,
    OrderCancelled,
    OrderEvent,
    OrderPlaced,
    PaymentFailed,
    PaymentRefunded,
    PaymentReviewRequested,
    ReadyForPickup,
    ShipmentEventRecorded,
    ShippingAddressChanged,
    TrackingUpdated,
)
from orderflow.domain.financial import balance
from orderflow.domain.fulfillment import ADDRESSED, ShipmentStatus
from orderflow.domain.ledger import open_authorizations
from orderflow.domain.money import Money
from orderflow.domain.order import Order
from orderflow.domain.transaction import TransactionKind
from orderflow.ports.messaging import Audience, Channel

When = Callable[[Order, Any], bool]
"""A rule's condition, on the order after the change and the event."""


@attrs.frozen
class Route:
    """One template to one audience by one channel: what a setting switches on or off
    (``Route("shipping_update", "customer", "sms")``)."""

    template: str
    audience: Audience
    channel: Channel

    def __str__(self) -> str:
        return f"{self.template} to {self.audience} by {self.channel}"


@attrs.frozen(kw_only=True)
class Rule:
    """When ``event`` happens (and ``when`` holds), render ``template`` for ``audience``.

    ``channels`` are on unless settings turn them off; ``optional_channels`` are off
    unless settings turn them on (customer SMS, say).
    """

    event: type[OrderEvent]
    template: str
    audience: Audience
    channels: tuple[Channel, ...] = ("email",)
    optional_channels: tuple[Channel, ...] = ()
    when: When | None = None

    def routes(self) -> tuple[tuple[Route, bool], ...]:
        """Each route of the rule with whether it is on by default."""
        return tuple(
            (Route(template=self.template, audience=self.audience, channel=channel), on)
            for channels, on in ((self.channels, True), (self.optional_channels, False))
            for channel in channels
        )

    def applies(self, order: Order, event: OrderEvent) -> bool:
        return isinstance(event, self.event) and (self.when is None or self.when(order, event))


def _notify(_: Order, event: Any) -> bool:
    return bool(event.notify_customer)


def _shipped(order: Order, event: FulfillmentCreated) -> bool:
    fo = order.fulfillment_order(event.fulfillment_order_id)
    return event.notify_customer and not event.picked_up and fo.delivery_method in ADDRESSED


def _picked_up(_: Order, event: FulfillmentCreated) -> bool:
    return event.notify_customer and event.picked_up


def _refund_to_tell(order: Order, event: PaymentRefunded) -> bool:
    """Unless staff said not to, or the refund does not add up (staff review it first)."""
    refund = order.transaction(event.transaction_id)
    return refund.notify_customer and refund.review is None


def _payment_due(order: Order, event: PaymentFailed) -> bool:
    """A capture or charge failed and nothing held or in flight covers what is owed."""
    if event.kind not in (TransactionKind.CAPTURE, TransactionKind.SALE):
        return False
    held = [*open_authorizations(order)]
    charging = [tx for tx in order.transactions if tx.kind is TransactionKind.SALE and tx.pending]
    covered = Money.total((tx.amount for tx in (*held, *charging)), order.currency)
    return (balance(order) - covered).is_positive()


_DELIVERIES = (ShipmentStatus.DELIVERED, ShipmentStatus.PICKED_UP)


def _after_delivery(order: Order, event: ShipmentEventRecorded) -> bool:
    """Whether the fulfillment records a delivery later than the event: a carrier's late
    report of an earlier step, which no longer concerns the customer."""
    seen = order.fulfillment(event.fulfillment_id).events
    return any(e.status in _DELIVERIES and e.at > event.event.at for e in seen)


def _first(status: ShipmentStatus) -> When:
    """The fulfillment's first carrier event of ``status`` (carriers repeat themselves),
    unless a delivery was recorded after it happened."""

    def first(order: Order, event: ShipmentEventRecorded) -> bool:
        if event.event.status is not status or _after_delivery(order, event):
            return False
        seen = order.fulfillment(event.fulfillment_id).events
        return [e.status for e in seen].count(status) == 1

    return first


def _attempted(order: Order, event: ShipmentEventRecorded) -> bool:
    return event.event.status is ShipmentStatus.ATTEMPTED_DELIVERY and not _after_delivery(
        order, event
    )


def _staff_asked(_: Order, event: FulfillmentHeld) -> bool:
    return event.notify_staff


def _customer(event: type[OrderEvent], template: str, when: When | None = None) -> Rule:
    """A message to the customer: by email, and by SMS where the store turns it on."""
    return Rule(
        event=event,
        template=template,
        audience="customer",
        channels=("email",),
        optional_channels=("sms",),
        when=when,
    )


BUILT_IN: tuple[Rule, ...] = (
    Rule(
        event=OrderPlaced,
        template="new_order",
        audience="staff",
        channels=("email", "sms", "webhook"),
    ),
    _customer(OrderPlaced, "order_confirmation"),
    _customer(ShippingAddressChanged, "order_edited", _notify),
    _customer(PaymentFailed, "payment_due", _payment_due),
    _customer(OrderCancelled, "order_cancelled", _notify),
    _customer(LinesCancelled, "items_cancelled", _notify),
    _customer(PaymentRefunded, "refund", _refund_to_tell),
    _customer(FulfillmentCreated, "shipping_confirmation", _shipped),
    _customer(TrackingUpdated, "shipping_update", _notify),
    _customer(ShipmentEventRecorded, "out_for_delivery", _first(ShipmentStatus.OUT_FOR_DELIVERY)),
    _customer(ShipmentEventRecorded, "missed_delivery", _attempted),
    _customer(ShipmentEventRecorded, "delivered", _first(ShipmentStatus.DELIVERED)),
    _customer(ReadyForPickup, "ready_for_pickup"),
    _customer(FulfillmentCreated, "picked_up", _picked_up),
    Rule(event=FulfillmentRequested, template="fulfillment_request", audience="service"),
    Rule(
        event=FulfillmentHeld,
        template="fulfillment_held",
        audience="staff",
        channels=("email", "sms", "webhook"),
        when=_staff_asked,
    ),
    Rule(
        event=PaymentReviewRequested,
        template="payment_review",
        audience="staff",
        channels=("email", "sms", "webhook"),
    ),
)
"""The store's messages out of the box (Shopify's set, plus missed delivery)."""
