"""Derived fulfillment figures: pure functions of fulfillment orders and fulfillments.

Never stored as truth. After any split, hold, fulfillment or cancellation, the same
functions recompute everything from the facts.
"""

from __future__ import annotations

from collections import Counter
from typing import Literal

from orderflow.domain.fulfillment import (
    Fulfillment,
    FulfillmentOrder,
    LineQuantity,
    ShipmentStatus,
)
from orderflow.domain.order import Order

DisplayStatus = Literal[
    "open", "scheduled", "on_hold", "in_progress", "incomplete", "closed", "cancelled"
]
FulfillmentStatus = Literal[
    "not_required",
    "fulfilled",
    "partially_fulfilled",
    "request_declined",
    "in_progress",
    "on_hold",
    "scheduled",
    "unfulfilled",
]

S = ShipmentStatus
RANK: dict[ShipmentStatus, int] = {
    S.LABEL_PURCHASED: 1,
    S.LABEL_PRINTED: 2,
    S.CONFIRMED: 3,
    S.CARRIER_PICKED_UP: 4,
    S.IN_TRANSIT: 5,
    S.OUT_FOR_DELIVERY: 6,
    S.ATTEMPTED_DELIVERY: 7,
    S.DELAYED: 7,
    S.READY_FOR_PICKUP: 8,
    S.PICKED_UP: 9,
    S.DELIVERED: 9,
}
"""The fixed progress rank of carrier events; ``FAILURE`` has none."""

SETBACKS = frozenset({S.ATTEMPTED_DELIVERY, S.DELAYED, S.FAILURE})
"""Events that describe the shipment only while nothing has happened since."""


def fulfilled_quantities(order: Order, fo: FulfillmentOrder) -> Counter[str]:
    """Quantity fulfilled per line item of ``fo``, by its fulfillments not cancelled."""
    done: Counter[str] = Counter()
    for fulfillment in order.fulfillments:
        if fulfillment.fulfillment_order_id == fo.id and fulfillment.active:
            for line in fulfillment.lines:
                done[line.line_item_id] += line.quantity
    return done


def remaining(order: Order, fo: FulfillmentOrder) -> tuple[LineQuantity, ...]:
    """What is left to fulfil of ``fo``, line by line (lines fully done are left out)."""
    done = fulfilled_quantities(order, fo)
    left = []
    for line in fo.lines:
        rest = line.quantity - done[line.line_item_id]
        if rest > 0:
            left.append(LineQuantity(line.line_item_id, rest))
    return tuple(left)


def display_status(order: Order, fo: FulfillmentOrder) -> DisplayStatus:
    """Cancelled and closed as they are; else on_hold while it has holds, in_progress when
    partly fulfilled, or its own status."""
    if fo.status in ("cancelled", "closed"):
        return fo.status
    if fo.holds:
        return "on_hold"
    done = sum(fulfilled_quantities(order, fo).values())
    if fo.status == "open" and done > 0:
        return "in_progress"
    return fo.status


def shipment_status(fulfillment: Fulfillment) -> ShipmentStatus | None:
    """Where a shipment is, from its carrier events.

    The most advanced event by rank, except that a setback (attempted delivery, delay,
    failure) shows while it is the latest event; once delivered or picked up, nothing moves
    it back, and a late or duplicate event is recorded without effect.
    """
    if not fulfillment.events:
        return None
    ranked = [e.status for e in fulfillment.events if e.status in RANK and e.status not in SETBACKS]
    best = max(ranked, key=RANK.__getitem__, default=None)
    if best is not None and RANK[best] == RANK[S.DELIVERED]:
        return best
    latest = max(fulfillment.events, key=lambda e: e.at)  # first of equal times wins
    return latest.status if latest.status in SETBACKS else best


def progress(order: Order) -> tuple[int, int]:
    """The quantities the order's fulfillment orders not cancelled hold, and how much of
    them its fulfillments not cancelled fulfil: fulfilled once the second reaches the first."""
    needed = done = 0
    for fo in order.fulfillment_orders:
        if fo.status != "cancelled":
            needed += sum(line.quantity for line in fo.lines)
            done += sum(fulfilled_quantities(order, fo).values())
    return needed, done


def fulfillment_status(order: Order) -> FulfillmentStatus:
    """The order's fulfillment status, by the brief's precedence (first rule that matches).

    Cancelled fulfillment orders need nothing. ``request_declined``: a service rejected a
    request and nothing is fulfilled; ``in_progress``: a service has some of the work.
    """
    needed, done = progress(order)
    if needed == 0:
        return "not_required"
    if done >= needed:
        return "fulfilled"
    if done:
        return "partially_fulfilled"
    live = [fo for fo in order.fulfillment_orders if fo.status != "cancelled"]
    if any(fo.request_status == "rejected" for fo in live):
        return "request_declined"
    waiting = [fo for fo in live if remaining(order, fo)]
    if any(fo.with_service for fo in waiting):
        return "in_progress"
    if all(fo.holds for fo in waiting):
        return "on_hold"
    if all(fo.status == "scheduled" for fo in waiting):
        return "scheduled"
    return "unfulfilled"
