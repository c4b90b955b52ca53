"""Routing work between fulfillment orders: move to another location, split, merge.

Only work nobody has started may move: not a closed order, not one with fulfillments, not
one with a fulfillment service. Quantities and holds are conserved by every operation
(holds stay with the lines they hold).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from orderflow.domain._revise import revised
from orderflow.domain.actor import Actor
from orderflow.domain.events import FulfillmentOrderMoved, FulfillmentOrdersMerged
from orderflow.domain.fulfillment import FulfillmentOrder, LineQuantity, Location
from orderflow.domain.holds import requested, require_workable, split
from orderflow.domain.order import Change, Order
from orderflow.errors import InvalidTransition


def _movable(order: Order, fo: FulfillmentOrder, what: str) -> None:
    """Refuse to reroute work that has started or left the merchant's hands."""
    require_workable(order, what)
    if fo.status in ("closed", "cancelled"):
        raise InvalidTransition(
            f"{order}: cannot {what} fulfillment order {fo.id} while {fo.status}"
        )
    if fo.ready_for_pickup_at is not None:
        raise InvalidTransition(
            f"{order}: cannot {what} fulfillment order {fo.id}: it is ready for pickup"
        )
    if any(f.fulfillment_order_id == fo.id and f.active for f in order.fulfillments):
        raise InvalidTransition(
            f"{order}: cannot {what} fulfillment order {fo.id}: it has fulfillments"
        )
    if fo.with_service:
        raise InvalidTransition(
            f"{order}: cannot {what} fulfillment order {fo.id}: its request to "
            f"{fo.location.fulfillment_service} is {fo.request_status.replace('_', ' ')}"
        )


def split_off(
    order: Order,
    fulfillment_order_id: str,
    lines: Iterable[LineQuantity],
    *,
    now: datetime,
    actor: Actor,
) -> Change:
    """Move chosen quantities into a new fulfillment order (a new id) at the same place."""
    fo = order.fulfillment_order(fulfillment_order_id)
    _movable(order, fo, "split")
    change, new = split(order, fo, requested(order, fo, lines), now=now, actor=actor)
    if new is fo:
        raise InvalidTransition(
            f"{order}: splitting all of fulfillment order {fo.id} would leave it empty"
        )
    return change


def move(
    order: Order,
    fulfillment_order_id: str,
    location: Location,
    lines: Iterable[LineQuantity] | None = None,
    *,
    now: datetime,
    actor: Actor,
) -> Change:
    """Fulfil from another location; with ``lines``, only those (split off first)."""
    if not isinstance(location, Location):
        raise TypeError(f"'location' must be a Location, got {type(location).__name__}")
    fo = order.fulfillment_order(fulfillment_order_id)
    _movable(order, fo, "move")
    if location == fo.location:
        raise InvalidTransition(f"{order}: fulfillment order {fo.id} is already at {location.name}")
    change, target = Change(order), fo
    if lines is not None:
        change, target = split(order, fo, requested(order, fo, lines), now=now, actor=actor)
    moved = revised(target, location=location, request=None)
    event = FulfillmentOrderMoved(
        order_id=order.id,
        at=now,
        actor=actor,
        fulfillment_order_id=target.id,
        from_location=fo.location,
        to_location=location,
    )
    return change.then(Change(change.order.with_fulfillment_order(moved), (event,)))


def merge(
    order: Order, fulfillment_order_ids: Iterable[str], *, now: datetime, actor: Actor
) -> Change:
    """Join fulfillment orders that go the same way: same location, delivery method and
    destination, open, without holds, fulfillments or a service request. The first keeps
    its id and takes the others' lines; the others close, empty."""
    if isinstance(fulfillment_order_ids, str):
        raise TypeError("merge() takes several fulfillment order ids, not one str")
    fos = [order.fulfillment_order(i) for i in dict.fromkeys(fulfillment_order_ids)]
    if len(fos) < 2:
        raise InvalidTransition(f"{order}: merging needs at least two distinct fulfillment orders")
    into, *others = fos
    for fo in fos:
        _movable(order, fo, "merge")
        if fo.holds:
            raise InvalidTransition(
                f"{order}: cannot merge fulfillment order {fo.id}: it is on hold"
            )
        if fo.status != "open":
            raise InvalidTransition(
                f"{order}: cannot merge fulfillment order {fo.id} while {fo.status}"
            )
        way, target_way = (
            (fo.location, fo.delivery_method, fo.destination),
            (into.location, into.delivery_method, into.destination),
        )
        if way != target_way:
            raise InvalidTransition(
                f"{order}: cannot merge {fo.id} into {into.id}: they differ in location, delivery method or destination"
            )
    quantities: Counter[str] = Counter()
    for fo in fos:
        for line in fo.lines:
            quantities[line.line_item_id] += line.quantity
    merged = revised(into, lines=tuple(LineQuantity(i, q) for i, q in quantities.items()))
    order = order.with_fulfillment_order(merged)
    for fo in others:  # closed and empty: their ids stay taken, their history readable
        order = order.with_fulfillment_order(revised(fo.moved("complete", within=order), lines=()))
    event = FulfillmentOrdersMerged(
        order_id=order.id,
        at=now,
        actor=actor,
        fulfillment_order_id=into.id,
        merged_ids=tuple(fo.id for fo in others),
    )
    return Change(order, (event,))
