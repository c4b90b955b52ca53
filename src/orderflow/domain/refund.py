"""Refunds of lines and shipping: what was given back, line by line, and why.

A :class:`Refund` is a fact on the order: these quantities of these lines (each restocked
or not), this much shipping, with the tax each carried. Its value lowers the order's
current total from the moment it is recorded; the money goes back through refund
transactions (the ledger's), whose ids it keeps. Operations are in
:mod:`orderflow.domain.refunding`.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from orderflow.domain._fields import (
    AWARE,
    MONEY,
    instance_of,
    optional_text,
    text,
    texts,
    tuple_of,
    whole,
)
from orderflow.domain.limits import ID, MAX_LINE_ITEMS, MAX_ORDER_LINES, MAX_QUANTITY, NOTE
from orderflow.domain.lines import TaxLine
from orderflow.domain.money import Money


class RestockType(str, enum.Enum):
    """What happens to the refunded units (Shopify's restock types)."""

    RETURN = "return"
    """Fulfilled units that came back: restocked where they were fulfilled from."""
    CANCEL = "cancel"
    """Units not fulfilled yet: they leave their fulfillment orders and are restocked there."""
    NO_RESTOCK = "no_restock"
    """Not restocked (the customer keeps a damaged item, say): fulfilled units first, then
    units not fulfilled yet, which leave their fulfillment orders."""


class RefundReason(str, enum.Enum):
    """Why money went back: a documented, closed set (a ``note`` says the rest)."""

    CUSTOMER_REQUEST = "customer_request"
    DAMAGED = "damaged"
    DEFECTIVE = "defective"
    WRONG_ITEM = "wrong_item"
    NOT_RECEIVED = "not_received"
    OUT_OF_STOCK = "out_of_stock"
    PRICE_ADJUSTMENT = "price_adjustment"
    GOODWILL = "goodwill"
    OTHER = "other"


@attrs.frozen
class RefundLine:
    """What staff asks to refund: ``quantity`` units of one line, and their restock type."""

    line_item_id: str = attrs.field(validator=text(ID))
    quantity: int = attrs.field(validator=whole(MAX_QUANTITY))
    restock_type: RestockType = attrs.field(
        default=RestockType.NO_RESTOCK, validator=instance_of(RestockType)
    )


@attrs.frozen(kw_only=True)
class RefundedLine:
    """Units of one line a refund gave back, all from one place.

    ``amount`` is their price less their share of the order's discounts; ``taxes`` the tax
    they carried, one entry per tax line of the order (so rates never mix); ``removed`` how
    many of them were not fulfilled and left their fulfillment orders; ``location_id`` where
    they are restocked (``None``: not restocked).
    """

    line_item_id: str = attrs.field(validator=text(ID))
    quantity: int = attrs.field(validator=whole(MAX_QUANTITY))
    restock_type: RestockType = attrs.field(validator=instance_of(RestockType))
    removed: int = attrs.field(validator=whole(MAX_QUANTITY, least=0))
    location_id: str | None = attrs.field(validator=optional_text(ID))
    amount: Money = attrs.field(validator=MONEY)
    taxes: tuple[TaxLine, ...] = attrs.field(validator=tuple_of(TaxLine, MAX_ORDER_LINES))


@attrs.frozen(kw_only=True)
class Refund:
    """One refund: lines and shipping given back, their value, and the money requested."""

    id: str = attrs.field(validator=text(ID))
    created_at: datetime = attrs.field(validator=AWARE)
    reason: RefundReason = attrs.field(validator=instance_of(RefundReason))
    note: str | None = attrs.field(default=None, validator=optional_text(NOTE))
    lines: tuple[RefundedLine, ...] = attrs.field(
        default=(), validator=tuple_of(RefundedLine, MAX_LINE_ITEMS)
    )
    shipping: Money = attrs.field(validator=MONEY)
    """The shipping price given back, tax apart."""
    shipping_taxes: tuple[TaxLine, ...] = attrs.field(
        default=(), validator=tuple_of(TaxLine, MAX_ORDER_LINES)
    )
    amount: Money = attrs.field(validator=MONEY)
    """Given back beyond the lines and shipping (a goodwill gesture): like a plain
    ``refund``, it lowers the current total once its money is returned."""
    transaction_ids: tuple[str, ...] = attrs.field(
        default=(), validator=texts(tuple, ID, MAX_ORDER_LINES)
    )
    """The refund transactions that return its money (none when it was worth nothing)."""

    def value(self, taxes_included: bool) -> Money:
        """What it lowers the order's current total by: goods and shipping, with their
        taxes unless the prices include them."""
        parts = [line.amount for line in self.lines] + [self.shipping]
        if not taxes_included:
            parts += [tax.amount for line in self.lines for tax in line.taxes]
            parts += [tax.amount for tax in self.shipping_taxes]
        return Money.total(parts, self.shipping.currency)
