"""Service settings and the default authorizer: objects passed in, never globals."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

import attrs
from attrs import validators as v

from orderflow.domain.actor import Actor, ActorKind
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
    carrier and fulfillment service webhooks, checkout) place orders and report what they
    did; customers place orders.
    Hosts with roles implement :class:`~orderflow.ports.Authorizer`."""

    LIMITED: ClassVar[dict[ActorKind, frozenset[str]]] = {
        ActorKind.APP: frozenset(
            {
                "place",
                "record_payment",
                "settle_payment",
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

    def allows(self, actor: Actor, command: str, order: Order | None) -> bool:
        allowed = self.LIMITED.get(actor.kind)
        return allowed is None or command in allowed
