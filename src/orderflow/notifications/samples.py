"""Two sample contexts every template is rendered against when notifications are configured.

The *full* sample fills every optional value (phone, note, discount, tracking, refund...),
the *bare* one leaves each one out, so a template that uses an optional value without its
``{% if %}`` fails at start, not on the first real order that lacks it. Both are built by
the same functions as real contexts, from domain objects.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from orderflow.domain.actor import Actor
from orderflow.domain.customer import Address, Customer
from orderflow.domain.events import (
    FulfillmentRequested,
    LinesCancelled,
    OrderCancelled,
    PaymentReviewRequested,
)
from orderflow.domain.fulfillment import (
    DeliveryMethod,
    Fulfillment,
    Hold,
    HoldReason,
    LineQuantity,
    ShipmentEvent,
    ShipmentStatus,
    Tracking,
)
from orderflow.domain.lines import Discount, LineItem, ShippingLine, TaxLine
from orderflow.domain.money import Money
from orderflow.domain.order import Order
from orderflow.domain.placement import OrderDraft, place
from orderflow.domain.transaction import Transaction, TransactionKind
from orderflow.notifications import formats
from orderflow.notifications.context import (
    Context,
    Store,
    base,
    cancellation_part,
    cancelled_lines_part,
    fulfillment_order_part,
    fulfillment_part,
    hold_part,
    payment_part,
    request_part,
    review_part,
    shipment_part,
)

_AT = datetime(2026, 11, 24, 9, 30, tzinfo=timezone.utc)
_STAFF = Actor.staff("sample", "Sample")


def samples(store: Store, locale: str) -> tuple[Context, Context]:
    """The full and the bare sample, each with every section a context may have."""
    return _sample(store, locale, full=True), _sample(store, locale, full=False)


def _sample(store: Store, locale: str, *, full: bool) -> Context:
    order = _order(full)
    fo = order.fulfillment_orders[0]
    first = order.line_items[0]
    fulfillment = Fulfillment(
        id="ful-1",
        fulfillment_order_id=fo.id,
        lines=(LineQuantity(first.id, 1),),
        created_at=_AT,
        tracking=Tracking(
            company="Colissimo", numbers=("6A12345678901",), urls=("https://example.com/t/1",)
        )
        if full
        else None,
    )
    money = Money("19.90", order.currency)
    context = base(order, store=store, locale=locale)
    formatted = formats.money(money, locale) if full else None
    context["order"].update(refunded=formatted, balance_due=formatted)
    context.update(
        note="A note from the store." if full else None,
        fulfillment_order=fulfillment_order_part(order, fo, locale),
        fulfillment=fulfillment_part(order, fulfillment, locale),
        shipment=shipment_part(
            ShipmentEvent(
                status=ShipmentStatus.OUT_FOR_DELIVERY,
                at=_AT,
                message="Left the depot" if full else None,
            ),
            store,
            locale,
        ),
        hold=hold_part(
            Hold(
                id="hold-1",
                reason=HoldReason.INVENTORY_OUT_OF_STOCK,
                note="Back in stock on Friday" if full else None,
                held_at=_AT,
            ),
            locale,
        ),
        payment=payment_part(
            Transaction(
                id="tx-1",
                kind=TransactionKind.CAPTURE,
                amount=money,
                status="failed",
                idempotency_key="tx-1",
                created_at=_AT,
                error="Card declined" if full else None,
            ),
            locale,
        ),
        cancellation={
            **cancellation_part(
                order,
                OrderCancelled(
                    order_id=order.id,
                    at=_AT,
                    actor=_STAFF,
                    reason="customer",
                    note="Ordered twice" if full else None,
                ),
                locale,
            ),
            "refund": formatted,
        },
        cancelled_lines=cancelled_lines_part(
            order,
            LinesCancelled(
                order_id=order.id,
                at=_AT,
                actor=_STAFF,
                refund_id="ref-1",
                lines=(LineQuantity(first.id, 1),),
                refund=money if full else Money.zero(order.currency),
                reason="out_of_stock",
                note="The last one broke" if full else None,
            ),
            locale,
        ),
        review=review_part(
            PaymentReviewRequested(
                order_id=order.id,
                at=_AT,
                actor=_STAFF,
                reason="refund of 19.90 EUR names no payment the order knows",
                transaction_id="tx-1" if full else None,
            )
        ),
        request=request_part(
            order,
            FulfillmentRequested(
                order_id=order.id,
                at=_AT,
                actor=_STAFF,
                fulfillment_order_id=fo.id,
                request_id="req-1",
                service="warehouse",
                message="Gift wrap, please" if full else None,
                lines=fo.lines,
            ),
            locale,
        ),
    )
    return context


def _order(full: bool) -> Order:
    address = Address(
        name="Ada Lovelace",
        company="Analytical Engines Ltd" if full else None,
        line1="12 rue des Lilas",
        line2="Bâtiment B" if full else None,
        city="Lyon",
        postal_code="69003",
        province="Rhône" if full else None,
        country_code="FR",
        phone="+33 6 12 34 56 78" if full else None,
    )
    eur = "EUR"
    lines = (
        LineItem(
            id="line-1",
            title="Linen shirt",
            quantity=2,
            unit_price=Money("45.00", eur),
            variant_title="Blue / M" if full else None,
            sku="SHIRT-BL-M" if full else None,
        ),
        LineItem(id="line-2", title="Gift card", quantity=1, unit_price=Money("25.00", eur)),
    )
    draft = OrderDraft(
        customer=Customer(
            id="cust-1",
            name="Ada Lovelace",
            email="ada@example.com",
            phone="+33 6 12 34 56 78" if full else None,
        ),
        line_items=lines,
        currency=eur,
        shipping_address=address if full else None,
        billing_address=address if full else None,
        shipping_lines=(ShippingLine("Standard", Money("4.90", eur)),) if full else (),
        discounts=(Discount("WELCOME", Money("10.00", eur)),) if full else (),
        tax_lines=(TaxLine("VAT", Decimal("0.20"), Money("20.82", eur)),),
        taxes_included=True,
        note="Please leave it with the neighbour" if full else "",
        delivery_method=DeliveryMethod.SHIPPING if full else DeliveryMethod.NONE,
    )
    return place(
        draft, order_id="ord-sample", number=1001, now=_AT - timedelta(days=1), actor=_STAFF
    ).order
