"""Run every benchmark of design brief §11 and print each figure against its target.

    python -m benchmarks [--quick] [--only NAME ...]

From the repository root, with the dev extras installed. Each module's ``figures(quick)``
runs in turn (see ``benchmarks/report.py``); its table is printed as it finishes, then a
summary of every figure, met or NOT met, and the total time. A module that cannot run here
(no PostgreSQL server, the peer's own requirements missing) says why and is left out. The
run is a report: it exits 0 whether or not the goals are met, and 1 only when a benchmark
failed with an error (printed).

docs/benchmarks.md describes the method and keeps the latest full run.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from collections.abc import Sequence

from benchmarks.report import Figure, Skipped, environment, table

MODULES = ("lifecycle", "sql", "postgres", "overhead", "scaling", "loading", "memory", "peer")


def run(name: str, quick: bool) -> tuple[str, list[Figure]]:
    """The module's status line ("" when it ran) and its figures."""
    try:
        module = importlib.import_module(f"benchmarks.{name}")
    except ImportError as error:
        return f"not available ({type(error).__name__}: {error})", []
    figures = getattr(module, "figures", None)
    if figures is None:
        return "not available (the module has no figures() yet)", []
    try:
        return "", list(figures(quick))
    except Skipped as skipped:
        return f"skipped: {skipped}", []


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="smaller batches and stores (under a minute)"
    )
    parser.add_argument(
        "--only", nargs="+", choices=MODULES, metavar="NAME", help=", ".join(MODULES)
    )
    args = parser.parse_args(argv)
    chosen = [name for name in MODULES if not args.only or name in args.only]

    print(f"orderflow benchmarks (design brief §11){' --quick' if args.quick else ''}")
    print(environment())
    start = time.perf_counter()
    summary: list[tuple[str, str, list[Figure], float]] = []
    failed = False
    for name in chosen:
        print(f"\n== {name}", flush=True)
        began = time.perf_counter()
        try:
            status, found = run(name, args.quick)
        except Exception:
            traceback.print_exc()
            status, found, failed = "FAILED with an error (traceback above)", [], True
        seconds = time.perf_counter() - began
        print(table(found) if found else status)
        print(f"({seconds:.1f} s)", flush=True)
        summary.append((name, status, found, seconds))

    total = time.perf_counter() - start
    figures = [figure for _, _, found, _ in summary for figure in found]
    missed = [figure for figure in figures if figure.met is False]
    print(f"\n== summary{' (--quick)' if args.quick else ''}")
    for name, status, found, _ in summary:
        if found:
            print("\n".join(figure.line() for figure in found))
        else:
            print(f"  {name:<46} {status}")
    targets = sum(figure.target is not None for figure in figures)
    print(
        f"\n{len(figures)} figures, {targets} with a target: {targets - len(missed)} met, "
        f"{len(missed)} NOT met; {total:.0f} s in all "
        f"({', '.join(f'{name} {seconds:.0f} s' for name, _, _, seconds in summary)})"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
