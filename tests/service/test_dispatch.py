"""The outbox runner: gateway failures are retried with the same key after a backoff, so a
card is never charged twice, and a request that keeps failing is dead-lettered."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from orderflow import (
    GatewayResult,
    InvalidQuantity,
    LimitExceeded,
    Order,
    RetryPolicy,
    Settings,
    financial_status,
)
from orderflow.ports import PaymentRequest
from orderflow.service.flow import RECORD_EVERY
from orderflow.testing import GATEWAY, STAFF, Harness, authorization, make_draft


def test_a_gateway_that_fails_before_acting_is_retried_only_after_the_backoff(
    harness: Harness, authorized: Order
) -> None:
    harness.gateway.fail_next(1, "before")
    capture = harness.flow.capture(authorized.id, actor=STAFF).transactions[-1]
    started = harness.clock.now()

    failed = harness.flow.dispatch()

    assert (failed.delivered, failed.failed, failed.dead) == (0, 1, 0)
    ((key, error),) = failed.errors
    assert key == capture.idempotency_key
    assert error == f"GatewayUnavailable: gateway unreachable (capture {key})"
    (delivery,) = harness.repository.deliveries(authorized.id)
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("pending", 1, error)
    assert delivery.next_attempt_at == started + timedelta(seconds=30)  # the first delay
    assert harness.gateway.effects == []

    harness.clock.advance(seconds=29)
    early = harness.flow.dispatch()
    assert (early.delivered, early.failed, early.dead) == (0, 0, 0)
    assert len(harness.gateway.calls) == 1

    harness.clock.advance(seconds=1)
    retried = harness.flow.dispatch()
    assert (retried.delivered, retried.failed, retried.dead) == (1, 0, 0)
    assert len(harness.gateway.effects) == 1
    assert harness.gateway.calls[-1].request.idempotency_key == capture.idempotency_key
    assert financial_status(harness.flow.get(authorized.id)) == "paid"


def test_a_gateway_that_charged_but_lost_the_answer_is_retried_with_the_same_key_once(
    harness: Harness, authorized: Order
) -> None:
    harness.gateway.fail_next(1, "after")
    capture = harness.flow.capture(authorized.id, actor=STAFF).transactions[-1]

    first = harness.flow.dispatch()
    assert first.failed == 1
    assert len(harness.gateway.effects) == 1  # the money moved, we just did not hear it
    assert harness.flow.get(authorized.id).transaction(capture.id).status == "pending"

    harness.clock.advance(seconds=30)
    second = harness.flow.dispatch()

    assert second.delivered == 1
    assert len(harness.gateway.effects) == 1
    assert [c.request.idempotency_key for c in harness.gateway.calls] == [
        capture.idempotency_key,
        capture.idempotency_key,
    ]
    order = harness.flow.get(authorized.id)
    assert financial_status(order) == "paid"
    assert order.transaction(capture.id).reference == "gw_capture_1"


@pytest.mark.parametrize(
    "settings", [Settings(retry=RetryPolicy(max_attempts=3))], ids=["max_attempts=3"]
)
def test_a_request_failing_max_attempts_times_is_dead_lettered_and_stays_pending(
    harness: Harness, authorized: Order
) -> None:
    harness.gateway.fail_next(3, "before")
    capture = harness.flow.capture(authorized.id, actor=STAFF).transactions[-1]

    first = harness.flow.dispatch()  # attempt 1; next in 30 s
    harness.clock.advance(seconds=30)
    second = harness.flow.dispatch()  # attempt 2; next in 60 s
    harness.clock.advance(seconds=60)
    third = harness.flow.dispatch()  # attempt 3 of 3: dead

    assert [(r.failed, r.dead) for r in (first, second, third)] == [(1, 0), (1, 0), (0, 1)]
    (delivery,) = harness.repository.deliveries(authorized.id)
    assert (delivery.state, delivery.attempts) == ("dead", 3)
    assert delivery.last_error == (
        f"GatewayUnavailable: gateway unreachable (capture {capture.idempotency_key})"
    )
    # The transaction stays pending on purpose: a timeout does not tell us whether the
    # gateway acted. Marking it failed would invite a second capture and a double charge;
    # a person (or the gateway's webhook, through settle_payment) must say what happened.
    assert harness.flow.get(authorized.id).transaction(capture.id).status == "pending"

    harness.clock.advance(hours=6)
    later = harness.flow.dispatch()
    assert (later.delivered, later.failed, later.dead) == (0, 0, 0)
    assert len(harness.gateway.calls) == 3


@pytest.mark.parametrize("settings", [Settings(run_jobs_inline=True)], ids=["inline jobs"])
def test_with_inline_jobs_a_gateway_outage_leaves_the_capture_pending_for_the_outbox(
    harness: Harness, authorized: Order
) -> None:
    harness.gateway.fail_next(1, "before")

    returned = harness.flow.capture(authorized.id, actor=STAFF)

    assert returned.transactions[-1].status == "pending"
    assert financial_status(returned) == "authorized"
    harness.clock.advance(seconds=30)
    assert harness.flow.dispatch().delivered == 1
    assert financial_status(harness.flow.get(authorized.id)) == "paid"


def test_a_job_leased_by_one_dispatcher_is_not_run_by_another(
    harness: Harness, authorized: Order
) -> None:
    capture = harness.flow.capture(authorized.id, actor=STAFF).transactions[-1]
    lease = Settings().lease
    harness.repository.claim(harness.clock.now(), limit=10, lease=lease)  # a dispatcher died

    assert harness.flow.run_job(capture.idempotency_key) is None
    assert harness.flow.dispatch().delivered == 0

    harness.clock.advance(lease)
    assert harness.flow.dispatch().delivered == 1
    assert len(harness.gateway.effects) == 1


def test_run_job_carries_out_one_item_now_and_reports_nothing_for_a_finished_one(
    harness: Harness, authorized: Order
) -> None:
    capture = harness.flow.capture(authorized.id, actor=STAFF).transactions[-1]

    assert harness.flow.run_job(capture.idempotency_key) == "delivered"
    assert harness.flow.run_job(capture.idempotency_key) is None
    assert harness.flow.run_job("no-such-key") is None
    assert len(harness.gateway.calls) == 1


@pytest.mark.parametrize(
    ("limit", "refusal", "message"),
    [
        (0, InvalidQuantity, "'limit' must be at least 1, got 0"),
        (-1, InvalidQuantity, "'limit' must be at least 1, got -1"),
        (10_001, LimitExceeded, "'limit' is 10,001; the limit is 10,000"),
        (2**63, LimitExceeded, "'limit' is 9,223,372,036,854,775,808; the limit is 10,000"),
    ],
)
def test_a_dispatch_limit_out_of_range_is_refused_with_an_orderflow_error_not_a_type_error(
    harness: Harness, limit: int, refusal: type[Exception], message: str
) -> None:
    with pytest.raises(refusal, match=re.escape(message)):
        harness.flow.dispatch(limit=limit)
    with pytest.raises(TypeError, match="'limit' must be an int, got bool"):
        harness.flow.dispatch(limit=True)
    assert harness.flow.dispatch(limit=10_000).delivered == 0


def test_a_slow_pass_records_its_deliveries_before_half_their_lease_has_passed(
    harness: Harness, authorized: Order, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pass records its deliveries together at its end, unless it runs long: a delivery
    not yet recorded is claimable again once its lease ends, and would be made twice."""
    other = harness.flow.place(make_draft(external_checkout_id="chk-2"), actor=GATEWAY)
    harness.flow.record_payment(
        other.id, authorization(other.total, "pi-2"), idempotency_key="w-2", actor=GATEWAY
    )
    first = harness.flow.capture(authorized.id, actor=STAFF).transactions[-1]
    harness.flow.capture(other.id, actor=STAFF)
    capture = harness.gateway.capture
    seen: list[str] = []

    def slow_capture(request: PaymentRequest) -> GatewayResult:
        (earlier,) = harness.repository.deliveries(authorized.id)
        seen.append(earlier.state)
        harness.clock.advance(Settings().lease / 2)  # each call takes half the lease
        return capture(request)

    monkeypatch.setattr(harness.gateway, "capture", slow_capture)

    assert harness.flow.dispatch().delivered == 2
    assert seen == ["pending", "delivered"]  # the first recorded before the second call
    (delivery,) = harness.repository.deliveries(authorized.id)
    assert delivery.item.key == first.idempotency_key


def test_a_long_pass_records_its_deliveries_twenty_at_a_time(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash mid-pass makes again only what was delivered since the last write: at most
    RECORD_EVERY items, not the whole pass."""
    orders = []
    for n in range(RECORD_EVERY + 1):
        placed = harness.flow.place(make_draft(external_checkout_id=f"chk-{n}"), actor=GATEWAY)
        harness.flow.record_payment(
            placed.id,
            authorization(placed.total, f"pi-{n}"),
            idempotency_key=f"w-{n}",
            actor=GATEWAY,
        )
        orders.append(harness.flow.capture(placed.id, actor=STAFF))
    capture = harness.gateway.capture
    recorded_before: list[int] = []

    def counting_capture(request: PaymentRequest) -> GatewayResult:
        recorded_before.append(
            sum(
                d.state == "delivered"
                for order in orders
                for d in harness.repository.deliveries(order.id)
            )
        )
        return capture(request)

    monkeypatch.setattr(harness.gateway, "capture", counting_capture)
    harness.flow.dispatch()

    assert len(recorded_before) == RECORD_EVERY + 1  # one pass, the clock standing still
    assert recorded_before[0] == 0
    assert max(recorded_before) >= RECORD_EVERY  # written twenty at a time, mid-pass
