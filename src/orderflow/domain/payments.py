"""Payment operations: outside results recorded as facts, and intents the service sends.

Nothing here calls a gateway. A capture, refund or void decided by staff becomes a
*pending* transaction with an idempotency key (an intent); the service saves it, an outbox
job calls the gateway with that key, and :func:`settle` records the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import attrs
from attrs import validators as v

from orderflow.domain._fields import BOOL, MONEY, OPTIONAL_AWARE, OPTIONAL_TEXT
from orderflow.domain.actor import Actor
from orderflow.domain.events import (
    AuthorizationExpired,
    OrderEvent,
    PaymentAuthorized,
    PaymentCaptured,
    PaymentEvent,
    PaymentFailed,
    PaymentRefunded,
    PaymentRequested,
    PaymentVoided,
)
from orderflow.domain.financial import balance, net_paid, open_authorizations
from orderflow.domain.money import Money
from orderflow.domain.order import Change, Order
from orderflow.domain.transaction import Transaction, TransactionKind
from orderflow.errors import CurrencyMismatch, InvalidAmount, InvalidTransition, PaymentError

NewId = Callable[[], str]

_DONE = {
    TransactionKind.AUTHORIZATION: PaymentAuthorized,
    TransactionKind.CAPTURE: PaymentCaptured,
    TransactionKind.SALE: PaymentCaptured,
    TransactionKind.REFUND: PaymentRefunded,
    TransactionKind.VOID: PaymentVoided,
}


@attrs.frozen
class PaymentReport:
    """A payment outcome reported from outside (checkout, gateway webhook).

    ``parent_reference`` names the gateway reference of the authorization a capture or void
    settles, or of the capture or sale a refund returns.
    """

    kind: TransactionKind = attrs.field(validator=attrs.validators.instance_of(TransactionKind))
    amount: Money = attrs.field(validator=MONEY)
    succeeded: bool = attrs.field(default=True, validator=BOOL)
    reference: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    parent_reference: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    reusable: bool = attrs.field(default=False, validator=BOOL)
    error: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    expires_at: datetime | None = attrs.field(default=None, validator=OPTIONAL_AWARE)


@attrs.frozen
class GatewayResult:
    """The gateway's answer to one of our requests; ``succeeded=None`` means still pending."""

    succeeded: bool | None = attrs.field(validator=v.optional(v.instance_of(bool)))
    reference: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    error: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    reusable: bool = attrs.field(default=False, validator=BOOL)


def _event(
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


def _in_currency(order: Order, amount: Money) -> Money:
    if not isinstance(amount, Money):
        raise TypeError(f"'amount' must be Money, got {type(amount).__name__}")
    if amount.currency != order.currency:
        raise CurrencyMismatch(f"{order}: payment of {amount} is not in {order.currency}")
    if not amount.is_positive():
        raise InvalidAmount(f"{order}: a payment amount must be positive, got {amount}")
    return amount


def _by_reference(
    order: Order, reference: str | None, kinds: tuple[TransactionKind, ...]
) -> Transaction:
    for tx in order.transactions:
        if tx.reference == reference and tx.kind in kinds:
            return tx
    wanted = " or ".join(k.value for k in kinds)
    raise PaymentError(f"{order}: no {wanted} with gateway reference {reference!r}")


def refundable(order: Order, payment: Transaction) -> Money:
    """What may still be refunded from a capture or sale (pending refunds count as spent)."""
    spent = Money.total(
        (
            tx.amount
            for tx in order.transactions
            if tx.kind is TransactionKind.REFUND
            and tx.parent_id == payment.id
            and tx.status != "failed"
        ),
        order.currency,
    )
    return payment.amount - spent


def _adjustment(order: Order, amount: Money) -> Money:
    """How much of a refund of ``amount`` lowers what is owed: all of it, except the part
    that returns an overpayment (counting refunds in progress as done)."""
    if order.status == "cancelled":
        return Money.zero(order.currency)
    in_flight = [
        tx for tx in order.transactions if tx.kind is TransactionKind.REFUND and tx.pending
    ]
    owed = balance(order) + Money.total((tx.amount for tx in in_flight), order.currency)
    owed -= Money.total((tx.adjustment for tx in in_flight if tx.adjustment), order.currency)
    overpaid = max(-owed, Money.zero(order.currency))
    return max(amount - overpaid, Money.zero(order.currency))


def record_payment(
    order: Order,
    report: PaymentReport,
    *,
    transaction_id: str,
    key: str,
    now: datetime,
    actor: Actor,
) -> Change:
    """Record an outcome that already happened at the gateway, as a new transaction."""
    if not isinstance(report, PaymentReport):
        raise TypeError(f"'report' must be a PaymentReport, got {type(report).__name__}")
    amount = _in_currency(order, report.amount)
    parent: Transaction | None = None
    kind = report.kind
    if kind in (TransactionKind.CAPTURE, TransactionKind.VOID):
        parent = _by_reference(order, report.parent_reference, (TransactionKind.AUTHORIZATION,))
    elif kind is TransactionKind.REFUND:
        parent = _by_reference(
            order, report.parent_reference, (TransactionKind.CAPTURE, TransactionKind.SALE)
        )
    if kind is TransactionKind.VOID and parent is not None:
        amount = parent.amount
    tx = Transaction(
        id=transaction_id,
        kind=kind,
        amount=amount,
        status="pending",
        idempotency_key=key,
        created_at=now,
        parent_id=parent.id if parent else None,
        reference=report.reference,
        reusable=report.reusable,
        expires_at=report.expires_at,
        adjustment=_adjustment(order, amount) if kind is TransactionKind.REFUND else None,
    )
    if report.succeeded:
        _check_settles(order, tx, parent)
    return _settled(order.with_transaction(tx), tx, report.succeeded, report.error, now, actor)


def _check_settles(order: Order, tx: Transaction, parent: Transaction | None) -> None:
    if parent is not None and tx.kind is not TransactionKind.REFUND:
        busy = request_in_flight(order, parent)
        if busy is not None:
            raise PaymentError(
                f"{order}: authorization {parent.id} has our {busy.kind.value} {busy.id} in "
                f"progress; report its outcome with settle_payment({busy.id!r}, ...)"
            )
    if tx.kind is TransactionKind.CAPTURE and parent is not None:
        if tx.amount > parent.amount:
            raise PaymentError(
                f"{order}: capture of {tx.amount} exceeds authorization {parent.id} of {parent.amount}"
            )
        parent.kind.table.step(
            parent.status, "capture", subject=f"{order} authorization {parent.id}"
        )
    if tx.kind is TransactionKind.VOID and parent is not None:
        parent.kind.table.step(parent.status, "void", subject=f"{order} authorization {parent.id}")
    if (
        tx.kind is TransactionKind.REFUND
        and parent is not None
        and tx.amount > refundable(order, parent)
    ):
        raise PaymentError(
            f"{order}: refund of {tx.amount} exceeds what is refundable from {parent.kind.value} "
            f"{parent.id} ({refundable(order, parent)})"
        )


def _settled(
    order: Order,
    tx: Transaction,
    succeeded: bool,
    error: str | None,
    now: datetime,
    actor: Actor,
    reference: str | None = None,
    reusable: bool | None = None,
) -> Change:
    """Move ``tx`` (already on ``order``, pending) to its outcome and update its parent."""
    facts: dict[str, object] = {"reference": reference or tx.reference}
    if reusable is not None:
        facts["reusable"] = reusable
    if not succeeded:
        done = tx.moved("fail", at=now, error=error or "declined", **facts)
        return Change(
            order.with_transaction(done),
            (_event(PaymentFailed, done, order, now, actor, error=done.error),),
        )
    event = "authorize" if tx.kind is TransactionKind.AUTHORIZATION else "succeed"
    done = tx.moved(event, at=now, **facts)
    order = order.with_transaction(done)
    if tx.parent_id is not None and tx.kind in (TransactionKind.CAPTURE, TransactionKind.VOID):
        parent = order.transaction(tx.parent_id)
        move = "capture" if tx.kind is TransactionKind.CAPTURE else "void"
        order = order.with_transaction(parent.moved(move, at=now))
    return Change(order, (_event(_DONE[tx.kind], done, order, now, actor),))


def _request(order: Order, tx: Transaction, now: datetime, actor: Actor) -> Change:
    return Change(order.with_transaction(tx), (_event(PaymentRequested, tx, order, now, actor),))


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


def request_in_flight(order: Order, parent: Transaction) -> Transaction | None:
    """Our pending capture or void of authorization ``parent``, if one is in progress."""
    for tx in order.transactions:
        if tx.parent_id == parent.id and tx.pending and tx.kind is not TransactionKind.REFUND:
            return tx
    return None


def request_capture(
    order: Order,
    *,
    amount: Money | None = None,
    authorization_id: str | None = None,
    new_id: NewId,
    now: datetime,
    actor: Actor,
) -> Change:
    """Decide to capture an authorization (default: what is owed, up to the amount held)."""
    _require_open(order, "capture a payment")
    auths = open_authorizations(order)
    if authorization_id is not None:
        auth = order.transaction(authorization_id)
        auth.kind.table.step(auth.status, "capture", subject=f"{order} authorization {auth.id}")
    elif auths:
        auth = auths[0]
    else:
        raise PaymentError(f"{order}: nothing to capture (no open authorization)")
    busy = request_in_flight(order, auth)
    if busy is not None:
        raise PaymentError(
            f"{order}: authorization {auth.id} already has a {busy.kind.value} in progress ({busy.id})"
        )
    if amount is None:
        owed = balance(order)
        if not owed.is_positive():
            raise PaymentError(f"{order}: nothing to capture (balance {owed})")
        amount = min(owed, auth.amount)
    _in_currency(order, amount)
    if amount > auth.amount:
        raise PaymentError(
            f"{order}: capture of {amount} exceeds authorization {auth.id} of {auth.amount}"
        )
    return _request(order, _intent(TransactionKind.CAPTURE, amount, auth, new_id, now), now, actor)


def request_void(
    order: Order, *, authorization_id: str | None = None, new_id: NewId, now: datetime, actor: Actor
) -> Change:
    """Decide to release held funds: one authorization, or every open one."""
    if authorization_id is not None:
        auth = order.transaction(authorization_id)
        auth.kind.table.step(auth.status, "void", subject=f"{order} authorization {auth.id}")
        targets: tuple[Transaction, ...] = (auth,)
    else:
        targets = tuple(
            a for a in open_authorizations(order) if request_in_flight(order, a) is None
        )
        if not targets:
            raise PaymentError(f"{order}: nothing to void (no open authorization)")
    change = Change(order)
    for auth in targets:
        if request_in_flight(change.order, auth) is not None:
            raise PaymentError(
                f"{order}: authorization {auth.id} already has a request in progress"
            )
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
) -> Change:
    """Decide to return ``amount``, taken from the latest captures and sales first;
    ``notify_customer`` tells the customer of each refund once it succeeds."""
    _in_currency(order, amount)
    sources = [
        tx
        for tx in reversed(order.transactions)
        if tx.kind in (TransactionKind.CAPTURE, TransactionKind.SALE) and tx.succeeded
    ]
    available = Money.total((refundable(order, tx) for tx in sources), order.currency)
    if amount > available:
        raise PaymentError(
            f"{order}: cannot refund {amount}; {available} is refundable "
            f"(net paid {net_paid(order)}, less refunds in progress)"
        )
    change, left = Change(order), amount
    for source in sources:
        part = min(left, refundable(order, source))
        if part.is_positive():
            change = change.then(
                _request(
                    change.order,
                    _intent(
                        TransactionKind.REFUND,
                        part,
                        source,
                        new_id,
                        now,
                        adjustment=_adjustment(change.order, part),
                        notify_customer=notify_customer,
                    ),
                    now,
                    actor,
                )
            )
            left = left - part
    return change


def settle(
    order: Order, transaction_id: str, result: GatewayResult, *, now: datetime, actor: Actor
) -> Change:
    """Record the gateway's answer to a pending request (a pending answer changes nothing)."""
    if not isinstance(result, GatewayResult):
        raise TypeError(f"'result' must be a GatewayResult, got {type(result).__name__}")
    tx = order.transaction(transaction_id)
    if result.succeeded is None:
        return Change(order)
    if not tx.pending:
        raise InvalidTransition(f"{order}: transaction {tx.id} is already {tx.status}")
    return _settled(
        order,
        tx,
        result.succeeded,
        result.error,
        now,
        actor,
        result.reference,
        result.reusable or None,
    )


def expire_authorizations(order: Order, *, now: datetime, actor: Actor) -> Change:
    """Authorizations past their ``expires_at`` with no capture in flight lapse."""
    change = Change(order)
    for auth in open_authorizations(order):
        if (
            auth.expires_at is not None
            and auth.expires_at <= now
            and request_in_flight(order, auth) is None
        ):
            done = auth.moved("expire", at=now)
            change = change.then(
                Change(
                    change.order.with_transaction(done),
                    (_event(AuthorizationExpired, done, order, now, actor),),
                )
            )
    return change


def next_due_at(order: Order) -> datetime | None:
    """When :func:`expire_authorizations` next has work on this order."""
    times = [
        a.expires_at
        for a in open_authorizations(order)
        if a.expires_at is not None and request_in_flight(order, a) is None
    ]
    return min(times, default=None)
