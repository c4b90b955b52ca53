"""SmtpNotifier against a real SMTP server (aiosmtpd) listening on localhost."""

from __future__ import annotations

import asyncio
import hashlib
import smtplib
import socket
import ssl
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword

from orderflow.adapters.fakes import FakeClock
from orderflow.adapters.smtp import SmtpNotifier
from orderflow.errors import UndeliverableMessage
from orderflow.ports import Message


class Inbox:
    """An aiosmtpd handler that keeps every email it accepts, or refuses them all, or
    refuses the recipients it is told to."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.refusal: str | None = None
        self.unknown: set[str] = set()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address in self.unknown:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        if self.refusal is not None:
            return self.refusal
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def emails(self) -> list[EmailMessage]:
        parsed = []
        for envelope in self.envelopes:
            assert isinstance(envelope.content, bytes)
            text = envelope.content.replace(b"\r\n", b"\n")  # SMTP's line ends, as Python's
            email = message_from_bytes(text, policy=policy.default)
            assert isinstance(email, EmailMessage)
            parsed.append(email)
        return parsed


class Sessions:
    """The server's open SMTP sessions. aiosmtpd leaves a session open when its client
    hangs up at a certain moment (its own start-up probe does), and stop() abandons it; its
    socket then warns in a later test. So the fixtures close what is left, and wait."""

    def __init__(self) -> None:
        self.open: set[SMTP] = set()
        self.changed = threading.Condition()

    def opened(self, session: SMTP) -> None:
        with self.changed:
            self.open.add(session)

    def closed(self, session: SMTP) -> None:
        with self.changed:
            self.open.discard(session)
            self.changed.notify_all()

    def close_all(self) -> None:
        """Close every session left open; run in the server's loop."""
        with self.changed:
            for session in self.open:
                if session.transport is not None:
                    session.transport.close()

    def wait_until_all_closed(self) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: not self.open, timeout=10), "a session hangs"


class CountedSMTP(SMTP):
    def __init__(self, sessions: Sessions, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sessions = sessions

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.sessions.opened(self)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        super().connection_lost(error)
        self.sessions.closed(self)


class AnyPortController(Controller):
    """A Controller on port 0 (the system picks a free port, read back once bound) that
    keeps track of its sessions."""

    def __init__(self, handler: Any, **options: Any) -> None:
        super().__init__(handler, **options)
        self.sessions = Sessions()

    def factory(self) -> SMTP:
        return CountedSMTP(self.sessions, self.handler, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]  # aiosmtpd is untyped here


def start(inbox: Inbox, **options: Any) -> Iterator[AnyPortController]:
    controller = AnyPortController(inbox, hostname="127.0.0.1", port=0, **options)
    controller.start()
    try:
        yield controller
    finally:
        controller.loop.call_soon_threadsafe(controller.sessions.close_all)
        controller.sessions.wait_until_all_closed()
        controller.stop()


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def server(inbox: Inbox) -> Iterator[AnyPortController]:
    yield from start(inbox)


def notifier(port: int, **options: Any) -> SmtpNotifier:
    return SmtpNotifier(
        "127.0.0.1",
        port,
        sender="Boutique Ada <shop@example.com>",
        domain="orders.example.com",
        timeout=5.0,
        clock=FakeClock(),
        **options,
    )


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
        "text": "Thank you for your order.\nTotal: 62.00 EUR\n",
    }
    return Message(**{**fields, **changes})


def test_an_email_carries_the_message_key_as_its_message_id(
    server: AnyPortController, inbox: Inbox
) -> None:
    notifier(server.port).send(confirmation())

    [envelope] = inbox.envelopes
    [email] = inbox.emails()
    assert (envelope.mail_from, envelope.rcpt_tos) == ("shop@example.com", ["ada@example.com"])
    assert email["Message-ID"] == "<message-ord-1-1-0@orders.example.com>"
    assert email["X-Orderflow-Key"] == "message-ord-1-1-0"
    assert email["From"] == "Boutique Ada <shop@example.com>"
    assert email["To"] == "ada@example.com"
    assert email["Subject"] == "Order #1001 confirmed"
    assert email["Date"] == "Mon, 05 Jan 2026 09:00:00 +0000"  # the fake clock's time
    assert email["Content-Language"] == "en"
    assert email["Auto-Submitted"] == "auto-generated"
    assert email["X-Orderflow-Resend-Of"] is None
    assert email.get_content_type() == "text/plain"
    assert email.get_content() == "Thank you for your order.\nTotal: 62.00 EUR\n"


def test_an_email_with_html_sends_the_text_and_the_html_as_alternatives(
    server: AnyPortController, inbox: Inbox
) -> None:
    html = "<p>Thank you for your order.</p>\n"

    notifier(server.port).send(confirmation(html=html))

    [email] = inbox.emails()
    plain, rich = email.get_body(("plain",)), email.get_body(("html",))
    assert email.get_content_type() == "multipart/alternative"
    assert email["Content-Language"] == "en"
    assert plain is not None
    assert plain.get_content() == "Thank you for your order.\nTotal: 62.00 EUR\n"
    assert rich is not None
    assert rich.get_content() == html


def test_a_french_email_keeps_its_accents_and_travels_as_seven_bit_text(
    server: AnyPortController, inbox: Inbox
) -> None:
    message = confirmation(
        locale="fr",
        subject="Votre commande #1001 est confirmée",
        text="Merci Élise, à bientôt !\nTotal : 62,00 €\n",
        html="<p>Total : 62,00 €</p>\n",
    )

    notifier(server.port).send(message)

    [envelope] = inbox.envelopes
    [email] = inbox.emails()
    plain, rich = email.get_body(("plain",)), email.get_body(("html",))
    assert isinstance(envelope.content, bytes)
    assert envelope.content.isascii()  # quoted-printable: no 8BITMIME needed on the way
    assert email["Subject"] == "Votre commande #1001 est confirmée"
    assert email["Content-Language"] == "fr"
    assert plain is not None
    assert plain.get_content() == "Merci Élise, à bientôt !\nTotal : 62,00 €\n"
    assert rich is not None
    assert rich.get_content() == "<p>Total : 62,00 €</p>\n"


def test_a_resend_names_the_message_it_repeats(server: AnyPortController, inbox: Inbox) -> None:
    resend = confirmation(key="message-ord-1-4-0", resend_of="message-ord-1-1-0")

    notifier(server.port).send(resend)

    [email] = inbox.emails()
    assert email["Message-ID"] == "<message-ord-1-4-0@orders.example.com>"
    assert email["X-Orderflow-Resend-Of"] == "message-ord-1-1-0"


def test_a_message_delivered_twice_carries_the_same_message_id_both_times(
    server: AnyPortController, inbox: Inbox
) -> None:
    sender = notifier(server.port)

    sender.send(confirmation())
    sender.send(confirmation())  # the outbox's retry after a crash during the first send

    first, second = inbox.emails()
    assert first["Message-ID"] == second["Message-ID"] == "<message-ord-1-1-0@orders.example.com>"
    assert first["X-Orderflow-Key"] == second["X-Orderflow-Key"] == "message-ord-1-1-0"


def test_a_message_for_another_channel_is_refused_naming_its_key_and_channel(
    server: AnyPortController, inbox: Inbox
) -> None:
    sms = confirmation(channel="sms", to="+33612345678")

    with pytest.raises(ValueError, match="message message-ord-1-1-0 is for sms, not email"):
        notifier(server.port).send(sms)
    assert inbox.envelopes == []


@pytest.mark.parametrize("key", ["message 1", "message@1", "message..1", "gid://shop/Order/1"])
def test_a_key_that_cannot_stand_in_a_message_id_is_replaced_there_by_its_sha256(
    server: AnyPortController, inbox: Inbox, key: str
) -> None:
    sender = notifier(server.port)

    sender.send(confirmation(key=key))
    sender.send(confirmation(key=key))

    first, second = inbox.emails()
    digest = hashlib.sha256(key.encode()).hexdigest()
    assert first["Message-ID"] == second["Message-ID"] == f"<{digest}@orders.example.com>"
    assert first["X-Orderflow-Key"] == second["X-Orderflow-Key"] == key


def test_a_line_break_in_a_subject_cannot_smuggle_in_a_header(
    server: AnyPortController, inbox: Inbox
) -> None:
    notifier(server.port).send(confirmation(subject="Order\r\nBcc: eve@example.com"))

    [envelope] = inbox.envelopes
    [email] = inbox.emails()
    assert envelope.rcpt_tos == ["ada@example.com"]
    assert email["Subject"] == "Order Bcc: eve@example.com"
    assert email["Bcc"] is None


HEADER_BREAKERS = [
    "\r\n",
    "\v",
    "\f",
    "\x1c",
    "\x1d",
    "\x1e",
    "\x85",
    "\u2028",
    "\u2029",
    "\x00",
    "\x1b",
    "\x7f",
    "\x9f",
]
"""What ends a line for str.splitlines (so for the email package's headers), and other controls."""


@pytest.mark.parametrize("char", HEADER_BREAKERS)
def test_a_subject_holding_a_control_or_line_separator_composes_as_one_header_line(
    char: str,
) -> None:
    email = notifier(25).compose(confirmation(subject=f"Order{char}#1001{char}confirmed"))

    parsed = message_from_bytes(email.as_bytes(), policy=policy.default)
    assert parsed["Subject"] == "Order #1001 confirmed"


@pytest.mark.parametrize("char", HEADER_BREAKERS)
def test_a_recipient_holding_a_control_or_line_separator_is_refused_as_undeliverable(
    char: str,
) -> None:
    with pytest.raises(
        UndeliverableMessage,
        match="is not exactly one e-mail address: it holds whitespace or a control character",
    ):
        notifier(25).compose(confirmation(to=f"ada{char}@example.com"))


def test_the_key_resend_and_language_headers_hold_no_control_or_line_separator() -> None:
    message = confirmation(key="msg\x85-1", resend_of="msg\u2028-0", locale="fr\v")

    parsed = message_from_bytes(notifier(25).compose(message).as_bytes(), policy=policy.default)

    digest = hashlib.sha256("msg\x85-1".encode()).hexdigest()
    assert parsed["Message-ID"] == f"<{digest}@orders.example.com>"
    assert parsed["X-Orderflow-Key"] == "msg -1"
    assert parsed["X-Orderflow-Resend-Of"] == "msg -0"
    assert parsed["Content-Language"] == "fr"


def test_an_internationalised_address_is_one_address() -> None:
    email = notifier(25).compose(confirmation(to="élise@exemple.fr"))

    assert email["To"] == "élise@exemple.fr"
    assert email.as_bytes().isascii()


def test_a_server_refusing_the_message_raises_so_the_outbox_retries(
    server: AnyPortController, inbox: Inbox
) -> None:
    inbox.refusal = "550 5.7.1 Message rejected"

    with pytest.raises(smtplib.SMTPDataError) as refused:
        notifier(server.port).send(confirmation())
    assert refused.value.smtp_code == 550
    assert inbox.envelopes == []


@pytest.mark.parametrize(
    ("to", "reason"),
    [
        ("ada@example.com, grace@example.com", "it is a list"),
        ("ada@example.com;grace@example.com", "it is a list"),
        ("Ada Lovelace <ada@example.com>", "it holds whitespace or a control character"),
        ("<ada@example.com>", "its local part is not a plain dot-atom"),
        ("ada", "it is not local-part@domain"),
    ],
)
def test_a_message_to_anything_but_exactly_one_address_is_refused_as_undeliverable(
    server: AnyPortController, inbox: Inbox, to: str, reason: str
) -> None:
    with pytest.raises(UndeliverableMessage, match=f"is not exactly one e-mail address: {reason}"):
        notifier(server.port).send(confirmation(to=to))
    assert inbox.envelopes == []


def test_a_refused_recipient_raises_naming_it(server: AnyPortController, inbox: Inbox) -> None:
    inbox.unknown = {"gone@example.com"}

    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        notifier(server.port).send(confirmation(to="gone@example.com"))
    assert refused.value.recipients == {"gone@example.com": (550, b"5.1.1 No such mailbox")}
    assert inbox.envelopes == []


def test_a_closed_port_raises_so_the_outbox_retries() -> None:
    with socket.socket() as bound_but_not_listening:
        bound_but_not_listening.bind(("127.0.0.1", 0))
        port = bound_but_not_listening.getsockname()[1]

        with pytest.raises(ConnectionRefusedError):
            notifier(port).send(confirmation())


def test_the_username_and_password_log_in_before_sending(inbox: Inbox) -> None:
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(
        server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        # handled=False: aiosmtpd answers "535" itself for a refused login.
        return AuthResult(success=data.password == b"s3cret", handled=False)

    # LOGIN excluded so that a refused PLAIN is the only attempt smtplib makes.
    options = {"auth_require_tls": False, "auth_exclude_mechanism": ["LOGIN"]}
    for controller in start(inbox, authenticator=authenticator, **options):
        notifier(controller.port, username="shop", password="s3cret").send(confirmation())
        with pytest.raises(smtplib.SMTPAuthenticationError):
            notifier(controller.port, username="shop", password="wrong").send(confirmation())

    assert logins == [(b"shop", b"s3cret"), (b"shop", b"wrong")]
    assert len(inbox.envelopes) == 1


def test_starttls_refuses_a_server_that_does_not_offer_it(
    server: AnyPortController, inbox: Inbox
) -> None:
    with pytest.raises(smtplib.SMTPNotSupportedError, match="STARTTLS"):
        notifier(server.port, tls="starttls").send(confirmation())
    assert inbox.envelopes == []


def test_ssl_speaks_tls_from_the_first_byte_and_fails_on_a_plain_server(
    server: AnyPortController, inbox: Inbox
) -> None:
    with pytest.raises(ssl.SSLError):
        notifier(server.port, tls="ssl").send(confirmation())
    assert inbox.envelopes == []


def test_a_username_without_a_password_and_an_invalid_domain_are_refused() -> None:
    with pytest.raises(ValueError, match="both username and password"):
        notifier(25, username="shop")
    with pytest.raises(ValueError, match="not a valid dot-atom"):
        SmtpNotifier("127.0.0.1", 25, sender="shop@example.com", domain="orders example.com")


def test_a_misspelt_tls_mode_is_refused_rather_than_sending_in_the_clear() -> None:
    with pytest.raises(ValueError, match="tls must be 'starttls', 'ssl' or None, not 'STARTTLS'"):
        notifier(25, tls="STARTTLS")
