"""Hostile values of the right type: what a careless host or a malicious outside party hands in.

Strings at and just over each limit of ``orderflow.domain.limits``, empty, with one character
a field may refuse (NUL, lone surrogates, every C0 and C1 control, U+2028/2029...) or may
take (right-to-left marks, joiners, emoji), very long ones; numbers at zero, below it and far
beyond 64 bits; decimals that are not numbers; money in other currencies or beyond what is
stored; datetimes naive, at the calendar's ends or with odd offsets. Each strategy mixes
in ordinary values, so the commands also succeed and the stores' successes are compared.

Domain objects are drawn as :class:`Make` recipes, built when the example runs: a refusal
to build one is the example's verdict, like a refused command.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import strategies as st

from orderflow import Money
from orderflow.domain.limits import (
    MAX_MINOR_UNITS,
    MAX_ORDER_NUMBER,
    MAX_PARCEL,
    MAX_QUANTITY,
    URL,
    TextRule,
)

LONG = 100_000
"""The length of a very long string: far beyond every limit."""

C0 = [chr(c) for c in range(0x20)]
C1 = [chr(c) for c in range(0x7F, 0xA0)]
SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff"]
SEPARATORS = ["\u2028", "\u2029", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85"]
REFUSED_SOMEWHERE = [*C0, *C1, *SURROGATES, *SEPARATORS]
"""Characters a one-line field refuses (a multi-line one takes tab, line feed, carriage
return and U+2028/2029)."""
ODD_BUT_FINE = [
    "\u202e",  # right-to-left override
    "\u200f",  # right-to-left mark
    "\u200d",  # zero-width joiner
    "\ufeff",  # byte-order mark
    "\u00a0",  # no-break space
    "\u0301",  # combining acute accent
    "🙂",
    "👩\u200d👩\u200d👧",  # a family: one glyph, five code points
    "مرحبا",
    "ß",
    "%",
    "_",
    "'",
    '"',
    "\\",
    ",",
    "|",
]
"""Characters every field takes, and a store must keep exactly."""


def _fill(rule: TextRule, length: int, char: str = "a") -> str:
    """A string of ``length`` characters that ``rule`` takes, but for its length."""
    if rule is URL:
        prefix = "https://x.example/"
        return prefix + char * max(length - len(prefix), 0)
    return char * length


def _plain(rule: TextRule) -> st.SearchStrategy[str]:
    """Ordinary values of a field: what a real checkout sends."""
    if rule is URL:
        return st.sampled_from(["https://track.example/1", "http://x.example/?q=1#f"])
    return st.sampled_from(["a", "Ada", "line-1", "42", "ok now"])


def _with_one(base: str, chars: list[str]) -> st.SearchStrategy[str]:
    """``base`` with one of ``chars`` inserted at some position."""
    return st.tuples(st.sampled_from(chars), st.integers(0, len(base))).map(
        lambda found: base[: found[1]] + found[0] + base[found[1] :]
    )


def text(rule: TextRule) -> st.SearchStrategy[str]:
    """Strings a field under ``rule`` may be handed: fine, at and over its limit, odd."""
    base = _plain(rule)
    limit = rule.max_length
    return st.one_of(
        base,
        st.sampled_from(
            [
                "",
                " ",
                "\t",
                _fill(rule, limit),
                _fill(rule, limit + 1),
                _fill(rule, limit, "é"),
                _fill(rule, limit - 1) + "🙂",
                _fill(rule, limit) + "🙂",
                _fill(rule, LONG),
            ]
        ),
        base.flatmap(lambda plain: _with_one(plain, REFUSED_SOMEWHERE)),
        base.flatmap(lambda plain: _with_one(plain, ODD_BUT_FINE)),
        st.text(st.characters(exclude_categories=()), max_size=12),
    )


def optional_text(rule: TextRule) -> st.SearchStrategy[str | None]:
    return st.none() | text(rule)


def known_or(known: list[str], rule: TextRule) -> Arg:
    """One of ``known`` (ids the order has), or a hostile one."""
    return Arg(st.sampled_from(known) if known else text(rule), text(rule))


WHOLE_NUMBERS = st.one_of(
    st.sampled_from(
        [
            0,
            -1,
            1,
            2,
            MAX_QUANTITY,
            MAX_QUANTITY + 1,
            MAX_PARCEL + 1,
            2**31,
            MAX_ORDER_NUMBER,
            2**63,
            2**64,
            10**30,
            -(2**63),
            -(10**30),
        ]
    ),
    st.integers(-3, 5),
)
"""Counts, quantities, sizes and order numbers."""

DECIMALS = st.one_of(
    st.sampled_from(
        [
            Decimal("NaN"),
            Decimal("-NaN"),
            Decimal("sNaN"),
            Decimal("Infinity"),
            Decimal("-Infinity"),
            Decimal("-0"),
            Decimal("-0.00"),
            Decimal("0"),
            Decimal("-1"),
            Decimal("0.001"),
            Decimal("0.005"),
            Decimal("0.015"),
            Decimal("1E+999999"),
            Decimal("1E-999999"),
            Decimal("9E+27"),
            Decimal(MAX_MINOR_UNITS) / 100,
            Decimal(MAX_MINOR_UNITS + 1) / 100,
            Decimal(MAX_MINOR_UNITS),
            Decimal(10**30),
            Decimal("12345678901234567890.123456789"),
        ]
    ),
    st.decimals(min_value=0, max_value=100, places=2),
    st.decimals(min_value=0, max_value=1, places=4),
)
"""Amounts and rates: not numbers, infinite, negative zero, beyond every limit, ordinary."""

CURRENCIES = st.one_of(
    st.just("EUR"),
    st.just("EUR"),
    st.sampled_from(["JPY", "KWD", "CLF", "USD", "eur", "", "XXX", "EUR\x00", "€"]),
)


def money(*amounts: str) -> Arg:
    """Money: valid, ``amounts`` euros (10.00 unless told); hostile, any amount in euros or
    another currency."""
    valid = [Make(Money, {"amount": Decimal(a), "currency": "EUR"}) for a in amounts or ["10.00"]]
    hostile = st.builds(
        lambda amount, currency: Make(Money, {"amount": amount, "currency": currency}),
        DECIMALS,
        CURRENCIES,
    )
    return Arg(st.sampled_from(valid), hostile)


def texts(rule: TextRule, *valid: str) -> Arg:
    """A string field: ``valid`` values (ordinary ones unless told), or hostile ones."""
    return Arg(st.sampled_from(valid) if valid else _plain(rule), text(rule))


def _zone(minutes: int) -> timezone:
    return timezone(timedelta(minutes=minutes))


ZONES = st.sampled_from(
    [
        timezone.utc,
        _zone(60),
        _zone(-300),
        _zone(23 * 60 + 59),
        _zone(-(23 * 60 + 59)),
        timezone(timedelta(seconds=1)),
        timezone(timedelta(hours=5, minutes=45, seconds=30, microseconds=1)),
    ]
)

DATETIMES = st.one_of(
    st.sampled_from(
        [
            datetime(2026, 1, 5, 9, 0),  # naive
            datetime.min,
            datetime.max,
            datetime(1, 1, 1, tzinfo=timezone.utc),
            datetime(1, 1, 2, tzinfo=timezone.utc),
            datetime(1, 1, 2, 0, 0, 1, tzinfo=timezone.utc),
            datetime(1, 1, 2, 23, 0, tzinfo=_zone(23 * 60)),
            datetime(9999, 12, 29, 23, 59, tzinfo=timezone.utc),
            datetime(9999, 12, 30, tzinfo=timezone.utc),
            datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=_zone(-(23 * 60 + 59))),
            datetime(9999, 12, 31, 23, 59, 59, 999999),
        ]
    ),
    st.builds(
        lambda day, zone: datetime.combine(day, datetime.min.time(), zone) + timedelta(hours=9),
        st.dates(date(2025, 12, 1), date(2026, 6, 1)),
        ZONES,
    ),
)
"""Datetimes a host may pass: naive, at and past the calendar's ends, odd offsets, ordinary
ones around the fixed clock (2026-01-05 09:00 UTC)."""

DATES = st.one_of(
    st.sampled_from([date.min, date.max, date(1, 1, 2), date(9999, 12, 30)]),
    st.dates(date(2025, 12, 1), date(2026, 6, 1)),
)


@attrs.frozen
class Wrong:
    """A value of the wrong type, on purpose (a bare ``str`` for an iterable of them, a
    list where a tuple is due): a TypeError is a fair verdict on it."""

    value: Any


@attrs.frozen(repr=False)
class Make:
    """A call to build when the example runs: ``Make(Tracking, {"numbers": ...})``."""

    make: Callable[..., Any]
    arguments: Mapping[str, Any] = attrs.field(factory=dict)

    def __call__(self) -> Any:
        return self.make(**{name: build(value) for name, value in self.arguments.items()})

    def __repr__(self) -> str:
        name = getattr(self.make, "__name__", repr(self.make))
        shown = ", ".join(f"{key}={value!r}" for key, value in self.arguments.items())
        return f"{name}({shown})"


def build(value: Any) -> Any:
    """``value`` with every :class:`Make` in it built and every :class:`Wrong` unwrapped
    (through dicts, tuples, lists, frozensets)."""
    if isinstance(value, Make):
        return value()
    if isinstance(value, Wrong):
        return build(value.value)
    if isinstance(value, dict):
        return {key: build(item) for key, item in value.items()}
    if isinstance(value, (tuple, list, frozenset)):
        return type(value)(build(item) for item in value)
    return value


def has_wrong(value: Any) -> bool:
    """Does ``value`` hold a :class:`Wrong` anywhere?"""
    if isinstance(value, Wrong):
        return True
    if isinstance(value, Make):
        return any(has_wrong(item) for item in value.arguments.values())
    if isinstance(value, (tuple, list, frozenset)):
        return any(has_wrong(item) for item in value)
    if isinstance(value, dict):
        return any(has_wrong(item) for item in value.values())
    return False


@attrs.frozen
class Arg:
    """What an argument (or a field) may be handed: the values a careful host passes, and
    hostile ones (``None``: nothing hostile of the right type, as for a bool)."""

    valid: st.SearchStrategy[Any]
    hostile: st.SearchStrategy[Any] | None = None

    def optional(self) -> Arg:
        """The same, or ``None`` as a valid value."""
        return Arg(st.none() | self.valid, self.hostile)


def one_off(arguments: Mapping[str, Arg]) -> st.SearchStrategy[dict[str, Any]]:
    """Valid values for every argument, or for all but one, which is hostile: one thing
    wrong at a time, so the verdict is about it (two thirds of the examples)."""
    valid = {name: arg.valid for name, arg in arguments.items()}
    names = sorted(name for name, arg in arguments.items() if arg.hostile is not None)
    plain = st.fixed_dictionaries(valid)
    if not names:
        return plain
    off = st.sampled_from(names).flatmap(
        lambda name: st.fixed_dictionaries({**valid, name: arguments[name].hostile})
    )
    return plain | off | off


def obj(
    make: Callable[..., Any],
    valid: Mapping[str, Any],
    hostile: Mapping[str, st.SearchStrategy[Any] | Arg],
) -> Arg:
    """``make(**valid)``, and the same with one field replaced by a hostile value, as
    ``attrs.evolve`` would change it (a field given as an :class:`Arg` takes its hostile
    values, so the object inside is the one off)."""
    fields = {
        name: (value.hostile if isinstance(value, Arg) else value)
        for name, value in hostile.items()
    }
    off = st.sampled_from(sorted(fields)).flatmap(
        lambda name: fields[name].map(lambda value: Make(make, {**valid, name: value}))
    )
    return Arg(st.just(Make(make, dict(valid))), off)


def iterable_of(items: st.SearchStrategy[Any], *, bare: str = "abc") -> st.SearchStrategy[Any]:
    """Iterables a host may pass: a tuple, a list, empty, or a bare ``str`` (a wrong type:
    TypeError). Never an iterator: each store must be handed the same value."""
    return st.one_of(
        st.lists(items, max_size=3).map(tuple),
        st.lists(items, max_size=3),
        st.just(()),
        st.just(Wrong(bare)),
    )


def tuple_of(
    items: st.SearchStrategy[Any], *, max_size: int = 3, too_many: int | None = None
) -> st.SearchStrategy[Any]:
    """What a tuple field of a domain object may be handed: a tuple (empty, a few, or
    ``too_many`` items), or, as wrong types, a list or a bare ``str``."""
    strategies = [
        st.lists(items, max_size=max_size).map(tuple),
        st.lists(items, max_size=max_size).map(tuple),
        st.lists(items, min_size=1, max_size=2).map(lambda found: Wrong(list(found))),
        st.just(Wrong("abc")),
    ]
    if too_many is not None:
        strategies.append(items.map(lambda item: (item,) * too_many))
    return st.one_of(strategies)
