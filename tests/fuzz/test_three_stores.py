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

Inputs the SQL store does not hold yet as the memory store does are kept out by
:data:`KNOWN_SQL_GAPS`, one entry per gap, until the SQL adapter's own work closes them.

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
from hypothesis import HealthCheck, event, given, reject, settings
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


REFERENCES = (("report", "reference"), ("result", "reference"))
"""Where a gateway reference comes in: a payment report, a gateway's answer."""
LOOKED_UP = {
    "find": (("kind",), ("value",)),
    "requeue": (("key",),),
    "run_job": (("key",),),
    "timeline": (("order_id",),),
    "message": (("order_id",),),
    "resend_message": (("order_id",),),
}
"""Strings the SQL store is asked to look up as they are given (no input rule applies)."""


def _any(paths: tuple[tuple[str, ...], ...], test: Callable[[str], bool]) -> Gap:
    return lambda command, arguments: any(
        test(value) for path in paths for value in _strings(arguments, *path)
    )


def _looked_up(test: Callable[[str], bool]) -> Gap:
    return lambda command, arguments: _any(LOOKED_UP.get(command, ()), test)(command, arguments)


def _nul(value: str) -> bool:
    return "\x00" in value


def _surrogate(value: str) -> bool:
    return any("\ud800" <= char <= "\udfff" for char in value)


def _over_200_within_255(value: str) -> bool:
    return 200 < len(value) <= 255


KNOWN_SQL_GAPS: dict[str, Gap] = {
    # PostgreSQL's text holds no NUL: psycopg raises DataError ("PostgreSQL text fields
    # cannot contain NUL (0x00) bytes") on the lookup row; memory and SQLite store it whole.
    # Minimal: record_payment(id, PaymentReport(AUTHORIZATION, 1.00 EUR, reference="\x00")).
    "NUL in a gateway reference (PostgreSQL)": _any(REFERENCES, _nul),
    # Both SQL drivers' UTF-8 encoders raise UnicodeEncodeError on a lone surrogate; memory
    # stores it. Minimal: settle_payment(id, tx, GatewayResult(True, reference="\ud800")).
    "lone surrogate in a gateway reference (SQLite, PostgreSQL)": _any(REFERENCES, _surrogate),
    # orderflow_lookups.value is VARCHAR(200) and a gateway reference has no limit:
    # PostgreSQL raises StringDataRightTruncation; SQLite ignores the length.
    # Minimal: record_payment(id, PaymentReport(AUTHORIZATION, 1.00 EUR, reference="r" * 201)).
    "gateway reference over 200 characters (PostgreSQL)": _any(
        REFERENCES, lambda value: len(value) > 200
    ),
    # The same column, and tracking numbers may have 255 characters:
    # update_tracking(id, f, Tracking(numbers=("t" * 201,))).
    "tracking number of 201 to 255 characters (PostgreSQL)": _any(
        (("tracking", "numbers"),), _over_200_within_255
    ),
    # orderflow_idempotency.key is VARCHAR(200), idempotency keys may have 255 characters:
    # record_payment(id, report, idempotency_key="k" * 201) (every callback taking a key).
    "idempotency key of 201 to 255 characters (PostgreSQL)": _any(
        (("idempotency_key",),), _over_200_within_255
    ),
    # orderflow_orders.external_checkout_id is VARCHAR(200), checkout ids may have 255:
    # place(make_draft(external_checkout_id="c" * 201)).
    "external checkout id of 201 to 255 characters (PostgreSQL)": _any(
        (("draft", "external_checkout_id"),), _over_200_within_255
    ),
    # Looking up a string with NUL: psycopg raises DataError where memory answers "not
    # found". Minimal: find("tracking_number", "\x00"), find("\x00", "x"), requeue("\x00"),
    # run_job("\x00"), timeline("\x00"), message("\x00", key), resend_message("\x00", key).
    "NUL in a string looked up (PostgreSQL)": _looked_up(_nul),
    # Looking up a lone surrogate: UnicodeEncodeError from both drivers where memory
    # answers "not found". Minimal: the same calls with "\ud800".
    "lone surrogate in a string looked up (SQLite, PostgreSQL)": _looked_up(_surrogate),
}
"""Inputs kept out because the SQL store does not yet give the memory store's verdict on
them (the SQL adapter's own work, apart from this suite). Remove an entry once the SQL
store handles what it names; the suite then covers it again."""


def known_sql_gap(command: str, arguments: Example) -> str | None:
    for name, applies in KNOWN_SQL_GAPS.items():
        if applies(command, arguments):
            return name
    return None


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
    if gap := known_sql_gap(case.name, arguments):
        event(f"kept out: {gap}")
        reject()
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
