"""Routing commands through the service: split, move and merge fulfillment orders.

Each command loads the order, decides, and saves once (the version goes up by one) with
its events on the timeline under the actor who asked; a refused command saves nothing and
queues nothing. Orders are line ``a`` (3 units) and line ``b`` (2 units) shipped from the
default location: one fulfillment order ``<order id>-fo1``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from orderflow import Actor, CancelReason, Order
from orderflow.domain.fulfillment import HoldReason, LineQuantity, Location
from orderflow.errors import (
    FulfillmentOrderNotFound,
    InvalidTransition,
    NotPermitted,
    OrderNotFound,
    OverFulfillment,
)
from orderflow.testing import STAFF, Harness, make_draft, make_flow, make_line

PARIS = Location("paris", "Paris")
WH = Location("wh", "Warehouse", fulfillment_service="shipfast")
NOOR = Actor.staff("staff-2", "Noor")
SHIPFAST = Actor.app("shipfast", "ShipFast")


def q(line_item_id: str, quantity: int) -> LineQuantity:
    return LineQuantity(line_item_id, quantity)


class Saves:
    """Counts the repository's saves, by wrapping the harness's ``save``."""

    def __init__(self, harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        save = harness.repository.save

        def counted(*args: Any, **kwargs: Any) -> None:
            self.count += 1
            save(*args, **kwargs)

        monkeypatch.setattr(harness.repository, "save", counted)


@pytest.fixture
def harness() -> Harness:
    """A flow with a publisher, so each saved event is also queued in the outbox."""
    return make_flow()


@pytest.fixture
def order(harness: Harness) -> Order:
    return harness.flow.place(
        make_draft(make_line("a", quantity=3), make_line("b", quantity=2)), actor=STAFF
    )


@pytest.fixture
def saves(harness: Harness, order: Order, monkeypatch: pytest.MonkeyPatch) -> Saves:
    """Saves counted from after ``order`` was placed."""
    return Saves(harness, monkeypatch)


def fo(order: Order, n: int) -> str:
    return f"{order.id}-fo{n}"


def lines_of(order: Order) -> dict[str, tuple[LineQuantity, ...]]:
    return {f.id: f.lines for f in order.fulfillment_orders}


def entries(before: Order, after: Order) -> list[tuple[str, Actor]]:
    """The timeline entries ``after`` added to ``before``: message and actor."""
    return [(e.message, e.actor) for e in after.timeline[len(before.timeline) :]]


def queued_events(harness: Harness, order_id: str) -> list[str]:
    return [
        json.loads(d.item.payload)["type"]
        for d in harness.repository.deliveries(order_id)
        if d.item.topic == "event"
    ]


def assert_refused(
    harness: Harness,
    saves: Saves,
    order_id: str,
    error: type[Exception],
    match: str,
    command: Callable[[], object],
) -> None:
    """``command`` raises ``error``; the stored order, the outbox and the save count stay."""
    before = harness.repository.get(order_id)
    deliveries = list(harness.repository.deliveries(order_id))
    count = saves.count
    with pytest.raises(error, match=match):
        command()
    assert harness.repository.get(order_id) is before
    assert list(harness.repository.deliveries(order_id)) == deliveries
    assert saves.count == count


# -- split -----------------------------------------------------------------------------------


def test_splitting_saves_once_and_explains_the_split_on_the_timeline(
    harness: Harness, order: Order, saves: Saves
) -> None:
    after = harness.flow.split_fulfillment_order(
        order.id, fo(order, 1), [q("a", 1), q("b", 2)], actor=NOOR
    )

    assert (saves.count, after.version) == (1, order.version + 1)
    assert harness.flow.get(order.id) is after
    assert lines_of(after) == {fo(order, 1): (q("a", 2),), fo(order, 2): (q("a", 1), q("b", 2))}
    assert entries(order, after) == [("3 items moved from id-1-fo1 to id-1-fo2.", NOOR)]
    assert queued_events(harness, order.id)[-1] == "FulfillmentOrderSplit"


def test_splitting_accepts_any_iterable_of_quantities(
    harness: Harness, order: Order, saves: Saves
) -> None:
    after = harness.flow.split_fulfillment_order(
        order.id, fo(order, 1), (line for line in [q("b", 1)]), actor=STAFF
    )

    assert lines_of(after)[fo(order, 2)] == (q("b", 1),)
    assert saves.count == 1


def test_splitting_everything_off_is_refused_and_nothing_is_saved(
    harness: Harness, order: Order, saves: Saves
) -> None:
    assert_refused(
        harness,
        saves,
        order.id,
        InvalidTransition,
        r"splitting all of fulfillment order id-1-fo1 would leave it empty",
        lambda: harness.flow.split_fulfillment_order(
            order.id, fo(order, 1), [q("a", 3), q("b", 2)], actor=STAFF
        ),
    )


def test_splitting_more_than_remains_is_refused_and_nothing_is_saved(
    harness: Harness, order: Order, saves: Saves
) -> None:
    assert_refused(
        harness,
        saves,
        order.id,
        OverFulfillment,
        r"3 of line 'b' requested from fulfillment order id-1-fo1, but only 2 remain",
        lambda: harness.flow.split_fulfillment_order(
            order.id, fo(order, 1), [q("b", 3)], actor=STAFF
        ),
    )


def test_splitting_a_fulfillment_order_with_fulfillments_is_refused_and_nothing_is_saved(
    harness: Harness, order: Order, saves: Saves
) -> None:
    harness.flow.fulfill(order.id, fo(order, 1), [q("a", 1)], actor=STAFF)

    assert_refused(
        harness,
        saves,
        order.id,
        InvalidTransition,
        r"it has fulfillments",
        lambda: harness.flow.split_fulfillment_order(
            order.id, fo(order, 1), [q("b", 1)], actor=STAFF
        ),
    )


# -- move ------------------------------------------------------------------------------------


def test_moving_saves_once_and_names_both_locations_on_the_timeline(
    harness: Harness, order: Order, saves: Saves
) -> None:
    after = harness.flow.move_fulfillment_order(order.id, fo(order, 1), PARIS, actor=NOOR)

    assert (saves.count, after.version) == (1, order.version + 1)
    assert harness.flow.get(order.id) is after
    assert after.fulfillment_order(fo(order, 1)).location == PARIS
    assert entries(order, after) == [
        ("Fulfillment order id-1-fo1 moved from Default location to Paris.", NOOR)
    ]
    assert queued_events(harness, order.id)[-1] == "FulfillmentOrderMoved"


def test_moving_some_lines_splits_and_moves_in_one_save(
    harness: Harness, order: Order, saves: Saves
) -> None:
    after = harness.flow.move_fulfillment_order(
        order.id, fo(order, 1), PARIS, [q("a", 1)], actor=NOOR
    )

    assert (saves.count, after.version) == (1, order.version + 1)
    assert lines_of(after) == {fo(order, 1): (q("a", 2), q("b", 2)), fo(order, 2): (q("a", 1),)}
    assert [f.location for f in after.fulfillment_orders] == [
        Location("default", "Default location"),
        PARIS,
    ]
    assert entries(order, after) == [
        ("1 item moved from id-1-fo1 to id-1-fo2.", NOOR),
        ("Fulfillment order id-1-fo2 moved from Default location to Paris.", NOOR),
    ]
    assert queued_events(harness, order.id)[-2:] == [
        "FulfillmentOrderSplit",
        "FulfillmentOrderMoved",
    ]


def test_moving_to_the_same_location_is_refused_and_nothing_is_saved(
    harness: Harness, order: Order, saves: Saves
) -> None:
    assert_refused(
        harness,
        saves,
        order.id,
        InvalidTransition,
        r"fulfillment order id-1-fo1 is already at Default location",
        lambda: harness.flow.move_fulfillment_order(
            order.id, fo(order, 1), Location("default", "Default location"), actor=STAFF
        ),
    )


def test_moving_work_requested_from_a_service_is_refused_and_nothing_is_saved(
    harness: Harness, saves: Saves
) -> None:
    order = harness.flow.place(make_draft(make_line("a", quantity=3), location=WH), actor=STAFF)
    harness.flow.request_fulfillment(order.id, fo(order, 1), actor=STAFF)

    assert_refused(
        harness,
        saves,
        order.id,
        InvalidTransition,
        rf"cannot move fulfillment order {fo(order, 1)}: its request to shipfast is submitted",
        lambda: harness.flow.move_fulfillment_order(
            order.id, fo(order, 1), PARIS, [q("a", 1)], actor=STAFF
        ),
    )


def test_moving_on_an_archived_order_is_refused_and_nothing_is_saved(
    harness: Harness, order: Order, saves: Saves
) -> None:
    harness.flow.archive(order.id, actor=STAFF)

    assert_refused(
        harness,
        saves,
        order.id,
        InvalidTransition,
        r"cannot move while archived",
        lambda: harness.flow.move_fulfillment_order(order.id, fo(order, 1), PARIS, actor=STAFF),
    )


def test_an_app_may_not_move_work_and_nothing_is_saved(
    harness: Harness, order: Order, saves: Saves
) -> None:
    assert_refused(
        harness,
        saves,
        order.id,
        NotPermitted,
        r"may not move_fulfillment_order",
        lambda: harness.flow.move_fulfillment_order(order.id, fo(order, 1), PARIS, actor=SHIPFAST),
    )


def test_moving_on_an_unknown_order_is_refused(harness: Harness, saves: Saves) -> None:
    with pytest.raises(OrderNotFound, match="no order with id 'nope'"):
        harness.flow.move_fulfillment_order("nope", "nope-fo1", PARIS, actor=STAFF)
    assert saves.count == 0


# -- merge -----------------------------------------------------------------------------------


@pytest.fixture
def split(harness: Harness, order: Order) -> Order:
    """``-fo1`` keeps a:3, ``-fo2`` has b:2, both at the default location."""
    return harness.flow.split_fulfillment_order(order.id, fo(order, 1), [q("b", 2)], actor=STAFF)


def test_merging_saves_once_and_explains_the_merge_on_the_timeline(
    harness: Harness, split: Order, saves: Saves
) -> None:
    after = harness.flow.merge_fulfillment_orders(
        split.id, iter([fo(split, 1), fo(split, 2)]), actor=NOOR
    )

    assert (saves.count, after.version) == (1, split.version + 1)
    assert harness.flow.get(split.id) is after
    assert lines_of(after) == {fo(split, 1): (q("a", 3), q("b", 2)), fo(split, 2): ()}
    assert after.fulfillment_order(fo(split, 2)).status == "closed"
    assert entries(split, after) == [("Fulfillment orders id-1-fo2 merged into id-1-fo1.", NOOR)]
    assert queued_events(harness, split.id)[-1] == "FulfillmentOrdersMerged"


def test_a_split_after_a_merge_takes_a_new_id(harness: Harness, split: Order) -> None:
    merged = harness.flow.merge_fulfillment_orders(
        split.id, [fo(split, 1), fo(split, 2)], actor=STAFF
    )

    after = harness.flow.split_fulfillment_order(split.id, fo(split, 1), [q("a", 1)], actor=STAFF)

    assert lines_of(after) == {
        fo(split, 1): (q("a", 2), q("b", 2)),
        fo(split, 2): (),
        fo(split, 3): (q("a", 1),),
    }
    assert after.version == merged.version + 1


def test_an_order_can_be_cancelled_after_its_fulfillment_orders_were_merged(
    harness: Harness, split: Order, saves: Saves
) -> None:
    merged = harness.flow.merge_fulfillment_orders(
        split.id, [fo(split, 1), fo(split, 2)], actor=STAFF
    )

    after = harness.flow.cancel(split.id, CancelReason.CUSTOMER, actor=STAFF)

    assert (saves.count, after.version) == (2, merged.version + 1)
    assert (after.status, after.fulfillment_order(fo(split, 1)).status) == (
        "cancelled",
        "cancelled",
    )


def test_merging_across_locations_is_refused_and_nothing_is_saved(
    harness: Harness, split: Order, saves: Saves
) -> None:
    harness.flow.move_fulfillment_order(split.id, fo(split, 2), PARIS, actor=STAFF)

    assert_refused(
        harness,
        saves,
        split.id,
        InvalidTransition,
        r"cannot merge id-1-fo2 into id-1-fo1: they differ in location",
        lambda: harness.flow.merge_fulfillment_orders(
            split.id, [fo(split, 1), fo(split, 2)], actor=STAFF
        ),
    )


def test_merging_a_fulfillment_order_on_hold_is_refused_and_nothing_is_saved(
    harness: Harness, split: Order, saves: Saves
) -> None:
    harness.flow.hold(split.id, fo(split, 2), HoldReason.INCORRECT_ADDRESS, actor=STAFF)

    assert_refused(
        harness,
        saves,
        split.id,
        InvalidTransition,
        r"cannot merge fulfillment order id-1-fo2: it is on hold",
        lambda: harness.flow.merge_fulfillment_orders(
            split.id, [fo(split, 1), fo(split, 2)], actor=STAFF
        ),
    )


@pytest.mark.parametrize("ids", [["fo1"], ["fo1", "fo1"]], ids=["one", "one twice"])
def test_merging_fewer_than_two_distinct_fulfillment_orders_is_refused_and_nothing_is_saved(
    harness: Harness, split: Order, saves: Saves, ids: list[str]
) -> None:
    assert_refused(
        harness,
        saves,
        split.id,
        InvalidTransition,
        r"merging needs at least two distinct fulfillment orders",
        lambda: harness.flow.merge_fulfillment_orders(
            split.id, [f"{split.id}-{i}" for i in ids], actor=STAFF
        ),
    )


def test_merging_an_unknown_fulfillment_order_is_refused_and_nothing_is_saved(
    harness: Harness, split: Order, saves: Saves
) -> None:
    assert_refused(
        harness,
        saves,
        split.id,
        FulfillmentOrderNotFound,
        r"no fulfillment order 'id-1-fo9'",
        lambda: harness.flow.merge_fulfillment_orders(
            split.id, [fo(split, 1), "id-1-fo9"], actor=STAFF
        ),
    )
