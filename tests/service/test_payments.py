"""Payments through the service: outside results recorded once per key, and our own
captures, refunds and voids saved as intents that the outbox carries to the gateway."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orderflow import (
    Actor,
    GatewayResult,
    IdempotencyConflict,
    Money,
    NotPermitted,
    Order,
    Settings,
    TransactionKind,
    balance,
    financial_status,
)
from orderflow.testing import GATEWAY, STAFF, Harness, authorization, make_draft

from .conftest import TOTAL

# -- outside results, once per idempotency key -----------------------------------------


def test_recording_an_authorization_holds_the_total(harness: Harness, placed: Order) -> None:
    order = harness.flow.record_payment(
        placed.id, authorization(TOTAL), idempotency_key="evt-1", actor=GATEWAY
    )

    (tx,) = order.transactions
    assert (tx.kind, tx.status, tx.amount, tx.reference) == (
        TransactionKind.AUTHORIZATION,
        "authorized",
        Money("62.00", "EUR"),
        "auth-ref",
    )
    assert financial_status(order) == "authorized"
    assert order.version == 2


def test_a_replayed_payment_report_returns_the_order_unchanged(
    harness: Harness, placed: Order
) -> None:
    first = harness.flow.record_payment(
        placed.id, authorization(TOTAL), idempotency_key="evt-1", actor=GATEWAY
    )

    again = harness.flow.record_payment(
        placed.id, authorization(TOTAL), idempotency_key="evt-1", actor=GATEWAY
    )

    assert again == first
    assert again.version == 2
    assert len(again.transactions) == 1
    assert harness.repository.get(placed.id) is first


def test_a_replay_is_authorized_like_a_first_request(harness: Harness, placed: Order) -> None:
    harness.flow.record_payment(
        placed.id, authorization(TOTAL), idempotency_key="evt-1", actor=GATEWAY
    )

    with pytest.raises(NotPermitted, match=r"customer Ada may not record_payment"):
        harness.flow.record_payment(
            placed.id,
            authorization(TOTAL),
            idempotency_key="evt-1",
            actor=Actor.customer("cust-1", "Ada"),
        )


def test_the_same_key_with_a_different_report_raises_idempotency_conflict_with_advice(
    harness: Harness, placed: Order
) -> None:
    harness.flow.record_payment(
        placed.id, authorization(TOTAL), idempotency_key="evt-1", actor=GATEWAY
    )

    with pytest.raises(IdempotencyConflict, match=r"'evt-1'.*use a new key for a new request"):
        harness.flow.record_payment(
            placed.id,
            authorization(Money("50.00", "EUR")),
            idempotency_key="evt-1",
            actor=GATEWAY,
        )

    assert len(harness.flow.get(placed.id).transactions) == 1


def test_the_same_key_on_another_order_raises_idempotency_conflict(harness: Harness) -> None:
    first = harness.flow.place(make_draft(), actor=STAFF)
    second = harness.flow.place(make_draft(), actor=STAFF)
    harness.flow.record_payment(
        first.id, authorization(TOTAL), idempotency_key="evt-1", actor=GATEWAY
    )

    with pytest.raises(IdempotencyConflict, match="'evt-1'") as refused:
        harness.flow.record_payment(
            second.id, authorization(TOTAL), idempotency_key="evt-1", actor=GATEWAY
        )

    assert first.id not in str(refused.value)  # another order's id is never given away
    assert harness.flow.get(second.id).transactions == ()


def test_a_key_is_still_recognised_just_before_its_retention_ends(
    harness: Harness, placed: Order
) -> None:
    first = harness.flow.record_payment(
        placed.id, authorization(TOTAL), idempotency_key="evt-1", actor=GATEWAY
    )
    harness.clock.advance(Settings().idempotency_retention - timedelta(seconds=1))
    harness.flow.run_due()

    again = harness.flow.record_payment(
        placed.id, authorization(TOTAL), idempotency_key="evt-1", actor=GATEWAY
    )

    assert again is first


def test_a_key_whose_retention_has_passed_is_a_new_request_but_the_same_operation(
    harness: Harness, placed: Order
) -> None:
    harness.flow.record_payment(
        placed.id, authorization(TOTAL), idempotency_key="evt-1", actor=GATEWAY
    )
    harness.clock.advance(days=30, seconds=1)  # the default retention is 30 days
    harness.flow.run_due()

    assert harness.repository.idempotency_record("payment", "evt-1") is None
    order = harness.flow.record_payment(
        placed.id, authorization(TOTAL), idempotency_key="evt-1", actor=GATEWAY
    )

    # a new request for the key (its record is saved), but the gateway's reference says it
    # is the authorization already recorded: nothing is recorded twice
    assert order.version == 3
    assert len(order.transactions) == 1
    assert harness.repository.idempotency_record("payment", "evt-1") is not None


# -- capture: an intent first, the gateway after the save ------------------------------


def test_a_capture_is_saved_as_a_pending_intent_and_the_gateway_is_not_called(
    harness: Harness, authorized: Order
) -> None:
    order = harness.flow.capture(authorized.id, actor=STAFF)

    capture = order.transactions[-1]
    assert (capture.kind, capture.status, capture.amount) == (
        TransactionKind.CAPTURE,
        "pending",
        Money("62.00", "EUR"),
    )
    assert capture.idempotency_key == f"orderflow-capture-{capture.id}"
    assert harness.gateway.calls == []
    assert financial_status(order) == "authorized"
    assert order.timeline[-1].message == "Capture of 62.00 EUR requested from the gateway."


def test_dispatch_calls_the_gateway_once_with_the_capture_key_and_the_order_becomes_paid(
    harness: Harness, authorized: Order
) -> None:
    capture = harness.flow.capture(authorized.id, actor=STAFF).transactions[-1]

    report = harness.flow.dispatch()

    (call,) = harness.gateway.calls
    assert call.operation == "capture"
    assert call.request.idempotency_key == capture.idempotency_key
    assert call.request.amount == Money("62.00", "EUR")
    assert call.request.reference == "auth-ref"
    assert (report.delivered, report.failed, report.dead) == (1, 0, 0)
    order = harness.flow.get(authorized.id)
    assert financial_status(order) == "paid"
    assert balance(order) == Money("0.00", "EUR")
    assert order.transaction(capture.id).status == "succeeded"
    assert order.transaction(capture.id).reference == "gw_capture_1"
    assert order.timeline[-1].message == "Payment of 62.00 EUR captured."


def test_a_second_dispatch_does_not_call_the_gateway_again(
    harness: Harness, authorized: Order
) -> None:
    harness.flow.capture(authorized.id, actor=STAFF)
    harness.flow.dispatch()

    report = harness.flow.dispatch()

    assert (report.delivered, report.failed, report.dead) == (0, 0, 0)
    assert len(harness.gateway.calls) == 1


def test_a_partial_capture_leaves_the_order_partially_paid(
    harness: Harness, authorized: Order
) -> None:
    harness.flow.capture(authorized.id, amount=Money("20.00", "EUR"), actor=STAFF)
    harness.flow.dispatch()

    order = harness.flow.get(authorized.id)

    assert financial_status(order) == "partially_paid"
    assert balance(order) == Money("42.00", "EUR")  # 62.00 - 20.00


@pytest.mark.parametrize("settings", [Settings(run_jobs_inline=True)], ids=["inline jobs"])
def test_with_inline_jobs_capture_returns_the_paid_order(
    harness: Harness, authorized: Order
) -> None:
    order = harness.flow.capture(authorized.id, actor=STAFF)

    assert financial_status(order) == "paid"
    assert order.version == 4  # placed, authorized, capture requested, capture settled
    assert order == harness.flow.get(authorized.id)
    assert len(harness.gateway.effects) == 1
    assert [d.state for d in harness.repository.deliveries(authorized.id)] == ["delivered"]


def test_a_declined_capture_fails_the_transaction_and_keeps_the_order_authorized(
    harness: Harness, authorized: Order
) -> None:
    harness.gateway.fail_next(1, "decline")
    capture = harness.flow.capture(authorized.id, actor=STAFF).transactions[-1]

    report = harness.flow.dispatch()

    order = harness.flow.get(authorized.id)
    failed = order.transaction(capture.id)
    assert (failed.status, failed.error) == ("failed", "card declined")
    assert (order.timeline[-1].kind, order.timeline[-1].message) == (
        "PaymentFailed",
        "Capture of 62.00 EUR failed: card declined.",
    )
    assert financial_status(order) == "authorized"
    assert order.transactions[0].status == "authorized"
    assert harness.gateway.effects == []
    assert report.delivered == 1  # a decline is an answer, not a delivery failure


def test_after_a_decline_a_new_capture_can_be_requested_and_succeed(
    harness: Harness, authorized: Order
) -> None:
    harness.gateway.fail_next(1, "decline")
    declined = harness.flow.capture(authorized.id, actor=STAFF).transactions[-1]
    harness.flow.dispatch()

    retry = harness.flow.capture(authorized.id, actor=STAFF).transactions[-1]
    harness.flow.dispatch()

    assert retry.id != declined.id
    assert retry.idempotency_key != declined.idempotency_key
    assert financial_status(harness.flow.get(authorized.id)) == "paid"
    assert len(harness.gateway.effects) == 1


# -- refunds and voids ------------------------------------------------------------------


def test_a_refund_is_an_intent_returned_from_the_capture_by_dispatch(
    harness: Harness, paid: Order
) -> None:
    order = harness.flow.refund(paid.id, Money("12.00", "EUR"), actor=STAFF)
    refund = order.transactions[-1]
    assert (refund.kind, refund.status, refund.parent_id) == (
        TransactionKind.REFUND,
        "pending",
        paid.transactions[1].id,
    )
    assert [c.operation for c in harness.gateway.calls] == ["capture"]

    harness.flow.dispatch()

    call = harness.gateway.calls[-1]
    assert (call.operation, call.request.amount, call.request.reference) == (
        "refund",
        Money("12.00", "EUR"),
        "gw_capture_1",
    )
    assert call.request.idempotency_key == refund.idempotency_key
    order = harness.flow.get(paid.id)
    assert order.transaction(refund.id).status == "succeeded"
    assert financial_status(order) == "partially_refunded"
    assert order.timeline[-1].message == "Refund of 12.00 EUR succeeded."


def test_refunding_everything_leaves_the_order_refunded(harness: Harness, sold: Order) -> None:
    harness.flow.refund(sold.id, Money("62.00", "EUR"), actor=STAFF)
    harness.flow.dispatch()

    order = harness.flow.get(sold.id)

    assert harness.gateway.calls[-1].request.reference == "sale-ref"
    assert financial_status(order) == "refunded"


def test_a_void_is_an_intent_that_dispatch_sends_and_the_authorization_ends_voided(
    harness: Harness, authorized: Order
) -> None:
    order = harness.flow.void(authorized.id, actor=STAFF)
    void = order.transactions[-1]
    assert (void.kind, void.status, void.amount) == (
        TransactionKind.VOID,
        "pending",
        Money("62.00", "EUR"),
    )
    assert harness.gateway.calls == []

    harness.flow.dispatch()

    (call,) = harness.gateway.calls
    assert (call.operation, call.request.reference) == ("void", "auth-ref")
    order = harness.flow.get(authorized.id)
    assert order.transactions[0].status == "voided"
    assert financial_status(order) == "voided"
    assert order.timeline[-1].message == "Authorization of 62.00 EUR voided."


# -- late answers from the gateway ------------------------------------------------------


def test_a_late_gateway_answer_delivered_twice_by_webhook_is_recorded_once(
    harness: Harness, authorized: Order
) -> None:
    capture = harness.flow.capture(authorized.id, actor=STAFF).transactions[-1]
    answer = GatewayResult(succeeded=True, reference="gw_late")

    first = harness.flow.settle_payment(
        authorized.id, capture.id, answer, idempotency_key="hook-1", actor=GATEWAY
    )
    again = harness.flow.settle_payment(
        authorized.id, capture.id, answer, idempotency_key="hook-1", actor=GATEWAY
    )

    assert again == first
    assert financial_status(first) == "paid"
    assert first.transaction(capture.id).reference == "gw_late"


def test_dispatch_skips_a_request_that_a_webhook_settled_first(
    harness: Harness, authorized: Order
) -> None:
    capture = harness.flow.capture(authorized.id, actor=STAFF).transactions[-1]
    harness.flow.settle_payment(
        authorized.id, capture.id, GatewayResult(succeeded=True, reference="gw_hook"), actor=GATEWAY
    )

    report = harness.flow.dispatch()

    assert report.delivered == 1
    assert harness.gateway.calls == []
    assert harness.flow.get(authorized.id).transaction(capture.id).reference == "gw_hook"


class CountingReads:
    """The flow's repository, counting the orders read through it."""

    def __init__(self, store: object) -> None:
        self.store = store
        self.reads: list[str] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)

    def get(self, order_id: str) -> Order:
        self.reads.append(order_id)
        order: Order = self.store.get(order_id)  # type: ignore[attr-defined]
        return order


def test_a_payment_job_reads_its_order_once_and_records_the_answer_on_it(
    harness: Harness, authorized: Order
) -> None:
    harness.flow.capture(authorized.id, actor=STAFF)
    counting = CountingReads(harness.repository)
    harness.flow.repository = counting  # type: ignore[assignment]

    harness.flow.dispatch()

    assert counting.reads == [authorized.id]
    assert financial_status(harness.flow.get(authorized.id)) == "paid"


def test_a_payment_job_whose_order_changed_during_the_gateway_call_reloads_it_and_settles(
    harness: Harness, authorized: Order
) -> None:
    harness.flow.capture(authorized.id, actor=STAFF)
    call = harness.gateway.capture

    def capture_while_staff_writes_a_note(request: object) -> GatewayResult:
        harness.flow.update_note(authorized.id, "called meanwhile", actor=STAFF)
        return call(request)  # type: ignore[arg-type]

    harness.gateway.capture = capture_while_staff_writes_a_note  # type: ignore[method-assign]

    report = harness.flow.dispatch()

    order = harness.flow.get(authorized.id)
    assert (report.delivered, report.failed) == (1, 0)
    assert (financial_status(order), order.note) == ("paid", "called meanwhile")
