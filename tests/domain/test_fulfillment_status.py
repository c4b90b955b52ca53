"""Derived fulfillment figures: quantities left, the display status of a fulfillment order,
the shipment status from carrier events, and the order's fulfillment status by precedence.

Orders come from ``make_order``; "two places" is line ``p`` (2 units) from Paris and line
``l`` (1 unit) from Lyon, so fulfillment orders ``ord-1-fo1`` (Paris) and ``ord-1-fo2``.
"""

from __future__ import annotations

from datetime import date, timedelta

import attrs
import pytest

from orderflow.domain import fulfilling, holds
from orderflow.domain.cancellation import cancel
from orderflow.domain.fulfillment import (
    Fulfillment,
    HoldReason,
    LineQuantity,
    Location,
    ShipmentEvent,
    ShipmentStatus,
)
from orderflow.domain.fulfillment_status import (
    display_status,
    fulfilled_quantities,
    fulfillment_status,
    remaining,
    shipment_status,
)
from orderflow.domain.order import CancelReason, Order
from orderflow.testing import EPOCH, STAFF, SequentialIds, make_draft, make_line, make_order

S = ShipmentStatus
PARIS_FO, LYON_FO = "ord-1-fo1", "ord-1-fo2"


def two_places() -> Order:
    return make_order(
        make_draft(
            make_line("p", quantity=2, location=Location("paris", "Paris")),
            make_line("l", location=Location("lyon", "Lyon")),
        )
    )


IDS = SequentialIds("n")


def fulfil(order: Order, fo_id: str, *lines: LineQuantity) -> Order:
    return fulfilling.fulfill(
        order, fo_id, lines or None, new_id=IDS.new_id, now=EPOCH, actor=STAFF
    ).order


def hold(order: Order, fo_id: str) -> Order:
    return holds.hold(
        order, fo_id, HoldReason.OTHER, new_id=IDS.new_id, now=EPOCH, actor=STAFF
    ).order


def schedule(order: Order, fo_id: str) -> Order:
    return fulfilling.schedule(
        order, fo_id, EPOCH + timedelta(days=10), now=EPOCH, actor=STAFF
    ).order


def cancel_fulfillment(order: Order, fulfillment_id: str) -> Order:
    return fulfilling.cancel_fulfillment(order, fulfillment_id, now=EPOCH, actor=STAFF).order


# -- quantities ------------------------------------------------------------------------------


def test_nothing_is_fulfilled_and_everything_remains_on_a_new_order() -> None:
    order = two_places()
    fo = order.fulfillment_order(PARIS_FO)

    assert fulfilled_quantities(order, fo) == {}
    assert remaining(order, fo) == (LineQuantity("p", 2),)


def test_remaining_subtracts_the_fulfillments_of_that_fulfillment_order_only() -> None:
    order = fulfil(two_places(), PARIS_FO, LineQuantity("p", 1))
    order = fulfil(order, LYON_FO)

    paris = order.fulfillment_order(PARIS_FO)
    assert fulfilled_quantities(order, paris) == {"p": 1}
    assert remaining(order, paris) == (LineQuantity("p", 1),)
    assert remaining(order, order.fulfillment_order(LYON_FO)) == ()


def test_a_cancelled_fulfillment_counts_for_nothing() -> None:
    order = fulfil(two_places(), PARIS_FO, LineQuantity("p", 1))
    order = cancel_fulfillment(order, order.fulfillments[0].id)

    paris = order.fulfillment_order(PARIS_FO)
    assert fulfilled_quantities(order, paris) == {}
    assert remaining(order, paris) == (LineQuantity("p", 2),)


# -- display status --------------------------------------------------------------------------


def test_a_fulfillment_order_untouched_displays_open() -> None:
    order = two_places()

    assert display_status(order, order.fulfillment_order(PARIS_FO)) == "open"


def test_a_fulfillment_order_with_a_hold_displays_on_hold_even_when_partly_fulfilled() -> None:
    order = hold(fulfil(two_places(), PARIS_FO, LineQuantity("p", 1)), PARIS_FO)

    assert display_status(order, order.fulfillment_order(PARIS_FO)) == "on_hold"


def test_a_held_scheduled_fulfillment_order_displays_on_hold() -> None:
    order = hold(schedule(two_places(), PARIS_FO), PARIS_FO)

    assert display_status(order, order.fulfillment_order(PARIS_FO)) == "on_hold"


def test_a_partly_fulfilled_fulfillment_order_displays_in_progress() -> None:
    order = fulfil(two_places(), PARIS_FO, LineQuantity("p", 1))

    assert display_status(order, order.fulfillment_order(PARIS_FO)) == "in_progress"


def test_a_fully_fulfilled_fulfillment_order_displays_closed() -> None:
    order = fulfil(fulfil(two_places(), PARIS_FO, LineQuantity("p", 1)), PARIS_FO)

    assert display_status(order, order.fulfillment_order(PARIS_FO)) == "closed"


def test_a_scheduled_fulfillment_order_displays_scheduled() -> None:
    order = schedule(two_places(), LYON_FO)

    assert display_status(order, order.fulfillment_order(LYON_FO)) == "scheduled"


def test_a_fulfillment_order_of_a_cancelled_order_displays_cancelled() -> None:
    order = cancel(
        two_places(), CancelReason.CUSTOMER, new_id=IDS.new_id, now=EPOCH, actor=STAFF
    ).order

    assert [display_status(order, fo) for fo in order.fulfillment_orders] == [
        "cancelled",
        "cancelled",
    ]


# -- order fulfillment status, one example per precedence rule ---------------------------------


def test_an_order_whose_fulfillment_orders_are_all_cancelled_needs_no_fulfillment() -> None:
    order = cancel(
        two_places(), CancelReason.CUSTOMER, new_id=IDS.new_id, now=EPOCH, actor=STAFF
    ).order

    assert fulfillment_status(order) == "not_required"


def test_an_order_with_every_line_fully_fulfilled_is_fulfilled() -> None:
    order = fulfil(fulfil(two_places(), PARIS_FO), LYON_FO)

    assert fulfillment_status(order) == "fulfilled"


def test_an_order_fulfilled_in_several_partial_fulfillments_is_fulfilled() -> None:
    order = fulfil(two_places(), PARIS_FO, LineQuantity("p", 1))
    order = fulfil(order, PARIS_FO, LineQuantity("p", 1))
    order = fulfil(order, LYON_FO)

    assert len(order.fulfillments) == 3
    assert fulfillment_status(order) == "fulfilled"


def test_one_closed_and_one_held_fulfillment_order_is_partially_fulfilled() -> None:
    order = hold(fulfil(two_places(), PARIS_FO), LYON_FO)

    assert order.fulfillment_order(PARIS_FO).status == "closed"
    assert fulfillment_status(order) == "partially_fulfilled"


def test_some_quantity_fulfilled_of_a_single_line_is_partially_fulfilled() -> None:
    order = fulfil(two_places(), PARIS_FO, LineQuantity("p", 1))

    assert fulfillment_status(order) == "partially_fulfilled"


def test_an_order_whose_every_unfulfilled_line_is_held_is_on_hold() -> None:
    order = hold(hold(two_places(), PARIS_FO), LYON_FO)

    assert fulfillment_status(order) == "on_hold"


def test_a_held_scheduled_fulfillment_order_is_on_hold_before_it_is_scheduled() -> None:
    order = make_order(make_draft(make_line("a", pre_order=date(2026, 3, 1))))
    order = hold(order, "ord-1-fo1")

    assert fulfillment_status(order) == "on_hold"


def test_an_order_whose_every_unfulfilled_line_is_scheduled_is_scheduled() -> None:
    order = schedule(schedule(two_places(), PARIS_FO), LYON_FO)

    assert fulfillment_status(order) == "scheduled"


def test_an_order_of_pre_orders_only_is_scheduled() -> None:
    order = make_order(make_draft(make_line("a", pre_order=date(2026, 3, 1))))

    assert fulfillment_status(order) == "scheduled"


def test_one_held_and_one_scheduled_with_nothing_fulfilled_is_unfulfilled() -> None:
    order = schedule(hold(two_places(), PARIS_FO), LYON_FO)

    assert fulfillment_status(order) == "unfulfilled"


def test_one_held_and_one_open_is_unfulfilled() -> None:
    order = hold(two_places(), PARIS_FO)

    assert fulfillment_status(order) == "unfulfilled"


def test_a_new_order_is_unfulfilled() -> None:
    assert fulfillment_status(two_places()) == "unfulfilled"


def test_cancelling_the_only_fulfillment_makes_the_order_unfulfilled_again() -> None:
    order = fulfil(fulfil(two_places(), PARIS_FO), LYON_FO)
    for fulfillment in order.fulfillments:
        order = cancel_fulfillment(order, fulfillment.id)

    assert fulfillment_status(order) == "unfulfilled"


# -- shipment status -------------------------------------------------------------------------


def shipment(*statuses: ShipmentStatus) -> Fulfillment:
    """A fulfillment whose carrier events happened one minute apart, in the order given."""
    events = tuple(
        ShipmentEvent(status=status, at=EPOCH + timedelta(minutes=i))
        for i, status in enumerate(statuses)
    )
    return Fulfillment(
        id="f-1",
        fulfillment_order_id=PARIS_FO,
        lines=(LineQuantity("p", 1),),
        created_at=EPOCH,
        events=events,
    )


def test_a_shipment_without_carrier_events_has_no_status() -> None:
    assert shipment_status(shipment()) is None


def test_a_shipment_shows_its_most_advanced_event() -> None:
    assert shipment_status(shipment(S.LABEL_PURCHASED, S.CONFIRMED, S.IN_TRANSIT)) is S.IN_TRANSIT


def test_an_earlier_event_reported_late_does_not_move_a_shipment_back() -> None:
    fulfillment = shipment(S.IN_TRANSIT, S.OUT_FOR_DELIVERY)
    late = ShipmentEvent(status=S.CARRIER_PICKED_UP, at=EPOCH - timedelta(hours=1))
    fulfillment = attrs.evolve(fulfillment, events=(*fulfillment.events, late))

    assert shipment_status(fulfillment) is S.OUT_FOR_DELIVERY


def test_a_late_in_transit_after_delivered_leaves_the_shipment_delivered() -> None:
    assert shipment_status(shipment(S.OUT_FOR_DELIVERY, S.DELIVERED, S.IN_TRANSIT)) is S.DELIVERED


def test_a_failure_after_delivered_leaves_the_shipment_delivered() -> None:
    assert shipment_status(shipment(S.DELIVERED, S.FAILURE)) is S.DELIVERED


def test_a_duplicate_delivered_event_changes_nothing() -> None:
    assert shipment_status(shipment(S.IN_TRANSIT, S.DELIVERED, S.DELIVERED)) is S.DELIVERED


def test_a_failure_shows_while_it_is_the_latest_event() -> None:
    assert shipment_status(shipment(S.IN_TRANSIT, S.FAILURE)) is S.FAILURE


def test_a_delay_shows_while_it_is_the_latest_event() -> None:
    assert shipment_status(shipment(S.OUT_FOR_DELIVERY, S.DELAYED)) is S.DELAYED


def test_progress_after_a_failure_shows_the_progress() -> None:
    assert shipment_status(shipment(S.IN_TRANSIT, S.FAILURE, S.OUT_FOR_DELIVERY)) is (
        S.OUT_FOR_DELIVERY
    )


def test_an_attempted_delivery_then_out_for_delivery_shows_out_for_delivery() -> None:
    statuses = (S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.ATTEMPTED_DELIVERY, S.OUT_FOR_DELIVERY)

    assert shipment_status(shipment(*statuses)) is S.OUT_FOR_DELIVERY


def test_in_transit_again_after_a_delay_shows_in_transit() -> None:
    assert shipment_status(shipment(S.IN_TRANSIT, S.DELAYED, S.IN_TRANSIT)) is S.IN_TRANSIT


def test_a_shipment_picked_up_at_a_pickup_point_stays_picked_up() -> None:
    assert shipment_status(shipment(S.READY_FOR_PICKUP, S.PICKED_UP, S.IN_TRANSIT)) is (S.PICKED_UP)


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        (S.LABEL_PURCHASED, S.LABEL_PRINTED),
        (S.LABEL_PRINTED, S.CONFIRMED),
        (S.CONFIRMED, S.CARRIER_PICKED_UP),
        (S.CARRIER_PICKED_UP, S.IN_TRANSIT),
        (S.IN_TRANSIT, S.OUT_FOR_DELIVERY),
        (S.OUT_FOR_DELIVERY, S.READY_FOR_PICKUP),
        (S.READY_FOR_PICKUP, S.DELIVERED),
    ],
)
def test_the_more_advanced_event_wins_whatever_the_order_they_arrive_in(
    earlier: ShipmentStatus, later: ShipmentStatus
) -> None:
    assert shipment_status(shipment(earlier, later)) is later
    assert shipment_status(shipment(later, earlier)) is later
