"""Random command sequences against the in-memory OrderFlow, checking invariants at every step.

The oracles below restate the design brief's rules independently of the code under test:
the balance formula, the financial status precedence, the allowed lifecycle moves.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
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
    Actor,
    CancelReason,
    Money,
    Order,
    OrderflowError,
    PaymentReport,
    balance,
    financial_status,
)
from orderflow.domain.dispute import DisputeKind, DisputeReport
from orderflow.domain.fulfillment import (
    HoldReason,
    LineQuantity,
    Location,
    RejectionReason,
    ShipmentEvent,
    ShipmentStatus,
    Tracking,
)
from orderflow.domain.fulfillment_status import display_status, fulfillment_status, shipment_status
from orderflow.domain.machines import ARCHIVE_TABLE, ORDER_TABLE
from orderflow.domain.policies import (
    ArchivePolicy,
    CaptureMode,
    CapturePolicy,
    FulfillmentMode,
    FulfillmentPolicy,
    Policies,
)
from orderflow.domain.refund import RefundLine, RefundReason, RestockType
from orderflow.domain.refunding import line_ledger
from orderflow.serialization import dumps, loads
from orderflow.testing import (
    GATEWAY,
    STAFF,
    RecordingFulfillmentService,
    authorization,
    make_address,
    make_draft,
    make_flow,
    make_line,
    sale,
)

NOTES = st.text(
    st.characters(exclude_categories=("Cc", "Cs")) | st.sampled_from("\t\n\r"), max_size=20
)
"""What a note may hold: any text but control characters other than tab and line breaks."""
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
    # per capture or sale: its succeeded refunds and lost chargebacks, never beyond itself
    returned = sum(
        (
            min(
                p.amount.amount,
                sum(
                    (
                        t.amount.amount
                        for t in order.transactions
                        if t.kind.value == "refund"
                        and t.status == "succeeded"
                        and t.parent_id == p.id
                    ),
                    Decimal(0),
                )
                + sum(
                    (
                        d.amount.amount
                        for d in order.disputes
                        if d.transaction_id == p.id
                        and d.kind.value == "chargeback"
                        and d.status == "lost"
                    ),
                    Decimal(0),
                ),
            )
            for p in order.transactions
            if p.kind.value in ("capture", "sale") and p.status == "succeeded"
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
    given_back = sum(  # refunds of lines and shipping, with their taxes (none included here)
        (
            part.amount + sum((t.amount.amount for t in taxes), Decimal(0))
            for refund in order.refunds
            for part, taxes in [
                *((line.amount, line.taxes) for line in refund.lines),
                (refund.shipping, refund.shipping_taxes),
            ]
        ),
        Decimal(0),
    )
    lost = sum(  # chargebacks lost lower it by what they returned beyond refunds
        (d.adjustment.amount for d in order.disputes if d.status == "lost" and d.adjustment),
        Decimal(0),
    )
    return order.total.amount - adjustments - given_back - lost


def oracle_fulfilled(order: Order) -> dict[tuple[str, str], int]:
    """(fulfillment order id, line item id) -> quantity in fulfillments not cancelled."""
    done: dict[tuple[str, str], int] = {}
    for f in order.fulfillments:
        if f.cancelled_at is None:
            for q in f.lines:
                key = (f.fulfillment_order_id, q.line_item_id)
                done[key] = done.get(key, 0) + q.quantity
    return done


def oracle_fulfillment_status(order: Order) -> str:
    """The brief's precedence, restated: not_required, fulfilled, partially_fulfilled,
    on_hold (every unfulfilled line held), scheduled (every one scheduled), unfulfilled."""
    done = oracle_fulfilled(order)
    live = [fo for fo in order.fulfillment_orders if fo.status != "cancelled"]
    needed = sum(q.quantity for fo in live for q in fo.lines)
    fulfilled = sum(done.get((fo.id, q.line_item_id), 0) for fo in live for q in fo.lines)
    if needed == 0:
        return "not_required"
    if fulfilled == needed:
        return "fulfilled"
    if fulfilled:
        return "partially_fulfilled"
    if any(fo.request is not None and fo.request.status == "rejected" for fo in live):
        return "request_declined"
    waiting = [
        fo
        for fo in live
        if any(done.get((fo.id, q.line_item_id), 0) < q.quantity for q in fo.lines)
    ]
    busy = ("submitted", "accepted", "cancellation_requested", "cancellation_rejected")
    if any(fo.request is not None and fo.request.status in busy for fo in waiting):
        return "in_progress"
    if all(fo.holds for fo in waiting):
        return "on_hold"
    if all(fo.status == "scheduled" for fo in waiting):
        return "scheduled"
    return "unfulfilled"


def check_refund_requests(before: Order, after: Order) -> None:
    """Each refund the command requested fits in its payment as the books stood: its amount
    less refunds not failed and chargebacks not won (the gateway would refuse more)."""
    known = {t.id for t in before.transactions}
    asked: dict[str, Decimal] = {}
    for tx in after.transactions:
        if tx.kind.value == "refund" and tx.id not in known:
            asked[tx.parent_id or ""] = asked.get(tx.parent_id or "", Decimal(0)) + tx.amount.amount
    for parent_id, amount in asked.items():
        payment = after.transaction(parent_id)  # it may be new: taken by the same command
        spent = sum(
            (
                t.amount.amount
                for t in before.transactions
                if t.kind.value == "refund" and t.parent_id == parent_id and t.status != "failed"
            ),
            Decimal(0),
        )
        held = sum(
            (
                d.amount.amount
                for d in before.disputes
                if d.transaction_id == parent_id
                and d.kind.value == "chargeback"
                and d.status != "won"
            ),
            Decimal(0),
        )
        assert amount <= payment.amount.amount - spent - held, parent_id


WAREHOUSE = Location("wh", "Warehouse", fulfillment_service="shipfast")
PARIS = Location("paris", "Paris shop")
SHIPFAST = Actor.app("shipfast")

KINDS: dict[str, Callable[[date], dict[str, object]]] = {
    "plain": lambda today: {},
    "digital": lambda today: {"requires_shipping": False, "gift_card": True},
    "pre_order": lambda today: {"pre_order": today + timedelta(days=3)},
    "review": lambda today: {"requires_manual_review": True},
    "3pl": lambda today: {"location": WAREHOUSE},
}


class OrderLives(RuleBasedStateMachine):
    orders = Bundle("orders")

    @initialize(
        capture=st.sampled_from(CaptureMode),
        fulfillment=st.sampled_from(FulfillmentMode),
        archive=st.sampled_from(
            [
                ArchivePolicy(),
                ArchivePolicy(automatic=True),
                ArchivePolicy(automatic=True, delay=timedelta(days=2), include_cancelled=True),
            ]
        ),
    )
    def start(
        self, capture: CaptureMode, fulfillment: FulfillmentMode, archive: ArchivePolicy
    ) -> None:
        self.policies = Policies(CapturePolicy(capture), FulfillmentPolicy(fulfillment), archive)
        self.harness = make_flow(
            policies=self.policies, fulfillment_service=RecordingFulfillmentService()
        )
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
        """Run a command; if it is refused, the stored order must be exactly as before; if
        it asked for refunds, none asks a payment for more than it had left."""
        before = self.flow.get(order_id)
        outbox_before = len(self.harness.repository.deliveries(order_id))
        try:
            command()  # type: ignore[operator]
        except OrderflowError:
            assert self.flow.get(order_id) == before
            assert len(self.harness.repository.deliveries(order_id)) == outbox_before
        else:
            check_refund_requests(before, self.flow.get(order_id))

    @rule(
        target=orders,
        lines=st.integers(1, 3),
        price=st.integers(0, 9_999),
        kinds=st.lists(st.sampled_from(sorted(KINDS)), min_size=3, max_size=3),
    )
    def place(self, lines: int, price: int, kinds: list[str]) -> str:
        """An order of plain, digital, pre-order, reviewed and 3PL-shipped lines."""
        today = self.harness.clock.now().date()
        items = tuple(
            make_line(f"line-{i}", str(Decimal(price + i) / 100), i + 1, **KINDS[kinds[i]](today))
            for i in range(lines)
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

    @rule(
        order_id=orders,
        index=st.integers(0, 2),
        quantity=st.integers(1, 3),
        restock=st.sampled_from(RestockType),
        shipping=st.booleans(),
        fitting=st.booleans(),
    )
    def refund_lines(
        self,
        order_id: str,
        index: int,
        quantity: int,
        restock: RestockType,
        shipping: bool,
        fitting: bool,
    ) -> None:
        """Refund units of a line: as many as asked, or (``fitting``) no more than its
        restock type has left, so that most refunds go through."""
        order = self.flow.get(order_id)
        line = order.line_items[index % len(order.line_items)]
        if fitting:
            left = line_ledger(order)[line.id]
            most = {
                RestockType.RETURN: left.returnable,
                RestockType.CANCEL: left.cancellable,
                RestockType.NO_RESTOCK: left.refundable,
            }[restock]
            quantity = min(quantity, most) or quantity
        lines = [RefundLine(line.id, quantity, restock)]
        self._attempt(
            order_id,
            lambda: self.flow.refund_lines(
                order_id,
                lines,
                shipping="remaining" if shipping else None,
                reason=RefundReason.DAMAGED,
                actor=STAFF,
            ),
        )

    @rule(order_id=orders, notify=st.booleans(), ship_one_first=st.booleans())
    def cancel_what_has_not_shipped(
        self, order_id: str, notify: bool, ship_one_first: bool
    ) -> None:
        if ship_one_first:  # one unit of the first line, from its fulfillment order
            order = self.flow.get(order_id)
            line = order.line_items[0].id
            fo = next((f for f in order.fulfillment_orders if f.quantity_of(line)), None)
            if fo is not None:
                self._attempt(
                    order_id,
                    lambda: self.flow.fulfill(
                        order_id, fo.id, [LineQuantity(line, 1)], actor=STAFF
                    ),
                )
        self._attempt(
            order_id,
            lambda: self.flow.cancel_unfulfilled(order_id, notify_customer=notify, actor=STAFF),
        )

    @rule(
        order_id=orders,
        index=st.integers(0, 9),
        status=st.sampled_from(["needs_response", "under_review", "won", "lost"]),
        kind=st.sampled_from(DisputeKind),
        amount=CENTS,
        dispute=st.integers(1, 2),
    )
    def the_bank_disputes_a_payment(
        self,
        order_id: str,
        index: int,
        status: str,
        kind: DisputeKind,
        amount: Money,
        dispute: int,
    ) -> None:
        """The gateway reports a step of a dispute against one of the order's payments (or
        a payment it does not have), in any order."""
        taken = [
            t.reference
            for t in self.flow.get(order_id).transactions
            if t.kind.value in ("capture", "sale") and t.status == "succeeded" and t.reference
        ]
        reference = taken[index % len(taken)] if taken else "ch-unknown"
        report = DisputeReport(
            id=f"dp-{order_id}-{dispute}",
            payment_reference=reference,
            kind=kind,
            status=status,  # type: ignore[arg-type]
            amount=amount,
        )
        self.keys += 1
        key = f"dispute-{self.keys}"
        self._attempt(
            order_id,
            lambda: self.flow.record_dispute(order_id, report, idempotency_key=key, actor=GATEWAY),
        )

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

    @rule(order_id=orders, note=NOTES, tag=st.sampled_from(["vip", "gift", "b2b"]))
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

    def _fulfillment_order(self, order_id: str, index: int) -> str | None:
        fos = self.flow.get(order_id).fulfillment_orders
        return fos[index % len(fos)].id if fos else None

    @rule(order_id=orders, index=st.integers(0, 9), share=st.integers(0, 3))
    def fulfil(self, order_id: str, index: int, share: int) -> None:
        fo_id = self._fulfillment_order(order_id, index)
        order = self.flow.get(order_id)
        lines = None
        if fo_id is not None and share:
            fo = order.fulfillment_order(fo_id)
            lines = [
                LineQuantity(q.line_item_id, max(1, q.quantity * share // 3)) for q in fo.lines[:1]
            ]
        if fo_id is not None:
            self._attempt(order_id, lambda: self.flow.fulfill(order_id, fo_id, lines, actor=STAFF))
            # the order says it was fulfilled once, when its status turns fulfilled
            after = self.flow.get(order_id)
            kinds = [entry.kind for entry in after.timeline[len(order.timeline) :]]
            was, now = fulfillment_status(order), fulfillment_status(after)
            became = was != "fulfilled" and now == "fulfilled"
            assert kinds.count("OrderFulfilled") == became

    @rule(
        order_id=orders,
        index=st.integers(0, 9),
        some=st.booleans(),
        reason=st.sampled_from(HoldReason),
    )
    def hold(self, order_id: str, index: int, some: bool, reason: HoldReason) -> None:
        fo_id = self._fulfillment_order(order_id, index)
        if fo_id is None:
            return
        fo = self.flow.get(order_id).fulfillment_order(fo_id)
        lines = [LineQuantity(fo.lines[0].line_item_id, 1)] if some and fo.lines else None
        self._attempt(
            order_id,
            lambda: self.flow.hold(order_id, fo_id, reason, note="wait", lines=lines, actor=STAFF),
        )

    @rule(order_id=orders, index=st.integers(0, 9), everything=st.booleans())
    def release(self, order_id: str, index: int, everything: bool) -> None:
        fo_id = self._fulfillment_order(order_id, index)
        if fo_id is None:
            return
        fo = self.flow.get(order_id).fulfillment_order(fo_id)
        if everything:
            self._attempt(
                order_id, lambda: self.flow.release(order_id, fo_id, release_all=True, actor=STAFF)
            )
        elif fo.holds:
            self._attempt(
                order_id, lambda: self.flow.release(order_id, fo_id, fo.holds[0].id, actor=STAFF)
            )

    @rule(order_id=orders, index=st.integers(0, 9), restock=st.booleans())
    def cancel_a_fulfillment(self, order_id: str, index: int, restock: bool) -> None:
        fulfillments = self.flow.get(order_id).fulfillments
        if fulfillments:
            target = fulfillments[index % len(fulfillments)].id
            self._attempt(
                order_id,
                lambda: self.flow.cancel_fulfillment(
                    order_id, target, restock=restock, actor=STAFF
                ),
            )

    @rule(
        order_id=orders,
        index=st.integers(0, 9),
        status=st.sampled_from(ShipmentStatus),
        hours=st.integers(-48, 48),
    )
    def carrier_reports(
        self, order_id: str, index: int, status: ShipmentStatus, hours: int
    ) -> None:
        fulfillments = self.flow.get(order_id).fulfillments
        if not fulfillments:
            return
        target = fulfillments[index % len(fulfillments)].id
        event = ShipmentEvent(status=status, at=self.harness.clock.now() + timedelta(hours=hours))
        self.keys += 1
        key = f"carrier-{self.keys}"
        self._attempt(
            order_id,
            lambda: self.flow.record_shipment_event(
                order_id, target, event, idempotency_key=key, actor=GATEWAY
            ),
        )

    @rule(
        order_id=orders, index=st.integers(0, 9), days=st.integers(0, 5), now_instead=st.booleans()
    )
    def schedule_or_open(self, order_id: str, index: int, days: int, now_instead: bool) -> None:
        fo_id = self._fulfillment_order(order_id, index)
        if fo_id is None:
            return
        if now_instead:
            self._attempt(
                order_id, lambda: self.flow.open_fulfillment(order_id, fo_id, actor=STAFF)
            )
        else:
            at = self.harness.clock.now() + timedelta(days=days)
            self._attempt(order_id, lambda: self.flow.schedule(order_id, fo_id, at, actor=STAFF))

    @rule(order_id=orders, index=st.integers(0, 9), collected=st.booleans())
    def pickup(self, order_id: str, index: int, collected: bool) -> None:
        fo_id = self._fulfillment_order(order_id, index)
        if fo_id is None:
            return
        command = self.flow.picked_up if collected else self.flow.ready_for_pickup
        self._attempt(order_id, lambda: command(order_id, fo_id, actor=STAFF))

    @rule(order_id=orders, city=st.sampled_from(["Lyon", "Paris", "Nantes"]))
    def move_house(self, order_id: str, city: str) -> None:
        before = self.flow.get(order_id)
        self._attempt(
            order_id,
            lambda: self.flow.change_shipping_address(
                order_id, make_address(city=city), actor=STAFF
            ),
        )
        after = self.flow.get(order_id)
        if after.shipping_address != before.shipping_address:
            # Allowed only while nothing had left for the old address.
            assert not any(
                f.cancelled_at is None
                for f in before.fulfillments
                if before.fulfillment_order(f.fulfillment_order_id).destination is not None
            )

    @rule(
        order_id=orders,
        index=st.integers(0, 9),
        number=st.text("0123456789ABZ", min_size=3, max_size=8),
    )
    def track(self, order_id: str, index: int, number: str) -> None:
        fulfillments = self.flow.get(order_id).fulfillments
        if fulfillments:
            target = fulfillments[index % len(fulfillments)].id
            tracking = Tracking(company="La Poste", numbers=(number,))
            self._attempt(
                order_id, lambda: self.flow.update_tracking(order_id, target, tracking, actor=STAFF)
            )

    @rule(target=orders, some=st.booleans())
    def place_for_the_service(self, some: bool) -> str:
        """An order shipped by the 3PL, requested from it at once (all of it, or one unit)."""
        order = self.flow.place(
            make_draft(make_line("line-0", "20.00", 2), location=WAREHOUSE), actor=GATEWAY
        )
        lines = [LineQuantity("line-0", 1)] if some else None
        order = self.flow.request_fulfillment(
            order.id, order.fulfillment_orders[0].id, lines, actor=STAFF
        )
        assert order.fulfillment_orders[0].request_status == "submitted"
        self.seen[order.id] = order
        return order.id

    @rule(order_id=orders, index=st.integers(0, 9), some=st.booleans())
    def request_from_the_service(self, order_id: str, index: int, some: bool) -> None:
        fo_id = self._fulfillment_order(order_id, index)
        if fo_id is None:
            return
        fo = self.flow.get(order_id).fulfillment_order(fo_id)
        lines = [LineQuantity(fo.lines[0].line_item_id, 1)] if some and fo.lines else None
        self._attempt(
            order_id, lambda: self.flow.request_fulfillment(order_id, fo_id, lines, actor=STAFF)
        )

    @rule(
        order_id=orders,
        index=st.integers(0, 9),
        answer=st.sampled_from(
            ["accept", "reject", "ask_cancel", "accept_cancel", "reject_cancel", "close", "ship"]
        ),
    )
    def the_service_answers(self, order_id: str, index: int, answer: str) -> None:
        requested = [
            fo for fo in self.flow.get(order_id).fulfillment_orders if fo.request is not None
        ]
        if not requested:
            return
        fo = requested[index % len(requested)]
        fo_id, request = fo.id, fo.request
        assert request is not None
        self.keys += 1
        key, rid, flow = f"service-{self.keys}", request.id, self.flow
        commands: dict[str, Callable[[], object]] = {
            "accept": lambda: flow.accept_fulfillment_request(
                order_id, rid, idempotency_key=key, actor=SHIPFAST
            ),
            "reject": lambda: flow.reject_fulfillment_request(
                order_id, rid, RejectionReason.OTHER, idempotency_key=key, actor=SHIPFAST
            ),
            "ask_cancel": lambda: flow.request_fulfillment_cancellation(
                order_id, fo_id, actor=STAFF
            ),
            "accept_cancel": lambda: flow.accept_fulfillment_cancellation(
                order_id, rid, idempotency_key=key, actor=SHIPFAST
            ),
            "reject_cancel": lambda: flow.reject_fulfillment_cancellation(
                order_id, rid, idempotency_key=key, actor=SHIPFAST
            ),
            "close": lambda: flow.close_fulfillment_request(
                order_id, rid, idempotency_key=key, actor=SHIPFAST
            ),
            "ship": lambda: flow.record_service_fulfillment(
                order_id, rid, idempotency_key=key, actor=SHIPFAST
            ),
        }
        self._attempt(order_id, commands[answer])

    @rule(
        order_id=orders,
        first=st.integers(0, 9),
        second=st.integers(0, 9),
        how=st.sampled_from(["move", "split", "merge"]),
    )
    def reroute(self, order_id: str, first: int, second: int, how: str) -> None:
        a, b = self._fulfillment_order(order_id, first), self._fulfillment_order(order_id, second)
        if a is None or b is None:
            return
        fo = self.flow.get(order_id).fulfillment_order(a)
        if how == "move":
            self._attempt(
                order_id, lambda: self.flow.move_fulfillment_order(order_id, a, PARIS, actor=STAFF)
            )
        elif how == "split" and fo.lines:
            line = [LineQuantity(fo.lines[0].line_item_id, 1)]
            self._attempt(
                order_id, lambda: self.flow.split_fulfillment_order(order_id, a, line, actor=STAFF)
            )
        elif how == "merge":
            self._attempt(
                order_id, lambda: self.flow.merge_fulfillment_orders(order_id, [a, b], actor=STAFF)
            )

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
            # Fulfillment: quantities conserved by splits, never over-fulfilled, statuses as defined.
            assigned: dict[str, int] = {}
            for fo in order.fulfillment_orders:
                for q in fo.lines:
                    assigned[q.line_item_id] = assigned.get(q.line_item_id, 0) + q.quantity
            assert assigned == {line.id: line.quantity for line in order.line_items}
            done = oracle_fulfilled(order)
            for fo in order.fulfillment_orders:
                for q in fo.lines:
                    assert done.get((fo.id, q.line_item_id), 0) <= q.quantity
                fulfilled_here = sum(done.get((fo.id, q.line_item_id), 0) for q in fo.lines)
                expected = (
                    fo.status
                    if fo.status in ("cancelled", "closed")
                    else "on_hold"
                    if fo.holds
                    else "in_progress"
                    if fo.status == "open" and fulfilled_here
                    else fo.status
                )
                assert display_status(order, fo) == expected
                if fo.status == "closed":
                    assert all(done.get((fo.id, q.line_item_id), 0) == q.quantity for q in fo.lines)
                if fo.status == "open" and fo.lines:  # it closes when its last unit is fulfilled
                    assert any(done.get((fo.id, q.line_item_id), 0) < q.quantity for q in fo.lines)
            assert fulfillment_status(order) == oracle_fulfillment_status(order)
            # No line refunded beyond its quantity, nor fulfilled once refunded as cancelled.
            for line in order.line_items:
                refunded = [
                    r for refund in order.refunds for r in refund.lines if r.line_item_id == line.id
                ]
                withdrawn = sum(r.removed for r in refunded)
                shipped = sum(v for (_, i), v in done.items() if i == line.id)
                assert sum(r.quantity for r in refunded) <= line.quantity
                assert shipped + withdrawn <= line.quantity
                assert sum(r.quantity - r.removed for r in refunded) <= shipped
            for f in previous.fulfillments:
                if shipment_status(f) in (ShipmentStatus.DELIVERED, ShipmentStatus.PICKED_UP):
                    assert shipment_status(order.fulfillment(f.id)) == shipment_status(f)
            if order.status == "cancelled":
                assert all(fo.status in ("cancelled", "closed") for fo in order.fulfillment_orders)
            # History only grows, versions only rise, documents round-trip exactly.
            assert order.version >= previous.version
            assert order.timeline[: len(previous.timeline)] == previous.timeline
            assert loads(dumps(order)) == order
            self.seen[order_id] = order
        # No idempotency key ever moved money twice at the gateway.
        keys = [call.request.idempotency_key for call in self.harness.gateway.effects]
        assert len(keys) == len(set(keys))


OrderLives.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_order_lives = OrderLives.TestCase
