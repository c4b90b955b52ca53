"""Random command sequences against the in-memory OrderFlow, checking invariants at every step.

The oracles below restate the design brief's rules independently of the code under test:
the balance formula, the financial status precedence, the allowed lifecycle moves.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
)

from orderflow import (
    CancelReason,
    Money,
    Order,
    OrderflowError,
    PaymentReport,
    balance,
    financial_status,
)
from orderflow.domain.machines import ARCHIVE_TABLE, ORDER_TABLE
from orderflow.serialization import dumps, loads
from orderflow.testing import GATEWAY, STAFF, authorization, make_draft, make_flow, make_line, sale

CENTS = st.integers(min_value=1, max_value=20_000).map(lambda c: Money(Decimal(c) / 100, "EUR"))


def oracle_amounts(order: Order) -> tuple[Decimal, Decimal, Decimal]:
    """(taken, returned, held) straight from the transaction facts."""
    taken = sum(
        (
            t.amount.amount
            for t in order.transactions
            if t.kind.value in ("capture", "sale") and t.status == "succeeded"
        ),
        Decimal(0),
    )
    returned = sum(
        (
            t.amount.amount
            for t in order.transactions
            if t.kind.value == "refund" and t.status == "succeeded"
        ),
        Decimal(0),
    )
    held = sum(
        (
            t.amount.amount
            for t in order.transactions
            if t.kind.value == "authorization" and t.status == "authorized"
        ),
        Decimal(0),
    )
    return taken, returned, held


def oracle_status(order: Order) -> str:
    """The brief's financial status precedence, restated."""
    taken, returned, held = oracle_amounts(order)
    if returned > 0:
        return "refunded" if returned >= taken else "partially_refunded"
    if taken > 0:
        return "paid" if taken >= order.total.amount else "partially_paid"
    if order.total.amount == 0:
        return "paid"
    if held > 0:
        return "authorized"
    ended = {t.status for t in order.transactions if t.kind.value == "authorization"}
    if "voided" in ended:
        return "voided"
    if "expired" in ended:
        return "expired"
    return "pending"


def oracle_current_total(order: Order) -> Decimal:
    if order.status == "cancelled":
        return Decimal(0)
    adjustments = sum(
        (
            t.adjustment.amount
            for t in order.transactions
            if t.adjustment is not None and t.status == "succeeded"
        ),
        Decimal(0),
    )
    return order.total.amount - adjustments


class OrderLives(RuleBasedStateMachine):
    orders = Bundle("orders")

    @initialize()
    def start(self) -> None:
        self.harness = make_flow()
        self.flow = self.harness.flow
        self.seen: dict[str, Order] = {}
        self.sent: list[tuple[str, str, PaymentReport]] = []
        self.keys = 0

    def _webhook(self, order_id: str, report: PaymentReport) -> None:
        self.keys += 1
        key = f"webhook-{self.keys}"
        self._attempt(
            order_id,
            lambda: self.flow.record_payment(order_id, report, idempotency_key=key, actor=GATEWAY),
        )
        if self.harness.repository.idempotency_record("payment", key) is not None:
            self.sent.append((key, order_id, report))

    def _attempt(self, order_id: str, command: object) -> None:
        """Run a command; if it is refused, the stored order must be exactly as before."""
        before = self.flow.get(order_id)
        outbox_before = len(self.harness.repository.deliveries(order_id))
        try:
            command()  # type: ignore[operator]
        except OrderflowError:
            assert self.flow.get(order_id) == before
            assert len(self.harness.repository.deliveries(order_id)) == outbox_before

    @rule(target=orders, lines=st.integers(1, 3), price=st.integers(0, 9_999))
    def place(self, lines: int, price: int) -> str:
        items = tuple(
            make_line(f"line-{i}", str(Decimal(price + i) / 100), i + 1) for i in range(lines)
        )
        order = self.flow.place(make_draft(*items), actor=GATEWAY)
        assert order.version == 1
        self.seen[order.id] = order
        return order.id

    @rule(order_id=orders, amount=CENTS, days=st.integers(1, 10))
    def authorize(self, order_id: str, amount: Money, days: int) -> None:
        self._webhook(
            order_id,
            authorization(
                amount,
                f"auth-{self.keys}",
                expires_in=timedelta(days=days),
                clock=self.harness.clock,
            ),
        )

    @rule(order_id=orders, amount=CENTS)
    def pay_at_checkout(self, order_id: str, amount: Money) -> None:
        self._webhook(order_id, sale(amount, f"sale-{self.keys}"))

    @rule(index=st.integers(0, 10_000))
    def replay_a_webhook(self, index: int) -> None:
        """A webhook delivered again within retention changes nothing, anywhere."""
        if not self.sent:
            return
        key, order_id, report = self.sent[index % len(self.sent)]
        record = self.harness.repository.idempotency_record("payment", key)
        if record is None or record.expires_at <= self.harness.clock.now():
            return  # forgotten after retention: a replay would be a new request
        before = {o: self.flow.get(o) for o in self.seen}
        assert (
            self.flow.record_payment(order_id, report, idempotency_key=key, actor=GATEWAY)
            == before[order_id]
        )
        assert {o: self.flow.get(o) for o in self.seen} == before

    @rule(order_id=orders, amount=st.none() | CENTS)
    def capture(self, order_id: str, amount: Money | None) -> None:
        self._attempt(order_id, lambda: self.flow.capture(order_id, amount=amount, actor=STAFF))

    @rule(order_id=orders, amount=CENTS)
    def refund(self, order_id: str, amount: Money) -> None:
        self._attempt(order_id, lambda: self.flow.refund(order_id, amount, actor=STAFF))

    @rule(order_id=orders)
    def void(self, order_id: str) -> None:
        self._attempt(order_id, lambda: self.flow.void(order_id, actor=STAFF))

    @rule(order_id=orders, reason=st.sampled_from(CancelReason), refund=st.booleans())
    def cancel(self, order_id: str, reason: CancelReason, refund: bool) -> None:
        self._attempt(
            order_id, lambda: self.flow.cancel(order_id, reason, refund=refund, actor=STAFF)
        )

    @rule(order_id=orders)
    def archive(self, order_id: str) -> None:
        self._attempt(order_id, lambda: self.flow.archive(order_id, actor=STAFF))

    @rule(order_id=orders)
    def unarchive(self, order_id: str) -> None:
        self._attempt(order_id, lambda: self.flow.unarchive(order_id, actor=STAFF))

    @rule(order_id=orders, note=st.text(max_size=20), tag=st.sampled_from(["vip", "gift", "b2b"]))
    def annotate(self, order_id: str, note: str, tag: str) -> None:
        self.flow.update_note(order_id, note, actor=STAFF)
        self.flow.retag(order_id, add=[tag], remove=["b2b"] if tag != "b2b" else [], actor=STAFF)
        order = self.flow.get(order_id)
        assert order.note == note
        assert tag in order.tags

    @rule(
        failure=st.sampled_from([None, "decline", "before", "after"]), minutes=st.integers(0, 600)
    )
    def dispatch(self, failure: str | None, minutes: int) -> None:
        if failure is not None:
            self.harness.gateway.fail_next(1, failure)  # type: ignore[arg-type]
        self.harness.clock.advance(minutes=minutes)
        self.flow.dispatch()

    @rule(hours=st.integers(1, 24 * 12))
    def time_passes(self, hours: int) -> None:
        self.harness.clock.advance(hours=hours)
        self.flow.run_due()

    @invariant()
    def every_order_obeys_the_rules(self) -> None:
        if not hasattr(self, "flow"):
            return
        for order_id, previous in list(self.seen.items()):
            order = self.flow.get(order_id)
            taken, returned, _ = oracle_amounts(order)
            # Balance: current total - (captured - refunded); financial status by precedence.
            assert balance(order).amount == oracle_current_total(order) - (taken - returned)
            assert financial_status(order) == oracle_status(order)
            assert returned <= taken
            # Lifecycles move only by allowed transitions; cancelled stays cancelled.
            if order.status != previous.status:
                assert any(
                    order.status in ORDER_TABLE.targets(previous.status, e)
                    for e in ORDER_TABLE.events
                )
            if previous.status == "cancelled":
                assert order.status == "cancelled"
            if order.archive_status != previous.archive_status:
                assert any(
                    order.archive_status in ARCHIVE_TABLE.targets(previous.archive_status, e)
                    for e in ARCHIVE_TABLE.events
                )
            # History only grows, versions only rise, documents round-trip exactly.
            assert order.version >= previous.version
            assert order.timeline[: len(previous.timeline)] == previous.timeline
            assert loads(dumps(order)) == order
            self.seen[order_id] = order
        # No idempotency key ever moved money twice at the gateway.
        keys = [call.request.idempotency_key for call in self.harness.gateway.effects]
        assert len(keys) == len(set(keys))


OrderLives.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_order_lives = OrderLives.TestCase
