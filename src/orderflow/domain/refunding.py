"""Refunds per line: the per-line ledger, what may be given back, and giving it back.

Exact to the minor unit, by one rule. A line's share of the order's discounts, and its
share of each tax line that applies to it, are spread over its units *cumulatively*: the
share of its first ``m`` units is ``share * m / quantity``, rounded half up in minor
units, and units ``k+1..m`` carry the share of ``m`` less the share of ``k``. Refunding a
line unit by unit therefore returns exactly what refunding it at once does, and the last
unit refunded makes the sums whole. Shipping is spread the same way over its amount.

Which tax applies where: a tax line tied to a line item is that line's alone; one tied to
shipping is the shipping's; one of the whole order is split over the lines (as charged,
after discounts) and the shipping by largest remainder. A refund returns each tax line's
share under that tax line's title and rate, so rates never mix and no line gives back a tax
it did not carry.

A refund lowers the order's current total by what it gives back for goods and shipping
(taxes included), and returns that much money through refund transactions, so a refund
alone never changes the balance; money that was never taken cannot be refunded
(:class:`~orderflow.errors.PaymentError`: cancel unfulfilled units before capture instead).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Literal

import attrs

from orderflow.domain import ledger
from orderflow.domain._revise import revised
from orderflow.domain.actor import Actor
from orderflow.domain.events import (
    FulfillmentOrderCancelled,
    LinesCancelled,
    OrderEvent,
    OrderFulfilled,
    RefundCreated,
)
from orderflow.domain.fulfillment import LineQuantity
from orderflow.domain.fulfillment_status import progress, remaining
from orderflow.domain.holds import split
from orderflow.domain.limits import NOTE, check_optional
from orderflow.domain.lines import TaxLine
from orderflow.domain.money import Money
from orderflow.domain.order import Change, Order, fresh
from orderflow.domain.payments import NewId, in_currency, request_refund, void_surplus
from orderflow.domain.refund import Refund, RefundedLine, RefundLine, RefundReason, RestockType
from orderflow.domain.transaction import TransactionKind
from orderflow.errors import (
    InvalidAmount,
    InvalidQuantity,
    InvalidTransition,
    OverRefund,
    PaymentError,
)

Shipping = Money | Literal["remaining"] | None
"""Shipping to refund: an amount, ``"remaining"`` (all not yet refunded), or none."""


@attrs.frozen
class LineLedger:
    """One line's quantities: the single count refunds (and, later, edits and returns)
    check against."""

    line_item_id: str
    ordered: int
    fulfilled: int
    """By fulfillments not cancelled."""
    refunded: int
    removed: int
    """Refunded units that were not fulfilled: they left their fulfillment orders."""
    restocked: int

    @property
    def refundable(self) -> int:
        return self.ordered - self.refunded

    @property
    def returnable(self) -> int:
        """Fulfilled units not refunded yet (restock type ``return``)."""
        return self.fulfilled - (self.refunded - self.removed)

    @property
    def cancellable(self) -> int:
        """Units neither fulfilled nor refunded (restock type ``cancel``)."""
        return self.ordered - self.fulfilled - self.removed


def line_ledger(order: Order) -> dict[str, LineLedger]:
    """Every line's :class:`LineLedger`, by line item id, in the order's line order."""
    fulfilled: Counter[str] = Counter()
    for fulfillment in order.fulfillments:
        if fulfillment.active:
            for q in fulfillment.lines:
                fulfilled[q.line_item_id] += q.quantity
    refunded: Counter[str] = Counter()
    removed: Counter[str] = Counter()
    restocked: Counter[str] = Counter()
    for refund in order.refunds:
        for line in refund.lines:
            refunded[line.line_item_id] += line.quantity
            removed[line.line_item_id] += line.removed
            if line.location_id is not None:
                restocked[line.line_item_id] += line.quantity
    return {
        line.id: LineLedger(
            line.id,
            line.quantity,
            fulfilled[line.id],
            refunded[line.id],
            removed[line.id],
            restocked[line.id],
        )
        for line in order.line_items
    }


# -- what each line and the shipping were charged -----------------------------------------------


@attrs.frozen
class _Charged:
    """What a line (or the shipping) was charged: its discount share and its portion of each
    tax line that applies to it, spread over ``units`` (a line's quantity, or the shipping's
    minor units)."""

    units: int
    discount: Money
    taxes: tuple[TaxLine, ...]

    def given_back(self, start: int, count: int) -> tuple[Money, tuple[TaxLine, ...]]:
        """The discount and taxes of units ``start+1 .. start+count``."""
        if not count:
            return self.discount - self.discount, ()
        end = start + count
        taxes = tuple(
            revised(
                tax,
                amount=_share(tax.amount, end, self.units) - _share(tax.amount, start, self.units),
            )
            for tax in self.taxes
        )
        discount = _share(self.discount, end, self.units) - _share(self.discount, start, self.units)
        return discount, tuple(tax for tax in taxes if tax.amount.is_positive())


def _share(whole: Money, part: int, of: int) -> Money:
    """``whole * part / of``, rounded half up to the minor unit (``of`` positive)."""
    units = whole.minor_units
    return Money.from_minor((2 * units * part + of) // (2 * of), whole.currency)


def _charged(order: Order) -> tuple[dict[str, _Charged], _Charged]:
    lines, currency = order.line_items, order.currency
    discounts = order.line_discounts()
    net = [line.subtotal - share for line, share in zip(lines, discounts, strict=True)]
    shipping = order.shipping_total
    weights = [m.minor_units for m in net] + [shipping.minor_units]
    own: dict[str, list[TaxLine]] = {line.id: [] for line in lines}
    on_shipping: list[TaxLine] = []
    for tax in order.tax_lines:
        if tax.line_item_id is not None:
            own[tax.line_item_id].append(tax)
        elif tax.shipping:
            on_shipping.append(tax)
        elif any(weights):
            *parts, shipped = tax.amount.allocate(weights)
            for line, part in zip(lines, parts, strict=True):
                own[line.id].append(revised(tax, amount=part))
            on_shipping.append(revised(tax, amount=shipped))
    charged = {
        line.id: _Charged(line.quantity, share, tuple(own[line.id]))
        for line, share in zip(lines, discounts, strict=True)
    }
    return charged, _Charged(shipping.minor_units, Money.zero(currency), tuple(on_shipping))


# -- suggesting ---------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Refundable:
    """The most a line may still give back: its units left to refund and their worth
    (price less discounts, with taxes unless the prices include them)."""

    line_item_id: str
    quantity: int
    amount: Money


@attrs.frozen(kw_only=True)
class SuggestedRefund:
    """What a refund of the chosen lines and shipping would give back, and the most that
    may be refunded: what a staff screen shows before confirming."""

    lines: tuple[RefundedLine, ...]
    shipping: Money
    shipping_taxes: tuple[TaxLine, ...]
    subtotal: Money
    """The lines' price less their discounts."""
    tax: Money
    total: Money
    """What it would return: subtotal and shipping, with their taxes unless included."""
    most: tuple[Refundable, ...]
    """Per line, all that is left to refund (lines fully refunded are left out)."""
    most_shipping: Money
    """Shipping left to refund (the original shipping is refundable once in total)."""
    refundable: Money
    """Money that can go back now: taken, less refunded and refunds in flight."""


def suggested_refund(
    order: Order, lines: Iterable[RefundLine] = (), shipping: Shipping = None
) -> SuggestedRefund:
    """What refunding ``lines`` and ``shipping`` would give back, checked as
    :func:`refund_lines` checks it (:class:`OverRefund` beyond what is left), and the most
    that may be refunded per line and in all. Pure: nothing is refunded."""
    return _plan(order, lines, shipping, withdraw=None)[1]


def _plan(
    order: Order,
    lines: Iterable[RefundLine],
    shipping: Shipping,
    withdraw: tuple[datetime, Actor] | None,
) -> tuple[Change, SuggestedRefund]:
    """The suggestion; with ``withdraw`` (when, who), also the change that takes the
    unfulfilled units out of their fulfillment orders, cancelled."""
    counts = line_ledger(order)
    charged, on_shipping = _charged(order)
    wanted = _wanted(order, lines, counts)
    change = Change(order)
    parts: list[RefundedLine] = []
    for (line_id, restock), quantity in wanted.items():
        line, count = order.line_item(line_id), counts[line_id]
        removed = 0
        if restock is RestockType.CANCEL:
            removed = quantity
        elif restock is RestockType.NO_RESTOCK:  # fulfilled units first
            returned = wanted.get((line_id, RestockType.RETURN), 0)
            removed = max(quantity - (count.returnable - returned), 0)
        places: list[tuple[str | None, int, int]] = []  # location, units, of which removed
        if removed and withdraw is not None:
            change, taken = _withdrawn(change, line_id, removed, *withdraw)
            if restock is RestockType.CANCEL:
                places += [(location, units, units) for location, units in taken]
            else:
                places.append((None, quantity, removed))
        elif restock is RestockType.RETURN:
            places.append((_shipped_from(order, line_id), quantity, 0))
        else:
            places.append((None, quantity, removed))
        start = count.refunded + sum(p.quantity for p in parts if p.line_item_id == line_id)
        for location, units, gone in places:
            discount, taxes = charged[line_id].given_back(start, units)
            parts.append(
                RefundedLine(
                    line_item_id=line_id,
                    quantity=units,
                    restock_type=restock,
                    removed=gone,
                    location_id=location,
                    amount=line.unit_price * units - discount,
                    taxes=taxes,
                )
            )
            start += units
    shipped, most_shipping = _shipping(order, shipping)
    refunded_shipping = order.shipping_total - most_shipping
    _, shipping_taxes = on_shipping.given_back(refunded_shipping.minor_units, shipped.minor_units)
    return change, _suggestion(
        order, tuple(parts), shipped, shipping_taxes, most_shipping, counts, charged
    )


def _wanted(
    order: Order, lines: Iterable[RefundLine], counts: dict[str, LineLedger]
) -> dict[tuple[str, RestockType], int]:
    """The quantities asked for, per line and restock type, checked against the ledger."""
    if isinstance(lines, (str, RefundLine)):
        raise TypeError("'lines' must be an iterable of RefundLine, not a single one")
    wanted: Counter[tuple[str, RestockType]] = Counter()
    for line in lines:
        if not isinstance(line, RefundLine):
            raise TypeError(f"'lines' must hold RefundLine items, got {type(line).__name__}")
        order.line_item(line.line_item_id)  # UnknownLineItem
        wanted[line.line_item_id, line.restock_type] += line.quantity
    for line_id, count in counts.items():
        asked = {r: wanted[line_id, r] for r in RestockType if (line_id, r) in wanted}
        total = sum(asked.values())
        if total > count.refundable:
            raise OverRefund(
                f"{order}: {total} of line {line_id!r} asked to refund, but only "
                f"{count.refundable} of its {count.ordered} are left to refund"
            )
        returned = asked.get(RestockType.RETURN, 0)
        if returned > count.returnable:
            raise OverRefund(
                f"{order}: {returned} of line {line_id!r} asked to return, but only "
                f"{count.returnable} fulfilled units of it are not refunded yet"
            )
        cancelled = asked.get(RestockType.CANCEL, 0)
        kept = asked.get(RestockType.NO_RESTOCK, 0)
        unfulfilled_kept = max(kept - (count.returnable - returned), 0)
        if cancelled + unfulfilled_kept > count.cancellable:
            raise OverRefund(
                f"{order}: {cancelled} of line {line_id!r} asked to cancel, but only "
                f"{count.cancellable - unfulfilled_kept} units of it are not fulfilled and "
                "not refunded (fulfilled units are refunded with restock type return)"
            )
    return dict(wanted)


def _withdrawn(
    change: Change, line_id: str, quantity: int, now: datetime, actor: Actor
) -> tuple[Change, list[tuple[str, int]]]:
    """``quantity`` unfulfilled units of a line out of the fulfillment orders that hold them
    (first ones first), split off and cancelled; where they were, per location."""
    taken: list[tuple[str, int]] = []
    for fo in change.order.fulfillment_orders:
        if quantity == 0:
            break
        if fo.status in ("closed", "cancelled"):
            continue
        left = next(
            (q.quantity for q in remaining(change.order, fo) if q.line_item_id == line_id), 0
        )
        if not left:
            continue
        if fo.with_service:
            raise InvalidTransition(
                f"{change.order}: line {line_id!r} is with {fo.location.fulfillment_service} "
                f"in fulfillment order {fo.id}: request cancellation there first"
            )
        units = min(left, quantity)
        order = change.order
        change, part = split(order, fo, (LineQuantity(line_id, units),), now=now, actor=actor)
        cancelled = FulfillmentOrderCancelled(
            order_id=order.id, at=now, actor=actor, fulfillment_order_id=part.id
        )
        change = change.then(
            Change(
                change.order.with_fulfillment_order(part.moved("cancel", within=order)),
                (cancelled,),
            )
        )
        taken.append((fo.location.id, units))
        quantity -= units
    if quantity:  # the ledger counted them as not fulfilled: the fulfillment orders disagree
        raise OverRefund(
            f"{change.order}: {quantity} of line {line_id!r} are in no open fulfillment order"
        )
    return change, taken


def _shipped_from(order: Order, line_id: str) -> str:
    """Where a line was last fulfilled from (it has fulfilled units: the ledger said so):
    its returned units are restocked there."""
    last = next(
        f
        for f in reversed(order.fulfillments)
        if f.active and any(q.line_item_id == line_id for q in f.lines)
    )
    return order.fulfillment_order(last.fulfillment_order_id).location.id


def _shipping(order: Order, shipping: Shipping) -> tuple[Money, Money]:
    """The shipping asked for, and all that is left to refund of it."""
    refunded = Money.total((r.shipping for r in order.refunds), order.currency)
    left = order.shipping_total - refunded
    if shipping is None:
        return Money.zero(order.currency), left
    if shipping == "remaining":
        return left, left
    if isinstance(shipping, str):
        raise InvalidAmount(f"'shipping' must be Money, 'remaining' or None, got {shipping!r}")
    if not isinstance(shipping, Money):
        raise TypeError(f"'shipping' must be Money, 'remaining' or None, got {shipping!r}")
    in_currency(order, shipping)
    if shipping > left:
        raise OverRefund(
            f"{order}: cannot refund {shipping} of shipping; {left} of its "
            f"{order.shipping_total} is left to refund"
        )
    return shipping, left


def _suggestion(
    order: Order,
    lines: tuple[RefundedLine, ...],
    shipping: Money,
    shipping_taxes: tuple[TaxLine, ...],
    most_shipping: Money,
    counts: dict[str, LineLedger],
    charged: dict[str, _Charged],
) -> SuggestedRefund:
    currency = order.currency
    subtotal = Money.total((line.amount for line in lines), currency)
    tax = Money.total(
        [t.amount for line in lines for t in line.taxes] + [t.amount for t in shipping_taxes],
        currency,
    )
    most = []
    for line_id, count in counts.items():
        if count.refundable:
            line = order.line_item(line_id)
            discount, taxes = charged[line_id].given_back(count.refunded, count.refundable)
            worth = line.unit_price * count.refundable - discount
            if not order.taxes_included:
                worth = Money.total([worth, *(t.amount for t in taxes)], currency)
            most.append(Refundable(line_item_id=line_id, quantity=count.refundable, amount=worth))
    return SuggestedRefund(
        lines=lines,
        shipping=shipping,
        shipping_taxes=shipping_taxes,
        subtotal=subtotal,
        tax=tax,
        total=subtotal + shipping + (Money.zero(currency) if order.taxes_included else tax),
        most=tuple(most),
        most_shipping=most_shipping,
        refundable=ledger.refundable_total(order),
    )


# -- refunding ----------------------------------------------------------------------------------


def refund_lines(
    order: Order,
    lines: Iterable[RefundLine] = (),
    *,
    shipping: Shipping = None,
    amount: Money | None = None,
    reason: RefundReason,
    note: str | None = None,
    notify_customer: bool = True,
    new_id: NewId,
    now: datetime,
    actor: Actor,
) -> Change:
    """Give back chosen quantities of chosen lines (each with its restock type), shipping
    (an amount, or ``"remaining"``) and/or a further ``amount``, for ``reason``.

    The refund is recorded on the order (its lines and shipping lower the current total at
    once); units not fulfilled leave their fulfillment orders, cancelled; its money is
    requested from the latest captures and sales first, as refund transactions the outbox
    carries out (``notify_customer``: the customer hears of each once it succeeds). Units
    restocked go back to stock through the inventory port, also by the outbox.
    """
    _check(order, reason, note, "refund lines")
    extra = Money.zero(order.currency) if amount is None else in_currency(order, amount)
    change, suggested = _plan(order, lines, shipping, withdraw=(now, actor))
    if not (suggested.lines or suggested.shipping.is_positive() or extra.is_positive()):
        raise InvalidQuantity(f"{order}: nothing to refund: no lines, no shipping, no amount")
    asked = suggested.total + extra
    if asked > suggested.refundable:
        raise PaymentError(
            f"{order}: cannot refund {asked}; {suggested.refundable} is refundable (net paid "
            f"{ledger.net_paid(order)}, less refunds in progress): money not taken yet is "
            "released by cancelling what has not shipped or capturing less, not refunded"
        )
    refund = _refund(order, suggested, extra, reason, note, new_id, now)
    event = RefundCreated(
        order_id=order.id,
        at=now,
        actor=actor,
        refund_id=refund.id,
        lines=_quantities(refund),
        shipping=refund.shipping,
        total=asked,
        reason=reason.value,
        restocked=any(line.location_id is not None for line in refund.lines),
        note=note,
    )
    parts = ((suggested.total, False), (extra, True))
    return _recorded(change, refund, event, parts, notify_customer, new_id, now, actor)


def cancel_unfulfilled(
    order: Order,
    *,
    reason: RefundReason = RefundReason.OUT_OF_STOCK,
    note: str | None = None,
    notify_customer: bool = True,
    new_id: NewId,
    now: datetime,
    actor: Actor,
) -> Change:
    """Cancel every unit of an order that shipped part of itself and is not fulfilled yet:
    the shipped part stays; the rest leaves its fulfillment orders and goes back to stock
    where it was (it never left), recorded as a refund that lowers the current total.

    What was paid beyond the new total is refunded (the cancellation's message tells the
    customer, so the refunds send none of their own); what was only authorized is released:
    the authorizations the order no longer needs are voided, and one still needed for the
    shipped part captures less. An order that shipped nothing is cancelled whole
    (:func:`~orderflow.domain.cancellation.cancel`), not here.
    """
    _check(order, reason, note, "cancel what has not shipped")
    if not any(f.active for f in order.fulfillments):
        raise InvalidTransition(
            f"{order}: nothing has shipped: cancel the order instead of what has not shipped"
        )
    in_flight = [tx for tx in order.transactions if tx.kind in ledger.TAKEN and tx.pending]
    if in_flight:
        raise PaymentError(
            f"{order}: {in_flight[0].kind.value} {in_flight[0].id} is in flight: cancel what "
            "has not shipped once the gateway has answered it"
        )
    left = [
        RefundLine(line_id, count.cancellable, RestockType.CANCEL)
        for line_id, count in line_ledger(order).items()
        if count.cancellable
    ]
    if not left:
        raise OverRefund(f"{order}: every unit is fulfilled or refunded: nothing to cancel")
    change, suggested = _plan(order, left, None, withdraw=(now, actor))
    refund = _refund(order, suggested, Money.zero(order.currency), reason, note, new_id, now)
    lowered = revised(change.order, refunds=(*change.order.refunds, refund))
    paid = ledger.net_paid(lowered) - ledger.pending(lowered, (TransactionKind.REFUND,))
    overpaid = min(max(paid - lowered.current_total, Money.zero(order.currency)), suggested.total)
    event = LinesCancelled(
        order_id=order.id,
        at=now,
        actor=actor,
        refund_id=refund.id,
        lines=_quantities(refund),
        refund=overpaid,
        reason=reason.value,
        note=note,
        notify_customer=notify_customer,
    )
    parts = ((overpaid, False),)
    cancelled = _recorded(change, refund, event, parts, False, new_id, now, actor)
    return cancelled.then(void_surplus(cancelled.order, new_id=new_id, now=now, actor=actor))


def _check(order: Order, reason: object, note: str | None, what: str) -> None:
    if not isinstance(reason, RefundReason):
        raise TypeError(f"'reason' must be a RefundReason, got {type(reason).__name__}")
    check_optional(NOTE, note, "'note'")
    if order.status == "cancelled":
        raise InvalidTransition(f"{order}: cannot {what} while cancelled (it was refunded then)")


def _refund(
    order: Order,
    suggested: SuggestedRefund,
    extra: Money,
    reason: RefundReason,
    note: str | None,
    new_id: NewId,
    now: datetime,
) -> Refund:
    return Refund(
        id=fresh(order, new_id(), (r.id for r in order.refunds), "refund"),
        created_at=now,
        reason=reason,
        note=note,
        lines=suggested.lines,
        shipping=suggested.shipping,
        shipping_taxes=suggested.shipping_taxes,
        amount=extra,
    )


def _quantities(refund: Refund) -> tuple[LineQuantity, ...]:
    return tuple(LineQuantity(line.line_item_id, line.quantity) for line in refund.lines)


def _recorded(
    change: Change,
    refund: Refund,
    event: OrderEvent,
    money: tuple[tuple[Money, bool], ...],
    notify_customer: bool,
    new_id: NewId,
    now: datetime,
    actor: Actor,
) -> Change:
    """``refund`` added to the order, then its money requested: each ``(amount, adjusts)``
    of ``money`` that is positive (see :func:`~orderflow.domain.payments.request_refund`);
    the refund keeps the ids of the transactions requested. When the units it took out of
    fulfillment were all that remained to fulfil, the order is fulfilled now."""
    events: tuple[OrderEvent, ...] = (event,)
    withdrew = any(isinstance(e, FulfillmentOrderCancelled) for e in change.events)
    needed, done = progress(change.order)
    if withdrew and 0 < needed <= done:  # it was not, with the units withdrawn
        events += (OrderFulfilled(order_id=event.order_id, at=now, actor=actor),)
    change = change.then(
        Change(revised(change.order, refunds=(*change.order.refunds, refund)), events)
    )
    before = len(change.order.transactions)
    for part, adjusts in money:
        if part.is_positive():
            change = change.then(
                request_refund(
                    change.order,
                    part,
                    new_id=new_id,
                    now=now,
                    actor=actor,
                    notify_customer=notify_customer,
                    adjusts=adjusts,
                )
            )
    requested = tuple(tx.id for tx in change.order.transactions[before:])
    if not requested:
        return change
    recorded = revised(refund, transaction_ids=requested)
    return Change(
        revised(change.order, refunds=(*change.order.refunds[:-1], recorded)), change.events
    )
