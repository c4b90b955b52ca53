"""The peer benchmark: django-oscar 4.2.1's order lifecycle against orderflow's same steps
on SQLite, in one run (design brief §11; README.md here says what is compared).

It needs its own requirements (``pip install -r benchmarks/peer/requirements.txt``) and
runs in a subprocess, ``python -m benchmarks.peer --json``, because Django configures
process-wide settings: importing this package imports neither Django nor Oscar.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks.report import Figure, Skipped

ROOT = Path(__file__).resolve().parents[2]
INSTALL = "pip install -r benchmarks/peer/requirements.txt"


def figures(quick: bool) -> list[Figure]:
    """orderflow's speed-up over django-oscar per lifecycle (goal: at least 20x)."""
    if any(importlib.util.find_spec(name) is None for name in ("django", "oscar")):
        raise Skipped(INSTALL)
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.peer", "--json", *(["--quick"] if quick else [])],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"python -m benchmarks.peer failed:\n{done.stderr.strip()}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    medians, statements = result["median_seconds"], result["statements"]
    return [
        Figure(
            "peer: orderflow faster than django-oscar",
            result["ratio"],
            unit="x",
            target=result["goal"],
            floor=True,
            detail=(
                f"django-oscar {result['versions']['django-oscar']} "
                f"{medians['oscar'] * 1e3:.1f} ms against orderflow "
                f"{medians['orderflow'] * 1e3:.2f} ms per lifecycle on SQLite (WAL, "
                f"synchronous=NORMAL; {statements['oscar']:.0f} and "
                f"{statements['orderflow']:.0f} SQL statements), medians of "
                f"{result['repeats']} alternating batches of {result['orders']} orders; "
                f"median of batch pairs {result['paired']:.2f}x"
            ),
        )
    ]
