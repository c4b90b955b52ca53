"""urllib handlers whose connections refuse private networks: the webhook adapters' guard.

A connection resolves the receiver's host once, checks every address the answer holds
(:func:`orderflow.notifications.recipients.address_kind`: loopback, private, link-local,
multicast, unspecified, reserved) and connects to a checked address, so a DNS answer that
changes between the check and the connection cannot lead it elsewhere. The HTTP ``Host``
header, TLS's SNI and the certificate check keep the host name.

Through a proxy (urllib reads ``http_proxy``, ``https_proxy`` and ``no_proxy`` from the
environment) the connection goes to the proxy, which the host configured and which is not
checked; the receiver's host is resolved here and every address checked before the request,
but the proxy resolves it again on its own side.
"""

from __future__ import annotations

import functools
import http.client
import ipaddress
import socket
import ssl
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from orderflow.errors import UndeliverableMessage
from orderflow.notifications.recipients import address_kind

Connector = Callable[..., socket.socket]
"""``socket.create_connection``'s signature: ``(address, timeout, source_address)``."""


class Guard:
    """Resolves, checks and connects; ``allow_private`` turns the checks off (a receiver
    on the host's own network), not the single resolution."""

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private

    def addresses(self, host: str, port: int) -> list[tuple[Any, ...]]:
        """``getaddrinfo``'s answer for ``host``, every address checked
        (:class:`UndeliverableMessage` if one is refused)."""
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        for *_, sockaddr in found:
            self.check(host, str(sockaddr[0]))
        return found

    def check(self, host: str, address: str) -> None:
        if self.allow_private:
            return
        kind = address_kind(ipaddress.ip_address(address))
        if kind is not None:
            article = "an" if kind[0] in "aeiou" else "a"
            raise UndeliverableMessage(
                f"webhook host {host} resolves to {address}, {article} {kind} address: "
                "refused (allow_private=True lets a webhook adapter reach the host's own network)"
            )

    def connect(
        self,
        address: tuple[str, int],
        timeout: object = None,
        source_address: tuple[str, int] | None = None,
    ) -> socket.socket:
        """A socket connected to one of ``address``'s checked addresses, tried in order
        (``timeout``: seconds, or http.client's "default" marker, which leaves it unset)."""
        host, port = address
        error: OSError | None = None
        for family, kind, protocol, _, sockaddr in self.addresses(host, port):
            sock = socket.socket(family, kind, protocol)
            try:
                if isinstance(timeout, (int, float)):
                    sock.settimeout(timeout)
                if source_address is not None:
                    sock.bind(source_address)
                sock.connect(sockaddr)
            except OSError as failed:
                sock.close()
                error = failed
                continue
            return sock
        raise error or OSError(f"{host} resolves to no address")

    def connector(self, request: urllib.request.Request) -> Connector:
        """How to connect for ``request``: guarded, or, through a proxy, straight to the
        proxy once the receiver's host is checked."""
        if not (request.has_proxy() or getattr(request, "_tunnel_host", None)):
            return self.connect
        target = urlsplit(request.full_url)
        if target.hostname is not None:
            self.addresses(target.hostname, target.port or _PORTS[target.scheme])
        return socket.create_connection


_PORTS = {"http": 80, "https": 443}


class _Connection(http.client.HTTPConnection):
    def __init__(self, host: str, *, connect: Connector, **options: Any) -> None:
        super().__init__(host, **options)
        self._create_connection = connect


class _TlsConnection(http.client.HTTPSConnection):
    """Connects through ``connect``; :class:`http.client.HTTPSConnection` then wraps the
    socket with SNI and the certificate check on the host name."""

    def __init__(self, host: str, *, connect: Connector, **options: Any) -> None:
        super().__init__(host, **options)
        self._create_connection = connect


class GuardedHttpHandler(urllib.request.HTTPHandler):
    def __init__(self, guard: Guard) -> None:
        super().__init__()
        self.guard = guard

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connection = functools.partial(_Connection, connect=self.guard.connector(req))
        return self.do_open(connection, req)


class GuardedHttpsHandler(urllib.request.HTTPSHandler):
    def __init__(self, guard: Guard) -> None:
        super().__init__()
        self.guard = guard
        self.tls = ssl.create_default_context()

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connection = functools.partial(_TlsConnection, connect=self.guard.connector(req))
        return self.do_open(connection, req, context=self.tls)
