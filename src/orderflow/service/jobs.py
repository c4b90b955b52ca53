"""Outbox items from events, and the runners that carry them out after the save."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

import attrs

from orderflow.domain.events import (
    CancellationRequested,
    FulfillmentCancelled,
    FulfillmentRequested,
    LabelRequested,
    LinesCancelled,
    OrderEvent,
    PaymentRequested,
    RefundCreated,
)
from orderflow.domain.fulfillment import LineQuantity
from orderflow.domain.fulfillment_status import remaining
from orderflow.domain.order import Order
from orderflow.domain.settlement import GatewayResult
from orderflow.domain.transaction import Transaction, TransactionKind
from orderflow.ports.fulfillment_service import ServiceCall
from orderflow.ports.inventory import RestockRequest
from orderflow.ports.labels import LabelPurchase, LabelVoid
from orderflow.ports.messaging import Message, PublishedEvent
from orderflow.ports.outbox import OutboxItem
from orderflow.ports.payments import PaymentGateway, PaymentRequest
from orderflow.serialization import event_text

PAYMENT = "payment"
EVENT = "event"
RESTOCK = "restock"
SERVICE = "fulfillment_service"
LABEL = "label"
MESSAGE = "message"


def outbox_items(
    order: Order,
    events: Sequence[OrderEvent],
    now: datetime,
    *,
    publish: bool,
    restock: bool,
) -> tuple[OutboxItem, ...]:
    """The outside work ``events`` call for: a gateway request per payment intent, a label
    purchase or void, a call to a fulfillment service, a restock per cancelled fulfillment
    or refund (with an inventory port) and, with a publisher, each event for the host. Keys are
    stable across retries: they are the outside calls' idempotency keys."""
    items = []

    def queue(key: str, topic: str, payload: object) -> None:
        queue_text(key, topic, json.dumps(payload))

    def queue_text(key: str, topic: str, payload: str) -> None:
        items.append(
            OutboxItem(key=key, order_id=order.id, topic=topic, payload=payload, created_at=now)
        )

    for index, event in enumerate(events):
        if isinstance(event, PaymentRequested):
            tx = order.transaction(event.transaction_id)
            queue(tx.idempotency_key, PAYMENT, {"transaction_id": tx.id})
        if isinstance(event, LabelRequested):
            queue(
                label_key(event.label_id, void=event.void),
                LABEL,
                {
                    "fulfillment_id": event.fulfillment_id,
                    "label_id": event.label_id,
                    "void": event.void,
                },
            )
        if isinstance(event, (FulfillmentRequested, CancellationRequested)):
            kind = "fulfil" if isinstance(event, FulfillmentRequested) else "cancel"
            queue(
                f"{kind}-{event.request_id}-{order.version}",
                SERVICE,
                {
                    "kind": kind,
                    "fulfillment_order_id": event.fulfillment_order_id,
                    "request_id": event.request_id,
                    "message": event.message,
                },
            )
        if restock and isinstance(event, FulfillmentCancelled) and event.restock:
            fo = order.fulfillment_order(event.fulfillment_order_id)
            queue(
                f"restock-{event.fulfillment_id}",
                RESTOCK,
                {
                    "location_id": fo.location.id,
                    "lines": [[q.line_item_id, q.quantity] for q in event.lines],
                },
            )
        refund_id = _restocking(event) if restock else None
        if refund_id is not None:
            for location, lines in _restocked(order, refund_id).items():
                queue(
                    f"restock-{refund_id}-{location}",
                    RESTOCK,
                    {"location_id": location, "lines": lines},
                )
        if publish:
            queue_text(f"event-{order.id}-{order.version}-{index}", EVENT, event_text(event))
    return tuple(items)


def _restocking(event: OrderEvent) -> str | None:
    """The refund whose units ``event`` sends back to stock, if it does."""
    if isinstance(event, LinesCancelled) or (isinstance(event, RefundCreated) and event.restocked):
        return event.refund_id
    return None


def _restocked(order: Order, refund_id: str) -> dict[str, list[list[object]]]:
    """The units a refund restocks, per location: ``[line id, quantity]`` pairs."""
    refund = next(r for r in order.refunds if r.id == refund_id)
    places: dict[str, Counter[str]] = {}
    for line in refund.lines:
        if line.location_id is not None:
            places.setdefault(line.location_id, Counter())[line.line_item_id] += line.quantity
    return {place: [[i, q] for i, q in units.items()] for place, units in places.items()}


class GiveUp(Exception):
    """Raised by a runner when its item must not be tried again: dead-lettered at once."""


def payment_transaction(order: Order, item: OutboxItem) -> Transaction | None:
    """The intent an item carries out, or ``None`` when it is settled already (by an earlier
    delivery or a gateway webhook)."""
    tx = order.transaction(json.loads(item.payload)["transaction_id"])
    return tx if tx.pending else None


def payment_request(order: Order, tx: Transaction) -> PaymentRequest:
    """The gateway request for intent ``tx``."""
    parent = order.transaction(tx.parent_id) if tx.parent_id else None
    return PaymentRequest(
        order_id=order.id,
        transaction_id=tx.id,
        amount=tx.amount,
        idempotency_key=tx.idempotency_key,
        reference=parent.reference if parent else None,
    )


def call_gateway(
    gateway: PaymentGateway, kind: TransactionKind, request: PaymentRequest
) -> GatewayResult:
    calls = {
        TransactionKind.CAPTURE: gateway.capture,
        TransactionKind.REFUND: gateway.refund,
        TransactionKind.VOID: gateway.void,
        TransactionKind.SALE: gateway.charge,
    }
    return calls[kind](request)


def restock_request(item: OutboxItem) -> RestockRequest:
    data = json.loads(item.payload)
    lines = tuple(LineQuantity(line_id, quantity) for line_id, quantity in data["lines"])
    return RestockRequest(
        order_id=item.order_id,
        location_id=data["location_id"],
        lines=lines,
        idempotency_key=item.key,
    )


def service_call(order: Order, item: OutboxItem) -> ServiceCall | None:
    """The call an item stands for, or ``None`` when its request is no longer current."""
    data = json.loads(item.payload)
    fo = order.fulfillment_order(data["fulfillment_order_id"])
    request = fo.request
    expected = "submitted" if data["kind"] == "fulfil" else "cancellation_requested"
    if request is None or request.id != data["request_id"] or request.status != expected:
        return None
    lines = remaining(order, fo) if data["kind"] == "fulfil" else fo.lines
    return ServiceCall(
        kind=data["kind"],
        service=request.service,
        order_id=order.id,
        order_name=order.name,
        fulfillment_order_id=fo.id,
        request_id=request.id,
        location_id=fo.location.id,
        destination=fo.destination,
        lines=lines,
        idempotency_key=item.key,
        message=data["message"],
    )


def label_key(label_id: str, *, void: bool) -> str:
    """The outbox key, and the provider's idempotency key, of a label's purchase or void."""
    return f"label-{label_id}-{'void' if void else 'buy'}"


def label_call(order: Order, item: OutboxItem) -> LabelPurchase | LabelVoid | None:
    """The provider call an item stands for, or ``None`` when its label moved on since (a
    purchase whose fulfillment was cancelled is superseded by the label's void)."""
    data = json.loads(item.payload)
    fulfillment = order.fulfillment(data["fulfillment_id"])
    label = fulfillment.label
    expected = "void_requested" if data["void"] else "pending"
    if label is None or label.id != data["label_id"] or label.status != expected:
        return None
    if data["void"]:
        return LabelVoid(
            order_id=order.id,
            fulfillment_id=fulfillment.id,
            label_id=label.id,
            carrier=label.carrier,
            tracking_number=label.tracking_number,
            idempotency_key=item.key,
            purchase_key=label_key(label.id, void=False),
        )
    fo = order.fulfillment_order(fulfillment.fulfillment_order_id)
    return LabelPurchase(
        order_id=order.id,
        fulfillment_id=fulfillment.id,
        label_id=label.id,
        carrier=label.carrier,
        service_level=label.service_level,
        parcel=label.parcel,
        ship_from=fo.location,
        ship_to=fo.destination,
        lines=fulfillment.lines,
        idempotency_key=item.key,
    )


def published(item: OutboxItem) -> PublishedEvent:
    data = json.loads(item.payload)
    return PublishedEvent(
        key=item.key,
        order_id=item.order_id,
        type=data["type"],
        schema_version=data["schema_version"],
        payload=item.payload,
    )


def message_items(messages: Sequence[Message], now: datetime) -> tuple[OutboxItem, ...]:
    """Rendered messages as outbox items: the item's key is the message's."""
    return tuple(
        OutboxItem(
            key=m.key,
            order_id=m.order_id,
            topic=MESSAGE,
            payload=json.dumps(attrs.asdict(m)),
            created_at=now,
        )
        for m in messages
    )


def message(item: OutboxItem) -> Message:
    return Message(**json.loads(item.payload))
