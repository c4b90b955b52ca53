"""Write ``orders.jsonl.gz``: the stored orders ``benchmarks/loading.py`` and
``benchmarks/memory.py`` read, one compact JSON document a line, as orderflow stores them.

    python benchmarks/data/make_orders.py     # from the repository root; rewrites the file

Deterministic (fixed seed, fake clock and ids, gzip without a timestamp), so the committed
file changes only when orderflow's documents do: run it again after a schema version
change, and commit the result with the change. The orders are varied the way a store's
are: 1 to 6 lines from one or two locations, a sale or an authorization captured in full or
in part, refunds, holds kept or released, partial and whole fulfillments with tracking and
carrier events, notes, cancellations and archives; every order passes through OrderFlow on
the in-memory store, so each document is one the library wrote.
"""

from __future__ import annotations

import gzip
import random
import sys
from datetime import timedelta
from pathlib import Path

from orderflow import (
    CancelReason,
    HoldReason,
    LineQuantity,
    Location,
    Order,
    ShipmentEvent,
    ShipmentStatus,
    Tracking,
)
from orderflow.serialization import dumps
from orderflow.testing import (
    GATEWAY,
    STAFF,
    authorization,
    eur,
    make_draft,
    make_flow,
    make_line,
    sale,
)

COUNT = 2_000
"""Distinct orders in the file; the loading benchmark reads them 5 times for 10,000."""
PATH = Path(__file__).with_name("orders.jsonl.gz")
SEED = 11
WAREHOUSE = Location("warehouse", "North warehouse")


def make_orders(count: int = COUNT) -> list[Order]:
    rng = random.Random(SEED)
    harness = make_flow(publish=False)
    flow, clock = harness.flow, harness.clock
    orders = []
    for n in range(count):
        lines = tuple(
            make_line(
                f"line-{k}",
                f"{rng.randint(3, 120)}.{rng.choice(('00', '50', '90', '99'))}",
                rng.randint(1, 3),
                location=WAREHOUSE if k > 2 and rng.random() < 0.5 else None,
            )
            for k in range(1, rng.randint(1, 6) + 1)
        )
        order = flow.place(make_draft(*lines, external_checkout_id=f"chk-{n}"), actor=GATEWAY)
        clock.advance(minutes=rng.randint(1, 90))
        if rng.random() < 0.3:
            report = sale(order.total, f"ch_{n}")
        else:
            report = authorization(
                order.total, f"pi_{n}", expires_in=timedelta(days=7), clock=clock
            )
        order = flow.record_payment(order.id, report, idempotency_key=f"evt-{n}", actor=GATEWAY)
        if rng.random() < 0.08:
            flow.cancel(order.id, CancelReason.CUSTOMER, actor=STAFF, note="Changed mind")
            flow.dispatch(limit=10)  # the void or refund the cancellation asked for
            order = flow.get(order.id)
            orders.append(archive_some(flow, order, rng))
            continue
        if order.transactions[-1].kind.value == "authorization":
            whole = rng.random() < 0.8
            amount = None if whole else eur(f"{order.total.amount / 2:.2f}")
            flow.capture(order.id, actor=STAFF, amount=amount)
            flow.dispatch(limit=10)
        parcel = flow.get(order.id).fulfillment_orders[0]
        if rng.random() < 0.25:
            order = flow.hold(
                order.id,
                parcel.id,
                HoldReason.INCORRECT_ADDRESS,
                actor=STAFF,
                note="Customer to confirm the door code",
            )
            if rng.random() < 0.6:
                hold = order.fulfillment_orders[0].holds[0]
                flow.release(order.id, parcel.id, hold.id, actor=STAFF)
        order = fulfil(flow, harness.clock, flow.get(order.id), rng, n)
        if rng.random() < 0.15:
            order = flow.update_note(order.id, "Gift wrap, no invoice in the parcel", actor=STAFF)
        if rng.random() < 0.1 and order.transactions:
            flow.refund(order.id, eur("5.00"), actor=STAFF)
            flow.dispatch(limit=10)
            order = flow.get(order.id)
        orders.append(archive_some(flow, order, rng))
    return orders


def fulfil(flow, clock, order: Order, rng: random.Random, n: int) -> Order:  # type: ignore[no-untyped-def]
    for fo in order.fulfillment_orders:
        if fo.holds or fo.status != "open" or rng.random() < 0.2:
            continue  # held, or not shipped yet
        lines = None
        if rng.random() < 0.3:  # a partial shipment: one of the first line's items
            lines = (LineQuantity(fo.lines[0].line_item_id, 1),)
        tracking = Tracking(company="UPS", numbers=(f"1Z{n:06d}{fo.id[-1]}",))
        order = flow.fulfill(order.id, fo.id, lines, actor=STAFF, tracking=tracking)
        fulfillment = order.fulfillments[-1]
        for status in rng.sample(
            [ShipmentStatus.IN_TRANSIT, ShipmentStatus.OUT_FOR_DELIVERY, ShipmentStatus.DELIVERED],
            rng.randint(0, 3),
        ):
            clock.advance(hours=rng.randint(2, 30))
            event = ShipmentEvent(status=status, at=clock.now())
            order = flow.record_shipment_event(
                order.id,
                fulfillment.id,
                event,
                idempotency_key=f"trk-{fulfillment.id}-{status.value}",
                actor=GATEWAY,
            )
    return order


def archive_some(flow, order: Order, rng: random.Random) -> Order:  # type: ignore[no-untyped-def]
    return flow.archive(order.id, actor=STAFF) if rng.random() < 0.4 else flow.get(order.id)


def write(orders: list[Order], path: Path = PATH) -> None:
    text = "".join(dumps(order) + "\n" for order in orders).encode("utf-8")
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as out:
        out.write(text)


if __name__ == "__main__":
    orders = make_orders()
    write(orders)
    print(f"wrote {len(orders)} orders to {PATH} ({PATH.stat().st_size:,} bytes)")
    sys.exit(0)
