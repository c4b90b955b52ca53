"""Service settings and the default authorizer: objects passed in, never globals."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import ClassVar

import attrs
from attrs import validators as v

from orderflow.domain.actor import Actor, ActorKind
from orderflow.domain.limits import ID, strings
from orderflow.domain.order import Order


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """Exponential backoff for outbox deliveries, then the dead-letter state."""

    max_attempts: int = attrs.field(default=8, validator=[v.instance_of(int), v.gt(0)])
    first_delay: timedelta = timedelta(seconds=30)
    factor: int = 2
    max_delay: timedelta = timedelta(hours=6)

    def retry_at(self, attempts: int, now: datetime) -> datetime | None:
        """When to try again after ``attempts`` failed attempts; ``None``: dead-letter."""
        if attempts >= self.max_attempts:
            return None
        delay: timedelta = self.first_delay * int(self.factor ** (attempts - 1))
        return now + min(delay, self.max_delay)


@attrs.frozen(kw_only=True)
class Settings:
    idempotency_retention: timedelta = timedelta(days=30)
    """How long a replayed outside request is still recognised."""
    retry: RetryPolicy = RetryPolicy()
    lease: timedelta = timedelta(minutes=5)
    """How long a dispatcher owns a claimed outbox item before another may take it."""
    run_jobs_inline: bool = False
    """Run a command's outside calls (payments) right after its save, before returning."""


class StaffAndSystem:
    """The default authorizer: staff and the system run every command; apps (gateway,
    carrier and fulfillment service webhooks, checkout) place orders, read them and report
    what they did; customers place orders and read their own (``"get"``: an order placed
    again with the same checkout id is returned to them).

    ``payment_apps`` restricts payment reports (``record_payment``, ``settle_payment``,
    ``record_dispute``) to the apps with those ids: ``StaffAndSystem(payment_apps={"stripe"})``. Hosts with roles
    implement :class:`~orderflow.ports.Authorizer`."""

    PAYMENTS: ClassVar[frozenset[str]] = frozenset(
        {"record_payment", "settle_payment", "record_dispute"}
    )
    LIMITED: ClassVar[dict[ActorKind, frozenset[str]]] = {
        ActorKind.APP: frozenset(
            {
                "place",
                "get",
                "record_payment",
                "settle_payment",
                "record_dispute",
                "record_shipment_event",
                "update_tracking",
                "accept_fulfillment_request",
                "reject_fulfillment_request",
                "accept_fulfillment_cancellation",
                "reject_fulfillment_cancellation",
                "close_fulfillment_request",
                "record_service_fulfillment",
            }
        ),
        ActorKind.CUSTOMER: frozenset({"place"}),
    }

    def __init__(self, *, payment_apps: Iterable[str] | None = None) -> None:
        self.payment_apps = (
            None if payment_apps is None else strings(payment_apps, "payment_apps", ID)
        )

    def allows(self, actor: Actor, command: str, order: Order | None) -> bool:
        if actor.kind is ActorKind.CUSTOMER and command == "get":
            return order is not None and order.customer.id == actor.id
        allowed = self.LIMITED.get(actor.kind)
        if allowed is None:
            return True
        if command in self.PAYMENTS and self.payment_apps is not None:
            return actor.id in self.payment_apps
        return command in allowed
