"""WebhookNotifier and WebhookPublisher against a real HTTP server listening on localhost.

The receiver checks every signature with :func:`verify`, as a host's endpoint would, and
answers 401 to a body it cannot verify.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import urllib.error
from collections.abc import Iterator
from email.message import Message as Headers
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import attrs
import pytest

from orderflow.adapters.fakes import FakeClock, FakeGateway, SequentialIds
from orderflow.adapters.memory import InMemoryRepository
from orderflow.adapters.webhook import (
    WebhookNotifier,
    WebhookPublisher,
    WebhookRejected,
    sign,
    verify,
)
from orderflow.errors import OrderflowError
from orderflow.ports import Message, PublishedEvent
from orderflow.service import OrderFlow
from orderflow.testing import STAFF, make_draft

SECRET = "whsec_test"


@attrs.frozen
class Received:
    method: str
    path: str
    headers: Headers
    body: bytes
    verified: bool


class Receiver:
    """What the local server saw, and how it answers: ``status``, with ``location`` for a
    redirect. A body whose signature does not verify is recorded and answered 401."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.status = 200
        self.location: str | None = None
        self.url = ""

    def documents(self) -> list[Any]:
        return [json.loads(r.body) for r in self.requests]


def handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            verified = verify(SECRET, body, self.headers.get("X-Orderflow-Hmac-Sha256"))
            receiver.requests.append(Received("POST", self.path, self.headers, body, verified))
            self.send_response(receiver.status if verified else 401)
            if receiver.location is not None:
                self.send_header("Location", receiver.location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:  # only a followed redirect would GET
            receiver.requests.append(Received("GET", self.path, self.headers, b"", False))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(receiver))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/orderflow"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def request_message(url: str, **changes: Any) -> Message:
    fields: dict[str, Any] = {
        "key": "message-ord-1-2-0",
        "order_id": "ord-1",
        "template": "fulfillment_request",
        "audience": "service",
        "channel": "webhook",
        "to": url,
        "locale": "en",
        "subject": "Fulfillment request for order #1001",
        "text": "Please ship 2 x Product line-1.\n",
    }
    return Message(**{**fields, **changes})


def test_the_signature_is_the_base64_hmac_sha256_of_the_body() -> None:
    # RFC 4231, test case 2.
    expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"

    signature = sign("Jefe", b"what do ya want for nothing?")

    assert base64.b64decode(signature).hex() == expected
    assert sign(b"Jefe", b"what do ya want for nothing?") == signature


def test_verify_accepts_only_the_signature_of_that_body_under_that_secret() -> None:
    body = b'{"key":"message-ord-1-2-0"}'
    signature = sign(SECRET, body)

    assert verify(SECRET, body, signature)
    assert not verify("another secret", body, signature)
    assert not verify(SECRET, body + b" ", signature)
    assert not verify(SECRET, body, signature[:-4])
    assert not verify(SECRET, body, "")
    assert not verify(SECRET, body, None)  # no header at all


def test_a_message_is_posted_as_signed_json_with_all_its_fields(receiver: Receiver) -> None:
    WebhookNotifier(SECRET, timeout=5.0).send(request_message(receiver.url))

    [request] = receiver.requests
    assert (request.method, request.path, request.verified) == ("POST", "/hooks/orderflow", True)
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Orderflow-Key"] == "message-ord-1-2-0"
    assert request.headers["X-Orderflow-Topic"] == "message/fulfillment_request"
    assert request.headers["Content-Language"] == "en"
    assert request.headers["X-Orderflow-Resend-Of"] is None
    assert json.loads(request.body) == {
        "key": "message-ord-1-2-0",
        "order_id": "ord-1",
        "template": "fulfillment_request",
        "audience": "service",
        "channel": "webhook",
        "to": receiver.url,
        "locale": "en",
        "subject": "Fulfillment request for order #1001",
        "text": "Please ship 2 x Product line-1.\n",
        "html": None,
        "resend_of": None,
    }


def test_a_message_delivered_twice_carries_the_same_key_and_signature(
    receiver: Receiver,
) -> None:
    notifier = WebhookNotifier(SECRET)

    notifier.send(request_message(receiver.url))
    notifier.send(request_message(receiver.url))  # the outbox's retry after a crash

    first, second = receiver.requests
    assert first.headers["X-Orderflow-Key"] == second.headers["X-Orderflow-Key"]
    assert first.headers["X-Orderflow-Key"] == "message-ord-1-2-0"
    assert first.body == second.body
    assert first.headers["X-Orderflow-Hmac-Sha256"] == second.headers["X-Orderflow-Hmac-Sha256"]


def test_french_text_travels_as_utf8_and_reads_back_unchanged(receiver: Receiver) -> None:
    message = request_message(
        receiver.url,
        locale="fr",
        subject="Demande d'exécution pour la commande #1001",
        text="Merci d'expédier 62,00 € de produits à Élise.\n",
    )

    WebhookNotifier(SECRET).send(message)

    [request] = receiver.requests
    assert request.verified
    assert request.headers["Content-Language"] == "fr"
    assert "expédier 62,00 € de produits à Élise".encode() in request.body  # UTF-8, not \\u escapes
    [document] = receiver.documents()
    assert document["subject"] == "Demande d'exécution pour la commande #1001"
    assert document["text"] == "Merci d'expédier 62,00 € de produits à Élise.\n"


def test_a_resend_names_the_message_it_repeats(receiver: Receiver) -> None:
    resend = request_message(receiver.url, key="message-ord-1-5-0", resend_of="message-ord-1-2-0")

    WebhookNotifier(SECRET).send(resend)

    [request] = receiver.requests
    assert request.headers["X-Orderflow-Key"] == "message-ord-1-5-0"
    assert request.headers["X-Orderflow-Resend-Of"] == "message-ord-1-2-0"
    assert receiver.documents()[0]["resend_of"] == "message-ord-1-2-0"


@pytest.mark.parametrize("status", [400, 404, 410, 500, 503])
def test_an_answer_other_than_2xx_raises_so_the_outbox_retries(
    receiver: Receiver, status: int
) -> None:
    receiver.status = status

    with pytest.raises(WebhookRejected) as rejected:
        WebhookNotifier(SECRET).send(request_message(receiver.url))

    assert (rejected.value.status, rejected.value.key) == (status, "message-ord-1-2-0")
    assert str(rejected.value) == (
        f"webhook at {rejected.value.host} answered HTTP {status} for key message-ord-1-2-0"
    )
    assert rejected.value.host == receiver.url.split("/")[2]
    assert isinstance(rejected.value, OrderflowError)


def test_a_2xx_other_than_200_is_a_delivery(receiver: Receiver) -> None:
    receiver.status = 202

    WebhookNotifier(SECRET).send(request_message(receiver.url))

    assert len(receiver.requests) == 1


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed_and_raises(receiver: Receiver, status: int) -> None:
    receiver.status, receiver.location = status, "/elsewhere"

    with pytest.raises(WebhookRejected, match=f"answered HTTP {status}"):
        WebhookNotifier(SECRET).send(request_message(receiver.url))

    assert [(r.method, r.path) for r in receiver.requests] == [("POST", "/hooks/orderflow")]


def test_a_body_signed_with_another_secret_is_refused_by_the_receiver(
    receiver: Receiver,
) -> None:
    with pytest.raises(WebhookRejected, match="answered HTTP 401"):
        WebhookNotifier("not the shared secret").send(request_message(receiver.url))

    [request] = receiver.requests
    assert not request.verified


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.com/hook", "example.com/hook", "http:///hook", ""],
)
def test_only_http_and_https_urls_are_accepted(receiver: Receiver, url: str) -> None:
    with pytest.raises(ValueError, match="is not an http\\(s\\) URL"):
        WebhookNotifier(SECRET).send(request_message(url))
    with pytest.raises(ValueError, match="is not an http\\(s\\) URL"):
        WebhookPublisher(url, SECRET)

    assert receiver.requests == []


def test_a_message_for_another_channel_is_refused_naming_its_key_and_channel(
    receiver: Receiver,
) -> None:
    email = request_message(receiver.url, channel="email")

    with pytest.raises(ValueError, match="message message-ord-1-2-0 is for email, not webhook"):
        WebhookNotifier(SECRET).send(email)
    assert receiver.requests == []


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="the webhook secret is empty"):
        WebhookNotifier("")
    with pytest.raises(ValueError, match="the webhook secret is empty"):
        WebhookPublisher("https://erp.example/hooks", b"")


def test_a_closed_port_raises_so_the_outbox_retries() -> None:
    with socket.socket() as bound_but_not_listening:
        bound_but_not_listening.bind(("127.0.0.1", 0))
        port = bound_but_not_listening.getsockname()[1]

        with pytest.raises(urllib.error.URLError):
            WebhookNotifier(SECRET).send(request_message(f"http://127.0.0.1:{port}/hook"))


def test_an_event_is_posted_as_signed_json_with_its_payload_inline(receiver: Receiver) -> None:
    event = PublishedEvent(
        key="event-ord-1-1-0",
        order_id="ord-1",
        type="OrderPlaced",
        schema_version=1,
        payload='{"type": "OrderPlaced", "note": "Livrer à l\'accueil, près de l\'entrée"}',
    )
    publisher = WebhookPublisher(receiver.url, SECRET)

    publisher.publish(event)
    publisher.publish(event)  # redelivered

    first, second = receiver.requests
    assert first.verified
    assert first.headers["X-Orderflow-Key"] == "event-ord-1-1-0"
    assert first.headers["X-Orderflow-Topic"] == "event/OrderPlaced"
    assert first.headers["Content-Language"] is None
    assert first.body == second.body
    assert json.loads(first.body) == {
        "key": "event-ord-1-1-0",
        "order_id": "ord-1",
        "type": "OrderPlaced",
        "schema_version": 1,
        "payload": {"type": "OrderPlaced", "note": "Livrer à l'accueil, près de l'entrée"},
    }


def test_a_refused_event_raises(receiver: Receiver) -> None:
    receiver.status = 500
    event = PublishedEvent(
        key="event-ord-1-1-0", order_id="ord-1", type="OrderPlaced", schema_version=1, payload="{}"
    )

    with pytest.raises(WebhookRejected, match="answered HTTP 500 for key event-ord-1-1-0"):
        WebhookPublisher(receiver.url, SECRET).publish(event)


def test_dispatch_keeps_a_refused_event_in_the_outbox_and_delivers_it_on_the_retry(
    receiver: Receiver,
) -> None:
    repository, clock = InMemoryRepository(), FakeClock()
    flow = OrderFlow(
        repository=repository,
        outbox=repository,
        gateway=FakeGateway(),
        clock=clock,
        ids=SequentialIds(),
        publisher=WebhookPublisher(receiver.url, SECRET),
    )
    flow.place(make_draft(), actor=STAFF)
    receiver.status = 503

    refused = flow.dispatch()
    receiver.status = 200
    too_soon = flow.dispatch()
    clock.advance(seconds=30)  # the default RetryPolicy's first delay
    retried = flow.dispatch()

    assert (refused.delivered, refused.failed) == (0, 1)
    assert (too_soon.delivered, too_soon.failed) == (0, 0)
    assert refused.errors[0][1].startswith("WebhookRejected: webhook at 127.0.0.1:")
    assert (retried.delivered, retried.failed) == (1, 0)
    first, second = receiver.requests
    assert first.headers["X-Orderflow-Key"] == second.headers["X-Orderflow-Key"]
    assert first.body == second.body
    assert receiver.documents()[1]["type"] == "OrderPlaced"
