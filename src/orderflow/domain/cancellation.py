"""Cancelling an order: final, with a reason; held funds are voided and money returned."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from orderflow.domain._revise import revised
from orderflow.domain.actor import Actor
from orderflow.domain.events import OrderCancelled
from orderflow.domain.fulfilling import cancel_fulfillment_orders
from orderflow.domain.ledger import open_authorizations, refundable_total, requests_on
from orderflow.domain.limits import NOTE, check_optional
from orderflow.domain.machines import ORDER_TABLE, OrderStatus
from orderflow.domain.order import CancelReason, Change, Order
from orderflow.domain.payments import NewId, request_refund, request_void


def cancel(
    order: Order,
    reason: CancelReason,
    *,
    note: str | None = None,
    refund: bool = True,
    notify_customer: bool = True,
    new_id: NewId,
    now: datetime,
    actor: Actor,
) -> Change:
    """Cancel ``order``: its fulfillment orders are cancelled, every open authorization
    voided and, with ``refund``, what was taken returned. An order with fulfillments not
    cancelled is refused: the goods must come back first.

    The voids and refunds are requests (pending transactions) the service sends through the
    outbox, like any other; an authorization with a capture in flight is left to it, and
    with ``refund`` what that capture takes is refunded once it succeeds. Without ``refund``
    the money stays taken and the balance shows it as a refund due.
    ``notify_customer`` is the cancellation message's toggle; that message tells of the
    refund, so the refund sends none of its own.
    """
    if not isinstance(reason, CancelReason):
        raise TypeError(f"'reason' must be a CancelReason, got {type(reason).__name__}")
    check_optional(NOTE, note, "'note'")
    status = cast(OrderStatus, ORDER_TABLE.step(order.status, "cancel", subject=str(order)))
    work = cancel_fulfillment_orders(order, now=now, actor=actor)
    cancelled = revised(
        work.order, status=status, cancelled_at=now, cancel_reason=reason, refund_on_cancel=refund
    )
    change = Change(
        cancelled,
        (
            OrderCancelled(
                order_id=order.id,
                at=now,
                actor=actor,
                reason=reason.value,
                note=note,
                notify_customer=notify_customer,
            ),
            *work.events,
        ),
    )
    for auth in open_authorizations(cancelled):
        if not requests_on(cancelled, auth):  # a capture in flight settles first
            change = change.then(
                request_void(
                    change.order, authorization_id=auth.id, new_id=new_id, now=now, actor=actor
                )
            )
    return change.then(refund_taken(change.order, new_id=new_id, now=now, actor=actor))


def refund_taken(order: Order, *, new_id: NewId, now: datetime, actor: Actor) -> Change:
    """On an order cancelled with a refund: return what is taken and not yet returned nor
    being returned (also what a capture in flight at the cancellation takes later)."""
    left = refundable_total(order)
    if not order.refund_on_cancel or not left.is_positive():
        return Change(order)
    return request_refund(order, left, new_id=new_id, now=now, actor=actor, notify_customer=False)
