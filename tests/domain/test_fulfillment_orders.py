"""Fulfillment orders at placement: lines grouped by location, delivery method and pre-order
date, each shipping group with a snapshot of the destination.

Ids are ``<order id>-fo<n>``, numbered in the order the groups first appear among the lines.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from orderflow.domain.fulfillment import (
    DeliveryMethod,
    FulfillmentOrder,
    LineQuantity,
    Location,
)
from orderflow.domain.placement import DEFAULT_LOCATION
from orderflow.errors import InvalidQuantity, InvalidStateValue
from orderflow.testing import make_address, make_draft, make_line, make_order

PARIS = Location("paris", "Paris warehouse")
LYON = Location("lyon", "Lyon shop")


def test_an_order_of_shipped_lines_from_one_place_has_one_open_fulfillment_order() -> None:
    order = make_order(make_draft(make_line("a", quantity=2), make_line("b", quantity=3)))

    (fo,) = order.fulfillment_orders
    assert fo.id == "ord-1-fo1"
    assert fo.location == DEFAULT_LOCATION
    assert fo.delivery_method is DeliveryMethod.SHIPPING
    assert fo.status == "open"
    assert fo.lines == (LineQuantity("a", 2), LineQuantity("b", 3))
    assert (fo.holds, fo.fulfill_at, fo.ready_for_pickup_at) == ((), None, None)


def test_a_shipping_fulfillment_order_keeps_a_snapshot_of_the_shipping_address() -> None:
    address = make_address(line1="3 quai Saint-Vincent")
    order = make_order(make_draft(shipping_address=address))

    assert order.fulfillment_orders[0].destination == address


def test_lines_from_two_locations_make_two_fulfillment_orders() -> None:
    order = make_order(
        make_draft(
            make_line("a", location=PARIS),
            make_line("b", location=LYON),
            make_line("c", location=PARIS, quantity=4),
        )
    )

    assert [(fo.id, fo.location, fo.lines) for fo in order.fulfillment_orders] == [
        ("ord-1-fo1", PARIS, (LineQuantity("a", 1), LineQuantity("c", 4))),
        ("ord-1-fo2", LYON, (LineQuantity("b", 1),)),
    ]


def test_lines_without_a_location_of_their_own_go_to_the_drafts_location() -> None:
    order = make_order(make_draft(make_line("a"), make_line("b", location=LYON), location=PARIS))

    assert [fo.location for fo in order.fulfillment_orders] == [PARIS, LYON]


def test_a_picked_up_line_gets_its_own_fulfillment_order_without_a_destination() -> None:
    order = make_order(
        make_draft(make_line("a"), make_line("b", delivery_method=DeliveryMethod.PICK_UP))
    )

    shipped, pickup = order.fulfillment_orders
    assert (shipped.delivery_method, shipped.lines) == (
        DeliveryMethod.SHIPPING,
        (LineQuantity("a", 1),),
    )
    assert (pickup.delivery_method, pickup.lines, pickup.destination) == (
        DeliveryMethod.PICK_UP,
        (LineQuantity("b", 1),),
        None,
    )


def test_the_drafts_delivery_method_applies_to_every_shipped_line() -> None:
    order = make_order(
        make_draft(make_line("a"), make_line("b"), delivery_method=DeliveryMethod.PICK_UP)
    )

    (fo,) = order.fulfillment_orders
    assert (fo.delivery_method, fo.destination) == (DeliveryMethod.PICK_UP, None)


@pytest.mark.parametrize(
    "method", [DeliveryMethod.LOCAL_DELIVERY, DeliveryMethod.PICKUP_POINT, DeliveryMethod.SHIPPING]
)
def test_every_delivery_to_an_address_keeps_the_destination_snapshot(
    method: DeliveryMethod,
) -> None:
    order = make_order(make_draft(make_line("a", delivery_method=method)))

    (fo,) = order.fulfillment_orders
    assert (fo.delivery_method, fo.destination) == (method, make_address())


@pytest.mark.parametrize("method", [DeliveryMethod.PICK_UP, DeliveryMethod.RETAIL])
def test_a_hand_over_at_the_location_keeps_no_destination(method: DeliveryMethod) -> None:
    order = make_order(make_draft(make_line("a", delivery_method=method)))

    assert order.fulfillment_orders[0].destination is None


def test_digital_goods_and_gift_cards_need_no_delivery_and_share_a_fulfillment_order() -> None:
    order = make_order(
        make_draft(
            make_line("book"),
            make_line("ebook", requires_shipping=False),
            make_line("card", requires_shipping=False, gift_card=True),
        )
    )

    shipped, digital = order.fulfillment_orders
    assert shipped.lines == (LineQuantity("book", 1),)
    assert digital.delivery_method is DeliveryMethod.NONE
    assert digital.lines == (LineQuantity("ebook", 1), LineQuantity("card", 1))
    assert digital.destination is None


def test_a_digital_line_ignores_a_delivery_method_of_its_own() -> None:
    order = make_order(
        make_draft(
            make_line("ebook", requires_shipping=False, delivery_method=DeliveryMethod.PICK_UP)
        )
    )

    assert order.fulfillment_orders[0].delivery_method is DeliveryMethod.NONE


def test_a_pre_order_is_scheduled_to_open_at_midnight_utc_on_its_expected_date() -> None:
    order = make_order(make_draft(make_line("a"), make_line("b", pre_order=date(2026, 3, 1))))

    now, later = order.fulfillment_orders
    assert (now.status, now.fulfill_at, now.lines) == ("open", None, (LineQuantity("a", 1),))
    assert (later.status, later.fulfill_at, later.lines) == (
        "scheduled",
        datetime(2026, 3, 1, tzinfo=timezone.utc),
        (LineQuantity("b", 1),),
    )
    assert later.destination == make_address()


def test_pre_orders_expected_the_same_day_share_a_fulfillment_order_and_other_days_do_not() -> None:
    order = make_order(
        make_draft(
            make_line("a", pre_order=date(2026, 3, 1)),
            make_line("b", pre_order=date(2026, 4, 1)),
            make_line("c", pre_order=date(2026, 3, 1)),
        )
    )

    assert [(fo.fulfill_at, fo.lines) for fo in order.fulfillment_orders] == [
        (datetime(2026, 3, 1, tzinfo=timezone.utc), (LineQuantity("a", 1), LineQuantity("c", 1))),
        (datetime(2026, 4, 1, tzinfo=timezone.utc), (LineQuantity("b", 1),)),
    ]


def test_one_group_per_location_method_and_date_with_distinct_ids() -> None:
    order = make_order(
        make_draft(
            make_line("a", location=PARIS),
            make_line("b", location=PARIS, delivery_method=DeliveryMethod.PICK_UP),
            make_line("c", location=PARIS, pre_order=date(2026, 3, 1)),
            make_line("d", location=LYON, pre_order=date(2026, 3, 1)),
            make_line("e", location=PARIS),
        )
    )

    assert [(fo.id, [q.line_item_id for q in fo.lines]) for fo in order.fulfillment_orders] == [
        ("ord-1-fo1", ["a", "e"]),
        ("ord-1-fo2", ["b"]),
        ("ord-1-fo3", ["c"]),
        ("ord-1-fo4", ["d"]),
    ]


def test_every_ordered_unit_is_in_exactly_one_fulfillment_order() -> None:
    lines = (
        make_line("a", quantity=3, location=PARIS),
        make_line("b", quantity=2, requires_shipping=False),
        make_line("c", quantity=5, pre_order=date(2026, 3, 1)),
    )
    order = make_order(make_draft(*lines))

    for line in lines:
        assert sum(fo.quantity_of(line.id) for fo in order.fulfillment_orders) == line.quantity


def test_quantity_of_adds_up_a_line_listed_twice_and_is_zero_for_a_line_not_listed() -> None:
    fo = FulfillmentOrder(
        id="fo",
        location=PARIS,
        delivery_method=DeliveryMethod.SHIPPING,
        lines=(LineQuantity("a", 2), LineQuantity("a", 1)),
    )

    assert (fo.quantity_of("a"), fo.quantity_of("b")) == (3, 0)


def test_a_line_quantity_of_zero_is_refused() -> None:
    with pytest.raises(InvalidQuantity, match="at least 1, got 0"):
        LineQuantity("a", 0)


def test_a_fulfillment_order_in_a_state_its_machine_does_not_know_is_refused() -> None:
    with pytest.raises(InvalidStateValue, match="fulfillment order fo"):
        FulfillmentOrder(
            id="fo",
            location=PARIS,
            delivery_method=DeliveryMethod.SHIPPING,
            lines=(LineQuantity("a", 1),),
            status="shipped",  # type: ignore[arg-type]
        )
