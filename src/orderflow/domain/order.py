"""The Order aggregate: everything about one order after checkout, frozen.

Every field is immutable (frozen attrs, tuples, frozensets); a domain operation returns a
:class:`Change` holding the new order and the events it caused, so a failed operation
cannot leave anything half-changed and a reader never sees a change in progress.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import TypeVar

import attrs

from orderflow.domain._fields import (
    AWARE,
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
from orderflow.domain._revise import revised
from orderflow.domain.customer import Address, Customer
from orderflow.domain.dispute import Dispute
from orderflow.domain.events import OrderEvent
from orderflow.domain.fulfillment import Fulfillment, FulfillmentOrder
from orderflow.domain.limits import (
    KEY,
    MAX_FULFILLMENT_ORDERS,
    MAX_FULFILLMENTS,
    MAX_LINE_ITEMS,
    MAX_MINOR_UNITS,
    MAX_ORDER_LINES,
    MAX_ORDER_NUMBER,
    MAX_REFUNDS,
    MAX_TAGS,
    MAX_TIMELINE,
    MAX_TRANSACTIONS,
    NOTE,
    ORDER_ID,
    TAG,
)
from orderflow.domain.lines import Discount, LineItem, ShippingLine, TaxLine
from orderflow.domain.machines import ARCHIVE_TABLE, ORDER_TABLE, ArchiveStatus, OrderStatus
from orderflow.domain.money import Money, minor_unit
from orderflow.domain.refund import Refund
from orderflow.domain.timeline import TimelineEntry, entry_for
from orderflow.domain.transaction import Transaction, TransactionKind
from orderflow.errors import (
    CurrencyMismatch,
    DuplicateId,
    FulfillmentNotFound,
    FulfillmentOrderNotFound,
    InvalidAmount,
    InvalidQuantity,
    OverFulfillment,
    TransactionNotFound,
    UnknownLineItem,
)

_ZERO = Decimal(0)

SCHEMA_VERSION = 5
"""Shape of the stored order document; bump it with an upgrade step in serialization."""


class CancelReason(str, enum.Enum):
    CUSTOMER = "customer"
    DECLINED = "declined"
    """Payment declined."""
    FRAUD = "fraud"
    INVENTORY = "inventory"
    STAFF = "staff"
    OTHER = "other"


_TOTAL_FIELDS = (
    "currency",
    "line_items",
    "shipping_lines",
    "discounts",
    "tax_lines",
    "taxes_included",
)


def _count(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TypeError(f"'{attribute.name}' must be a non-negative int, got {value!r}")


@attrs.frozen(kw_only=True)
class Order:
    """The aggregate root. Derived figures (totals, statuses) are computed, never stored."""

    id: str = attrs.field(validator=text(ORDER_ID))
    number: int = attrs.field(validator=whole(MAX_ORDER_NUMBER))
    currency: str = attrs.field(validator=instance_of(str))
    customer: Customer = attrs.field(validator=instance_of(Customer))
    line_items: tuple[LineItem, ...] = attrs.field(
        default=(), validator=tuple_of(LineItem, MAX_LINE_ITEMS)
    )
    placed_at: datetime = attrs.field(validator=AWARE)
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
    transactions: tuple[Transaction, ...] = attrs.field(
        default=(), validator=tuple_of(Transaction, MAX_TRANSACTIONS)
    )
    refunds: tuple[Refund, ...] = attrs.field(default=(), validator=tuple_of(Refund, MAX_REFUNDS))
    """Lines and shipping given back (refunds of amounts alone are transactions only)."""
    disputes: tuple[Dispute, ...] = attrs.field(
        default=(), validator=tuple_of(Dispute, MAX_TRANSACTIONS)
    )
    """Chargebacks and inquiries against its payments, as the gateway reported them."""
    fulfillment_orders: tuple[FulfillmentOrder, ...] = attrs.field(
        default=(), validator=tuple_of(FulfillmentOrder, MAX_FULFILLMENT_ORDERS)
    )
    fulfillments: tuple[Fulfillment, ...] = attrs.field(
        default=(), validator=tuple_of(Fulfillment, MAX_FULFILLMENTS)
    )
    timeline: tuple[TimelineEntry, ...] = attrs.field(
        default=(), validator=tuple_of(TimelineEntry, MAX_TIMELINE)
    )
    status: OrderStatus = attrs.field(default="open", validator=ORDER_TABLE.validator("order"))
    archive_status: ArchiveStatus = attrs.field(
        default="active", validator=ARCHIVE_TABLE.validator("order")
    )
    cancelled_at: datetime | None = attrs.field(default=None, validator=OPTIONAL_AWARE)
    cancel_reason: CancelReason | None = attrs.field(
        default=None, validator=optional(instance_of(CancelReason))
    )
    archived_at: datetime | None = attrs.field(default=None, validator=OPTIONAL_AWARE)
    archive_at: datetime | None = attrs.field(default=None, validator=OPTIONAL_AWARE)
    """When the archive policy will archive the finished order (after its delay)."""
    keep_active: bool = attrs.field(default=False, validator=instance_of(bool))
    """Staff unarchived the order: automatic archiving leaves it alone from then on."""
    refund_on_cancel: bool = attrs.field(default=False, validator=BOOL)
    """The cancellation asked for a refund: money taken after it (a capture that was in
    flight, a late sale) is refunded as it comes in."""
    version: int = attrs.field(default=0, validator=_count)
    """How many times the order was saved; the repository's concurrency check."""
    schema_version: int = attrs.field(default=SCHEMA_VERSION, validator=_count)

    __carried__ = {"total": frozenset(_TOTAL_FIELDS)}  # noqa: RUF012 (read by revised())
    """The cached total and the fields it is computed from: a change that leaves those
    fields as they are keeps it (``_revise.revised``). Not ``current_total``: it is cheap
    once ``total`` is known, and most orders a change starts from never computed it, so
    carrying it mostly meant catching its absence (an exception, dearer than the sum)."""

    @property
    def name(self) -> str:
        """The number as merchants say it: ``#1001``."""
        return f"#{self.number}"

    def __str__(self) -> str:
        return f"order {self.name} ({self.id})"

    # -- totals -----------------------------------------------------------------------

    # Each part is defined once, as a plain decimal sum: every amount on the order is
    # already exact in its currency (checked when placed or loaded), and ``total`` is read
    # often, so it builds one Money rather than one per part.

    def _goods(self) -> Decimal:
        return sum((line.unit_price.amount * line.quantity for line in self.line_items), _ZERO)

    def _shipping(self) -> Decimal:
        return sum((s.price.amount for s in self.shipping_lines), _ZERO)

    def _discounts(self) -> Decimal:
        return sum((d.amount.amount for d in self.discounts), _ZERO)

    def _taxes(self) -> Decimal:
        return sum((t.amount.amount for t in self.tax_lines), _ZERO)

    @property
    def subtotal(self) -> Money:
        return Money(self._goods(), self.currency)

    @property
    def shipping_total(self) -> Money:
        return Money(self._shipping(), self.currency)

    @property
    def discount_total(self) -> Money:
        return Money(self._discounts(), self.currency)

    @property
    def tax_total(self) -> Money:
        return Money(self._taxes(), self.currency)

    @cached_property  # every part of it is immutable: computed once per order object
    def total(self) -> Money:
        """What the customer agreed to pay at checkout: subtotal + shipping - discounts
        (+ taxes unless included)."""
        amount = self._goods() + self._shipping() - self._discounts()
        return Money(amount if self.taxes_included else amount + self._taxes(), self.currency)

    @cached_property
    def current_total(self) -> Money:
        """What the order is worth now: the total less what refunds gave back (the lines and
        shipping of :attr:`refunds` at once, the adjustments of refund transactions once
        they succeed, and of chargebacks once lost); 0 once cancelled."""
        if self.status == "cancelled":
            return Money.zero(self.currency)
        adjusted = [tx.adjustment for tx in self.transactions if tx.adjustment and tx.succeeded]
        if self.refunds:
            adjusted += [refund.value(self.taxes_included) for refund in self.refunds]
        if self.disputes:
            adjusted += [d.adjustment for d in self.disputes if d.adjustment and d.returned]
        if not adjusted:
            return self.total
        return self.total - Money.total(adjusted, self.currency)

    def line_discounts(self) -> tuple[Money, ...]:
        """The order's discounts allocated to its lines in proportion to their subtotals."""
        weights = [line.subtotal.minor_units for line in self.line_items]
        if not any(weights):
            return tuple(Money.zero(self.currency) for _ in self.line_items)
        return self.discount_total.allocate(weights)

    # -- lookups ----------------------------------------------------------------------

    def transaction(self, transaction_id: str) -> Transaction:
        for tx in self.transactions:
            if tx.id == transaction_id:
                return tx
        raise TransactionNotFound(f"{self} has no transaction {transaction_id!r}")

    def line_item(self, line_item_id: str) -> LineItem:
        for line in self.line_items:
            if line.id == line_item_id:
                return line
        raise UnknownLineItem(f"{self} has no line item {line_item_id!r}")

    def fulfillment_order(self, fulfillment_order_id: str) -> FulfillmentOrder:
        for fo in self.fulfillment_orders:
            if fo.id == fulfillment_order_id:
                return fo
        raise FulfillmentOrderNotFound(f"{self} has no fulfillment order {fulfillment_order_id!r}")

    def fulfillment(self, fulfillment_id: str) -> Fulfillment:
        for f in self.fulfillments:
            if f.id == fulfillment_id:
                return f
        raise FulfillmentNotFound(f"{self} has no fulfillment {fulfillment_id!r}")

    def with_transaction(self, tx: Transaction) -> Order:
        """The order with ``tx`` replacing the transaction with the same id (or added)."""
        return revised(self, transactions=_replaced(self.transactions, tx))

    def with_fulfillment_order(self, fo: FulfillmentOrder) -> Order:
        return revised(self, fulfillment_orders=_replaced(self.fulfillment_orders, fo))

    def with_fulfillment(self, fulfillment: Fulfillment) -> Order:
        return revised(self, fulfillments=_replaced(self.fulfillments, fulfillment))

    def with_new_transaction(self, tx: Transaction) -> Order:
        """The order with a new transaction; :class:`DuplicateId` if its id is taken."""
        fresh(self, tx.id, (t.id for t in self.transactions), "transaction")
        return revised(self, transactions=(*self.transactions, tx))

    def with_new_fulfillment_order(self, fo: FulfillmentOrder) -> Order:
        fresh(self, fo.id, (f.id for f in self.fulfillment_orders), "fulfillment order")
        return revised(self, fulfillment_orders=(*self.fulfillment_orders, fo))

    def with_new_fulfillment(self, fulfillment: Fulfillment) -> Order:
        fresh(self, fulfillment.id, (f.id for f in self.fulfillments), "fulfillment")
        return revised(self, fulfillments=(*self.fulfillments, fulfillment))

    def hold_ids(self) -> Iterator[str]:
        """The ids of the active holds of every fulfillment order."""
        return (hold.id for fo in self.fulfillment_orders for hold in fo.holds)


_T = TypeVar("_T", Transaction, FulfillmentOrder, Fulfillment)


def _replaced(items: tuple[_T, ...], item: _T) -> tuple[_T, ...]:
    """``items`` with ``item`` replacing the one with its id, or appended."""
    if any(i.id == item.id for i in items):
        return tuple(item if i.id == item.id else i for i in items)
    return items + (item,)  # noqa: RUF005 (mypy cannot type the unpacking of a TypeVar tuple)


def fresh(order: Order, new: str, taken: Iterable[str], what: str) -> str:
    """``new`` if no ``what`` of ``order`` has that id yet; else :class:`DuplicateId`."""
    if new in taken:
        raise DuplicateId(
            f"{order}: another {what} already has id {new!r}; ids must be unique within an "
            "order (is an id generator shared by flows that do not share its counter?)"
        )
    return new


@attrs.frozen
class Change:
    """The result of a domain operation: the new order and the events that explain it."""

    order: Order
    events: tuple[OrderEvent, ...] = ()

    def then(self, other: Change) -> Change:
        """This change followed by ``other`` (made from ``self.order``)."""
        if not self.events:  # changes are values: either one may stand for the two
            return other
        if not other.events and other.order is self.order:
            return self
        return Change(other.order, self.events + other.events)

    def recorded(self, version: int | None = None) -> Change:
        """This change with one timeline entry per event appended to the order (and, for
        the service, its new ``version``), in a single copy."""
        if not self.events and version is None:
            return self
        entries = tuple(entry_for(event) for event in self.events)
        facts: dict[str, object] = {"timeline": self.order.timeline + entries}
        if version is not None:
            facts["version"] = version
        return Change(revised(self.order, **facts), self.events)


def check_consistency(order: Order) -> Order:
    """Refuse an order whose parts disagree, anywhere in its graph: currencies, ids repeated
    within the order, a negative or impossible total, quantities across fulfillment orders
    and fulfillments that do not match the lines, payments whose parents are missing or of
    the wrong kind, refunds beyond what they return unless a review recorded it.

    Run when an order is placed and when a stored document is loaded (a hand-edited
    document must meet every rule); operations keep these properties by construction.
    """
    currency = order.currency
    minor_unit(currency)
    # one loop per kind of amount, in this order: the first in another currency is named
    for line in order.line_items:
        if line.unit_price.currency != currency:
            _mismatch(order, line.unit_price)
    for shipping in order.shipping_lines:
        if shipping.price.currency != currency:
            _mismatch(order, shipping.price)
    for amount in [d.amount for d in order.discounts] + [t.amount for t in order.tax_lines]:
        if amount.currency != currency:
            _mismatch(order, amount)
    for tx in order.transactions:
        if tx.amount.currency != currency:
            _mismatch(order, tx.amount)
    for refund in order.refunds:
        for amount in _amounts_of(refund):
            if amount.currency != currency:
                _mismatch(order, amount)
    for dispute in order.disputes:
        for amount in (dispute.amount, dispute.adjustment or dispute.amount):
            if amount.currency != currency:
                _mismatch(order, amount)
    if not order.line_items:
        raise InvalidQuantity(f"{order}: an order needs at least one line item")
    _check_ids(order)
    total = order.total
    if total.is_negative():
        raise InvalidAmount(
            f"{order}: discounts ({order.discount_total}) exceed the goods and shipping"
        )
    if total.minor_units > MAX_MINOR_UNITS:
        raise InvalidAmount(f"{order}: its total {total} is beyond the largest amount stored")
    _check_quantities(order)
    _check_payments(order)
    if order.refunds or any(t.line_item_id is not None for t in order.tax_lines):
        _check_refunds(order)
    if order.disputes:
        _check_disputes(order)
    return order


def _check_disputes(order: Order) -> None:
    """Each dispute names one of the order's captures or sales, its own id once, and no
    more than it disputes lowers what the order is worth."""
    _unique(order, "disputes", [d.id for d in order.disputes])
    payments = {
        tx.id: tx
        for tx in order.transactions
        if tx.kind in (TransactionKind.CAPTURE, TransactionKind.SALE) and tx.succeeded
    }
    for dispute in order.disputes:
        if dispute.transaction_id not in payments:
            raise TransactionNotFound(
                f"{order}: dispute {dispute.id} names payment {dispute.transaction_id!r}, which "
                "is not a succeeded capture or sale of the order"
            )
        if dispute.adjustment is not None and dispute.adjustment > dispute.amount:
            raise InvalidAmount(
                f"{order}: dispute {dispute.id} lowers the order by {dispute.adjustment}, more "
                f"than the {dispute.amount} it disputes"
            )


def _amounts_of(refund: Refund) -> Iterator[Money]:
    yield refund.shipping
    yield refund.amount
    yield from (tax.amount for tax in refund.shipping_taxes)
    for line in refund.lines:
        yield line.amount
        yield from (tax.amount for tax in line.taxes)


def _check_refunds(order: Order) -> None:
    """Tax lines name lines the order has; refunds name its lines and refund transactions,
    give back no more of a line than was ordered (no more fulfilled units than are
    fulfilled, no more unfulfilled ones than left their fulfillment orders), and no more
    shipping than was charged."""
    ordered = {line.id: line.quantity for line in order.line_items}
    for tax in order.tax_lines:
        if tax.line_item_id is not None and tax.line_item_id not in ordered:
            raise UnknownLineItem(
                f"{order}: tax line {tax.title!r} is charged on line {tax.line_item_id!r}, "
                "which the order does not have"
            )
    refunds = {tx.id for tx in order.transactions if tx.kind is TransactionKind.REFUND}
    refunded: dict[str, int] = dict.fromkeys(ordered, 0)
    kept: dict[str, int] = dict.fromkeys(ordered, 0)
    for refund in order.refunds:
        missing = [i for i in refund.transaction_ids if i not in refunds]
        if missing:
            raise TransactionNotFound(
                f"{order}: refund {refund.id} names transactions {', '.join(missing)}, which "
                "are not refunds of the order"
            )
        for line in refund.lines:
            if line.line_item_id not in ordered:
                raise UnknownLineItem(
                    f"{order}: refund {refund.id} gives back line {line.line_item_id!r}, "
                    "which the order does not have"
                )
            if line.removed > line.quantity:
                raise InvalidQuantity(
                    f"{order}: refund {refund.id} takes {line.removed} units of line "
                    f"{line.line_item_id!r} out of fulfillment, of the {line.quantity} it refunds"
                )
            refunded[line.line_item_id] += line.quantity
            kept[line.line_item_id] += line.quantity - line.removed
    fulfilled: dict[str, int] = dict.fromkeys(ordered, 0)
    for f in order.fulfillments:
        if f.active:
            for q in f.lines:
                fulfilled[q.line_item_id] += q.quantity
    withdrawn: dict[str, int] = dict.fromkeys(ordered, 0)
    for fo in order.fulfillment_orders:
        if fo.status == "cancelled":
            for q in fo.lines:
                withdrawn[q.line_item_id] += q.quantity
    for line_id, quantity in ordered.items():
        if refunded[line_id] > quantity:
            raise InvalidQuantity(
                f"{order}: refunds give back {refunded[line_id]} of line {line_id!r}, which "
                f"was ordered {quantity} times"
            )
        if refunded[line_id] - kept[line_id] > withdrawn[line_id]:
            raise InvalidQuantity(
                f"{order}: refunds took {refunded[line_id] - kept[line_id]} units of line "
                f"{line_id!r} out of fulfillment, but its cancelled fulfillment orders hold "
                f"{withdrawn[line_id]}"
            )
        if kept[line_id] > fulfilled[line_id]:
            raise InvalidQuantity(
                f"{order}: refunds give back {kept[line_id]} fulfilled units of line "
                f"{line_id!r}, of which {fulfilled[line_id]} are fulfilled"
            )
    shipping = sum((r.shipping.amount for r in order.refunds), _ZERO)
    if shipping > order._shipping():
        raise InvalidAmount(
            f"{order}: refunds give back {shipping} of shipping, more than its "
            f"{order.shipping_total}"
        )


def _mismatch(order: Order, amount: Money) -> None:
    raise CurrencyMismatch(
        f"{order}: amount {amount} is not in the order's currency {order.currency}"
    )


def _check_ids(order: Order) -> None:
    fos, fulfillments = order.fulfillment_orders, order.fulfillments
    for plural, items in (
        ("line items", order.line_items),
        ("transactions", order.transactions),
        ("fulfillment orders", fos),
        ("fulfillments", fulfillments),
    ):
        if len(items) > 1:  # one item, or none, shares its id with nothing
            _unique(order, plural, [item.id for item in items])
    if len(fulfillments) > 1:
        _unique(order, "labels", [f.label.id for f in fulfillments if f.label is not None])
    if len(fos) > 1:
        _unique(order, "service requests", [fo.request.id for fo in fos if fo.request is not None])
    for fo in fos:  # a split keeps a hold on both parts, under its id: unique within each part
        if len(fo.holds) > 1:
            _unique(order, f"holds of fulfillment order {fo.id}", [h.id for h in fo.holds])


def _unique(order: Order, plural: str, ids: list[str]) -> None:
    if len(set(ids)) != len(ids):
        twice = sorted({i for i in ids if ids.count(i) > 1})
        raise DuplicateId(f"{order}: two {plural} share an id ({', '.join(twice)})")


def _check_quantities(order: Order) -> None:
    ordered = {line.id: line.quantity for line in order.line_items}
    assigned: dict[str, int] = dict.fromkeys(ordered, 0)
    for fo in order.fulfillment_orders:
        for q in fo.lines:
            if q.line_item_id not in ordered:
                raise UnknownLineItem(
                    f"{order}: fulfillment order {fo.id} holds line {q.line_item_id!r}, "
                    "which the order does not have"
                )
            assigned[q.line_item_id] += q.quantity
    for line_id, quantity in ordered.items():
        if assigned[line_id] != quantity:
            raise InvalidQuantity(
                f"{order}: its fulfillment orders hold {assigned[line_id]} of line "
                f"{line_id!r}, which was ordered {quantity} times"
            )
    fulfillments = order.fulfillments
    if not fulfillments and not any(fo.status == "closed" for fo in order.fulfillment_orders):
        return  # nothing fulfilled, and no fulfillment order says all is
    by_id = {fo.id: fo for fo in order.fulfillment_orders}
    done: dict[tuple[str, str], int] = {}
    for f in fulfillments:
        owner = by_id.get(f.fulfillment_order_id)
        if owner is None:
            raise FulfillmentOrderNotFound(
                f"{order}: fulfillment {f.id} belongs to fulfillment order "
                f"{f.fulfillment_order_id!r}, which the order does not have"
            )
        for q in f.lines:
            if q.line_item_id not in ordered:
                raise UnknownLineItem(
                    f"{order}: fulfillment {f.id} ships line {q.line_item_id!r}, which the "
                    "order does not have"
                )
            if not f.active:  # its record stands, wherever a split has moved its lines since
                continue
            if owner.quantity_of(q.line_item_id) == 0:
                raise UnknownLineItem(
                    f"{order}: fulfillment {f.id} ships line {q.line_item_id!r}, which its "
                    f"fulfillment order {owner.id} does not hold"
                )
            key = (owner.id, q.line_item_id)
            done[key] = done.get(key, 0) + q.quantity
    for fo in order.fulfillment_orders:
        for q in fo.lines:
            shipped = done.get((fo.id, q.line_item_id), 0)
            if shipped > q.quantity:
                raise OverFulfillment(
                    f"{order}: {shipped} of line {q.line_item_id!r} fulfilled from fulfillment "
                    f"order {fo.id}, which holds {q.quantity}"
                )
            if fo.status == "closed" and shipped < q.quantity:
                raise InvalidQuantity(
                    f"{order}: fulfillment order {fo.id} is closed with {q.quantity - shipped} "
                    f"of line {q.line_item_id!r} not fulfilled"
                )


_PARENT_KINDS = {
    TransactionKind.CAPTURE: (TransactionKind.AUTHORIZATION,),
    TransactionKind.VOID: (TransactionKind.AUTHORIZATION,),
    TransactionKind.REFUND: (TransactionKind.CAPTURE, TransactionKind.SALE),
}


def _check_payments(order: Order) -> None:
    """Parents exist and are of the right kind; what children take from a parent fits in
    it. A report that did not add up is allowed when it carries its ``review``."""
    by_id = {tx.id: tx for tx in order.transactions}
    taken: dict[str, Decimal] = {}
    for tx in order.transactions:
        kinds = _PARENT_KINDS.get(tx.kind)
        parent = by_id.get(tx.parent_id) if tx.parent_id is not None else None
        if tx.parent_id is not None and (
            parent is None or kinds is None or parent.kind not in kinds
        ):
            raise TransactionNotFound(
                f"{order}: {tx.kind.value} {tx.id} names parent {tx.parent_id!r}, which is not "
                f"one of the order's {' or '.join(k.value for k in kinds or ())} transactions"
            )
        if tx.review is not None or tx.kind not in _PARENT_KINDS or tx.status != "succeeded":
            continue  # intents in flight may still fail; what did not add up carries its review
        if parent is None:
            raise TransactionNotFound(
                f"{order}: succeeded {tx.kind.value} {tx.id} names no parent and no review"
            )
        if tx.kind is TransactionKind.VOID:
            continue
        if tx.kind is TransactionKind.REFUND and parent.status != "succeeded":
            raise InvalidAmount(
                f"{order}: refund {tx.id} returns {parent.kind.value} {parent.id}, which is "
                f"{parent.status}, and names no review"
            )
        taken[parent.id] = taken.get(parent.id, _ZERO) + tx.amount.amount
        if taken[parent.id] > parent.amount.amount:
            raise InvalidAmount(
                f"{order}: the succeeded {tx.kind.value}s of {parent.kind.value} {parent.id} "
                f"come to more than its {parent.amount}, and name no review"
            )
