"""Email through an SMTP server, with the standard library only."""

from __future__ import annotations

import hashlib
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Literal

from orderflow.adapters.system import SystemClock
from orderflow.errors import UndeliverableMessage
from orderflow.notifications.recipients import email_problem
from orderflow.notifications.templates import one_line
from orderflow.ports.messaging import Message
from orderflow.ports.system import Clock

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")
"""RFC 5322 dot-atom-text: what either side of a Message-ID's ``@`` may hold."""


class SmtpNotifier:
    """Sends "email" messages, one SMTP connection per message.

    The Message-ID is ``<key@domain>``, so a copy redelivered after a crash carries the
    same one (a key that cannot stand in a Message-ID, such as one holding a space or a
    colon, is replaced there by its SHA-256; ``X-Orderflow-Key`` always carries the key
    itself). Text and HTML travel as quoted-printable UTF-8, so accented text needs no
    8-bit transport. smtplib's errors propagate: the outbox retries the message later.

    Every header is one line whatever the message holds: controls and line separators in
    the subject, key or language become spaces. A ``to`` that is not exactly one address
    raises :class:`~orderflow.errors.UndeliverableMessage` (the outbox dead-letters it).
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        sender: str,
        domain: str,
        tls: Literal["starttls", "ssl"] | None = None,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        clock: Clock | None = None,
    ) -> None:
        if not _DOT_ATOM.fullmatch(domain):
            raise ValueError(f"Message-ID domain {domain!r} is not a valid dot-atom")
        if (username is None) != (password is None):
            raise ValueError("give both username and password, or neither")
        if tls not in (None, "starttls", "ssl"):
            raise ValueError(f"tls must be 'starttls', 'ssl' or None, not {tls!r}")
        self.host, self.port, self.sender, self.domain = host, port, sender, domain
        self.tls, self.username, self._password = tls, username, password
        self.timeout = timeout
        self.clock = clock or SystemClock()

    def message_id(self, key: str) -> str:
        """The Message-ID of the message with ``key``: the same for every delivery."""
        local = key if _DOT_ATOM.fullmatch(key) else hashlib.sha256(key.encode()).hexdigest()
        return f"<{local}@{self.domain}>"

    def compose(self, message: Message) -> EmailMessage:
        """The MIME email of ``message``: its text, plus the HTML as an alternative if any."""
        if message.channel != "email":
            raise ValueError(f"message {message.key} is for {message.channel}, not email")
        if (problem := email_problem(message.to)) is not None:
            raise UndeliverableMessage(f"{message.to!r} {problem} (message {message.key})")
        email = EmailMessage()
        email["Message-ID"] = self.message_id(message.key)
        email["Date"] = format_datetime(self.clock.now())
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = one_line(message.subject)
        email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to this
        email["X-Orderflow-Key"] = one_line(message.key)
        if message.resend_of is not None:
            email["X-Orderflow-Resend-Of"] = one_line(message.resend_of)
        email.set_content(message.text, cte="quoted-printable")
        if message.html is not None:
            email.add_alternative(message.html, subtype="html", cte="quoted-printable")
        # after the content, which clears Content-*
        email["Content-Language"] = one_line(message.locale)
        return email

    def send(self, message: Message) -> None:
        email = self.compose(message)
        with self._connect() as smtp:
            if self.tls == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if self.username is not None and self._password is not None:
                smtp.login(self.username, self._password)
            smtp.send_message(email)  # one recipient: refused, it raises

    def _connect(self) -> smtplib.SMTP:
        if self.tls == "ssl":
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)
