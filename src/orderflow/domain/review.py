"""Staff review: when the books and an outside party disagree, a person looks.

Money that moved is always recorded; what does not add up (a refund beyond what was taken,
a report naming an unknown or failed payment, an answer that never came) puts the order on
review: its fulfillment waits behind a hold with reason "other" on every fulfillment order
that can still be held, staff are alerted, and the timeline says what is wrong.
Staff release the holds once they have settled the question with the gateway.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from orderflow.domain._revise import revised
from orderflow.domain.actor import Actor
from orderflow.domain.events import FulfillmentHeld, OrderEvent, PaymentReviewRequested
from orderflow.domain.fulfillment import Hold, HoldReason
from orderflow.domain.limits import MAX_HOLDS
from orderflow.domain.order import Change, Order, fresh

REVIEW_HANDLE = "orderflow-payment-review"
"""The handle of review holds: one per fulfillment order, however many questions."""


def request_review(
    order: Order,
    reason: str,
    *,
    transaction_id: str | None = None,
    new_id: Callable[[], str],
    now: datetime,
    actor: Actor,
) -> Change:
    """Put ``order`` on review for ``reason`` (about transaction ``transaction_id``, which
    keeps the reason in its ``review``)."""
    if transaction_id is not None:
        tx = order.transaction(transaction_id)
        if tx.review is None:
            order = order.with_transaction(revised(tx, review=reason))
    events: list[OrderEvent] = [
        PaymentReviewRequested(
            order_id=order.id, at=now, actor=actor, reason=reason, transaction_id=transaction_id
        )
    ]
    if order.status == "open" and order.archive_status == "active":
        for fo in order.fulfillment_orders:
            if (
                fo.status in ("open", "scheduled")
                and not fo.with_service
                and len(fo.holds) < MAX_HOLDS
                and all(h.handle != REVIEW_HANDLE for h in fo.holds)
            ):
                hold = Hold(
                    id=fresh(order, new_id(), order.hold_ids(), "hold"),
                    reason=HoldReason.OTHER,
                    note=reason,
                    handle=REVIEW_HANDLE,
                    held_at=now,
                )
                order = order.with_fulfillment_order(revised(fo, holds=(*fo.holds, hold)))
                events.append(
                    FulfillmentHeld(
                        order_id=order.id,
                        at=now,
                        actor=actor,
                        fulfillment_order_id=fo.id,
                        hold=hold,
                        note=reason,
                        notify_staff=False,  # staff hear of the review itself, once
                    )
                )
    return Change(order, tuple(events))
