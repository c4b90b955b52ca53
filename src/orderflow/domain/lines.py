"""What the customer bought: line items, and the order's shipping, discount and tax lines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs
from attrs import validators as v

from orderflow.domain._fields import BOOL, MONEY, OPTIONAL_TEXT, TEXT
from orderflow.domain.fulfillment import DeliveryMethod, Location
from orderflow.domain.money import Money
from orderflow.errors import InvalidAmount, InvalidQuantity


def _positive_quantity(item: object, attribute: attrs.Attribute[int], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"'{attribute.name}' must be an int, got {type(value).__name__}")
    if value <= 0:
        raise InvalidQuantity(f"line item quantity must be at least 1, got {value}")


def _not_negative(item: object, attribute: attrs.Attribute[Money], value: Money) -> None:
    if value.is_negative():
        raise InvalidAmount(f"'{attribute.name}' must not be negative, got {value}")


@attrs.frozen
class LineItem:
    """One product variant in some quantity at a unit price.

    ``requires_shipping`` is False for digital goods and gift cards; ``pre_order`` is the
    expected availability date; ``requires_manual_review`` marks personalised items that a
    person must check before fulfillment.
    """

    id: str = attrs.field(validator=TEXT)
    title: str = attrs.field(validator=TEXT)
    quantity: int = attrs.field(validator=_positive_quantity)
    unit_price: Money = attrs.field(validator=[MONEY, _not_negative])
    sku: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    variant_title: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    requires_shipping: bool = attrs.field(default=True, validator=BOOL)
    gift_card: bool = attrs.field(default=False, validator=BOOL)
    pre_order: date | None = attrs.field(default=None, validator=v.optional(v.instance_of(date)))
    requires_manual_review: bool = attrs.field(default=False, validator=BOOL)
    location: Location | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(Location))
    )
    """Where it is fulfilled from, when not the order's default location."""
    delivery_method: DeliveryMethod | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(DeliveryMethod))
    )
    """How it reaches the customer, when not the order's delivery method (e.g. picked up)."""

    @property
    def subtotal(self) -> Money:
        return self.unit_price * self.quantity


@attrs.frozen
class ShippingLine:
    """A delivery method the customer chose at checkout and its price."""

    title: str = attrs.field(validator=TEXT)
    price: Money = attrs.field(validator=[MONEY, _not_negative])
    code: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)


@attrs.frozen
class Discount:
    """An order-level discount; it is allocated to lines by largest remainder."""

    code: str = attrs.field(validator=TEXT)
    amount: Money = attrs.field(validator=[MONEY, _not_negative])


@attrs.frozen
class TaxLine:
    """A tax charged on the order, as computed at checkout (orderflow never invents a rate)."""

    title: str = attrs.field(validator=TEXT)
    rate: Decimal = attrs.field(validator=v.instance_of(Decimal))
    amount: Money = attrs.field(validator=[MONEY, _not_negative])
