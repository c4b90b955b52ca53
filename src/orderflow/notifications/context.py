"""What a template sees: the order, in the reader's language, plus the parts an event
speaks of (a fulfillment, a shipment event, a refund...).

Every part is a plain dict of already formatted text with the same keys every time, so a
template that renders against the samples renders against any real order. A missing
optional value is ``None`` (or an empty list), never an absent key.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from typing import Any

import attrs

from orderflow.domain.customer import Address
from orderflow.domain.events import (
    FulfillmentHeld,
    FulfillmentOrderEvent,
    LinesCancelled,
    MessageRequested,
    OrderCancelled,
    OrderEvent,
    PaymentEvent,
    PaymentReviewRequested,
    ServiceRequestEvent,
    ShipmentEventRecorded,
)
from orderflow.domain.financial import balance, financial_status
from orderflow.domain.fulfillment import (
    Fulfillment,
    FulfillmentOrder,
    Hold,
    LineQuantity,
    ShipmentEvent,
)
from orderflow.domain.fulfillment_status import fulfillment_status
from orderflow.domain.ledger import refunded
from orderflow.domain.money import Money
from orderflow.domain.order import Order
from orderflow.domain.transaction import Transaction, TransactionKind
from orderflow.notifications import formats

Context = dict[str, Any]

SECTIONS = frozenset(
    {
        "fulfillment_order",
        "fulfillment",
        "shipment",
        "hold",
        "payment",
        "cancellation",
        "cancelled_lines",
        "request",
        "review",
    }
)
"""The parts an event may add to the order's context."""


@attrs.frozen(kw_only=True)
class Store:
    """What templates know of the store, from the notification settings."""

    name: str
    admin_url: str
    zone: tzinfo
    email: str | None = None
    url: str | None = None


def sections_of(event_type: type[OrderEvent]) -> frozenset[str]:
    """The parts an event of this type adds to the context."""
    fields = {field.name for field in attrs.fields(event_type)}
    found = set()
    if issubclass(event_type, FulfillmentOrderEvent):
        found.add("fulfillment_order")
    if "fulfillment_id" in fields and not issubclass(event_type, MessageRequested):
        found.add("fulfillment")
    kinds: dict[type[OrderEvent], str] = {
        ShipmentEventRecorded: "shipment",
        FulfillmentHeld: "hold",
        PaymentEvent: "payment",
        OrderCancelled: "cancellation",
        LinesCancelled: "cancelled_lines",
        ServiceRequestEvent: "request",
        PaymentReviewRequested: "review",
    }
    found.update(name for kind, name in kinds.items() if issubclass(event_type, kind))
    return frozenset(found)


def context(
    order: Order,
    event: OrderEvent,
    sections: frozenset[str],
    *,
    store: Store,
    locale: str,
) -> Context:
    """The context of a message about ``event``: the order, with exactly ``sections``
    (each one the event can give: see :func:`sections_of`)."""
    found = base(order, store=store, locale=locale)
    found["note"] = event.note if isinstance(event, MessageRequested) else None
    fulfillment_id = getattr(event, "fulfillment_id", None)
    fulfillment = order.fulfillment(fulfillment_id) if fulfillment_id else None
    if "fulfillment_order" in sections:
        if fulfillment is not None:
            fo_id = fulfillment.fulfillment_order_id
        else:
            assert isinstance(event, FulfillmentOrderEvent)
            fo_id = event.fulfillment_order_id
        found["fulfillment_order"] = fulfillment_order_part(
            order, order.fulfillment_order(fo_id), locale
        )
    if "fulfillment" in sections:
        assert fulfillment is not None
        found["fulfillment"] = fulfillment_part(order, fulfillment, locale)
    if "shipment" in sections:
        assert isinstance(event, ShipmentEventRecorded)
        found["shipment"] = shipment_part(event.event, store, locale)
    if "hold" in sections:
        assert isinstance(event, FulfillmentHeld)
        found["hold"] = hold_part(event.hold, locale)
    if "payment" in sections:
        assert isinstance(event, PaymentEvent)
        found["payment"] = payment_part(order.transaction(event.transaction_id), locale)
    if "cancellation" in sections:
        assert isinstance(event, OrderCancelled)
        found["cancellation"] = cancellation_part(order, event, locale)
    if "cancelled_lines" in sections:
        assert isinstance(event, LinesCancelled)
        found["cancelled_lines"] = cancelled_lines_part(order, event, locale)
    if "request" in sections:
        assert isinstance(event, ServiceRequestEvent)
        found["request"] = request_part(order, event, locale)
    if "review" in sections:
        assert isinstance(event, PaymentReviewRequested)
        found["review"] = review_part(event)
    return found


def base(order: Order, *, store: Store, locale: str) -> Context:
    """The order, its customer and the store: what every template may use."""

    def money(value: Any) -> str:
        return formats.money(value, locale)

    customer = order.customer
    return {
        "locale": locale,
        "colon": formats.colon(locale),
        "store": {"name": store.name, "email": store.email, "url": store.url},
        "customer": {
            "name": customer.name,
            "first_name": (customer.name.split() or [customer.name])[0],
            "email": customer.email,
            "phone": customer.phone,
        },
        "order": {
            "id": order.id,
            "name": order.name,
            "number": order.number,
            "placed_at": formats.date(order.placed_at, locale, store.zone),
            "admin_url": store.admin_url.format(
                order_id=order.id, number=order.number, name=order.name
            ),
            "lines": lines(
                order, [LineQuantity(li.id, li.quantity) for li in order.line_items], locale
            ),
            "subtotal": money(order.subtotal),
            "shipping": money(order.shipping_total),
            "discounts": money(order.discount_total) if order.discounts else None,
            "tax": money(order.tax_total),
            "taxes_included": order.taxes_included,
            "total": money(order.current_total),
            "refunded": money(refunded(order)) if refunded(order).is_positive() else None,
            "balance_due": money(balance(order)) if balance(order).is_positive() else None,
            "financial_status": formats.label(financial_status(order), locale),
            "fulfillment_status": formats.label(fulfillment_status(order), locale),
            "note": order.note or None,
            "shipping_address": address(order.shipping_address),
            "billing_address": address(order.billing_address),
        },
    }


def lines(order: Order, quantities: Sequence[LineQuantity], locale: str) -> list[dict[str, Any]]:
    found = []
    for quantity in quantities:
        item = order.line_item(quantity.line_item_id)
        found.append(
            {
                "title": item.title,
                "variant": item.variant_title,
                "sku": item.sku,
                "quantity": quantity.quantity,
                "unit_price": formats.money(item.unit_price, locale),
                "total": formats.money(item.unit_price * quantity.quantity, locale),
            }
        )
    return found


def address(value: Address | None) -> dict[str, Any] | None:
    if value is None:
        return None
    city = " ".join(part for part in (value.postal_code, value.city) if part)
    rows = [value.name, value.company, value.line1, value.line2, city, value.province]
    return {
        "name": value.name,
        "company": value.company,
        "line1": value.line1,
        "line2": value.line2,
        "city": value.city,
        "postal_code": value.postal_code,
        "province": value.province,
        "country_code": value.country_code,
        "phone": value.phone,
        "lines": [row for row in (*rows, value.country_code) if row],
    }


def fulfillment_order_part(order: Order, fo: FulfillmentOrder, locale: str) -> Context:
    return {
        "id": fo.id,
        "location": fo.location.name,
        "delivery_method": formats.label(fo.delivery_method.value, locale),
        "lines": lines(order, fo.lines, locale),
        "destination": address(fo.destination),
    }


def fulfillment_part(order: Order, fulfillment: Fulfillment, locale: str) -> Context:
    tracking = fulfillment.tracking
    numbers = list(tracking.numbers) if tracking else []
    urls = list(tracking.urls) if tracking else []
    return {
        "id": fulfillment.id,
        "lines": lines(order, fulfillment.lines, locale),
        "tracking": None
        if tracking is None or not (numbers or urls)
        else {
            "company": tracking.company,
            "numbers": numbers,
            "urls": urls,
            "number": numbers[0] if numbers else None,
            "url": urls[0] if urls else None,
        },
    }


def shipment_part(event: ShipmentEvent, store: Store, locale: str) -> Context:
    return {
        "status": event.status.value,
        "label": formats.label(event.status.value, locale),
        "at": formats.date(event.at, locale, store.zone),
        "message": event.message,
    }


def hold_part(hold: Hold, locale: str) -> Context:
    return {"reason": formats.label(hold.reason.value, locale), "note": hold.note}


def payment_part(tx: Transaction, locale: str) -> Context:
    return {
        "kind": tx.kind.value,
        "amount": formats.money(tx.amount, locale),
        "error": tx.error,
    }


def cancellation_part(order: Order, event: OrderCancelled, locale: str) -> Context:
    # the refunds the cancellation asked for: created by it, so at its instant
    refund = Money.total(
        (
            tx.amount
            for tx in order.transactions
            if tx.kind is TransactionKind.REFUND and tx.created_at == event.at
        ),
        order.currency,
    )
    return {
        "reason": formats.label(event.reason, locale),
        "note": event.note,
        "refund": formats.money(refund, locale) if refund.is_positive() else None,
    }


def cancelled_lines_part(order: Order, event: LinesCancelled, locale: str) -> Context:
    """What had not shipped and was cancelled, why, and what goes back of what was paid."""
    return {
        "lines": lines(order, event.lines, locale),
        "reason": formats.label(event.reason, locale),
        "note": event.note,
        "refund": formats.money(event.refund, locale) if event.refund.is_positive() else None,
    }


def review_part(event: PaymentReviewRequested) -> Context:
    """What staff must check (in English: orderflow writes it), about which transaction."""
    return {"reason": event.reason, "transaction_id": event.transaction_id}


def request_part(order: Order, event: ServiceRequestEvent, locale: str) -> Context:
    fo = order.fulfillment_order(event.fulfillment_order_id)
    return {
        "id": event.request_id,
        "service": event.service,
        "message": event.message,
        "lines": lines(order, fo.lines, locale),
        "destination": address(fo.destination),
    }
