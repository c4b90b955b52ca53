"""The orders each fuzz example starts from, built once in memory, then added to every store.

A *base* is placed and worked on by an in-memory flow of its own (a few commands, a
millisecond), then added, with its pending outbox items, to the memory, SQLite and
PostgreSQL stores alike: one insert per store instead of a dozen saves, so PostgreSQL keeps
up. Its ids carry the example's number, so every example has an order of its own in stores
that live across examples.

The ``rich`` variants give every command something to act on: nine fulfillment orders
(shipping, local pickup, one with a fulfillment service's request on it and one without, a
pre-order, a held one at another location, a gift card, two split off the first that could merge), a
fulfillment with tracking and a bought label and one without, an authorization partly
captured with a capture still in flight. The others are simpler states: fresh, authorized,
paid by a sale, cancelled, archived.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import attrs

from orderflow import (
    CancelReason,
    DeliveryMethod,
    Discount,
    GatewayResult,
    HoldReason,
    LineQuantity,
    Location,
    Order,
    OrderDraft,
    Parcel,
    Tracking,
)
from orderflow.ports import OutboxItem
from orderflow.testing import (
    GATEWAY,
    STAFF,
    FakeClock,
    FakeLabelProvider,
    RecordingFulfillmentService,
    SequentialIds,
    authorization,
    eur,
    make_address,
    make_draft,
    make_flow,
    make_line,
    sale,
)

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
"""Every flow's fixed clock: no example moves time."""
FIRST_BASE_NUMBER = 5_000_000
"""Bases are numbered from here, apart from the numbers the stores hand out to ``place``."""

THIRD_PARTY = Location("wh-3pl", "Acme 3PL", fulfillment_service="acme")
THIRD_PARTY_B = Location("wh-3pl-b", "Acme 3PL, north", fulfillment_service="acme")
SECOND = Location("wh-2", "Second warehouse")

RICH = ("rich", "rich-accepted", "rich-cancelling")
PLAIN = ("fresh", "authorized", "paid", "cancelled", "archived")
VARIANTS = RICH + PLAIN


@attrs.frozen
class Base:
    """An order as it stands before the example's command, and what it is made of."""

    variant: str
    order: Order
    outbox: tuple[OutboxItem, ...]
    keys: tuple[tuple[str, str], ...]
    """(source, idempotency key) of the requests from outside already applied."""

    @property
    def id(self) -> str:
        return self.order.id

    def ids(self, what: str) -> list[str]:
        """The ids the order has of ``what``: fulfillment orders, fulfillments, holds,
        requests, transactions, authorizations, lines, messages' keys."""
        order = self.order
        found = {
            "fulfillment_orders": [fo.id for fo in order.fulfillment_orders],
            "fulfillments": [f.id for f in order.fulfillments],
            "holds": [h.id for fo in order.fulfillment_orders for h in fo.holds]
            + [h.handle for fo in order.fulfillment_orders for h in fo.holds if h.handle],
            "requests": [fo.request.id for fo in order.fulfillment_orders if fo.request],
            "transactions": [tx.id for tx in order.transactions],
            "authorizations": [
                tx.id for tx in order.transactions if tx.kind.value == "authorization"
            ],
            "lines": [line.id for line in order.line_items],
            "outbox": [item.key for item in self.outbox],
            "messages": [item.key for item in self.outbox if item.topic == "message"],
            "references": [tx.reference for tx in order.transactions if tx.reference]
            + [n for f in order.fulfillments if f.tracking for n in f.tracking.numbers],
        }
        return found[what]


def rich_draft(n: int) -> OrderDraft:
    """40.00 + 10.00 + 15.00 + 8.00 + 14.00 + 25.00 + 12.00 + 9.00 of goods, 15.00
    shipping, 5.00 off and 7.00 of tax: 150.00 EUR."""
    return make_draft(
        make_line("line-1", "20.00", 2, sku="SKU-1"),
        make_line("line-2", "10.00", 1, delivery_method=DeliveryMethod.PICK_UP),
        make_line("line-3", "5.00", 3, location=THIRD_PARTY),
        make_line("line-4", "8.00", 1, pre_order=date(2026, 3, 1)),
        make_line("line-5", "7.00", 2, location=SECOND),
        make_line("line-6", "25.00", 1, requires_shipping=False, gift_card=True),
        make_line("line-7", "6.00", 2),
        make_line("line-8", "9.00", 1, location=THIRD_PARTY_B),
        number=FIRST_BASE_NUMBER + n,
        external_checkout_id=f"chk-{n}",
        discounts=(Discount("WELCOME", eur("5.00")),),
        billing_address=make_address(),
        tags=frozenset({"vip"}),
        note="Leave at the door",
    )


def build(variant: str, n: int, **ports: object) -> Base:
    """Base ``variant`` for example ``n`` (``ports``: notifications for the message tests)."""
    labels = FakeLabelProvider()
    harness = make_flow(
        ids=SequentialIds(f"b{n}"),
        clock=FakeClock(NOW),
        labels=labels,
        fulfillment_service=RecordingFulfillmentService(),
        publish=False,
        **ports,
    )
    flow, keys = harness.flow, []

    def paid_by(report_key: str, report: object) -> Order:
        keys.append(("payment", report_key))
        return flow.record_payment(order.id, report, idempotency_key=report_key, actor=GATEWAY)

    if variant in RICH:
        order = flow.place(rich_draft(n), actor=STAFF)
        fos = [fo.id for fo in order.fulfillment_orders]
        held = attrs.evolve(authorization(order.total, f"auth-{n}"), multi_capture=True)
        order = paid_by(f"evt-auth-{n}", held)
        order = flow.capture(order.id, amount=eur("30.00"), actor=STAFF)
        order = flow.settle_payment(
            order.id, order.transactions[-1].id, GatewayResult(True, f"cap-{n}"), actor=GATEWAY
        )
        order = flow.capture(order.id, amount=eur("10.00"), actor=STAFF)  # left in flight
        tracking = Tracking(
            company="DHL", numbers=(f"TRK-{n}",), urls=(f"https://track.example/{n}",)
        )
        for _ in range(2):  # two parts of line-7 that can merge again
            order = flow.split_fulfillment_order(
                order.id, fos[0], [LineQuantity("line-7", 1)], actor=STAFF
            )
        order = flow.fulfill(
            order.id, fos[0], [LineQuantity("line-1", 1)], tracking=tracking, actor=STAFF
        )
        fulfillment = order.fulfillments[0].id
        order = flow.fulfill(order.id, fos[5], actor=STAFF)  # the gift card: no label
        order = flow.buy_label(
            order.id,
            fulfillment,
            carrier="DHL",
            service_level="express",
            parcel=Parcel(weight_grams=500, length_cm=30, width_cm=20, height_cm=10),
            actor=STAFF,
        )
        flow.run_job(f"label-{order.fulfillments[0].label.id}-buy")
        order = flow.hold(
            order.id, fos[4], HoldReason.OTHER, note="check stock", handle="app-hold", actor=STAFF
        )
        order = flow.request_fulfillment(order.id, fos[2], message="please", actor=STAFF)
        request = order.fulfillment_orders[2].request.id
        if variant != "rich":
            keys.append(("fulfillment_service", f"svc-accept-{n}"))
            order = flow.accept_fulfillment_request(
                order.id, request, idempotency_key=f"svc-accept-{n}", actor=GATEWAY
            )
        if variant == "rich-cancelling":
            order = flow.request_fulfillment_cancellation(order.id, fos[2], actor=STAFF)
    else:
        order = flow.place(make_draft(number=FIRST_BASE_NUMBER + n), actor=STAFF)
        if variant == "authorized":
            order = paid_by(f"evt-auth-{n}", authorization(order.total, f"auth-{n}"))
        if variant == "paid":
            order = paid_by(f"evt-sale-{n}", sale(order.total, f"sale-{n}"))
        if variant == "cancelled":
            order = paid_by(f"evt-auth-{n}", authorization(order.total, f"auth-{n}"))
            order = flow.cancel(order.id, CancelReason.CUSTOMER, actor=STAFF)
        if variant == "archived":
            order = flow.archive(order.id, actor=STAFF)
    pending = tuple(d.item for d in harness.repository.deliveries(order.id) if d.state == "pending")
    return Base(variant, flow.get(order.id), pending, tuple(keys))
