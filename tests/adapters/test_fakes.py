"""The fakes a host's tests lean on: they must behave like the real thing, failures included."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from orderflow import GatewayResult, Money
from orderflow.adapters.fakes import (
    FakeClock,
    FakeGateway,
    GatewayUnavailable,
    RecordingNotifier,
    RecordingPublisher,
    SequentialIds,
)
from orderflow.ports import Message, PaymentRequest, PublishedEvent


def request(key: str = "key-1", amount: str = "62.00") -> PaymentRequest:
    return PaymentRequest(
        order_id="ord-1",
        transaction_id="tx-1",
        amount=Money(amount, "EUR"),
        idempotency_key=key,
        reference="auth-ref",
    )


# -- clock and ids ---------------------------------------------------------------------------


def test_the_fake_clock_starts_on_a_fixed_aware_time_and_stays_there() -> None:
    clock = FakeClock()

    assert clock.now() == datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
    assert clock.now() == clock.now()


def test_the_fake_clock_refuses_a_naive_start() -> None:
    with pytest.raises(ValueError, match="time-zone aware"):
        FakeClock(datetime(2026, 1, 5, 9, 0))


def test_the_fake_clock_moves_only_when_advanced_by_a_delta_or_by_parts() -> None:
    start = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    clock = FakeClock(start)

    assert clock.advance(timedelta(minutes=90)) == datetime(2026, 3, 1, 13, 30, tzinfo=timezone.utc)
    assert clock.advance(days=1, seconds=30) == datetime(
        2026, 3, 2, 13, 30, 30, tzinfo=timezone.utc
    )
    assert clock.now() == datetime(2026, 3, 2, 13, 30, 30, tzinfo=timezone.utc)


def test_sequential_ids_are_readable_and_repeatable() -> None:
    ids, other = SequentialIds(), SequentialIds("tx")

    assert [ids.new_id() for _ in range(3)] == ["id-1", "id-2", "id-3"]
    assert [other.new_id() for _ in range(2)] == ["tx-1", "tx-2"]


# -- gateway -----------------------------------------------------------------------------------


def test_the_gateway_acts_once_per_key_and_answers_a_repeat_with_the_same_result() -> None:
    gateway = FakeGateway()

    first = gateway.capture(request("key-1"))
    again = gateway.capture(request("key-1"))
    other = gateway.refund(request("key-2", "10.00"))

    assert first == GatewayResult(succeeded=True, reference="gw_capture_1", reusable=True)
    assert again == first
    assert other.reference == "gw_refund_2"
    assert [c.operation for c in gateway.calls] == ["capture", "capture", "refund"]
    assert [(c.operation, c.request.idempotency_key) for c in gateway.effects] == [
        ("capture", "key-1"),
        ("refund", "key-2"),
    ]


@pytest.mark.parametrize("operation", ["capture", "refund", "void", "charge"])
def test_the_gateway_offers_every_payment_operation(operation: str) -> None:
    gateway = FakeGateway(reusable=False)

    result = getattr(gateway, operation)(request())

    assert result == GatewayResult(succeeded=True, reference=f"gw_{operation}_1", reusable=False)
    assert gateway.effects[0].operation == operation


def test_a_scripted_decline_is_a_final_answer_that_moves_no_money() -> None:
    gateway = FakeGateway()
    gateway.fail_next(1, "decline")

    declined = gateway.capture(request())
    repeated = gateway.capture(request())

    assert declined == GatewayResult(succeeded=False, error="card declined")
    assert repeated == declined
    assert gateway.effects == []


def test_a_failure_before_acting_raises_and_a_retry_with_the_same_key_then_acts() -> None:
    gateway = FakeGateway()
    gateway.fail_next(1, "before")

    with pytest.raises(GatewayUnavailable, match=r"gateway unreachable \(capture key-1\)"):
        gateway.capture(request())
    assert gateway.effects == []

    result = gateway.capture(request())

    assert result.succeeded is True
    assert len(gateway.effects) == 1
    assert len(gateway.calls) == 2


def test_a_failure_after_acting_raises_but_the_money_moved_once() -> None:
    gateway = FakeGateway()
    gateway.fail_next(1, "after")

    with pytest.raises(GatewayUnavailable, match=r"connection reset after capture key-1"):
        gateway.capture(request())
    assert len(gateway.effects) == 1

    result = gateway.capture(request())

    assert result == GatewayResult(succeeded=True, reference="gw_capture_1", reusable=True)
    assert len(gateway.effects) == 1


def test_scripted_failures_apply_to_the_next_new_requests_in_order() -> None:
    gateway = FakeGateway()
    gateway.fail_next(2, "before")
    gateway.fail_next(1, "decline")

    outcomes: list[bool | str | None] = []
    for key in ("key-1", "key-2", "key-3", "key-4"):
        try:
            outcomes.append(gateway.capture(request(key)).succeeded)
        except GatewayUnavailable:
            outcomes.append("unavailable")

    assert outcomes == ["unavailable", "unavailable", False, True]


def test_a_gateway_outage_looks_like_a_network_error() -> None:
    assert issubclass(GatewayUnavailable, ConnectionError)


# -- recorders ---------------------------------------------------------------------------------


def _event(key: str) -> PublishedEvent:
    return PublishedEvent(
        key=key, order_id="ord-1", type="OrderPlaced", schema_version=1, payload="{}"
    )


def _message(key: str) -> Message:
    return Message(
        key=key,
        order_id="ord-1",
        template="order_confirmation",
        audience="customer",
        channel="email",
        to="ada@example.com",
        locale="en",
        subject="Hi",
        text="Hello",
    )


def test_the_recording_publisher_keeps_events_in_order_and_fails_when_told() -> None:
    publisher = RecordingPublisher()
    publisher.fail_next(1)

    with pytest.raises(ConnectionError, match=r"publisher unavailable \(evt-1\)"):
        publisher.publish(_event("evt-1"))
    publisher.publish(_event("evt-1"))
    publisher.publish(_event("evt-2"))

    assert [e.key for e in publisher.events] == ["evt-1", "evt-2"]


def test_the_recording_notifier_keeps_messages_in_order_and_fails_when_told() -> None:
    notifier = RecordingNotifier()
    notifier.fail_next(2)

    for _ in range(2):
        with pytest.raises(ConnectionError, match=r"notifier unavailable \(msg-1\)"):
            notifier.send(_message("msg-1"))
    notifier.send(_message("msg-1"))
    notifier.send(_message("msg-2"))

    assert [m.key for m in notifier.sent] == ["msg-1", "msg-2"]
