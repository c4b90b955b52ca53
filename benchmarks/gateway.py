"""A payment gateway for the benchmarks: one answer per idempotency key, nothing else.

The harness's ``FakeGateway`` keeps books of its own and refuses what a real gateway
refuses (the stateful tests need that); in a benchmark that work, an outside party's,
would be counted as orderflow's. The lifecycle baseline's gateway does what this one does.
"""

from __future__ import annotations

import itertools

from orderflow import GatewayResult
from orderflow.ports import PaymentRequest


class KeyedGateway:
    """The baseline's gateway, as a ``PaymentGateway``: one answer per idempotency key,
    ``effects`` the money movements that happened. The harness's ``FakeGateway`` keeps books
    of its own and refuses what a real gateway refuses (the stateful tests need that); in a
    benchmark that work would be counted as orderflow's."""

    def __init__(self) -> None:
        self.effects: list[tuple[str, PaymentRequest]] = []
        self._results: dict[str, GatewayResult] = {}
        self._references = itertools.count(1)

    def _call(self, operation: str, request: PaymentRequest) -> GatewayResult:
        found = self._results.get(request.idempotency_key)
        if found is not None:
            return found
        self.effects.append((operation, request))
        result = GatewayResult(True, f"gw_{operation}_{next(self._references)}", reusable=True)
        self._results[request.idempotency_key] = result
        return result

    def capture(self, request: PaymentRequest) -> GatewayResult:
        return self._call("capture", request)

    def refund(self, request: PaymentRequest) -> GatewayResult:
        return self._call("refund", request)

    def void(self, request: PaymentRequest) -> GatewayResult:
        return self._call("void", request)

    def charge(self, request: PaymentRequest) -> GatewayResult:
        return self._call("charge", request)
