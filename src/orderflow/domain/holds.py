"""Holds: fulfillment waits, with a reason and a note, until each hold is released.

Holding only some lines splits them off into a new fulfillment order (with a new id), so the
rest can go ahead; holds stay with the lines they hold.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from orderflow.domain._revise import revised
from orderflow.domain.actor import Actor
from orderflow.domain.events import FulfillmentHeld, FulfillmentOrderSplit, FulfillmentReleased
from orderflow.domain.fulfillment import FulfillmentOrder, Hold, HoldReason, LineQuantity
from orderflow.domain.fulfillment_status import remaining
from orderflow.domain.order import Change, Order, fresh
from orderflow.domain.payments import NewId
from orderflow.errors import (
    DuplicateHandle,
    HoldNotFound,
    InvalidTransition,
    OverFulfillment,
    UnknownLineItem,
)


def require_workable(order: Order, what: str) -> None:
    """Cancelled orders take no fulfillment work; archived ones not until unarchived."""
    if order.status == "cancelled":
        raise InvalidTransition(f"{order}: cannot {what} while cancelled")
    if order.archive_status == "archived":
        raise InvalidTransition(f"{order}: cannot {what} while archived (unarchive it first)")


def requested(
    order: Order,
    fo: FulfillmentOrder,
    lines: Iterable[LineQuantity] | None,
    rest: tuple[LineQuantity, ...] | None = None,
) -> tuple[LineQuantity, ...]:
    """Chosen quantities checked against what remains of ``fo`` (default: all of it);
    ``rest`` is that remainder when the caller has it already."""
    rest = remaining(order, fo) if rest is None else rest
    left = {line.line_item_id: line.quantity for line in rest}
    if lines is None:
        if not left:
            raise OverFulfillment(
                f"{order}: nothing remains to fulfil of fulfillment order {fo.id}"
            )
        return tuple(LineQuantity(i, q) for i, q in left.items())
    wanted: Counter[str] = Counter()
    for line in lines:
        if not isinstance(line, LineQuantity):
            raise TypeError(f"lines must be LineQuantity items, got {type(line).__name__}")
        if fo.quantity_of(line.line_item_id) == 0:
            raise UnknownLineItem(
                f"{order}: fulfillment order {fo.id} has no line item {line.line_item_id!r}"
            )
        wanted[line.line_item_id] += line.quantity
    for line_id, quantity in wanted.items():
        if quantity > left.get(line_id, 0):
            raise OverFulfillment(
                f"{order}: {quantity} of line {line_id!r} requested from fulfillment order {fo.id}, "
                f"but only {left.get(line_id, 0)} remain (it holds {fo.quantity_of(line_id)} of the line)"
            )
    if not wanted:
        raise OverFulfillment(f"{order}: no quantities requested from fulfillment order {fo.id}")
    return tuple(LineQuantity(i, q) for i, q in wanted.items())


def split(
    order: Order,
    fo: FulfillmentOrder,
    lines: tuple[LineQuantity, ...],
    *,
    now: datetime,
    actor: Actor,
) -> tuple[Change, FulfillmentOrder]:
    """Move ``lines`` (already checked against what remains) into a new fulfillment order.

    When they are everything ``fo`` still holds and nothing of it was fulfilled, ``fo`` is
    returned unsplit; when what ``fo`` keeps is all fulfilled, it closes.
    """
    moved = Counter({line.line_item_id: line.quantity for line in lines})
    kept = []
    for line in fo.lines:
        rest = line.quantity - moved[line.line_item_id]
        if rest > 0:
            kept.append(LineQuantity(line.line_item_id, rest))
    if not kept:
        return Change(order), fo
    # Numbered after the order's others, like placing numbers them; earlier holds stay
    # with the lines they held; a service request stays with the order it was made for.
    new = revised(
        fo, id=f"{order.id}-fo{len(order.fulfillment_orders) + 1}", lines=lines, request=None
    )
    left = revised(fo, lines=tuple(kept))
    order = order.with_new_fulfillment_order(new)
    if left.status == "open" and not remaining(order.with_fulfillment_order(left), left):
        # All it kept is fulfilled: it closes, its holds gone with the lines they held.
        left = revised(left.moved("complete", within=order), holds=())
    order = order.with_fulfillment_order(left)
    event = FulfillmentOrderSplit(
        order_id=order.id,
        at=now,
        actor=actor,
        fulfillment_order_id=fo.id,
        into_id=new.id,
        lines=lines,
    )
    return Change(order, (event,)), new


def hold(
    order: Order,
    fulfillment_order_id: str,
    reason: HoldReason,
    *,
    note: str | None = None,
    handle: str | None = None,
    lines: Iterable[LineQuantity] | None = None,
    notify_staff: bool = False,
    new_id: NewId,
    now: datetime,
    actor: Actor,
) -> Change:
    """Put fulfillment on hold; with ``lines``, only those quantities (split off first);
    ``notify_staff`` alerts the store's staff."""
    if not isinstance(reason, HoldReason):
        raise TypeError(f"'reason' must be a HoldReason, got {type(reason).__name__}")
    require_workable(order, "hold fulfillment")
    fo = order.fulfillment_order(fulfillment_order_id)
    if fo.status not in ("open", "scheduled"):
        raise InvalidTransition(f"{order}: cannot hold fulfillment order {fo.id} while {fo.status}")
    if fo.with_service:
        raise InvalidTransition(
            f"{order}: fulfillment order {fo.id} is with {fo.location.fulfillment_service}: request cancellation first"
        )
    if handle is not None and any(h.handle == handle for h in fo.holds):
        raise DuplicateHandle(
            f"{order}: fulfillment order {fo.id} already has an active hold {handle!r}"
        )
    change, target = Change(order), fo
    if lines is not None:
        change, target = split(order, fo, requested(order, fo, lines), now=now, actor=actor)
    hold_id = fresh(order, new_id(), order.hold_ids(), "hold")
    placed = Hold(id=hold_id, reason=reason, note=note, handle=handle, held_at=now)
    held = revised(target, holds=(*target.holds, placed))
    event = FulfillmentHeld(
        order_id=order.id,
        at=now,
        actor=actor,
        fulfillment_order_id=target.id,
        hold=placed,
        note=note,
        notify_staff=notify_staff,
    )
    return change.then(Change(change.order.with_fulfillment_order(held), (event,)))


def release(
    order: Order,
    fulfillment_order_id: str,
    hold_id: str | None = None,
    *,
    release_all: bool = False,
    now: datetime,
    actor: Actor,
) -> Change:
    """Release one hold by its id (or handle), or every hold when ``release_all`` is asked."""
    fo = order.fulfillment_order(fulfillment_order_id)
    if release_all == (hold_id is not None):
        raise TypeError("release() takes a hold_id, or release_all=True, not both or neither")
    if release_all:
        released = fo.holds
    else:
        released = tuple(h for h in fo.holds if hold_id in (h.id, h.handle))
        if not released:
            active = ", ".join(h.id for h in fo.holds) or "none"
            raise HoldNotFound(
                f"{order}: fulfillment order {fo.id} has no active hold {hold_id!r} (active: {active})"
            )
    if not released:
        return Change(order)
    left = tuple(h for h in fo.holds if h not in released)
    event = FulfillmentReleased(
        order_id=order.id,
        at=now,
        actor=actor,
        fulfillment_order_id=fo.id,
        hold_ids=tuple(h.id for h in released),
    )
    return Change(order.with_fulfillment_order(revised(fo, holds=left)), (event,))
