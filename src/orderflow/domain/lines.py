"""What the customer bought: line items, and the order's shipping, discount and tax lines."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from decimal import Decimal

import attrs

from orderflow.domain._fields import BOOL, MONEY, instance_of, optional, optional_text, text, whole
from orderflow.domain.fulfillment import DeliveryMethod, Location
from orderflow.domain.limits import ID, MAX_QUANTITY, NAME, check_time
from orderflow.domain.money import Money
from orderflow.errors import InvalidAmount


def _not_negative(item: object, attribute: attrs.Attribute[Money], value: Money) -> None:
    """Money (see ``MONEY``), not below zero."""
    MONEY(item, attribute, value)
    if value.is_negative():
        raise InvalidAmount(f"'{attribute.name}' must not be negative, got {value}")


def _rate(item: object, attribute: attrs.Attribute[Decimal], value: object) -> None:
    if not isinstance(value, Decimal):
        raise TypeError(f"'{attribute.name}' must be a Decimal, got {type(value).__name__}")
    if not value.is_finite() or value.is_signed():
        raise InvalidAmount(f"a tax rate must be a finite decimal, not negative: got {value}")


def _opening_day(item: object, attribute: attrs.Attribute[date], value: object) -> None:
    """A pre-order's date: its fulfillment opens at its midnight UTC, which every time zone
    must be able to show (so not the calendar's first or last days)."""
    if not isinstance(value, date) or isinstance(value, datetime):
        raise TypeError(f"'{attribute.name}' must be a date, got {type(value).__name__}")
    check_time(datetime.combine(value, time(0), timezone.utc), f"LineItem.{attribute.name}")


@attrs.frozen
class LineItem:
    """One product variant in some quantity at a unit price.

    ``requires_shipping`` is False for digital goods and gift cards; ``pre_order`` is the
    expected availability date; ``requires_manual_review`` marks personalised items that a
    person must check before fulfillment.
    """

    id: str = attrs.field(validator=text(ID))
    title: str = attrs.field(validator=text(NAME))
    quantity: int = attrs.field(validator=whole(MAX_QUANTITY))
    unit_price: Money = attrs.field(validator=_not_negative)
    sku: str | None = attrs.field(default=None, validator=optional_text(NAME))
    variant_title: str | None = attrs.field(default=None, validator=optional_text(NAME))
    requires_shipping: bool = attrs.field(default=True, validator=BOOL)
    gift_card: bool = attrs.field(default=False, validator=BOOL)
    pre_order: date | None = attrs.field(default=None, validator=optional(_opening_day))
    requires_manual_review: bool = attrs.field(default=False, validator=BOOL)
    location: Location | None = attrs.field(default=None, validator=optional(instance_of(Location)))
    """Where it is fulfilled from, when not the order's default location."""
    delivery_method: DeliveryMethod | None = attrs.field(
        default=None, validator=optional(instance_of(DeliveryMethod))
    )
    """How it reaches the customer, when not the order's delivery method (e.g. picked up)."""

    @property
    def subtotal(self) -> Money:
        return self.unit_price * self.quantity


@attrs.frozen
class ShippingLine:
    """A delivery method the customer chose at checkout and its price."""

    title: str = attrs.field(validator=text(NAME))
    price: Money = attrs.field(validator=_not_negative)
    code: str | None = attrs.field(default=None, validator=optional_text(NAME))


@attrs.frozen
class Discount:
    """An order-level discount; it is allocated to lines by largest remainder."""

    code: str = attrs.field(validator=text(NAME))
    amount: Money = attrs.field(validator=_not_negative)


def _one_target(tax: TaxLine, attribute: attrs.Attribute[bool], value: object) -> None:
    BOOL(tax, attribute, value)
    if value and tax.line_item_id is not None:
        raise InvalidAmount(
            f"tax line {tax.title!r} is tied to line {tax.line_item_id!r} and to shipping: "
            "a tax line is charged on one line, on shipping, or on the whole order"
        )


@attrs.frozen
class TaxLine:
    """A tax charged at checkout (orderflow never invents a rate): on one line item
    (``line_item_id``), on shipping (``shipping``), or on the whole order (neither).

    A refund returns a line's own tax lines, and of the whole order's a share in proportion
    to what the line was charged (see :mod:`orderflow.domain.refunding`).
    """

    title: str = attrs.field(validator=text(NAME))
    rate: Decimal = attrs.field(validator=_rate)
    """As a fraction (0.20 for 20%): finite and not negative."""
    amount: Money = attrs.field(validator=_not_negative)
    line_item_id: str | None = attrs.field(default=None, validator=optional_text(ID))
    shipping: bool = attrs.field(default=False, validator=_one_target)
