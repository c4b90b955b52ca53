"""The order's timeline: one readable line per event, with when, who and any note."""

from __future__ import annotations

from datetime import datetime
from functools import singledispatch

import attrs

from orderflow.domain._fields import AWARE, OPTIONAL_TEXT, TEXT, instance_of
from orderflow.domain._revise import built
from orderflow.domain.actor import Actor
from orderflow.domain.events import (
    AuthorizationExpired,
    CancellationAccepted,
    CancellationRejected,
    CancellationRequested,
    DisputeOpened,
    DisputeUpdated,
    FulfillmentCancelled,
    FulfillmentCreated,
    FulfillmentHeld,
    FulfillmentOpened,
    FulfillmentOrderCancelled,
    FulfillmentOrderMoved,
    FulfillmentOrdersMerged,
    FulfillmentOrderSplit,
    FulfillmentReleased,
    FulfillmentRequestAccepted,
    FulfillmentRequestClosed,
    FulfillmentRequested,
    FulfillmentRequestRejected,
    FulfillmentScheduled,
    LabelFailed,
    LabelPurchased,
    LabelRequested,
    LabelVoided,
    LinesCancelled,
    MessageRequested,
    NoteUpdated,
    OrderArchived,
    OrderCancelled,
    OrderEvent,
    OrderFulfilled,
    OrderPlaced,
    OrderUnarchived,
    PaymentAuthorized,
    PaymentCaptured,
    PaymentFailed,
    PaymentRefunded,
    PaymentRequested,
    PaymentReviewRequested,
    PaymentVoided,
    ReadyForPickup,
    RefundCreated,
    ShipmentEventRecorded,
    ShippingAddressChanged,
    TagsUpdated,
    TrackingUpdated,
)
from orderflow.domain.fulfillment import LineQuantity


@attrs.frozen
class TimelineEntry:
    at: datetime = attrs.field(validator=AWARE)
    actor: Actor = attrs.field(validator=instance_of(Actor))
    kind: str = attrs.field(validator=TEXT)
    """The event's class name, e.g. ``"PaymentCaptured"``."""
    message: str = attrs.field(validator=TEXT)
    note: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)


def entry_for(event: OrderEvent) -> TimelineEntry:
    note = getattr(event, "note", None) or getattr(event, "message", None)
    if isinstance(event, PaymentReviewRequested):
        note = None  # the message says it all
    return built(
        TimelineEntry,
        at=event.at,
        actor=event.actor,
        kind=type(event).__name__,
        message=describe(event),
        note=note,
    )


@singledispatch
def describe(event: OrderEvent) -> str:
    """One English sentence for staff; customer messages are templates (notifications)."""
    raise NotImplementedError(f"no timeline description for {type(event).__name__}")


@describe.register
def _(event: OrderPlaced) -> str:
    return f"Order #{event.number} placed for {event.total}."


@describe.register
def _(event: PaymentRequested) -> str:
    return f"{event.kind.value.capitalize()} of {event.amount} requested from the gateway."


@describe.register
def _(event: PaymentAuthorized) -> str:
    return f"Payment of {event.amount} authorized."


@describe.register
def _(event: PaymentCaptured) -> str:
    return f"Payment of {event.amount} captured."


@describe.register
def _(event: PaymentRefunded) -> str:
    return f"Refund of {event.amount} succeeded."


@describe.register
def _(event: PaymentVoided) -> str:
    return f"Authorization of {event.amount} voided."


@describe.register
def _(event: PaymentFailed) -> str:
    return f"{event.kind.value.capitalize()} of {event.amount} failed: {event.error}."


@describe.register
def _(event: AuthorizationExpired) -> str:
    return f"Authorization of {event.amount} expired before capture."


@describe.register
def _(event: PaymentReviewRequested) -> str:
    return f"Payment needs staff review: {event.reason}"


@describe.register
def _(event: OrderCancelled) -> str:
    return f"Order cancelled (reason: {event.reason})."


@describe.register
def _(event: OrderArchived) -> str:
    return "Order archived."


@describe.register
def _(event: OrderUnarchived) -> str:
    return "Order unarchived."


@describe.register
def _(event: NoteUpdated) -> str:
    return "Note updated." if event.note else "Note removed."


@describe.register
def _(event: TagsUpdated) -> str:
    parts = []
    if event.added:
        parts.append("added " + ", ".join(sorted(event.added)))
    if event.removed:
        parts.append("removed " + ", ".join(sorted(event.removed)))
    return "Tags " + "; ".join(parts) + "."


def _items(lines: tuple[LineQuantity, ...]) -> str:
    count = sum(line.quantity for line in lines)
    return f"{count} item{'s' if count != 1 else ''}"


@describe.register
def _(event: FulfillmentHeld) -> str:
    return f"Fulfillment order {event.fulfillment_order_id} held ({event.hold.reason.value.replace('_', ' ')})."


@describe.register
def _(event: FulfillmentReleased) -> str:
    return f"Fulfillment order {event.fulfillment_order_id} released ({len(event.hold_ids)} hold(s) lifted)."


@describe.register
def _(event: FulfillmentOrderSplit) -> str:
    return f"{_items(event.lines)} moved from {event.fulfillment_order_id} to {event.into_id}."


@describe.register
def _(event: FulfillmentScheduled) -> str:
    return (
        f"Fulfillment order {event.fulfillment_order_id} scheduled for {event.fulfill_at:%Y-%m-%d}."
    )


@describe.register
def _(event: FulfillmentOpened) -> str:
    return f"Fulfillment order {event.fulfillment_order_id} is open for fulfilling."


@describe.register
def _(event: FulfillmentOrderCancelled) -> str:
    return f"Fulfillment order {event.fulfillment_order_id} cancelled."


@describe.register
def _(event: ReadyForPickup) -> str:
    return f"Fulfillment order {event.fulfillment_order_id} is ready for pickup."


@describe.register
def _(event: FulfillmentCreated) -> str:
    verb = "picked up by the customer" if event.picked_up else "fulfilled"
    tracking = ""
    if event.tracking is not None and event.tracking.numbers:
        tracking = f" (tracking {', '.join(event.tracking.numbers)})"
    return f"{_items(event.lines)} {verb}{tracking}."


@describe.register
def _(event: FulfillmentCancelled) -> str:
    restock = ", to restock" if event.restock else ""
    return f"Fulfillment {event.fulfillment_id} cancelled ({_items(event.lines)}{restock})."


@describe.register
def _(event: TrackingUpdated) -> str:
    numbers = ", ".join(event.tracking.numbers) or "none"
    return f"Tracking of {event.fulfillment_id} updated: {event.tracking.company or 'carrier'} {numbers}."


@describe.register
def _(event: ShipmentEventRecorded) -> str:
    return f"Shipment {event.fulfillment_id}: {event.event.status.value.replace('_', ' ')}."


@describe.register
def _(event: RefundCreated) -> str:
    parts = [_items(event.lines)] if event.lines else []
    if event.shipping.is_positive():
        parts.append(f"{event.shipping} of shipping")
    given = " and ".join(parts) or "An amount"
    restock = ", to restock" if event.restocked else ""
    return f"{given} refunded ({event.reason.replace('_', ' ')}{restock}): {event.total} to return."


@describe.register
def _(event: LinesCancelled) -> str:
    back = f": {event.refund} to return" if event.refund.is_positive() else ""
    return f"{_items(event.lines)} not shipped cancelled and restocked ({event.reason.replace('_', ' ')}){back}."


@describe.register
def _(event: DisputeOpened) -> str:
    why = f" ({event.reason.replace('_', ' ')})" if event.reason else ""
    due = f": respond by {event.evidence_due_by:%Y-%m-%d}" if event.evidence_due_by else ""
    return (
        f"{event.kind.capitalize()} of {event.amount} opened on payment "
        f"{event.transaction_id}{why}{due}."
    )


_DISPUTE_NEWS = {
    "under_review": "under review",
    "won": "won: the funds come back",
    "lost": "lost: the funds went back to the customer",
}


@describe.register
def _(event: DisputeUpdated) -> str:
    return f"{event.kind.capitalize()} {event.dispute_id} of {event.amount} {_DISPUTE_NEWS[event.status]}."


@describe.register
def _(event: OrderFulfilled) -> str:
    return "Order fulfilled."


@describe.register
def _(event: ShippingAddressChanged) -> str:
    return f"Shipping address changed to {event.address.line1}, {event.address.city}."


@describe.register
def _(event: MessageRequested) -> str:
    what = event.template.replace("_", " ")
    if event.resend_of is not None:
        return f"The {what} message ({event.channel}) resent."
    return f"The {what} message ({event.channel}) sent by hand to the {event.audience}."


@describe.register
def _(event: FulfillmentRequested) -> str:
    return f"Fulfillment of {_items(event.lines)} requested from {event.service} ({event.fulfillment_order_id})."


@describe.register
def _(event: FulfillmentRequestAccepted) -> str:
    return f"{event.service} accepted the fulfillment request for {event.fulfillment_order_id}."


@describe.register
def _(event: FulfillmentRequestRejected) -> str:
    return f"{event.service} rejected the fulfillment request for {event.fulfillment_order_id} ({event.reason.value.replace('_', ' ')})."


@describe.register
def _(event: CancellationRequested) -> str:
    return f"Cancellation of the fulfillment request for {event.fulfillment_order_id} asked of {event.service}."


@describe.register
def _(event: CancellationAccepted) -> str:
    return f"{event.service} cancelled the fulfillment request for {event.fulfillment_order_id}."


@describe.register
def _(event: CancellationRejected) -> str:
    return f"{event.service} refused to cancel the fulfillment request for {event.fulfillment_order_id}."


@describe.register
def _(event: FulfillmentRequestClosed) -> str:
    return f"{event.service} closed the fulfillment request for {event.fulfillment_order_id}: back with the merchant."


@describe.register
def _(event: FulfillmentOrderMoved) -> str:
    return f"Fulfillment order {event.fulfillment_order_id} moved from {event.from_location.name} to {event.to_location.name}."


@describe.register
def _(event: FulfillmentOrdersMerged) -> str:
    return f"Fulfillment orders {', '.join(event.merged_ids)} merged into {event.fulfillment_order_id}."


@describe.register
def _(event: LabelRequested) -> str:
    verb = "Void" if event.void else "Purchase"
    return f"{verb} of the {event.carrier} label for {event.fulfillment_id} requested from the label provider."


@describe.register
def _(event: LabelPurchased) -> str:
    return f"{event.carrier} label bought for {event.fulfillment_id} (tracking {event.tracking_number})."


@describe.register
def _(event: LabelFailed) -> str:
    verb = "voided" if event.void else "bought"
    return (
        f"The {event.carrier} label for {event.fulfillment_id} could not be {verb}: {event.error}."
    )


@describe.register
def _(event: LabelVoided) -> str:
    return f"{event.carrier} label for {event.fulfillment_id} voided; its tracking is cleared."
