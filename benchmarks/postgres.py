"""The SQL ratio on PostgreSQL (design brief §11): SqlRepository against hand-written
``psycopg`` code doing the same reads and writes, in the same run, each on its own cost.

    python -m benchmarks.postgres [--orders N] [--repeats R]
    python benchmarks/postgres.py ...

The workload is :mod:`benchmarks.sql`'s: per order, **add** it with one outbox item, **get**
it back, **save** a change at the expected version with a second item and an idempotency
record, **claim** the two due items and **mark them delivered** (13 statements, 5
transactions on each side). The server is ``ORDERFLOW_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``, as the test suite finds it); each
side works in a schema of its own, emptied before each batch and dropped at the end.
Both sides write the same rows (checked first, revision tokens aside: each is random).

**What both sides share is excluded**: building the document and rows from the order
(twice per order) and rebuilding the order from its document (once) are timed on their
own and taken off both medians; the store runs without its cache of loaded orders, so it
rebuilds the order as the raw side does. Goal: at most 1.25x. ``figures()`` raises
:class:`~benchmarks.report.Skipped` when no server answers.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import statistics
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

try:
    from benchmarks.report import Figure, Skipped
    from benchmarks.sql import LEASE, T0, Work, shared_work, timed, workload
except ImportError:  # run as a script: python benchmarks/postgres.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks.report import Figure, Skipped
    from benchmarks.sql import LEASE, T0, Work, shared_work, timed, workload

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from orderflow.adapters.sql import SqlRepository, create_schema, make_engine
from orderflow.adapters.sql.rows import lookup_rows, order_columns
from orderflow.adapters.sql.schema import metadata as tables
from orderflow.domain.order import Order
from orderflow.ports.outbox import OutboxItem
from orderflow.serialization import dumps, loads

GOAL = 1.25
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def server_url() -> URL:
    return make_url(os.environ.get("ORDERFLOW_POSTGRES_URL", DEFAULT_URL))


def libpq(url: URL) -> str:
    """The URL as psycopg takes it (no SQLAlchemy driver name)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


# -- orderflow ------------------------------------------------------------------------------


def run_orderflow(url: URL, work: Sequence[Work]) -> None:
    store = SqlRepository(make_engine(url), keep=0)
    for order, changed, first, second, record in work:
        store.add(order, outbox=[first])
        loaded = store.get(order.id)
        store.save(changed, expected_version=loaded.version, outbox=[second], idempotency=record)
        for delivery in store.claim(T0, limit=2, lease=LEASE):
            store.mark_delivered(delivery.item.key, T0)
    store.engine.dispose()


# -- raw psycopg ------------------------------------------------------------------------------


def _row(order: Order) -> dict[str, object]:
    return {**order_columns(order), "revision": secrets.token_hex(16)}


def _queue(cursor: Any, item: OutboxItem) -> None:
    cursor.execute(
        "INSERT INTO orderflow_outbox (key, order_id, topic, payload, created_at, state, attempts,"
        " next_attempt_at) VALUES (%s, %s, %s, %s, %s, 'pending', 0, %s)",
        (item.key, item.order_id, item.topic, item.payload, item.created_at, item.created_at),
    )


def _lookups(cursor: Any, order: Order) -> None:
    cursor.executemany(
        "INSERT INTO orderflow_lookups (order_id, kind, value) "
        "VALUES (%(order_id)s, %(kind)s, %(value)s)",
        lookup_rows(order),
    )


def run_raw(url: URL, work: Sequence[Work]) -> None:
    import psycopg

    db = psycopg.connect(libpq(url))
    cursor = db.cursor()
    until = T0 + LEASE
    for order, changed, first, second, record in work:
        row = _row(order)
        cursor.execute(
            f"INSERT INTO orderflow_orders (id, number, external_checkout_id, {', '.join(row)}) "
            f"VALUES (%s, %s, %s, {', '.join(['%s'] * len(row))})",
            (order.id, order.number, order.external_checkout_id, *row.values()),
        )
        _lookups(cursor, order)
        _queue(cursor, first)
        db.commit()

        cursor.execute(
            "SELECT id, version, document, revision FROM orderflow_orders WHERE id = %s",
            (order.id,),
        )
        found = cursor.fetchone()
        db.rollback()
        assert found is not None
        loaded = loads(found[2])
        assert (loaded.id, loaded.version) == (found[0], found[1])

        row = _row(changed)
        cursor.execute(
            f"UPDATE orderflow_orders SET {', '.join(f'{k} = %s' for k in row)} "
            "WHERE id = %s AND version = %s",
            (*row.values(), changed.id, loaded.version),
        )
        assert cursor.rowcount == 1
        cursor.execute("DELETE FROM orderflow_lookups WHERE order_id = %s", (changed.id,))
        _lookups(cursor, changed)
        _queue(cursor, second)
        cursor.execute(
            "DELETE FROM orderflow_idempotency WHERE source = %s AND key = %s AND expires_at <= %s",
            (record.source, record.key, record.created_at),
        )
        cursor.execute(
            "INSERT INTO orderflow_idempotency VALUES (%s, %s, %s, %s, %s, %s)",
            (
                record.source,
                record.key,
                record.request_hash,
                record.order_id,
                record.created_at,
                record.expires_at,
            ),
        )
        db.commit()

        cursor.execute(
            "UPDATE orderflow_outbox SET attempts = attempts + 1, lease_until = %s WHERE seq IN "
            "(SELECT seq FROM orderflow_outbox WHERE state = 'pending' AND (lease_until IS NULL"
            " OR lease_until <= %s) AND next_attempt_at <= %s ORDER BY next_attempt_at, seq"
            " LIMIT 2 FOR UPDATE SKIP LOCKED) RETURNING seq, key, next_attempt_at",
            (until, T0, T0),
        )
        claimed = cursor.fetchall()
        db.commit()
        for _, key, _ in sorted(claimed, key=lambda r: (r[2], r[0])):
            cursor.execute(
                "UPDATE orderflow_outbox SET state = 'delivered', lease_until = NULL, "
                "delivered_at = %s WHERE key = %s",
                (T0, key),
            )
            db.commit()
    db.close()


# -- measuring --------------------------------------------------------------------------------

Run = Callable[[URL, Sequence[Work]], None]


@contextmanager
def schemas(names: Sequence[str]) -> Iterator[dict[str, URL]]:
    """A new schema with orderflow's tables for each name, dropped at the end."""
    server = server_url()
    admin = make_engine(server, connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        admin.dispose()
        raise Skipped(
            f"no PostgreSQL server answers at {server.render_as_string()} ({error}): start "
            "one or set ORDERFLOW_POSTGRES_URL"
        ) from None
    made = {name: f"orderflow_bench_{name}_{uuid.uuid4().hex[:8]}" for name in names}
    urls = {}
    try:
        for name, schema in made.items():
            with admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            urls[name] = server.update_query_dict({"options": f"-csearch_path={schema}"})
            engine = make_engine(urls[name])
            create_schema(engine)
            engine.dispose()
        yield urls
    finally:
        with admin.begin() as connection:
            for schema in made.values():
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def empty(url: URL) -> None:
    names = ", ".join(t.name for t in tables.sorted_tables if t.name != "orderflow_schema")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))
    engine.dispose()


def state_of(url: URL) -> list[tuple[object, ...]]:
    """Every row of every table but the autoincrement keys and the random revision tokens."""
    columns = [c.name for c in tables.tables["orderflow_orders"].columns if c.name != "revision"]
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = [
            *connection.execute(
                text(
                    f"SELECT {', '.join(columns)}, revision IS NOT NULL "
                    "FROM orderflow_orders ORDER BY id"
                )
            ),
            *connection.execute(
                text("SELECT order_id, kind, value FROM orderflow_lookups ORDER BY 1, 2, 3")
            ),
            *connection.execute(
                text(
                    "SELECT key, state, attempts, lease_until, delivered_at "
                    "FROM orderflow_outbox ORDER BY key"
                )
            ),
            *connection.execute(text("SELECT * FROM orderflow_idempotency ORDER BY key")),
        ]
    engine.dispose()
    return [tuple(row) for row in rows]


def measure(orders: int, repeats: int) -> dict[str, list[float]]:
    work = workload(orders)
    programs: dict[str, Run] = {"orderflow": run_orderflow, "raw": run_raw}
    seconds: dict[str, list[float]] = {name: [] for name in (*programs, "shared", "dumps")}
    with schemas(list(programs)) as urls:
        for name, run in programs.items():
            run(urls[name], work[:20])
        if state_of(urls["orderflow"]) != state_of(urls["raw"]):
            raise RuntimeError("the programs left different rows: no ratio")
        for repeat in range(repeats):
            names = list(programs) if repeat % 2 == 0 else list(reversed(programs))
            for name in names:
                empty(urls[name])
                seconds[name].append(
                    timed(
                        lambda _, w, run=programs[name], url=urls[name]: run(url, w), Path(), work
                    )
                    / orders
                )
            seconds["shared"].append(timed(shared_work, Path(), work) / orders)
            seconds["dumps"].append(timed(_dumps, Path(), work) / orders)
    return seconds


def _dumps(_: Path, work: Sequence[Work]) -> None:
    for order, *_rest in work:
        dumps(order)


def ratio(seconds: dict[str, list[float]]) -> tuple[float, float]:
    median = {name: statistics.median(values) for name, values in seconds.items()}
    shared = median["shared"] - median["dumps"]
    return (median["orderflow"] - shared) / (median["raw"] - shared), shared


def figures(quick: bool) -> list[Figure]:
    orders, repeats = (40, 3) if quick else (200, 7)
    seconds = measure(orders, repeats)
    own, shared = ratio(seconds)
    median = {name: statistics.median(values) * 1e6 for name, values in seconds.items()}
    return [
        Figure(
            "SQL: PostgreSQL store / raw psycopg, own cost",
            own,
            target=GOAL,
            detail=(
                f"add, get, save, claim 2, deliver 2 per order; {orders} orders x {repeats} "
                f"alternating batches; medians {median['orderflow']:.0f} vs {median['raw']:.0f} "
                f"µs/order, less {shared * 1e6:.0f} µs of shared work (document and rows "
                "built twice, order rebuilt once) on each side; same rows left (checked)"
            ),
        )
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=200, help="per batch (default 200)")
    parser.add_argument("--repeats", type=int, default=7, help="timed batches each (default 7)")
    args = parser.parse_args(argv)
    if args.orders < 1 or args.repeats < 1:
        parser.error("--orders and --repeats must be at least 1")
    print("orderflow SQL ratio (design brief §11): SqlRepository on PostgreSQL vs raw psycopg")
    print(f"server:    {server_url().render_as_string()}")
    print(f"machine:   {platform.platform()}, {os.cpu_count()} CPUs")
    print(f"python:    {platform.python_implementation()} {platform.python_version()}")
    names = ("orderflow", "sqlalchemy", "psycopg")
    print("versions:  " + ", ".join(f"{n} {metadata.version(n)}" for n in names))
    try:
        seconds = measure(args.orders, args.repeats)
    except Skipped as skipped:
        print(f"skipped:   {skipped}")
        return 0
    except RuntimeError as error:
        print(f"check:     {error}", file=sys.stderr)
        return 1
    print("check:     both programs left the same rows in every table (20 orders)")
    print("\nper order           median       min       max")
    for name, values in seconds.items():
        print(
            f"  {name:<12} {statistics.median(values) * 1e6:9.1f} µs "
            f"{min(values) * 1e6:9.1f} {max(values) * 1e6:9.1f}"
        )
    own, shared = ratio(seconds)
    verdict = "met" if own <= GOAL else "NOT met"
    print(
        f"\nshared work (excluded from both sides): {shared * 1e6:.1f} µs per order: the document"
        " and rows built for the add and the save, the order rebuilt from its document once"
    )
    print(f"ratio orderflow/raw, own cost: {own:.2f}x; goal: at most {GOAL:g}x: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
