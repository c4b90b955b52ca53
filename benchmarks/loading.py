"""Loading stored orders (design brief §11): documents to orders with their derived
statuses, every validator included, against ``json.loads`` of the same documents.

    python -m benchmarks.loading [--quick]

The documents are the committed ``benchmarks/data/orders.jsonl.gz`` (2,000 varied orders
written by orderflow; ``benchmarks/data/make_orders.py`` makes it), read 5 times over for
10,000 loads (``--quick``: the first 1,000). Two programs, in alternating batches:

- **orderflow**: ``orderflow.serialization.loads`` (JSON, schema upgrade if any, cattrs
  structuring with every attrs validator, the order's consistency check), then the derived
  statuses a listing shows: financial status and balance, fulfillment status, each
  fulfillment order's display status, each fulfillment's shipment status;
- **json**: ``json.loads`` of the same text.

Figures: the ratio of their medians (goal at most 5x, stretch 4x); orderflow's time per
order and the stored bytes per order (no target: for the record); the python-statemachine
machines constructed while loading, counted in a separate untimed pass over every document
with ``StateMachine.__init__`` wrapped (goal: none: lifecycles are compiled tables).
"""

from __future__ import annotations

import gzip
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import statemachine

from benchmarks.report import Figure, main
from benchmarks.timing import Stopwatch, alternate, median, micros, paired, ratio
from orderflow import (
    Order,
    balance,
    display_status,
    financial_status,
    fulfillment_status,
    shipment_status,
)
from orderflow.domain.order import SCHEMA_VERSION
from orderflow.serialization import loads

DATA = Path(__file__).with_name("data") / "orders.jsonl.gz"
GOAL, STRETCH = 5.0, 4.0
LOADS = 10_000
TITLE = "orderflow loading: stored orders with derived statuses / json.loads (§11)"


def documents() -> list[str]:
    """The committed documents, one per stored order, as the store hands them over."""
    with gzip.open(DATA, "rt", encoding="utf-8") as lines:
        return [line.rstrip("\n") for line in lines]


def statuses(order: Order) -> tuple[Any, ...]:
    """What a listing of orders shows beside each one, derived, never stored."""
    return (
        financial_status(order),
        balance(order),
        fulfillment_status(order),
        tuple(display_status(order, fo) for fo in order.fulfillment_orders),
        tuple(shipment_status(f) for f in order.fulfillments),
    )


def load_orderflow(texts: Sequence[str]) -> dict[str, float]:
    watch = Stopwatch(len(texts))
    with watch("load"):
        for text in texts:
            statuses(loads(text))
    return watch.per_item()


def load_json(texts: Sequence[str]) -> dict[str, float]:
    watch = Stopwatch(len(texts))
    with watch("load"):
        for text in texts:
            json.loads(text)
    return watch.per_item()


@contextmanager
def counting_machines() -> Iterator[Counter[str]]:
    """Count every python-statemachine machine constructed inside the block."""
    built: Counter[str] = Counter()
    classes = [statemachine.StateMachine, getattr(statemachine, "StateChart", None)]
    originals = {cls: cls.__init__ for cls in classes if cls is not None}

    def wrap(original: Callable[..., None]) -> Callable[..., None]:
        def init(self: Any, *args: Any, **kwargs: Any) -> None:
            built[type(self).__name__] += 1
            original(self, *args, **kwargs)

        return init

    for cls, original in originals.items():
        cls.__init__ = wrap(original)  # type: ignore[method-assign]
    try:
        yield built
    finally:
        for cls, original in originals.items():
            cls.__init__ = original  # type: ignore[method-assign]


def describe(orders: Sequence[Order], texts: Sequence[str]) -> str:
    """What the set holds, so a reader can tell it is varied."""
    versions = Counter(json.loads(text)["schema_version"] for text in texts)
    count = len(orders)
    each = (
        f"{sum(len(o.line_items) for o in orders) / count:.1f} lines, "
        f"{sum(len(o.transactions) for o in orders) / count:.1f} transactions, "
        f"{sum(len(o.fulfillments) for o in orders) / count:.1f} fulfillments, "
        f"{sum(len(o.timeline) for o in orders) / count:.1f} timeline entries per order; "
        f"{sum(bool(fo.holds) for o in orders for fo in o.fulfillment_orders)} held"
    )
    financial = Counter(financial_status(o) for o in orders)
    fulfilment = Counter(fulfillment_status(o) for o in orders)
    return (
        f"{count:,} distinct orders, schema version {dict(versions)} (current "
        f"{SCHEMA_VERSION}); {each}; {dict(financial)}; {dict(fulfilment)}"
    )


def figures(quick: bool = False) -> list[Figure]:
    distinct = documents()
    texts = distinct[: LOADS // 10] if quick else distinct * (LOADS // len(distinct))
    repeats = 3
    with counting_machines() as built:
        loaded = [loads(text) for text in distinct]
        for order in loaded:
            statuses(order)
    load_orderflow(distinct[:200]), load_json(distinct[:200])  # warm up
    samples = alternate(
        {"orderflow": lambda: load_orderflow(texts), "json": lambda: load_json(texts)}, repeats
    )
    ours, theirs = samples["orderflow"]["load"], samples["json"]["load"]
    size = sum(len(text.encode("utf-8")) for text in distinct) / len(distinct)
    how = f"{len(texts):,} loads x {repeats} alternating batches; {describe(loaded, distinct)}"
    return [
        Figure(
            "loading: orderflow / json.loads",
            ratio(ours, theirs),
            target=GOAL,
            stretch=STRETCH,
            detail=(
                f"{micros(median(ours))} / {micros(median(theirs))} per order (pairs: "
                f"{paired(ours, theirs):.2f}x), json.loads is {median(theirs) / median(ours):.0%} "
                f"of orderflow's time; {how}"
            ),
        ),
        Figure(
            "loading: time per order",
            median(ours) * 1e6,
            unit=" µs",
            detail="loads + derived statuses, median batch (machine-dependent: no target)",
        ),
        Figure(
            "loading: stored bytes per order",
            size,
            unit=" B",
            detail="the compact JSON document, mean over the set",
        ),
        Figure(
            "loading: machines built",
            sum(built.values()),
            unit="",
            target=0,
            detail=(
                f"python-statemachine instances constructed while loading {len(distinct):,} "
                f"orders with their statuses: {dict(built) or 'none'}"
            ),
        ),
    ]


if __name__ == "__main__":
    sys.exit(main(TITLE, figures, sys.argv[1:] if len(sys.argv) > 1 else None))
