"""The benchmarks are runnable reports: each module ``python -m benchmarks`` runs exposes
``figures``, and the committed documents they load are ones this orderflow reads.

Nothing here times anything (docs/benchmarks.md): the benchmarks themselves are not run.
"""

from __future__ import annotations

import gzip
import importlib
import json
import subprocess
import sys
from itertools import islice
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the benchmarks package lives beside src/, not in it

from benchmarks.__main__ import MODULES  # noqa: E402
from benchmarks.report import Figure  # noqa: E402

OURS = ("lifecycle", "overhead", "scaling", "loading", "memory")


@pytest.mark.parametrize("name", OURS)
def test_each_benchmark_module_exposes_figures(name: str) -> None:
    module = importlib.import_module(f"benchmarks.{name}")

    assert callable(module.figures)
    assert name in MODULES


def test_a_figure_says_whether_it_meets_its_target() -> None:
    assert (
        Figure("ratio", 3.2, target=4.0, stretch=3.0).verdict() == "<= 4.00x (stretch 3.00x): met"
    )
    assert Figure("built", 1, unit="", target=0).verdict() == "<= 0.00: NOT met"
    assert Figure("bytes", 5000, unit=" B").met is None


def test_the_committed_documents_are_varied_orders_this_orderflow_loads() -> None:
    from orderflow.serialization import loads

    with gzip.open(ROOT / "benchmarks" / "data" / "orders.jsonl.gz", "rt") as lines:
        texts = list(islice(lines, 50))

    orders = [loads(text) for text in texts]
    assert len({order.id for order in orders}) == 50
    assert {len(order.line_items) for order in orders} != {1}
    assert any(order.fulfillments for order in orders)
    assert all(json.loads(text)["schema_version"] >= 1 for text in texts)


def test_the_lifecycle_benchmark_runs_as_a_script_as_the_docs_say() -> None:
    # ``python benchmarks/lifecycle.py`` puts benchmarks/ on sys.path, not the repository
    # root: every import of its siblings must work from there too (a tiny run, untimed)
    done = subprocess.run(
        [sys.executable, "benchmarks/lifecycle.py", "--lifecycles", "3", "--repeats", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert "ratio orderflow/baseline" in done.stdout
