"""Service settings: the retry schedule and the default authorizer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orderflow import SYSTEM, Actor, RetryPolicy
from orderflow.service import StaffAndSystem
from orderflow.testing import EPOCH, GATEWAY, STAFF


def test_retries_back_off_exponentially_from_thirty_seconds() -> None:
    policy = RetryPolicy()

    delays = [policy.retry_at(attempts, EPOCH) for attempts in (1, 2, 3, 4)]

    assert delays == [
        EPOCH + timedelta(seconds=30),
        EPOCH + timedelta(seconds=60),
        EPOCH + timedelta(seconds=120),
        EPOCH + timedelta(seconds=240),
    ]


def test_the_retry_delay_is_capped_at_the_maximum_delay() -> None:
    policy = RetryPolicy(max_attempts=20, max_delay=timedelta(minutes=5))

    assert policy.retry_at(10, EPOCH) == EPOCH + timedelta(minutes=5)


def test_after_the_last_attempt_there_is_no_retry() -> None:
    policy = RetryPolicy(max_attempts=3)

    assert policy.retry_at(2, EPOCH) == EPOCH + timedelta(seconds=60)
    assert policy.retry_at(3, EPOCH) is None


def test_a_retry_policy_needs_at_least_one_attempt() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)


@pytest.mark.parametrize("command", ["place", "capture", "refund", "void", "cancel", "archive"])
def test_staff_and_the_system_may_run_every_command(command: str) -> None:
    authorizer = StaffAndSystem()

    assert authorizer.allows(STAFF, command, None)
    assert authorizer.allows(SYSTEM, command, None)


def test_an_app_may_place_orders_and_report_payments_only() -> None:
    authorizer = StaffAndSystem()

    allowed = {
        c
        for c in ("place", "record_payment", "settle_payment", "capture", "refund", "cancel")
        if authorizer.allows(GATEWAY, c, None)
    }

    assert allowed == {"place", "record_payment", "settle_payment"}


def test_a_customer_may_place_orders_only() -> None:
    customer = Actor.customer("cust-1", "Ada")
    authorizer = StaffAndSystem()

    assert authorizer.allows(customer, "place", None)
    assert not authorizer.allows(customer, "record_payment", None)
    assert not authorizer.allows(customer, "cancel", None)
