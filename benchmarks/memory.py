"""Memory per order: what a loaded order holds in memory, and what it takes to store.

    python -m benchmarks.memory [--quick]

From the committed documents of ``benchmarks/data/orders.jsonl.gz`` (see
``benchmarks/loading.py``):

- **bytes per loaded order**: tracemalloc's traced memory after loading every document with
  ``orderflow.serialization.loads`` and keeping the orders, less before, per order; beside
  it, the same for ``json.loads`` keeping the dicts (what the orders replace);
- **stored bytes per order on SQLite**: the database file's growth per order after adding
  the orders with ``SqlRepository.add`` (rows, lookups and indexes; WAL checkpointed); the
  JSON document's own size is reported by ``benchmarks/loading.py``.

Reported for the record, with no target: design brief §11 sets none.
"""

from __future__ import annotations

import gc
import json
import sqlite3
import sys
import tempfile
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.loading import documents
from benchmarks.report import Figure, main
from orderflow.adapters.sql import SqlRepository
from orderflow.serialization import loads

TITLE = "orderflow memory per order: loaded and stored"


def traced_bytes(load: Callable[[str], Any], texts: Sequence[str]) -> float:
    """Memory still allocated after keeping ``load(text)`` of every text, per text."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = [load(text) for text in texts]
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del kept
    return (after - before) / len(texts)


def sqlite_bytes(texts: Sequence[str]) -> float:
    with tempfile.TemporaryDirectory(prefix="orderflow-bench-") as directory:
        path = Path(directory, "shop.sqlite3")
        store = SqlRepository.from_url(path, create=True)
        empty = _size(path)
        for text in texts:
            store.add(loads(text))
        store.engine.dispose()
        return (_size(path) - empty) / len(texts)


def _size(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        return int(pages * db.execute("PRAGMA page_size").fetchone()[0])
    finally:
        db.close()


def figures(quick: bool = False) -> list[Figure]:
    texts = documents()[: 400 if quick else 2000]
    stored = texts[:300] if quick else texts[:1000]
    loaded, parsed = traced_bytes(loads, texts), traced_bytes(json.loads, texts)
    return [
        Figure(
            "memory: bytes per loaded order",
            loaded,
            unit=" B",
            detail=(
                f"tracemalloc, {len(texts):,} orders kept; json.loads' dicts of the same "
                f"documents: {parsed:,.0f} B ({loaded / parsed:.2f}x)"
            ),
        ),
        Figure(
            "memory: SQLite bytes per stored order",
            sqlite_bytes(stored),
            unit=" B",
            detail=f"database file growth per order, {len(stored):,} orders added one by one",
        ),
    ]


if __name__ == "__main__":
    sys.exit(main(TITLE, figures, sys.argv[1:] if len(sys.argv) > 1 else None))
