"""WebhookNotifier and WebhookPublisher against a real HTTP server listening on localhost.

The receiver checks every signature with :func:`verify`, as a host's endpoint would, and
answers 401 to a body it cannot verify.
"""

from __future__ import annotations

import base64
import json
import socket
import ssl
import threading
import urllib.error
from collections.abc import Iterator
from email.message import Message as Headers
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import attrs
import pytest

from orderflow.adapters._guarded_http import _TlsConnection
from orderflow.adapters.fakes import FakeClock, FakeGateway, SequentialIds
from orderflow.adapters.memory import InMemoryRepository
from orderflow.adapters.webhook import (
    WebhookNotifier,
    WebhookPublisher,
    WebhookRejected,
    sign,
    verify,
)
from orderflow.errors import InvalidRecipient, OrderflowError, UndeliverableMessage
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


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test connects straight to its receiver, whatever proxy the machine sets: urllib
    reads proxies from the environment."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def resolve(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[list[str]]]) -> list[str]:
    """Make each host of ``answers`` resolve to its next answer (the last one repeats); the
    names asked, in order, are returned."""
    asked: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in answers:
            return real(host, port, *args, **kwargs)
        asked.append(host)
        addresses = answers[host][0] if len(answers[host]) == 1 else answers[host].pop(0)
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (a, port, 0, 0))
            if ":" in a
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


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
    WebhookNotifier(SECRET, timeout=5.0, allow_private=True).send(request_message(receiver.url))

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
    notifier = WebhookNotifier(SECRET, allow_private=True)

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

    WebhookNotifier(SECRET, allow_private=True).send(message)

    [request] = receiver.requests
    assert request.verified
    assert request.headers["Content-Language"] == "fr"
    assert "expédier 62,00 € de produits à Élise".encode() in request.body  # UTF-8, not \\u escapes
    [document] = receiver.documents()
    assert document["subject"] == "Demande d'exécution pour la commande #1001"
    assert document["text"] == "Merci d'expédier 62,00 € de produits à Élise.\n"


def test_a_resend_names_the_message_it_repeats(receiver: Receiver) -> None:
    resend = request_message(receiver.url, key="message-ord-1-5-0", resend_of="message-ord-1-2-0")

    WebhookNotifier(SECRET, allow_private=True).send(resend)

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
        WebhookNotifier(SECRET, allow_private=True).send(request_message(receiver.url))

    assert (rejected.value.status, rejected.value.key) == (status, "message-ord-1-2-0")
    assert str(rejected.value) == (
        f"webhook at {rejected.value.host} answered HTTP {status} for key message-ord-1-2-0"
    )
    assert rejected.value.host == receiver.url.split("/")[2]
    assert isinstance(rejected.value, OrderflowError)


def test_a_2xx_other_than_200_is_a_delivery(receiver: Receiver) -> None:
    receiver.status = 202

    WebhookNotifier(SECRET, allow_private=True).send(request_message(receiver.url))

    assert len(receiver.requests) == 1


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed_and_raises(receiver: Receiver, status: int) -> None:
    receiver.status, receiver.location = status, "/elsewhere"

    with pytest.raises(WebhookRejected, match=f"answered HTTP {status}"):
        WebhookNotifier(SECRET, allow_private=True).send(request_message(receiver.url))

    assert [(r.method, r.path) for r in receiver.requests] == [("POST", "/hooks/orderflow")]


def test_a_body_signed_with_another_secret_is_refused_by_the_receiver(
    receiver: Receiver,
) -> None:
    with pytest.raises(WebhookRejected, match="answered HTTP 401"):
        WebhookNotifier("not the shared secret", allow_private=True).send(
            request_message(receiver.url)
        )

    [request] = receiver.requests
    assert not request.verified


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/hook",
        "example.com/hook",
        "http:///hook",
        "",
        "https://bot:s3cret@chat.example/hook",
    ],
)
def test_only_http_and_https_urls_without_credentials_are_accepted(
    receiver: Receiver, url: str
) -> None:
    refusal = "is not an http\\(s\\) URL with a host and without credentials"
    with pytest.raises(UndeliverableMessage, match=refusal):
        WebhookNotifier(SECRET).send(request_message(url))
    with pytest.raises(InvalidRecipient, match=refusal):
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
            WebhookNotifier(SECRET, allow_private=True).send(
                request_message(f"http://127.0.0.1:{port}/hook")
            )


def test_an_event_is_posted_as_signed_json_with_its_payload_inline(receiver: Receiver) -> None:
    event = PublishedEvent(
        key="event-ord-1-1-0",
        order_id="ord-1",
        type="OrderPlaced",
        schema_version=1,
        payload='{"type": "OrderPlaced", "note": "Livrer à l\'accueil, près de l\'entrée"}',
    )
    publisher = WebhookPublisher(receiver.url, SECRET, allow_private=True)

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
        WebhookPublisher(receiver.url, SECRET, allow_private=True).publish(event)


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
        publisher=WebhookPublisher(receiver.url, SECRET, allow_private=True),
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


# -- the private-network guard ---------------------------------------------------------------------


def test_a_webhook_to_the_cloud_metadata_address_is_refused_and_never_sent() -> None:
    metadata = request_message("http://169.254.169.254/latest/meta-data/iam/")

    with pytest.raises(
        UndeliverableMessage,
        match=r"^webhook URL to 169\.254\.169\.254 points at a link-local address, which "
        r"webhooks reach only where private webhooks are allowed \(message message-ord-1-2-0\)$",
    ):
        WebhookNotifier(SECRET, timeout=1.0).send(metadata)


def test_a_receiver_on_this_machine_is_refused_unless_private_networks_are_allowed(
    receiver: Receiver,
) -> None:
    with pytest.raises(UndeliverableMessage, match="points at a loopback address"):
        WebhookNotifier(SECRET).send(request_message(receiver.url))
    with pytest.raises(InvalidRecipient, match="points at a loopback address"):
        WebhookPublisher(receiver.url, SECRET)

    assert receiver.requests == []


def test_a_host_name_resolving_to_a_private_address_is_refused_when_connecting(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolve(monkeypatch, {"receiver.test": [["127.0.0.1"]], "erp.test": [["10.0.0.7"]]})
    url = receiver.url.replace("127.0.0.1", "receiver.test")
    event = PublishedEvent(
        key="event-ord-1-1-0", order_id="ord-1", type="OrderPlaced", schema_version=1, payload="{}"
    )

    with pytest.raises(
        UndeliverableMessage,
        match=r"^webhook host receiver\.test resolves to 127\.0\.0\.1, a loopback address: "
        r"refused \(allow_private=True",
    ):
        WebhookNotifier(SECRET).send(request_message(url))
    with pytest.raises(UndeliverableMessage, match=r"erp\.test resolves to 10\.0\.0\.7, a private"):
        WebhookPublisher("http://erp.test/hooks", SECRET).publish(event)

    assert receiver.requests == []


def test_every_address_of_the_answer_is_checked_before_connecting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resolve(monkeypatch, {"mixed.test": [["93.184.216.34", "fe80::1"]]})

    with pytest.raises(UndeliverableMessage, match=r"resolves to fe80::1, a link-local address"):
        WebhookNotifier(SECRET, timeout=1.0).send(request_message("https://mixed.test/hook"))


def test_the_connection_goes_to_the_address_resolved_once_and_the_request_names_the_host(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A second answer would lead elsewhere: the connection must not ask again.
    asked = resolve(monkeypatch, {"receiver.test": [["127.0.0.1"], ["10.255.255.1"]]})
    url = receiver.url.replace("127.0.0.1", "receiver.test")

    WebhookNotifier(SECRET, timeout=5.0, allow_private=True).send(request_message(url))

    [request] = receiver.requests
    assert asked == ["receiver.test"]
    assert request.headers["Host"] == url.split("/")[2]  # receiver.test:<port>


def test_tls_names_the_receivers_host_not_the_address_connected_to() -> None:
    names: list[str | None] = []

    class RecordingContext(ssl.SSLContext):
        """Records the name the handshake would send (SNI) and check the certificate for."""

        def wrap_socket(  # type: ignore[override]
            self, sock: socket.socket, server_hostname: str | None = None, **options: Any
        ) -> socket.socket:
            names.append(server_hostname)
            return sock

    connected: list[tuple[str, int]] = []
    with socket.create_server(("127.0.0.1", 0)) as listener:

        def connect(address: tuple[str, int], *args: Any) -> socket.socket:
            connected.append(address)
            return socket.create_connection(listener.getsockname())

        connection = _TlsConnection(
            "receiver.test",
            port=8443,
            context=RecordingContext(ssl.PROTOCOL_TLS_CLIENT),
            connect=connect,
        )
        connection.connect()
        connection.close()

    assert connected == [("receiver.test", 8443)]
    assert names == ["receiver.test"]


def test_through_a_proxy_the_receivers_host_is_checked_and_the_proxy_is_not(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = receiver.url.removesuffix("/hooks/orderflow")  # the local server plays the proxy
    monkeypatch.setenv("http_proxy", proxy)
    resolve(monkeypatch, {"erp.test": [["93.184.216.34"]], "intranet.test": [["10.0.0.7"]]})
    event = PublishedEvent(
        key="event-ord-1-1-0", order_id="ord-1", type="OrderPlaced", schema_version=1, payload="{}"
    )

    WebhookPublisher("http://erp.test/hooks", SECRET).publish(event)
    with pytest.raises(UndeliverableMessage, match=r"intranet\.test resolves to 10\.0\.0\.7"):
        WebhookPublisher("http://intranet.test/hooks", SECRET).publish(event)

    assert [r.path for r in receiver.requests] == ["http://erp.test/hooks"]
