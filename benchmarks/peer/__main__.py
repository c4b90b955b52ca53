"""The peer benchmark (design brief §11): django-oscar 4.2.1's order lifecycle against
orderflow's same steps on SQLite, in alternating batches of one run.

    python -m benchmarks.peer [--quick] [--orders N] [--repeats R] [--profile] [--json]

Per order on both sides: checkout (place a 3-line order, record its payment), ship two
lines, ship the third, complete. Both run a batch first and are checked to end complete,
shipped and paid; then batches alternate on fresh SQLite files (WAL, synchronous=NORMAL)
made before the clock starts, and the medians are compared. A report: exits 0 whether or
not the goal is met (2 when a side does not reach the end state).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks.timing import seconds

GOAL = 20.0
"""orderflow must be at least this many times faster than django-oscar (design brief §11)."""
SETTINGS = "benchmarks.peer.oscar_settings"


def start_django(database: Path, *, migrations: bool) -> ModuleType:
    """Configure Django for Oscar once in this process; the Oscar side's module."""
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    os.environ["ORDERFLOW_PEER_DB"] = str(database)
    os.environ["ORDERFLOW_PEER_MIGRATIONS"] = "1" if migrations else "0"
    import django
    from django.db.backends.signals import connection_created

    def wal(sender: Any, connection: Any, **kwargs: Any) -> None:
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")

    connection_created.connect(wal, weak=False)  # a local function: keep it alive
    django.setup()
    from benchmarks.peer import oscar_side

    return oscar_side


def timed(prepare: Callable[[], Any], run: Callable[[Any], Any], *, keep_gc: bool) -> float:
    """Seconds ``run(prepare())`` takes, the preparation (a fresh store) not counted; the
    garbage collector off while timing, as ``timeit`` does, unless ``keep_gc``."""
    target = prepare()
    return seconds(lambda: run(target), keep_gc=keep_gc)


def versions() -> dict[str, str]:
    names = ("orderflow", "django-oscar", "Django", "SQLAlchemy")
    found = {name: metadata.version(name) for name in names}
    found["SQLite"] = sqlite3.sqlite_version
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 orders per batch, 3 repeats")
    parser.add_argument("--orders", type=int, help="lifecycles per batch (default 60)")
    parser.add_argument("--repeats", type=int, help="timed batches per side (default 7)")
    parser.add_argument("--gc", action="store_true", help="keep the garbage collector on")
    parser.add_argument(
        "--migrations",
        action="store_true",
        help="build Oscar's tables with its migrations (about 30 s) rather than its models",
    )
    parser.add_argument(
        "--autocommit",
        action="store_true",
        help="Oscar's requests in Django's autocommit, not one transaction each",
    )
    parser.add_argument(
        "--profile", action="store_true", help="then cProfile's top 20 of an orderflow batch"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    args = parser.parse_args(argv)
    orders = args.orders or (10 if args.quick else 60)
    repeats = args.repeats or (3 if args.quick else 7)
    if orders < 1 or repeats < 1:
        parser.error("--orders and --repeats must be at least 1")
    say = (lambda *a: None) if args.json else print

    from benchmarks.peer import orderflow_side

    with tempfile.TemporaryDirectory(prefix="orderflow-peer-") as name:
        directory = Path(name)
        template = directory / "oscar-template.sqlite3"
        oscar = start_django(directory / "oscar-boot.sqlite3", migrations=args.migrations)
        oscar.ATOMIC_REQUESTS = not args.autocommit
        began = time.perf_counter()
        oscar.build_template(template, migrations=args.migrations)
        built = time.perf_counter() - began
        say("peer benchmark (design brief §11): django-oscar against orderflow on SQLite")
        say(
            "lifecycle: checkout (place a 3-line order, record its payment) -> ship 2 lines "
            "-> ship the 3rd -> complete"
        )
        cpu = platform.processor() or platform.machine()
        say(f"machine:   {platform.platform()}, {os.cpu_count()} CPUs ({cpu})")
        say(f"python:    {platform.python_implementation()} {platform.python_version()}")
        say(f"versions:  {', '.join(f'{k} {v}' for k, v in versions().items())}")
        say(
            f"oscar:     tables from its {'migrations' if args.migrations else 'models'} "
            f"and fixtures in {built:.1f} s, copied for every batch; DEBUG off; "
            f"{'autocommit' if args.autocommit else 'one transaction per request'}"
        )
        say(
            f"run:       {orders} lifecycles per batch, {repeats} repeats, batches "
            f"alternating (oscar first on even repeats); gc "
            f"{'on' if args.gc else 'off while timing'}"
        )

        counter = iter(range(10**9))

        def fresh(prefix: str) -> Path:
            return directory / f"{prefix}-{next(counter)}.sqlite3"

        # -- the check: both sides reach the end state, and how many statements they send
        checkouts = [orderflow_side.checkout_data(i) for i in range(orders)]
        baskets = oscar.new_shop(template, fresh("oscar"), min(orders, 5))
        with oscar.counting() as oscar_sql:
            oscar_ids = oscar.run(baskets)
        problems = oscar.check(oscar_ids)
        durability = {"oscar": oscar.pragmas()}
        with orderflow_side.counting(fresh("orderflow")) as (harness, orderflow_sql, pragmas):
            orderflow_ids = orderflow_side.run(harness, checkouts[: len(baskets)])
            sent, commits = orderflow_side.tally(orderflow_sql)  # before check's reads
            problems += orderflow_side.check(harness, orderflow_ids)
        durability["orderflow"] = pragmas
        problems += [
            f"{side}'s SQLite is in journal mode {journal!r}, synchronous={level}: "
            "not WAL and NORMAL (1)"
            for side, (journal, level) in durability.items()
            if (journal.lower(), level) != ("wal", 1)
        ]
        if problems:
            print("a side did not reach the end state:\n" + "\n".join(problems), file=sys.stderr)
            return 2
        statements = {
            "oscar": len(oscar_sql) / len(baskets),
            "orderflow": sent / len(baskets),
        }
        say(
            f"check:     {len(baskets)} orders each: oscar Complete, 2 shipping events, every "
            f"line shipped, Settled payment; orderflow fulfilled (2 fulfillments), paid, "
            f"archived, outbox delivered; both on SQLite WAL, synchronous=NORMAL; SQL "
            f"statements per lifecycle: oscar "
            f"{statements['oscar']:.0f}, orderflow {statements['orderflow']:.0f} "
            f"({commits / len(baskets):.0f} commits)"
        )

        # -- timing
        programs: dict[str, tuple[Callable[[], Any], Callable[[Any], Any]]] = {
            "oscar": (
                lambda: oscar.new_shop(template, fresh("oscar"), orders),
                oscar.run,
            ),
            "orderflow": (
                lambda: orderflow_side.new_shop(fresh("orderflow")),
                lambda harness: orderflow_side.run(harness, checkouts),
            ),
        }
        seconds: dict[str, list[float]] = {name: [] for name in programs}
        for repeat in range(repeats):
            names = list(programs) if repeat % 2 == 0 else list(reversed(programs))
            for name in names:
                prepare, run = programs[name]
                seconds[name].append(timed(prepare, run, keep_gc=args.gc) / orders)

        medians = {name: statistics.median(values) for name, values in seconds.items()}
        ratio = medians["oscar"] / medians["orderflow"]
        paired = statistics.median(
            o / f for o, f in zip(seconds["oscar"], seconds["orderflow"], strict=True)
        )
        say("\nper lifecycle       median       min       max")
        for name, values in seconds.items():
            say(
                f"  {name:<12} {medians[name] * 1e3:9.2f} ms "
                f"{min(values) * 1e3:9.2f} {max(values) * 1e3:9.2f}"
            )
        verdict = "met" if ratio >= GOAL else "NOT met"
        say(
            f"\nratio oscar/orderflow: orderflow {ratio:.2f}x faster (median of batch pairs: "
            f"{paired:.2f}x); goal: at least {GOAL:g}x: {verdict}"
        )
        if args.json:
            print(
                json.dumps(
                    {
                        "ratio": ratio,
                        "paired": paired,
                        "goal": GOAL,
                        "orders": orders,
                        "repeats": repeats,
                        "median_seconds": medians,
                        "statements": statements,
                        "versions": versions(),
                    }
                )
            )
        if args.profile:
            profile(orderflow_side, fresh("orderflow"), checkouts)
        from django.db import connection

        connection.close()
    return 0


def profile(side: ModuleType, path: Path, checkouts: Sequence[Any], top: int = 20) -> None:
    harness = side.new_shop(path)
    profiler = cProfile.Profile()
    profiler.enable()
    side.run(harness, checkouts)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout).strip_dirs()
    print(f"\ncProfile of one orderflow batch ({len(checkouts)} lifecycles), by cumulative time:")
    stats.sort_stats("cumulative").print_stats(top)
    print("cProfile of the same batch, by own time (tottime):")
    stats.sort_stats("tottime").print_stats(top)


if __name__ == "__main__":
    sys.exit(main())
