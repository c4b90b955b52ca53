"""Stock: orderflow tells the host's inventory when goods come back (optional port)."""

from __future__ import annotations

from typing import Protocol

import attrs

from orderflow.domain.fulfillment import LineQuantity


@attrs.frozen(kw_only=True)
class RestockRequest:
    """Put ``lines`` back in stock at ``location_id``; a retry carries the same key."""

    order_id: str
    location_id: str
    lines: tuple[LineQuantity, ...]
    idempotency_key: str


class InventoryPort(Protocol):
    def restock(self, request: RestockRequest) -> None:
        """Restock or raise (the outbox retries with the same key)."""
        ...
