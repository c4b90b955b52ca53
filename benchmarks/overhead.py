"""The overhead budget (design brief §11): each command's in-memory work as a share of the
same command through OrderFlow on SQLite.

    python -m benchmarks.overhead [--quick]

Both programs take a batch of N one-line orders through the six commands of
``benchmarks/commands.py`` (place, record_payment, capture+dispatch, fulfill, carrier event,
archive) through ``OrderFlow`` with no event publisher and a gateway that only answers
(``benchmarks/gateway.py``, as the lifecycle benchmark's: a gateway's own work is not
orderflow's):

- **SQLite**: ``SqlRepository`` on a fresh database file per batch (``make_engine``: WAL,
  ``synchronous=NORMAL``), made before the clock starts;
- **in memory**: ``InMemoryRepository``, which keeps the order objects in dicts, so the
  command's time is the domain's and the service's work alone (load, authorize, decide,
  apply the policies, build the outbox items, save).

Batches alternate; the figure per command is the in-memory median over the SQLite median:
the share of the SQLite command's time that is orderflow's in-memory work rather than the
store (SQL, serialization to and from the stored document, the driver, the disk). Goal: at
most 20% (0.20) per command, so that the library is never what a user waits for.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from benchmarks import commands
from benchmarks.report import Figure, main
from benchmarks.timing import alternate, median, micros, paired, ratio
from orderflow.adapters.sql import SqlRepository

GOAL = 0.20
TITLE = "orderflow overhead budget: in-memory work / the same command on SQLite (§11)"


def on_memory(orders: int) -> dict[str, float]:
    return commands.run(commands.new_flow(), commands.drafts(orders))


def on_sqlite(orders: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="orderflow-bench-") as directory:
        store = SqlRepository.from_url(Path(directory, "shop.sqlite3"), create=True)
        try:
            return commands.run(commands.new_flow(repository=store), commands.drafts(orders))
        finally:
            store.engine.dispose()


def figures(quick: bool = False) -> list[Figure]:
    orders, repeats = (40, 3) if quick else (100, 5)
    on_memory(10), on_sqlite(10)  # warm up: imports, compiled statements, caches
    samples = alternate(
        {"memory": lambda: on_memory(orders), "sqlite": lambda: on_sqlite(orders)}, repeats
    )
    memory, sqlite = samples["memory"], samples["sqlite"]
    found = []
    for command in commands.COMMANDS:
        share = ratio(memory[command], sqlite[command])
        found.append(
            Figure(
                f"overhead: {command}",
                share * 100,
                unit="%",
                target=GOAL * 100,
                detail=(
                    f"in memory {micros(median(memory[command]))} / SQLite "
                    f"{micros(median(sqlite[command]))} per order (pairs: "
                    f"{paired(memory[command], sqlite[command]):.0%}); {orders} orders x "
                    f"{repeats} alternating batches"
                ),
            )
        )
    return found


if __name__ == "__main__":
    sys.exit(main(TITLE, figures, sys.argv[1:] if len(sys.argv) > 1 else None))
