"""The hostile payment world: random sequences where the outside replays, reorders, lies and
fails, checked after every step against rules restated here and the gateway's own books.

Two app servers (two OrderFlows on one store) dispatch; the fake gateway keeps its own
ledger, forgets idempotency keys after a day, answers some requests late, fails before or
after acting; checkouts authorize (several times, some multi-capturable) and sell; staff
refund from the gateway's dashboard and refund lines, shipping and goodwill amounts; every gateway event is delivered late, out of order,
replayed under new keys, or not at all until the end. After every step: statuses follow the
facts, no key moved money twice, no capture orderflow requests takes more than the books
allow, no refund at the gateway exceeds its capture. Once everything is delivered and the
outbox is drained, the order's books equal the gateway's ledger.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from itertools import count

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from orderflow import (
    CancelReason,
    CaptureMode,
    CapturePolicy,
    LineQuantity,
    Money,
    Order,
    OrderflowError,
    PaymentReport,
    Policies,
    RefundLine,
    RefundReason,
    RestockType,
    TransactionKind,
    balance,
    financial_status,
    line_ledger,
)
from orderflow.adapters.fake_gateway import FakeGateway
from orderflow.adapters.memory import InMemoryRepository
from orderflow.testing import GATEWAY, STAFF, FakeClock, make_draft, make_flow, make_line

CENTS = st.integers(min_value=1, max_value=9_000).map(lambda c: Money(Decimal(c) / 100, "EUR"))
FEW_CENTS = st.integers(min_value=1, max_value=500).map(lambda c: Money(Decimal(c) / 100, "EUR"))
TAKEN = ("capture", "sale")


def _sum(amounts: object) -> Decimal:
    return sum(amounts, Decimal(0))  # type: ignore[call-overload, no-any-return]


def oracle(order: Order) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(taken, returned, current total, balance), restated from the rules: what each capture
    or sale returned counts no more than itself; refunds of nothing known count nothing."""
    payments = [t for t in order.transactions if t.kind.value in TAKEN and t.status == "succeeded"]
    refunds = [
        t for t in order.transactions if t.kind.value == "refund" and t.status == "succeeded"
    ]
    taken = _sum(t.amount.amount for t in payments)
    returned = _sum(
        min(t.amount.amount, _sum(r.amount.amount for r in refunds if r.parent_id == t.id))
        for t in payments
    )
    adjusted = _sum(r.adjustment.amount for r in refunds if r.adjustment is not None)
    given_back = _sum(  # refunds of lines and shipping lower the total at once
        line.amount.amount + _sum(t.amount.amount for t in line.taxes)
        for refund in order.refunds
        for line in refund.lines
    ) + _sum(
        refund.shipping.amount + _sum(t.amount.amount for t in refund.shipping_taxes)
        for refund in order.refunds
    )
    current = (
        Decimal(0) if order.status == "cancelled" else order.total.amount - adjusted - given_back
    )
    return taken, returned, current, current - (taken - returned)


def oracle_status(order: Order) -> str:
    taken, returned, _, _ = oracle(order)
    held = any(
        t.kind.value == "authorization" and t.status == "authorized" for t in order.transactions
    )
    ended = {t.status for t in order.transactions if t.kind.value == "authorization"}
    if returned > 0:
        return "refunded" if returned >= taken else "partially_refunded"
    if taken > 0:
        return "paid" if taken >= order.total.amount else "partially_paid"
    if order.total.amount == 0:
        return "paid"
    if held:
        return "authorized"
    if "voided" in ended:
        return "voided"
    return "expired" if "expired" in ended else "pending"


class HostilePayments(RuleBasedStateMachine):
    orders = Bundle("orders")

    @initialize(capture=st.sampled_from(CaptureMode))
    def start(self, capture: CaptureMode) -> None:
        self.clock = FakeClock()
        self.gateway = FakeGateway(clock=self.clock, key_retention=timedelta(hours=24))
        self.store = InMemoryRepository()
        policies = Policies(capture=CapturePolicy(capture))
        self.flows = [
            make_flow(
                repository=self.store,
                gateway=self.gateway,
                clock=self.clock,
                policies=policies,
                publish=False,
            ).flow
            for _ in range(2)  # two app servers sharing the orders
        ]
        self.inbox: list[tuple[str, PaymentReport]] = []
        """Events from checkouts and the gateway, not delivered yet."""
        self.seen_events = 0
        self.sent: list[tuple[str, PaymentReport, str]] = []
        self.keys = count(1)
        self.checked: set[str] = set()
        """Our capture requests already checked against the books."""

    # -- the outside world ---------------------------------------------------------------------

    def _collect(self) -> None:
        """The gateway's new events join the inbox."""
        fresh = self.gateway.webhooks[self.seen_events :]
        self.seen_events = len(self.gateway.webhooks)
        self.inbox.extend((order_id, report) for order_id, report in fresh if order_id)

    def _deliver(self, order_id: str, report: PaymentReport, key: str) -> None:
        flow = self.flows[next(self.keys) % 2]
        before = self.store.get(order_id)
        try:
            flow.record_payment(order_id, report, idempotency_key=key, actor=GATEWAY)
        except OrderflowError:
            assert self.store.get(order_id) == before  # refused whole
        else:
            self.sent.append((order_id, report, key))
        self._watch_requests()

    def _attempt(self, order_id: str, command: object) -> None:
        before = self.store.get(order_id)
        queued = len(self.store.deliveries(order_id))
        try:
            command()  # type: ignore[operator]
        except OrderflowError:
            assert self.store.get(order_id) == before
            assert len(self.store.deliveries(order_id)) == queued
        self._watch_requests()

    def _watch_requests(self) -> None:
        """Right after each command: every capture orderflow has just requested keeps
        captured + in flight - refunded <= the current total."""
        for order in self.store.stream():
            _, returned, current, _ = oracle(order)
            taken = _sum(
                t.amount.amount
                for t in order.transactions
                if t.kind.value in TAKEN and t.status in ("succeeded", "pending")
            )
            for tx in order.transactions:
                if (
                    tx.idempotency_key.startswith("orderflow-capture-")
                    and tx.id not in self.checked
                ):
                    self.checked.add(tx.id)
                    assert tx.pending
                    assert taken - returned <= current, tx.id

    @rule(target=orders, price=st.integers(0, 9_999), quantity=st.integers(1, 3))
    def place(self, price: int, quantity: int) -> str:
        line = make_line("line-1", str(Decimal(price) / 100), quantity)
        return self.flows[0].place(make_draft(line), actor=GATEWAY).id

    @rule(
        order_id=orders,
        amount=CENTS,
        multi=st.booleans(),
        days=st.integers(1, 9),
        now=st.booleans(),
    )
    def checkout_authorizes(
        self, order_id: str, amount: Money, multi: bool, days: int, now: bool
    ) -> None:
        expires = self.clock.now() + timedelta(days=days)
        report = self.gateway.authorize(amount, multi_capture=multi, expires_at=expires)
        if now:
            self._deliver(order_id, report, f"auth-{next(self.keys)}")
        else:
            self.inbox.append((order_id, report))

    @rule(order_id=orders, amount=CENTS, now=st.booleans())
    def checkout_sells(self, order_id: str, amount: Money, now: bool) -> None:
        report = self.gateway.sell(amount, order_id=order_id)
        if now:
            self._deliver(order_id, report, f"sale-{next(self.keys)}")
        else:
            self.inbox.append((order_id, report))

    @rule(order_id=orders, index=st.integers(0, 99), amount=CENTS)
    def staff_refund_in_the_dashboard(self, order_id: str, index: int, amount: Money) -> None:
        mine = [
            m for m in self.gateway.movements if m.order_id == order_id and m.kind.value in TAKEN
        ]
        if not mine:
            return
        payment = mine[index % len(mine)]
        left = self.gateway.refunded(payment.reference)
        if left is not None and left.is_positive():
            self.gateway.refund_in_dashboard(
                payment.reference, min(amount, left), order_id=order_id
            )

    @rule(index=st.integers(0, 999))
    def an_event_arrives(self, index: int) -> None:
        """Events arrive in any order: the one at ``index`` of those waiting."""
        self._collect()
        if self.inbox:
            order_id, report = self.inbox.pop(index % len(self.inbox))
            self._deliver(order_id, report, f"evt-{next(self.keys)}")

    @rule(index=st.integers(0, 999), new_key=st.booleans())
    def an_event_is_replayed(self, index: int, new_key: bool) -> None:
        """Delivered again: under its own key (a retry) or a new one (a redelivery)."""
        if self.sent:
            order_id, report, key = self.sent[index % len(self.sent)]
            self._deliver(order_id, report, f"evt-{next(self.keys)}" if new_key else key)

    @rule(index=st.integers(0, 999))
    def a_late_answer_arrives(self, index: int) -> None:
        if self.gateway.late_answers:
            request, result = self.gateway.late_answers[index % len(self.gateway.late_answers)]
            flow = self.flows[index % 2]
            key = f"late-{request.idempotency_key}"
            self._attempt(
                request.order_id,
                lambda: flow.settle_payment(
                    request.order_id,
                    request.transaction_id,
                    result,
                    actor=GATEWAY,
                    idempotency_key=key,
                ),
            )

    # -- staff ------------------------------------------------------------------------------

    @rule(order_id=orders, amount=st.none() | CENTS, pick=st.none() | st.integers(0, 9))
    def capture(self, order_id: str, amount: Money | None, pick: int | None) -> None:
        order = self.store.get(order_id)
        auths = [t.id for t in order.transactions if t.kind is TransactionKind.AUTHORIZATION]
        chosen = auths[pick % len(auths)] if auths and pick is not None else None
        self._attempt(
            order_id,
            lambda: self.flows[0].capture(
                order_id, amount=amount, authorization_id=chosen, actor=STAFF
            ),
        )

    @rule(order_id=orders, amount=CENTS)
    def refund(self, order_id: str, amount: Money) -> None:
        self._attempt(order_id, lambda: self.flows[1].refund(order_id, amount, actor=STAFF))

    @rule(
        order_id=orders,
        quantity=st.integers(0, 3),
        restock=st.sampled_from(RestockType),
        shipping=st.none() | st.just("remaining") | FEW_CENTS,
        goodwill=st.none() | FEW_CENTS,
    )
    def refund_lines(
        self,
        order_id: str,
        quantity: int,
        restock: RestockType,
        shipping: Money | str | None,
        goodwill: Money | None,
    ) -> None:
        lines = [RefundLine("line-1", quantity, restock)] if quantity else []
        self._attempt(
            order_id,
            lambda: self.flows[1].refund_lines(
                order_id,
                lines,
                shipping=shipping,  # type: ignore[arg-type]
                amount=goodwill,
                reason=RefundReason.CUSTOMER_REQUEST,
                actor=STAFF,
            ),
        )

    @rule(order_id=orders, ship_one_first=st.booleans())
    def cancel_what_has_not_shipped(self, order_id: str, ship_one_first: bool) -> None:
        if ship_one_first:
            self.fulfil(order_id, one=True)
        self._attempt(order_id, lambda: self.flows[0].cancel_unfulfilled(order_id, actor=STAFF))

    @rule(order_id=orders)
    def void(self, order_id: str) -> None:
        self._attempt(order_id, lambda: self.flows[0].void(order_id, actor=STAFF))

    @rule(order_id=orders, refund=st.booleans())
    def cancel(self, order_id: str, refund: bool) -> None:
        self._attempt(
            order_id,
            lambda: self.flows[1].cancel(
                order_id, CancelReason.CUSTOMER, refund=refund, actor=STAFF
            ),
        )

    @rule(order_id=orders, one=st.booleans())
    def fulfil(self, order_id: str, one: bool) -> None:
        """Fulfil what remains, or (``one``) a single unit."""
        fo = self.store.get(order_id).fulfillment_orders[0].id
        lines = [LineQuantity("line-1", 1)] if one else None
        self._attempt(order_id, lambda: self.flows[0].fulfill(order_id, fo, lines, actor=STAFF))

    # -- the machinery ---------------------------------------------------------------------------

    @rule(
        which=st.integers(0, 1),
        trouble=st.sampled_from([None, "decline", "before", "after", "late"]),
        minutes=st.integers(0, 240),
    )
    def dispatch(self, which: int, trouble: str | None, minutes: int) -> None:
        if trouble is not None:
            self.gateway.fail_next(1, trouble)  # type: ignore[arg-type]
        self.clock.advance(minutes=minutes)
        self.flows[which].dispatch()
        self._watch_requests()

    @rule(limit=st.integers(1, 3))
    def a_dispatcher_dies_with_items_claimed(self, limit: int) -> None:
        self.store.claim(self.clock.now(), limit=limit, lease=self.flows[0].settings.lease)

    @rule(hours=st.integers(1, 80), which=st.integers(0, 1))
    def time_passes(self, hours: int, which: int) -> None:
        self.clock.advance(hours=hours)
        self.flows[which].run_due()
        self._watch_requests()

    def _pending(self) -> bool:
        return any(
            d.state == "pending" for o in self.store.stream() for d in self.store.deliveries(o.id)
        )

    @rule()
    def everything_settles(self) -> None:
        """Every event delivered, every late answer given, the outbox drained: then the books
        of each order are the gateway's ledger, discrepancies included."""
        self.gateway.recover()
        for _ in range(60):
            self._collect()
            while self.inbox:
                order_id, report = self.inbox.pop(0)
                self._deliver(order_id, report, f"evt-{next(self.keys)}")
            for request, result in self.gateway.late_answers:
                self.flows[0].settle_payment(
                    request.order_id,
                    request.transaction_id,
                    result,
                    actor=GATEWAY,
                    idempotency_key=f"late-{request.idempotency_key}",
                )
                self._watch_requests()
            self.gateway.late_answers.clear()
            self.flows[0].dispatch(limit=1_000)
            self._watch_requests()
            self._collect()
            if not (self.inbox or self.gateway.late_answers or self._pending()):
                break
            self.clock.advance(hours=1)
        for order in self.store.stream():
            assert not [d for d in self.store.deliveries(order.id) if d.state == "pending"]
            books = sorted(
                (t.kind.value, t.reference, str(t.amount))
                for t in order.transactions
                if t.kind.value in (*TAKEN, "refund") and t.status == "succeeded"
            )
            ledger = sorted(
                (m.kind.value, m.reference, str(m.amount))
                for m in self.gateway.movements
                if m.order_id == order.id
            )
            assert books == ledger, order.id
            for tx in order.transactions:
                assert not tx.pending or tx.review is not None  # nothing waits unseen

    # -- after every step ----------------------------------------------------------------------

    @invariant()
    def the_books_obey_the_rules(self) -> None:
        if not hasattr(self, "store"):
            return
        for order in self.store.stream():
            taken, returned, current, owed = oracle(order)
            assert financial_status(order) == oracle_status(order)
            assert balance(order).amount == owed
            assert returned <= taken
            assert current >= 0
            for line in line_ledger(order).values():  # no line fulfilled or refunded beyond it
                assert line.refunded <= line.ordered
                assert line.fulfilled + line.removed <= line.ordered
                assert line.refunded - line.removed <= line.fulfilled

    @invariant()
    def the_gateway_never_moved_money_twice_nor_refunded_beyond_a_capture(self) -> None:
        if not hasattr(self, "gateway"):
            return
        keys = [call.request.idempotency_key for call in self.gateway.effects]
        assert len(keys) == len(set(keys))
        for payment in self.gateway.movements:
            if payment.kind.value in TAKEN:
                back = _sum(
                    m.amount.amount
                    for m in self.gateway.movements
                    if m.kind is TransactionKind.REFUND and m.parent == payment.reference
                )
                assert back <= payment.amount.amount


HostilePayments.TestCase.settings = settings(
    max_examples=120,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_hostile_payments = HostilePayments.TestCase
