"""Messages and events POSTed as signed JSON, with the standard library only.

The body is signed as Shopify signs its webhooks: ``X-Orderflow-Hmac-Sha256`` holds the
base64 HMAC-SHA256 of the exact body bytes under a shared secret; a receiver checks it with
:func:`verify` before parsing the body. ``X-Orderflow-Key`` is the same on every delivery of
a message or event, so a receiver can drop a copy it has already handled.

Both adapters refuse, by default, to reach a loopback, private, link-local, multicast,
unspecified or reserved address: the URL's host literally, and every address its name
resolves to when connecting (see ``_guarded_http``); ``allow_private=True`` lets them reach a
receiver on the host's own network.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.request
from typing import Any

import attrs

from orderflow.adapters._guarded_http import Guard, GuardedHttpHandler, GuardedHttpsHandler
from orderflow.errors import InvalidRecipient, OrderflowError, UndeliverableMessage
from orderflow.notifications.recipients import shown, webhook_problem
from orderflow.ports.messaging import Message, PublishedEvent

SIGNATURE_HEADER = "X-Orderflow-Hmac-Sha256"
KEY_HEADER = "X-Orderflow-Key"
TOPIC_HEADER = "X-Orderflow-Topic"
RESEND_OF_HEADER = "X-Orderflow-Resend-Of"


class WebhookRejected(OrderflowError):
    """The receiver answered with a status other than 2xx (a redirect included); the
    outbox retries the delivery later."""

    def __init__(self, status: int, host: str, key: str) -> None:
        super().__init__(f"webhook at {host} answered HTTP {status} for key {key}")
        self.status, self.host, self.key = status, host, key


def sign(secret: str | bytes, body: bytes) -> str:
    """The base64 HMAC-SHA256 of ``body`` under ``secret``: the signature header's value."""
    digest = hmac.new(_secret_bytes(secret), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify(secret: str | bytes, body: bytes, signature: str | None) -> bool:
    """Whether ``signature`` is :func:`sign`'s for ``body``, compared in constant time.

    Pass the raw body bytes as received, before any JSON parsing; a missing header
    (``None``) does not verify.
    """
    if signature is None:
        return False
    return hmac.compare_digest(sign(secret, body).encode(), signature.encode())


class WebhookNotifier:
    """POSTs each "webhook" message, all its fields as JSON, to its URL (``message.to``).

    Headers: the signature, ``X-Orderflow-Key`` (the message key), ``X-Orderflow-Topic``
    (``message/<template>``), ``Content-Language`` (the locale) and, for a resend,
    ``X-Orderflow-Resend-Of``. Redirects are not followed (a 3xx raises
    :class:`WebhookRejected`, like any answer other than 2xx). A URL that is not http(s),
    holds credentials or points at a private network (unless ``allow_private``) raises
    :class:`~orderflow.errors.UndeliverableMessage`, which the outbox dead-letters at once.
    """

    def __init__(
        self, secret: str | bytes, *, timeout: float = 10.0, allow_private: bool = False
    ) -> None:
        self._secret, self.timeout = _secret_bytes(secret), timeout
        self.allow_private = allow_private
        self._opener = _opener(allow_private)

    def send(self, message: Message) -> None:
        if message.channel != "webhook":
            raise ValueError(f"message {message.key} is for {message.channel}, not webhook")
        if problem := webhook_problem(message.to, allow_private=self.allow_private):
            raise UndeliverableMessage(
                f"webhook URL to {shown('webhook', message.to)} {problem} (message {message.key})"
            )
        headers = {TOPIC_HEADER: f"message/{message.template}", "Content-Language": message.locale}
        if message.resend_of is not None:
            headers[RESEND_OF_HEADER] = message.resend_of
        _post(
            self._opener,
            message.to,
            attrs.asdict(message),
            key=message.key,
            headers=headers,
            secret=self._secret,
            timeout=self.timeout,
        )


class WebhookPublisher:
    """POSTs each event to one URL, for a host's other systems (an ERP, a data warehouse).

    The body is ``{"key", "order_id", "type", "schema_version", "payload"}`` with the
    event's payload as JSON; ``X-Orderflow-Topic`` is ``event/<type>``. Same headers,
    signature and rules as :class:`WebhookNotifier`; a ``url`` it could not reach is refused
    at once (:class:`~orderflow.errors.InvalidRecipient`).
    """

    def __init__(
        self,
        url: str,
        secret: str | bytes,
        *,
        timeout: float = 10.0,
        allow_private: bool = False,
    ) -> None:
        if problem := webhook_problem(url, allow_private=allow_private):
            raise InvalidRecipient(f"webhook URL to {shown('webhook', url)} {problem}")
        self.url, self._secret, self.timeout = url, _secret_bytes(secret), timeout
        self._opener = _opener(allow_private)

    def publish(self, event: PublishedEvent) -> None:
        document = {
            "key": event.key,
            "order_id": event.order_id,
            "type": event.type,
            "schema_version": event.schema_version,
            "payload": json.loads(event.payload),
        }
        _post(
            self._opener,
            self.url,
            document,
            key=event.key,
            headers={TOPIC_HEADER: f"event/{event.type}"},
            secret=self._secret,
            timeout=self.timeout,
        )


def _post(
    opener: urllib.request.OpenerDirector,
    url: str,
    document: dict[str, Any],
    *,
    key: str,
    headers: dict[str, str],
    secret: bytes,
    timeout: float,
) -> None:
    """POST ``document`` as signed UTF-8 JSON; raise unless the answer is 2xx."""
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "orderflow-webhook",
            SIGNATURE_HEADER: sign(secret, body),
            KEY_HEADER: key,
            **headers,
        },
    )
    try:
        with opener.open(request, timeout=timeout):
            pass
    except urllib.error.HTTPError as error:
        error.close()
        raise WebhookRejected(error.code, shown("webhook", url), key) from error


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Refuses every redirect: following one would turn the POST into a GET elsewhere, and
    a receiver that moved should be reconfigured, not guessed."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _opener(allow_private: bool) -> urllib.request.OpenerDirector:
    """urllib's opener without redirects, its connections guarded (proxies from the
    environment as read now)."""
    guard = Guard(allow_private=allow_private)
    return urllib.request.build_opener(
        _NoRedirects, GuardedHttpHandler(guard), GuardedHttpsHandler(guard)
    )


def _secret_bytes(secret: str | bytes) -> bytes:
    if not secret:
        raise ValueError("the webhook secret is empty")
    return secret.encode() if isinstance(secret, str) else secret
