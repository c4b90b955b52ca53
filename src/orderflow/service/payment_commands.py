"""Payment commands: outside results recorded once per key, and staff's requests to the
gateway (saved as intents; the outbox carries them out)."""

from __future__ import annotations

from orderflow.domain import payments
from orderflow.domain.actor import Actor
from orderflow.domain.money import Money
from orderflow.domain.order import Order
from orderflow.service.commands import Commands


class PaymentCommands(Commands):
    """The payment commands of :class:`~orderflow.service.OrderFlow`."""

    def record_payment(
        self, order_id: str, report: payments.PaymentReport, *, idempotency_key: str, actor: Actor
    ) -> Order:
        """Record a payment outcome from outside (checkout, gateway webhook), once per key."""
        return self._execute(
            order_id,
            actor,
            "record_payment",
            lambda order, now: payments.record_payment(
                order,
                report,
                transaction_id=self.ids.new_id(),
                key=idempotency_key,
                now=now,
                actor=actor,
            ),
            request=("payment", idempotency_key, report),
        )

    def settle_payment(
        self,
        order_id: str,
        transaction_id: str,
        result: payments.GatewayResult,
        *,
        actor: Actor,
        idempotency_key: str | None = None,
    ) -> Order:
        """Record the gateway's answer to one of our requests; a late asynchronous answer
        arrives by webhook, with its ``idempotency_key`` so a redelivery changes nothing."""
        request = (
            None
            if idempotency_key is None
            else ("payment", idempotency_key, (transaction_id, result))
        )
        return self._execute(
            order_id,
            actor,
            "settle_payment",
            lambda order, now: payments.settle(order, transaction_id, result, now=now, actor=actor),
            request=request,
        )

    def capture(
        self,
        order_id: str,
        *,
        actor: Actor,
        amount: Money | None = None,
        authorization_id: str | None = None,
    ) -> Order:
        """Capture held funds (default: what is owed, up to the authorization)."""
        return self._execute(
            order_id,
            actor,
            "capture",
            lambda order, now: payments.request_capture(
                order,
                amount=amount,
                authorization_id=authorization_id,
                new_id=self.ids.new_id,
                now=now,
                actor=actor,
            ),
        )

    def refund(
        self, order_id: str, amount: Money, *, actor: Actor, notify_customer: bool = True
    ) -> Order:
        """Refund ``amount``; ``notify_customer=False`` sends no refund message."""
        return self._execute(
            order_id,
            actor,
            "refund",
            lambda order, now: payments.request_refund(
                order,
                amount,
                new_id=self.ids.new_id,
                now=now,
                actor=actor,
                notify_customer=notify_customer,
            ),
        )

    def void(self, order_id: str, *, actor: Actor, authorization_id: str | None = None) -> Order:
        return self._execute(
            order_id,
            actor,
            "void",
            lambda order, now: payments.request_void(
                order,
                authorization_id=authorization_id,
                new_id=self.ids.new_id,
                now=now,
                actor=actor,
            ),
        )
