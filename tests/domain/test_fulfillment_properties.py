"""Properties of fulfillment under random work: quantities are conserved and the derived
statuses always agree with their definitions, whatever staff do in whatever order.

Hypothesis builds an order of 1-3 lines (1-4 units each, from one of two locations, some
pre-ordered) and runs up to 15 random steps on it: fulfil some or all, hold a whole
fulfillment order or some of its lines, release a hold, cancel a fulfillment, open a
scheduled fulfillment order, or try to fulfil one unit more than remains (always refused).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orderflow.domain import fulfilling, holds
from orderflow.domain.fulfillment import FulfillmentOrder, HoldReason, LineQuantity, Location
from orderflow.domain.fulfillment_status import (
    display_status,
    fulfilled_quantities,
    fulfillment_status,
    remaining,
)
from orderflow.domain.order import Order
from orderflow.errors import OrderflowError, OverFulfillment
from orderflow.testing import EPOCH, STAFF, SequentialIds, make_draft, make_line, make_order

LOCATIONS = (Location("paris", "Paris"), Location("lyon", "Lyon"))
Draw = Callable[..., Any]
"""``draw`` of a composite strategy or of ``st.data()``."""
STEPS = ("fulfil", "hold", "hold_some", "release", "cancel_fulfillment", "open", "over_fulfil")


@st.composite
def orders(draw: st.DrawFn) -> Order:
    count = draw(st.integers(1, 3))
    lines = [
        make_line(
            f"line-{i}",
            quantity=draw(st.integers(1, 4)),
            location=draw(st.sampled_from(LOCATIONS)),
            pre_order=draw(st.sampled_from([None, None, date(2026, 3, 1)])),
        )
        for i in range(count)
    ]
    return make_order(make_draft(*lines))


def some_of(draw: Draw, left: tuple[LineQuantity, ...]) -> list[LineQuantity]:
    """A non-empty choice of quantities, each at most what is left of its line."""
    chosen = [
        LineQuantity(line.line_item_id, draw(st.integers(1, line.quantity)))
        for line in left
        if draw(st.booleans())
    ]
    return chosen or [LineQuantity(left[0].line_item_id, 1)]


def step(draw: Draw, order: Order, new_id: SequentialIds) -> Order:
    """One random step; a refused step must leave the order as it was."""
    kind = draw(st.sampled_from(STEPS))
    fo = draw(st.sampled_from(order.fulfillment_orders))
    left = remaining(order, fo)
    try:
        if kind == "fulfil" and left:
            chosen = draw(st.none() | st.just(some_of(draw, left)))
            return fulfilling.fulfill(
                order, fo.id, chosen, new_id=new_id.new_id, now=EPOCH, actor=STAFF
            ).order
        if kind == "hold":
            return holds.hold(
                order, fo.id, HoldReason.OTHER, new_id=new_id.new_id, now=EPOCH, actor=STAFF
            ).order
        if kind == "hold_some" and left:
            lines = some_of(draw, left)
            return holds.hold(
                order,
                fo.id,
                HoldReason.OTHER,
                lines=lines,
                new_id=new_id.new_id,
                now=EPOCH,
                actor=STAFF,
            ).order
        if kind == "release" and fo.holds:
            hold_id = draw(st.sampled_from(fo.holds)).id
            return holds.release(order, fo.id, hold_id, now=EPOCH, actor=STAFF).order
        if kind == "cancel_fulfillment":
            active = [f for f in order.fulfillments if f.active]
            if active:
                target = draw(st.sampled_from(active))
                return fulfilling.cancel_fulfillment(order, target.id, now=EPOCH, actor=STAFF).order
        if kind == "open" and fo.status == "scheduled":
            return fulfilling.open_now(order, fo.id, now=EPOCH, actor=STAFF).order
        if kind == "over_fulfil" and left and fo.status == "open" and not fo.holds:
            line = draw(st.sampled_from(left))
            too_many = LineQuantity(line.line_item_id, line.quantity + 1)
            with pytest.raises(OverFulfillment, match=f"only {line.quantity} remain"):
                fulfilling.fulfill(
                    order, fo.id, [too_many], new_id=new_id.new_id, now=EPOCH, actor=STAFF
                )
    except OverFulfillment:
        raise
    except OrderflowError:
        pass  # refused (a hold, a state): the order below is the one from before
    return order


def expected_display(order: Order, fo: FulfillmentOrder) -> str:
    """The display status by its definition: on_hold while held; closed when every unit is
    fulfilled; in_progress when some are; else the machine's own state."""
    assigned = sum(line.quantity for line in fo.lines)
    done = sum(
        line.quantity
        for f in order.fulfillments
        if f.active and f.fulfillment_order_id == fo.id
        for line in f.lines
    )
    if fo.holds:
        return "on_hold"
    if fo.status == "cancelled":
        return "cancelled"
    if done == assigned:
        return "closed"
    if done > 0:
        return "in_progress"
    return fo.status


def expected_order_status(order: Order) -> str:
    """The order's fulfillment status by the brief's precedence, unit by unit."""
    live = [fo for fo in order.fulfillment_orders if fo.status != "cancelled"]
    done_per_line: Counter[str] = Counter()
    for f in order.fulfillments:
        if f.active:
            for line in f.lines:
                done_per_line[line.line_item_id] += line.quantity
    waiting = [fo for fo in live if sum(line.quantity for line in remaining(order, fo))]
    if not live:
        return "not_required"
    if all(done_per_line[item.id] == item.quantity for item in order.line_items):
        return "fulfilled"
    if sum(done_per_line.values()):
        return "partially_fulfilled"
    if all(fo.holds for fo in waiting):
        return "on_hold"
    if all(fo.status == "scheduled" for fo in waiting):
        return "scheduled"
    return "unfulfilled"


def check(order: Order) -> None:
    ids = [fo.id for fo in order.fulfillment_orders]
    assert len(set(ids)) == len(ids), f"fulfillment order ids repeat: {ids}"
    for item in order.line_items:
        assigned = sum(fo.quantity_of(item.id) for fo in order.fulfillment_orders)
        assert assigned == item.quantity, f"{item.id}: {assigned} assigned of {item.quantity}"
    for fo in order.fulfillment_orders:
        done = fulfilled_quantities(order, fo)
        for line_id, quantity in done.items():
            assert quantity <= fo.quantity_of(line_id), f"{fo.id}: {line_id} over-fulfilled"
        if fo.status == "open":
            assert remaining(order, fo), f"{fo.id} is open with nothing left to fulfil"
        assert display_status(order, fo) == expected_display(order, fo), fo.id
    for f in order.fulfillments:
        assert sum(line.quantity for line in f.lines) > 0, f"fulfillment {f.id} is empty"
    assert fulfillment_status(order) == expected_order_status(order)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order=orders(), data=st.data())
def test_random_fulfillment_work_conserves_quantities_and_keeps_statuses_true(
    order: Order, data: st.DataObject
) -> None:
    new_id = SequentialIds("n")
    check(order)
    for _ in range(data.draw(st.integers(1, 15), label="steps")):
        order = step(data.draw, order, new_id)
        check(order)
