"""The payment ledger: what was taken and returned, and what may still be asked for.

One set of pure functions over the order's transactions; every path that asks for money
(captures, refunds, voids, the capture policies, cancellation) or records it goes through
them, so orderflow never asks a gateway for more than the books allow:

- still to capture = current total - (captured - refunded) - captures and charges pending,
  never below zero (a pending refund counts as not yet returned);
- an authorization may give its amount less what is captured or pending on it, and nothing
  after its first capture unless the gateway reported it multi-capturable; the one that
  expires soonest is captured first;
- a capture or sale may still be refunded by its amount less what was refunded or is being
  refunded from it (a pending refund counts as spent);
- what was returned counts, per capture or sale, no more than that capture or sale: a refund
  whose parent is unknown or failed returns nothing in the figures (it is a discrepancy, on
  staff review), so no status ever shows more returned than was taken;
- a chargeback holds what it disputes (it cannot be refunded as well) until it is won, and
  once lost counts as money returned.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal

from orderflow.domain.limits import LATEST
from orderflow.domain.money import Money
from orderflow.domain.order import Order
from orderflow.domain.transaction import Transaction, TransactionKind

TAKEN = (TransactionKind.CAPTURE, TransactionKind.SALE)
"""The kinds that take money: a capture of an authorization, a sale (captured at once)."""

_ZERO = Decimal(0)

PENDING_REVIEW_AFTER = timedelta(days=3)
"""A request still unanswered this long after it was made puts the order on staff review
(``run_due`` does it): orderflow never retries it silently."""


# The sums are plain decimals, one Money built at the end: every amount on an order is
# already exact in the order's currency (checked when placed or loaded).


def _total(amounts: Iterable[Money]) -> Decimal:
    return sum((m.amount for m in amounts), _ZERO)


def _of(order: Order, kinds: tuple[TransactionKind, ...], status: str) -> Iterator[Transaction]:
    return (tx for tx in order.transactions if tx.kind in kinds and tx.status == status)


def _money(order: Order, amount: Decimal) -> Money:
    return Money(max(amount, _ZERO), order.currency)


def _taken(order: Order) -> Decimal:
    return _total(tx.amount for tx in _of(order, TAKEN, "succeeded"))


def _refunds_of(order: Order, payment: Transaction, status: str = "succeeded") -> Decimal:
    return _total(
        tx.amount
        for tx in order.transactions
        if tx.kind is TransactionKind.REFUND and tx.parent_id == payment.id and tx.status == status
    )


def _disputed(order: Order, payment: Transaction, *, lost: bool) -> Decimal:
    """What chargebacks of ``payment`` returned to the customer (``lost``), or hold (callers
    skip the call when the order has no disputes: most have none)."""
    return _total(
        d.amount
        for d in order.disputes
        if d.transaction_id == payment.id and (d.returned if lost else d.holds_funds)
    )


def _returned(order: Order) -> Decimal:
    disputes = order.disputes
    return sum(
        (
            min(
                _refunds_of(order, tx) + (_disputed(order, tx, lost=True) if disputes else _ZERO),
                tx.amount.amount,
            )
            for tx in _of(order, TAKEN, "succeeded")
        ),
        _ZERO,
    )


def _pending(order: Order, kinds: tuple[TransactionKind, ...], but: str | None = None) -> Decimal:
    return _total(tx.amount for tx in _of(order, kinds, "pending") if tx.id != but)


def captured(order: Order) -> Money:
    """Money taken: succeeded captures and sales."""
    return _money(order, _taken(order))


def refunds_of(order: Order, payment: Transaction, status: str = "succeeded") -> Money:
    """What refunds in ``status`` return from one capture or sale."""
    return _money(order, _refunds_of(order, payment, status))


def refunded(order: Order) -> Money:
    """Money returned: succeeded refunds and lost chargebacks, each capture or sale counting
    no more than itself (a refund beyond it, or of an unknown or failed one, is a
    discrepancy: see above)."""
    return _money(order, _returned(order))


def taken_and_returned(order: Order) -> tuple[Decimal, Decimal]:
    """:func:`captured` and :func:`refunded` as plain amounts in the order's currency, for
    the statuses, which only compare them (no Money built for each)."""
    return _taken(order), _returned(order)


def net_paid(order: Order) -> Money:
    """Taken less returned."""
    return Money(_taken(order) - _returned(order), order.currency)


def pending(order: Order, kinds: tuple[TransactionKind, ...]) -> Money:
    """What requests of ``kinds`` still in flight ask for."""
    return _money(order, _pending(order, kinds))


def still_to_capture(order: Order, *, but: str | None = None) -> Money:
    """What the order may still take: current total - net paid - captures and charges in
    flight (but request ``but``), never below zero."""
    paid = _taken(order) - _returned(order)
    return _money(order, order.current_total.amount - paid - _pending(order, TAKEN, but))


def open_authorizations(order: Order) -> tuple[Transaction, ...]:
    return tuple(
        tx
        for tx in order.transactions
        if tx.kind is TransactionKind.AUTHORIZATION and tx.status == "authorized"
    )


def by_expiry(authorizations: tuple[Transaction, ...]) -> tuple[Transaction, ...]:
    """Soonest to expire first; those without an expiry last, in the order they came."""
    return tuple(sorted(authorizations, key=lambda a: a.expires_at or LATEST))


def requests_on(
    order: Order, parent: Transaction, *, but: str | None = None
) -> tuple[Transaction, ...]:
    """Our captures and voids of authorization ``parent`` still in flight (but ``but``)."""
    return tuple(
        tx
        for tx in order.transactions
        if tx.parent_id == parent.id
        and tx.pending
        and tx.kind is not TransactionKind.REFUND
        and tx.id != but
    )


def capturable(order: Order, authorization: Transaction, *, but: str | None = None) -> Money:
    """What may still be captured from an open authorization: its amount less what is
    captured or in flight on it; nothing after its first capture unless multi-capturable,
    nothing while a capture or void of it (but ``but``) is in flight."""
    if authorization.status != "authorized" or requests_on(order, authorization, but=but):
        return _money(order, _ZERO)
    taken = _total(
        tx.amount
        for tx in _of(order, (TransactionKind.CAPTURE,), "succeeded")
        if tx.parent_id == authorization.id
    )
    if taken and not authorization.multi_capture:
        return _money(order, _ZERO)
    return _money(order, authorization.amount.amount - taken)


def _refundable(order: Order, payment: Transaction) -> Decimal:
    if payment.kind not in TAKEN or payment.status != "succeeded":
        return _ZERO
    spent = _refunds_of(order, payment) + _refunds_of(order, payment, "pending")
    if order.disputes:
        spent += _disputed(order, payment, lost=False)
    return max(payment.amount.amount - spent, _ZERO)


def refundable(order: Order, payment: Transaction) -> Money:
    """What may still be refunded from a capture or sale: its amount less refunds succeeded
    or in flight and chargebacks not won (nothing from one that did not succeed)."""
    return _money(order, _refundable(order, payment))


def refundable_total(order: Order) -> Money:
    left = sum((_refundable(order, tx) for tx in _of(order, TAKEN, "succeeded")), _ZERO)
    return _money(order, left)


def still_allowed(order: Order, request: Transaction) -> str | None:
    """Why the books no longer allow a request in flight (``None``: they do): a capture or
    charge beyond what is still owed or held, a refund beyond what its payment can give
    back, a void of an authorization no longer open. Checked before a request is first sent,
    as outside reports may have changed the books since it was made."""
    parent = _parent(order, request)
    if request.kind is TransactionKind.VOID:
        if parent is None or parent.status != "authorized":
            return "its authorization is no longer open"
        return None
    if request.kind is TransactionKind.REFUND:
        if parent is None or parent.status != "succeeded":
            return "the payment it returns did not succeed"
        spent = Money.total(
            (
                tx.amount
                for tx in order.transactions
                if tx.kind is TransactionKind.REFUND
                and tx.parent_id == parent.id
                and tx.status != "failed"
                and tx.id != request.id
            ),
            order.currency,
        )
        if order.disputes:
            spent += Money(_disputed(order, parent, lost=False), order.currency)
        left = max(parent.amount - spent, Money.zero(order.currency))
        return None if request.amount <= left else f"only {left} of {parent.id} is refundable"
    owed = still_to_capture(order, but=request.id)
    if request.amount > owed:
        return f"only {owed} is still to capture"
    if request.kind is TransactionKind.CAPTURE:
        if parent is None or parent.status != "authorized":
            return "its authorization is no longer open"
        held = capturable(order, parent, but=request.id)
        if request.amount > held:
            return f"its authorization can give only {held}"
    return None


def _parent(order: Order, tx: Transaction) -> Transaction | None:
    return next((other for other in order.transactions if other.id == tx.parent_id), None)


def adjustment(order: Order, amount: Money) -> Money:
    """How much of a refund of ``amount`` lowers what is owed: all of it, except the part
    that returns an overpayment (counting refunds in progress as done), and never more than
    the order is still worth (less what refunds in progress will lower it by)."""
    zero = Money.zero(order.currency)
    if order.status == "cancelled":
        return zero
    in_flight = [
        tx for tx in order.transactions if tx.kind is TransactionKind.REFUND and tx.pending
    ]
    lowering = Money.total((tx.adjustment for tx in in_flight if tx.adjustment), order.currency)
    owed = (
        order.current_total
        - net_paid(order)
        + Money.total((tx.amount for tx in in_flight), order.currency)
        - lowering
    )
    overpaid = max(-owed, zero)
    worth = max(order.current_total - lowering, zero)
    return min(max(amount - overpaid, zero), worth)


def review_due_at(tx: Transaction) -> datetime | None:
    """When request ``tx`` counts as unanswered: :data:`PENDING_REVIEW_AFTER` after it was
    made, while it is in flight and not on review (``None``: it is not waiting)."""
    if tx.pending and tx.review is None:
        return tx.created_at + PENDING_REVIEW_AFTER
    return None


def unanswered(order: Order, now: datetime) -> tuple[Transaction, ...]:
    """Our requests still in flight :data:`PENDING_REVIEW_AFTER` after they were made and
    not yet put on review."""
    return tuple(
        tx for tx in order.transactions if (at := review_due_at(tx)) is not None and at <= now
    )
