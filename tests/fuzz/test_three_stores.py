"""The three-store fuzz suite: every public command of OrderFlow, handed well-typed but
invalid or extreme values, on the memory, SQLite and PostgreSQL stores side by side.

For each example, the same call with the same arguments runs on a flow per store, each on
an order of its own placed for the example (see ``bases.py``), and:

- each call ends in success or an ``OrderflowError`` (a ``TypeError`` only for a value of
  the wrong type);
- the three stores give the same verdict: the same success, or the same exception class;
- on a refusal, the stored order, its version and its outbox deliveries are unchanged;
- on a success, the stores return equal results and hold equal orders (``to_document``)
  and equal outbox items, the order a command returns is the one it stored, and no stored
  string breaks the input rules (docs/reliability.md, "Input at the edge").

The normal test run gives each command 12 examples, derandomized, so it stays quick and
repeatable (the hypothesis profile ``orderflow-fuzz``). To run it long, say how many
examples each command gets; they are then random, and Hypothesis keeps the failures it
finds in ``.hypothesis/`` to replay them first next time::

    ORDERFLOW_FUZZ_EXAMPLES=5000 python -m pytest tests/fuzz --no-cov -p no:cacheprovider

Add ``--hypothesis-show-statistics`` to see, per command, how often each verdict came on
each base order. PostgreSQL is required as in the adapter tests
(``ORDERFLOW_REQUIRE_POSTGRES=1``; ``ORDERFLOW_POSTGRES_URL`` names the server).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from orderflow import Order

from . import bases
from .cases import CASES, VARIANT, Case, notifications
from .hostile import Make, Wrong, build, has_wrong
from .trio import STORES, Trio, Verdict, acceptable, breaks_the_rules, outcome, verdict

EXAMPLES = int(os.environ.get("ORDERFLOW_FUZZ_EXAMPLES", "0"))
"""Examples per command when run long (``0``: the short run)."""

settings.register_profile(
    "orderflow-fuzz",
    max_examples=EXAMPLES or 12,
    derandomize=not EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # the stores live across examples, on purpose
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
)
FUZZ = settings.get_profile("orderflow-fuzz")

Example = Mapping[str, Any]
Gap = Callable[[str, Example], bool]


def _strings(arguments: Example, *path: str) -> list[str]:
    """The strings found at ``path`` in an example's arguments (through the objects built
    from them), e.g. ``_strings(arguments, "report", "reference")``."""
    found: list[Any] = [arguments]
    for name in path:
        found = [
            value.get(name) if isinstance(value, Mapping) else value.arguments.get(name)
            for value in found
            if isinstance(value, (Mapping, Make))
        ]
        found = [value.value if isinstance(value, Wrong) else value for value in found]
    strings = [value for value in found if isinstance(value, str)]
    strings += [item for value in found if isinstance(value, tuple) for item in value]
    return [value for value in strings if isinstance(value, str)]


@pytest.mark.parametrize("case", CASES, ids=str)
@FUZZ
@given(data=st.data())
def test_every_store_gives_the_same_verdict_and_a_refusal_changes_nothing(
    trio: Trio, case: Case, data: st.DataObject
) -> None:
    messages = notifications() if case.notifications else None
    n = trio.start(notifications=messages)
    base = bases.build(data.draw(VARIANT, label="base"), n, notifications=messages)
    trio.add(base)
    arguments = data.draw(case.draw(base), label="arguments")
    wrong_type = has_wrong(arguments)

    built = verdict(lambda: build(arguments))
    if built.error is not None:  # refused while building its arguments: a verdict too
        event(f"refused while building the arguments: {built.name}")
        assert acceptable(built, wrong_type=wrong_type), built
        return

    touched = [base.id, f"c{n}-1"]  # the base, and the order a place would create
    if case.name == "place":
        trio.align_numbers()
    before = trio.snapshots(base.id), trio.snapshots(touched[1])
    verdicts = trio.run(lambda flow: case.call(flow, built.result))

    for store, found in verdicts.items():
        assert acceptable(found, wrong_type=wrong_type), f"{store}: {found!r}"
    assert len({found.name for found in verdicts.values()}) == 1, verdicts
    event(f"verdict on {base.variant}: {verdicts['memory'].name}")

    if verdicts["memory"].error is not None:
        after = trio.snapshots(base.id), trio.snapshots(touched[1])
        for store in STORES:
            assert [b[store] for b in before] == [a[store] for a in after], store
        return

    results = {store: outcome(found.result) for store, found in verdicts.items()}
    assert results["sqlite"] == results["memory"], _differ(verdicts, "sqlite")
    assert results["postgres"] == results["memory"], _differ(verdicts, "postgres")
    result = verdicts["memory"].result
    if isinstance(result, Order) and result.id not in touched:
        touched.append(result.id)
    for order_id in touched:
        held = trio.snapshots(order_id)
        assert held["sqlite"] == held["memory"], order_id
        assert held["postgres"] == held["memory"], order_id
        assert breaks_the_rules(held["memory"].document) == [], order_id
    if isinstance(result, Order):  # what a command returns is what it stored
        assert results["memory"] == trio.snapshots(result.id)["memory"].document


def _differ(verdicts: Mapping[str, Verdict], store: str) -> str:
    return f"{store} returned another result than memory: {verdicts[store]!r}"
