"""Routing fulfillment orders: split some quantities off, move to another location, merge.

Only work nobody has started may be rerouted, and every operation conserves the quantities
of each line and the holds on them. The order here has one fulfillment order ``ord-1-fo1``
shipping from the default location with line ``a`` (3 units) and line ``b`` (2 units);
new fulfillment orders are numbered after the others: ``ord-1-fo2``, ``ord-1-fo3``...
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orderflow.domain import fulfilling, holds, routing, service_requests
from orderflow.domain.archive import archive, unarchive
from orderflow.domain.cancellation import cancel
from orderflow.domain.events import (
    FulfillmentHeld,
    FulfillmentOrderMoved,
    FulfillmentOrdersMerged,
    FulfillmentOrderSplit,
    FulfillmentReleased,
)
from orderflow.domain.fulfillment import (
    DeliveryMethod,
    FulfillmentOrder,
    HoldReason,
    LineQuantity,
    Location,
    RejectionReason,
)
from orderflow.domain.order import CancelReason, Change, Order
from orderflow.domain.placement import DEFAULT_LOCATION
from orderflow.errors import (
    FulfillmentOrderNotFound,
    InvalidTransition,
    OrderflowError,
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

FO1, FO2, FO3, FO4 = "ord-1-fo1", "ord-1-fo2", "ord-1-fo3", "ord-1-fo4"
PARIS = Location("paris", "Paris")
WH = Location("wh", "Warehouse", fulfillment_service="shipfast")


def q(line_item_id: str, quantity: int) -> LineQuantity:
    return LineQuantity(line_item_id, quantity)


def an_order(location: Location = DEFAULT_LOCATION) -> Order:
    return make_order(
        make_draft(make_line("a", quantity=3), make_line("b", quantity=2), location=location)
    )


def split_off(order: Order, fo_id: str, *lines: LineQuantity) -> Change:
    return routing.split_off(order, fo_id, lines, now=EPOCH, actor=STAFF)


def move(
    order: Order, fo_id: str, location: Location, lines: list[LineQuantity] | None = None
) -> Change:
    return routing.move(order, fo_id, location, lines, now=EPOCH, actor=STAFF)


def merge(order: Order, *fo_ids: str) -> Change:
    return routing.merge(order, fo_ids, now=EPOCH, actor=STAFF)


def hold(
    order: Order, fo_id: str = FO1, lines: list[LineQuantity] | None = None, hold_id: str = "h-1"
) -> Order:
    return holds.hold(
        order,
        fo_id,
        HoldReason.OTHER,
        lines=lines,
        new_id=lambda: hold_id,
        now=EPOCH,
        actor=STAFF,
    ).order


def fulfil(order: Order, fo_id: str = FO1, lines: list[LineQuantity] | None = None) -> Order:
    return fulfilling.fulfill(
        order, fo_id, lines, new_id=SequentialIds("f").new_id, now=EPOCH, actor=STAFF
    ).order


def lines_of(order: Order) -> dict[str, tuple[LineQuantity, ...]]:
    return {fo.id: fo.lines for fo in order.fulfillment_orders}


def assert_refused(
    order: Order, error: type[Exception], match: str, operation: Callable[[Order], Any]
) -> None:
    """``operation`` raises ``error`` and ``order`` is exactly as it was before."""
    before = copy.deepcopy(order)
    with pytest.raises(error, match=match):
        operation(order)
    assert order == before


# -- states the refusals start from ----------------------------------------------------------


def with_request(status: str) -> Order:
    """At the warehouse, ``ord-1-fo2`` (a:1) split off and unrequested, and the rest of
    ``ord-1-fo1`` requested from ``shipfast`` (request ``r-1``), the request ``status``."""
    order = split_off(an_order(WH), FO1, q("a", 1)).order
    ids = SequentialIds("r")
    order = service_requests.submit(order, FO1, new_id=ids.new_id, now=EPOCH, actor=STAFF).order
    steps: dict[str, list[Callable[[Order], Change]]] = {
        "submitted": [],
        "accepted": [lambda o: service_requests.accept(o, "r-1", now=EPOCH, actor=STAFF)],
        "cancellation_requested": [
            lambda o: service_requests.request_cancellation(o, FO1, now=EPOCH, actor=STAFF)
        ],
        "cancellation_rejected": [
            lambda o: service_requests.request_cancellation(o, FO1, now=EPOCH, actor=STAFF),
            lambda o: service_requests.reject_cancellation(o, "r-1", now=EPOCH, actor=STAFF),
        ],
    }
    for step in steps[status]:
        order = step(order).order
    assert order.fulfillment_order(FO1).request_status == status
    return order


WITH_SERVICE = ["submitted", "accepted", "cancellation_requested", "cancellation_rejected"]


def closed() -> Order:
    order = fulfil(an_order())
    assert order.fulfillment_order(FO1).status == "closed"
    return order


def cancelled_fulfillment_order() -> Order:
    """The order is open but its fulfillment order was cancelled."""
    order = fulfilling.cancel_fulfillment_orders(an_order(), now=EPOCH, actor=STAFF).order
    assert (order.status, order.fulfillment_order(FO1).status) == ("open", "cancelled")
    return order


def archived() -> Order:
    return archive(an_order(), now=EPOCH, actor=STAFF).order


def cancelled() -> Order:
    return cancel(
        an_order(), CancelReason.CUSTOMER, new_id=SequentialIds("c").new_id, now=EPOCH, actor=STAFF
    ).order


# -- split_off -------------------------------------------------------------------------------


def test_splitting_off_some_quantities_moves_them_into_a_new_fulfillment_order() -> None:
    change = split_off(an_order(), FO1, q("a", 1), q("b", 2))

    assert lines_of(change.order) == {FO1: (q("a", 2),), FO2: (q("a", 1), q("b", 2))}
    assert change.events == (
        FulfillmentOrderSplit(
            order_id="ord-1",
            at=EPOCH,
            actor=STAFF,
            fulfillment_order_id=FO1,
            into_id=FO2,
            lines=(q("a", 1), q("b", 2)),
        ),
    )


def test_a_split_off_fulfillment_order_goes_the_same_way_and_keeps_the_holds() -> None:
    order = hold(an_order())

    change = split_off(order, FO1, q("b", 1))

    kept, new = change.order.fulfillment_order(FO1), change.order.fulfillment_order(FO2)
    assert (new.location, new.delivery_method, new.destination, new.status) == (
        kept.location,
        kept.delivery_method,
        kept.destination,
        "open",
    )
    assert new.destination == make_address()
    assert [h.id for h in new.holds] == [h.id for h in kept.holds] == ["h-1"]


def test_quantities_of_one_line_asked_in_parts_are_split_off_together() -> None:
    change = split_off(an_order(), FO1, q("a", 1), q("a", 1))

    assert lines_of(change.order) == {FO1: (q("a", 1), q("b", 2)), FO2: (q("a", 2),)}


def test_new_fulfillment_orders_are_numbered_after_the_existing_ones() -> None:
    two = make_order(make_draft(make_line("a", quantity=3), make_line("p", location=PARIS)))
    assert [fo.id for fo in two.fulfillment_orders] == [FO1, FO2]

    once = split_off(two, FO1, q("a", 1)).order
    twice = split_off(once, FO1, q("a", 1)).order

    assert lines_of(twice) == {
        FO1: (q("a", 1),),
        FO2: (q("p", 1),),
        FO3: (q("a", 1),),
        FO4: (q("a", 1),),
    }


def test_a_split_off_fulfillment_order_can_itself_be_split() -> None:
    order = split_off(an_order(), FO1, q("a", 2), q("b", 2)).order

    change = split_off(order, FO2, q("b", 1))

    assert lines_of(change.order) == {
        FO1: (q("a", 1),),
        FO2: (q("a", 2), q("b", 1)),
        FO3: (q("b", 1),),
    }
    (event,) = change.events
    assert isinstance(event, FulfillmentOrderSplit)
    assert (event.fulfillment_order_id, event.into_id) == (FO2, FO3)


def test_splitting_everything_off_is_refused_as_it_would_leave_an_empty_order() -> None:
    assert_refused(
        an_order(),
        InvalidTransition,
        r"splitting all of fulfillment order ord-1-fo1 would leave it empty",
        lambda o: split_off(o, FO1, q("a", 3), q("b", 2)),
    )


def test_splitting_more_than_remains_is_refused() -> None:
    assert_refused(
        an_order(),
        OverFulfillment,
        r"4 of line 'a' requested from fulfillment order ord-1-fo1, but only 3 remain",
        lambda o: split_off(o, FO1, q("a", 4)),
    )


def test_splitting_more_than_remains_in_parts_is_refused() -> None:
    assert_refused(
        an_order(),
        OverFulfillment,
        r"3 of line 'b' requested .* but only 2 remain",
        lambda o: split_off(o, FO1, q("b", 2), q("b", 1)),
    )


def test_splitting_nothing_or_a_line_it_does_not_hold_is_refused() -> None:
    order = an_order()

    assert_refused(order, OverFulfillment, "no quantities requested", lambda o: split_off(o, FO1))
    assert_refused(
        order, UnknownLineItem, "has no line item 'z'", lambda o: split_off(o, FO1, q("z", 1))
    )
    assert_refused(
        order,
        FulfillmentOrderNotFound,
        "no fulfillment order 'ord-1-fo9'",
        lambda o: split_off(o, "ord-1-fo9", q("a", 1)),
    )


@pytest.mark.parametrize(
    ("state", "match"),
    [
        (closed, r"cannot split fulfillment order ord-1-fo1 while closed"),
        (cancelled_fulfillment_order, r"cannot split fulfillment order ord-1-fo1 while cancelled"),
        (cancelled, r"cannot split while cancelled"),
        (archived, r"cannot split while archived \(unarchive it first\)"),
    ],
    ids=["closed", "cancelled fulfillment order", "cancelled order", "archived order"],
)
def test_splitting_a_finished_fulfillment_order_or_a_stopped_order_is_refused(
    state: Callable[[], Order], match: str
) -> None:
    assert_refused(state(), InvalidTransition, match, lambda o: split_off(o, FO1, q("a", 1)))


def test_splitting_a_fulfillment_order_with_fulfillments_is_refused() -> None:
    assert_refused(
        fulfil(an_order(), FO1, [q("a", 1)]),
        InvalidTransition,
        r"cannot split fulfillment order ord-1-fo1: it has fulfillments",
        lambda o: split_off(o, FO1, q("b", 1)),
    )


def test_a_fulfillment_order_whose_fulfillments_were_all_cancelled_can_be_split() -> None:
    order = fulfil(an_order(), FO1, [q("a", 1)])
    order = fulfilling.cancel_fulfillment(order, "f-1", now=EPOCH, actor=STAFF).order

    change = split_off(order, FO1, q("a", 1))

    assert lines_of(change.order) == {FO1: (q("a", 2), q("b", 2)), FO2: (q("a", 1),)}


@pytest.mark.parametrize("status", WITH_SERVICE)
def test_splitting_a_fulfillment_order_the_service_has_is_refused(status: str) -> None:
    assert_refused(
        with_request(status),
        InvalidTransition,
        rf"cannot split fulfillment order ord-1-fo1: its request to shipfast is {status.replace('_', ' ')}",
        lambda o: split_off(o, FO1, q("a", 1)),
    )


def test_after_unarchiving_a_fulfillment_order_can_be_split_again() -> None:
    order = unarchive(archived(), now=EPOCH, actor=STAFF).order

    assert lines_of(split_off(order, FO1, q("b", 2)).order) == {
        FO1: (q("a", 3),),
        FO2: (q("b", 2),),
    }


# -- move ------------------------------------------------------------------------------------


def test_moving_a_whole_fulfillment_order_changes_its_location_and_names_both() -> None:
    order = an_order()

    change = move(order, FO1, PARIS)

    moved = change.order.fulfillment_order(FO1)
    assert moved == attrs.evolve(order.fulfillment_order(FO1), location=PARIS)
    assert [fo.id for fo in change.order.fulfillment_orders] == [FO1]
    assert change.events == (
        FulfillmentOrderMoved(
            order_id="ord-1",
            at=EPOCH,
            actor=STAFF,
            fulfillment_order_id=FO1,
            from_location=DEFAULT_LOCATION,
            to_location=PARIS,
        ),
    )


def test_moving_some_lines_splits_them_off_first_and_moves_only_those() -> None:
    change = move(an_order(), FO1, PARIS, [q("a", 1)])

    after = change.order
    assert lines_of(after) == {FO1: (q("a", 2), q("b", 2)), FO2: (q("a", 1),)}
    assert (after.fulfillment_order(FO1).location, after.fulfillment_order(FO2).location) == (
        DEFAULT_LOCATION,
        PARIS,
    )
    assert [type(e) for e in change.events] == [FulfillmentOrderSplit, FulfillmentOrderMoved]
    moved = change.events[1]
    assert isinstance(moved, FulfillmentOrderMoved)
    assert (moved.fulfillment_order_id, moved.from_location, moved.to_location) == (
        FO2,
        DEFAULT_LOCATION,
        PARIS,
    )


def test_moving_every_line_by_name_moves_the_whole_fulfillment_order_without_a_split() -> None:
    change = move(an_order(), FO1, PARIS, [q("a", 3), q("b", 2)])

    assert lines_of(change.order) == {FO1: (q("a", 3), q("b", 2))}
    assert change.order.fulfillment_order(FO1).location == PARIS
    assert [type(e) for e in change.events] == [FulfillmentOrderMoved]


def test_a_moved_fulfillment_order_keeps_its_holds() -> None:
    change = move(hold(an_order()), FO1, PARIS, [q("b", 1)])

    assert [h.id for h in change.order.fulfillment_order(FO2).holds] == ["h-1"]
    assert [h.id for h in change.order.fulfillment_order(FO1).holds] == ["h-1"]


def test_a_fulfillment_order_the_service_declined_can_move_and_leaves_the_request_behind() -> None:
    order = with_request("submitted")
    order = service_requests.reject(
        order, "r-1", RejectionReason.INVENTORY_OUT_OF_STOCK, now=EPOCH, actor=STAFF
    ).order

    moved = move(order, FO1, PARIS).order.fulfillment_order(FO1)

    assert (moved.location, moved.request) == (PARIS, None)


def test_moving_to_a_location_run_by_a_service_leaves_it_unrequested() -> None:
    moved = move(an_order(), FO1, WH).order.fulfillment_order(FO1)

    assert (moved.location, moved.request_status) == (WH, "unsubmitted")


def test_moving_to_the_same_location_is_refused() -> None:
    assert_refused(
        an_order(),
        InvalidTransition,
        r"fulfillment order ord-1-fo1 is already at Default location",
        lambda o: move(o, FO1, Location("default", "Default location")),
    )
    assert_refused(
        an_order(),
        InvalidTransition,
        r"already at Default location",
        lambda o: move(o, FO1, DEFAULT_LOCATION, [q("a", 1)]),
    )


def test_moving_to_something_other_than_a_location_is_a_type_error() -> None:
    assert_refused(
        an_order(),
        TypeError,
        r"'location' must be a Location, got str",
        lambda o: move(o, FO1, "paris"),  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("state", "match"),
    [
        (closed, r"cannot move fulfillment order ord-1-fo1 while closed"),
        (cancelled_fulfillment_order, r"cannot move fulfillment order ord-1-fo1 while cancelled"),
        (cancelled, r"cannot move while cancelled"),
        (archived, r"cannot move while archived"),
    ],
    ids=["closed", "cancelled fulfillment order", "cancelled order", "archived order"],
)
@pytest.mark.parametrize("lines", [None, [q("a", 1)]], ids=["whole", "some lines"])
def test_moving_a_finished_fulfillment_order_or_a_stopped_order_is_refused(
    state: Callable[[], Order], match: str, lines: list[LineQuantity] | None
) -> None:
    assert_refused(state(), InvalidTransition, match, lambda o: move(o, FO1, PARIS, lines))


@pytest.mark.parametrize("lines", [None, [q("b", 1)]], ids=["whole", "some lines"])
def test_moving_a_fulfillment_order_with_fulfillments_is_refused(
    lines: list[LineQuantity] | None,
) -> None:
    assert_refused(
        fulfil(an_order(), FO1, [q("a", 1)]),
        InvalidTransition,
        r"cannot move fulfillment order ord-1-fo1: it has fulfillments",
        lambda o: move(o, FO1, PARIS, lines),
    )


@pytest.mark.parametrize("status", WITH_SERVICE)
@pytest.mark.parametrize("lines", [None, [q("a", 1)]], ids=["whole", "some lines"])
def test_moving_a_fulfillment_order_the_service_has_is_refused(
    status: str, lines: list[LineQuantity] | None
) -> None:
    assert_refused(
        with_request(status),
        InvalidTransition,
        rf"cannot move fulfillment order ord-1-fo1: its request to shipfast is {status.replace('_', ' ')}",
        lambda o: move(o, FO1, PARIS, lines),
    )


# -- merge -----------------------------------------------------------------------------------


def three_ways() -> Order:
    """``ord-1-fo1`` keeps a:1, ``-fo2`` has a:2, ``-fo3`` has b:2, all at the default location."""
    order = split_off(an_order(), FO1, q("a", 2)).order
    order = split_off(order, FO1, q("b", 2)).order
    assert lines_of(order) == {FO1: (q("a", 1),), FO2: (q("a", 2),), FO3: (q("b", 2),)}
    return order


def test_merging_gives_the_first_the_summed_quantities_and_closes_the_others_empty() -> None:
    change = merge(three_ways(), FO2, FO1, FO3)

    assert lines_of(change.order) == {FO1: (), FO2: (q("a", 3), q("b", 2)), FO3: ()}
    assert [fo.status for fo in change.order.fulfillment_orders] == ["closed", "open", "closed"]
    assert change.events == (
        FulfillmentOrdersMerged(
            order_id="ord-1",
            at=EPOCH,
            actor=STAFF,
            fulfillment_order_id=FO2,
            merged_ids=(FO1, FO3),
        ),
    )


def test_merging_two_of_three_leaves_the_third_alone() -> None:
    order = three_ways()

    after = merge(order, FO1, FO2).order

    assert lines_of(after) == {FO1: (q("a", 3),), FO2: (), FO3: (q("b", 2),)}
    assert after.fulfillment_order(FO3) == order.fulfillment_order(FO3)


def test_merging_restores_what_a_split_took_away() -> None:
    order = an_order()
    split = split_off(order, FO1, q("a", 1), q("b", 1)).order

    merged = merge(split, FO1, FO2).order.fulfillment_order(FO1)

    assert merged == order.fulfillment_order(FO1)


def test_a_repeated_id_in_a_merge_counts_once() -> None:
    after = merge(three_ways(), FO1, FO2, FO1).order

    assert lines_of(after)[FO1] == (q("a", 3),)


def test_ids_of_merged_away_fulfillment_orders_are_never_reused() -> None:
    merged = merge(three_ways(), FO1, FO2, FO3).order

    after = split_off(merged, FO1, q("b", 1)).order

    assert lines_of(after) == {FO1: (q("a", 3), q("b", 1)), FO2: (), FO3: (), FO4: (q("b", 1),)}
    assert [fo.status for fo in after.fulfillment_orders] == ["open", "closed", "closed", "open"]


def test_a_merged_away_fulfillment_order_cannot_be_merged_split_or_moved_again() -> None:
    merged = merge(three_ways(), FO1, FO2).order

    assert_refused(
        merged, InvalidTransition, "ord-1-fo2 while closed", lambda o: merge(o, FO1, FO2)
    )
    assert_refused(
        merged, InvalidTransition, "ord-1-fo2 while closed", lambda o: move(o, FO2, PARIS)
    )
    assert_refused(
        merged, InvalidTransition, "ord-1-fo2 while closed", lambda o: split_off(o, FO2, q("a", 1))
    )


@pytest.mark.parametrize("ids", [(), (FO1,), (FO1, FO1)], ids=["none", "one", "one twice"])
def test_merging_fewer_than_two_distinct_fulfillment_orders_is_refused(
    ids: tuple[str, ...],
) -> None:
    assert_refused(
        three_ways(),
        InvalidTransition,
        "merging needs at least two distinct fulfillment orders",
        lambda o: merge(o, *ids),
    )


def test_merging_across_locations_is_refused() -> None:
    order = move(three_ways(), FO2, PARIS).order

    assert_refused(
        order,
        InvalidTransition,
        r"cannot merge ord-1-fo2 into ord-1-fo1: they differ in location",
        lambda o: merge(o, FO1, FO2),
    )


def test_merging_across_delivery_methods_is_refused() -> None:
    order = make_order(
        make_draft(
            make_line("a", quantity=3),
            make_line("b", quantity=2, delivery_method=DeliveryMethod.LOCAL_DELIVERY),
        )
    )
    fo1, fo2 = order.fulfillment_orders
    assert (fo1.location, fo1.destination) == (fo2.location, fo2.destination)

    assert_refused(
        order,
        InvalidTransition,
        r"cannot merge ord-1-fo2 into ord-1-fo1: they differ in .*delivery method",
        lambda o: merge(o, FO1, FO2),
    )


def test_merging_across_destinations_is_refused() -> None:
    order = three_ways()
    elsewhere = make_address(line1="8 place Bellecour", postal_code="69002")
    order = order.with_fulfillment_order(
        attrs.evolve(order.fulfillment_order(FO3), destination=elsewhere)
    )

    assert_refused(
        order,
        InvalidTransition,
        r"cannot merge ord-1-fo3 into ord-1-fo1: they differ in .*destination",
        lambda o: merge(o, FO1, FO2, FO3),
    )


@pytest.mark.parametrize("held", [FO1, FO2])
def test_merging_a_fulfillment_order_on_hold_is_refused(held: str) -> None:
    assert_refused(
        hold(three_ways(), held),
        InvalidTransition,
        rf"cannot merge fulfillment order {held}: it is on hold",
        lambda o: merge(o, FO1, FO2),
    )


def test_merging_a_fulfillment_order_with_fulfillments_is_refused() -> None:
    assert_refused(
        fulfil(three_ways(), FO2, [q("a", 1)]),
        InvalidTransition,
        r"cannot merge fulfillment order ord-1-fo2: it has fulfillments",
        lambda o: merge(o, FO1, FO2),
    )


def test_merging_a_scheduled_fulfillment_order_is_refused() -> None:
    order = three_ways()
    order = fulfilling.schedule(
        order, FO2, EPOCH.replace(year=EPOCH.year + 1), now=EPOCH, actor=STAFF
    ).order

    assert_refused(
        order,
        InvalidTransition,
        r"cannot merge fulfillment order ord-1-fo2 while scheduled",
        lambda o: merge(o, FO1, FO2),
    )


@pytest.mark.parametrize("status", WITH_SERVICE)
def test_merging_a_fulfillment_order_the_service_has_is_refused(status: str) -> None:
    assert_refused(
        with_request(status),
        InvalidTransition,
        rf"cannot merge fulfillment order ord-1-fo1: its request to shipfast is {status.replace('_', ' ')}",
        lambda o: merge(o, FO2, FO1),
    )


def test_merging_on_an_archived_or_cancelled_order_is_refused() -> None:
    order = three_ways()
    for stopped, match in [
        (archive(order, now=EPOCH, actor=STAFF).order, "cannot merge while archived"),
        (
            cancel(
                order,
                CancelReason.CUSTOMER,
                new_id=SequentialIds("c").new_id,
                now=EPOCH,
                actor=STAFF,
            ).order,
            "cannot merge while cancelled",
        ),
    ]:
        assert_refused(stopped, InvalidTransition, match, lambda o: merge(o, FO1, FO2))


def test_merging_an_unknown_fulfillment_order_is_refused() -> None:
    assert_refused(
        three_ways(),
        FulfillmentOrderNotFound,
        "no fulfillment order 'ord-1-fo9'",
        lambda o: merge(o, FO1, "ord-1-fo9"),
    )


# -- what comes after: cancelling, pickups ---------------------------------------------------


def test_an_order_whose_fulfillment_orders_were_merged_can_still_be_cancelled() -> None:
    merged = merge(three_ways(), FO1, FO2, FO3).order

    after = cancel(
        merged, CancelReason.CUSTOMER, new_id=SequentialIds("c").new_id, now=EPOCH, actor=STAFF
    ).order

    assert (after.status, after.fulfillment_order(FO1).status) == ("cancelled", "cancelled")
    assert lines_of(after) == {FO1: (q("a", 3), q("b", 2)), FO2: (), FO3: ()}
    assert {after.fulfillment_order(i).status for i in (FO2, FO3)} <= {"closed", "cancelled"}


def a_pickup() -> Order:
    return make_order(
        make_draft(make_line("a", quantity=3), delivery_method=DeliveryMethod.PICK_UP)
    )


def unless_refused(operation: Callable[[], Change]) -> Order | None:
    """The order after ``operation``, or ``None`` when it is refused (InvalidTransition)."""
    try:
        return operation().order
    except InvalidTransition:
        return None


def test_a_pickup_prepared_at_one_location_is_not_announced_ready_at_another() -> None:
    order = fulfilling.ready_for_pickup(a_pickup(), FO1, now=EPOCH, actor=STAFF).order

    after = unless_refused(lambda: move(order, FO1, PARIS))

    # Refused (started work stays where it is), or moved and to be prepared again there.
    assert after is None or after.fulfillment_order(FO1).ready_for_pickup_at is None


def test_merging_units_not_yet_prepared_into_a_ready_pickup_does_not_announce_them_ready() -> None:
    order = split_off(a_pickup(), FO1, q("a", 1)).order
    order = fulfilling.ready_for_pickup(order, FO2, now=EPOCH, actor=STAFF).order

    after = unless_refused(lambda: merge(order, FO2, FO1))

    # Refused, or the 2 units never prepared make the merged pickup not ready yet.
    assert after is None or after.fulfillment_order(FO2).ready_for_pickup_at is None


# -- properties ------------------------------------------------------------------------------

LOCATIONS = (Location("paris", "Paris"), Location("lyon", "Lyon"))
OPERATIONS = ("split_off", "move", "merge", "hold_some", "release")
EXPECTED_EVENTS = (
    FulfillmentOrderSplit,
    FulfillmentOrderMoved,
    FulfillmentOrdersMerged,
    FulfillmentHeld,
    FulfillmentReleased,
)


@st.composite
def orders(draw: st.DrawFn) -> Order:
    count = draw(st.integers(1, 3))
    lines = [make_line(f"line-{i}", quantity=draw(st.integers(1, 4))) for i in range(count)]
    return make_order(make_draft(*lines, location=LOCATIONS[0]))


def some_of(data: st.DataObject, fo: FulfillmentOrder) -> list[LineQuantity]:
    """Some quantities of ``fo``'s lines, each between 1 and what it holds (possibly all)."""
    chosen = [
        LineQuantity(line.line_item_id, data.draw(st.integers(1, line.quantity)))
        for line in fo.lines
        if data.draw(st.booleans())
    ]
    return chosen or [LineQuantity(fo.lines[0].line_item_id, 1)]


def everything(fo: FulfillmentOrder, lines: list[LineQuantity]) -> bool:
    asked: Counter[str] = Counter()
    for line in lines:
        asked[line.line_item_id] += line.quantity
    return asked == Counter({line.line_item_id: line.quantity for line in fo.lines})


def ids_of(order: Order) -> list[str]:
    return [fo.id for fo in order.fulfillment_orders]


def hold_ids(order: Order) -> set[str]:
    return {h.id for fo in order.fulfillment_orders for h in fo.holds}


def attempt(
    data: st.DataObject, order: Order, ids: SequentialIds
) -> tuple[Change | None, bool, set[str]]:
    """One random operation: its change (``None`` if refused), whether the rules allow it,
    and the hold ids it released."""
    kind = data.draw(st.sampled_from(OPERATIONS), label="operation")
    fo = data.draw(st.sampled_from(order.fulfillment_orders), label="fulfillment order")
    workable = fo.status in ("open", "scheduled") and bool(fo.lines)
    released: set[str] = set()
    call: Callable[[], Change]
    if kind == "split_off" and fo.lines:
        lines = some_of(data, fo)
        allowed = workable and not everything(fo, lines)
        call = lambda: routing.split_off(order, fo.id, lines, now=EPOCH, actor=STAFF)  # noqa: E731
    elif kind == "move":
        to = data.draw(st.sampled_from(LOCATIONS), label="to")
        lines_or_none = data.draw(st.none() | st.just(some_of(data, fo))) if fo.lines else None
        allowed = workable and to != fo.location
        call = lambda: routing.move(order, fo.id, to, lines_or_none, now=EPOCH, actor=STAFF)  # noqa: E731
    elif kind == "merge":
        alike = [  # most often worth merging: those going fo's way, open and not held
            f.id
            for f in order.fulfillment_orders
            if f.status == "open" and not f.holds and f.location == fo.location
        ]
        pool = data.draw(st.sampled_from([alike or ids_of(order), ids_of(order)]))
        chosen = data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4), label="merged")
        fos = [order.fulfillment_order(i) for i in dict.fromkeys(chosen)]
        allowed = (
            len(fos) >= 2
            and all(f.status == "open" and f.lines and not f.holds for f in fos)
            and len({(f.location, f.delivery_method, f.destination) for f in fos}) == 1
        )
        call = lambda: routing.merge(order, chosen, now=EPOCH, actor=STAFF)  # noqa: E731
    elif kind == "hold_some" and fo.lines:
        lines = some_of(data, fo)
        allowed = workable
        call = lambda: holds.hold(  # noqa: E731
            order, fo.id, HoldReason.OTHER, lines=lines, new_id=ids.new_id, now=EPOCH, actor=STAFF
        )
    elif kind == "release" and fo.holds:
        hold_id = data.draw(st.sampled_from(fo.holds)).id
        allowed, released = True, {hold_id}
        call = lambda: holds.release(order, fo.id, hold_id, now=EPOCH, actor=STAFF)  # noqa: E731
    else:
        return Change(order), True, released
    before = copy.deepcopy(order)
    try:
        change = call()
    except OrderflowError:
        assert order == before, f"refused {kind} changed the order"
        return None, allowed, released
    return change, allowed, released


def check(order: Order, before: Order, released: set[str]) -> None:
    ids = [fo.id for fo in order.fulfillment_orders]
    assert ids == [f"ord-1-fo{n}" for n in range(1, len(ids) + 1)], ids
    assert ids[: len(before.fulfillment_orders)] == [fo.id for fo in before.fulfillment_orders]
    for item in order.line_items:
        assigned = sum(fo.quantity_of(item.id) for fo in order.fulfillment_orders)
        assert assigned == item.quantity, f"{item.id}: {assigned} assigned of {item.quantity}"
    for fo in order.fulfillment_orders:
        if not fo.lines:
            assert fo.status == "closed", f"{fo.id} is {fo.status} with no lines"
            assert not fo.holds, f"{fo.id} is closed and empty but holds {fo.holds}"
        else:
            assert fo.status == "open", f"{fo.id} has lines but is {fo.status}"
    missing = hold_ids(before) - released - hold_ids(order)
    assert not missing, f"holds lost: {missing}"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order=orders(), data=st.data())
def test_random_routing_conserves_quantities_and_holds(order: Order, data: st.DataObject) -> None:
    ids = SequentialIds("h")
    for _ in range(data.draw(st.integers(1, 15), label="steps")):
        change, allowed, released = attempt(data, order, ids)
        assert (change is not None) == allowed, "refused when allowed, or allowed when not"
        if change is None:
            continue
        check(change.order, order, released)
        assert all(isinstance(event, EXPECTED_EVENTS) for event in change.events)
        order = change.order
