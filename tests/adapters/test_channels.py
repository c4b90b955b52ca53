"""ChannelNotifier: one Notifier over several, chosen by each message's channel."""

from __future__ import annotations

from typing import Any

import pytest

from orderflow.adapters.channels import ChannelNotifier
from orderflow.adapters.fakes import RecordingNotifier
from orderflow.ports import Message, Notifier


def message(channel: str, **changes: Any) -> Message:
    to = {"email": "ada@example.com", "sms": "+33612345678", "webhook": "https://3pl.example/h"}
    fields: dict[str, Any] = {
        "key": f"message-ord-1-1-{channel}",
        "order_id": "ord-1",
        "template": "shipping_confirmation",
        "audience": "customer",
        "channel": channel,
        "to": to[channel],
        "locale": "en",
        "subject": "Your order #1001 is on its way",
        "text": "Tracking: FAKE0001",
    }
    return Message(**{**fields, **changes})


def test_each_message_goes_to_the_notifier_of_its_channel() -> None:
    email, sms, webhook = RecordingNotifier(), RecordingNotifier(), RecordingNotifier()
    notifier: Notifier = ChannelNotifier(email=email, sms=sms, webhook=webhook)

    for channel in ("email", "sms", "webhook", "email"):
        notifier.send(message(channel))

    assert [m.key for m in email.sent] == ["message-ord-1-1-email", "message-ord-1-1-email"]
    assert [m.key for m in sms.sent] == ["message-ord-1-1-sms"]
    assert [m.key for m in webhook.sent] == ["message-ord-1-1-webhook"]


def test_a_message_for_a_channel_without_a_notifier_raises_naming_its_key() -> None:
    email = RecordingNotifier()
    notifier = ChannelNotifier(email=email)

    with pytest.raises(
        LookupError, match="no notifier for channel 'sms' \\(message message-ord-1-1-sms\\)"
    ):
        notifier.send(message("sms"))
    assert email.sent == []


def test_a_failing_notifier_raises_through_so_the_outbox_retries() -> None:
    sms = RecordingNotifier()
    sms.fail_next()
    notifier = ChannelNotifier(sms=sms)

    with pytest.raises(ConnectionError, match="notifier unavailable \\(message-ord-1-1-sms\\)"):
        notifier.send(message("sms"))
    notifier.send(message("sms"))  # the retry

    assert [m.key for m in sms.sent] == ["message-ord-1-1-sms"]
