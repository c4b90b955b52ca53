"""A fake payment gateway that keeps its own books: the oracle of orderflow's money tests.

It behaves as real gateways do where it matters: one operation per idempotency key (a
repeat gets the first answer), an authorization captured once (unless multi-capturable),
never more captured than held nor more refunded than captured, keys forgotten after a
retention when asked to, and a lookup of what it did under a key. It also plays the
outside world: a checkout's authorizations and sales, refunds made in its dashboard, and
scripted trouble (a decline, a failure before or after acting, an answer that comes later).
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from itertools import count
from typing import Literal

import attrs

from orderflow.domain.money import Money
from orderflow.domain.settlement import GatewayResult, PaymentReport
from orderflow.domain.transaction import TransactionKind
from orderflow.ports.payments import PaymentRequest
from orderflow.ports.system import Clock

Failure = Literal["decline", "before", "after", "late"]


_KINDS = {
    "capture": TransactionKind.CAPTURE,
    "refund": TransactionKind.REFUND,
    "void": TransactionKind.VOID,
    "charge": TransactionKind.SALE,
}


class GatewayUnavailable(ConnectionError):
    """Raised by :class:`FakeGateway` to rehearse a network failure."""


@attrs.frozen
class GatewayCall:
    operation: str
    request: PaymentRequest


@attrs.frozen
class Movement:
    """Money the gateway moved, in its own books: a capture, a sale or a refund."""

    kind: TransactionKind
    reference: str
    amount: Money
    parent: str | None = None
    """The authorization captured, or the capture or sale refunded."""
    order_id: str | None = None


@attrs.define
class _Held:
    amount: Money
    multi_capture: bool
    captured: Money
    closed: bool = False


class FakeGateway:
    """A payment gateway that honours idempotency keys and keeps a ledger of its own.

    ``calls`` lists every request received; ``effects`` the requests that moved money or
    released it (at most one per key, until a key is forgotten); ``movements`` every sum
    it took or gave back, whoever asked. Script failures with :meth:`fail_next`:
    ``"decline"`` answers a final decline, ``"before"`` raises before acting, ``"after"``
    acts then raises (the answer is lost), ``"late"`` acts and answers "pending": the
    answer is in ``late_answers`` for the test to deliver, as a webhook would.

    Its own books refuse (decline) a capture beyond what an authorization it knows still
    holds, or of one already captured or voided, and a refund beyond what a capture or sale
    has left: what a real gateway would refuse. References it never issued are taken on
    trust. With ``key_retention`` (and a ``clock``) it forgets a key that long after it first
    saw it, and acts again on a repeat, as some gateways do after 24 hours.
    """

    def __init__(
        self,
        *,
        reusable: bool = True,
        clock: Clock | None = None,
        key_retention: timedelta | None = None,
    ) -> None:
        if key_retention is not None and clock is None:
            raise ValueError("a gateway that forgets keys needs a clock")
        self.reusable = reusable
        self.clock = clock
        self.key_retention = key_retention
        self.calls: list[GatewayCall] = []
        self.effects: list[GatewayCall] = []
        self.movements: list[Movement] = []
        self.late_answers: list[tuple[PaymentRequest, GatewayResult]] = []
        self.webhooks: list[tuple[str | None, PaymentReport]] = []
        """(order id, report) of every operation it carried out or refused, as the events
        a real gateway sends; a test delivers them when it likes, in any order, or never."""
        self._results: dict[str, tuple[GatewayResult, datetime | None]] = {}
        self._acted: dict[str, GatewayResult] = {}
        self._script: deque[Failure] = deque()
        self._references = count(1)
        self._held: dict[str, _Held] = {}
        self._refundable: dict[str, Money] = {}

    def fail_next(self, times: int = 1, how: Failure = "before") -> None:
        self._script.extend([how] * times)

    def recover(self) -> None:
        """Forget the failures scripted and not yet used: from now on it just works."""
        self._script.clear()

    # -- the port --------------------------------------------------------------------------

    def capture(self, request: PaymentRequest) -> GatewayResult:
        return self._handle("capture", request)

    def refund(self, request: PaymentRequest) -> GatewayResult:
        return self._handle("refund", request)

    def void(self, request: PaymentRequest) -> GatewayResult:
        return self._handle("void", request)

    def charge(self, request: PaymentRequest) -> GatewayResult:
        return self._handle("charge", request)

    def lookup(self, idempotency_key: str) -> GatewayResult | None:
        """What it did under ``idempotency_key``, however long ago (``None``: nothing)."""
        return self._acted.get(idempotency_key)

    # -- the outside world -------------------------------------------------------------------

    def authorize(
        self,
        amount: Money,
        *,
        order_id: str | None = None,
        multi_capture: bool = False,
        expires_at: datetime | None = None,
    ) -> PaymentReport:
        """Hold ``amount`` for a checkout; returns the report the checkout sends orderflow."""
        reference = self._reference("authorization")
        self._held[reference] = _Held(amount, multi_capture, Money.zero(amount.currency))
        del order_id  # an authorization moves no money
        return PaymentReport(
            kind=TransactionKind.AUTHORIZATION,
            amount=amount,
            reference=reference,
            reusable=self.reusable,
            expires_at=expires_at,
            multi_capture=multi_capture,
        )

    def sell(self, amount: Money, *, order_id: str | None = None) -> PaymentReport:
        """Take ``amount`` at checkout in one sale; returns the checkout's report."""
        reference = self._reference("sale")
        self._take(TransactionKind.SALE, reference, amount, None, order_id)
        return PaymentReport(
            kind=TransactionKind.SALE, amount=amount, reference=reference, reusable=self.reusable
        )

    def refund_in_dashboard(
        self, payment: str, amount: Money, *, order_id: str | None = None
    ) -> PaymentReport:
        """Staff refund ``amount`` of capture or sale ``payment`` in the gateway's own
        dashboard; returns the webhook's report (raises if its books would not allow it)."""
        left = self._refundable.get(payment)
        if left is None or amount > left:
            raise ValueError(f"the dashboard refuses a refund of {amount} from {payment}")
        reference = self._reference("refund")
        self._give_back(reference, amount, payment, order_id)
        report = PaymentReport(
            kind=TransactionKind.REFUND,
            amount=amount,
            reference=reference,
            parent_reference=payment,
        )
        self.webhooks.append((order_id, report))
        return report

    def refunded(self, payment: str) -> Money | None:
        """What is left to refund of ``payment`` in its books (``None``: unknown)."""
        return self._refundable.get(payment)

    # -- the books -------------------------------------------------------------------------

    def _reference(self, operation: str) -> str:
        return f"gw_{operation}_{next(self._references)}"

    def _take(
        self,
        kind: TransactionKind,
        reference: str,
        amount: Money,
        parent: str | None,
        order_id: str | None,
    ) -> None:
        self.movements.append(Movement(kind, reference, amount, parent, order_id))
        self._refundable[reference] = amount

    def _give_back(self, reference: str, amount: Money, parent: str, order_id: str | None) -> None:
        self.movements.append(Movement(TransactionKind.REFUND, reference, amount, parent, order_id))
        self._refundable[parent] = self._refundable[parent] - amount

    def _refusal(self, operation: str, request: PaymentRequest) -> str | None:
        """Why its books refuse ``request`` (``None``: they allow it)."""
        parent = request.reference
        if operation in ("capture", "void") and parent in self._held:
            held = self._held[parent]
            if held.closed:
                return f"authorization {parent} is closed"
            left = held.amount - held.captured
            if operation == "capture" and request.amount > left:
                return f"authorization {parent} holds only {left}"
        if operation == "refund" and parent in self._refundable:
            left = self._refundable[parent]
            if request.amount > left:
                return f"{parent} has only {left} left to refund"
        return None

    def _act(self, operation: str, request: PaymentRequest) -> GatewayResult:
        refusal = self._refusal(operation, request)
        if refusal is not None:
            return GatewayResult(succeeded=False, error=refusal)
        reference = self._reference(operation)
        parent = request.reference
        if operation == "capture":
            self._take(TransactionKind.CAPTURE, reference, request.amount, parent, request.order_id)
            if parent in self._held:
                held = self._held[parent]
                held.captured = held.captured + request.amount
                held.closed = not held.multi_capture or held.captured >= held.amount
        elif operation == "charge":
            self._take(TransactionKind.SALE, reference, request.amount, parent, request.order_id)
        elif operation == "refund" and parent in self._refundable:
            self._give_back(reference, request.amount, parent, request.order_id)
        elif operation == "refund":
            self.movements.append(
                Movement(
                    TransactionKind.REFUND, reference, request.amount, parent, request.order_id
                )
            )
        elif operation == "void" and parent in self._held:
            self._held[parent].closed = True
        return GatewayResult(succeeded=True, reference=reference, reusable=self.reusable)

    def _remembered(self, key: str) -> GatewayResult | None:
        found = self._results.get(key)
        if found is None:
            return None
        result, at = found
        forgotten = (
            self.key_retention is not None
            and self.clock is not None
            and at is not None
            and self.clock.now() >= at + self.key_retention
        )
        return None if forgotten else result  # forgotten: a repeat is a new request

    def _handle(self, operation: str, request: PaymentRequest) -> GatewayResult:
        call = GatewayCall(operation, request)
        self.calls.append(call)
        key = request.idempotency_key
        if (known := self._remembered(key)) is not None:
            return known
        how = self._script.popleft() if self._script else None
        if how == "before":
            raise GatewayUnavailable(f"gateway unreachable ({operation} {key})")
        if how == "decline":
            result = GatewayResult(succeeded=False, error="card declined")
        else:
            result = self._act(operation, request)
            if result.succeeded:
                self.effects.append(call)
        self._results[key] = (result, self.clock.now() if self.clock else None)
        self._acted[key] = result
        event = PaymentReport(
            kind=_KINDS[operation],
            amount=request.amount,
            succeeded=bool(result.succeeded),
            reference=result.reference,
            parent_reference=request.reference,
            error=result.error,
            request_key=key,
        )
        self.webhooks.append((request.order_id, event))
        if how == "after":
            raise GatewayUnavailable(f"connection reset after {operation} {key}")
        if how == "late":
            self.late_answers.append((request, result))
            return GatewayResult(succeeded=None)
        return result
