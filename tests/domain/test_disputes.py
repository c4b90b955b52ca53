"""Disputes reported by the gateway: recorded against their payment through the ledger.

Orders are ``make_draft()`` (62.00 EUR) sold at checkout under reference ``ch_1``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from orderflow.domain import ledger, payments
from orderflow.domain.dispute import DisputeKind, DisputeReport
from orderflow.domain.disputing import dispute_status, record_dispute
from orderflow.domain.financial import balance, financial_status
from orderflow.domain.machines import DisputeStatus
from orderflow.domain.money import Money
from orderflow.domain.order import Change, Order
from orderflow.domain.settlement import PaymentReport
from orderflow.domain.transaction import TransactionKind
from orderflow.errors import CurrencyMismatch, PaymentError
from orderflow.testing import EPOCH, GATEWAY, STAFF, eur, make_draft, make_line, make_order

from .helpers import ids, record, settle_pending

NEW_ID = ids()


def sold(order: Order | None = None, amount: Money | None = None) -> Order:
    order = order or make_order()
    report = PaymentReport(
        kind=TransactionKind.SALE, amount=amount or order.total, reference="ch_1"
    )
    return record(order, report)


def report(
    status: DisputeStatus,
    amount: str = "20.00",
    *,
    kind: DisputeKind = DisputeKind.CHARGEBACK,
    dispute_id: str = "dp_1",
    reference: str = "ch_1",
) -> DisputeReport:
    return DisputeReport(
        id=dispute_id,
        payment_reference=reference,
        kind=kind,
        status=status,
        amount=Money(amount, "EUR") if "." in amount else Money(amount, "JPY"),
        reason="fraudulent",
        evidence_due_by=EPOCH + timedelta(days=14),
    )


def reported(order: Order, *reports: DisputeReport) -> Change:
    change = Change(order)
    for each in reports:
        change = change.then(
            record_dispute(change.order, each, new_id=NEW_ID, now=EPOCH, actor=GATEWAY)
        )
    return change


def kinds(change: Change) -> list[str]:
    return [type(e).__name__ for e in change.events]


def test_a_chargeback_opened_puts_the_order_on_review_and_holds_what_it_disputes() -> None:
    order = sold()

    change = reported(order, report("needs_response"))

    (dispute,) = change.order.disputes
    assert (dispute.transaction_id, dispute.status, dispute.amount) == (
        "t-1",
        "needs_response",
        eur("20.00"),
    )
    assert kinds(change) == ["DisputeOpened", "PaymentReviewRequested", "FulfillmentHeld"]
    assert dispute_status(change.order) == "needs_response"
    # 62.00 taken, 20.00 held by the bank: 42.00 may still be refunded, no more
    assert ledger.refundable_total(change.order) == eur("42.00")
    with pytest.raises(PaymentError, match=r"cannot refund 42\.01 EUR; 42\.00 EUR is refundable"):
        payments.request_refund(change.order, eur("42.01"), new_id=NEW_ID, now=EPOCH, actor=STAFF)
    # nothing is returned yet: the status and the balance are the payment's
    assert (financial_status(change.order), balance(change.order)) == ("paid", eur("0.00"))


def test_a_chargeback_won_gives_the_funds_back_to_refund() -> None:
    change = reported(sold(), report("needs_response"), report("under_review"), report("won"))

    (dispute,) = change.order.disputes
    assert (dispute.status, dispute.closed_at) == ("won", EPOCH)
    assert ledger.refundable_total(change.order) == eur("62.00")
    assert (dispute_status(change.order), financial_status(change.order)) == ("won", "paid")


def test_a_chargeback_lost_counts_as_returned_and_leaves_the_balance_as_it_was() -> None:
    change = reported(sold(), report("needs_response"), report("lost"))

    (dispute,) = change.order.disputes
    assert dispute.adjustment == eur("20.00")
    assert ledger.refunded(change.order) == eur("20.00")
    assert change.order.current_total == eur("42.00")  # 62.00 - 20.00
    assert (financial_status(change.order), balance(change.order)) == (
        "partially_refunded",
        eur("0.00"),
    )
    assert kinds(change)[-2:] == ["DisputeUpdated", "PaymentReviewRequested"]


def test_a_chargeback_lost_after_a_refund_lowers_the_order_only_by_what_was_left() -> None:
    order = sold()
    refund = payments.request_refund(order, eur("50.00"), new_id=NEW_ID, now=EPOCH, actor=STAFF)
    refunded = settle_pending(refund.order)
    assert (refunded.current_total, balance(refunded)) == (eur("12.00"), eur("0.00"))

    change = reported(refunded, report("lost"))  # the bank takes 20.00 of a payment with 12.00 left

    assert change.order.disputes[0].adjustment == eur("12.00")
    assert ledger.refunded(change.order) == eur("62.00")  # never more than was taken
    assert (change.order.current_total, balance(change.order)) == (eur("0.00"), eur("0.00"))
    assert financial_status(change.order) == "refunded"


def test_reports_out_of_order_late_news_change_nothing_and_contradictions_go_to_review() -> None:
    first_lost = reported(sold(), report("lost"))  # the opening report never came
    assert kinds(first_lost) == [
        "DisputeOpened",
        "PaymentReviewRequested",
        "FulfillmentHeld",
        "DisputeUpdated",
        "PaymentReviewRequested",
    ]

    late = reported(first_lost.order, report("needs_response"), report("under_review"))
    assert late.order == first_lost.order
    assert late.events == ()

    contradiction = reported(first_lost.order, report("won"))
    assert kinds(contradiction) == ["PaymentReviewRequested"]
    assert contradiction.order.disputes == first_lost.order.disputes
    assert "reports chargeback dp_1 won after it reported it lost" in (
        contradiction.events[0].reason  # type: ignore[attr-defined]
    )


def test_a_dispute_of_a_payment_the_order_does_not_have_goes_to_review() -> None:
    change = reported(sold(), report("needs_response", reference="ch_unknown"))

    assert change.order.disputes == ()
    assert kinds(change) == ["PaymentReviewRequested", "FulfillmentHeld"]
    assert "names payment 'ch_unknown', which is no capture or sale" in (
        change.events[0].reason  # type: ignore[attr-defined]
    )


def test_an_inquiry_holds_nothing_and_may_become_a_chargeback() -> None:
    inquiry = reported(sold(), report("needs_response", kind=DisputeKind.INQUIRY))
    assert ledger.refundable_total(inquiry.order) == eur("62.00")

    escalated = reported(inquiry.order, report("under_review"))
    assert escalated.order.disputes[0].kind is DisputeKind.CHARGEBACK
    assert ledger.refundable_total(escalated.order) == eur("42.00")


def test_in_jpy_a_lost_chargeback_is_exact() -> None:
    draft = make_draft(
        make_line("L", "1000", 3, "JPY"), currency="JPY", shipping_lines=(), tax_lines=()
    )
    order = sold(make_order(draft))

    change = reported(order, report("lost", "1234"))

    assert change.order.current_total == Money("1766", "JPY")
    assert balance(change.order) == Money("0", "JPY")


def test_a_report_in_another_currency_is_refused() -> None:
    with pytest.raises(CurrencyMismatch):
        reported(sold(), report("needs_response", "1000"))  # JPY on a EUR order
