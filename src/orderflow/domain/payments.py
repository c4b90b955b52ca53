"""Our payment requests: captures, refunds and voids decided by staff or a policy.

Nothing here calls a gateway. Each request becomes a *pending* transaction with an
idempotency key (an intent), sized by the ledger (:mod:`orderflow.domain.ledger`), so it
never asks for more than the books allow; the service saves it, an outbox job calls the
gateway with that key, and :mod:`orderflow.domain.settlement` records the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from orderflow.domain import ledger
from orderflow.domain.actor import Actor
from orderflow.domain.events import (
    AuthorizationExpired,
    OrderEvent,
    PaymentEvent,
    PaymentRequested,
)
from orderflow.domain.financial import balance
from orderflow.domain.money import Money
from orderflow.domain.order import Change, Order
from orderflow.domain.review import request_review
from orderflow.domain.transaction import Transaction, TransactionKind
from orderflow.errors import CurrencyMismatch, InvalidAmount, InvalidTransition, PaymentError

NewId = Callable[[], str]

_A = TransactionKind.AUTHORIZATION


def payment_event(
    cls: type[PaymentEvent],
    tx: Transaction,
    order: Order,
    at: datetime,
    actor: Actor,
    **extra: object,
) -> OrderEvent:
    return cls(
        order_id=order.id,
        at=at,
        actor=actor,
        transaction_id=tx.id,
        kind=tx.kind,
        amount=tx.amount,
        **extra,
    )


def in_currency(order: Order, amount: object) -> Money:
    if not isinstance(amount, Money):
        raise TypeError(f"'amount' must be Money, got {type(amount).__name__}")
    if amount.currency != order.currency:
        raise CurrencyMismatch(f"{order}: payment of {amount} is not in {order.currency}")
    if not amount.is_positive():
        raise InvalidAmount(f"{order}: a payment amount must be positive, got {amount}")
    return amount


# -- our requests ------------------------------------------------------------------------------


def _request(order: Order, tx: Transaction, now: datetime, actor: Actor) -> Change:
    return Change(
        order.with_new_transaction(tx), (payment_event(PaymentRequested, tx, order, now, actor),)
    )


def _intent(
    kind: TransactionKind,
    amount: Money,
    parent: Transaction,
    new_id: NewId,
    now: datetime,
    adjustment: Money | None = None,
    notify_customer: bool = True,
) -> Transaction:
    tx_id = new_id()
    return Transaction(
        id=tx_id,
        kind=kind,
        amount=amount,
        status="pending",
        idempotency_key=f"orderflow-{kind.value}-{tx_id}",
        created_at=now,
        parent_id=parent.id,
        reusable=parent.reusable,
        adjustment=adjustment,
        notify_customer=notify_customer,
    )


def _require_open(order: Order, what: str) -> None:
    if order.status == "cancelled":
        raise InvalidTransition(f"{order}: cannot {what} while cancelled")


def request_capture(
    order: Order,
    *,
    amount: Money | None = None,
    authorization_id: str | None = None,
    new_id: NewId,
    now: datetime,
    actor: Actor,
) -> Change:
    """Decide to capture held funds: by default what is still to capture, from the
    authorization named or else from those that expire soonest first. An amount above what
    may be captured (still to capture, and what the authorizations hold) raises
    :class:`PaymentError`."""
    _require_open(order, "capture a payment")
    if authorization_id is not None:
        auth = order.transaction(authorization_id)
        if auth.kind is not _A:
            raise PaymentError(f"{order}: {auth.kind.value} {auth.id} is not an authorization")
        auth.kind.table.step(auth.status, "capture", subject=f"{order} authorization {auth.id}")
        if busy := ledger.requests_on(order, auth):
            raise PaymentError(
                f"{order}: authorization {auth.id} already has a {busy[0].kind.value} in "
                f"progress ({busy[0].id})"
            )
        sources: tuple[Transaction, ...] = (auth,)
    else:
        sources = ledger.by_expiry(ledger.open_authorizations(order))
        if not sources:
            raise PaymentError(f"{order}: nothing to capture (no open authorization)")
    return capture_from(order, sources, amount, new_id=new_id, now=now, actor=actor)


def capture_from(
    order: Order,
    sources: tuple[Transaction, ...],
    amount: Money | None = None,
    *,
    new_id: NewId,
    now: datetime,
    actor: Actor,
) -> Change:
    """One capture per authorization of ``sources`` needed to take ``amount`` (see
    :func:`capture_plan`)."""
    change = Change(order)
    for auth, part in capture_plan(order, sources, amount):
        intent = _intent(TransactionKind.CAPTURE, part, auth, new_id, now)
        change = change.then(_request(change.order, intent, now, actor))
    return change


def capture_plan(
    order: Order, sources: tuple[Transaction, ...], amount: Money | None = None
) -> tuple[tuple[Transaction, Money], ...]:
    """How much to capture from each of ``sources`` (in their order) to take ``amount``
    (default: all that is still to capture); PaymentError when the books do not allow it."""
    owed = ledger.still_to_capture(order)
    can_give = [(a, ledger.capturable(order, a)) for a in sources]
    held = Money.total((part for _, part in can_give), order.currency)
    if amount is None:
        in_flight = [tx for tx in order.transactions if tx.kind in ledger.TAKEN and tx.pending]
        if not owed.is_positive() and in_flight:
            raise PaymentError(
                f"{order}: nothing more to capture: authorization {in_flight[0].parent_id} "
                f"already has a capture in progress ({in_flight[0].id})"
            )
        if not owed.is_positive():
            raise PaymentError(
                f"{order}: nothing to capture (balance {balance(order)}, "
                f"{ledger.pending(order, ledger.TAKEN)} in flight)"
            )
        if not held.is_positive():
            busy = [tx for a in sources for tx in ledger.requests_on(order, a)]
            if busy:
                raise PaymentError(
                    f"{order}: authorization {busy[0].parent_id} already has a "
                    f"{busy[0].kind.value} in progress ({busy[0].id})"
                )
            raise PaymentError(f"{order}: nothing to capture: no authorization can give more")
        amount = min(owed, held)
    in_currency(order, amount)
    if amount > owed:
        raise PaymentError(
            f"{order}: cannot capture {amount}; {owed} is still to capture "
            f"(total {order.current_total}, net paid {ledger.net_paid(order)}, "
            f"{ledger.pending(order, ledger.TAKEN)} in flight)"
        )
    if amount > held:
        raise PaymentError(f"{order}: cannot capture {amount}; the authorizations can give {held}")
    plan, left = [], amount
    for auth, most in can_give:
        part = min(left, most)
        if part.is_positive():
            plan.append((auth, part))
            left -= part
    return tuple(plan)


def request_void(
    order: Order, *, authorization_id: str | None = None, new_id: NewId, now: datetime, actor: Actor
) -> Change:
    """Decide to release held funds: one authorization, or every open one."""
    if authorization_id is not None:
        auth = order.transaction(authorization_id)
        if auth.kind is not _A:
            raise PaymentError(f"{order}: {auth.kind.value} {auth.id} is not an authorization")
        auth.kind.table.step(auth.status, "void", subject=f"{order} authorization {auth.id}")
        if ledger.requests_on(order, auth):
            raise PaymentError(
                f"{order}: authorization {auth.id} already has a request in progress"
            )
        targets: tuple[Transaction, ...] = (auth,)
    else:
        targets = tuple(
            a for a in ledger.open_authorizations(order) if not ledger.requests_on(order, a)
        )
        if not targets:
            raise PaymentError(f"{order}: nothing to void (no open authorization)")
    change = Change(order)
    for auth in targets:
        change = change.then(
            _request(
                change.order,
                _intent(TransactionKind.VOID, auth.amount, auth, new_id, now),
                now,
                actor,
            )
        )
    return change


def request_refund(
    order: Order,
    amount: Money,
    *,
    new_id: NewId,
    now: datetime,
    actor: Actor,
    notify_customer: bool = True,
    adjusts: bool = True,
) -> Change:
    """Decide to return ``amount``, taken from the latest captures and sales first, never
    more than the ledger's refundable (refunds in flight count as spent);
    ``notify_customer`` tells the customer of each refund once it succeeds. With
    ``adjusts`` the refund lowers what the order is worth (``ledger.adjustment``); without,
    it returns what a recorded :class:`~orderflow.domain.refund.Refund` already took off."""
    in_currency(order, amount)
    sources = [
        tx for tx in reversed(order.transactions) if tx.kind in ledger.TAKEN and tx.succeeded
    ]
    available = ledger.refundable_total(order)
    if amount > available:
        raise PaymentError(
            f"{order}: cannot refund {amount}; {available} is refundable "
            f"(net paid {ledger.net_paid(order)}, less refunds in progress)"
        )
    change, left = Change(order), amount
    for source in sources:
        part = min(left, ledger.refundable(change.order, source))
        if part.is_positive():
            intent = _intent(
                TransactionKind.REFUND,
                part,
                source,
                new_id,
                now,
                adjustment=ledger.adjustment(change.order, part) if adjusts else None,
                notify_customer=notify_customer,
            )
            change = change.then(_request(change.order, intent, now, actor))
            left = left - part
    return change


def void_surplus(order: Order, *, new_id: NewId, now: datetime, actor: Actor) -> Change:
    """Release the authorizations the order no longer needs: once nothing is still to
    capture and no capture is in flight, every open authorization is voided (but one whose
    void the gateway refused: a person looks at it)."""
    refused = {
        tx.parent_id
        for tx in order.transactions
        if tx.kind is TransactionKind.VOID and tx.status == "failed"
    }
    surplus = [
        a
        for a in ledger.open_authorizations(order)
        if not ledger.requests_on(order, a) and a.id not in refused
    ]
    if not surplus or ledger.still_to_capture(order).is_positive():
        return Change(order)
    if ledger.pending(order, ledger.TAKEN).is_positive():
        return Change(order)
    change = Change(order)
    for auth in surplus:
        change = change.then(
            request_void(
                change.order, authorization_id=auth.id, new_id=new_id, now=now, actor=actor
            )
        )
    return change


def expire_authorizations(order: Order, *, now: datetime, actor: Actor) -> Change:
    """Authorizations past their ``expires_at`` with no capture in flight lapse."""
    change = Change(order)
    for auth in ledger.open_authorizations(order):
        if (
            auth.expires_at is not None
            and auth.expires_at <= now
            and not ledger.requests_on(order, auth)
        ):
            done = auth.moved("expire", at=now)
            change = change.then(
                Change(
                    change.order.with_transaction(done),
                    (payment_event(AuthorizationExpired, done, order, now, actor),),
                )
            )
    return change


def review_unanswered(order: Order, *, new_id: NewId, now: datetime, actor: Actor) -> Change:
    """Put the order on review for each request unanswered for too long (never resent)."""
    change = Change(order)
    for tx in ledger.unanswered(order, now):
        reason = (
            f"{tx.kind.value} of {tx.amount} ({tx.id}) has had no answer from the gateway since "
            f"{tx.created_at:%Y-%m-%d %H:%M} UTC: ask the gateway about key "
            f"{tx.idempotency_key} and record its answer with settle_payment"
        )
        change = change.then(
            request_review(
                change.order, reason, transaction_id=tx.id, new_id=new_id, now=now, actor=actor
            )
        )
    return change


def next_due_at(order: Order) -> datetime | None:
    """When :func:`expire_authorizations` or :func:`review_unanswered` next has work: the
    soonest expiry of an open authorization with nothing in flight on it, or the soonest
    moment a request still in flight is :func:`ledger.unanswered` (one pass: stores ask on
    every save)."""
    soonest: datetime | None = None
    for tx in order.transactions:
        at = ledger.review_due_at(tx)
        if at is None:
            if (
                tx.expires_at is None
                or tx.status != "authorized"
                or tx.kind is not TransactionKind.AUTHORIZATION
                or ledger.requests_on(order, tx)
            ):
                continue
            at = tx.expires_at
        if soonest is None or at < soonest:
            soonest = at
    return soonest
