"""Payment commands: outside results recorded once per key, and staff's requests to the
gateway (saved as intents; the outbox carries them out)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from orderflow.domain import disputing, ledger, payments, refunding, settlement
from orderflow.domain.actor import SYSTEM, Actor
from orderflow.domain.dispute import DisputeReport
from orderflow.domain.limits import shown
from orderflow.domain.money import Money
from orderflow.domain.order import Change, Order
from orderflow.domain.refund import RefundLine, RefundReason
from orderflow.domain.review import request_review
from orderflow.domain.settlement import GatewayResult
from orderflow.domain.transaction import Transaction
from orderflow.errors import DocumentError
from orderflow.ports import PaymentGateway
from orderflow.ports.outbox import Delivery, OutboxItem
from orderflow.service import jobs
from orderflow.service.commands import Commands


class PaymentCommands(Commands):
    """The payment commands of :class:`~orderflow.service.OrderFlow`, and the job that
    carries out its intents."""

    gateway: PaymentGateway

    def record_payment(
        self, order_id: str, report: settlement.PaymentReport, *, idempotency_key: str, actor: Actor
    ) -> Order:
        """Record a payment outcome from outside (checkout, gateway webhook), once per key."""
        return self._execute(
            order_id,
            actor,
            "record_payment",
            lambda order, now: settlement.record_payment(
                order, report, key=idempotency_key, new_id=self.ids.new_id, now=now, actor=actor
            ),
            request=("payment", idempotency_key, report),
        )

    def record_dispute(
        self, order_id: str, report: DisputeReport, *, idempotency_key: str, actor: Actor
    ) -> Order:
        """Record what the gateway reports of a chargeback or inquiry, once per key
        (:func:`~orderflow.domain.disputing.record_dispute`): opening one puts the order on
        staff review; a chargeback lost counts as money returned."""
        return self._execute(
            order_id,
            actor,
            "record_dispute",
            lambda order, now: disputing.record_dispute(
                order, report, new_id=self.ids.new_id, now=now, actor=actor
            ),
            request=("dispute", idempotency_key, report),
        )

    def settle_payment(
        self,
        order_id: str,
        transaction_id: str,
        result: settlement.GatewayResult,
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
        return self._settle(order_id, transaction_id, result, actor, request=request)

    def _settle(
        self,
        order_id: str,
        transaction_id: str,
        result: settlement.GatewayResult,
        actor: Actor,
        *,
        request: tuple[str, str, Any] | None = None,
        loaded: Order | None = None,
    ) -> Order:
        return self._execute(
            order_id,
            actor,
            "settle_payment",
            lambda order, now: settlement.settle(
                order, transaction_id, result, new_id=self.ids.new_id, now=now, actor=actor
            ),
            request=request,
            loaded=loaded,
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

    def refund_lines(
        self,
        order_id: str,
        lines: Iterable[RefundLine] = (),
        *,
        reason: RefundReason,
        actor: Actor,
        shipping: refunding.Shipping = None,
        amount: Money | None = None,
        note: str | None = None,
        notify_customer: bool = True,
    ) -> Order:
        """Refund chosen quantities of chosen lines, each with its restock type, shipping
        (an amount or ``"remaining"``) and/or a further ``amount``
        (:func:`~orderflow.domain.refunding.refund_lines`); restocking goes to the
        inventory port and the money to the gateway through the outbox."""
        wanted = tuple(lines) if not isinstance(lines, (str, RefundLine)) else lines
        return self._execute(
            order_id,
            actor,
            "refund_lines",
            lambda order, now: refunding.refund_lines(
                order,
                wanted,
                shipping=shipping,
                amount=amount,
                reason=reason,
                note=note,
                notify_customer=notify_customer,
                new_id=self.ids.new_id,
                now=now,
                actor=actor,
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

    # -- the payment job ----------------------------------------------------------------------

    def _payment_job(self, delivery: Delivery, now: datetime) -> None:
        """Carry out an intent: check the books still allow it (before it is first sent),
        mind the gateway's key retention (on a resend), call the gateway with the intent's
        key, record the answer."""
        order = self.repository.get(delivery.item.order_id)
        tx = jobs.payment_transaction(order, delivery.item)
        if tx is None:
            return  # settled already
        if delivery.attempts <= 1:
            if (reason := ledger.still_allowed(order, tx)) is not None:
                refused = GatewayResult(
                    False, error=f"not sent: the books no longer allow it ({reason})"
                )
                self._record_answer(order, tx.id, refused)
                return
        elif (
            retention := _key_retention(self.gateway)
        ) is not None and now >= tx.created_at + retention:
            known = self._look_up(order, tx, retention, now)
            if known is not None:
                if known.succeeded is None:
                    raise RuntimeError(f"the gateway still has {tx.idempotency_key} pending")
                self._record_answer(order, tx.id, known)
                return
        result = jobs.call_gateway(self.gateway, tx.kind, jobs.payment_request(order, tx))
        self._record_answer(order, tx.id, result)

    def _record_answer(self, order: Order, transaction_id: str, result: GatewayResult) -> None:
        """Settle the transaction on the order the job read (one load per job); when
        another writer changed it meanwhile, the save is refused and a retry reloads (as
        many reloads as :meth:`retrying` gives a command that loads it first)."""
        unread = [order]

        def settle() -> Order:
            loaded = unread.pop() if unread else None
            return self._settle(order.id, transaction_id, result, SYSTEM, loaded=loaded)

        self.retrying(settle, attempts=4)

    def _look_up(
        self, order: Order, tx: Transaction, retention: timedelta, now: datetime
    ) -> GatewayResult | None:
        """What the gateway did under the intent's key, once it may have forgotten the key:
        its own record (``None``: it never acted, so sending again is safe); without a
        ``lookup`` on the port, staff review instead of a resend that could act twice."""
        lookup = getattr(self.gateway, "lookup", None)
        if lookup is not None:
            found: GatewayResult | None = lookup(tx.idempotency_key)
            return found
        reason = (
            f"{tx.kind.value} of {tx.amount} ({tx.id}) is still unanswered and the gateway "
            f"forgets idempotency keys after {retention}: it is not sent again; ask the "
            f"gateway about key {tx.idempotency_key} and record its answer with settle_payment"
        )
        self._review(order.id, reason, tx.id, now)
        raise jobs.GiveUp(f"not resent after the gateway's key retention ({retention})")

    def _review(self, order_id: str, reason: str, transaction_id: str, now: datetime) -> None:
        def decide(order: Order, _: datetime) -> Change:
            return request_review(
                order,
                reason,
                transaction_id=transaction_id,
                new_id=self.ids.new_id,
                now=now,
                actor=SYSTEM,
            )

        self.retrying(lambda: self._execute(order_id, SYSTEM, "review_payment", decide))

    def _review_dead_payment(self, item: OutboxItem, error: str, now: datetime) -> None:
        """A payment job ran out of attempts: the gateway may or may not have acted, so the
        order goes on review (the intent stays pending until someone settles it)."""
        try:
            tx = jobs.payment_transaction(self.repository.get(item.order_id), item)
        except DocumentError:
            return  # the order cannot be read: the dead item says why, in the outbox
        if tx is not None:
            reason = (
                f"{tx.kind.value} of {tx.amount} ({tx.id}) failed too often to be sent "
                f"({shown(error)}): ask the gateway about key {tx.idempotency_key}, then "
                "requeue it or record the answer with settle_payment"
            )
            self._review(item.order_id, reason, tx.id, now)


def _key_retention(gateway: PaymentGateway) -> timedelta | None:
    """How long the gateway remembers idempotency keys (``None``: for ever)."""
    retention = getattr(gateway, "key_retention", None)
    return retention if isinstance(retention, timedelta) else None
