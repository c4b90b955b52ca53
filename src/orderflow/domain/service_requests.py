"""Fulfillment services (3PLs): requests to fulfil, their answers, cancellations.

A fulfillment order from a location run by a service is *requested* from it, never marked
fulfilled by orderflow: the service accepts or rejects, may be asked to cancel, ships (its
fulfillments arrive as commands) or gives up (the fulfillment order becomes incomplete and
goes back to the merchant).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from orderflow.domain._revise import revised
from orderflow.domain.actor import Actor
from orderflow.domain.events import (
    CancellationAccepted,
    CancellationRejected,
    CancellationRequested,
    FulfillmentRequestAccepted,
    FulfillmentRequestClosed,
    FulfillmentRequested,
    FulfillmentRequestRejected,
    ServiceRequestEvent,
)
from orderflow.domain.fulfillment import (
    FulfillmentOrder,
    LineQuantity,
    RejectionReason,
    ServiceRequest,
)
from orderflow.domain.fulfillment_status import remaining
from orderflow.domain.holds import requested, require_workable, split
from orderflow.domain.machines import (
    SERVICE_REQUEST_TABLE,
)
from orderflow.domain.order import Change, Order, fresh
from orderflow.domain.payments import NewId
from orderflow.errors import FulfillmentOnHold, InvalidTransition, ServiceRequestNotFound


def _request_ids(order: Order) -> list[str]:
    return [fo.request.id for fo in order.fulfillment_orders if fo.request is not None]


def submit(
    order: Order,
    fulfillment_order_id: str,
    lines: Iterable[LineQuantity] | None = None,
    *,
    message: str | None = None,
    new_id: NewId,
    now: datetime,
    actor: Actor,
) -> Change:
    """Request fulfillment from the location's service; with ``lines``, only those (the
    rest is split off into a new, unsubmitted fulfillment order)."""
    require_workable(order, "request fulfillment")
    fo = order.fulfillment_order(fulfillment_order_id)
    service = fo.location.fulfillment_service
    if service is None:
        raise InvalidTransition(
            f"{order}: fulfillment order {fo.id} ships from {fo.location.name}, which no fulfillment service runs"
        )
    if fo.status != "open":
        raise InvalidTransition(
            f"{order}: cannot request fulfillment of fulfillment order {fo.id} while {fo.status}"
        )
    if fo.holds:
        raise FulfillmentOnHold(
            f"{order}: fulfillment order {fo.id} is on hold: release it before requesting fulfillment"
        )
    SERVICE_REQUEST_TABLE.step(
        fo.request_status, "submit", subject=f"{order} fulfillment order {fo.id} (request)"
    )
    left = remaining(order, fo)
    chosen = requested(order, fo, lines, left)
    wanted = Counter({q.line_item_id: q.quantity for q in chosen})
    rest = tuple(
        LineQuantity(q.line_item_id, q.quantity - wanted[q.line_item_id])
        for q in left
        if q.quantity > wanted[q.line_item_id]
    )
    change = Change(order)
    if rest:
        change, _ = split(order, fo, rest, now=now, actor=actor)

    request_id = fresh(order, new_id(), _request_ids(order), "service request")
    request = ServiceRequest(id=request_id, service=service, submitted_at=now, message=message)
    submitted = revised(change.order.fulfillment_order(fo.id), request=request)
    event = FulfillmentRequested(
        order_id=order.id,
        at=now,
        actor=actor,
        fulfillment_order_id=fo.id,
        request_id=request.id,
        service=service,
        message=message,
        lines=chosen,
    )
    return change.then(Change(change.order.with_fulfillment_order(submitted), (event,)))


def request_cancellation(
    order: Order,
    fulfillment_order_id: str,
    *,
    message: str | None = None,
    now: datetime,
    actor: Actor,
) -> Change:
    """Ask the service to cancel the request (it may refuse: the goods may be packed)."""
    fo = order.fulfillment_order(fulfillment_order_id)
    return _answer(
        order,
        fo,
        "request_cancellation",
        CancellationRequested,
        message=message,
        now=now,
        actor=actor,
    )


def accept(
    order: Order, request_id: str, *, message: str | None = None, now: datetime, actor: Actor
) -> Change:
    return _answer(
        order,
        by_request(order, request_id),
        "accept",
        FulfillmentRequestAccepted,
        message=message,
        now=now,
        actor=actor,
    )


def reject(
    order: Order,
    request_id: str,
    reason: RejectionReason,
    *,
    message: str | None = None,
    now: datetime,
    actor: Actor,
) -> Change:
    """The service declines: the work is the merchant's again."""
    if not isinstance(reason, RejectionReason):
        raise TypeError(f"'reason' must be a RejectionReason, got {type(reason).__name__}")
    return _answer(
        order,
        by_request(order, request_id),
        "reject",
        FulfillmentRequestRejected,
        message=message,
        now=now,
        actor=actor,
        reason=reason,
    )


def accept_cancellation(
    order: Order, request_id: str, *, message: str | None = None, now: datetime, actor: Actor
) -> Change:
    return _answer(
        order,
        by_request(order, request_id),
        "accept_cancellation",
        CancellationAccepted,
        message=message,
        now=now,
        actor=actor,
    )


def reject_cancellation(
    order: Order, request_id: str, *, message: str | None = None, now: datetime, actor: Actor
) -> Change:
    return _answer(
        order,
        by_request(order, request_id),
        "reject_cancellation",
        CancellationRejected,
        message=message,
        now=now,
        actor=actor,
    )


def close(
    order: Order, request_id: str, *, message: str | None = None, now: datetime, actor: Actor
) -> Change:
    """The service gives up: the fulfillment order becomes incomplete, back with the merchant."""
    fo = by_request(order, request_id)
    change = _answer(
        order, fo, "close", FulfillmentRequestClosed, message=message, now=now, actor=actor
    )
    incomplete = change.order.fulfillment_order(fo.id).moved("close", within=order)
    return Change(change.order.with_fulfillment_order(incomplete), change.events)


def by_request(order: Order, request_id: str) -> FulfillmentOrder:
    """The fulfillment order whose current request is ``request_id``."""
    for fo in order.fulfillment_orders:
        if fo.request is not None and fo.request.id == request_id:
            return fo
    raise ServiceRequestNotFound(f"{order} has no current service request {request_id!r}")


def _answer(
    order: Order,
    fo: FulfillmentOrder,
    move: str,
    kind: type[ServiceRequestEvent],
    *,
    message: str | None,
    now: datetime,
    actor: Actor,
    reason: RejectionReason | None = None,
) -> Change:
    request = fo.request
    if request is None:
        raise InvalidTransition(
            f"{order}: fulfillment order {fo.id} was never requested from a service"
        )
    answered = request.moved(
        move,
        within=order,
        message=message,
        reason=reason if reason is not None else request.reason,
        accepted_at=now
        if move in ("accept", "reject_cancellation") and request.accepted_at is None
        else request.accepted_at,
    )
    facts = {"reason": reason} if reason is not None else {}
    event = kind(
        order_id=order.id,
        at=now,
        actor=actor,
        fulfillment_order_id=fo.id,
        request_id=request.id,
        service=request.service,
        message=message,
        **facts,
    )
    return Change(order.with_fulfillment_order(revised(fo, request=answered)), (event,))
