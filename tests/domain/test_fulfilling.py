"""Fulfilling in the domain: quantities never exceed what remains, pickups, tracking, carrier
events, schedules, cancellation and the shipping address.

"Two places" is line ``p`` (3 units, Paris, shipped) and line ``l`` (1 unit, Lyon,
shipped): fulfillment orders ``ord-1-fo1`` and ``ord-1-fo2``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

import pytest

from orderflow.domain import fulfilling, holds
from orderflow.domain.archive import archive, unarchive
from orderflow.domain.cancellation import cancel
from orderflow.domain.events import (
    FulfillmentCancelled,
    FulfillmentCreated,
    FulfillmentOpened,
    FulfillmentOrderCancelled,
    FulfillmentScheduled,
    OrderCancelled,
    OrderFulfilled,
    ReadyForPickup,
    ShipmentEventRecorded,
    ShippingAddressChanged,
    TrackingUpdated,
)
from orderflow.domain.fulfillment import (
    DeliveryMethod,
    HoldReason,
    LineQuantity,
    Location,
    ShipmentEvent,
    ShipmentStatus,
    Tracking,
)
from orderflow.domain.fulfillment_status import (
    display_status,
    fulfillment_status,
    remaining,
    shipment_status,
)
from orderflow.domain.order import CancelReason, Change, Order
from orderflow.errors import (
    AddressLocked,
    FulfillmentNotFound,
    FulfillmentOnHold,
    InvalidTransition,
    OverFulfillment,
    UnknownLineItem,
)
from orderflow.testing import (
    EPOCH,
    STAFF,
    SequentialIds,
    make_address,
    make_draft,
    make_line,
    make_order,
)

PARIS_FO, LYON_FO = "ord-1-fo1", "ord-1-fo2"
LATER = EPOCH + timedelta(hours=1)
NEW_ADDRESS = make_address(line1="8 place Bellecour", postal_code="69002")


def two_places() -> Order:
    return make_order(
        make_draft(
            make_line("p", quantity=3, location=Location("paris", "Paris")),
            make_line("l", location=Location("lyon", "Lyon")),
        )
    )


def with_pickup() -> Order:
    """Line ``s`` shipped (``ord-1-fo1``) and line ``k`` picked up (``ord-1-fo2``)."""
    return make_order(
        make_draft(
            make_line("s"), make_line("k", quantity=2, delivery_method=DeliveryMethod.PICK_UP)
        )
    )


IDS = SequentialIds("f")


def fulfilling_(
    order: Order, fo_id: str, *lines: LineQuantity, tracking: Tracking | None = None
) -> Change:
    return fulfilling.fulfill(
        order, fo_id, lines or None, tracking=tracking, new_id=IDS.new_id, now=EPOCH, actor=STAFF
    )


def fulfil(order: Order, fo_id: str, *lines: LineQuantity) -> Order:
    return fulfilling_(order, fo_id, *lines).order


def cancel_fulfillment(order: Order, fulfillment_id: str, **kwargs: bool) -> Change:
    return fulfilling.cancel_fulfillment(
        order, fulfillment_id, now=LATER, actor=STAFF, restock=kwargs.get("restock", True)
    )


def held(order: Order, fo_id: str) -> Order:
    return holds.hold(
        order, fo_id, HoldReason.OTHER, new_id=IDS.new_id, now=EPOCH, actor=STAFF
    ).order


def refuses(
    error: type[Exception], match: str, order: Order, operation: Callable[[Order], object]
) -> None:
    """``operation(order)`` raises ``error`` and ``order`` is as it was."""
    before = order
    with pytest.raises(error, match=match):
        operation(order)
    assert order == before


# -- fulfilling quantities -------------------------------------------------------------------


def test_fulfilling_a_whole_fulfillment_order_closes_it() -> None:
    order = two_places()
    tracking = Tracking(company="La Poste", numbers=("6A123",))

    change = fulfilling_(order, PARIS_FO, tracking=tracking)

    (fulfillment,) = change.order.fulfillments
    assert (fulfillment.fulfillment_order_id, fulfillment.lines, fulfillment.tracking) == (
        PARIS_FO,
        (LineQuantity("p", 3),),
        tracking,
    )
    assert (fulfillment.created_at, fulfillment.active) == (EPOCH, True)
    assert change.order.fulfillment_order(PARIS_FO).status == "closed"
    assert change.events == (
        FulfillmentCreated(
            order_id="ord-1",
            at=EPOCH,
            actor=STAFF,
            fulfillment_order_id=PARIS_FO,
            fulfillment_id=fulfillment.id,
            lines=(LineQuantity("p", 3),),
            tracking=tracking,
        ),
    )
    assert fulfillment_status(change.order) == "partially_fulfilled"


def test_fulfilling_the_last_fulfillment_order_fulfils_the_order_once() -> None:
    order = fulfil(two_places(), PARIS_FO)

    change = fulfilling_(order, LYON_FO)

    assert [type(e) for e in change.events] == [FulfillmentCreated, OrderFulfilled]
    assert fulfillment_status(change.order) == "fulfilled"


def test_part_of_a_line_can_be_fulfilled_and_the_rest_stays_open() -> None:
    order = fulfil(two_places(), PARIS_FO, LineQuantity("p", 1))

    fo = order.fulfillment_order(PARIS_FO)
    assert (fo.status, display_status(order, fo)) == ("open", "in_progress")
    assert remaining(order, fo) == (LineQuantity("p", 2),)


def test_several_partial_fulfillments_add_up_to_the_ordered_quantity() -> None:
    order = fulfil(two_places(), PARIS_FO, LineQuantity("p", 1))
    order = fulfil(order, PARIS_FO, LineQuantity("p", 1))
    order = fulfil(order, PARIS_FO, LineQuantity("p", 1))

    assert [f.lines for f in order.fulfillments] == [(LineQuantity("p", 1),)] * 3
    assert order.fulfillment_order(PARIS_FO).status == "closed"


def test_fulfilling_more_than_ordered_minus_fulfilled_is_refused_with_what_remains() -> None:
    order = fulfil(two_places(), PARIS_FO, LineQuantity("p", 2))

    refuses(
        OverFulfillment,
        r"order #1001 \(ord-1\): 2 of line 'p' requested from fulfillment order ord-1-fo1, "
        r"but only 1 remain \(it holds 3 of the line\)",
        order,
        lambda o: fulfil(o, PARIS_FO, LineQuantity("p", 2)),
    )


def test_fulfilling_more_than_ordered_at_once_is_refused() -> None:
    refuses(
        OverFulfillment,
        "4 of line 'p' requested .* only 3 remain",
        two_places(),
        lambda o: fulfil(o, PARIS_FO, LineQuantity("p", 4)),
    )


def test_one_line_asked_for_twice_in_one_fulfillment_counts_twice() -> None:
    refuses(
        OverFulfillment,
        "4 of line 'p' requested",
        two_places(),
        lambda o: fulfil(o, PARIS_FO, LineQuantity("p", 2), LineQuantity("p", 2)),
    )


def test_a_line_of_another_fulfillment_order_cannot_be_fulfilled_from_this_one() -> None:
    refuses(
        UnknownLineItem,
        "fulfillment order ord-1-fo1 has no line item 'l'",
        two_places(),
        lambda o: fulfil(o, PARIS_FO, LineQuantity("l", 1)),
    )


def test_a_closed_fulfillment_order_cannot_be_fulfilled_again() -> None:
    refuses(
        InvalidTransition,
        "cannot fulfil fulfillment order ord-1-fo1 while closed",
        fulfil(two_places(), PARIS_FO),
        lambda o: fulfil(o, PARIS_FO),
    )


def test_a_cancelled_fulfillment_frees_its_quantities_to_be_fulfilled_again() -> None:
    order = fulfil(two_places(), PARIS_FO, LineQuantity("p", 2))
    order = cancel_fulfillment(order, order.fulfillments[0].id).order

    order = fulfil(order, PARIS_FO, LineQuantity("p", 3))

    assert order.fulfillment_order(PARIS_FO).status == "closed"
    assert [f.active for f in order.fulfillments] == [False, True]


def test_after_a_cancellation_still_no_more_than_ordered_minus_fulfilled_can_be_fulfilled() -> None:
    order = fulfil(two_places(), PARIS_FO, LineQuantity("p", 1))
    second = fulfil(order, PARIS_FO, LineQuantity("p", 2))
    order = cancel_fulfillment(second, second.fulfillments[1].id).order

    refuses(
        OverFulfillment,
        "3 of line 'p' requested .* only 2 remain",
        order,
        lambda o: fulfil(o, PARIS_FO, LineQuantity("p", 3)),
    )


def test_a_held_fulfillment_order_cannot_be_fulfilled_until_released() -> None:
    order = held(two_places(), PARIS_FO)

    refuses(
        FulfillmentOnHold,
        r"fulfillment order ord-1-fo1 is on hold \(other\): release it first",
        order,
        lambda o: fulfil(o, PARIS_FO),
    )


def test_a_scheduled_fulfillment_order_cannot_be_fulfilled_until_opened() -> None:
    order = fulfilling.schedule(two_places(), PARIS_FO, LATER, now=EPOCH, actor=STAFF).order

    refuses(
        InvalidTransition,
        r"while scheduled \(open it first\)",
        order,
        lambda o: fulfil(o, PARIS_FO),
    )


def test_a_cancelled_order_cannot_be_fulfilled() -> None:
    order = cancel(
        two_places(), CancelReason.CUSTOMER, new_id=IDS.new_id, now=EPOCH, actor=STAFF
    ).order

    refuses(InvalidTransition, "cannot fulfil while cancelled", order, lambda o: fulfil(o, LYON_FO))


def test_an_archived_order_is_fulfilled_only_once_unarchived() -> None:
    order = archive(two_places(), now=EPOCH, actor=STAFF).order

    refuses(InvalidTransition, "cannot fulfil while archived", order, lambda o: fulfil(o, LYON_FO))

    order = fulfil(unarchive(order, now=EPOCH, actor=STAFF).order, LYON_FO)
    assert order.fulfillment_order(LYON_FO).status == "closed"


# -- cancelling a fulfillment ----------------------------------------------------------------


def test_cancelling_a_fulfillment_reopens_its_closed_fulfillment_order() -> None:
    order = fulfil(two_places(), PARIS_FO)
    fulfillment_id = order.fulfillments[0].id

    change = cancel_fulfillment(order, fulfillment_id)

    assert change.order.fulfillment(fulfillment_id).cancelled_at == LATER
    assert change.order.fulfillment_order(PARIS_FO).status == "open"
    assert remaining(change.order, change.order.fulfillment_order(PARIS_FO)) == (
        LineQuantity("p", 3),
    )
    assert change.events == (
        FulfillmentCancelled(
            order_id="ord-1",
            at=LATER,
            actor=STAFF,
            fulfillment_order_id=PARIS_FO,
            fulfillment_id=fulfillment_id,
            lines=(LineQuantity("p", 3),),
            restock=True,
        ),
    )


def test_cancelling_a_fulfillment_can_skip_the_restock() -> None:
    order = fulfil(two_places(), PARIS_FO)

    change = cancel_fulfillment(order, order.fulfillments[0].id, restock=False)

    (event,) = change.events
    assert isinstance(event, FulfillmentCancelled)
    assert event.restock is False


def test_a_fulfillment_cannot_be_cancelled_twice() -> None:
    order = fulfil(two_places(), PARIS_FO)
    fulfillment_id = order.fulfillments[0].id
    order = cancel_fulfillment(order, fulfillment_id).order

    refuses(
        InvalidTransition,
        f"fulfillment {fulfillment_id} is already cancelled",
        order,
        lambda o: cancel_fulfillment(o, fulfillment_id),
    )


def test_cancelling_an_unknown_fulfillment_is_refused() -> None:
    refuses(
        FulfillmentNotFound,
        "no fulfillment 'f-404'",
        two_places(),
        lambda o: cancel_fulfillment(o, "f-404"),
    )


# -- local pickup ----------------------------------------------------------------------------


def test_a_pickup_fulfillment_order_cannot_be_fulfilled_like_a_shipment() -> None:
    refuses(
        InvalidTransition,
        "fulfillment order ord-1-fo2 is a local pickup: it is fulfilled when the customer picks it up",
        with_pickup(),
        lambda o: fulfil(o, "ord-1-fo2"),
    )


def test_ready_for_pickup_then_picked_up_fulfils_what_remained_and_closes_it() -> None:
    ready = fulfilling.ready_for_pickup(with_pickup(), "ord-1-fo2", now=EPOCH, actor=STAFF)
    assert ready.order.fulfillment_order("ord-1-fo2").ready_for_pickup_at == EPOCH
    assert ready.events == (
        ReadyForPickup(order_id="ord-1", at=EPOCH, actor=STAFF, fulfillment_order_id="ord-1-fo2"),
    )

    change = fulfilling.picked_up(
        ready.order, "ord-1-fo2", new_id=IDS.new_id, now=LATER, actor=STAFF
    )

    (fulfillment,) = change.order.fulfillments
    assert (fulfillment.fulfillment_order_id, fulfillment.lines) == (
        "ord-1-fo2",
        (LineQuantity("k", 2),),
    )
    assert change.order.fulfillment_order("ord-1-fo2").status == "closed"
    (created,) = change.events
    assert isinstance(created, FulfillmentCreated)
    assert created.picked_up is True


def test_a_pickup_cannot_be_made_ready_twice() -> None:
    order = fulfilling.ready_for_pickup(with_pickup(), "ord-1-fo2", now=EPOCH, actor=STAFF).order

    refuses(
        InvalidTransition,
        "already ready for pickup",
        order,
        lambda o: fulfilling.ready_for_pickup(o, "ord-1-fo2", now=LATER, actor=STAFF),
    )


def test_a_held_pickup_cannot_be_made_ready() -> None:
    refuses(
        InvalidTransition,
        "cannot be ready while on hold",
        held(with_pickup(), "ord-1-fo2"),
        lambda o: fulfilling.ready_for_pickup(o, "ord-1-fo2", now=EPOCH, actor=STAFF),
    )


def test_a_shipped_fulfillment_order_is_neither_ready_for_pickup_nor_picked_up() -> None:
    message = "ord-1-fo1 is delivered by shipping, not picked up"
    refuses(
        InvalidTransition,
        message,
        with_pickup(),
        lambda o: fulfilling.ready_for_pickup(o, "ord-1-fo1", now=EPOCH, actor=STAFF),
    )
    refuses(
        InvalidTransition,
        message,
        with_pickup(),
        lambda o: fulfilling.picked_up(o, "ord-1-fo1", new_id=IDS.new_id, now=EPOCH, actor=STAFF),
    )


# -- tracking and carrier events -------------------------------------------------------------


def test_tracking_is_added_to_a_fulfillment_with_several_numbers() -> None:
    order = fulfil(two_places(), PARIS_FO)
    fulfillment_id = order.fulfillments[0].id
    tracking = Tracking(company="DHL", numbers=("1", "2"), urls=("https://dhl.example/1",))

    change = fulfilling.update_tracking(order, fulfillment_id, tracking, now=LATER, actor=STAFF)

    assert change.order.fulfillment(fulfillment_id).tracking == tracking
    assert change.events == (
        TrackingUpdated(
            order_id="ord-1",
            at=LATER,
            actor=STAFF,
            fulfillment_order_id=PARIS_FO,
            fulfillment_id=fulfillment_id,
            tracking=tracking,
        ),
    )


def test_the_same_tracking_again_changes_nothing() -> None:
    tracking = Tracking(company="DHL", numbers=("1",))
    order = fulfilling_(two_places(), PARIS_FO, tracking=tracking).order

    change = fulfilling.update_tracking(
        order, order.fulfillments[0].id, tracking, now=LATER, actor=STAFF
    )

    assert (change.order, change.events) == (order, ())


def test_a_cancelled_fulfillment_takes_no_tracking_nor_carrier_events() -> None:
    order = fulfil(two_places(), PARIS_FO)
    fulfillment_id = order.fulfillments[0].id
    order = cancel_fulfillment(order, fulfillment_id).order
    event = ShipmentEvent(status=ShipmentStatus.IN_TRANSIT, at=LATER)

    refuses(
        InvalidTransition,
        f"fulfillment {fulfillment_id} is cancelled",
        order,
        lambda o: fulfilling.update_tracking(
            o, fulfillment_id, Tracking(numbers=("9",)), now=LATER, actor=STAFF
        ),
    )
    refuses(
        InvalidTransition,
        f"fulfillment {fulfillment_id} is cancelled",
        order,
        lambda o: fulfilling.record_shipment_event(
            o, fulfillment_id, event, now=LATER, actor=STAFF
        ),
    )


def test_carrier_events_are_all_recorded_and_a_late_one_leaves_the_shipment_delivered() -> None:
    order = fulfil(two_places(), PARIS_FO)
    fulfillment_id = order.fulfillments[0].id
    delivered = ShipmentEvent(status=ShipmentStatus.DELIVERED, at=LATER)
    late = ShipmentEvent(status=ShipmentStatus.IN_TRANSIT, at=LATER - timedelta(minutes=30))

    first = fulfilling.record_shipment_event(
        order, fulfillment_id, delivered, now=LATER, actor=STAFF
    )
    second = fulfilling.record_shipment_event(
        first.order, fulfillment_id, late, now=LATER, actor=STAFF
    )

    fulfillment = second.order.fulfillment(fulfillment_id)
    assert fulfillment.events == (delivered, late)
    assert shipment_status(fulfillment) is ShipmentStatus.DELIVERED
    assert second.events == (
        ShipmentEventRecorded(
            order_id="ord-1",
            at=LATER,
            actor=STAFF,
            fulfillment_order_id=PARIS_FO,
            fulfillment_id=fulfillment_id,
            event=late,
        ),
    )


# -- schedules -------------------------------------------------------------------------------


def test_scheduling_a_fulfillment_order_sets_when_it_opens() -> None:
    change = fulfilling.schedule(two_places(), LYON_FO, LATER, now=EPOCH, actor=STAFF)

    fo = change.order.fulfillment_order(LYON_FO)
    assert (fo.status, fo.fulfill_at) == ("scheduled", LATER)
    assert change.events == (
        FulfillmentScheduled(
            order_id="ord-1", at=EPOCH, actor=STAFF, fulfillment_order_id=LYON_FO, fulfill_at=LATER
        ),
    )
    assert fulfilling.next_opening(change.order) == LATER


def test_a_scheduled_fulfillment_order_cannot_be_scheduled_again() -> None:
    order = fulfilling.schedule(two_places(), LYON_FO, LATER, now=EPOCH, actor=STAFF).order

    refuses(
        InvalidTransition,
        "ord-1-fo2",
        order,
        lambda o: fulfilling.schedule(o, LYON_FO, LATER, now=EPOCH, actor=STAFF),
    )


def test_open_now_opens_a_scheduled_fulfillment_order_at_once() -> None:
    order = fulfilling.schedule(two_places(), LYON_FO, LATER, now=EPOCH, actor=STAFF).order

    change = fulfilling.open_now(order, LYON_FO, now=EPOCH, actor=STAFF)

    fo = change.order.fulfillment_order(LYON_FO)
    assert (fo.status, fo.fulfill_at) == ("open", None)
    assert change.events == (
        FulfillmentOpened(order_id="ord-1", at=EPOCH, actor=STAFF, fulfillment_order_id=LYON_FO),
    )
    assert fulfilling.next_opening(change.order) is None


def test_a_closed_fulfillment_order_is_not_opened_by_open_now() -> None:
    refuses(
        InvalidTransition,
        "ord-1-fo1 is closed: cancel a fulfillment to reopen it",
        fulfil(two_places(), PARIS_FO),
        lambda o: fulfilling.open_now(o, PARIS_FO, now=EPOCH, actor=STAFF),
    )


def test_an_open_fulfillment_order_cannot_be_opened_again() -> None:
    refuses(
        InvalidTransition,
        "ord-1-fo1",
        two_places(),
        lambda o: fulfilling.open_now(o, PARIS_FO, now=EPOCH, actor=STAFF),
    )


def test_open_due_opens_a_pre_order_at_its_date_and_not_a_second_before() -> None:
    order = make_order(make_draft(make_line("a"), make_line("b", pre_order=date(2026, 3, 1))))
    opens = datetime(2026, 3, 1, tzinfo=timezone.utc)
    assert fulfilling.next_opening(order) == opens

    early = fulfilling.open_due(order, now=opens - timedelta(seconds=1), actor=STAFF)
    assert (early.order, early.events) == (order, ())

    due = fulfilling.open_due(order, now=opens, actor=STAFF)
    fo = due.order.fulfillment_order("ord-1-fo2")
    assert (fo.status, fo.fulfill_at) == ("open", None)
    assert [type(e) for e in due.events] == [FulfillmentOpened]
    assert fulfilling.next_opening(due.order) is None


def test_open_due_opens_nothing_on_a_cancelled_order() -> None:
    order = make_order(make_draft(make_line("b", pre_order=date(2026, 3, 1))))
    order = cancel(order, CancelReason.INVENTORY, new_id=IDS.new_id, now=EPOCH, actor=STAFF).order

    change = fulfilling.open_due(order, now=datetime(2026, 4, 1, tzinfo=timezone.utc), actor=STAFF)

    assert (change.order, change.events) == (order, ())
    assert fulfilling.next_opening(order) is None


# -- cancelling the order's fulfillment orders -----------------------------------------------


def test_cancelling_an_order_cancels_each_of_its_fulfillment_orders() -> None:
    order = fulfilling.schedule(two_places(), LYON_FO, LATER, now=EPOCH, actor=STAFF).order

    change = cancel(order, CancelReason.CUSTOMER, new_id=IDS.new_id, now=EPOCH, actor=STAFF)

    assert [fo.status for fo in change.order.fulfillment_orders] == ["cancelled", "cancelled"]
    assert [type(e) for e in change.events] == [
        OrderCancelled,
        FulfillmentOrderCancelled,
        FulfillmentOrderCancelled,
    ]


def test_an_order_with_an_active_fulfillment_cannot_be_cancelled() -> None:
    order = fulfil(two_places(), PARIS_FO, LineQuantity("p", 1))
    shipped = order.fulfillments[0].id

    refuses(
        InvalidTransition,
        f"fulfillments {shipped} are not cancelled: cancel them",
        order,
        lambda o: cancel(o, CancelReason.CUSTOMER, new_id=IDS.new_id, now=EPOCH, actor=STAFF),
    )


def test_an_order_whose_fulfillments_were_all_cancelled_can_be_cancelled() -> None:
    order = fulfil(two_places(), PARIS_FO)
    order = cancel_fulfillment(order, order.fulfillments[0].id).order

    change = cancel(order, CancelReason.CUSTOMER, new_id=IDS.new_id, now=LATER, actor=STAFF)

    assert change.order.status == "cancelled"
    assert {fo.status for fo in change.order.fulfillment_orders} == {"cancelled"}


# -- shipping address ------------------------------------------------------------------------


def test_the_shipping_address_changes_with_the_snapshots_of_shipping_fulfillment_orders() -> None:
    order = with_pickup()

    change = fulfilling.change_shipping_address(
        order, NEW_ADDRESS, note="moved", now=LATER, actor=STAFF
    )

    assert change.order.shipping_address == NEW_ADDRESS
    shipped, pickup = change.order.fulfillment_orders
    assert (shipped.destination, pickup.destination) == (NEW_ADDRESS, None)
    assert change.events == (
        ShippingAddressChanged(
            order_id="ord-1", at=LATER, actor=STAFF, address=NEW_ADDRESS, note="moved"
        ),
    )


def test_the_address_is_locked_once_the_first_shipment_left() -> None:
    order = fulfil(two_places(), PARIS_FO, LineQuantity("p", 1))
    shipped = order.fulfillments[0].id

    refuses(
        AddressLocked,
        f"fulfillments {shipped} already left for the shipping address",
        order,
        lambda o: fulfilling.change_shipping_address(o, NEW_ADDRESS, now=LATER, actor=STAFF),
    )


def test_a_picked_up_fulfillment_does_not_lock_the_shipping_address() -> None:
    order = fulfilling.picked_up(
        with_pickup(), "ord-1-fo2", new_id=IDS.new_id, now=EPOCH, actor=STAFF
    )

    changed = fulfilling.change_shipping_address(order.order, NEW_ADDRESS, now=LATER, actor=STAFF)

    assert changed.order.fulfillment_order("ord-1-fo1").destination == NEW_ADDRESS


def test_a_cancelled_shipment_unlocks_the_address() -> None:
    order = fulfil(two_places(), PARIS_FO)
    order = cancel_fulfillment(order, order.fulfillments[0].id).order

    change = fulfilling.change_shipping_address(order, NEW_ADDRESS, now=LATER, actor=STAFF)

    assert [fo.destination for fo in change.order.fulfillment_orders] == [NEW_ADDRESS] * 2


def test_the_address_of_a_cancelled_order_cannot_change() -> None:
    order = cancel(
        two_places(), CancelReason.CUSTOMER, new_id=IDS.new_id, now=EPOCH, actor=STAFF
    ).order

    refuses(
        InvalidTransition,
        "cannot change the shipping address while cancelled",
        order,
        lambda o: fulfilling.change_shipping_address(o, NEW_ADDRESS, now=LATER, actor=STAFF),
    )


def test_an_address_must_be_an_address() -> None:
    with pytest.raises(TypeError, match="must be an Address, got str"):
        fulfilling.change_shipping_address(
            two_places(),
            "8 place Bellecour",  # type: ignore[arg-type]
            now=LATER,
            actor=STAFF,
        )


def test_opening_a_fulfillment_order_that_is_already_open_says_so() -> None:
    order = make_order()

    with pytest.raises(InvalidTransition, match="fulfillment order ord-1-fo1 is already open"):
        fulfilling.open_now(order, "ord-1-fo1", now=EPOCH, actor=STAFF)


def test_a_new_address_reaches_pickup_point_fulfillment_orders_too() -> None:
    order = make_order(make_draft(delivery_method=DeliveryMethod.PICKUP_POINT))
    point = make_address(name="Relais Colis", line1="8 rue Mercière")

    changed = fulfilling.change_shipping_address(order, point, now=EPOCH, actor=STAFF).order

    assert changed.fulfillment_order("ord-1-fo1").destination == point
    assert changed.shipping_address == point
