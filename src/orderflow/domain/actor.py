"""Who asked for a change: every command names its actor, and the timeline shows it."""

from __future__ import annotations

import enum

import attrs

from orderflow.domain._fields import instance_of, optional_text, text
from orderflow.domain.limits import ID, NAME


class ActorKind(str, enum.Enum):
    STAFF = "staff"
    SYSTEM = "system"
    CUSTOMER = "customer"
    APP = "app"
    """An integration: payment gateway webhook, fulfillment service, carrier feed."""


@attrs.frozen
class Actor:
    kind: ActorKind = attrs.field(validator=instance_of(ActorKind))
    id: str = attrs.field(validator=text(ID))
    name: str | None = attrs.field(default=None, validator=optional_text(NAME))

    @classmethod
    def staff(cls, id: str, name: str | None = None) -> Actor:
        return cls(ActorKind.STAFF, id, name)

    @classmethod
    def app(cls, id: str, name: str | None = None) -> Actor:
        return cls(ActorKind.APP, id, name)

    @classmethod
    def customer(cls, id: str, name: str | None = None) -> Actor:
        return cls(ActorKind.CUSTOMER, id, name)

    def __str__(self) -> str:
        return f"{self.kind.value} {self.name or self.id}"


SYSTEM = Actor(ActorKind.SYSTEM, "orderflow", "orderflow")
"""The library itself: scheduled work (``run_due``) and job results."""
