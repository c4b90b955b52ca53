"""The payment gateway: every call carries the idempotency key of the transaction it settles."""

from __future__ import annotations

from typing import Protocol

import attrs

from orderflow.domain.money import Money
from orderflow.domain.settlement import GatewayResult


@attrs.frozen(kw_only=True)
class PaymentRequest:
    """One request to the gateway. A retry sends the same ``idempotency_key``.

    ``reference`` is the gateway's id of the transaction acted on: the authorization for a
    capture or void, the capture or sale for a refund, the reusable payment for a charge.
    """

    order_id: str
    transaction_id: str
    amount: Money
    idempotency_key: str
    reference: str | None = None


class PaymentGateway(Protocol):
    """Raise on a transient failure (the outbox retries with the same key); return a
    ``GatewayResult(succeeded=False, error=...)`` for a final decline."""

    def capture(self, request: PaymentRequest) -> GatewayResult: ...

    def refund(self, request: PaymentRequest) -> GatewayResult: ...

    def void(self, request: PaymentRequest) -> GatewayResult: ...

    def charge(self, request: PaymentRequest) -> GatewayResult:
        """Charge a reusable payment method again, without the customer."""
        ...
