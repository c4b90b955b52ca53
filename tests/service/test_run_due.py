"""``run_due``: what comes due with time (authorizations lapse, idempotency records expire)."""

from __future__ import annotations

from datetime import timedelta

from orderflow import SYSTEM, Order, financial_status
from orderflow.testing import GATEWAY, STAFF, Harness, authorization

from .conftest import TOTAL


def _authorize_for_a_week(harness: Harness, order: Order) -> Order:
    report = authorization(TOTAL, expires_in=timedelta(days=7), clock=harness.clock)
    return harness.flow.record_payment(order.id, report, idempotency_key="evt-auth", actor=GATEWAY)


def test_an_authorization_is_not_expired_a_second_before_its_expiry(
    harness: Harness, placed: Order
) -> None:
    authorized = _authorize_for_a_week(harness, placed)
    harness.clock.advance(days=7, seconds=-1)

    assert harness.flow.run_due().changed == 0
    assert harness.repository.get(placed.id) is authorized
    assert financial_status(authorized) == "authorized"


def test_an_authorization_expires_when_its_expiry_time_comes(
    harness: Harness, placed: Order
) -> None:
    _authorize_for_a_week(harness, placed)
    harness.clock.advance(days=7)

    assert harness.flow.run_due().changed == 1

    order = harness.flow.get(placed.id)
    assert order.transactions[0].status == "expired"
    assert financial_status(order) == "expired"
    assert (order.timeline[-1].message, order.timeline[-1].actor) == (
        "Authorization of 62.00 EUR expired before capture.",
        SYSTEM,
    )
    assert harness.repository.due_before(harness.clock.now()) == []
    assert harness.flow.run_due().changed == 0


def test_run_due_takes_an_explicit_time(harness: Harness, placed: Order) -> None:
    _authorize_for_a_week(harness, placed)

    assert harness.flow.run_due(harness.clock.now() + timedelta(days=6)).changed == 0
    assert harness.flow.run_due(harness.clock.now() + timedelta(days=8)).changed == 1
    assert financial_status(harness.flow.get(placed.id)) == "expired"


def test_an_authorization_with_a_capture_in_flight_does_not_expire(
    harness: Harness, placed: Order
) -> None:
    _authorize_for_a_week(harness, placed)
    harness.flow.capture(placed.id, actor=STAFF)
    harness.clock.advance(days=2)

    assert harness.flow.run_due().changed == 0
    harness.clock.advance(days=6)  # 8 days: past its expiry, and the capture still unanswered
    assert harness.flow.run_due().changed == 1
    order = harness.flow.get(placed.id)
    assert order.transactions[0].status == "authorized"
    # unanswered for 3 days: never resent silently, the order goes on review instead
    kinds = [entry.kind for entry in order.timeline]
    assert kinds[-2:] == ["PaymentReviewRequested", "FulfillmentHeld"]


def test_run_due_forgets_idempotency_records_whose_retention_has_passed(
    harness: Harness, placed: Order
) -> None:
    harness.flow.record_payment(
        placed.id, authorization(TOTAL), idempotency_key="evt-1", actor=GATEWAY
    )
    record = harness.repository.idempotency_record("payment", "evt-1")
    assert record is not None
    assert record.expires_at == harness.clock.now() + timedelta(days=30)

    harness.clock.advance(days=30)
    harness.flow.run_due()

    assert harness.repository.idempotency_record("payment", "evt-1") is None
