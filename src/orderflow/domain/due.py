"""When an order next needs ``run_due``: the earliest of its scheduled deadlines."""

from __future__ import annotations

from datetime import datetime

from orderflow.domain.actor import Actor
from orderflow.domain.order import Change, Order
from orderflow.domain.payments import expire_authorizations
from orderflow.domain.payments import next_due_at as payments_due_at


def next_due_at(order: Order) -> datetime | None:
    """The earliest time :func:`run_due` has work on ``order`` (``None``: nothing scheduled)."""
    return payments_due_at(order)


def run_due(order: Order, *, now: datetime, actor: Actor) -> Change:
    """Everything whose time has come on ``order``: for now, authorizations lapse."""
    return expire_authorizations(order, now=now, actor=actor)
