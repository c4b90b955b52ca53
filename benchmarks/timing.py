"""How every benchmark times: batches of the programs compared, alternating, and medians.

A *program* runs one batch and returns the seconds per item of each of its steps (one step,
or one per command). :func:`alternate` runs the programs' batches in turn, rotating which
goes first from one repeat to the next, so that drift on a shared machine touches them all;
the garbage collector is collected before and off during each batch, as ``timeit`` does.
Only ratios of medians are reported as figures: absolute times depend on the machine.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

Samples = dict[str, list[float]]
"""Step name -> seconds per item, one value per batch."""
Program = Callable[[], Mapping[str, float]]


@contextmanager
def quiet_gc(*, keep: bool = False) -> Iterator[None]:
    """Collect, then keep the collector off for the block (as ``timeit`` does), unless
    ``keep``."""
    gc.collect()
    was_enabled = gc.isenabled()
    if not keep:
        gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def seconds(run: Callable[[], object], *, keep_gc: bool = False) -> float:
    """How long ``run()`` takes, the collector quiet (see :func:`quiet_gc`)."""
    with quiet_gc(keep=keep_gc):
        start = time.perf_counter()
        run()
        return time.perf_counter() - start


class Stopwatch:
    """Times named steps of one batch: ``with watch("place"): ...``; per item at the end."""

    def __init__(self, items: int) -> None:
        self.items = items
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, step: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - start
            self.seconds[step] = self.seconds.get(step, 0.0) + elapsed

    def per_item(self) -> dict[str, float]:
        return {step: seconds / self.items for step, seconds in self.seconds.items()}


def alternate(programs: Mapping[str, Program], repeats: int) -> dict[str, Samples]:
    """Each program's samples, from ``repeats`` rounds of one batch each, in rotating order."""
    names = list(programs)
    samples: dict[str, Samples] = {name: {} for name in names}
    for repeat in range(repeats):
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            with quiet_gc():
                result = programs[name]()
            for step, seconds in result.items():
                samples[name].setdefault(step, []).append(seconds)
    return samples


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def ratio(numerator: Sequence[float], denominator: Sequence[float]) -> float:
    """Median over median: the figure every benchmark reports."""
    return statistics.median(numerator) / statistics.median(denominator)


def paired(numerator: Sequence[float], denominator: Sequence[float]) -> float:
    """Median of the per-round ratios: when it disagrees much with :func:`ratio`, the
    machine was noisy."""
    return statistics.median(n / d for n, d in zip(numerator, denominator, strict=True))


def micros(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f} µs" if seconds >= 1e-4 else f"{seconds * 1e6:.1f} µs"
