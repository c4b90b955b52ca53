"""Third-party fulfillment services (3PLs): orderflow sends requests; answers come back as
commands (``OrderFlow.accept_fulfillment_request`` and the others)."""

from __future__ import annotations

from typing import Literal, Protocol

import attrs

from orderflow.domain.customer import Address
from orderflow.domain.fulfillment import LineQuantity


@attrs.frozen(kw_only=True)
class ServiceCall:
    """A request to fulfil, or to cancel one. A retry carries the same ``idempotency_key``.

    ``request_id`` is what the service quotes when it answers.
    """

    kind: Literal["fulfil", "cancel"]
    service: str
    order_id: str
    order_name: str
    fulfillment_order_id: str
    request_id: str
    location_id: str
    destination: Address | None
    lines: tuple[LineQuantity, ...]
    idempotency_key: str
    message: str | None = None


class FulfillmentService(Protocol):
    def send(self, call: ServiceCall) -> None:
        """Deliver the call to the service named ``call.service``, or raise (the outbox
        retries with the same key)."""
        ...
