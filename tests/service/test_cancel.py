"""Cancelling through the service: held funds are voided, taken funds refunded, via the outbox."""

from __future__ import annotations

import pytest

from orderflow import (
    CancelReason,
    InvalidText,
    Money,
    Order,
    TransactionKind,
    balance,
    financial_status,
)
from orderflow.testing import STAFF, Harness


def test_cancelling_an_authorized_order_voids_the_authorization_through_the_gateway(
    harness: Harness, authorized: Order
) -> None:
    order = harness.flow.cancel(authorized.id, CancelReason.CUSTOMER, actor=STAFF)
    assert (order.status, order.cancel_reason, order.cancelled_at) == (
        "cancelled",
        CancelReason.CUSTOMER,
        harness.clock.now(),
    )
    assert (order.transactions[-1].kind, order.transactions[-1].status) == (
        TransactionKind.VOID,
        "pending",
    )
    assert harness.gateway.calls == []

    harness.flow.dispatch()

    (call,) = harness.gateway.calls
    assert (call.operation, call.request.amount, call.request.reference) == (
        "void",
        Money("62.00", "EUR"),
        "auth-ref",
    )
    order = harness.flow.get(authorized.id)
    assert financial_status(order) == "voided"
    assert [e.message for e in order.timeline[-4:]] == [
        "Order cancelled (reason: customer).",
        "Fulfillment order id-1-fo1 cancelled.",
        "Void of 62.00 EUR requested from the gateway.",
        "Authorization of 62.00 EUR voided.",
    ]


def test_cancelling_a_paid_order_refunds_what_was_captured(harness: Harness, paid: Order) -> None:
    harness.flow.cancel(paid.id, CancelReason.INVENTORY, note="Out of stock", actor=STAFF)

    harness.flow.dispatch()

    call = harness.gateway.calls[-1]
    assert (call.operation, call.request.amount, call.request.reference) == (
        "refund",
        Money("62.00", "EUR"),
        "gw_capture_1",
    )
    order = harness.flow.get(paid.id)
    assert financial_status(order) == "refunded"
    assert balance(order) == Money("0.00", "EUR")
    cancelled = next(e for e in order.timeline if e.kind == "OrderCancelled")
    assert (cancelled.message, cancelled.note) == (
        "Order cancelled (reason: inventory).",
        "Out of stock",
    )


def test_cancelling_without_refund_keeps_the_money_and_shows_a_refund_due(
    harness: Harness, paid: Order
) -> None:
    order = harness.flow.cancel(paid.id, CancelReason.FRAUD, refund=False, actor=STAFF)

    assert harness.flow.dispatch().delivered == 0
    assert [c.operation for c in harness.gateway.calls] == ["capture"]
    assert financial_status(order) == "paid"
    assert balance(order) == Money("-62.00", "EUR")  # current total 0.00 - 62.00 taken


def test_cancelling_an_unpaid_order_asks_nothing_of_the_gateway(
    harness: Harness, placed: Order
) -> None:
    order = harness.flow.cancel(placed.id, CancelReason.STAFF, actor=STAFF)

    assert order.status == "cancelled"
    assert harness.repository.deliveries(placed.id) == []
    assert harness.flow.dispatch().delivered == 0


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("n" * 5_001, "'note' is 5,001 characters long; the limit is 5,000"),
        ("fraud\x00", "'note' holds a NUL character at position 5"),
        ("\x1b[31m", "'note' holds the control character U\\+001B at position 0"),
    ],
)
def test_a_cancellation_note_that_no_note_may_hold_is_refused_and_nothing_is_cancelled(
    harness: Harness, authorized: Order, note: str, message: str
) -> None:
    with pytest.raises(InvalidText, match=message):
        harness.flow.cancel(authorized.id, CancelReason.FRAUD, actor=STAFF, note=note)

    assert harness.flow.get(authorized.id) is harness.repository.get(authorized.id)
    assert harness.flow.get(authorized.id).version == authorized.version
    assert harness.repository.deliveries(authorized.id) == []
