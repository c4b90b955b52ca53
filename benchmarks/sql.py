"""The SQL ratio (design brief §11): SqlRepository on SQLite against hand-written ``sqlite3``
code doing the same reads and writes with the same durability, in the same run, each
measured on its own cost.

    python benchmarks/sql.py [--orders N] [--repeats R]
    python -m benchmarks.sql ...

Each batch takes N orders through the store's part of a command's life, on a fresh database
file (WAL, ``synchronous=NORMAL``, both programs):

1. **add** the order with one outbox item (one transaction: order row, lookup rows, item);
2. **get** it back (read the document, rebuild the order);
3. **save** a change at the expected version with a second outbox item and an idempotency
   record (one transaction: versioned UPDATE, lookups rewritten, item, record);
4. **claim** the two due items with a lease and **mark them delivered** (three transactions).

Both programs build rows with the same pure functions (``order_columns``, ``lookup_rows``,
``orderflow.serialization``), write a random revision token with each order, and store
them in the same tables. **What both sides share is excluded**: building the document and
rows from the order (twice per order) and rebuilding the order from its document (once)
are the same work on either side; they are timed on their own, in the same run, and that
time is taken off both sides' medians, so the ratio is the cost of the adapter (SQLAlchemy
Core, its transactions and checks) over the driver's own calls. The store runs without its
cache of loaded orders for that figure (it rebuilds the order as the raw side does); the
store as shipped, reusing the order it saved, is reported beside it, over the raw side's
whole time. Goal: at most 1.5x (stretch 1.25x). This is a report: it exits 0 whether or
not the goal is met.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import sqlite3
import statistics
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from importlib import metadata
from pathlib import Path

import attrs

from orderflow.adapters.sql import SqlRepository, create_schema, make_engine
from orderflow.adapters.sql.rows import lookup_rows, order_columns
from orderflow.domain.order import Order
from orderflow.ports.outbox import OutboxItem
from orderflow.ports.repository import IdempotencyRecord
from orderflow.serialization import dumps, loads
from orderflow.testing.contract import new_order

try:
    from benchmarks.report import Figure
    from benchmarks.timing import seconds
except ImportError:  # run as a script: python benchmarks/sql.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks.report import Figure
    from benchmarks.timing import seconds

GOAL = 1.5
"""The store may take at most this many times the raw driver's time, shared work excluded."""
STRETCH = 1.25
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
LEASE = timedelta(minutes=5)

Work = tuple[Order, Order, OutboxItem, OutboxItem, IdempotencyRecord]
"""An order, its changed version, the items queued with each, the change's record."""


def workload(count: int) -> list[Work]:
    work = []
    for n in range(count):
        order = new_order(f"ord-{n}", 1001 + n, checkout=f"chk-{n}")
        changed = attrs.evolve(order, note="Leave at the door", version=2)
        first, second = (
            OutboxItem(
                key=f"job-{n}-{v}", order_id=order.id, topic="event", payload="{}", created_at=T0
            )
            for v in (1, 2)
        )
        record = IdempotencyRecord(
            source="payment",
            key=f"evt-{n}",
            request_hash="hash",
            order_id=order.id,
            created_at=T0,
            expires_at=T0 + timedelta(days=30),
        )
        work.append((order, changed, first, second, record))
    return work


# -- orderflow: SqlRepository ------------------------------------------------------------------


def run_orderflow(path: Path, work: Sequence[Work], *, keep: int = 0) -> None:
    """The store without its cache (``keep=0``) rebuilds each order it reads, as raw does."""
    store = SqlRepository(make_engine(path), keep=keep)
    for order, changed, first, second, record in work:
        store.add(order, outbox=[first])
        loaded = store.get(order.id)
        store.save(changed, expected_version=loaded.version, outbox=[second], idempotency=record)
        for delivery in store.claim(T0, limit=2, lease=LEASE):
            store.mark_delivered(delivery.item.key, T0)
    store.engine.dispose()


def run_orderflow_cached(path: Path, work: Sequence[Work]) -> None:
    """The store as shipped: the get reuses the order the add just saved."""
    run_orderflow(path, work, keep=1024)


# -- raw: the same statements through sqlite3 ----------------------------------------------------


def _time(value: datetime | None) -> str | None:
    """A timestamp as the SQL adapter stores it on SQLite: naive UTC text."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ", "microseconds")


def _row(order: Order) -> dict[str, object]:
    columns = order_columns(order)
    for name in ("placed_at", "archived_at", "next_due_at"):
        columns[name] = _time(columns[name])
    columns["revision"] = secrets.token_hex(16)
    return columns


def _queue(db: sqlite3.Connection, item: OutboxItem) -> None:
    created = _time(item.created_at)
    db.execute(
        "INSERT INTO orderflow_outbox (key, order_id, topic, payload, created_at, state, attempts,"
        " next_attempt_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?)",
        (item.key, item.order_id, item.topic, item.payload, created, created),
    )


def _lookups(db: sqlite3.Connection, order: Order) -> None:
    db.executemany(
        "INSERT INTO orderflow_lookups (order_id, kind, value) VALUES (:order_id, :kind, :value)",
        lookup_rows(order),
    )


def run_raw(path: Path, work: Sequence[Work]) -> None:
    db = sqlite3.connect(path, isolation_level=None, timeout=30.0)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        db.execute(f"PRAGMA {pragma}")
    now, until = _time(T0), _time(T0 + LEASE)
    for order, changed, first, second, record in work:
        db.execute("BEGIN IMMEDIATE")
        row = _row(order)
        db.execute(
            f"INSERT INTO orderflow_orders (id, number, external_checkout_id, {', '.join(row)}) "
            f"VALUES (?, ?, ?, {', '.join('?' * len(row))})",
            (order.id, order.number, order.external_checkout_id, *row.values()),
        )
        _lookups(db, order)
        _queue(db, first)
        db.execute("COMMIT")

        db.execute("BEGIN")
        found = db.execute(
            "SELECT id, version, document FROM orderflow_orders WHERE id = ?", (order.id,)
        ).fetchone()
        db.execute("COMMIT")
        loaded = loads(found[2])
        assert (loaded.id, loaded.version) == (found[0], found[1])

        db.execute("BEGIN IMMEDIATE")
        row = _row(changed)
        updated = db.execute(
            f"UPDATE orderflow_orders SET {', '.join(f'{k} = ?' for k in row)} "
            "WHERE id = ? AND version = ?",
            (*row.values(), changed.id, loaded.version),
        )
        assert updated.rowcount == 1
        db.execute("DELETE FROM orderflow_lookups WHERE order_id = ?", (changed.id,))
        _lookups(db, changed)
        _queue(db, second)
        db.execute(
            "DELETE FROM orderflow_idempotency WHERE source = ? AND key = ? AND expires_at <= ?",
            (record.source, record.key, _time(record.created_at)),
        )
        db.execute(
            "INSERT INTO orderflow_idempotency VALUES (?, ?, ?, ?, ?, ?)",
            (
                record.source,
                record.key,
                record.request_hash,
                record.order_id,
                _time(record.created_at),
                _time(record.expires_at),
            ),
        )
        db.execute("COMMIT")

        db.execute("BEGIN IMMEDIATE")
        claimed = db.execute(
            "UPDATE orderflow_outbox SET attempts = attempts + 1, lease_until = ? WHERE seq IN "
            "(SELECT seq FROM orderflow_outbox WHERE state = 'pending' AND (lease_until IS NULL"
            " OR lease_until <= ?) AND next_attempt_at <= ? ORDER BY next_attempt_at, seq"
            " LIMIT 2) RETURNING *",
            (until, now, now),
        ).fetchall()
        db.execute("COMMIT")
        for item in sorted(claimed, key=lambda r: (r[8], r[0])):
            db.execute("BEGIN IMMEDIATE")
            db.execute(
                "UPDATE orderflow_outbox SET state = 'delivered', lease_until = NULL, "
                "delivered_at = ? WHERE key = ?",
                (now, item[1]),
            )
            db.execute("COMMIT")
    db.close()


# -- measuring -------------------------------------------------------------------------------------

Run = Callable[[Path, Sequence[Work]], None]


def fresh_database(directory: Path, name: str) -> Path:
    path = directory / f"{name}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(path)
    create_schema(engine)
    engine.dispose()
    return path


def state_of(path: Path) -> list[tuple[object, ...]]:
    """What a batch left: every row of every table but the autoincrement keys and the
    random revision tokens (only whether one was written)."""
    db = sqlite3.connect(path)
    columns = [row[1] for row in db.execute("PRAGMA table_info(orderflow_orders)")]
    kept = ", ".join(name for name in columns if name != "revision")
    rows = [
        *db.execute(f"SELECT {kept}, revision IS NOT NULL FROM orderflow_orders ORDER BY id"),
        *db.execute("SELECT order_id, kind, value FROM orderflow_lookups ORDER BY 1, 2, 3"),
        *db.execute(
            "SELECT key, state, attempts, lease_until, delivered_at FROM orderflow_outbox ORDER BY key"
        ),
        *db.execute("SELECT * FROM orderflow_idempotency ORDER BY key"),
    ]
    db.close()
    return rows


def timed(run: Run, path: Path, work: Sequence[Work]) -> float:
    return seconds(lambda: run(path, work))


def shared_work(_: Path, work: Sequence[Work]) -> None:
    """What both programs do alike, on its own: the document and rows of the added and of
    the saved order, and the order rebuilt from its document."""
    for order, changed, *_rest in work:
        order_columns(order)
        lookup_rows(order)
        loads(dumps(order))
        order_columns(changed)
        lookup_rows(changed)


def dumps_once(_: Path, work: Sequence[Work]) -> None:
    """Taken off the shared time: ``shared_work`` writes a document to read it back."""
    for order, *_rest in work:
        dumps(order)


def versions() -> str:
    names = ("orderflow", "sqlalchemy", "attrs", "cattrs")
    return ", ".join(f"{name} {metadata.version(name)}" for name in names)


PROGRAMS: dict[str, Run] = {
    "orderflow": run_orderflow,
    "orderflow+cache": run_orderflow_cached,
    "raw": run_raw,
    "shared": shared_work,
    "dumps": dumps_once,
}


def check(directory: Path, work: Sequence[Work]) -> bool:
    """Did the store (with and without its cache) and raw code leave the same rows?"""
    left = {}
    for program in ("orderflow", "orderflow+cache", "raw"):
        path = fresh_database(directory, program)
        PROGRAMS[program](path, work[:50])
        left[program] = state_of(path)
    return left["orderflow"] == left["raw"] == left["orderflow+cache"]


def measure(orders: int, repeats: int) -> dict[str, list[float]]:
    """Seconds per order of each program, batch by batch, in alternating order."""
    work = workload(orders)
    seconds: dict[str, list[float]] = {program: [] for program in PROGRAMS}
    with tempfile.TemporaryDirectory(prefix="orderflow-bench-") as name:
        directory = Path(name)
        if not check(directory, work):
            raise RuntimeError("the programs left different rows: no ratio")
        for repeat in range(repeats):
            names = list(PROGRAMS) if repeat % 2 == 0 else list(reversed(PROGRAMS))
            for program in names:
                path = fresh_database(directory, program)
                seconds[program].append(timed(PROGRAMS[program], path, work) / orders)
    return seconds


def ratios(seconds: dict[str, list[float]]) -> tuple[float, float, float]:
    """(own-cost ratio, shipped store over raw, shared seconds per order)."""
    median = {program: statistics.median(values) for program, values in seconds.items()}
    shared = median["shared"] - median["dumps"]
    own = (median["orderflow"] - shared) / (median["raw"] - shared)
    return own, median["orderflow+cache"] / median["raw"], shared


def figures(quick: bool) -> list[Figure]:
    orders, repeats = (60, 3) if quick else (300, 7)
    seconds = measure(orders, repeats)
    own, cached, shared = ratios(seconds)
    median = {program: statistics.median(values) * 1e6 for program, values in seconds.items()}
    return [
        Figure(
            "SQL: SQLite store / raw sqlite3, own cost",
            own,
            target=GOAL,
            stretch=STRETCH,
            detail=(
                f"add, get, save, claim 2, deliver 2 per order; {orders} orders x {repeats} "
                f"alternating batches; medians {median['orderflow']:.0f} vs {median['raw']:.0f} "
                f"µs/order, less {shared * 1e6:.0f} µs of shared work (document and rows "
                "built twice, order rebuilt once) on each side; same rows left (checked)"
            ),
        ),
        Figure(
            "SQL: SQLite store as shipped / raw sqlite3",
            cached,
            detail=(
                f"whole times, the store reusing the order it saved: "
                f"{median['orderflow+cache']:.0f} vs {median['raw']:.0f} µs/order"
            ),
        ),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=300, help="per batch (default 300)")
    parser.add_argument("--repeats", type=int, default=7, help="timed batches each (default 7)")
    args = parser.parse_args(argv)
    if args.orders < 1 or args.repeats < 1:
        parser.error("--orders and --repeats must be at least 1")

    print("orderflow SQL ratio (design brief §11): SqlRepository on SQLite vs raw sqlite3")
    print(
        "per order: add (+1 item) -> get -> save (version check, +1 item, +record) -> claim 2, deliver 2"
    )
    cpu = platform.processor() or platform.machine()
    print(f"machine:   {platform.platform()}, {os.cpu_count()} CPUs ({cpu})")
    print(f"python:    {platform.python_implementation()} {platform.python_version()}")
    print(f"versions:  {versions()}, SQLite {sqlite3.sqlite_version}")
    print(
        f"run:       {args.orders} orders per batch, {args.repeats} repeats, alternating; WAL, synchronous=NORMAL"
    )
    try:
        seconds = measure(args.orders, args.repeats)
    except RuntimeError as error:
        print(f"check:     {error}", file=sys.stderr)
        return 1
    print("check:     the store (with and without its cache) and raw code left the same rows")

    print("\nper order           median       min       max")
    for program, values in seconds.items():
        print(
            f"  {program:<15} {statistics.median(values) * 1e6:9.1f} µs "
            f"{min(values) * 1e6:9.1f} {max(values) * 1e6:9.1f}"
        )
    own, cached, shared = ratios(seconds)
    verdict = "met" if own <= GOAL else "NOT met"
    print(
        f"\nshared work (excluded from both sides): {shared * 1e6:.1f} µs per order: the document"
        " and rows built for the add and the save, the order rebuilt from its document once"
    )
    print(
        f"ratio orderflow/raw, own cost: {own:.2f}x; goal: at most {GOAL:g}x "
        f"(stretch {STRETCH:g}x): {verdict}"
    )
    print(f"store as shipped (reusing the order it saved) / raw, whole times: {cached:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
