"""Refused commands: each raises its own error, names the order, and changes nothing at all
(the stored order is the very same object and no outbox item was queued)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import attrs
import pytest

from orderflow import (
    CancelReason,
    ConcurrencyError,
    CurrencyMismatch,
    GatewayResult,
    IdempotencyConflict,
    InvalidAmount,
    InvalidTransition,
    Money,
    NotPermitted,
    Order,
    OrderNotFound,
    PaymentError,
    TransactionNotFound,
)
from orderflow.adapters.fakes import FakeClock, FakeGateway, SequentialIds
from orderflow.adapters.memory import InMemoryRepository
from orderflow.ports import IdempotencyRecord, OutboxItem
from orderflow.service import OrderFlow
from orderflow.testing import GATEWAY, STAFF, Harness, authorization, make_draft

ORDER = r"order #1001 \(id-1\)"
"""How every message names the first order placed in a test."""


@contextmanager
def refused(harness: Harness, order: Order, error: type[Exception], match: str) -> Iterator[None]:
    """Expect ``error`` and check that neither the order nor its outbox changed."""
    stored = harness.repository.get(order.id)
    queued = list(harness.repository.deliveries(order.id))
    with pytest.raises(error, match=match):
        yield
    assert harness.repository.get(order.id) is stored
    assert list(harness.repository.deliveries(order.id)) == queued


def test_a_command_on_an_unknown_order_raises_order_not_found_naming_the_id(
    harness: Harness, placed: Order
) -> None:
    with refused(harness, placed, OrderNotFound, "no order with id 'ord-missing'"):
        harness.flow.capture("ord-missing", actor=STAFF)

    assert harness.flow.orders().orders == (placed,)


def test_capturing_an_unknown_authorization_raises_transaction_not_found(
    harness: Harness, authorized: Order
) -> None:
    with refused(harness, authorized, TransactionNotFound, f"{ORDER} has no transaction 'tx-9'"):
        harness.flow.capture(authorized.id, authorization_id="tx-9", actor=STAFF)


def test_settling_an_unknown_transaction_raises_transaction_not_found(
    harness: Harness, authorized: Order
) -> None:
    with refused(harness, authorized, TransactionNotFound, f"{ORDER} has no transaction 'tx-9'"):
        harness.flow.settle_payment(
            authorized.id, "tx-9", GatewayResult(succeeded=True), actor=GATEWAY
        )


def test_archiving_twice_raises_invalid_transition(harness: Harness, placed: Order) -> None:
    archived = harness.flow.archive(placed.id, actor=STAFF)

    with refused(harness, archived, InvalidTransition, f"{ORDER}: cannot archive while archived"):
        harness.flow.archive(placed.id, actor=STAFF)


def test_cancelling_twice_raises_invalid_transition(harness: Harness, placed: Order) -> None:
    cancelled = harness.flow.cancel(placed.id, CancelReason.CUSTOMER, actor=STAFF)

    with refused(harness, cancelled, InvalidTransition, f"{ORDER}: cannot cancel while cancelled"):
        harness.flow.cancel(placed.id, CancelReason.CUSTOMER, actor=STAFF)


def test_capturing_on_a_cancelled_order_raises_invalid_transition(
    harness: Harness, authorized: Order
) -> None:
    cancelled = harness.flow.cancel(authorized.id, CancelReason.STAFF, actor=STAFF)

    with refused(harness, cancelled, InvalidTransition, f"{ORDER}: cannot capture"):
        harness.flow.capture(authorized.id, actor=STAFF)


def test_a_refund_in_another_currency_raises_currency_mismatch(
    harness: Harness, sold: Order
) -> None:
    with refused(harness, sold, CurrencyMismatch, f"{ORDER}: payment of 5.00 USD is not in EUR"):
        harness.flow.refund(sold.id, Money("5.00", "USD"), actor=STAFF)


@pytest.mark.parametrize("amount", ["-5.00", "0.00"])
def test_a_refund_of_no_money_or_less_raises_invalid_amount(
    harness: Harness, sold: Order, amount: str
) -> None:
    with refused(harness, sold, InvalidAmount, f"{ORDER}: a payment amount must be positive"):
        harness.flow.refund(sold.id, Money(amount, "EUR"), actor=STAFF)


def test_refunding_more_than_was_paid_raises_payment_error(harness: Harness, sold: Order) -> None:
    with refused(harness, sold, PaymentError, f"{ORDER}: cannot refund 62.01 EUR; 62.00 EUR"):
        harness.flow.refund(sold.id, Money("62.01", "EUR"), actor=STAFF)


def test_capturing_more_than_was_authorized_raises_payment_error(
    harness: Harness, placed: Order
) -> None:
    held = harness.flow.record_payment(
        placed.id, authorization(Money("30.00", "EUR")), idempotency_key="e-30", actor=GATEWAY
    )
    # 62.00 is owed, but the one authorization holds 30.00
    message = f"{ORDER}: cannot capture 30.01 EUR; the authorizations can give 30.00 EUR"
    with refused(harness, held, PaymentError, message):
        harness.flow.capture(held.id, amount=Money("30.01", "EUR"), actor=STAFF)


def test_capturing_more_than_is_owed_raises_payment_error(
    harness: Harness, authorized: Order
) -> None:
    message = f"{ORDER}: cannot capture 62.01 EUR; 62.00 EUR is still to capture"
    with refused(harness, authorized, PaymentError, message):
        harness.flow.capture(authorized.id, amount=Money("62.01", "EUR"), actor=STAFF)


def test_capturing_with_nothing_authorized_raises_payment_error(
    harness: Harness, placed: Order
) -> None:
    with refused(harness, placed, PaymentError, f"{ORDER}: nothing to capture"):
        harness.flow.capture(placed.id, actor=STAFF)


def test_a_second_capture_while_one_is_in_flight_raises_payment_error(
    harness: Harness, authorized: Order
) -> None:
    requested = harness.flow.capture(authorized.id, actor=STAFF)

    with refused(
        harness, requested, PaymentError, f"{ORDER}: nothing more to capture: .* in progress"
    ):
        harness.flow.capture(authorized.id, actor=STAFF)


def test_a_command_the_actor_may_not_run_raises_not_permitted(
    harness: Harness, sold: Order
) -> None:
    with refused(harness, sold, NotPermitted, f"app Payment gateway may not refund on {ORDER}"):
        harness.flow.refund(sold.id, Money("5.00", "EUR"), actor=GATEWAY)


def test_a_reused_idempotency_key_raises_idempotency_conflict(
    harness: Harness, authorized: Order
) -> None:
    record = harness.repository.idempotency_record("payment", "evt-auth")

    with refused(harness, authorized, IdempotencyConflict, r"'evt-auth' \(payment\) was used"):
        harness.flow.record_payment(
            authorized.id,
            authorization(Money("1.00", "EUR")),
            idempotency_key="evt-auth",
            actor=GATEWAY,
        )

    assert harness.repository.idempotency_record("payment", "evt-auth") is record


def test_a_stale_writer_gets_concurrency_error_and_writes_nothing(
    harness: Harness, placed: Order
) -> None:
    loaded = harness.repository.get(placed.id)
    newer = attrs.evolve(loaded, note="changed elsewhere", version=2)
    harness.repository.save(newer, expected_version=1)
    now = harness.clock.now()
    item = OutboxItem(key="job-1", order_id=placed.id, topic="event", payload="{}", created_at=now)
    record = IdempotencyRecord(
        source="payment",
        key="k",
        request_hash="h",
        order_id=placed.id,
        created_at=now,
        expires_at=now,
    )

    with refused(
        harness,
        newer,
        ConcurrencyError,
        f"{ORDER} was changed by someone else \\(stored version 2, expected 1\\)",
    ):
        harness.repository.save(
            attrs.evolve(loaded, note="mine", version=2),
            expected_version=1,
            outbox=[item],
            idempotency=record,
        )

    assert harness.repository.idempotency_record("payment", "k") is None


class _InterleavedRepository(InMemoryRepository):
    """Lets another writer save an order right after the service has loaded it, once."""

    def __init__(self) -> None:
        super().__init__()
        self.meanwhile: Order | None = None

    def get(self, order_id: str) -> Order:
        order = super().get(order_id)
        if self.meanwhile is not None:
            other, self.meanwhile = self.meanwhile, None
            self.save(other, expected_version=order.version)
        return order


def test_a_command_racing_another_writer_raises_concurrency_error_and_overwrites_nothing() -> None:
    repository = _InterleavedRepository()
    flow = OrderFlow(
        repository=repository,
        outbox=repository,
        gateway=FakeGateway(),
        clock=FakeClock(),
        ids=SequentialIds(),
    )
    placed = flow.place(make_draft(), actor=STAFF)
    theirs = attrs.evolve(placed, note="theirs", version=2)
    repository.meanwhile = theirs

    with pytest.raises(ConcurrencyError, match=f"{ORDER} was changed by someone else"):
        flow.update_note(placed.id, "mine", actor=STAFF)

    assert repository.get(placed.id) is theirs


# -- wrongly typed arguments are programming errors: TypeError, before anything changes ----


def test_an_actor_given_as_a_string_raises_type_error(harness: Harness, placed: Order) -> None:
    with refused(harness, placed, TypeError, "'actor' must be an Actor, got str"):
        harness.flow.archive(placed.id, actor="staff")  # type: ignore[arg-type]


def test_a_cancel_reason_given_as_a_string_raises_type_error(
    harness: Harness, placed: Order
) -> None:
    with refused(harness, placed, TypeError, "'reason' must be a CancelReason, got str"):
        harness.flow.cancel(placed.id, "fraud", actor=STAFF)  # type: ignore[arg-type]


def test_a_refund_amount_given_as_a_string_raises_type_error(harness: Harness, sold: Order) -> None:
    with refused(harness, sold, TypeError, "Money"):
        harness.flow.refund(sold.id, "10.00", actor=STAFF)  # type: ignore[arg-type]


def test_a_capture_amount_given_as_a_number_raises_type_error(
    harness: Harness, authorized: Order
) -> None:
    with refused(harness, authorized, TypeError, "Money"):
        harness.flow.capture(authorized.id, amount=10, actor=STAFF)  # type: ignore[arg-type]


def test_a_payment_report_given_as_a_dict_raises_type_error(
    harness: Harness, placed: Order
) -> None:
    report: Any = {"kind": "sale", "amount": "62.00"}

    with refused(harness, placed, TypeError, "PaymentReport"):
        harness.flow.record_payment(
            placed.id,
            report,
            idempotency_key="evt-1",
            actor=GATEWAY,
        )
