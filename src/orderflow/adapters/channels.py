"""One Notifier over several: each message goes to the notifier of its channel."""

from __future__ import annotations

from orderflow.ports.messaging import Channel, Message, Notifier


class ChannelNotifier:
    """Routes each message by ``message.channel``: email, sms or webhook.

    A message for a channel with no notifier raises ``LookupError``, so the outbox retries
    it and, in the end, dead-letters it: it is never dropped silently.
    """

    def __init__(
        self,
        *,
        email: Notifier | None = None,
        sms: Notifier | None = None,
        webhook: Notifier | None = None,
    ) -> None:
        self.notifiers: dict[Channel, Notifier | None] = {
            "email": email,
            "sms": sms,
            "webhook": webhook,
        }

    def send(self, message: Message) -> None:
        notifier = self.notifiers.get(message.channel)
        if notifier is None:
            raise LookupError(
                f"no notifier for channel {message.channel!r} (message {message.key})"
            )
        notifier.send(message)
