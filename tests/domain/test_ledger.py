"""The payment ledger, rule by rule (docs/reliability.md, "What orderflow guarantees about
money"). Every order is ``make_draft()``: 2 x 20.00 + 15.00 shipping + 7.00 VAT = 62.00 EUR;
every expected amount is worked out by hand from the rule it tests."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from orderflow import PaymentError, TransactionKind
from orderflow.domain import ledger, payments, settlement
from orderflow.domain.order import Order
from orderflow.domain.settlement import GatewayResult, PaymentReport
from orderflow.testing import EPOCH, STAFF, SequentialIds, authorization, eur, make_order, sale

from .helpers import ids, record

LATER = EPOCH + timedelta(hours=1)
CAPTURE, REFUND = TransactionKind.CAPTURE, TransactionKind.REFUND


def held(*amounts: str, multi: bool = False, expiries: tuple[int, ...] = ()) -> Order:
    """Authorizations auth-1, auth-2... of ``amounts`` (expiring in ``expiries`` days)."""
    order = make_order()
    for n, amount in enumerate(amounts, start=1):
        report = attrs.evolve(
            authorization(eur(amount), f"pi_{n}"),
            multi_capture=multi,
            expires_at=EPOCH + timedelta(days=expiries[n - 1]) if expiries else None,
        )
        order = record(order, report, f"auth-{n}")
    return order


def capture(order: Order, amount: str | None = None, authorization_id: str | None = None) -> Order:
    return payments.request_capture(
        order,
        amount=None if amount is None else eur(amount),
        authorization_id=authorization_id,
        new_id=SequentialIds("cap").new_id,
        now=LATER,
        actor=STAFF,
    ).order


def settle(order: Order, tx_id: str, succeeded: bool = True) -> Order:
    return settlement.settle(
        order, tx_id, GatewayResult(succeeded, f"gw-{tx_id}"), new_id=ids(), now=LATER, actor=STAFF
    ).order


# -- still to capture ------------------------------------------------------------------------


def test_still_to_capture_is_the_total_less_net_paid_less_captures_in_flight() -> None:
    order = held("30.00", "40.00")
    assert ledger.still_to_capture(order) == eur("62.00")

    order = capture(order, "30.00", "auth-1")  # in flight
    assert ledger.still_to_capture(order) == eur("32.00")  # 62.00 - 0.00 - 30.00

    order = settle(order, "cap-1")
    assert ledger.still_to_capture(order) == eur("32.00")  # 62.00 - 30.00 - 0.00


def test_still_to_capture_never_falls_below_zero_when_overpaid() -> None:
    order = record(make_order(), sale(eur("70.00")), "sale-1")

    assert ledger.still_to_capture(order) == eur("0.00")  # 62.00 - 70.00 is not -8.00


def test_a_refund_in_flight_counts_as_not_yet_returned_when_capturing() -> None:
    order = record(held("62.00"), sale(eur("20.00")), "sale-1")
    order = payments.request_refund(
        order, eur("20.00"), new_id=SequentialIds("r").new_id, now=LATER, actor=STAFF
    ).order

    # 62.00 - (20.00 taken - 0.00 returned yet) = 42.00: the refund has not happened
    assert ledger.still_to_capture(order) == eur("42.00")


# -- what an authorization can give ----------------------------------------------------------


def test_an_authorization_gives_nothing_more_after_its_first_capture() -> None:
    order = settle(capture(held("62.00"), "20.00"), "cap-1")

    assert order.transaction("auth-1").status == "captured"  # the rest is released
    assert ledger.capturable(order, order.transaction("auth-1")) == eur("0.00")


def test_a_multi_capturable_authorization_gives_what_is_left_until_all_is_captured() -> None:
    order = settle(capture(held("62.00", multi=True), "20.00"), "cap-1")
    auth = order.transaction("auth-1")
    assert (auth.status, ledger.capturable(order, auth)) == ("authorized", eur("42.00"))

    order = payments.request_capture(
        order, new_id=SequentialIds("more").new_id, now=LATER, actor=STAFF
    ).order
    order = settle(order, "more-1")

    assert order.transaction("more-1").amount == eur("42.00")
    assert order.transaction("auth-1").status == "captured"


def test_an_authorization_with_a_request_in_flight_gives_nothing_more() -> None:
    order = capture(held("62.00", multi=True), "20.00")

    assert ledger.capturable(order, order.transaction("auth-1")) == eur("0.00")


def test_the_authorization_expiring_soonest_is_captured_first() -> None:
    order = held("40.00", "40.00", "40.00", expiries=(9, 2, 5))

    order = capture(order)

    plan = [(t.parent_id, str(t.amount)) for t in order.transactions if t.kind is CAPTURE]
    assert plan == [("auth-2", "40.00 EUR"), ("auth-3", "22.00 EUR")]


@pytest.mark.parametrize(
    ("amount", "authorization_id", "message"),
    [
        ("62.01", None, r"cannot capture 62\.01 EUR; 62\.00 EUR is still to capture"),
        ("30.01", "auth-1", r"cannot capture 30\.01 EUR; the authorizations can give 30\.00"),
    ],
)
def test_an_explicit_amount_above_what_may_be_captured_is_refused(
    amount: str, authorization_id: str | None, message: str
) -> None:
    with pytest.raises(PaymentError, match=message):
        capture(held("30.00", "40.00"), amount, authorization_id)


# -- what may be refunded, and what counts as returned ------------------------------------------


def test_a_refund_in_flight_counts_as_spent_when_refunding() -> None:
    order = record(make_order(), sale(eur("62.00"), "ch_1"), "sale-1")
    order = payments.request_refund(
        order, eur("50.00"), new_id=SequentialIds("r").new_id, now=LATER, actor=STAFF
    ).order

    assert ledger.refundable(order, order.transaction("sale-1")) == eur("12.00")
    assert ledger.refundable_total(order) == eur("12.00")


def test_what_is_returned_counts_no_more_than_each_capture_or_sale() -> None:
    order = record(make_order(), sale(eur("62.00"), "ch_1"), "sale-1")
    report = PaymentReport(
        kind=REFUND, amount=eur("70.00"), reference="re_1", parent_reference="ch_1"
    )
    order = record(order, report, "refund-1")  # the gateway says 70.00 came back from 62.00

    assert order.transaction("refund-1").review == (
        "refund of 70.00 EUR exceeds what is left of sale sale-1 of 62.00 EUR"
    )
    assert ledger.refunded(order) == eur("62.00")
    assert ledger.net_paid(order) == eur("0.00")


def test_a_refund_of_nothing_known_returns_nothing_in_the_figures() -> None:
    order = record(make_order(), sale(eur("62.00"), "ch_1"), "sale-1")
    stray = PaymentReport(
        kind=REFUND, amount=eur("5.00"), reference="re_1", parent_reference="ch_9"
    )

    order = record(order, stray, "refund-1")

    assert order.transaction("refund-1").parent_id is None
    assert ledger.refunded(order) == eur("0.00")


# -- the books checked again before a request is first sent --------------------------------------


def test_a_capture_the_books_no_longer_allow_is_named_before_it_is_sent() -> None:
    order = capture(held("62.00"))
    order = record(order, sale(eur("62.00"), "ch_late"), "sale-1")  # paid meanwhile

    reason = ledger.still_allowed(order, order.transaction("cap-1"))

    assert reason == "only 0.00 EUR is still to capture"


def test_a_refund_the_books_no_longer_allow_is_named_before_it_is_sent() -> None:
    order = record(make_order(), sale(eur("62.00"), "ch_1"), "sale-1")
    order = payments.request_refund(
        order, eur("62.00"), new_id=SequentialIds("r").new_id, now=LATER, actor=STAFF
    ).order
    dashboard = PaymentReport(
        kind=REFUND, amount=eur("10.00"), reference="re_d", parent_reference="ch_1"
    )
    order = record(order, dashboard, "refund-d")  # a different amount: not our request

    reason = ledger.still_allowed(order, order.transaction("r-1"))

    assert reason == "only 52.00 EUR of sale-1 is refundable"


def test_a_void_of_an_authorization_no_longer_open_is_named_before_it_is_sent() -> None:
    order = payments.request_void(
        held("62.00"), new_id=SequentialIds("v").new_id, now=LATER, actor=STAFF
    ).order
    lapsed = attrs.evolve(order.transaction("auth-1"), status="expired")
    order = order.with_transaction(lapsed)

    assert ledger.still_allowed(order, order.transaction("v-1")) == (
        "its authorization is no longer open"
    )


# -- what a refund lowers ---------------------------------------------------------------------------


def test_a_refund_lowers_what_is_owed_by_no_more_than_the_order_is_worth() -> None:
    order = record(make_order(), sale(eur("70.00"), "ch_1"), "sale-1")  # 8.00 overpaid

    # 70.00 back: 8.00 returns the overpayment, 62.00 lowers what is owed (not 70.00)
    assert ledger.adjustment(order, eur("70.00")) == eur("62.00")
    assert ledger.adjustment(order, eur("5.00")) == eur("0.00")  # all of it overpayment
    assert ledger.adjustment(order, eur("10.00")) == eur("2.00")
