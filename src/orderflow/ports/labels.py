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
    """Void one label. ``purchase_key`` is the key its purchase was asked with: a void asked
    while the purchase was in flight (``tracking_number`` still unknown) finds it by that
    key, or finds that nothing was bought."""

    order_id: str
    fulfillment_id: str
    label_id: str
    carrier: str
    tracking_number: str | None
    idempotency_key: str
    purchase_key: str


class LabelProvider(Protocol):
    def buy(self, purchase: LabelPurchase) -> LabelResult:
        """Buy the label, or answer why not (``succeeded=False``); raise on a transient
        failure (the outbox retries with the same key)."""
        ...

    def void(self, request: LabelVoid) -> bool:
        """Void the label (``True`` too when nothing was bought under ``purchase_key``);
        ``False`` when the carrier refuses (already scanned); raise on a transient failure."""
        ...
