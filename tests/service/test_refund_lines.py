"""Refunds per line through the service: saved first, then the gateway and the inventory
through the outbox, once per key, whatever the gateway does.

Orders are ``make_draft()``: line ``line-1``, 2 x 20.00, 15.00 shipping, 7.00 VAT on the
whole order = 62.00 EUR, sold at checkout. The VAT splits 4000 : 1500 (line, shipping) by
largest remainder: 509 (rem 500) and 190 (rem 5000) + the cent left -> 5.09 and 1.91.
"""

from __future__ import annotations

import json

import pytest

from orderflow import (
    GatewayResult,
    InvalidTransition,
    Money,
    Order,
    OverRefund,
    PaymentError,
    RefundLine,
    RefundReason,
    RestockType,
    balance,
    financial_status,
    line_ledger,
)
from orderflow.adapters.fake_gateway import FakeGateway
from orderflow.domain.fulfillment import LineQuantity
from orderflow.ports.inventory import RestockRequest
from orderflow.testing import (
    GATEWAY,
    STAFF,
    Harness,
    authorization,
    eur,
    make_draft,
    make_flow,
    sale,
)

from .conftest import TOTAL
from .test_fulfillment_commands import RecordingInventory, assert_refused

DAMAGED = RefundReason.DAMAGED


@pytest.fixture
def inventory() -> RecordingInventory:
    return RecordingInventory()


@pytest.fixture
def harness(inventory: RecordingInventory) -> Harness:
    return make_flow(publish=False, inventory=inventory)


@pytest.fixture
def paid(harness: Harness) -> Order:
    order = harness.flow.place(make_draft(), actor=STAFF)
    return harness.flow.record_payment(
        order.id, sale(TOTAL), idempotency_key="evt-sale", actor=GATEWAY
    )


def refunds(harness: Harness) -> list[tuple[str, Money]]:
    return [
        (call.operation, call.request.amount)
        for call in harness.gateway.effects
        if call.operation == "refund"
    ]


def test_the_refund_is_saved_first_then_the_money_and_the_stock_go_out_once(
    harness: Harness, inventory: RecordingInventory, paid: Order
) -> None:
    after = harness.flow.refund_lines(
        paid.id, [RefundLine("line-1", 1, RestockType.CANCEL)], reason=DAMAGED, actor=STAFF
    )

    # 20.00 and half the line's 5.09 VAT: (1018 + 2) // 4 = 255 -> 22.55
    assert harness.gateway.calls == []
    assert inventory.requests == []
    assert after.current_total == eur("39.45")  # 62.00 - 22.55
    assert (
        after.timeline[-2].message == "1 item refunded (damaged, to restock): 22.55 EUR to return."
    )
    assert {d.item.topic for d in harness.repository.deliveries(paid.id)} == {"payment", "restock"}

    first, again = harness.flow.dispatch(), harness.flow.dispatch()

    assert (first.delivered, again.delivered) == (2, 0)
    assert refunds(harness) == [("refund", eur("22.55"))]
    (refund,) = harness.flow.get(paid.id).refunds
    assert inventory.requests == [
        RestockRequest(
            order_id=paid.id,
            location_id="default",
            lines=(LineQuantity("line-1", 1),),
            idempotency_key=f"restock-{refund.id}-default",
        )
    ]
    settled = harness.flow.get(paid.id)
    assert (balance(settled), financial_status(settled)) == (eur("0.00"), "partially_refunded")


def test_a_refused_refund_leaves_the_order_and_the_outbox_as_they_were(
    harness: Harness, paid: Order
) -> None:
    assert_refused(
        harness,
        paid.id,
        OverRefund,
        "3 of line 'line-1' asked to refund, but only 2",
        lambda: harness.flow.refund_lines(
            paid.id, [RefundLine("line-1", 3)], reason=DAMAGED, actor=STAFF
        ),
    )
    unpaid = harness.flow.place(make_draft(), actor=STAFF)
    harness.flow.record_payment(
        unpaid.id, authorization(TOTAL), idempotency_key="evt-auth", actor=GATEWAY
    )
    assert_refused(
        harness,
        unpaid.id,
        PaymentError,
        "0.00 EUR is refundable",
        lambda: harness.flow.refund_lines(
            unpaid.id, [RefundLine("line-1", 1, RestockType.CANCEL)], reason=DAMAGED, actor=STAFF
        ),
    )


def test_a_declined_refund_leaves_the_lines_refunded_and_the_money_due(
    harness: Harness, paid: Order
) -> None:
    harness.flow.refund_lines(
        paid.id, [RefundLine("line-1", 2, RestockType.CANCEL)], reason=DAMAGED, actor=STAFF
    )
    harness.gateway.fail_next(how="decline")
    harness.flow.dispatch()

    declined = harness.flow.get(paid.id)
    # 40.00 + the line's 5.09 VAT: the goods are back, the customer is owed 45.09
    assert declined.transactions[-1].status == "failed"
    assert (declined.current_total, balance(declined)) == (eur("16.91"), eur("-45.09"))
    assert line_ledger(declined)["line-1"].refunded == 2

    # staff sends the money again: it returns an overpayment, so the total stays
    harness.flow.refund(paid.id, eur("45.09"), actor=STAFF)
    harness.flow.dispatch()

    done = harness.flow.get(paid.id)
    assert (done.current_total, balance(done)) == (eur("16.91"), eur("0.00"))
    assert refunds(harness) == [("refund", eur("45.09"))]


def test_a_gateway_timeout_then_success_returns_the_money_once(
    harness: Harness, paid: Order
) -> None:
    harness.flow.refund_lines(
        paid.id, [RefundLine("line-1", 1)], shipping="remaining", reason=DAMAGED, actor=STAFF
    )
    harness.gateway.fail_next(how="after")  # it acts, and the answer is lost
    harness.flow.dispatch()
    harness.clock.advance(minutes=5)
    harness.flow.dispatch()

    # 20.00 + 2.55 VAT + 15.00 shipping + its 1.91 VAT = 39.46, given back once
    assert refunds(harness) == [("refund", eur("39.46"))]
    assert harness.gateway.movements[-1].amount == eur("39.46")
    assert balance(harness.flow.get(paid.id)) == eur("0.00")


def test_no_restock_is_queued_for_units_kept_or_without_an_inventory_port(
    paid: Order, harness: Harness
) -> None:
    harness.flow.refund_lines(paid.id, [RefundLine("line-1", 1)], reason=DAMAGED, actor=STAFF)

    assert {d.item.topic for d in harness.repository.deliveries(paid.id)} == {"payment"}

    plain = make_flow(publish=False, gateway=FakeGateway())
    order = plain.flow.place(make_draft(), actor=STAFF)
    plain.flow.record_payment(order.id, sale(TOTAL), idempotency_key="evt-sale", actor=GATEWAY)
    plain.flow.refund_lines(
        order.id, [RefundLine("line-1", 1, RestockType.CANCEL)], reason=DAMAGED, actor=STAFF
    )
    assert {d.item.topic for d in plain.repository.deliveries(order.id)} == {"payment"}


def test_the_refund_event_is_published_with_its_lines() -> None:
    harness = make_flow()
    order = harness.flow.place(make_draft(), actor=STAFF)
    harness.flow.record_payment(order.id, sale(TOTAL), idempotency_key="evt-sale", actor=GATEWAY)
    harness.flow.refund_lines(
        order.id, [RefundLine("line-1", 2)], reason=DAMAGED, note="crushed", actor=STAFF
    )

    harness.flow.dispatch()

    (published,) = [e for e in harness.publisher.events if e.type == "RefundCreated"]
    event = json.loads(published.payload)["event"]
    assert event["lines"] == [{"line_item_id": "line-1", "quantity": 2}]
    assert (event["total"], event["note"]) == ({"amount": "45.09", "currency": "EUR"}, "crushed")


def test_the_answer_is_the_same_when_the_settle_comes_by_webhook(
    harness: Harness, paid: Order
) -> None:
    harness.flow.refund_lines(paid.id, [RefundLine("line-1", 1)], reason=DAMAGED, actor=STAFF)
    harness.gateway.fail_next(how="late")
    harness.flow.dispatch()
    (request, result) = harness.gateway.late_answers[-1]
    late = GatewayResult(True, result.reference)

    for _ in range(2):  # the webhook is delivered twice
        harness.flow.settle_payment(
            paid.id, request.transaction_id, late, actor=GATEWAY, idempotency_key="wh-1"
        )

    order = harness.flow.get(paid.id)
    assert order.transactions[-1].status == "succeeded"
    assert balance(order) == eur("0.00")


# -- cancelling what has not shipped ------------------------------------------------------------


def test_what_has_not_shipped_is_cancelled_restocked_and_refunded_after_the_save(
    harness: Harness, inventory: RecordingInventory, paid: Order
) -> None:
    box = paid.fulfillment_orders[0].id
    harness.flow.fulfill(paid.id, box, [LineQuantity("line-1", 1)], actor=STAFF)

    after = harness.flow.cancel_unfulfilled(paid.id, actor=STAFF)

    assert [e.message for e in after.timeline[-3:]] == [
        "1 item not shipped cancelled and restocked (out of stock): 22.55 EUR to return.",
        "Order fulfilled.",
        "Refund of 22.55 EUR requested from the gateway.",
    ]
    assert harness.gateway.effects == []
    harness.flow.dispatch()
    (refund,) = harness.flow.get(paid.id).refunds
    assert refunds(harness) == [("refund", eur("22.55"))]
    assert [(r.location_id, r.lines, r.idempotency_key) for r in inventory.requests] == [
        ("default", (LineQuantity("line-1", 1),), f"restock-{refund.id}-default")
    ]
    assert balance(harness.flow.get(paid.id)) == eur("0.00")


def test_cancelling_the_rest_of_an_order_that_shipped_nothing_is_refused_and_changes_nothing(
    harness: Harness, paid: Order
) -> None:
    assert_refused(
        harness,
        paid.id,
        InvalidTransition,
        "nothing has shipped: cancel the order instead",
        lambda: harness.flow.cancel_unfulfilled(paid.id, actor=STAFF),
    )
