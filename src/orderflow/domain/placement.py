"""Placing an order: a checkout's draft becomes an Order and an ``OrderPlaced`` event."""

from __future__ import annotations

from datetime import date, datetime, time, timezone

import attrs

from orderflow.domain._fields import (
    BOOL,
    OPTIONAL_AWARE,
    instance_of,
    optional,
    optional_text,
    text,
    texts,
    tuple_of,
    whole,
)
from orderflow.domain.actor import Actor
from orderflow.domain.customer import Address, Customer
from orderflow.domain.events import OrderPlaced
from orderflow.domain.fulfillment import (
    ADDRESSED,
    DeliveryMethod,
    FulfillmentOrder,
    LineQuantity,
    Location,
)
from orderflow.domain.limits import (
    KEY,
    MAX_LINE_ITEMS,
    MAX_ORDER_LINES,
    MAX_ORDER_NUMBER,
    MAX_TAGS,
    NOTE,
    TAG,
)
from orderflow.domain.lines import Discount, LineItem, ShippingLine, TaxLine
from orderflow.domain.order import Change, Order, check_consistency

DEFAULT_LOCATION = Location("default", "Default location")


@attrs.frozen(kw_only=True)
class OrderDraft:
    """What a checkout hands over: the order as the customer confirmed it.

    ``number`` is for hosts that keep their own numbering; by default the repository's
    per-store sequence assigns one. ``placed_at`` defaults to the time of placing.
    """

    customer: Customer = attrs.field(validator=instance_of(Customer))
    line_items: tuple[LineItem, ...] = attrs.field(
        default=(), validator=tuple_of(LineItem, MAX_LINE_ITEMS)
    )
    currency: str = attrs.field(validator=instance_of(str))
    external_checkout_id: str | None = attrs.field(default=None, validator=optional_text(KEY))
    shipping_address: Address | None = attrs.field(
        default=None, validator=optional(instance_of(Address))
    )
    billing_address: Address | None = attrs.field(
        default=None, validator=optional(instance_of(Address))
    )
    shipping_lines: tuple[ShippingLine, ...] = attrs.field(
        default=(), validator=tuple_of(ShippingLine, MAX_ORDER_LINES)
    )
    discounts: tuple[Discount, ...] = attrs.field(
        default=(), validator=tuple_of(Discount, MAX_ORDER_LINES)
    )
    tax_lines: tuple[TaxLine, ...] = attrs.field(
        default=(), validator=tuple_of(TaxLine, MAX_ORDER_LINES)
    )
    taxes_included: bool = attrs.field(default=False, validator=BOOL)
    note: str = attrs.field(default="", validator=text(NOTE))
    tags: frozenset[str] = attrs.field(
        default=frozenset(), validator=texts(frozenset, TAG, MAX_TAGS)
    )
    location: Location = attrs.field(default=DEFAULT_LOCATION, validator=instance_of(Location))
    """Where lines without a location of their own are fulfilled from."""
    delivery_method: DeliveryMethod = attrs.field(
        default=DeliveryMethod.SHIPPING, validator=instance_of(DeliveryMethod)
    )
    """How the goods that need shipping reach the customer (digital goods need none)."""
    number: int | None = attrs.field(default=None, validator=optional(whole(MAX_ORDER_NUMBER)))
    placed_at: datetime | None = attrs.field(default=None, validator=OPTIONAL_AWARE)


def place(draft: OrderDraft, *, order_id: str, number: int, now: datetime, actor: Actor) -> Change:
    """A new open, active order from ``draft``; inconsistent drafts are refused whole."""
    order = check_consistency(
        Order(
            id=order_id,
            number=number,
            currency=draft.currency,
            customer=draft.customer,
            line_items=draft.line_items,
            placed_at=draft.placed_at or now,
            external_checkout_id=draft.external_checkout_id,
            shipping_address=draft.shipping_address,
            billing_address=draft.billing_address,
            shipping_lines=draft.shipping_lines,
            discounts=draft.discounts,
            tax_lines=draft.tax_lines,
            taxes_included=draft.taxes_included,
            note=draft.note,
            tags=draft.tags,
            fulfillment_orders=fulfillment_orders(
                draft.line_items,
                order_id=order_id,
                location=draft.location,
                delivery_method=draft.delivery_method,
                destination=draft.shipping_address,
            ),
        )
    )
    event = OrderPlaced(order_id=order.id, at=now, actor=actor, number=number, total=order.total)
    return Change(order, (event,))


def fulfillment_orders(
    lines: tuple[LineItem, ...],
    *,
    order_id: str,
    location: Location = DEFAULT_LOCATION,
    delivery_method: DeliveryMethod = DeliveryMethod.SHIPPING,
    destination: Address | None = None,
) -> tuple[FulfillmentOrder, ...]:
    """Group the lines that are fulfilled together: same location, same delivery method,
    same pre-order date. Pre-orders are scheduled to open on their expected date (UTC)."""
    groups: dict[tuple[Location, DeliveryMethod, date | None], list[LineQuantity]] = {}
    for line in lines:
        method = (
            (line.delivery_method or delivery_method)
            if line.requires_shipping
            else DeliveryMethod.NONE
        )
        key = (line.location or location, method, line.pre_order)
        groups.setdefault(key, []).append(LineQuantity(line.id, line.quantity))
    result = []
    for index, ((where, method, pre_order), quantities) in enumerate(groups.items(), start=1):
        opens = None if pre_order is None else datetime.combine(pre_order, time(0), timezone.utc)
        result.append(
            FulfillmentOrder(
                id=f"{order_id}-fo{index}",
                location=where,
                delivery_method=method,
                destination=destination if method in ADDRESSED else None,
                lines=tuple(quantities),
                status="open" if opens is None else "scheduled",
                fulfill_at=opens,
            )
        )
    return tuple(result)
