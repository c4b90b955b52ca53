"""Payment outcomes: reports from outside, and the gateway's answers to our requests.

Outside reports are facts: a gateway operation is identified by its kind and reference, so
a report replayed under another idempotency key is the same transaction, and a report that
answers one of our requests in flight settles it. A succeeded report is never refused for
ledger reasons, since the money moved: what does not add up is recorded with its ``review``
and puts the order on staff review (:mod:`orderflow.domain.review`). Settling never fails
for a reason of orderflow's own.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from orderflow.domain import ledger
from orderflow.domain._fields import (
    BOOL,
    MONEY,
    OPTIONAL_AWARE,
    OPTIONAL_TEXT,
    instance_of,
    optional,
)
from orderflow.domain._revise import revised
from orderflow.domain.actor import Actor
from orderflow.domain.events import (
    PaymentAuthorized,
    PaymentCaptured,
    PaymentFailed,
    PaymentRefunded,
    PaymentVoided,
)
from orderflow.domain.limits import shown
from orderflow.domain.money import Money
from orderflow.domain.order import Change, Order
from orderflow.domain.payments import NewId, in_currency, payment_event
from orderflow.domain.review import request_review
from orderflow.domain.transaction import Transaction, TransactionKind
from orderflow.errors import PaymentConflict

_DONE = {
    TransactionKind.AUTHORIZATION: PaymentAuthorized,
    TransactionKind.CAPTURE: PaymentCaptured,
    TransactionKind.SALE: PaymentCaptured,
    TransactionKind.REFUND: PaymentRefunded,
    TransactionKind.VOID: PaymentVoided,
}
_A = TransactionKind.AUTHORIZATION


@attrs.frozen
class PaymentReport:
    """A payment outcome reported from outside (checkout, gateway webhook).

    ``reference`` is the gateway's id of the operation: (kind, reference) identifies it, so
    the same report under another idempotency key is recognised. ``parent_reference`` names
    the authorization a capture or void acts on, or the capture or sale a refund returns (at
    gateways where a capture shares its authorization's id, that id). ``multi_capture``: the
    authorization may be captured in several parts. ``request_key`` is the idempotency key
    of our request the report answers, when the gateway quotes it (Stripe's events do): it
    names the request exactly. What the gateway sends is kept whole.
    """

    kind: TransactionKind = attrs.field(validator=instance_of(TransactionKind))
    amount: Money = attrs.field(validator=MONEY)
    succeeded: bool = attrs.field(default=True, validator=BOOL)
    reference: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    parent_reference: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    reusable: bool = attrs.field(default=False, validator=BOOL)
    error: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    expires_at: datetime | None = attrs.field(default=None, validator=OPTIONAL_AWARE)
    multi_capture: bool = attrs.field(default=False, validator=BOOL)
    request_key: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)


@attrs.frozen
class GatewayResult:
    """The gateway's answer to one of our requests; ``succeeded=None`` means still pending.
    Its reference and error are kept whole, whatever they hold."""

    succeeded: bool | None = attrs.field(validator=optional(instance_of(bool)))
    reference: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    error: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    reusable: bool = attrs.field(default=False, validator=BOOL)


# -- outside reports ---------------------------------------------------------------------


def record_payment(
    order: Order, report: PaymentReport, *, key: str, new_id: NewId, now: datetime, actor: Actor
) -> Change:
    """Record an outcome that already happened at the gateway.

    The same operation (kind and reference) reported again changes nothing; with another
    amount or outcome it raises :class:`PaymentConflict`. A report that answers one of our
    requests in flight (same kind, same parent, same amount) settles it. Anything else is a
    new transaction; a succeeded one that does not add up is kept, with a review.
    """
    if not isinstance(report, PaymentReport):
        raise TypeError(f"'report' must be a PaymentReport, got {type(report).__name__}")
    amount = in_currency(order, report.amount)
    if (known := _recorded(order, report)) is not None:
        if _agrees(known, report):
            return Change(order)
        raise PaymentConflict(
            f"{order}: {report.kind.value} {shown(report.reference or '')!r} is already recorded "
            f"as {known.id} ({known.status}, {known.amount}); this report says "
            f"{'succeeded' if report.succeeded else 'failed'}, {amount}"
        )
    if report.request_key is not None:
        asked = next(
            (
                tx
                for tx in order.transactions
                if tx.kind is report.kind and tx.idempotency_key == report.request_key
            ),
            None,
        )
        if asked is not None:  # the answer to one of our requests, by its key
            answer = GatewayResult(report.succeeded, report.reference, report.error)
            return settle(order, asked.id, answer, new_id=new_id, now=now, actor=actor)
    parent = _parent(order, report)
    change = Change(order)
    if parent is not None and parent.kind in ledger.TAKEN and parent.pending and report.succeeded:
        # A refund of our capture in flight: the capture happened.
        change = _settled(order, parent, True, None, now, actor, new_id)
        parent = change.order.transaction(parent.id)
    if (ours := _ours(change.order, report, parent)) is not None:
        return change.then(
            _settled(
                change.order,
                ours,
                report.succeeded,
                report.error,
                now,
                actor,
                new_id,
                report.reference,
            )
        )
    tx = Transaction(
        id=new_id(),
        kind=report.kind,
        amount=parent.amount if report.kind is TransactionKind.VOID and parent else amount,
        status="pending",
        idempotency_key=key,
        created_at=now,
        parent_id=parent.id if parent else None,
        reference=report.reference,
        reusable=report.reusable,
        expires_at=report.expires_at,
        multi_capture=report.multi_capture,
    )
    if tx.kind is TransactionKind.REFUND and report.succeeded:
        tx = revised(tx, adjustment=ledger.adjustment(change.order, _countable(change.order, tx)))
    recorded = change.order.with_new_transaction(tx)
    return change.then(_settled(recorded, tx, report.succeeded, report.error, now, actor, new_id))


def _recorded(order: Order, report: PaymentReport) -> Transaction | None:
    """The transaction of the same gateway operation, if it was recorded already."""
    if report.reference is None:
        return None
    for tx in order.transactions:
        if tx.kind is report.kind and tx.reference == report.reference:
            return tx
    return None


def _agrees(tx: Transaction, report: PaymentReport) -> bool:
    same_amount = tx.kind is TransactionKind.VOID or tx.amount == report.amount
    return same_amount and (tx.status != "failed") == report.succeeded


def _parent(order: Order, report: PaymentReport) -> Transaction | None:
    """The transaction a report acts on: the authorization of a capture or void; the capture
    or sale of a refund, or the capture of the authorization it names."""
    wanted = report.parent_reference
    if wanted is None or report.kind in (_A, TransactionKind.SALE):
        return None
    kinds = (_A,) if report.kind is not TransactionKind.REFUND else ledger.TAKEN
    for tx in order.transactions:
        if tx.kind in kinds and tx.reference == wanted:
            return tx
    if report.kind is TransactionKind.REFUND:
        auth = next(
            (tx for tx in order.transactions if tx.kind is _A and tx.reference == wanted), None
        )
        if auth is not None:
            captures = [
                tx
                for tx in order.transactions
                if tx.parent_id == auth.id
                and tx.kind is TransactionKind.CAPTURE
                and tx.status != "failed"
            ]
            return captures[-1] if captures else None
    return None


def _ours(order: Order, report: PaymentReport, parent: Transaction | None) -> Transaction | None:
    """Our request in flight that a report quoting no key answers: the oldest of the same
    kind, parent and amount."""
    if (
        report.request_key is not None
        or parent is None
        or report.kind in (_A, TransactionKind.SALE)
    ):
        return None
    for tx in order.transactions:
        if (
            tx.pending
            and tx.kind is report.kind
            and tx.parent_id == parent.id
            and (tx.kind is TransactionKind.VOID or tx.amount == report.amount)
        ):
            return tx
    return None


# -- settling ------------------------------------------------------------------------------


def settle(
    order: Order,
    transaction_id: str,
    result: GatewayResult,
    *,
    new_id: NewId,
    now: datetime,
    actor: Actor,
) -> Change:
    """Record the gateway's answer to one of our requests. Never refused for a reason of
    orderflow's own: a pending answer changes nothing; an answer repeating what is recorded
    changes nothing (it may bring the reference); a success after a recorded failure is
    money that moved, recorded as a new transaction on review."""
    if not isinstance(result, GatewayResult):
        raise TypeError(f"'result' must be a GatewayResult, got {type(result).__name__}")
    tx = order.transaction(transaction_id)
    if result.succeeded is None:
        return Change(order)
    if tx.pending:
        return _settled(
            order,
            tx,
            result.succeeded,
            result.error,
            now,
            actor,
            new_id,
            result.reference,
            result.reusable or None,
        )
    if result.succeeded == (tx.status != "failed"):
        if tx.reference is None and result.reference is not None:
            return Change(order.with_transaction(revised(tx, reference=result.reference)))
        if (
            not result.succeeded
            or result.reference in (None, tx.reference)
            or tx.kind in (_A, TransactionKind.VOID)  # releases no money twice
        ):
            return Change(order)
        # A report quoting no key was taken for this request, but the gateway answers it
        # with another operation: both moved money; the second is kept, on review.
        review = (
            f"the gateway answered {tx.kind.value} {tx.id} of {tx.amount} with operation "
            f"{shown(result.reference or '')!r}, while {shown(tx.reference or '')!r} is "
            "recorded for it: both are kept"
        )
        return _late(order, tx, review, result.reference, new_id, now, actor)
    if not result.succeeded:
        return request_review(
            order,
            f"the gateway answered that {tx.kind.value} {tx.id} of {tx.amount} failed, "
            f"but it is recorded as {tx.status}",
            transaction_id=tx.id,
            new_id=new_id,
            now=now,
            actor=actor,
        )
    review = (
        f"the gateway answered that {tx.kind.value} {tx.id} of {tx.amount} succeeded after it "
        f"was recorded as {tx.status}"
    )
    return _late(order, tx, review, result.reference, new_id, now, actor)


def _late(
    order: Order,
    tx: Transaction,
    review: str,
    reference: str | None,
    new_id: NewId,
    now: datetime,
    actor: Actor,
) -> Change:
    """Money the gateway moved for request ``tx`` that its record does not hold: a new
    succeeded transaction like it, on review."""
    late = Transaction(
        id=new_id(),
        kind=tx.kind,
        amount=tx.amount,
        status="pending",
        idempotency_key=tx.idempotency_key,
        created_at=now,
        parent_id=tx.parent_id,
        reusable=tx.reusable,
        review=review,
    )
    return _settled(
        order.with_new_transaction(late), late, True, None, now, actor, new_id, reference
    )


def _settled(
    order: Order,
    tx: Transaction,
    succeeded: bool,
    error: str | None,
    now: datetime,
    actor: Actor,
    new_id: NewId,
    reference: str | None = None,
    reusable: bool | None = None,
) -> Change:
    """Move ``tx`` (on ``order``, pending) to its outcome and update its parent; a success
    that does not add up is kept, and the order goes on review."""
    facts: dict[str, object] = {"reference": reference or tx.reference}
    if reusable is not None:
        facts["reusable"] = reusable
    if not succeeded:
        done = tx.moved("fail", at=now, error=error or "declined", **facts)
        return Change(
            order.with_transaction(done),
            (payment_event(PaymentFailed, done, order, now, actor, error=done.error),),
        )
    event = "authorize" if tx.kind is _A else "succeed"
    done = tx.moved(event, at=now, **facts)
    problem = done.review or _doubt(order, done)
    order = order.with_transaction(done if done.review is None else revised(done, review=None))
    parent = order.transaction(tx.parent_id) if tx.parent_id is not None else None
    if parent is not None and (move := _closing(order, done, parent)) is not None:
        order = order.with_transaction(parent.moved(move, at=now))
    change = Change(order, (payment_event(_DONE[tx.kind], done, order, now, actor),))
    if problem is None:
        return change
    return change.then(
        request_review(
            change.order, problem, transaction_id=done.id, new_id=new_id, now=now, actor=actor
        )
    )


def _closing(order: Order, tx: Transaction, parent: Transaction) -> str | None:
    """How a succeeded capture or void moves its open authorization (``None``: it does
    not): a void voids it; a capture captures it, unless it is multi-capturable and some of
    it is still not captured."""
    if parent.status != "authorized" or tx.kind not in (
        TransactionKind.CAPTURE,
        TransactionKind.VOID,
    ):
        return None
    if tx.kind is TransactionKind.VOID:
        return "void"
    more = parent.multi_capture and ledger.capturable(order, parent).is_positive()
    return None if more else "capture"


def _doubt(order: Order, tx: Transaction) -> str | None:
    """What does not add up about a succeeded ``tx`` (``order`` as before it succeeded)."""
    if tx.kind in (_A, TransactionKind.SALE):
        return None
    parent = order.transaction(tx.parent_id) if tx.parent_id is not None else None
    if parent is None:
        return f"{_what(tx)} names no payment the order knows"
    if tx.kind is TransactionKind.VOID:
        return None
    if tx.kind is TransactionKind.CAPTURE:
        if parent.status != "authorized":
            return f"{_what(tx)} on authorization {parent.id}, which is {parent.status}"
        taken = _taken_from(order, parent, tx)
        if taken + tx.amount > parent.amount:
            return f"{_what(tx)} exceeds what authorization {parent.id} of {parent.amount} had left"
        return None
    if parent.status != "succeeded":
        state = "is pending" if parent.pending else "failed"
        return f"{_what(tx)} returns {parent.kind.value} {parent.id}, which {state}"
    if _countable(order, tx) < tx.amount:
        return f"{_what(tx)} exceeds what is left of {parent.kind.value} {parent.id} of {parent.amount}"
    return None


def _what(tx: Transaction) -> str:
    return f"{tx.kind.value} of {tx.amount}"


def _taken_from(order: Order, parent: Transaction, but: Transaction) -> Money:
    return Money.total(
        (
            t.amount
            for t in order.transactions
            if t.parent_id == parent.id
            and t.kind is TransactionKind.CAPTURE
            and t.succeeded
            and t.id != but.id
        ),
        order.currency,
    )


def _countable(order: Order, refund: Transaction) -> Money:
    """How much of a refund reported by the gateway the books can count: what its capture
    or sale has left after the refunds that succeeded (our requests in flight may fail)."""
    zero = Money.zero(order.currency)
    parent = order.transaction(refund.parent_id) if refund.parent_id is not None else None
    if parent is None or parent.status != "succeeded":
        return zero
    left = parent.amount - ledger.refunds_of(order, parent)
    return max(min(left, refund.amount), zero)
