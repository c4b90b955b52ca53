"""Disputes through the service: once per key, refused whole, staff told.

Orders are ``make_draft()`` (62.00 EUR) sold at checkout under reference ``ch_1``.
"""

from __future__ import annotations

import pytest

from orderflow import (
    DisputeKind,
    DisputeReport,
    IdempotencyConflict,
    Money,
    NotPermitted,
    Order,
    Settings,
    dispute_status,
    financial_status,
)
from orderflow.domain.actor import Actor
from orderflow.service.settings import StaffAndSystem
from orderflow.testing import GATEWAY, Harness, eur, make_draft, make_flow, sale

from .conftest import TOTAL
from .test_fulfillment_commands import assert_refused


def chargeback(status: str, amount: str = "62.00") -> DisputeReport:
    return DisputeReport(
        id="dp_1",
        payment_reference="ch_1",
        kind=DisputeKind.CHARGEBACK,
        status=status,  # type: ignore[arg-type]
        amount=eur(amount),
    )


@pytest.fixture
def sold(harness: Harness) -> Order:
    order = harness.flow.place(make_draft(), actor=GATEWAY)
    return harness.flow.record_payment(
        order.id, sale(TOTAL, "ch_1"), idempotency_key="evt-sale", actor=GATEWAY
    )


def test_a_replayed_dispute_webhook_changes_nothing_and_a_reused_key_is_refused(
    harness: Harness, sold: Order
) -> None:
    opened = harness.flow.record_dispute(
        sold.id, chargeback("needs_response"), idempotency_key="wh-1", actor=GATEWAY
    )
    again = harness.flow.record_dispute(
        sold.id, chargeback("needs_response"), idempotency_key="wh-1", actor=GATEWAY
    )

    assert again == opened
    assert dispute_status(opened) == "needs_response"
    assert_refused(
        harness,
        sold.id,
        IdempotencyConflict,
        "'wh-1' \\(dispute\\) was used for another request",
        lambda: harness.flow.record_dispute(
            sold.id, chargeback("lost"), idempotency_key="wh-1", actor=GATEWAY
        ),
    )


def test_a_lost_chargeback_is_money_returned_and_nothing_is_owed(
    harness: Harness, sold: Order
) -> None:
    harness.flow.record_dispute(
        sold.id, chargeback("needs_response"), idempotency_key="wh-1", actor=GATEWAY
    )
    lost = harness.flow.record_dispute(
        sold.id, chargeback("lost"), idempotency_key="wh-2", actor=GATEWAY
    )

    assert (financial_status(lost), str(lost.current_total)) == ("refunded", "0.00 EUR")
    assert lost.timeline[-2].message == (
        "Chargeback dp_1 of 62.00 EUR lost: the funds went back to the customer."
    )


def test_a_report_in_the_wrong_currency_is_refused_whole(harness: Harness, sold: Order) -> None:
    report = DisputeReport(
        id="dp_2",
        payment_reference="ch_1",
        kind=DisputeKind.CHARGEBACK,
        status="needs_response",
        amount=Money("62.00", "USD"),
    )
    assert_refused(
        harness,
        sold.id,
        Exception,
        "not in EUR",
        lambda: harness.flow.record_dispute(sold.id, report, idempotency_key="wh-3", actor=GATEWAY),
    )


def test_only_the_payment_apps_may_report_disputes() -> None:
    harness = make_flow(
        publish=False, settings=Settings(), authorizer=StaffAndSystem(payment_apps={"stripe"})
    )
    order = harness.flow.place(make_draft(), actor=GATEWAY)
    stranger = Actor.app("carrier")

    with pytest.raises(NotPermitted, match="may not record_dispute"):
        harness.flow.record_dispute(
            order.id, chargeback("needs_response"), idempotency_key="wh-1", actor=stranger
        )
