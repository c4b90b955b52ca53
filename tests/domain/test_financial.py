"""Financial status and balance: pure functions of the transactions and the current total.

``balance = current_total - (captured - refunded)``: positive is owed, negative is a refund due.
The default draft totals 62.00 EUR (2 x 20.00 + 15.00 shipping + 7.00 tax).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from orderflow.domain import payments
from orderflow.domain.cancellation import cancel
from orderflow.domain.financial import balance, financial_status
from orderflow.domain.ledger import captured, net_paid, open_authorizations, refunded
from orderflow.domain.order import CancelReason, Order
from orderflow.domain.settlement import PaymentReport
from orderflow.domain.transaction import TransactionKind
from orderflow.testing import (
    EPOCH,
    GATEWAY,
    STAFF,
    SequentialIds,
    authorization,
    eur,
    make_draft,
    make_line,
    make_order,
    sale,
)

from .helpers import record, settle_pending


def refund(order: Order, amount: str, ids: SequentialIds | None = None) -> Order:
    """Request a refund of ``amount`` and have the gateway accept it."""
    new_id = (ids or SequentialIds("refund")).new_id
    requested = payments.request_refund(order, eur(amount), new_id=new_id, now=EPOCH, actor=STAFF)
    return settle_pending(requested.order)


def capture_of(amount: str, auth_reference: str = "auth-ref") -> PaymentReport:
    return PaymentReport(
        kind=TransactionKind.CAPTURE,
        amount=eur(amount),
        reference="cap-ref",
        parent_reference=auth_reference,
    )


def void_of(auth_reference: str) -> PaymentReport:
    return PaymentReport(
        kind=TransactionKind.VOID, amount=eur("62.00"), parent_reference=auth_reference
    )


def nothing() -> Order:
    return make_order()


def failed_sale() -> Order:
    report = PaymentReport(kind=TransactionKind.SALE, amount=eur("62.00"), succeeded=False)
    return record(make_order(), report, "t-1")


def authorized() -> Order:
    return record(make_order(), authorization(eur("62.00")), "t-1")


def sale_of_30() -> Order:
    return record(make_order(), sale(eur("30.00")), "t-1")


def sale_of_62() -> Order:
    return record(make_order(), sale(eur("62.00")), "t-1")


def two_sales_of_30_and_32() -> Order:
    return record(
        record(make_order(), sale(eur("30.00"), "s-1"), "t-1"), sale(eur("32.00"), "s-2"), "t-2"
    )


def captured_authorization() -> Order:
    return record(authorized(), capture_of("62.00"), "t-2")


def partly_captured_authorization() -> Order:
    return record(authorized(), capture_of("40.00"), "t-2")


def refunded_20() -> Order:
    return refund(sale_of_62(), "20.00")


def refunded_all() -> Order:
    return refund(sale_of_62(), "62.00")


def voided() -> Order:
    return record(authorized(), void_of("auth-ref"), "t-2")


def expired() -> Order:
    report = PaymentReport(
        kind=TransactionKind.AUTHORIZATION,
        amount=eur("62.00"),
        reference="auth-ref",
        expires_at=EPOCH + timedelta(days=7),
    )
    order = record(make_order(), report, "t-1")
    return payments.expire_authorizations(order, now=EPOCH + timedelta(days=7), actor=GATEWAY).order


def free_order() -> Order:
    return make_order(make_draft(make_line(price="0.00"), shipping_lines=(), tax_lines=()))


def paid_twice() -> Order:
    return record(sale_of_62(), sale(eur("62.00"), "sale-ref-2"), "t-2")


EXAMPLES = [
    # builder, status, current_total, captured, refunded, balance
    pytest.param(nothing, "pending", "62.00", "0.00", "0.00", "62.00", id="nothing-yet"),
    pytest.param(failed_sale, "pending", "62.00", "0.00", "0.00", "62.00", id="failed-sale"),
    pytest.param(authorized, "authorized", "62.00", "0.00", "0.00", "62.00", id="authorized"),
    pytest.param(sale_of_30, "partially_paid", "62.00", "30.00", "0.00", "32.00", id="sale-30"),
    pytest.param(sale_of_62, "paid", "62.00", "62.00", "0.00", "0.00", id="sale-62"),
    pytest.param(two_sales_of_30_and_32, "paid", "62.00", "62.00", "0.00", "0.00", id="30+32"),
    pytest.param(captured_authorization, "paid", "62.00", "62.00", "0.00", "0.00", id="captured"),
    # the capture consumes the authorization: 62.00 - 40.00 = 22.00 still owed
    pytest.param(
        partly_captured_authorization,
        "partially_paid",
        "62.00",
        "40.00",
        "0.00",
        "22.00",
        id="captured-40",
    ),
    # a goodwill refund lowers the current total: 62.00 - 20.00 = 42.00; 42 - (62 - 20) = 0
    pytest.param(
        refunded_20, "partially_refunded", "42.00", "62.00", "20.00", "0.00", id="refunded-20"
    ),
    pytest.param(refunded_all, "refunded", "0.00", "62.00", "62.00", "0.00", id="refunded-all"),
    pytest.param(voided, "voided", "62.00", "0.00", "0.00", "62.00", id="voided"),
    pytest.param(expired, "expired", "62.00", "0.00", "0.00", "62.00", id="expired"),
    pytest.param(free_order, "paid", "0.00", "0.00", "0.00", "0.00", id="free-order"),
    # 62.00 - (124.00 - 0.00) = -62.00: a refund is due
    pytest.param(paid_twice, "paid", "62.00", "124.00", "0.00", "-62.00", id="paid-twice"),
]


@pytest.mark.parametrize(
    ("build", "status", "current_total", "taken", "returned", "expected_balance"), EXAMPLES
)
def test_financial_status_and_balance_follow_from_the_facts(
    build: Callable[[], Order],
    status: str,
    current_total: str,
    taken: str,
    returned: str,
    expected_balance: str,
) -> None:
    order = build()

    assert financial_status(order) == status
    assert order.current_total == eur(current_total)
    assert captured(order) == eur(taken)
    assert refunded(order) == eur(returned)
    assert net_paid(order) == eur(taken) - eur(returned)
    assert balance(order) == eur(expected_balance)


def test_a_voided_authorization_outranks_an_expired_one() -> None:
    order = record(expired(), authorization(eur("62.00"), "auth-2"), "t-2")
    order = record(order, void_of("auth-2"), "t-3")

    assert financial_status(order) == "voided"


def test_an_open_authorization_is_listed_until_it_ends() -> None:
    assert [tx.id for tx in open_authorizations(authorized())] == ["t-1"]
    assert open_authorizations(voided()) == ()
    assert open_authorizations(captured_authorization()) == ()


def test_a_pending_request_moves_no_money() -> None:
    order = payments.request_refund(
        sale_of_62(), eur("20.00"), new_id=SequentialIds().new_id, now=EPOCH, actor=STAFF
    ).order

    assert order.current_total == eur("62.00")
    assert refunded(order) == eur("0.00")
    assert balance(order) == eur("0.00")
    assert financial_status(order) == "paid"


# -- the refund adjustment rule ----------------------------------------------------------


def paid_77() -> Order:
    # 2 x 27.50 + 15.00 shipping + 7.00 tax = 77.00
    order = make_order(make_draft(make_line(price="27.50", quantity=2)))
    assert order.total == eur("77.00")
    return record(order, sale(eur("77.00")), "t-1")


def test_a_goodwill_refund_on_a_fully_paid_order_leaves_nothing_owed() -> None:
    order = refund(paid_77(), "12.50")

    assert order.transactions[-1].adjustment == eur("12.50")
    assert order.current_total == eur("64.50")  # 77.00 - 12.50
    assert balance(order) == eur("0.00")  # 64.50 - (77.00 - 12.50)
    assert financial_status(order) == "partially_refunded"


def test_refunding_a_duplicate_payment_returns_the_overpayment_without_lowering_the_total() -> None:
    order = record(paid_77(), sale(eur("77.00"), "sale-ref-2"), "t-2")
    assert balance(order) == eur("-77.00")

    order = refund(order, "77.00")

    assert order.transactions[-1].adjustment == eur("0.00")
    assert order.transactions[-1].parent_id == "t-2"  # the latest payment is refunded first
    assert order.current_total == eur("77.00")
    assert balance(order) == eur("0.00")  # 77.00 - (154.00 - 77.00)


def test_a_refund_larger_than_the_overpayment_lowers_the_total_by_the_difference() -> None:
    order = record(paid_77(), sale(eur("10.00"), "sale-ref-2"), "t-2")  # 10.00 overpaid

    order = refund(order, "20.00")

    # 10.00 returns the overpayment, the other 10.00 is a goodwill refund
    assert order.current_total == eur("67.00")
    assert balance(order) == eur("0.00")  # 67.00 - (87.00 - 20.00)


def test_refunds_in_flight_count_as_done_when_splitting_the_next_refund() -> None:
    ids = SequentialIds("r")
    order = record(paid_77(), sale(eur("77.00"), "sale-ref-2"), "t-2")  # 77.00 overpaid
    for amount in ("50.00", "27.00", "10.00"):
        order = payments.request_refund(
            order, eur(amount), new_id=ids.new_id, now=EPOCH, actor=STAFF
        ).order

    # 50.00 and 27.00 return the 77.00 overpaid; the last 10.00 is goodwill
    assert [tx.adjustment for tx in order.transactions if tx.pending] == [
        eur("0.00"),
        eur("0.00"),
        eur("10.00"),
    ]
    order = settle_pending(order)
    assert order.current_total == eur("67.00")
    assert balance(order) == eur("0.00")  # 67.00 - (154.00 - 87.00)


def test_a_refund_reported_by_the_gateway_follows_the_same_adjustment_rule() -> None:
    report = PaymentReport(
        kind=TransactionKind.REFUND,
        amount=eur("12.50"),
        reference="refund-ref",
        parent_reference="sale-ref",
    )

    order = record(paid_77(), report, "t-2")

    assert order.current_total == eur("64.50")  # 77.00 - 12.50 goodwill
    assert balance(order) == eur("0.00")


# -- cancelled orders ---------------------------------------------------------------------


def test_a_cancelled_order_kept_unrefunded_shows_a_refund_due() -> None:
    order = cancel(
        sale_of_62(),
        CancelReason.CUSTOMER,
        refund=False,
        new_id=SequentialIds().new_id,
        now=EPOCH,
        actor=STAFF,
    ).order

    assert order.current_total == eur("0.00")
    assert balance(order) == eur("-62.00")  # 0.00 - (62.00 - 0.00)


def test_a_cancelled_order_owes_a_refund_until_the_refund_succeeds() -> None:
    order = cancel(
        sale_of_62(), CancelReason.CUSTOMER, new_id=SequentialIds().new_id, now=EPOCH, actor=STAFF
    ).order
    assert order.current_total == eur("0.00")
    assert balance(order) == eur("-62.00")  # the refund is only requested

    order = settle_pending(order)

    assert order.current_total == eur("0.00")
    assert balance(order) == eur("0.00")  # 0.00 - (62.00 - 62.00)
    assert financial_status(order) == "refunded"
