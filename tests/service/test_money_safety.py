"""Money safety in a hostile world: orderflow never asks for more than the books allow.

Each test is named after a behaviour that failed before the payment ledger (issue 10); the
fake gateway keeps books of its own, and every expected amount is worked out by hand from
the rule. Every order is ``make_draft()``: 2 x 20.00 + 15.00 shipping + 7.00 VAT = 62.00.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from orderflow import (
    Actor,
    CancelReason,
    CaptureMode,
    CapturePolicy,
    GatewayResult,
    Money,
    NotPermitted,
    Order,
    PaymentConflict,
    PaymentError,
    PaymentReport,
    Policies,
    TransactionKind,
    balance,
    financial_status,
)
from orderflow.adapters.fake_gateway import FakeGateway, Movement
from orderflow.domain.review import REVIEW_HANDLE
from orderflow.ports.payments import PaymentRequest
from orderflow.testing import GATEWAY, STAFF, Harness, make_draft, make_flow

from .conftest import TOTAL

CAPTURE, REFUND, SALE = TransactionKind.CAPTURE, TransactionKind.REFUND, TransactionKind.SALE


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def flow_with(mode: CaptureMode = CaptureMode.MANUAL) -> Harness:
    return make_flow(publish=False, policies=Policies(capture=CapturePolicy(mode)))


def report(harness: Harness, order: Order, payment: PaymentReport, key: str) -> Order:
    return harness.flow.record_payment(order.id, payment, idempotency_key=key, actor=GATEWAY)


def drained(harness: Harness) -> None:
    """Dispatch until nothing is left to do, as a worker would (retries wait their turn)."""
    idle = 0
    while idle < 2:
        done = harness.flow.dispatch()
        idle = 0 if done.delivered or done.failed or done.dead else idle + 1
        harness.clock.advance(hours=1)


def taken_by_gateway(gateway: FakeGateway) -> list[tuple[TransactionKind, str]]:
    return [(m.kind, str(m.amount)) for m in gateway.movements]


# -- finding 1: double capture ---------------------------------------------------------------


@pytest.mark.parametrize("mode", [CaptureMode.AUTOMATIC, CaptureMode.ON_FULFILLMENT])
def test_a_reauthorization_is_not_captured_a_second_time_by_the_capture_policy(
    mode: CaptureMode,
) -> None:
    harness = flow_with(mode)
    order = harness.flow.place(make_draft(), actor=GATEWAY)
    report(harness, order, harness.gateway.authorize(TOTAL), "a1")
    order = report(harness, order, harness.gateway.authorize(TOTAL), "a2")  # re-authorized
    if mode is CaptureMode.ON_FULFILLMENT:
        order = harness.flow.fulfill(order.id, order.fulfillment_orders[0].id, actor=STAFF)

    drained(harness)

    order = harness.flow.get(order.id)
    # 62.00 is owed: one capture of 62.00 from the first authorization, the second voided
    assert taken_by_gateway(harness.gateway) == [(CAPTURE, "62.00 EUR")]
    assert sorted((t.kind.value, t.status) for t in order.transactions) == [
        ("authorization", "captured"),
        ("authorization", "voided"),
        ("capture", "succeeded"),
        ("void", "succeeded"),
    ]
    assert (financial_status(order), balance(order)) == ("paid", eur("0.00"))


def test_the_default_capture_takes_what_is_owed_not_what_each_authorization_holds() -> None:
    harness = flow_with()
    order = harness.flow.place(make_draft(), actor=GATEWAY)
    report(harness, order, harness.gateway.authorize(TOTAL), "a1")
    order = report(harness, order, harness.gateway.authorize(TOTAL), "a2")

    order = harness.flow.capture(order.id, actor=STAFF)

    captures = [t for t in order.transactions if t.kind is CAPTURE]
    assert [(t.amount, t.parent_id) for t in captures] == [(TOTAL, order.transactions[0].id)]
    with pytest.raises(PaymentError, match="nothing more to capture"):
        harness.flow.capture(order.id, actor=STAFF)


def test_the_authorization_that_expires_soonest_is_captured_first() -> None:
    harness = flow_with()
    order = harness.flow.place(make_draft(), actor=GATEWAY)
    now = harness.clock.now()
    late = harness.gateway.authorize(eur("40.00"), expires_at=now + timedelta(days=7))
    soon = harness.gateway.authorize(eur("40.00"), expires_at=now + timedelta(days=2))
    report(harness, order, late, "late")
    order = report(harness, order, soon, "soon")

    order = harness.flow.capture(order.id, actor=STAFF)

    # 62.00 owed: 40.00 from the one lapsing in 2 days, the other 22.00 from the other
    captures = [t for t in order.transactions if t.kind is CAPTURE]
    by_reference = {t.id: t.reference for t in order.transactions}
    assert [(by_reference[t.parent_id], str(t.amount)) for t in captures] == [
        (soon.reference, "40.00 EUR"),
        (late.reference, "22.00 EUR"),
    ]


def test_the_same_authorization_reported_under_two_keys_is_recorded_once() -> None:
    harness = flow_with(CaptureMode.AUTOMATIC)
    order = harness.flow.place(make_draft(), actor=GATEWAY)
    held = harness.gateway.authorize(TOTAL)

    report(harness, order, held, "evt-1")
    order = report(harness, order, held, "evt-1-redelivered-under-a-new-id")
    drained(harness)

    order = harness.flow.get(order.id)
    assert [t.kind for t in order.transactions] == [TransactionKind.AUTHORIZATION, CAPTURE]
    assert taken_by_gateway(harness.gateway) == [(CAPTURE, "62.00 EUR")]


def test_a_second_authorization_captured_by_id_takes_nothing_while_the_first_is_in_flight() -> None:
    harness = flow_with()
    order = harness.flow.place(make_draft(), actor=GATEWAY)
    report(harness, order, harness.gateway.authorize(TOTAL), "a1")
    order = report(harness, order, harness.gateway.authorize(TOTAL), "a2")
    order = harness.flow.capture(order.id, actor=STAFF)  # 62.00 from the first, in flight
    second = order.transactions[1].id

    with pytest.raises(PaymentError, match="nothing more to capture"):
        harness.flow.capture(order.id, authorization_id=second, actor=STAFF)
    with pytest.raises(PaymentError, match=r"cannot capture 0\.01 EUR; 0\.00 EUR is still"):
        harness.flow.capture(order.id, amount=eur("0.01"), authorization_id=second, actor=STAFF)


def test_a_report_of_the_same_operation_with_another_amount_is_a_conflict() -> None:
    harness = flow_with()
    order = harness.flow.place(make_draft(), actor=GATEWAY)
    held = harness.gateway.authorize(TOTAL)
    order = report(harness, order, held, "evt-1")
    lying = PaymentReport(
        kind=TransactionKind.AUTHORIZATION, amount=eur("99.00"), reference=held.reference
    )

    with pytest.raises(PaymentConflict, match=r"authorization 'gw_authorization_1' is already"):
        report(harness, order, lying, "evt-2")
    assert harness.flow.get(order.id) == order


# -- finding 2: refunds beyond what was captured -------------------------------------------


def test_a_refund_reported_for_a_failed_capture_is_kept_on_review_and_returns_nothing() -> None:
    harness = flow_with()
    order = harness.flow.place(make_draft(), actor=GATEWAY)
    held = harness.gateway.authorize(TOTAL)
    order = report(harness, order, held, "a1")
    failed = PaymentReport(
        kind=CAPTURE,
        amount=TOTAL,
        reference="ch_x",
        parent_reference=held.reference,
        succeeded=False,
        error="insufficient funds",
    )
    order = report(harness, order, failed, "capture-failed")
    bogus = PaymentReport(kind=REFUND, amount=TOTAL, reference="re_1", parent_reference="ch_x")

    order = report(harness, order, bogus, "refund-of-a-failed-capture")

    refund = order.transactions[-1]
    assert (refund.kind, refund.status, refund.amount) == (REFUND, "succeeded", TOTAL)
    assert refund.review is not None
    assert "failed" in refund.review
    # captured 0.00, so nothing counts as returned: no status shows more returned than taken
    assert financial_status(order) == "authorized"
    assert balance(order) == TOTAL
    assert all(REVIEW_HANDLE in [h.handle for h in fo.holds] for fo in order.fulfillment_orders)


def test_a_refund_naming_no_payment_while_our_capture_is_pending_does_not_count() -> None:
    harness = flow_with()
    order = harness.flow.place(make_draft(), actor=GATEWAY)
    order = report(harness, order, harness.gateway.authorize(TOTAL), "a1")
    order = harness.flow.capture(order.id, actor=STAFF)  # pending: no reference yet
    orphan = PaymentReport(kind=REFUND, amount=TOTAL, reference="re_1")  # no parent named

    order = report(harness, order, orphan, "refund-without-parent")

    assert order.transactions[1].status == "pending"  # our capture is left alone
    assert (order.transactions[-1].status, order.transactions[-1].review) == (
        "succeeded",
        "refund of 62.00 EUR names no payment the order knows",
    )
    assert financial_status(order) == "authorized"
    assert balance(order) == TOTAL


def test_a_refund_of_our_capture_in_flight_first_settles_the_capture() -> None:
    harness = flow_with()
    order = harness.flow.place(make_draft(), actor=GATEWAY)
    held = harness.gateway.authorize(TOTAL)
    order = report(harness, order, held, "a1")
    order = harness.flow.capture(order.id, actor=STAFF)
    harness.gateway.fail_next(1, "after")  # captured, the answer lost
    harness.flow.dispatch()
    # the gateway shares the authorization's id with its capture: the refund names it
    refund = PaymentReport(
        kind=REFUND, amount=eur("10.00"), reference="re_1", parent_reference=held.reference
    )

    order = report(harness, order, refund, "dashboard-refund")

    capture = order.transactions[1]
    assert (capture.kind, capture.status) == (CAPTURE, "succeeded")
    assert order.transactions[-1].parent_id == capture.id
    assert order.transactions[-1].review is None
    # 62.00 captured, 10.00 refunded by staff in the dashboard (a goodwill refund)
    assert (financial_status(order), balance(order)) == ("partially_refunded", eur("0.00"))


# -- settling never fails for a reason of orderflow's own -------------------------------------


def test_an_answer_after_a_webhook_recorded_the_outcome_is_not_dead_lettered() -> None:
    harness = flow_with()
    order = harness.flow.place(make_draft(), actor=GATEWAY)
    held = harness.gateway.authorize(TOTAL)
    order = report(harness, order, held, "a1")
    order = harness.flow.capture(order.id, actor=STAFF)
    harness.gateway.fail_next(1, "after")
    harness.flow.dispatch()
    done = GatewayResult(True, "gw_capture_2")
    capture = order.transactions[-1]
    harness.flow.settle_payment(order.id, capture.id, done, actor=GATEWAY, idempotency_key="wh")

    harness.clock.advance(minutes=1)
    dispatched = harness.flow.dispatch()

    assert (dispatched.delivered, dispatched.dead) == (1, 0)  # its job finds it settled
    assert harness.flow.get(order.id).transaction(capture.id).status == "succeeded"


def test_a_success_after_a_recorded_failure_is_recorded_as_money_that_moved_on_review() -> None:
    harness = flow_with()
    order = harness.flow.place(make_draft(), actor=GATEWAY)
    order = report(harness, order, harness.gateway.authorize(TOTAL), "a1")
    capture = harness.flow.capture(order.id, actor=STAFF).transactions[-1]
    harness.flow.settle_payment(order.id, capture.id, GatewayResult(False), actor=STAFF)

    order = harness.flow.settle_payment(
        order.id, capture.id, GatewayResult(True, "ch_9"), actor=GATEWAY
    )

    late = order.transactions[-1]
    assert (late.kind, late.status, late.amount, late.reference) == (
        CAPTURE,
        "succeeded",
        TOTAL,
        "ch_9",
    )
    assert late.review == (
        f"the gateway answered that capture {capture.id} of 62.00 EUR succeeded after it was "
        "recorded as failed"
    )
    assert (financial_status(order), balance(order)) == ("paid", eur("0.00"))


class ForgetfulGateway:
    """A gateway that forgets keys after a day and offers no lookup."""

    def __init__(self, inner: FakeGateway) -> None:
        self.inner, self.key_retention = inner, inner.key_retention

    def capture(self, request: PaymentRequest) -> GatewayResult:
        return self.inner.capture(request)

    def refund(self, request: PaymentRequest) -> GatewayResult:
        return self.inner.refund(request)

    def void(self, request: PaymentRequest) -> GatewayResult:
        return self.inner.void(request)

    def charge(self, request: PaymentRequest) -> GatewayResult:
        return self.inner.charge(request)


def _stuck_capture(lookup: bool) -> tuple[Harness, FakeGateway, Order]:
    """A capture whose answer was lost, retried only after the gateway forgot its key."""
    harness = flow_with()
    fake = FakeGateway(clock=harness.clock, key_retention=timedelta(hours=24))
    harness.flow.gateway = fake if lookup else ForgetfulGateway(fake)
    order = harness.flow.place(make_draft(), actor=GATEWAY)
    order = report(harness, order, fake.authorize(TOTAL), "a1")
    order = harness.flow.capture(order.id, actor=STAFF)
    fake.fail_next(1, "after")
    harness.flow.dispatch()  # captured at the gateway; the answer lost
    harness.clock.advance(hours=25)  # the gateway no longer knows the key
    return harness, fake, order


def test_past_the_gateways_key_retention_a_payment_is_looked_up_not_sent_again() -> None:
    harness, fake, order = _stuck_capture(lookup=True)

    harness.flow.dispatch()

    assert taken_by_gateway(fake) == [(CAPTURE, "62.00 EUR")]  # not twice
    assert [c.operation for c in fake.calls] == ["capture"]
    assert financial_status(harness.flow.get(order.id)) == "paid"


def test_past_the_key_retention_without_a_lookup_the_order_goes_on_review() -> None:
    harness, fake, order = _stuck_capture(lookup=False)

    dispatched = harness.flow.dispatch()

    assert dispatched.dead == 1
    assert taken_by_gateway(fake) == [(CAPTURE, "62.00 EUR")]
    after = harness.flow.get(order.id)
    capture = after.transactions[-1]
    assert capture.status == "pending"  # nobody knows yet: staff ask the gateway
    assert capture.review is not None
    assert "forgets idempotency keys after 1 day" in capture.review
    assert after.fulfillment_orders[0].holds[0].handle == REVIEW_HANDLE


def test_a_payment_job_that_runs_out_of_attempts_puts_the_order_on_review() -> None:
    harness = flow_with()
    order = harness.flow.place(make_draft(), actor=GATEWAY)
    order = report(harness, order, harness.gateway.authorize(TOTAL), "a1")
    order = harness.flow.capture(order.id, actor=STAFF)
    harness.gateway.fail_next(8, "before")

    for _ in range(8):
        harness.flow.dispatch()
        harness.clock.advance(hours=7)  # past every backoff

    after = harness.flow.get(order.id)
    assert after.transactions[-1].status == "pending"
    assert "failed too often to be sent" in (after.transactions[-1].review or "")
    assert after.timeline[-2].kind == "PaymentReviewRequested"


# -- finding 7: what place() gives back, and to whom -----------------------------------------


def test_placing_an_existing_checkout_returns_the_order_only_to_who_may_read_it() -> None:
    harness = make_flow()
    draft = make_draft(external_checkout_id="chk_1")
    order = harness.flow.place(draft, actor=GATEWAY)
    owner = Actor.customer(order.customer.id)
    stranger = Actor.customer("cust-someone-else")

    assert harness.flow.place(draft, actor=owner) == order
    assert harness.flow.place(draft, actor=GATEWAY) == order  # the checkout app, again
    with pytest.raises(NotPermitted, match="may not get"):
        harness.flow.place(draft, actor=stranger)


def test_an_actor_who_may_not_run_a_command_learns_nothing_from_an_idempotency_key() -> None:
    harness = make_flow()
    mine = harness.flow.place(make_draft(), actor=STAFF)
    theirs = harness.flow.place(make_draft(), actor=STAFF)
    held = harness.gateway.authorize(TOTAL)
    harness.flow.record_payment(mine.id, held, idempotency_key="evt-1", actor=GATEWAY)

    with pytest.raises(NotPermitted):  # refused before any idempotency verdict
        harness.flow.record_payment(
            theirs.id, held, idempotency_key="evt-1", actor=Actor.customer("cust-1")
        )


def test_payment_reports_can_be_restricted_to_the_payment_app_in_one_line() -> None:
    from orderflow.service import StaffAndSystem

    harness = make_flow(authorizer=StaffAndSystem(payment_apps={"stripe"}))
    order = harness.flow.place(make_draft(), actor=GATEWAY)
    stripe = Actor.app("stripe")
    held = harness.gateway.authorize(TOTAL)

    with pytest.raises(NotPermitted, match="app Payment gateway may not record_payment"):
        harness.flow.record_payment(order.id, held, idempotency_key="e", actor=GATEWAY)
    assert harness.flow.record_payment(order.id, held, idempotency_key="e", actor=stripe)


# -- finding 10: cancelling while a refund is in flight --------------------------------------


def test_an_order_with_a_refund_in_flight_can_be_cancelled_and_refunds_only_the_rest() -> None:
    harness = flow_with()
    order = harness.flow.place(make_draft(), actor=GATEWAY)
    order = report(harness, order, harness.gateway.sell(TOTAL), "s1")
    harness.flow.refund(order.id, eur("20.00"), actor=STAFF)  # in flight

    order = harness.flow.cancel(order.id, CancelReason.CUSTOMER, actor=STAFF)

    refunds = [str(t.amount) for t in order.transactions if t.kind is REFUND]
    assert refunds == ["20.00 EUR", "42.00 EUR"]  # 62.00 - 20.00 in flight
    drained(harness)
    done = harness.flow.get(order.id)
    assert (financial_status(done), balance(done)) == ("refunded", eur("0.00"))
    assert taken_by_gateway(harness.gateway) == [
        (SALE, "62.00 EUR"),
        (REFUND, "20.00 EUR"),
        (REFUND, "42.00 EUR"),
    ]


# -- the gateway's books are the oracle ---------------------------------------------------------


def test_with_the_outbox_drained_the_books_equal_the_gateways_ledger() -> None:
    harness = flow_with(CaptureMode.AUTOMATIC)
    order = harness.flow.place(make_draft(), actor=GATEWAY)
    report(harness, order, harness.gateway.authorize(eur("40.00"), multi_capture=True), "a1")
    order = report(harness, order, harness.gateway.authorize(eur("40.00")), "a2")
    drained(harness)
    order = harness.flow.get(order.id)
    first_capture = next(t for t in order.transactions if t.kind is CAPTURE)
    refund = harness.gateway.refund_in_dashboard(first_capture.reference or "", eur("5.00"))
    report(harness, order, refund, "dashboard")
    drained(harness)

    order = harness.flow.get(order.id)
    books = sorted(
        (t.kind, t.reference, str(t.amount))
        for t in order.transactions
        if t.kind in (CAPTURE, SALE, REFUND) and t.status == "succeeded"
    )
    ledger = sorted((m.kind, m.reference, str(m.amount)) for m in harness.gateway.movements)
    assert books == ledger
    # 40.00 + 22.00 captured, 5.00 returned: a goodwill refund lowers what is owed
    assert (financial_status(order), balance(order)) == ("partially_refunded", eur("0.00"))
    assert isinstance(harness.gateway.movements[0], Movement)
