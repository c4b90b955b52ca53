"""Placing orders through the service: numbering, checkout replays, who may place."""

from __future__ import annotations

from unittest import mock

import pytest

from orderflow import (
    Actor,
    CurrencyMismatch,
    DuplicateOrder,
    Money,
    NotPermitted,
    Order,
    OrderNotFound,
)
from orderflow.testing import GATEWAY, STAFF, Harness, make_draft, make_line

CUSTOMER = Actor.customer("cust-1", "Ada")


def test_orders_are_numbered_1001_1002_in_the_order_they_are_placed(harness: Harness) -> None:
    first = harness.flow.place(make_draft(), actor=STAFF)
    second = harness.flow.place(make_draft(), actor=STAFF)

    assert (first.name, second.name) == ("#1001", "#1002")
    assert (first.number, second.number) == (1001, 1002)


def test_a_placed_order_is_stored_at_version_one_with_its_total_and_first_timeline_entry(
    harness: Harness,
) -> None:
    order = harness.flow.place(make_draft(), actor=STAFF)

    assert harness.repository.get(order.id) == order
    assert order.version == 1
    assert order.total == Money("62.00", "EUR")
    assert order.placed_at == harness.clock.now()
    assert [(e.kind, e.message, e.actor) for e in order.timeline] == [
        ("OrderPlaced", "Order #1001 placed for 62.00 EUR.", STAFF)
    ]


def test_placing_the_same_external_checkout_twice_returns_the_first_order_without_saving_again(
    harness: Harness,
) -> None:
    first = harness.flow.place(make_draft(external_checkout_id="chk-1"), actor=GATEWAY)

    with mock.patch.object(harness.repository, "add", wraps=harness.repository.add) as add:
        again = harness.flow.place(make_draft(external_checkout_id="chk-1"), actor=GATEWAY)

    assert again == first
    assert add.call_count == 0
    assert harness.flow.orders().orders == (first,)


def test_a_checkout_replay_does_not_use_up_an_order_number(harness: Harness) -> None:
    harness.flow.place(make_draft(external_checkout_id="chk-1"), actor=GATEWAY)
    harness.flow.place(make_draft(external_checkout_id="chk-1"), actor=GATEWAY)

    following = harness.flow.place(make_draft(external_checkout_id="chk-2"), actor=GATEWAY)

    assert following.name == "#1002"


def test_a_host_may_supply_its_own_order_number(harness: Harness) -> None:
    order = harness.flow.place(make_draft(number=5000), actor=STAFF)

    assert order.name == "#5000"
    assert harness.repository.by_number(5000) == order


def test_the_store_sequence_skips_a_number_the_host_already_used(harness: Harness) -> None:
    harness.flow.place(make_draft(number=1001), actor=STAFF)

    order = harness.flow.place(make_draft(), actor=STAFF)

    assert order.name == "#1002"


def test_placing_a_number_that_is_taken_raises_duplicate_order_and_stores_nothing(
    harness: Harness,
) -> None:
    first = harness.flow.place(make_draft(number=5000), actor=STAFF)

    with pytest.raises(DuplicateOrder, match="#5000 is already taken"):
        harness.flow.place(make_draft(number=5000), actor=STAFF)

    assert harness.flow.orders().orders == (first,)
    assert harness.repository.get(first.id) is first


def test_a_draft_mixing_currencies_is_refused_and_nothing_is_stored(harness: Harness) -> None:
    draft = make_draft(make_line("line-1", "20.00", 1, currency="USD"))

    with pytest.raises(CurrencyMismatch, match=r"20\.00 USD"):
        harness.flow.place(draft, actor=STAFF)

    assert harness.flow.orders().orders == ()


def test_a_customer_may_place_an_order_and_the_timeline_names_them(harness: Harness) -> None:
    order = harness.flow.place(make_draft(), actor=CUSTOMER)

    assert order.timeline[-1].actor == CUSTOMER
    assert str(order.timeline[-1].actor) == "customer Ada"


def test_a_customer_may_not_capture_and_the_refusal_names_the_actor_and_the_command(
    harness: Harness, authorized: Order
) -> None:
    with pytest.raises(NotPermitted, match=r"customer Ada may not capture on order #1001 \(id-1\)"):
        harness.flow.capture(authorized.id, actor=CUSTOMER)

    assert harness.repository.get(authorized.id) is authorized
    assert harness.gateway.calls == []


def test_a_placed_order_is_listed_at_once(harness: Harness) -> None:
    order = harness.flow.place(make_draft(), actor=STAFF)

    page = harness.flow.orders()

    assert page.orders == (order,)
    assert page.next_cursor is None


def test_an_order_is_found_by_an_outside_reference_and_an_unknown_one_is_refused(
    harness: Harness,
) -> None:
    order = harness.flow.place(make_draft(), actor=STAFF)
    fo_id = order.fulfillment_orders[0].id

    assert harness.flow.find("fulfillment_order", fo_id) == order
    with pytest.raises(OrderNotFound, match="no order carries tracking number '1Z9'"):
        harness.flow.find("tracking_number", "1Z9")
