"""When an order next needs ``run_due``, and what it does then."""

from __future__ import annotations

from datetime import datetime

from orderflow.domain.actor import Actor
from orderflow.domain.fulfilling import next_opening, open_due
from orderflow.domain.order import Change, Order
from orderflow.domain.payments import NewId, expire_authorizations, review_unanswered
from orderflow.domain.payments import next_due_at as next_payment_work


def next_due_at(order: Order) -> datetime | None:
    """The earliest time :func:`run_due` has work on ``order`` (``None``: nothing planned):
    an authorization lapsing, a request unanswered for too long, a scheduled fulfillment
    opening, a planned archiving."""
    times = [
        t
        for t in (next_payment_work(order), next_opening(order), order.archive_at)
        if t is not None
    ]
    return min(times, default=None)


def run_due(order: Order, *, new_id: NewId, now: datetime, actor: Actor) -> Change:
    """Authorizations lapse, requests unanswered for too long go on staff review, scheduled
    fulfillment orders open; the archive policy, applied after every change, archives what
    it planned to."""
    change = expire_authorizations(order, now=now, actor=actor)
    change = change.then(review_unanswered(change.order, new_id=new_id, now=now, actor=actor))
    return change.then(open_due(change.order, now=now, actor=actor))
