"""What every benchmark reports: figures with their targets, printed the same way.

Each benchmark module exposes ``figures(quick: bool) -> list[Figure]``; ``python -m
benchmarks`` runs them all and prints one table. A figure is a ratio or a plain quantity
measured in one run; it is met when it is at most its target (or at least it, for a
``floor``). Nothing here times anything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


class Skipped(Exception):
    """Raised by ``figures()`` when a benchmark cannot run here; the message says why and
    what to install or start."""


@dataclass(frozen=True)
class Figure:
    """One measured figure: ``value`` in ``unit`` against ``target`` (and a stretch goal)."""

    name: str
    value: float
    unit: str = "x"
    target: float | None = None
    stretch: float | None = None
    floor: bool = False
    """True when the value must be at least the target (a speed-up), not at most."""
    detail: str = ""
    """How it was measured, in a few words: the two sides, the counts, the medians."""

    def _reaches(self, goal: float) -> bool:
        return self.value >= goal if self.floor else self.value <= goal

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self._reaches(self.target)

    def verdict(self) -> str:
        if self.target is None:
            return "(no target)"
        sign = ">=" if self.floor else "<="
        goal = f"{sign} {_number(self.target)}{self.unit}"
        if self.stretch is not None:
            goal += f" (stretch {_number(self.stretch)}{self.unit})"
        if not self.met:
            return f"{goal}: NOT met"
        stretch = self.stretch is not None and self._reaches(self.stretch)
        return f"{goal}: met" + (", stretch met" if stretch else "")

    def line(self) -> str:
        return f"  {self.name:<46} {_number(self.value):>9}{self.unit:<5} {self.verdict()}"


def _number(value: float) -> str:
    return f"{value:.2f}" if abs(value) < 100 else f"{value:,.0f}"


def table(figures: Sequence[Figure]) -> str:
    """The figures one per line, then their details."""
    lines = [figure.line() for figure in figures]
    details = [f"  {f.name}: {f.detail}" for f in figures if f.detail]
    return "\n".join([*lines, *(["", *details] if details else [])])


VERSIONED = ("orderflow", "attrs", "cattrs", "python-statemachine", "sqlalchemy", "psycopg")


def environment() -> str:
    """Machine, Python and library versions, as every report starts."""
    import os
    import platform
    import sqlite3
    from importlib import metadata

    found = []
    for name in VERSIONED:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    cpu = platform.processor() or platform.machine()
    return "\n".join(
        [
            f"machine:  {platform.platform()}, {os.cpu_count()} CPUs ({cpu})",
            f"python:   {platform.python_implementation()} {platform.python_version()}",
            f"versions: {', '.join(found)}, SQLite {sqlite3.sqlite_version}",
        ]
    )


def main(title: str, figures: Callable[[bool], list[Figure]], argv: Sequence[str] | None) -> int:
    """``python -m benchmarks.NAME [--quick]``: one benchmark alone, with the environment."""
    import argparse

    parser = argparse.ArgumentParser(description=title)
    parser.add_argument("--quick", action="store_true", help="smaller batches, fewer repeats")
    args = parser.parse_args(argv)
    print(title)
    print(environment())
    try:
        found = figures(args.quick)
    except Skipped as skipped:
        print(f"skipped: {skipped}")
        return 0
    print(table(found))
    return 0
