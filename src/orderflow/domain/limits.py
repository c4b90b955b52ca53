"""What orderflow accepts from outside: one rule per kind of value, the same on every store.

Every string a host or an outside party hands in has a maximum length and a character rule;
counts, quantities, amounts and dates have bounds that every store holds exactly. The
domain's validators apply them, so the in-memory store, SQLite and PostgreSQL accept and
refuse exactly the same input, with an :class:`~orderflow.errors.InvalidText` or
:class:`~orderflow.errors.LimitExceeded` that names the field and the limit.

The limits are generous: no real checkout meets them. Where Shopify documents a limit we
take it; the others are ours, chosen well above what shops use. What a payment gateway or
a label provider answers (references, error texts) is stored whole, whatever it holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

import attrs

from orderflow.errors import InvalidText, InvalidTimestamp, LimitExceeded

_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
"""Refused in one-line fields: controls (C0, DEL, C1), line and paragraph separators, lone
surrogates (which no UTF-8 store can hold)."""
_MULTI_LINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
"""Refused in multi-line fields: the same, but tab, line feed, carriage return and the
Unicode line and paragraph separators are allowed."""


@attrs.frozen
class TextRule:
    """A kind of string: its maximum length in characters, and whether it may span lines."""

    name: str
    max_length: int
    multiline: bool = False
    source: str = "orderflow"
    """Where the limit comes from."""
    forbidden: str = ""
    """Characters refused besides the character rule's."""

    def fits(self, value: str) -> bool:
        """Does this rule accept ``value`` (a str)? The fast path: :meth:`check` says why not."""
        return (
            len(value) <= self.max_length
            and (_MULTI_LINE if self.multiline else _ONE_LINE).search(value) is None
            and not (self.forbidden and any(char in value for char in self.forbidden))
        )

    def check(self, value: object, field: str) -> str:
        """``value`` if it is a string this rule accepts; otherwise TypeError or InvalidText
        naming ``field``."""
        if not isinstance(value, str):
            raise TypeError(f"{field} must be a str, got {type(value).__name__}")
        if len(value) > self.max_length:
            raise InvalidText(
                f"{field} is {len(value):,} characters long; the limit is {self.max_length:,}"
            )
        bad = (_MULTI_LINE if self.multiline else _ONE_LINE).search(value)
        if bad is not None:
            raise InvalidText(
                f"{field} holds {_describe(bad.group())} at position {bad.start()}, which "
                f"{'a' if self.multiline else 'a one-line'} {self.name} field refuses"
            )
        for char in self.forbidden:
            if char in value:
                raise InvalidText(f"{field} holds {char!r}, which a {self.name} may not hold")
        return value


_WEB_URL = re.compile(r"(?i)https?://[^\s/?#@\\]+(?:[/?#]\S*)?")
"""An http(s) URL with a host and no credentials (``user:secret@``)."""


@attrs.frozen
class UrlRule(TextRule):
    """A URL shown to people or followed by orderflow: http or https only, without
    credentials (a ``javascript:`` or ``file:`` URL never reaches an href)."""

    def fits(self, value: str) -> bool:
        return super().fits(value) and _WEB_URL.fullmatch(value) is not None

    def check(self, value: object, field: str) -> str:
        checked = super().check(value, field)
        if not _WEB_URL.fullmatch(checked):
            raise InvalidText(
                f"{field} {checked[:80]!r} is not an http(s) URL with a host and no credentials"
            )
        return checked


def _describe(char: str) -> str:
    if char == "\x00":
        return "a NUL character"
    if "\ud800" <= char <= "\udfff":
        return f"a lone surrogate (U+{ord(char):04X})"
    return f"the control character U+{ord(char):04X}"


ORDER_ID = TextRule("order id", 100, source="orderflow (the SQL key column)")
ID = TextRule("id", 128, source="orderflow (Shopify's ids are at most 20 digits)")
KEY = TextRule("key", 255, source="Stripe's idempotency keys (255)")
NAME = TextRule("name", 255, source="Shopify's names, titles, address lines and SKUs (255)")
TAG = TextRule("tag", 40, source="Shopify's order tags (40 characters, no comma)", forbidden=",")
NOTE = TextRule("note", 5_000, multiline=True)
EMAIL = TextRule("e-mail", 320, source="RFC 5321 (64 + 1 + 255)")
PHONE = TextRule("phone", 255, source="Shopify's phone fields (255)")
TRACKING_NUMBER = TextRule("tracking number", 255)
URL = UrlRule("URL", 2_048, source="the longest URL every browser takes")
LOCALE = TextRule("locale", 35, source="BCP 47's advice to accept 35 characters")
SEARCH = TextRule("search", 255)

TEXT_RULES: tuple[TextRule, ...] = (
    ORDER_ID,
    ID,
    KEY,
    NAME,
    TAG,
    NOTE,
    EMAIL,
    PHONE,
    TRACKING_NUMBER,
    URL,
    LOCALE,
    SEARCH,
)

MAX_LINE_ITEMS = 1_000
MAX_QUANTITY = 1_000_000
"""Per line, and per quantity of a fulfillment order, fulfillment or return."""
MAX_TAGS = 250
"""Shopify's limit of tags per (draft) order."""
MAX_ORDER_LINES = 100
"""Shipping lines, discounts and tax lines, each."""
MAX_TRANSACTIONS = 1_000
MAX_REFUNDS = 1_000
MAX_FULFILLMENT_ORDERS = 1_000
MAX_FULFILLMENTS = 1_000
MAX_HOLDS = 100
"""Active holds on one fulfillment order."""
MAX_CARRIER_EVENTS = 500
"""Carrier events on one fulfillment (a parcel sees a few dozen)."""
MAX_TRACKING = 100
"""Tracking numbers, and tracking URLs, of one fulfillment."""
MAX_TIMELINE = 20_000
MAX_ORDER_NUMBER = 2**63 - 1
"""The largest signed 64-bit integer: what SQLite and PostgreSQL's bigint hold."""
MAX_MINOR_UNITS = 10**15
"""The largest stored amount, in minor units (10 trillion euros, 10^15 yen): sums of many
of them still fit a signed 64-bit integer, as the SQL stores add them."""
MAX_PARCEL = 1_000_000
"""Grams, or centimetres, of a parcel."""

COUNTS: dict[str, int] = {
    "line items per order": MAX_LINE_ITEMS,
    "quantity of a line": MAX_QUANTITY,
    "tags per order": MAX_TAGS,
    "shipping lines, discounts, tax lines per order (each)": MAX_ORDER_LINES,
    "transactions per order": MAX_TRANSACTIONS,
    "refunds per order": MAX_REFUNDS,
    "fulfillment orders per order": MAX_FULFILLMENT_ORDERS,
    "fulfillments per order": MAX_FULFILLMENTS,
    "holds per fulfillment order": MAX_HOLDS,
    "carrier events per fulfillment": MAX_CARRIER_EVENTS,
    "tracking numbers or URLs per fulfillment": MAX_TRACKING,
    "timeline entries per order": MAX_TIMELINE,
    "order number": MAX_ORDER_NUMBER,
    "amount, in minor units": MAX_MINOR_UNITS,
    "parcel weight (g) or side (cm)": MAX_PARCEL,
}
"""Every bound on a count or a number, as the docs list them."""

EARLIEST = datetime(1, 1, 2, tzinfo=timezone.utc)
LATEST = datetime(9999, 12, 30, tzinfo=timezone.utc)
"""Stored datetimes lie between these (exclusive): a day from the calendar's ends, so
every time zone can show them."""


def shown(value: str, limit: int = 80) -> str:
    """An outside string as orderflow may quote it in its own one-line texts (timeline,
    review notes): characters a one-line field refuses become ``?``, and it is cut to
    ``limit`` characters."""
    cleaned = _ONE_LINE.sub("?", value)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def check_optional(rule: TextRule, value: object, field: str) -> str | None:
    """``value`` if it is ``None`` or a string ``rule`` accepts (TypeError or InvalidText
    naming ``field`` else): for the optional texts a command takes beside its objects."""
    return None if value is None else rule.check(value, field)


def check_time(value: datetime, field: str) -> datetime:
    """``value`` if it is aware and every time zone can show it (InvalidTimestamp else)."""
    if value.utcoffset() is None:
        raise InvalidTimestamp(f"{field} must be time-zone aware, got naive {value.isoformat()}")
    if not EARLIEST < value < LATEST:
        raise InvalidTimestamp(
            f"{field} {value.isoformat()} is too near the ends of the calendar to be shown in "
            "every time zone (orderflow stores dates from year 1 to 9999)"
        )
    return value


def check_count(items: Any, limit: int, field: str) -> None:
    """Refuse a collection with more than ``limit`` items (LimitExceeded)."""
    if len(items) > limit:
        raise LimitExceeded(f"{field} holds {len(items):,} items; the limit is {limit:,}")


def check_number(value: int, limit: int, field: str) -> int:
    if value > limit:
        raise LimitExceeded(f"{field} is {value:,}; the limit is {limit:,}")
    return value


def strings(value: object, field: str, rule: TextRule) -> tuple[str, ...]:
    """The strings of an iterable, each checked by ``rule``: a bare ``str`` is refused
    (TypeError), as iterating it would give its characters."""
    if isinstance(value, str):
        raise TypeError(f"{field} must be an iterable of str, not a single str ({value!r})")
    if not isinstance(value, Iterable):
        raise TypeError(f"{field} must be an iterable of str, got {type(value).__name__}")
    return tuple(rule.check(item, f"an item of {field}") for item in value)
