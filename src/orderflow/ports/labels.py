"""The label provider: buys and voids shipping labels, each call with an idempotency key."""

from __future__ import annotations

from typing import Protocol

import attrs

from orderflow.domain.customer import Address
from orderflow.domain.fulfillment import LineQuantity, Location, Parcel
from orderflow.domain.labels import LabelResult


@attrs.frozen(kw_only=True)
class LabelPurchase:
    """Buy one label. A retry carries the same ``idempotency_key``: one label is bought."""

    order_id: str
    fulfillment_id: str
    label_id: str
    carrier: str
    service_level: str
    parcel: Parcel
    ship_from: Location
    ship_to: Address | None
    lines: tuple[LineQuantity, ...]
    idempotency_key: str


@attrs.frozen(kw_only=True)
class LabelVoid:
    order_id: str
    fulfillment_id: str
    label_id: str
    carrier: str
    tracking_number: str | None
    idempotency_key: str


class LabelProvider(Protocol):
    def buy(self, purchase: LabelPurchase) -> LabelResult:
        """Buy the label, or answer why not (``succeeded=False``); raise on a transient
        failure (the outbox retries with the same key)."""
        ...

    def void(self, request: LabelVoid) -> bool:
        """Void the label; ``False`` when the carrier refuses (already scanned)."""
        ...
