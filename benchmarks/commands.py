"""The six commands the per-command benchmarks (overhead, scaling) time, on any store.

One batch takes N orders, step by step as a store's day goes, through: **place** (from a
draft of ``lines`` lines), **record_payment** (the checkout's authorization, a webhook with
an idempotency key), **capture+dispatch** (staff capture, then one dispatcher pass: the
gateway is called and its answer recorded), **fulfill** (the whole fulfillment order, with
tracking), **carrier event** (the carrier says delivered, a webhook with an idempotency key)
and **archive**. Every input (drafts, reports, tracking, events) is built before its step's
clock starts, so a step's time is the commands' own. The last orders are checked untimed:
paid, fulfilled, delivered, archived.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import count
from typing import Any

from benchmarks.gateway import KeyedGateway
from benchmarks.timing import Stopwatch
from orderflow import (
    Order,
    OrderDraft,
    ShipmentEvent,
    ShipmentStatus,
    Tracking,
    financial_status,
    fulfillment_status,
)
from orderflow.testing import (
    GATEWAY,
    STAFF,
    Harness,
    authorization,
    make_draft,
    make_flow,
    make_line,
)

COMMANDS = ("place", "record_payment", "capture+dispatch", "fulfill", "carrier event", "archive")

_checkouts = count(1)
"""Checkout ids unique within the process, so batches on one store never collide."""


def new_flow(**options: Any) -> Harness:
    """The flow the per-command benchmarks drive (``make_flow``'s ``options``): no event
    publisher, and a gateway that only answers (``benchmarks/gateway.py``): the outside
    party's own work is not orderflow's."""
    return make_flow(publish=False, gateway=KeyedGateway(), **options)  # type: ignore[arg-type]


def drafts(count: int, lines: int = 1, prefix: str = "chk") -> list[OrderDraft]:
    """``count`` drafts of ``lines`` lines (2 x 20.00 EUR each) with fresh checkout ids."""
    items = tuple(make_line(f"line-{n}", "20.00", 2) for n in range(1, lines + 1))
    return [
        make_draft(*items, external_checkout_id=f"{prefix}-{next(_checkouts)}")
        for _ in range(count)
    ]


def run(harness: Harness, batch: Sequence[OrderDraft]) -> dict[str, float]:
    """Take ``batch`` through the six commands; seconds per order of each."""
    flow, watch = harness.flow, Stopwatch(len(batch))
    with watch("place"):
        placed = [flow.place(draft, actor=GATEWAY) for draft in batch]
    reports = [authorization(o.total, f"pi_{o.id}") for o in placed]
    with watch("record_payment"):
        for order, report in zip(placed, reports, strict=True):
            flow.record_payment(order.id, report, idempotency_key=f"evt_{order.id}", actor=GATEWAY)
    with watch("capture+dispatch"):
        for order in placed:
            flow.capture(order.id, actor=STAFF)
        flow.dispatch(limit=len(placed))
    tracking = [Tracking(company="UPS", numbers=(f"1Z{o.number}",)) for o in placed]
    with watch("fulfill"):
        fulfilled = [
            flow.fulfill(o.id, o.fulfillment_orders[0].id, actor=STAFF, tracking=t)
            for o, t in zip(placed, tracking, strict=True)
        ]
    delivered = ShipmentEvent(status=ShipmentStatus.DELIVERED, at=harness.clock.now())
    with watch("carrier event"):
        for order in fulfilled:
            flow.record_shipment_event(
                order.id,
                order.fulfillments[0].id,
                delivered,
                idempotency_key=f"trk_{order.id}",
                actor=GATEWAY,
            )
    with watch("archive"):
        archived = [flow.archive(order.id, actor=STAFF) for order in placed]
    check(archived[-1])
    return watch.per_item()


def check(order: Order) -> None:
    """The batch did the whole work: a benchmark that skipped a step would lie."""
    found = (
        financial_status(order),
        fulfillment_status(order),
        order.fulfillments[0].events[-1].status,
        order.archive_status,
    )
    expected = ("paid", "fulfilled", ShipmentStatus.DELIVERED, "archived")
    if found != expected:
        raise RuntimeError(f"{order}: expected {expected}, found {found}")
