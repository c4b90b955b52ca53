"""Messages to people (Notifier) and events to other systems (EventPublisher)."""

from __future__ import annotations

from typing import Protocol

import attrs


@attrs.frozen(kw_only=True)
class Message:
    """A rendered message; ``key`` is stable across redeliveries (SMTP Message-ID, header)."""

    key: str
    order_id: str
    channel: str
    to: str
    subject: str
    text: str
    html: str | None = None
    resend_of: str | None = None


@attrs.frozen(kw_only=True)
class PublishedEvent:
    """A domain event as published to hosts: its type, schema version and JSON payload."""

    key: str
    order_id: str
    type: str
    schema_version: int
    payload: str


class Notifier(Protocol):
    def send(self, message: Message) -> None:
        """Deliver or raise; a raise makes the outbox retry the same message later."""
        ...


class EventPublisher(Protocol):
    def publish(self, event: PublishedEvent) -> None:
        """Publish or raise; a raise makes the outbox retry the same event later."""
        ...
