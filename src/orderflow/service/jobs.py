"""Outbox items from events, and the runners that carry them out after the save."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from orderflow.domain.events import OrderEvent, PaymentRequested
from orderflow.domain.order import Order
from orderflow.domain.payments import GatewayResult
from orderflow.domain.transaction import TransactionKind
from orderflow.ports.messaging import PublishedEvent
from orderflow.ports.outbox import OutboxItem
from orderflow.ports.payments import PaymentGateway, PaymentRequest
from orderflow.serialization import event_to_dict

PAYMENT = "payment"
EVENT = "event"


def outbox_items(
    order: Order, events: Sequence[OrderEvent], now: datetime, *, publish: bool
) -> tuple[OutboxItem, ...]:
    """The outside work ``events`` call for: a gateway request per payment intent and, when
    a publisher is configured, each event for the host. Keys are stable across retries."""
    items = []
    for index, event in enumerate(events):
        if isinstance(event, PaymentRequested):
            tx = order.transaction(event.transaction_id)
            payload = json.dumps({"transaction_id": tx.id})
            items.append(
                OutboxItem(
                    key=tx.idempotency_key,
                    order_id=order.id,
                    topic=PAYMENT,
                    payload=payload,
                    created_at=now,
                )
            )
        if publish:
            items.append(
                OutboxItem(
                    key=f"event-{order.id}-{order.version}-{index}",
                    order_id=order.id,
                    topic=EVENT,
                    payload=json.dumps(event_to_dict(event)),
                    created_at=now,
                )
            )
    return tuple(items)


def payment_request(order: Order, item: OutboxItem) -> PaymentRequest | None:
    """The gateway request an item stands for, or ``None`` when its transaction is settled."""
    tx = order.transaction(json.loads(item.payload)["transaction_id"])
    if not tx.pending:
        return None
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


def published(item: OutboxItem) -> PublishedEvent:
    data = json.loads(item.payload)
    return PublishedEvent(
        key=item.key,
        order_id=item.order_id,
        type=data["type"],
        schema_version=data["schema_version"],
        payload=item.payload,
    )
