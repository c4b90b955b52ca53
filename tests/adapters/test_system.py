"""The production defaults: the wall clock in UTC and random unique ids."""

from __future__ import annotations

from datetime import timedelta, timezone

from orderflow.adapters.system import SystemClock, UuidIds


def test_the_system_clock_tells_aware_utc_time() -> None:
    now = SystemClock().now()

    assert now.utcoffset() == timedelta(0)
    assert now.tzinfo is timezone.utc


def test_uuid_ids_are_unique_hex_strings() -> None:
    ids = UuidIds()

    made = {ids.new_id() for _ in range(100)}

    assert len(made) == 100
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in made)
