"""The order's timeline: one readable line per event, with when, who and any note."""

from __future__ import annotations

from datetime import datetime
from functools import singledispatch

import attrs

from orderflow.domain._fields import AWARE, OPTIONAL_TEXT, TEXT
from orderflow.domain.actor import Actor
from orderflow.domain.events import (
    AuthorizationExpired,
    NoteUpdated,
    OrderArchived,
    OrderCancelled,
    OrderEvent,
    OrderPlaced,
    OrderUnarchived,
    PaymentAuthorized,
    PaymentCaptured,
    PaymentFailed,
    PaymentRefunded,
    PaymentRequested,
    PaymentVoided,
    TagsUpdated,
)


@attrs.frozen
class TimelineEntry:
    at: datetime = attrs.field(validator=AWARE)
    actor: Actor = attrs.field(validator=attrs.validators.instance_of(Actor))
    kind: str = attrs.field(validator=TEXT)
    """The event's class name, e.g. ``"PaymentCaptured"``."""
    message: str = attrs.field(validator=TEXT)
    note: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)


def entry_for(event: OrderEvent) -> TimelineEntry:
    return TimelineEntry(
        at=event.at,
        actor=event.actor,
        kind=type(event).__name__,
        message=describe(event),
        note=getattr(event, "note", None),
    )


@singledispatch
def describe(event: OrderEvent) -> str:
    """One English sentence for staff; customer messages are templates (notifications)."""
    raise NotImplementedError(f"no timeline description for {type(event).__name__}")


@describe.register
def _(event: OrderPlaced) -> str:
    return f"Order #{event.number} placed for {event.total}."


@describe.register
def _(event: PaymentRequested) -> str:
    return f"{event.kind.value.capitalize()} of {event.amount} requested from the gateway."


@describe.register
def _(event: PaymentAuthorized) -> str:
    return f"Payment of {event.amount} authorized."


@describe.register
def _(event: PaymentCaptured) -> str:
    return f"Payment of {event.amount} captured."


@describe.register
def _(event: PaymentRefunded) -> str:
    return f"Refund of {event.amount} succeeded."


@describe.register
def _(event: PaymentVoided) -> str:
    return f"Authorization of {event.amount} voided."


@describe.register
def _(event: PaymentFailed) -> str:
    return f"{event.kind.value.capitalize()} of {event.amount} failed: {event.error}."


@describe.register
def _(event: AuthorizationExpired) -> str:
    return f"Authorization of {event.amount} expired before capture."


@describe.register
def _(event: OrderCancelled) -> str:
    return f"Order cancelled (reason: {event.reason})."


@describe.register
def _(event: OrderArchived) -> str:
    return "Order archived."


@describe.register
def _(event: OrderUnarchived) -> str:
    return "Order unarchived."


@describe.register
def _(event: NoteUpdated) -> str:
    return "Note updated." if event.note else "Note removed."


@describe.register
def _(event: TagsUpdated) -> str:
    parts = []
    if event.added:
        parts.append("added " + ", ".join(sorted(event.added)))
    if event.removed:
        parts.append("removed " + ", ".join(sorted(event.removed)))
    return "Tags " + "; ".join(parts) + "."
