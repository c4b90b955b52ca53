"""Shared set-ups for the service tests: an in-memory flow and orders at each payment stage.

Every order here is ``make_draft()``: 2 x 20.00 + 15.00 shipping + 7.00 VAT = 62.00 EUR.
"""

from __future__ import annotations

import pytest

from orderflow import Money, Order, Settings
from orderflow.testing import GATEWAY, STAFF, Harness, authorization, make_draft, make_flow, sale

TOTAL = Money("62.00", "EUR")
"""What ``make_draft()`` costs, worked out by hand: 40.00 + 15.00 + 7.00."""


@pytest.fixture
def settings() -> Settings | None:
    """The flow's settings: the defaults, unless a test parametrises ``settings``."""
    return None


@pytest.fixture
def harness(settings: Settings | None) -> Harness:
    """A flow on in-memory adapters without a publisher, so the outbox holds only payments."""
    return make_flow(settings=settings, publish=False)


@pytest.fixture
def placed(harness: Harness) -> Order:
    return harness.flow.place(make_draft(), actor=STAFF)


@pytest.fixture
def authorized(harness: Harness, placed: Order) -> Order:
    """62.00 EUR held by the gateway under reference ``auth-ref`` (no expiry)."""
    return harness.flow.record_payment(
        placed.id, authorization(TOTAL), idempotency_key="evt-auth", actor=GATEWAY
    )


@pytest.fixture
def paid(harness: Harness, authorized: Order) -> Order:
    """The authorization captured through the outbox: the gateway's reference is gw_capture_1."""
    harness.flow.capture(authorized.id, actor=STAFF)
    harness.flow.dispatch()
    return harness.flow.get(authorized.id)


@pytest.fixture
def sold(harness: Harness, placed: Order) -> Order:
    """62.00 EUR taken at checkout in one sale (reference ``sale-ref``)."""
    return harness.flow.record_payment(
        placed.id, sale(TOTAL), idempotency_key="evt-sale", actor=GATEWAY
    )
