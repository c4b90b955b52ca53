"""Messages staff send by hand, resends, and the timeline with each message's delivery."""

from __future__ import annotations

from datetime import datetime

from orderflow.domain import messages
from orderflow.domain.actor import SYSTEM, Actor
from orderflow.domain.order import Change, Order
from orderflow.domain.timeline import TimelineEntry
from orderflow.errors import MessageNotFound, NotificationError, UndeliverableMessage
from orderflow.notifications import Notifications, recipients
from orderflow.ports import OrderRepository, Outbox
from orderflow.ports.messaging import Audience, Channel, Message
from orderflow.ports.outbox import Delivery
from orderflow.service import jobs
from orderflow.service.commands import Commands


class MessageCommands(Commands):
    """The message commands of :class:`~orderflow.service.OrderFlow`."""

    notifications: Notifications | None
    outbox: Outbox
    repository: OrderRepository

    def send_message(
        self,
        order_id: str,
        template: str,
        *,
        actor: Actor,
        audience: Audience = "customer",
        channel: Channel = "email",
        to: str | None = None,
        note: str | None = None,
        fulfillment_id: str | None = None,
    ) -> Order:
        """Send ``template`` now (a shipping confirmation again, an order's status...), to
        ``to`` or to the audience's own address; ``note`` is offered to the template and
        ``fulfillment_id`` names the fulfillment a shipping template speaks of. A ``to`` that
        cannot receive ``channel`` messages raises :class:`~orderflow.errors.InvalidRecipient`
        (see :mod:`orderflow.notifications.recipients`)."""
        notifications = self._notifications()

        def decide(order: Order, now: datetime) -> Change:
            notifications.check_request(
                order,
                template,
                audience=audience,
                channel=channel,
                to=to,
                fulfillment_id=fulfillment_id,
            )
            return messages.request_message(
                order,
                template,
                audience=audience,
                channel=channel,
                to=to,
                note=note,
                fulfillment_id=fulfillment_id,
                now=now,
                actor=actor,
            )

        return self._execute(order_id, actor, "send_message", decide)

    def resend_message(
        self, order_id: str, key: str, *, actor: Actor, to: str | None = None
    ) -> Order:
        """Send an earlier message again, as it was written, to ``to`` (checked like
        :meth:`send_message`'s) or its first recipient; the copy has a key of its own and
        names the original (``resend_of``)."""
        notifications = self._notifications()
        original = self.message(order_id, key)
        if to is not None:
            notifications.check_to(original.channel, to)

        def decide(order: Order, now: datetime) -> Change:
            return messages.request_message(
                order,
                original.template,
                audience=original.audience,
                channel=original.channel,
                to=to,
                resend_of=original.key,
                now=now,
                actor=actor,
            )

        return self._execute(order_id, actor, "resend_message", decide)

    def message(self, order_id: str, key: str) -> Message:
        """A message queued for ``order_id``, by key (:class:`MessageNotFound` otherwise)."""
        for delivery in self.outbox.deliveries(order_id):
            if delivery.item.key == key and delivery.item.topic == jobs.MESSAGE:
                return jobs.message(delivery.item)
        raise MessageNotFound(f"order {order_id} has no message {key!r}")

    def timeline(self, order_id: str) -> tuple[TimelineEntry, ...]:
        """The order's timeline with each message's delivery merged in: queued, sent,
        failed (and retrying) or dead-lettered, as the outbox knows it."""
        order = self.repository.get(order_id)
        sent = [
            _entry(delivery)
            for delivery in self.outbox.deliveries(order_id)
            if delivery.item.topic == jobs.MESSAGE
        ]
        return tuple(sorted((*order.timeline, *sent), key=lambda entry: entry.at))

    def _deliverable(self, message: Message) -> Message:
        """``message`` as its notifier gets it, once its recipient is checked by the rules of
        its channel (:class:`~orderflow.errors.UndeliverableMessage` otherwise): the order's
        own e-mail and phone are taken as given when it is placed, and checked here."""
        notifications = self.notifications
        allow = notifications is not None and notifications.settings.allow_private_webhooks
        return recipients.deliverable(message, allow_private_webhooks=allow)

    def _notifications(self) -> Notifications:
        if self.notifications is None:
            raise NotificationError("no notifications are configured: pass notifications=")
        return self.notifications


def _entry(delivery: Delivery) -> TimelineEntry:
    message = jobs.message(delivery.item)
    what = f"{message.template.replace('_', ' ').capitalize()} {message.channel}"
    # a webhook URL often holds its secret: the timeline names only its host (and port)
    to = f"to {recipients.shown(message.channel, message.to)}"
    undeliverable = (delivery.last_error or "").startswith(f"{UndeliverableMessage.__name__}:")
    if delivery.state == "delivered":
        kind, text = "MessageSent", f"{what} sent {to}"
    elif delivery.state == "dead" and undeliverable:
        kind, text = "MessageDeadLettered", f"{what} {to} not sent: undeliverable"
    elif delivery.state == "dead":
        kind = "MessageDeadLettered"
        text = f"{what} {to} not sent after {delivery.attempts} attempts"
    elif delivery.attempts:
        kind = "MessageFailed"
        text = f"{what} {to} failed {delivery.attempts} times; retrying"
    else:
        kind, text = "MessageQueued", f"{what} queued {to}"
    at = delivery.delivered_at or delivery.item.created_at
    return TimelineEntry(
        at=at, actor=SYSTEM, kind=kind, message=f"{text} ({message.key})", note=delivery.last_error
    )
