"""How the SQL store keeps times on SQLite: naive UTC text of 26 characters, which sorts
and compares as the times do, read back aware in UTC."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from orderflow.adapters.sql.schema import UtcDateTime
from orderflow.errors import InvalidTimestamp

DIALECT = sqlite.dialect()
WRITE = UtcDateTime().bind_processor(DIALECT)
READ = UtcDateTime().result_processor(DIALECT, None)
assert WRITE is not None
assert READ is not None

ZONES = st.sampled_from(
    [
        timezone.utc,
        ZoneInfo("UTC"),
        ZoneInfo("Europe/Paris"),
        ZoneInfo("America/St_Johns"),
        timezone(timedelta(hours=5, minutes=45)),
        timezone(timedelta(hours=-12)),
    ]
)
TIMES = st.datetimes(min_value=datetime(1, 1, 3), max_value=datetime(9999, 12, 29), timezones=ZONES)


def by_hand(time: datetime) -> str:
    """The rule, spelt out: the time in UTC, date and time to the microsecond."""
    utc = time.astimezone(timezone.utc)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d} "
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond:06d}"
    )


@given(TIMES)
def test_a_time_is_written_as_its_utc_text_and_read_back_as_the_same_instant(
    time: datetime,
) -> None:
    text = WRITE(time)

    assert text == by_hand(time)
    back = READ(text)
    assert back == time.astimezone(timezone.utc)  # the same instant, even in a DST gap
    assert back.tzinfo is timezone.utc


def test_texts_kept_for_times_written_again_are_still_each_times_own() -> None:
    # the writer keeps the texts of recent times: more times than it keeps, twice over
    start = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)
    times = [start + timedelta(microseconds=7 * n) for n in range(200)]
    for time in times + times[::-1]:
        assert WRITE(time) == by_hand(time)


@given(TIMES, TIMES)
def test_the_texts_sort_as_the_times_do(first: datetime, second: datetime) -> None:
    instants = first.astimezone(timezone.utc), second.astimezone(timezone.utc)
    assert (WRITE(first) < WRITE(second)) == (instants[0] < instants[1])


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(InvalidTimestamp, match="aware datetimes only"):
        WRITE(datetime(2026, 1, 5, 9, 0))
