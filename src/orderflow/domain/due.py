"""When an order next needs ``run_due``, and what it does then."""

from __future__ import annotations

from datetime import datetime

from orderflow.domain.actor import Actor
from orderflow.domain.fulfilling import next_opening, open_due
from orderflow.domain.order import Change, Order
from orderflow.domain.payments import expire_authorizations
from orderflow.domain.payments import next_due_at as next_expiry


def next_due_at(order: Order) -> datetime | None:
    """The earliest time :func:`run_due` has work on ``order`` (``None``: nothing planned):
    an authorization lapsing, a scheduled fulfillment opening, a planned archiving."""
    times = [
        t for t in (next_expiry(order), next_opening(order), order.archive_at) if t is not None
    ]
    return min(times, default=None)


def run_due(order: Order, *, now: datetime, actor: Actor) -> Change:
    """Authorizations lapse and scheduled fulfillment orders open; the archive policy,
    applied after every change, archives what it planned to."""
    expired = expire_authorizations(order, now=now, actor=actor)
    return expired.then(open_due(expired.order, now=now, actor=actor))
