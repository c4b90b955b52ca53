"""Messages printed instead of sent: for the demo and for trying templates out."""

from __future__ import annotations

import sys
from typing import TextIO

from orderflow.ports.messaging import Message


class ConsoleNotifier:
    """Prints each message, any channel, to ``stream`` (standard output when ``None``)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, message: Message) -> None:
        header = (
            f"{message.channel} to {message.to} · {message.template} ({message.locale})"
            f" · key {message.key}"
        )
        if message.resend_of is not None:
            header += f" · resend of {message.resend_of}"
        stream = self.stream if self.stream is not None else sys.stdout
        print(header, f"Subject: {message.subject}", message.text, "", sep="\n", file=stream)
