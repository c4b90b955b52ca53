"""Scaling (design brief §11): the cost of each command as the store fills up and as an
order grows.

    python -m benchmarks.scaling [--quick]

Both measures take batches of new orders through the six commands of
``benchmarks/commands.py`` through ``OrderFlow`` on SQLite (a database file, WAL,
``synchronous=NORMAL``), alternating between the two sides; a figure is one command's median
time per order on the larger side over its median on the smaller one.

- **Stored orders**: 10^5 against 10^3 orders already in the store (``--quick``: 10^4
  against 10^2). A seed of orders is taken through the same six commands by OrderFlow, then
  copied in SQL, table by table, under new ids (every id, key and reference in the rows and
  documents rewritten, order numbers shifted), which fills 10^5 orders in seconds where
  adding them one by one would take minutes. After each timed batch its orders are deleted,
  so every batch meets the store at its nominal size. Goal: at most 1.5x.
- **Lines per order**: orders of 100 lines against orders of 50 lines, each batch on a
  fresh database file. Goal: at most 2.2x (proportional growth is 2x).
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from benchmarks import commands
from benchmarks.report import Figure, main
from benchmarks.timing import alternate, median, micros, paired, ratio
from orderflow.adapters.fakes import SequentialIds
from orderflow.adapters.sql import SqlRepository, make_engine
from orderflow.testing import Harness

STORED_GOAL = 1.5
LINES_GOAL = 2.2
TITLE = "orderflow scaling: per command, 10^5 / 10^3 stored orders and 100 / 50 lines (§11)"
SEED = "seed"
"""Every id, key and reference of the seed orders starts with ``seed-``; copy k's with
``seed{k}-``."""
RUN = "run"
"""The timed batches' ids start with ``run-``."""
NUMBER_SHIFT = 10**7
"""Copy k's order numbers are the seed's plus k times this."""


def seeded_stores(directory: Path, sizes: tuple[int, ...], seed: int) -> dict[int, Path]:
    """A SQLite file per size holding that many orders: ``seed`` orders taken through the six
    commands by OrderFlow once, then copied in SQL up to each size."""
    first = directory / "seed.sqlite3"
    store = SqlRepository.from_url(first, create=True)
    harness = commands.new_flow(repository=store, ids=SequentialIds(SEED))
    commands.run(harness, commands.drafts(seed, prefix=SEED))
    store.engine.dispose()  # the copy switches the journal off: no other connection open
    paths = {}
    for size in sizes:
        paths[size] = directory / f"stored-{size}.sqlite3"
        shutil.copyfile(first, paths[size])
        copy_seed(paths[size], copies=size // seed - 1)
    first.unlink()
    return paths


def copy_seed(path: Path, copies: int) -> None:
    """Copy the seed's rows of every table that holds orders' data ``copies`` times: text
    columns with ``seed-`` rewritten, integers of unique columns (order numbers) shifted,
    integer row keys left to SQLite."""
    db = sqlite3.connect(path, isolation_level=None)
    tables = [
        name
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if name == "orderflow_orders" or _columns(db, name).get("order_id")
    ]
    # Setup, not measured: no journal while copying (the store's WAL is restored after).
    for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-262144"):
        db.execute(f"PRAGMA {pragma}")
    db.execute("BEGIN IMMEDIATE")
    for table in tables:
        columns = _columns(db, table)
        owner = "id" if table == "orderflow_orders" else "order_id"
        unique = _unique_columns(db, table)
        rowid = [c for c, (kind, pk) in columns.items() if pk and kind.upper() == "INTEGER"]
        kept = [c for c in columns if not (len(rowid) == 1 and c == rowid[0])]
        db.execute(
            f"CREATE TEMP TABLE seed_{table} AS SELECT * FROM {table} "
            f"WHERE \"{owner}\" LIKE '{SEED}-%'"
        )
        for k in range(1, copies + 1):
            values = []
            for column in kept:
                kind = columns[column][0].upper()
                if "INT" in kind and column in unique:
                    values.append(f'"{column}" + {k * NUMBER_SHIFT}')
                elif "CHAR" in kind or "TEXT" in kind:
                    values.append(f"replace(\"{column}\", '{SEED}-', '{SEED}{k}-')")
                else:
                    values.append(f'"{column}"')
            names = ", ".join(f'"{c}"' for c in kept)
            db.execute(
                f"INSERT INTO {table} ({names}) SELECT {', '.join(values)} FROM seed_{table}"
            )
    db.execute("COMMIT")
    db.execute("PRAGMA journal_mode=WAL")
    db.close()


def _columns(db: sqlite3.Connection, table: str) -> dict[str, tuple[str, int]]:
    return {row[1]: (row[2], row[5]) for row in db.execute(f"PRAGMA table_info({table})")}


def _unique_columns(db: sqlite3.Connection, table: str) -> set[str]:
    found: set[str] = set()
    for index in db.execute(f"PRAGMA index_list({table})"):
        if index[2]:  # unique
            found.update(row[2] for row in db.execute(f"PRAGMA index_info('{index[1]}')"))
    return found


def count_orders(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return int(db.execute("SELECT count(*) FROM orderflow_orders").fetchone()[0])
    finally:
        db.close()


def forget_batches(path: Path) -> None:
    """Delete the timed batches' orders (ids ``run-...``) and everything that is theirs."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        owner = "id" if table == "orderflow_orders" else "order_id"
        if owner in _columns(db, table):
            db.execute(
                f"DELETE FROM {table} WHERE \"{owner}\" >= '{RUN}-' AND \"{owner}\" < '{RUN}.'"
            )
    db.execute("COMMIT")
    db.close()


def on_store(harness: Harness, path: Path, orders: int) -> Callable[[], dict[str, float]]:
    def batch() -> dict[str, float]:
        try:
            return commands.run(harness, commands.drafts(orders))
        finally:
            forget_batches(path)

    return batch


def on_fresh_file(directory: Path, orders: int, lines: int) -> Callable[[], dict[str, float]]:
    batches = iter(range(1_000_000))

    def batch() -> dict[str, float]:
        path = directory / f"lines-{lines}-{next(batches)}.sqlite3"
        store = SqlRepository.from_url(path, create=True)
        try:
            drafts = commands.drafts(orders, lines=lines)
            return commands.run(commands.new_flow(repository=store), drafts)
        finally:
            store.engine.dispose()
            path.unlink()

    return batch


def compare(
    name: str, large: dict[str, list[float]], small: dict[str, list[float]], goal: float, how: str
) -> list[Figure]:
    return [
        Figure(
            f"{name}: {command}",
            ratio(large[command], small[command]),
            target=goal,
            detail=(
                f"{micros(median(large[command]))} / {micros(median(small[command]))} per "
                f"order (pairs: {paired(large[command], small[command]):.2f}x); {how}"
            ),
        )
        for command in commands.COMMANDS
    ]


def stored_figures(quick: bool) -> list[Figure]:
    small_size, large_size, seed = (100, 10_000, 100) if quick else (1_000, 100_000, 100)
    orders, repeats = (20, 3) if quick else (40, 5)
    with tempfile.TemporaryDirectory(prefix="orderflow-bench-") as directory:
        paths = seeded_stores(Path(directory), (large_size, small_size), seed)
        sizes = {size: count_orders(path) for size, path in paths.items()}
        stores = {size: SqlRepository(make_engine(path)) for size, path in paths.items()}
        try:
            programs = {
                size: on_store(
                    commands.new_flow(repository=store, ids=SequentialIds(RUN)),
                    paths[size],
                    orders,
                )
                for size, store in stores.items()
            }
            for program in programs.values():  # warm up: statements compiled, pages cached
                program()
            samples = alternate({str(size): program for size, program in programs.items()}, repeats)
        finally:
            for store in stores.values():
                store.engine.dispose()
    how = (
        f"{sizes[large_size]:,} against {sizes[small_size]:,} stored orders"
        f"{' (--quick: 10^4 / 10^2)' if quick else ''}; {orders} new orders x {repeats} "
        "alternating batches, deleted after each"
    )
    name = "stored orders 10^4/10^2" if quick else "stored orders 10^5/10^3"
    return compare(name, samples[str(large_size)], samples[str(small_size)], STORED_GOAL, how)


def lines_figures(quick: bool) -> list[Figure]:
    orders, repeats = (10, 3) if quick else (40, 7)
    with tempfile.TemporaryDirectory(prefix="orderflow-bench-") as directory:
        programs = {lines: on_fresh_file(Path(directory), orders, lines) for lines in (100, 50)}
        programs[50]()  # warm up
        samples = alternate({str(lines): p for lines, p in programs.items()}, repeats)
    how = f"{orders} orders x {repeats} alternating batches, each on a fresh SQLite file"
    return compare("lines 100/50", samples["100"], samples["50"], LINES_GOAL, how)


def figures(quick: bool = False) -> list[Figure]:
    return stored_figures(quick) + lines_figures(quick)


if __name__ == "__main__":
    sys.exit(main(TITLE, figures, sys.argv[1:] if len(sys.argv) > 1 else None))
