"""Payments: outcomes recorded as facts, and capture/void/refund intents settled later.

The default draft totals 62.00 EUR (2 x 20.00 + 15.00 shipping + 7.00 tax).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import attrs
import pytest

from orderflow.domain import payments, settlement
from orderflow.domain.cancellation import cancel
from orderflow.domain.events import (
    AuthorizationExpired,
    PaymentAuthorized,
    PaymentCaptured,
    PaymentFailed,
    PaymentRefunded,
    PaymentRequested,
    PaymentVoided,
)
from orderflow.domain.financial import balance, financial_status
from orderflow.domain.money import Money
from orderflow.domain.order import CancelReason, Change, Order
from orderflow.domain.settlement import GatewayResult, PaymentReport
from orderflow.domain.transaction import TransactionKind
from orderflow.errors import (
    CurrencyMismatch,
    InvalidAmount,
    InvalidTransition,
    OrderflowError,
    PaymentError,
    TransactionNotFound,
)
from orderflow.testing import (
    EPOCH,
    GATEWAY,
    STAFF,
    SequentialIds,
    authorization,
    eur,
    make_order,
    sale,
)

from .helpers import ids, record, recording

LATER = EPOCH + timedelta(hours=1)


def authorized(amount: str = "62.00", expires_at: datetime | None = None) -> Order:
    report = attrs.evolve(authorization(eur(amount), "auth-ref"), expires_at=expires_at)
    return record(make_order(), report, "auth-1")


def paid() -> Order:
    return record(make_order(), sale(eur("62.00"), "sale-ref"), "sale-1")


def child(kind: TransactionKind, amount: str, parent_reference: str) -> PaymentReport:
    return PaymentReport(
        kind=kind,
        amount=eur(amount),
        reference=f"{kind.value}-ref",
        parent_reference=parent_reference,
    )


def request_capture(order: Order, **options: object) -> Change:
    return payments.request_capture(
        order,
        new_id=SequentialIds("cap").new_id,
        now=LATER,
        actor=STAFF,
        **options,  # type: ignore[arg-type]
    )


# -- recording outcomes that already happened ----------------------------------------------


def test_a_reported_authorization_holds_funds() -> None:
    report = attrs.evolve(
        authorization(eur("62.00"), "auth-ref"), expires_at=EPOCH + timedelta(days=7)
    )

    change = recording(make_order(), report, "auth-1")

    tx = change.order.transaction("auth-1")
    assert (tx.kind, tx.status, tx.amount) == (
        TransactionKind.AUTHORIZATION,
        "authorized",
        eur("62.00"),
    )
    assert (tx.reference, tx.idempotency_key, tx.reusable) == ("auth-ref", "key-auth-1", True)
    assert tx.expires_at == EPOCH + timedelta(days=7)
    assert tx.processed_at == EPOCH
    assert change.events == (
        PaymentAuthorized(
            order_id="ord-1",
            at=EPOCH,
            actor=GATEWAY,
            transaction_id="auth-1",
            kind=TransactionKind.AUTHORIZATION,
            amount=eur("62.00"),
        ),
    )


def test_a_reported_sale_takes_money_at_once() -> None:
    change = recording(make_order(), sale(eur("62.00"), "sale-ref"), "sale-1")

    tx = change.order.transaction("sale-1")
    assert (tx.kind, tx.status, tx.parent_id) == (TransactionKind.SALE, "succeeded", None)
    assert [type(e) for e in change.events] == [PaymentCaptured]
    assert financial_status(change.order) == "paid"


def test_a_reported_capture_settles_its_authorization_found_by_gateway_reference() -> None:
    change = recording(authorized(), child(TransactionKind.CAPTURE, "62.00", "auth-ref"), "cap-1")

    capture = change.order.transaction("cap-1")
    assert (capture.status, capture.parent_id) == ("succeeded", "auth-1")
    assert change.order.transaction("auth-1").status == "captured"
    assert [(type(e), e.transaction_id) for e in change.events] == [(PaymentCaptured, "cap-1")]


def test_a_reported_void_releases_the_whole_authorization() -> None:
    # the void's amount is the authorization's, whatever the report says
    change = recording(authorized(), child(TransactionKind.VOID, "1.00", "auth-ref"), "void-1")

    void = change.order.transaction("void-1")
    assert (void.status, void.parent_id, void.amount) == ("succeeded", "auth-1", eur("62.00"))
    assert change.order.transaction("auth-1").status == "voided"
    assert [type(e) for e in change.events] == [PaymentVoided]


def test_a_reported_refund_returns_money_from_its_sale() -> None:
    change = recording(paid(), child(TransactionKind.REFUND, "20.00", "sale-ref"), "refund-1")

    refund = change.order.transaction("refund-1")
    assert (refund.status, refund.parent_id, refund.amount) == ("succeeded", "sale-1", eur("20.00"))
    assert [type(e) for e in change.events] == [PaymentRefunded]


def test_a_reported_failure_is_recorded_with_its_error() -> None:
    report = attrs.evolve(sale(eur("62.00")), succeeded=False, error="card declined")

    change = recording(make_order(), report, "sale-1")

    tx = change.order.transaction("sale-1")
    assert (tx.status, tx.error) == ("failed", "card declined")
    assert change.events == (
        PaymentFailed(
            order_id="ord-1",
            at=EPOCH,
            actor=GATEWAY,
            transaction_id="sale-1",
            kind=TransactionKind.SALE,
            amount=eur("62.00"),
            error="card declined",
        ),
    )
    assert financial_status(change.order) == "pending"


def test_a_failed_authorization_without_an_error_is_recorded_as_declined() -> None:
    report = attrs.evolve(authorization(eur("62.00")), succeeded=False)

    tx = record(make_order(), report, "auth-1").transaction("auth-1")

    assert (tx.status, tx.error) == ("failed", "declined")


def test_a_failed_capture_report_leaves_the_authorization_open() -> None:
    report = attrs.evolve(child(TransactionKind.CAPTURE, "62.00", "auth-ref"), succeeded=False)

    order = record(authorized(), report, "cap-1")

    assert order.transaction("cap-1").status == "failed"
    assert order.transaction("auth-1").status == "authorized"


# -- intents: decided here, sent by the service, settled later --------------------------------


def test_requesting_a_capture_adds_a_pending_capture_with_an_idempotency_key() -> None:
    change = request_capture(authorized())

    capture = change.order.transactions[-1]
    assert capture.id == "cap-1"
    assert (capture.kind, capture.status) == (TransactionKind.CAPTURE, "pending")
    assert capture.amount == eur("62.00")  # what is owed, up to the 62.00 held
    assert capture.parent_id == "auth-1"
    assert capture.idempotency_key == "orderflow-capture-cap-1"
    assert change.order.transaction("auth-1").status == "authorized"
    assert change.events == (
        PaymentRequested(
            order_id="ord-1",
            at=LATER,
            actor=STAFF,
            transaction_id="cap-1",
            kind=TransactionKind.CAPTURE,
            amount=eur("62.00"),
        ),
    )


def test_a_default_capture_takes_only_what_is_owed() -> None:
    order = record(authorized("100.00"), sale(eur("12.00")), "sale-1")

    capture = request_capture(order).order.transactions[-1]

    assert capture.amount == eur("50.00")  # 62.00 - 12.00 already paid, though 100.00 is held


def test_a_capture_of_a_chosen_amount_from_a_chosen_authorization() -> None:
    order = record(authorized("30.00"), authorization(eur("32.00"), "auth-2"), "auth-2")

    capture = request_capture(
        order, amount=eur("20.00"), authorization_id="auth-2"
    ).order.transactions[-1]

    assert (capture.parent_id, capture.amount) == ("auth-2", eur("20.00"))


def test_a_successful_capture_settles_the_authorization() -> None:
    order = request_capture(authorized()).order

    change = settlement.settle(
        order, "cap-1", GatewayResult(True, "gw-cap-1"), new_id=ids(), now=LATER, actor=GATEWAY
    )

    capture = change.order.transaction("cap-1")
    assert (capture.status, capture.reference, capture.processed_at) == (
        "succeeded",
        "gw-cap-1",
        LATER,
    )
    assert change.order.transaction("auth-1").status == "captured"
    assert [type(e) for e in change.events] == [PaymentCaptured]
    assert balance(change.order) == eur("0.00")


def test_a_failed_capture_keeps_the_authorization_open_for_another_try() -> None:
    order = request_capture(authorized()).order

    change = settlement.settle(
        order,
        "cap-1",
        GatewayResult(False, error="insufficient funds"),
        new_id=ids(),
        now=LATER,
        actor=GATEWAY,
    )

    assert change.order.transaction("cap-1").status == "failed"
    assert change.order.transaction("cap-1").error == "insufficient funds"
    assert change.order.transaction("auth-1").status == "authorized"
    assert [type(e) for e in change.events] == [PaymentFailed]
    retry = payments.request_capture(
        change.order, new_id=SequentialIds("retry").new_id, now=LATER, actor=STAFF
    )
    assert retry.order.transactions[-1].status == "pending"


def test_a_pending_answer_changes_nothing() -> None:
    order = request_capture(authorized()).order

    change = settlement.settle(
        order, "cap-1", GatewayResult(None), new_id=ids(), now=LATER, actor=GATEWAY
    )

    assert change.order == order
    assert change.events == ()


def test_the_same_answer_again_changes_nothing_but_may_bring_the_reference() -> None:
    order = request_capture(authorized()).order
    order = settlement.settle(
        order, "cap-1", GatewayResult(True), new_id=ids(), now=LATER, actor=GATEWAY
    ).order

    again = settlement.settle(
        order, "cap-1", GatewayResult(True, "gw-7"), new_id=ids(), now=LATER, actor=GATEWAY
    )

    assert again.events == ()
    assert again.order.transaction("cap-1").reference == "gw-7"
    assert again.order.transactions == tuple(
        attrs.evolve(tx, reference="gw-7") if tx.id == "cap-1" else tx for tx in order.transactions
    )


def test_an_answer_contradicting_a_settled_request_puts_the_order_on_review() -> None:
    order = request_capture(authorized()).order
    order = settlement.settle(
        order, "cap-1", GatewayResult(True), new_id=ids(), now=LATER, actor=GATEWAY
    ).order

    change = settlement.settle(
        order, "cap-1", GatewayResult(False), new_id=ids("h-1"), now=LATER, actor=GATEWAY
    )

    # settling never fails for a reason of orderflow's own: the books keep the capture,
    # and a person looks at what the gateway said
    assert change.order.transaction("cap-1").status == "succeeded"
    assert change.order.transaction("cap-1").review == (
        "the gateway answered that capture cap-1 of 62.00 EUR failed, but it is recorded as "
        "succeeded"
    )
    assert [h.id for h in change.order.fulfillment_orders[0].holds] == ["h-1"]


def test_settling_an_unknown_transaction_is_refused() -> None:
    with pytest.raises(TransactionNotFound):
        settlement.settle(
            authorized(), "nope", GatewayResult(True), new_id=ids(), now=LATER, actor=GATEWAY
        )


def test_a_successful_answer_may_mark_the_payment_method_reusable() -> None:
    order = record(make_order(), authorization(eur("62.00"), reusable=False), "auth-1")
    order = request_capture(order).order

    order = settlement.settle(
        order, "cap-1", GatewayResult(True, reusable=True), new_id=ids(), now=LATER, actor=GATEWAY
    ).order

    assert order.transaction("cap-1").reusable is True


def test_requesting_a_void_releases_every_open_authorization() -> None:
    order = record(authorized("30.00"), authorization(eur("32.00"), "auth-2"), "auth-2")

    change = payments.request_void(
        order, new_id=SequentialIds("void").new_id, now=LATER, actor=STAFF
    )

    voids = change.order.transactions[-2:]
    assert [(v.id, v.kind, v.status, v.parent_id, v.amount) for v in voids] == [
        ("void-1", TransactionKind.VOID, "pending", "auth-1", eur("30.00")),
        ("void-2", TransactionKind.VOID, "pending", "auth-2", eur("32.00")),
    ]
    assert [v.idempotency_key for v in voids] == ["orderflow-void-void-1", "orderflow-void-void-2"]
    assert [type(e) for e in change.events] == [PaymentRequested, PaymentRequested]
    settled = settlement.settle(
        change.order, "void-1", GatewayResult(True), new_id=ids(), now=LATER, actor=GATEWAY
    )
    assert settled.order.transaction("auth-1").status == "voided"
    assert [type(e) for e in settled.events] == [PaymentVoided]


def test_requesting_a_refund_takes_from_the_latest_payment_first() -> None:
    order = record(make_order(), sale(eur("30.00"), "sale-a"), "sale-1")
    order = record(order, sale(eur("32.00"), "sale-b"), "sale-2")

    change = payments.request_refund(
        order, eur("40.00"), new_id=SequentialIds("r").new_id, now=LATER, actor=STAFF
    )

    refunds = change.order.transactions[-2:]
    # 32.00 from the latest sale, the remaining 8.00 from the first
    assert [(r.id, r.parent_id, r.amount, r.status) for r in refunds] == [
        ("r-1", "sale-2", eur("32.00"), "pending"),
        ("r-2", "sale-1", eur("8.00"), "pending"),
    ]
    assert [r.idempotency_key for r in refunds] == ["orderflow-refund-r-1", "orderflow-refund-r-2"]
    assert [(type(e), e.amount) for e in change.events] == [
        (PaymentRequested, eur("32.00")),
        (PaymentRequested, eur("8.00")),
    ]


def test_a_successful_refund_is_reported_as_refunded() -> None:
    order = payments.request_refund(
        paid(), eur("20.00"), new_id=SequentialIds("r").new_id, now=LATER, actor=STAFF
    ).order

    change = settlement.settle(
        order, "r-1", GatewayResult(True, "gw-r-1"), new_id=ids(), now=LATER, actor=GATEWAY
    )

    assert change.order.transaction("r-1").status == "succeeded"
    assert [(type(e), e.amount) for e in change.events] == [(PaymentRefunded, eur("20.00"))]


# -- refusals ------------------------------------------------------------------------------


def cancelled_with_open_authorization() -> Order:
    order = cancel(
        authorized(), CancelReason.STAFF, new_id=SequentialIds("c").new_id, now=EPOCH, actor=STAFF
    ).order
    assert order.transaction("auth-1").status == "authorized"  # the void is only requested
    return order


def capture_requested() -> Order:
    return request_capture(authorized(), amount=eur("10.00")).order


def refund_requested() -> Order:
    return payments.request_refund(
        paid(), eur("50.00"), new_id=SequentialIds("r").new_id, now=LATER, actor=STAFF
    ).order


REFUSALS: list[tuple[str, Callable[[], Order], Callable[[Order], object], type[Exception], str]] = [
    (
        "over-capture requested",
        authorized,
        lambda o: request_capture(o, amount=eur("62.01")),
        PaymentError,
        r"cannot capture 62\.01 EUR; 62\.00 EUR is still to capture",
    ),
    (
        "capture on a cancelled order",
        cancelled_with_open_authorization,
        request_capture,
        InvalidTransition,
        "cannot capture a payment while cancelled",
    ),
    (
        "second capture while one is pending",
        capture_requested,
        request_capture,
        PaymentError,
        "already has a capture in progress",
    ),
    (
        "capture with nothing authorized",
        paid,
        request_capture,
        PaymentError,
        "nothing to capture",
    ),
    (
        "capture with nothing owed",
        lambda: record(authorized(), sale(eur("62.00")), "sale-1"),
        request_capture,
        PaymentError,
        "nothing to capture",
    ),
    (
        "capture of a voided authorization",
        lambda: record(authorized(), child(TransactionKind.VOID, "62.00", "auth-ref"), "void-1"),
        lambda o: request_capture(o, authorization_id="auth-1"),
        InvalidTransition,
        "cannot capture while voided",
    ),
    (
        "void with nothing authorized",
        paid,
        lambda o: payments.request_void(o, new_id=SequentialIds().new_id, now=LATER, actor=STAFF),
        PaymentError,
        "nothing to void",
    ),
    (
        "void while a capture is pending",
        capture_requested,
        lambda o: payments.request_void(
            o, authorization_id="auth-1", new_id=SequentialIds().new_id, now=LATER, actor=STAFF
        ),
        PaymentError,
        "already has a request in progress",
    ),
    (
        "over-refund requested",
        paid,
        lambda o: payments.request_refund(
            o, eur("62.01"), new_id=SequentialIds().new_id, now=LATER, actor=STAFF
        ),
        PaymentError,
        "cannot refund 62.01 EUR; 62.00 EUR is refundable",
    ),
    (
        "over-refund counting refunds in progress",
        refund_requested,
        lambda o: payments.request_refund(
            o, eur("12.01"), new_id=SequentialIds("x").new_id, now=LATER, actor=STAFF
        ),
        PaymentError,
        "12.00 EUR is refundable",  # 62.00 - 50.00 pending
    ),
    (
        "refund with nothing paid",
        authorized,
        lambda o: payments.request_refund(
            o, eur("1.00"), new_id=SequentialIds().new_id, now=LATER, actor=STAFF
        ),
        PaymentError,
        "0.00 EUR is refundable",
    ),
    (
        "payment in another currency",
        make_order,
        lambda o: recording(o, sale(Money("62.00", "USD"))),
        CurrencyMismatch,
        "62.00 USD is not in EUR",
    ),
    (
        "payment of nothing",
        make_order,
        lambda o: recording(o, sale(eur("0.00"))),
        InvalidAmount,
        "must be positive",
    ),
    (
        "negative capture",
        authorized,
        lambda o: request_capture(o, amount=eur("-1.00")),
        InvalidAmount,
        "must be positive",
    ),
]


@pytest.mark.parametrize(
    ("build", "attempt", "error", "message"),
    [pytest.param(b, a, e, m, id=name) for name, b, a, e, m in REFUSALS],
)
def test_a_refused_payment_names_the_order_and_leaves_it_unchanged(
    build: Callable[[], Order],
    attempt: Callable[[Order], object],
    error: type[Exception],
    message: str,
) -> None:
    order = build()
    before = attrs.evolve(order)

    with pytest.raises(error, match=message) as refused:
        attempt(order)

    assert isinstance(refused.value, OrderflowError)
    assert "ord-1" in str(refused.value)
    assert order == before


# -- expiry ---------------------------------------------------------------------------------


def test_an_authorization_lapses_once_its_expiry_time_is_reached() -> None:
    expiry = EPOCH + timedelta(days=7)
    order = authorized(expires_at=expiry)

    assert (
        payments.expire_authorizations(
            order, now=expiry - timedelta(seconds=1), actor=GATEWAY
        ).events
        == ()
    )
    change = payments.expire_authorizations(order, now=expiry, actor=GATEWAY)

    assert change.order.transaction("auth-1").status == "expired"
    assert change.events == (
        AuthorizationExpired(
            order_id="ord-1",
            at=expiry,
            actor=GATEWAY,
            transaction_id="auth-1",
            kind=TransactionKind.AUTHORIZATION,
            amount=eur("62.00"),
        ),
    )
    assert financial_status(change.order) == "expired"


def test_an_authorization_with_a_capture_in_flight_does_not_lapse() -> None:
    expiry = EPOCH + timedelta(days=7)
    order = request_capture(authorized(expires_at=expiry)).order

    change = payments.expire_authorizations(order, now=expiry + timedelta(days=1), actor=GATEWAY)

    assert change.order == order
    assert change.events == ()


def test_an_authorization_without_an_expiry_never_lapses() -> None:
    order = authorized()

    change = payments.expire_authorizations(order, now=EPOCH + timedelta(days=3650), actor=GATEWAY)

    assert change.order == order
    assert change.events == ()


def test_next_due_at_is_the_earliest_open_authorization_expiry() -> None:
    first, second = EPOCH + timedelta(days=7), EPOCH + timedelta(days=3)
    order = authorized(expires_at=first)
    report = attrs.evolve(authorization(eur("10.00"), "auth-2"), expires_at=second)
    order = record(order, report, "auth-2")

    assert payments.next_due_at(order) == second
    order = record(order, child(TransactionKind.VOID, "10.00", "auth-2"), "void-1")
    assert payments.next_due_at(order) == first


def test_a_capture_in_flight_holds_off_expiry_and_is_due_for_review_three_days_on() -> None:
    assert payments.next_due_at(make_order()) is None
    assert payments.next_due_at(authorized()) is None
    # requested at LATER; its authorization would lapse in 7 days, but not while it waits
    in_flight = request_capture(authorized(expires_at=EPOCH + timedelta(days=7))).order
    assert payments.next_due_at(in_flight) == LATER + timedelta(days=3)
