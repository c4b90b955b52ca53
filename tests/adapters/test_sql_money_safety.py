"""What a gateway answers is stored whole on every store (issue 10, finding 3): a reference
over 200 characters once made settle_payment fail on every retry on PostgreSQL, so the
captured money was never recorded and its job went dead."""

from __future__ import annotations

from sqlalchemy import Engine

from orderflow import GatewayResult, financial_status
from orderflow.adapters.fake_gateway import FakeGateway
from orderflow.adapters.sql import SqlRepository
from orderflow.ports.payments import PaymentRequest
from orderflow.testing import GATEWAY, STAFF, make_draft, make_flow

WILD = "ch_" + "9" * 300 + "\x00\ud800\u2028"
"""A reference no column holds as it is: long, with NUL, a lone surrogate, a separator."""


class WildGateway(FakeGateway):
    """Captures, and answers with a reference of its own making."""

    def capture(self, request: PaymentRequest) -> GatewayResult:
        super().capture(request)
        return GatewayResult(succeeded=True, reference=WILD)


def test_a_capture_answered_with_any_reference_is_recorded_and_found_by_it(
    sql_engine: Engine,
) -> None:
    harness = make_flow(publish=False, repository=SqlRepository(sql_engine), gateway=WildGateway())
    order = harness.flow.place(make_draft(), actor=GATEWAY)
    held = harness.gateway.authorize(order.total)
    order = harness.flow.record_payment(order.id, held, idempotency_key="a", actor=GATEWAY)
    harness.flow.capture(order.id, actor=STAFF)

    dispatched = harness.flow.dispatch()

    assert (dispatched.delivered, dispatched.failed, dispatched.dead) == (1, 0, 0)
    stored = harness.flow.get(order.id)
    assert stored.transactions[-1].reference == WILD  # kept whole
    assert financial_status(stored) == "paid"
    assert harness.flow.find("gateway_reference", WILD) == stored
