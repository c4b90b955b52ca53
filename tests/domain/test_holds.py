"""Holds: they stack, each released by its id; holding some lines splits them off.

The order here has one fulfillment order ``ord-1-fo1`` with line ``a`` (3 units) and line
``b`` (2 units); new ids come as ``n-1``, ``n-2``... in the order they are asked for.
"""

from __future__ import annotations

from datetime import date

import pytest

from orderflow.domain import fulfilling, holds
from orderflow.domain.archive import archive
from orderflow.domain.cancellation import cancel
from orderflow.domain.events import FulfillmentHeld, FulfillmentOrderSplit, FulfillmentReleased
from orderflow.domain.fulfillment import Hold, HoldReason, LineQuantity
from orderflow.domain.fulfillment_status import display_status, fulfillment_status, remaining
from orderflow.domain.order import CancelReason, Change, Order
from orderflow.errors import (
    DuplicateHandle,
    FulfillmentOrderNotFound,
    HoldNotFound,
    InvalidTransition,
    OrderflowError,
    OverFulfillment,
    UnknownLineItem,
)
from orderflow.testing import EPOCH, STAFF, SequentialIds, make_draft, make_line, make_order

FO = "ord-1-fo1"
R = HoldReason


def an_order() -> Order:
    return make_order(make_draft(make_line("a", quantity=3), make_line("b", quantity=2)))


FULFILLMENT_IDS = SequentialIds("f")


class Ids:
    """Hold and split ids ``n-1``, ``n-2``...; share one instance within a test."""

    def __init__(self) -> None:
        self.new_id = SequentialIds("n").new_id


def hold(
    order: Order,
    reason: HoldReason = R.OTHER,
    ids: Ids | None = None,
    *,
    fo: str = FO,
    note: str | None = None,
    handle: str | None = None,
    lines: list[LineQuantity] | None = None,
) -> Change:
    return holds.hold(
        order,
        fo,
        reason,
        note=note,
        handle=handle,
        lines=lines,
        new_id=(ids or Ids()).new_id,
        now=EPOCH,
        actor=STAFF,
    )


def release(order: Order, hold_id: str | None = None, *, release_all: bool = False) -> Change:
    return holds.release(order, FO, hold_id, release_all=release_all, now=EPOCH, actor=STAFF)


def fulfil(order: Order, fo_id: str = FO, *lines: LineQuantity) -> Order:
    return fulfilling.fulfill(
        order, fo_id, lines or None, new_id=FULFILLMENT_IDS.new_id, now=EPOCH, actor=STAFF
    ).order


# -- holding a whole fulfillment order -------------------------------------------------------


def test_a_hold_records_its_reason_note_handle_and_time_and_shows_on_hold() -> None:
    change = hold(an_order(), R.HIGH_RISK_OF_FRAUD, note="check the card", handle="fraud-app")

    fo = change.order.fulfillment_order(FO)
    assert fo.holds == (
        Hold(
            id="n-1",
            reason=R.HIGH_RISK_OF_FRAUD,
            note="check the card",
            handle="fraud-app",
            held_at=EPOCH,
        ),
    )
    assert display_status(change.order, fo) == "on_hold"
    assert fulfillment_status(change.order) == "on_hold"
    assert change.events == (
        FulfillmentHeld(
            order_id="ord-1",
            at=EPOCH,
            actor=STAFF,
            fulfillment_order_id=FO,
            hold=fo.holds[0],
            note="check the card",
        ),
    )


def test_holds_stack_in_the_order_they_were_placed() -> None:
    ids = Ids()
    order = hold(an_order(), R.AWAITING_PAYMENT, ids).order
    order = hold(order, R.INCORRECT_ADDRESS, ids).order

    fo = order.fulfillment_order(FO)
    assert [(h.id, h.reason) for h in fo.holds] == [
        ("n-1", R.AWAITING_PAYMENT),
        ("n-2", R.INCORRECT_ADDRESS),
    ]


def test_two_stacked_holds_released_one_by_one_stay_on_hold_until_the_last() -> None:
    ids = Ids()
    order = hold(an_order(), R.AWAITING_PAYMENT, ids).order
    order = hold(order, R.INCORRECT_ADDRESS, ids).order

    first = release(order, "n-1")
    fo = first.order.fulfillment_order(FO)
    assert [h.id for h in fo.holds] == ["n-2"]
    assert display_status(first.order, fo) == "on_hold"
    assert first.events == (
        FulfillmentReleased(
            order_id="ord-1", at=EPOCH, actor=STAFF, fulfillment_order_id=FO, hold_ids=("n-1",)
        ),
    )

    second = release(first.order, "n-2")
    fo = second.order.fulfillment_order(FO)
    assert fo.holds == ()
    assert display_status(second.order, fo) == "open"
    assert fulfillment_status(second.order) == "unfulfilled"


def test_release_all_lifts_every_hold_when_asked_explicitly() -> None:
    ids = Ids()
    order = hold(hold(an_order(), R.AWAITING_PAYMENT, ids).order, R.OTHER, ids).order

    change = release(order, release_all=True)

    assert change.order.fulfillment_order(FO).holds == ()
    (event,) = change.events
    assert isinstance(event, FulfillmentReleased)
    assert event.hold_ids == ("n-1", "n-2")


def test_release_all_on_a_fulfillment_order_without_holds_changes_nothing() -> None:
    order = an_order()

    change = release(order, release_all=True)

    assert (change.order, change.events) == (order, ())


def test_release_needs_a_hold_id_or_release_all_but_not_both() -> None:
    order = hold(an_order()).order

    with pytest.raises(TypeError, match="not both or neither"):
        release(order)
    with pytest.raises(TypeError, match="not both or neither"):
        release(order, "n-1", release_all=True)


def test_releasing_an_unknown_hold_is_refused_naming_the_active_ones() -> None:
    order = hold(an_order()).order

    with pytest.raises(HoldNotFound, match=r"no active hold 'n-9' \(active: n-1\)"):
        release(order, "n-9")


def test_releasing_a_hold_twice_is_refused() -> None:
    order = release(hold(an_order()).order, "n-1").order

    with pytest.raises(HoldNotFound, match=r"\(active: none\)"):
        release(order, "n-1")


def test_a_second_active_hold_with_the_same_handle_is_refused() -> None:
    order = hold(an_order(), handle="app-1").order

    with pytest.raises(DuplicateHandle, match=f"{FO} already has an active hold 'app-1'"):
        hold(order, handle="app-1")
    assert order.fulfillment_order(FO).holds[0].handle == "app-1"
    assert len(order.fulfillment_order(FO).holds) == 1


def test_a_handle_can_be_used_again_once_its_hold_is_released() -> None:
    ids = Ids()
    order = release(hold(an_order(), ids=ids, handle="app-1").order, "n-1").order

    again = hold(order, ids=ids, handle="app-1").order

    assert [h.handle for h in again.fulfillment_order(FO).holds] == ["app-1"]


def test_holds_without_a_handle_never_clash() -> None:
    ids = Ids()
    order = hold(hold(an_order(), ids=ids).order, ids=ids).order

    assert len(order.fulfillment_order(FO).holds) == 2


def test_a_scheduled_fulfillment_order_can_be_held() -> None:
    order = make_order(make_draft(make_line("a", pre_order=date(2026, 3, 1))))

    held = hold(order, R.UNKNOWN_DELIVERY_DATE).order

    fo = held.fulfillment_order(FO)
    assert (fo.status, [h.reason for h in fo.holds]) == ("scheduled", [R.UNKNOWN_DELIVERY_DATE])


def test_a_closed_fulfillment_order_cannot_be_held() -> None:
    order = fulfil(an_order())

    with pytest.raises(InvalidTransition, match=f"cannot hold fulfillment order {FO} while closed"):
        hold(order)


def test_the_fulfillment_orders_of_a_cancelled_order_cannot_be_held() -> None:
    order = cancel(
        an_order(), CancelReason.STAFF, new_id=Ids().new_id, now=EPOCH, actor=STAFF
    ).order

    with pytest.raises(InvalidTransition, match="cannot hold fulfillment while cancelled"):
        hold(order)


def test_an_archived_order_refuses_holds_until_unarchived() -> None:
    order = archive(an_order(), now=EPOCH, actor=STAFF).order

    with pytest.raises(InvalidTransition, match=r"while archived \(unarchive it first\)"):
        hold(order)


def test_a_hold_needs_a_hold_reason() -> None:
    with pytest.raises(TypeError, match="must be a HoldReason"):
        hold(an_order(), "fraud")  # type: ignore[arg-type]


def test_holding_an_unknown_fulfillment_order_is_refused() -> None:
    with pytest.raises(FulfillmentOrderNotFound, match="no fulfillment order 'fo-9'"):
        hold(an_order(), fo="fo-9")


# -- holding some lines: a split -------------------------------------------------------------


def test_holding_some_lines_splits_them_into_a_new_fulfillment_order_that_carries_the_hold() -> (
    None
):
    order = an_order()

    change = hold(order, R.INVENTORY_OUT_OF_STOCK, lines=[LineQuantity("a", 1)])

    original, split_off = change.order.fulfillment_orders
    assert original.id == FO
    assert (original.lines, original.holds) == ((LineQuantity("a", 2), LineQuantity("b", 2)), ())
    assert split_off.id == "ord-1-fo2"  # a new id, numbered after the order's one other
    assert split_off.lines == (LineQuantity("a", 1),)
    assert [h.reason for h in split_off.holds] == [R.INVENTORY_OUT_OF_STOCK]
    assert (split_off.location, split_off.delivery_method, split_off.destination) == (
        original.location,
        original.delivery_method,
        original.destination,
    )
    split_event, held_event = change.events
    assert isinstance(split_event, FulfillmentOrderSplit)
    assert isinstance(held_event, FulfillmentHeld)
    assert (split_event.fulfillment_order_id, split_event.into_id, split_event.lines) == (
        FO,
        split_off.id,
        (LineQuantity("a", 1),),
    )
    assert held_event.fulfillment_order_id == split_off.id


def test_the_rest_of_a_split_fulfillment_order_can_be_fulfilled_while_the_split_lines_wait() -> (
    None
):
    order = hold(an_order(), lines=[LineQuantity("b", 2)]).order

    order = fulfil(order)

    original, held = order.fulfillment_orders
    assert (original.status, display_status(order, held)) == ("closed", "on_hold")
    assert fulfillment_status(order) == "partially_fulfilled"


def test_holding_every_line_of_a_fulfillment_order_holds_it_whole_without_a_split() -> None:
    change = hold(an_order(), lines=[LineQuantity("a", 3), LineQuantity("b", 2)])

    (fo,) = change.order.fulfillment_orders
    assert fo.id == FO
    assert len(fo.holds) == 1
    assert [type(e) for e in change.events] == [FulfillmentHeld]


def test_holding_more_than_remains_of_a_line_is_refused() -> None:
    order = fulfil(an_order(), FO, LineQuantity("a", 2))

    with pytest.raises(OverFulfillment, match=r"2 of line 'a' requested .* only 1 remain"):
        hold(order, lines=[LineQuantity("a", 2)])


def test_holding_a_line_the_fulfillment_order_does_not_have_is_refused() -> None:
    with pytest.raises(UnknownLineItem, match=f"fulfillment order {FO} has no line item 'z'"):
        hold(an_order(), lines=[LineQuantity("z", 1)])


def test_a_split_fulfillment_order_can_be_split_again_with_a_fresh_id_each_time() -> None:
    ids = Ids()
    order = hold(an_order(), ids=ids, lines=[LineQuantity("a", 1)]).order
    order = hold(order, ids=ids, lines=[LineQuantity("b", 1)]).order

    assert len({fo.id for fo in order.fulfillment_orders}) == 3
    assert sum(fo.quantity_of("a") for fo in order.fulfillment_orders) == 3
    assert sum(fo.quantity_of("b") for fo in order.fulfillment_orders) == 2


def test_a_split_off_scheduled_fulfillment_order_stays_scheduled_for_the_same_date() -> None:
    order = make_order(make_draft(make_line("a", quantity=2, pre_order=date(2026, 3, 1))))

    original, split_off = hold(order, lines=[LineQuantity("a", 1)]).order.fulfillment_orders

    assert (split_off.status, split_off.fulfill_at) == (original.status, original.fulfill_at)


def test_earlier_holds_stay_on_lines_split_off_by_a_new_hold() -> None:
    """A hold holds every line of its fulfillment order: splitting lines off must not free
    them from it (releasing the new hold alone would let them be fulfilled)."""
    ids = Ids()
    order = hold(an_order(), R.HIGH_RISK_OF_FRAUD, ids).order

    order = hold(order, R.INVENTORY_OUT_OF_STOCK, ids, lines=[LineQuantity("a", 1)]).order

    original, split_off = order.fulfillment_orders
    assert [h.reason for h in original.holds] == [R.HIGH_RISK_OF_FRAUD]
    assert [h.reason for h in split_off.holds] == [R.HIGH_RISK_OF_FRAUD, R.INVENTORY_OUT_OF_STOCK]


def test_holding_what_remains_of_a_partly_fulfilled_fulfillment_order_leaves_nothing_open_and_empty() -> (
    None
):
    """The fulfilled part stays with its fulfillment order, which then has nothing left to
    fulfil: it must not stay open (nor accept an empty fulfillment)."""
    order = fulfil(an_order(), FO, LineQuantity("a", 3))

    order = hold(order, lines=[LineQuantity("b", 2)]).order

    open_but_empty = [
        fo.id for fo in order.fulfillment_orders if fo.status == "open" and not remaining(order, fo)
    ]
    assert open_but_empty == []
    held_b = sum(fo.quantity_of("b") for fo in order.fulfillment_orders if fo.holds)
    assert held_b == 2
    with pytest.raises(OrderflowError):
        fulfil(order)  # today: a fulfillment of 0 items


# -- requested quantities --------------------------------------------------------------------


def test_requested_defaults_to_everything_that_remains() -> None:
    order = fulfil(an_order(), FO, LineQuantity("a", 1))

    assert holds.requested(order, order.fulfillment_order(FO), None) == (
        LineQuantity("a", 2),
        LineQuantity("b", 2),
    )


def test_requested_adds_up_a_line_asked_for_twice() -> None:
    order = an_order()

    chosen = holds.requested(
        order, order.fulfillment_order(FO), [LineQuantity("a", 1), LineQuantity("a", 2)]
    )

    assert chosen == (LineQuantity("a", 3),)


def test_requested_refuses_a_line_asked_for_twice_beyond_what_remains() -> None:
    order = an_order()

    with pytest.raises(OverFulfillment, match="4 of line 'a' requested"):
        holds.requested(
            order, order.fulfillment_order(FO), [LineQuantity("a", 2), LineQuantity("a", 2)]
        )


def test_requested_refuses_an_empty_choice() -> None:
    order = an_order()

    with pytest.raises(OverFulfillment, match="no quantities requested"):
        holds.requested(order, order.fulfillment_order(FO), [])


def test_requested_refuses_anything_but_line_quantities() -> None:
    order = an_order()

    with pytest.raises(TypeError, match="must be LineQuantity items, got tuple"):
        holds.requested(order, order.fulfillment_order(FO), [("a", 1)])  # type: ignore[list-item]


def test_a_hold_can_be_released_by_the_handle_its_caller_gave_it() -> None:
    ids = Ids()
    order = hold(an_order(), R.HIGH_RISK_OF_FRAUD, ids, handle="fraud-app").order
    order = hold(order, R.OTHER, ids, note="wait for the engraver").order

    change = holds.release(order, FO, "fraud-app", now=EPOCH, actor=STAFF)

    assert [h.reason for h in change.order.fulfillment_order(FO).holds] == [R.OTHER]
    (released,) = change.events
    assert isinstance(released, FulfillmentReleased)
    assert released.hold_ids == ("n-1",)


def test_earlier_holds_move_with_the_last_lines_when_what_is_kept_is_all_fulfilled() -> None:
    ids = Ids()
    order = make_order(make_draft(make_line("a", quantity=2)))
    order = fulfilling.fulfill(
        order, FO, [LineQuantity("a", 1)], new_id=ids.new_id, now=EPOCH, actor=STAFF
    ).order
    order = hold(order, R.HIGH_RISK_OF_FRAUD, ids).order

    order = hold(order, R.OTHER, ids, lines=[LineQuantity("a", 1)]).order

    kept, moved = order.fulfillment_orders
    # The first fulfillment order keeps only the fulfilled mug: it closes, holding nothing.
    assert (kept.status, kept.holds, display_status(order, kept)) == ("closed", (), "closed")
    assert [h.reason for h in moved.holds] == [R.HIGH_RISK_OF_FRAUD, R.OTHER]
    assert display_status(order, moved) == "on_hold"
