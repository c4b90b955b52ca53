"""Messages to people (Notifier) and events to other systems (EventPublisher)."""

from __future__ import annotations

from typing import Literal, Protocol

import attrs

Channel = Literal["email", "sms", "webhook"]
Audience = Literal["customer", "staff", "service"]
"""Who a message is for: the order's customer, the store's staff, a fulfillment service."""


@attrs.frozen(kw_only=True)
class Message:
    """A rendered message, as saved in the outbox with the order that caused it.

    ``key`` is stable across redeliveries: adapters send it as the SMTP Message-ID or an
    HTTP header, so a copy delivered twice after a crash can be recognised. ``to`` is an
    email address, a phone number or a URL, by ``channel``. ``resend_of`` is the key of
    the message this one repeats.
    """

    key: str
    order_id: str
    template: str
    audience: Audience
    channel: Channel
    to: str
    locale: str
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
        """Deliver or raise; a raise makes the outbox retry the same message later, except
        :class:`~orderflow.errors.UndeliverableMessage` (the recipient can never receive it),
        which dead-letters it at once."""
        ...


class EventPublisher(Protocol):
    def publish(self, event: PublishedEvent) -> None:
        """Publish or raise; a raise makes the outbox retry the same event later
        (:class:`~orderflow.errors.UndeliverableMessage` dead-letters it at once)."""
        ...
