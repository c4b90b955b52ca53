"""Requests in flight at the gateway: what may happen around them, and how they end."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orderflow import (
    CancelReason,
    GatewayResult,
    Money,
    Order,
    PaymentReport,
    RetryPolicy,
    Settings,
    TransactionKind,
    balance,
    financial_status,
)
from orderflow.testing import GATEWAY, STAFF, Harness, authorization

from .conftest import TOTAL


def _capture_in_flight(harness: Harness, order: Order) -> Order:
    return harness.flow.capture(order.id, actor=STAFF)


def test_a_capture_never_sent_before_the_cancellation_is_not_sent_and_its_funds_are_released(
    harness: Harness, authorized: Order
) -> None:
    pending = _capture_in_flight(harness, authorized)
    cancelled = harness.flow.cancel(pending.id, CancelReason.CUSTOMER, actor=STAFF)
    assert cancelled.status == "cancelled"
    # No void was requested: the capture in flight settles the authorization first.
    assert [t.kind for t in cancelled.transactions] == [
        TransactionKind.AUTHORIZATION,
        TransactionKind.CAPTURE,
    ]

    harness.flow.dispatch()  # the capture: the books of a cancelled order owe nothing
    harness.flow.dispatch()  # the void that its failure called for

    settled = harness.flow.get(pending.id)
    assert settled.transactions[1].status == "failed"
    assert settled.transactions[1].error == (
        "not sent: the books no longer allow it (only 0.00 EUR is still to capture)"
    )
    assert [call.operation for call in harness.gateway.calls] == ["void"]
    assert financial_status(settled) == "voided"
    assert balance(settled) == Money("0.00", "EUR")


def test_a_capture_sent_before_the_cancellation_is_refunded_once_it_settles(
    harness: Harness, authorized: Order
) -> None:
    pending = _capture_in_flight(harness, authorized)
    harness.gateway.fail_next(1, "after")  # captured at the gateway, the answer lost
    assert harness.flow.dispatch().failed == 1
    harness.flow.cancel(pending.id, CancelReason.CUSTOMER, actor=STAFF)  # refund=True

    harness.clock.advance(seconds=30)
    harness.flow.dispatch()  # the capture again, same key: the gateway's first answer
    harness.flow.dispatch()  # the refund the cancellation asked for

    settled = harness.flow.get(pending.id)
    kinds = [(t.kind, t.status, str(t.amount)) for t in settled.transactions]
    assert kinds == [
        (TransactionKind.AUTHORIZATION, "captured", "62.00 EUR"),
        (TransactionKind.CAPTURE, "succeeded", "62.00 EUR"),
        (TransactionKind.REFUND, "succeeded", "62.00 EUR"),
    ]
    assert [c.operation for c in harness.gateway.effects] == ["capture", "refund"]
    assert (financial_status(settled), balance(settled)) == ("refunded", Money("0.00", "EUR"))


def test_a_gateway_report_of_our_capture_in_flight_settles_it_and_it_is_never_sent_again(
    harness: Harness, authorized: Order
) -> None:
    pending = _capture_in_flight(harness, authorized)
    capture_id = pending.transactions[-1].id
    report = PaymentReport(
        kind=TransactionKind.CAPTURE, amount=TOTAL, parent_reference="auth-ref", reference="ch_x"
    )

    reported = harness.flow.record_payment(
        pending.id, report, idempotency_key="evt-cap", actor=GATEWAY
    )

    # same authorization, same amount: the webhook is the answer to our request
    assert [t.id for t in reported.transactions] == [t.id for t in pending.transactions]
    assert reported.transaction(capture_id).status == "succeeded"
    assert reported.transaction(capture_id).reference == "ch_x"
    assert harness.flow.dispatch().delivered == 1  # its job finds it settled
    assert harness.gateway.calls == []


def test_a_late_asynchronous_answer_is_recorded_once_however_often_it_is_delivered(
    harness: Harness, authorized: Order
) -> None:
    pending = _capture_in_flight(harness, authorized)
    capture_id = pending.transactions[-1].id
    answer = GatewayResult(succeeded=True, reference="ch_late")
    first = harness.flow.settle_payment(
        pending.id, capture_id, answer, actor=GATEWAY, idempotency_key="evt-late"
    )
    again = harness.flow.settle_payment(
        pending.id, capture_id, answer, actor=GATEWAY, idempotency_key="evt-late"
    )
    assert again == first
    assert first.version == pending.version + 1
    assert first.transaction(capture_id).reference == "ch_late"


@pytest.mark.parametrize(
    "settings", [Settings(retry=RetryPolicy(max_attempts=2))], ids=["max_attempts=2"]
)
def test_a_dead_lettered_capture_can_be_requeued_and_then_charges_once(
    harness: Harness, authorized: Order
) -> None:
    flow = harness.flow
    pending = flow.capture(authorized.id, actor=STAFF)
    key = pending.transactions[-1].idempotency_key
    harness.gateway.fail_next(2, "before")
    assert flow.dispatch().failed == 1
    harness.clock.advance(minutes=5)
    assert flow.dispatch().dead == 1
    assert [d.state for d in harness.repository.deliveries(authorized.id)] == ["dead"]

    flow.requeue(key)
    assert flow.dispatch().delivered == 1
    assert len(harness.gateway.effects) == 1
    assert [d.state for d in harness.repository.deliveries(authorized.id)] == ["delivered"]
    assert financial_status(flow.get(authorized.id)) == "paid"


def test_an_authorization_with_a_capture_in_flight_does_not_expire(
    harness: Harness, placed: Order
) -> None:
    report = authorization(TOTAL, expires_in=timedelta(hours=1), clock=harness.clock)
    harness.flow.record_payment(placed.id, report, idempotency_key="evt-auth", actor=GATEWAY)
    pending = harness.flow.capture(placed.id, actor=STAFF)
    harness.clock.advance(hours=2)
    assert harness.flow.run_due().changed == 0
    assert harness.flow.get(placed.id) == pending
