"""Fulfilling: shipments and hand-overs, tracking, carrier events, schedules, the address.

Every operation checks the fulfillment order's machine, quantities against what remains,
and the order's own state; the derived statuses are recomputed from the facts afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from orderflow.domain._revise import revised
from orderflow.domain.actor import Actor
from orderflow.domain.customer import Address
from orderflow.domain.events import (
    FulfillmentCancelled,
    FulfillmentCreated,
    FulfillmentOpened,
    FulfillmentOrderCancelled,
    FulfillmentScheduled,
    OrderEvent,
    OrderFulfilled,
    ReadyForPickup,
    ShipmentEventRecorded,
    ShippingAddressChanged,
    TrackingUpdated,
)
from orderflow.domain.fulfillment import (
    ADDRESSED,
    DeliveryMethod,
    Fulfillment,
    FulfillmentOrder,
    LineQuantity,
    ShipmentEvent,
    Tracking,
)
from orderflow.domain.fulfillment_status import progress, remaining
from orderflow.domain.holds import requested, require_workable
from orderflow.domain.labels import void as void_label
from orderflow.domain.limits import NOTE, check_optional
from orderflow.domain.order import Change, Order
from orderflow.domain.payments import NewId
from orderflow.domain.refunding import line_ledger
from orderflow.errors import AddressLocked, FulfillmentOnHold, InvalidTransition


def fulfill(
    order: Order,
    fulfillment_order_id: str,
    lines: Iterable[LineQuantity] | None = None,
    *,
    tracking: Tracking | None = None,
    new_id: NewId,
    now: datetime,
    actor: Actor,
    picked_up: bool = False,
    by_service: bool = False,
    notify_customer: bool = True,
) -> Change:
    """Fulfil chosen quantities of a fulfillment order (default: all that remains);
    ``by_service`` when its fulfillment service reports a shipment."""
    require_workable(order, "fulfil")
    fo = order.fulfillment_order(fulfillment_order_id)
    if fo.holds:
        reasons = ", ".join(h.reason.value for h in fo.holds)
        raise FulfillmentOnHold(
            f"{order}: fulfillment order {fo.id} is on hold ({reasons}): release it first"
        )
    if fo.status != "open":
        hint = " (open it first)" if fo.status in ("scheduled", "incomplete") else ""
        raise InvalidTransition(
            f"{order}: cannot fulfil fulfillment order {fo.id} while {fo.status}{hint}"
        )
    if fo.with_service != by_service:
        raise InvalidTransition(
            f"{order}: fulfillment order {fo.id} is with {fo.location.fulfillment_service}: only it can fulfil it now"
            if fo.with_service
            else f"{order}: fulfillment order {fo.id} has no request with a fulfillment service"
        )
    if by_service and (fo.request is None or fo.request.accepted_at is None):
        raise InvalidTransition(
            f"{order}: the service has not accepted the request for fulfillment order {fo.id}"
        )
    if fo.delivery_method is DeliveryMethod.PICK_UP and not picked_up:
        raise InvalidTransition(
            f"{order}: fulfillment order {fo.id} is a local pickup: it is fulfilled when the customer picks it up"
        )
    rest = remaining(order, fo)
    chosen = requested(order, fo, lines, rest)
    fulfillment = Fulfillment(
        id=new_id(), fulfillment_order_id=fo.id, lines=chosen, created_at=now, tracking=tracking
    )
    needed, done = progress(order)
    added = sum(line.quantity for line in chosen)
    order = order.with_new_fulfillment(fulfillment)
    if added == sum(line.quantity for line in rest):  # each line's rest chosen: none left
        order = order.with_fulfillment_order(fo.moved("complete", within=order))
    events: list[OrderEvent] = [
        FulfillmentCreated(
            order_id=order.id,
            at=now,
            actor=actor,
            fulfillment_order_id=fo.id,
            fulfillment_id=fulfillment.id,
            lines=chosen,
            tracking=tracking,
            picked_up=picked_up,
            notify_customer=notify_customer,
        )
    ]
    if done < needed <= done + added:  # the order became fulfilled (fulfillment_status)
        events.append(OrderFulfilled(order_id=order.id, at=now, actor=actor))
    return Change(order, tuple(events))


def cancel_fulfillment(
    order: Order,
    fulfillment_id: str,
    *,
    restock: bool = True,
    note: str | None = None,
    now: datetime,
    actor: Actor,
) -> Change:
    """Cancel a fulfillment: its quantities can be fulfilled again (and restocked); its
    label, bought or being bought, is voided."""
    check_optional(NOTE, note, "'note'")
    fulfillment = order.fulfillment(fulfillment_id)
    if not fulfillment.active:
        raise InvalidTransition(f"{order}: fulfillment {fulfillment.id} is already cancelled")
    order = order.with_fulfillment(revised(fulfillment, cancelled_at=now))
    if order.refunds:
        _keep_refunded_fulfilled(order, fulfillment)
    fo = order.fulfillment_order(fulfillment.fulfillment_order_id)
    if fo.status == "closed":
        order = order.with_fulfillment_order(fo.moved("reopen", within=order))
    event = FulfillmentCancelled(
        order_id=order.id,
        at=now,
        actor=actor,
        fulfillment_order_id=fo.id,
        fulfillment_id=fulfillment.id,
        lines=fulfillment.lines,
        restock=restock,
        note=note,
    )
    change = Change(order, (event,))
    label = fulfillment.label
    if label is not None and label.status in ("pending", "purchased"):
        change = change.then(void_label(order, fulfillment.id, now=now, actor=actor))
    return change


def _keep_refunded_fulfilled(order: Order, cancelled: Fulfillment) -> None:
    """Refunds that gave back fulfilled units keep them fulfilled: a fulfillment they
    count on cannot be cancelled (its units would be fulfilled again, refunded already)."""
    counts = line_ledger(order)
    for q in cancelled.lines:
        count = counts[q.line_item_id]
        if count.returnable < 0:
            raise InvalidTransition(
                f"{order}: cannot cancel fulfillment {cancelled.id}: refunds gave back "
                f"{count.refunded - count.removed} fulfilled units of line {q.line_item_id!r}, "
                f"and only {count.fulfilled} would stay fulfilled"
            )


def ready_for_pickup(
    order: Order, fulfillment_order_id: str, *, now: datetime, actor: Actor
) -> Change:
    require_workable(order, "prepare a pickup")
    fo = _pickup(order, fulfillment_order_id)
    if fo.ready_for_pickup_at is not None:
        raise InvalidTransition(f"{order}: fulfillment order {fo.id} is already ready for pickup")
    if fo.holds or fo.status != "open":
        raise InvalidTransition(
            f"{order}: fulfillment order {fo.id} cannot be ready while {'on hold' if fo.holds else fo.status}"
        )
    event = ReadyForPickup(order_id=order.id, at=now, actor=actor, fulfillment_order_id=fo.id)
    return Change(order.with_fulfillment_order(revised(fo, ready_for_pickup_at=now)), (event,))


def picked_up(
    order: Order, fulfillment_order_id: str, *, new_id: NewId, now: datetime, actor: Actor
) -> Change:
    """The customer collected everything that remained: that is the fulfillment."""
    _pickup(order, fulfillment_order_id)
    return fulfill(order, fulfillment_order_id, new_id=new_id, now=now, actor=actor, picked_up=True)


def _pickup(order: Order, fulfillment_order_id: str) -> FulfillmentOrder:
    fo = order.fulfillment_order(fulfillment_order_id)
    if fo.delivery_method is not DeliveryMethod.PICK_UP:
        raise InvalidTransition(
            f"{order}: fulfillment order {fo.id} is delivered by {fo.delivery_method.value}, not picked up"
        )
    return fo


def _active(order: Order, fulfillment_id: str) -> Fulfillment:
    fulfillment = order.fulfillment(fulfillment_id)
    if not fulfillment.active:
        raise InvalidTransition(f"{order}: fulfillment {fulfillment.id} is cancelled")
    return fulfillment


def update_tracking(
    order: Order,
    fulfillment_id: str,
    tracking: Tracking,
    *,
    now: datetime,
    actor: Actor,
    notify_customer: bool = True,
) -> Change:
    """Add or replace the tracking of a fulfillment (several numbers and urls allowed)."""
    if not isinstance(tracking, Tracking):
        raise TypeError(f"'tracking' must be Tracking, got {type(tracking).__name__}")
    fulfillment = _active(order, fulfillment_id)
    if fulfillment.tracking == tracking:
        return Change(order)
    event = TrackingUpdated(
        order_id=order.id,
        at=now,
        actor=actor,
        fulfillment_order_id=fulfillment.fulfillment_order_id,
        fulfillment_id=fulfillment.id,
        tracking=tracking,
        notify_customer=notify_customer,
    )
    return Change(order.with_fulfillment(revised(fulfillment, tracking=tracking)), (event,))


def record_shipment_event(
    order: Order, fulfillment_id: str, shipment_event: ShipmentEvent, *, now: datetime, actor: Actor
) -> Change:
    """Record a carrier event; late and duplicate events are kept, the status decides."""
    if not isinstance(shipment_event, ShipmentEvent):
        raise TypeError(
            f"'shipment_event' must be a ShipmentEvent, got {type(shipment_event).__name__}"
        )
    fulfillment = _active(order, fulfillment_id)
    recorded = revised(fulfillment, events=(*fulfillment.events, shipment_event))
    event = ShipmentEventRecorded(
        order_id=order.id,
        at=now,
        actor=actor,
        fulfillment_order_id=fulfillment.fulfillment_order_id,
        fulfillment_id=fulfillment.id,
        event=shipment_event,
    )
    return Change(order.with_fulfillment(recorded), (event,))


def schedule(
    order: Order, fulfillment_order_id: str, fulfill_at: datetime, *, now: datetime, actor: Actor
) -> Change:
    """Fulfil later: the fulfillment order opens at ``fulfill_at`` (through ``run_due``)."""
    require_workable(order, "schedule fulfillment")
    fo = order.fulfillment_order(fulfillment_order_id)
    scheduled = revised(fo.moved("schedule", within=order), fulfill_at=fulfill_at)
    event = FulfillmentScheduled(
        order_id=order.id, at=now, actor=actor, fulfillment_order_id=fo.id, fulfill_at=fulfill_at
    )
    return Change(order.with_fulfillment_order(scheduled), (event,))


def open_now(order: Order, fulfillment_order_id: str, *, now: datetime, actor: Actor) -> Change:
    """Open a scheduled fulfillment order now ("fulfil now"), or take back an incomplete one."""
    require_workable(order, "open fulfillment")
    fo = order.fulfillment_order(fulfillment_order_id)
    if fo.status == "open":
        raise InvalidTransition(f"{order}: fulfillment order {fo.id} is already open")
    if fo.status == "closed":
        raise InvalidTransition(
            f"{order}: fulfillment order {fo.id} is closed: cancel a fulfillment to reopen it"
        )
    return _opened(order, fo, now, actor)


def _opened(order: Order, fo: FulfillmentOrder, now: datetime, actor: Actor) -> Change:
    opened = revised(fo.moved("reopen", within=order), fulfill_at=None)
    event = FulfillmentOpened(order_id=order.id, at=now, actor=actor, fulfillment_order_id=fo.id)
    return Change(order.with_fulfillment_order(opened), (event,))


def open_due(order: Order, *, now: datetime, actor: Actor) -> Change:
    """Open every scheduled fulfillment order whose time has come."""
    change = Change(order)
    if order.status == "cancelled":
        return change
    for fo in order.fulfillment_orders:
        if fo.status == "scheduled" and fo.fulfill_at is not None and fo.fulfill_at <= now:
            change = change.then(_opened(change.order, fo, now, actor))
    return change


def next_opening(order: Order) -> datetime | None:
    times = [
        fo.fulfill_at
        for fo in order.fulfillment_orders
        if fo.status == "scheduled" and fo.fulfill_at
    ]
    return None if order.status == "cancelled" else min(times, default=None)


def cancel_fulfillment_orders(order: Order, *, now: datetime, actor: Actor) -> Change:
    """Cancel every fulfillment order still to do (the order is being cancelled)."""
    with_service = [fo.id for fo in order.fulfillment_orders if fo.with_service]
    if with_service:
        raise InvalidTransition(
            f"{order}: fulfillment orders {', '.join(with_service)} are with a fulfillment service: request cancellation first"
        )
    shipped = [f.id for f in order.fulfillments if f.active]
    if shipped:
        raise InvalidTransition(
            f"{order}: fulfillments {', '.join(shipped)} are not cancelled: cancel them (and get the goods back) before cancelling the order"
        )
    change = Change(order)
    for fo in order.fulfillment_orders:
        if fo.status not in ("cancelled", "closed"):  # closed here: emptied by a merge
            cancelled = change.order.with_fulfillment_order(fo.moved("cancel", within=order))
            event = FulfillmentOrderCancelled(
                order_id=order.id, at=now, actor=actor, fulfillment_order_id=fo.id
            )
            change = change.then(Change(cancelled, (event,)))
    return change


def change_shipping_address(
    order: Order,
    address: Address,
    *,
    note: str | None = None,
    now: datetime,
    actor: Actor,
    notify_customer: bool = True,
) -> Change:
    """Change where the order ships, while nothing has left for the old address."""
    if not isinstance(address, Address):
        raise TypeError(f"'address' must be an Address, got {type(address).__name__}")
    check_optional(NOTE, note, "'note'")
    if order.status == "cancelled":
        raise InvalidTransition(f"{order}: cannot change the shipping address while cancelled")
    shipping = [
        fo
        for fo in order.fulfillment_orders
        if fo.delivery_method in ADDRESSED and fo.status != "cancelled"
    ]
    gone = [
        f.id
        for f in order.fulfillments
        if f.active and any(f.fulfillment_order_id == fo.id for fo in shipping)
    ]
    if gone:
        raise AddressLocked(
            f"{order}: fulfillments {', '.join(gone)} already left for the shipping address; it can no longer change"
        )
    for fo in shipping:
        order = order.with_fulfillment_order(revised(fo, destination=address))
    event = ShippingAddressChanged(
        order_id=order.id,
        at=now,
        actor=actor,
        address=address,
        note=note,
        notify_customer=notify_customer,
    )
    return Change(revised(order, shipping_address=address), (event,))
