"""ConsoleNotifier: messages printed instead of sent."""

from __future__ import annotations

import io
from typing import Any

import pytest

from orderflow.adapters.console import ConsoleNotifier
from orderflow.ports import Message


def confirmation(**changes: Any) -> Message:
    fields: dict[str, Any] = {
        "key": "message-ord-1-1-0",
        "order_id": "ord-1",
        "template": "order_confirmation",
        "audience": "customer",
        "channel": "email",
        "to": "ada@example.com",
        "locale": "en",
        "subject": "Order #1001 confirmed",
        "text": "Thank you for your order.\nTotal: 62.00 EUR",
        "html": "<p>Thank you for your order.</p>",
    }
    return Message(**{**fields, **changes})


def test_a_message_is_printed_with_its_channel_recipient_template_key_subject_and_text() -> None:
    stream = io.StringIO()

    ConsoleNotifier(stream).send(confirmation())

    assert stream.getvalue() == (
        "email to ada@example.com · order_confirmation (en) · key message-ord-1-1-0\n"
        "Subject: Order #1001 confirmed\n"
        "Thank you for your order.\n"
        "Total: 62.00 EUR\n"
        "\n"
    )


def test_a_resend_names_the_message_it_repeats_and_french_prints_as_is() -> None:
    stream = io.StringIO()
    resend = confirmation(
        key="message-ord-1-4-0",
        resend_of="message-ord-1-1-0",
        channel="sms",
        to="+33612345678",
        locale="fr",
        subject="Commande #1001 confirmée",
        text="Merci Élise !",
    )

    ConsoleNotifier(stream).send(resend)

    assert stream.getvalue() == (
        "sms to +33612345678 · order_confirmation (fr) · key message-ord-1-4-0"
        " · resend of message-ord-1-1-0\n"
        "Subject: Commande #1001 confirmée\n"
        "Merci Élise !\n"
        "\n"
    )


def test_without_a_stream_messages_go_to_standard_output_as_it_is_when_sending(
    capsys: pytest.CaptureFixture[str],
) -> None:
    ConsoleNotifier().send(confirmation())

    assert capsys.readouterr().out.startswith("email to ada@example.com · order_confirmation")
