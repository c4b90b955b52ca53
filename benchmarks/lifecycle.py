"""The baseline ratio (design brief §11): a full order lifecycle through orderflow against
the hand-written plain-Python version in ``benchmarks/baseline.py``, in the same run.

    python benchmarks/lifecycle.py [--lifecycles N] [--repeats R] [--gc] [--profile]
    python -m benchmarks.lifecycle ...

Each batch takes N orders through: place -> record the checkout's authorization (webhook
with an idempotency key) -> staff capture (a pending intent and an outbox item) -> one
dispatcher pass over the outbox (gateway call with the key, answer recorded) -> archive.
Both programs start from the same plain checkout and webhook data, are checked to end in
the same state, then timed in alternating batches; medians of the repeats are reported.
This is a report: it exits 0 whether or not the goal is met.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import statistics
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from importlib import metadata
from typing import Any

from orderflow import (
    Address,
    Customer,
    LineItem,
    Money,
    Order,
    OrderDraft,
    PaymentReport,
    ShippingLine,
    TaxLine,
    TransactionKind,
    financial_status,
)
from orderflow.domain.financial import balance
from orderflow.testing import GATEWAY, STAFF, Harness, make_draft, make_flow

if __package__:
    from benchmarks import baseline
    from benchmarks.gateway import KeyedGateway
    from benchmarks.report import Figure
    from benchmarks.timing import seconds
else:  # ``python benchmarks/lifecycle.py``: this directory is on sys.path
    import baseline  # type: ignore[no-redef,import-not-found]
    from gateway import KeyedGateway  # type: ignore[no-redef,import-not-found]
    from report import Figure  # type: ignore[no-redef,import-not-found]
    from timing import seconds  # type: ignore[no-redef,import-not-found]

GOAL = 4.0
"""orderflow may take at most this many times the baseline's time (design brief §11)."""

CONFIGURATION = (
    "make_flow(publish=False): in-memory repository and outbox, fake clock, ids and gateway, "
    "no event publisher (the baseline publishes no events either)"
)
START = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
"""Both programs' fake clocks stand still at this time."""

Raw = Mapping[str, Any]
Run = Callable[[Any, Sequence[Raw], Sequence[Raw]], None]
"""Takes a fresh store (an orderflow harness or a baseline shop) through a batch."""


# -- the input both programs receive: plain data, as a checkout and a webhook send it ------


def checkout_data(index: int) -> dict[str, Any]:
    """The order of ``orderflow.testing.make_draft()``: 2 x 20.00 + 15.00 + 7.00 VAT, EUR."""
    return {
        "external_checkout_id": f"chk_{index}",
        "currency": "EUR",
        "customer": {"id": "cust-1", "name": "Ada Lovelace", "email": "ada@example.com"},
        "shipping_address": {
            "name": "Ada Lovelace",
            "line1": "12 rue des Lilas",
            "city": "Lyon",
            "postal_code": "69003",
            "country_code": "FR",
        },
        "line_items": [
            {
                "id": "line-1",
                "title": "Product line-1",
                "quantity": 2,
                "unit_price": {"amount": "20.00", "currency": "EUR"},
            }
        ],
        "shipping_lines": [{"title": "Standard", "price": {"amount": "15.00", "currency": "EUR"}}],
        "tax_lines": [
            {"title": "VAT", "rate": "0.20", "amount": {"amount": "7.00", "currency": "EUR"}}
        ],
    }


def webhook_data(index: int) -> dict[str, Any]:
    """The checkout's authorization of the whole total, held for 7 days."""
    return {
        "id": f"evt_{index}",
        "kind": "authorization",
        "amount": "62.00",
        "currency": "EUR",
        "reference": f"pi_{index}",
        "reusable": True,
        "expires_at": (START + timedelta(days=7)).isoformat(),
    }


# -- orderflow: the host's glue from plain data to orderflow's values, then the lifecycle ---


def _money(raw: Raw) -> Money:
    return Money(raw["amount"], raw["currency"])


def draft_from_checkout(raw: Raw) -> OrderDraft:
    address = raw.get("shipping_address")
    return OrderDraft(
        customer=Customer(**raw["customer"]),
        currency=raw["currency"],
        external_checkout_id=raw.get("external_checkout_id"),
        shipping_address=Address(**address) if address is not None else None,
        line_items=tuple(
            LineItem(
                id=line["id"],
                title=line["title"],
                quantity=line["quantity"],
                unit_price=_money(line["unit_price"]),
            )
            for line in raw["line_items"]
        ),
        shipping_lines=tuple(
            ShippingLine(s["title"], _money(s["price"])) for s in raw.get("shipping_lines", ())
        ),
        tax_lines=tuple(
            TaxLine(t["title"], Decimal(t["rate"]), _money(t["amount"]))
            for t in raw.get("tax_lines", ())
        ),
    )


def report_from_webhook(raw: Raw) -> PaymentReport:
    expires = raw.get("expires_at")
    return PaymentReport(
        kind=TransactionKind(raw["kind"]),
        amount=Money(raw["amount"], raw["currency"]),
        reference=raw.get("reference"),
        reusable=raw.get("reusable", False),
        expires_at=None if expires is None else datetime.fromisoformat(expires),
    )


def new_orderflow() -> Harness:
    return make_flow(publish=False, gateway=KeyedGateway())  # type: ignore[arg-type]


def run_orderflow(harness: Harness, checkouts: Sequence[Raw], webhooks: Sequence[Raw]) -> None:
    flow = harness.flow
    orders = [flow.place(draft_from_checkout(raw), actor=GATEWAY) for raw in checkouts]
    for order, hook in zip(orders, webhooks, strict=True):
        flow.record_payment(
            order.id, report_from_webhook(hook), idempotency_key=hook["id"], actor=GATEWAY
        )
    for order in orders:
        flow.capture(order.id, actor=STAFF)
    flow.dispatch(limit=len(orders))
    for order in orders:
        if financial_status(flow.archive(order.id, actor=STAFF)) != "paid":
            raise RuntimeError(f"orderflow: {order} is not paid")


def new_baseline() -> baseline.Shop:
    return baseline.Shop()


def run_baseline(shop: baseline.Shop, checkouts: Sequence[Raw], webhooks: Sequence[Raw]) -> None:
    orders = [shop.place(raw, actor=baseline.GATEWAY) for raw in checkouts]
    for order, hook in zip(orders, webhooks, strict=True):
        shop.record_payment(order["id"], hook, idempotency_key=hook["id"], actor=baseline.GATEWAY)
    for order in orders:
        shop.capture(order["id"], actor=baseline.STAFF)
    shop.dispatch(limit=len(orders))
    for order in orders:
        if baseline.financial_status(shop.archive(order["id"], actor=baseline.STAFF)) != "paid":
            raise RuntimeError(f"baseline: order {order['id']} is not paid")


# -- equal work: both programs must leave the same orders behind ------------------------------


def orderflow_summary(order: Order) -> dict[str, Any]:
    """:func:`baseline.summary`'s shape, read from an orderflow order."""
    return {
        "id": order.id,
        "name": order.name,
        "version": order.version,
        "status": order.status,
        "archive_status": order.archive_status,
        "financial_status": financial_status(order),
        "balance": str(balance(order)),
        "transactions": [
            (
                tx.id,
                tx.kind.value,
                tx.status,
                str(tx.amount),
                tx.idempotency_key,
                tx.reference,
                tx.parent_id,
            )
            for tx in order.transactions
        ],
        "timeline": [(e.at.isoformat(), str(e.actor), e.kind, e.message) for e in order.timeline],
    }


def check_same_work(count: int) -> str:
    """Run both programs once on ``count`` lifecycles and compare everything they leave."""
    checkouts = [checkout_data(i) for i in range(count)]
    webhooks = [webhook_data(i) for i in range(count)]
    harness, shop = new_orderflow(), new_baseline()
    run_orderflow(harness, checkouts, webhooks)
    run_baseline(shop, checkouts, webhooks)
    problems: list[str] = []

    def expect(condition: bool, what: str) -> None:
        if not condition:
            problems.append(what)

    expect(
        draft_from_checkout(checkouts[0]) == make_draft(external_checkout_id="chk_0"),
        "the checkout data is not orderflow.testing.make_draft()",
    )
    ours, theirs = [], []
    for raw in checkouts:
        placed = harness.repository.by_checkout_id(raw["external_checkout_id"])
        ours.append(orderflow_summary(placed) if placed is not None else {})
        theirs.append(
            baseline.summary(shop.store.get(shop.store.by_checkout[raw["external_checkout_id"]]))
        )
    for mine, other in zip(ours, theirs, strict=True):
        expect(mine == other, f"order {other['id']} differs:\n  {mine}\n  {other}")
    expect(all(s["financial_status"] == "paid" for s in ours), "not every order is paid")
    expect(all(s["archive_status"] == "archived" for s in ours), "not every order is archived")
    expect(all(s["version"] == 5 for s in ours), "not every order was saved 5 times")
    first = ours[0]
    expect(len(harness.gateway.effects) == count, "orderflow's gateway did not act once per order")
    expect(len(shop.gateway.effects) == count, "the baseline's gateway did not act once per order")
    for hook in webhooks:
        record = harness.repository.idempotency_record("payment", hook["id"])
        other_record = shop.store.idempotency.get(("payment", hook["id"]))
        expect(
            record is not None
            and other_record is not None
            and record.request_hash == other_record["request_hash"],
            f"the idempotency records of {hook['id']} differ",
        )
    delivered = [d.state for s in ours for d in harness.repository.deliveries(s["id"])]
    expect(delivered == ["delivered"] * count, "orderflow's outbox is not all delivered")
    expect(
        [d["state"] for d in shop.store.outbox.values()] == ["delivered"] * count,
        "the baseline's outbox is not all delivered",
    )
    if problems:
        raise SystemExit("not the same work:\n" + "\n".join(problems))
    return (
        f"{count} orders each: {first['financial_status']}, {first['archive_status']}, "
        f"version {first['version']}, {len(first['timeline'])} timeline entries and "
        f"{len(first['transactions'])} transactions identical in both (ids, keys, gateway "
        f"references, messages); same webhook request hashes; {count} gateway effects each"
    )


# -- timing -------------------------------------------------------------------------------------


def timed(
    new: Callable[[], Any],
    run: Run,
    checkouts: Sequence[Raw],
    webhooks: Sequence[Raw],
    *,
    keep_gc: bool,
) -> float:
    """Seconds one batch takes; the store is made before the clock starts."""
    target = new()
    return seconds(lambda: run(target, checkouts, webhooks), keep_gc=keep_gc)


def profile(checkouts: Sequence[Raw], webhooks: Sequence[Raw], top: int = 15) -> None:
    harness = new_orderflow()
    profiler = cProfile.Profile()
    profiler.enable()
    run_orderflow(harness, checkouts, webhooks)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout).strip_dirs()
    print(f"\ncProfile of one orderflow batch ({len(checkouts)} lifecycles), by cumulative time:")
    stats.sort_stats("cumulative").print_stats(top)
    print("cProfile of the same batch, by own time (tottime):")
    stats.sort_stats("tottime").print_stats(top)


def measure(lifecycles: int, repeats: int, *, keep_gc: bool = False) -> dict[str, list[float]]:
    """Seconds per lifecycle of each program's batches, alternating (orderflow first on even
    repeats, the baseline on odd ones)."""
    checkouts = [checkout_data(i) for i in range(lifecycles)]
    webhooks = [webhook_data(i) for i in range(lifecycles)]
    programs: dict[str, tuple[Callable[[], Any], Run]] = {
        "orderflow": (new_orderflow, run_orderflow),
        "baseline": (new_baseline, run_baseline),
    }
    seconds: dict[str, list[float]] = {name: [] for name in programs}
    for repeat in range(repeats):
        order = list(programs) if repeat % 2 == 0 else list(reversed(programs))
        for name in order:
            new, run = programs[name]
            seconds[name].append(timed(new, run, checkouts, webhooks, keep_gc=keep_gc) / lifecycles)
    return seconds


def figures(quick: bool = False) -> list[Figure]:
    """The baseline ratio for ``python -m benchmarks``: 2000 lifecycles x 7 repeats
    (``quick``: 500 x 5), after the same-work check."""
    lifecycles, repeats = (500, 5) if quick else (2000, 7)
    check_same_work(min(lifecycles, 200))
    seconds = measure(lifecycles, repeats)
    ours, theirs = seconds["orderflow"], seconds["baseline"]
    ratio = statistics.median(ours) / statistics.median(theirs)
    paired = statistics.median(o / b for o, b in zip(ours, theirs, strict=True))
    return [
        Figure(
            "lifecycle: orderflow / baseline",
            ratio,
            target=GOAL,
            detail=(
                f"{statistics.median(ours) * 1e6:.1f} µs / {statistics.median(theirs) * 1e6:.1f} "
                f"µs per lifecycle (pairs: {paired:.2f}x); {lifecycles} lifecycles x {repeats} "
                f"alternating batches, in memory, no publisher; same work checked first"
            ),
        )
    ]


def versions() -> str:
    names = ("orderflow", "attrs", "cattrs", "python-statemachine")
    return ", ".join(f"{name} {metadata.version(name)}" for name in names)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lifecycles", type=int, default=2000, help="per batch (default 2000)")
    parser.add_argument("--repeats", type=int, default=7, help="timed batches each (default 7)")
    parser.add_argument(
        "--gc", action="store_true", help="keep the garbage collector on while timing"
    )
    parser.add_argument(
        "--profile", action="store_true", help="then print cProfile's top 15 for orderflow"
    )
    args = parser.parse_args(argv)
    if args.lifecycles < 1 or args.repeats < 1:
        parser.error("--lifecycles and --repeats must be at least 1")

    print("orderflow baseline ratio (design brief §11)")
    print(
        "lifecycle: place -> authorization webhook (idempotency key) -> staff capture "
        "(intent + outbox item) -> dispatch (gateway call with the key) -> archive"
    )
    cpu = platform.processor() or platform.machine()
    print(f"machine:   {platform.platform()}, {os.cpu_count()} CPUs ({cpu})")
    print(f"python:    {platform.python_implementation()} {platform.python_version()}")
    print(f"versions:  {versions()}")
    print(f"orderflow: {CONFIGURATION}")
    gc_note = "on" if args.gc else "off while timing, as timeit does (--gc to keep it on)"
    print(
        f"run:       {args.lifecycles} lifecycles per batch, {args.repeats} repeats, "
        f"batches alternating between the programs; gc {gc_note}"
    )
    print(f"check:     {check_same_work(args.lifecycles)}")

    seconds = measure(args.lifecycles, args.repeats, keep_gc=args.gc)
    print("\nper lifecycle       median       min       max")
    for name, values in seconds.items():
        print(
            f"  {name:<12} {statistics.median(values) * 1e6:9.1f} µs "
            f"{min(values) * 1e6:9.1f} {max(values) * 1e6:9.1f}"
        )
    ratio = statistics.median(seconds["orderflow"]) / statistics.median(seconds["baseline"])
    paired = statistics.median(
        o / b for o, b in zip(seconds["orderflow"], seconds["baseline"], strict=True)
    )
    verdict = "met" if ratio <= GOAL else "NOT met"
    print(
        f"\nratio orderflow/baseline: {ratio:.2f}x (median of batch pairs: {paired:.2f}x); "
        f"goal: at most {GOAL:g}x: {verdict}"
    )
    if args.profile:
        profile(
            [checkout_data(i) for i in range(args.lifecycles)],
            [webhook_data(i) for i in range(args.lifecycles)],
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
