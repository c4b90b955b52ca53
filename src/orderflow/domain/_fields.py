"""Validators shared by the frozen attrs models: types, and the input rules of
:mod:`orderflow.domain.limits`, with errors that name the class and the field."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from itertools import repeat
from typing import Any

from attrs import Attribute

from orderflow.domain import limits
from orderflow.domain.limits import TextRule
from orderflow.domain.money import MINOR_UNITS, Money
from orderflow.errors import InvalidAmount, InvalidQuantity, LimitExceeded

QUICK: dict[Any, tuple[str, dict[str, Any]]] = {}
"""For some validators, an expression (``{v}`` the value, other names from the dict) true
only of values the validator accepts. The generated loaders inline it and call the
validator only when it is false, to refuse the value with its message."""


def _quick(check: Any, expression: str, **names: Any) -> Any:
    QUICK[check] = (expression, names)
    return check


def _field(instance: object, attribute: Attribute[Any]) -> str:
    return f"{type(instance).__name__}.{attribute.name}"


def _aware(instance: object, attribute: Attribute[Any], value: object) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"'{attribute.name}' must be a datetime, got {type(value).__name__}")
    if value.utcoffset() is None or not limits.EARLIEST < value < limits.LATEST:
        limits.check_time(value, f"'{attribute.name}'")  # says why


_LARGEST = {
    currency: Decimal(limits.MAX_MINOR_UNITS).scaleb(-digits)
    for currency, digits in MINOR_UNITS.items()
}
"""The largest amount stored, per currency (``limits.MAX_MINOR_UNITS`` minor units)."""


def _money(instance: object, attribute: Attribute[Any], value: object) -> None:
    if not isinstance(value, Money):
        raise TypeError(f"'{attribute.name}' must be Money, got {type(value).__name__}")
    if abs(value.amount) > _LARGEST[value.currency]:
        raise InvalidAmount(
            f"{_field(instance, attribute)} {value} is beyond the largest amount orderflow "
            f"stores ({limits.MAX_MINOR_UNITS:,} minor units)"
        )


_quick(
    _aware,
    "type({v}) is {datetime} and {v}.utcoffset() is not None and {earliest} < {v} < {latest}",
    datetime=datetime,
    earliest=limits.EARLIEST,
    latest=limits.LATEST,
)
_quick(
    _money,
    "type({v}) is {Money} and abs({v}.amount) <= {largest}[{v}.currency]",
    Money=Money,
    largest=_LARGEST,
)


# attrs' own instance_of and optional, as plain functions: validators run for every field
# of every model built or loaded, and a call through an object's __call__ costs more.


def instance_of(cls: type | tuple[type, ...]) -> Any:
    """A value of type ``cls``."""

    def check(_: object, attribute: Attribute[Any], value: object) -> None:
        if not isinstance(value, cls):
            expected = (
                cls.__name__ if isinstance(cls, type) else " or ".join(c.__name__ for c in cls)
            )
            raise TypeError(f"'{attribute.name}' must be {expected}, got {type(value).__name__}")

    if cls is bool:  # no subclass: the two of them, without a call
        return _quick(check, "({v} is True or {v} is False)")
    return _quick(check, "isinstance({v}, {cls})", cls=cls)


def optional(validator: Any) -> Any:
    """None, or a value ``validator`` accepts."""

    def check(instance: object, attribute: Attribute[Any], value: object) -> None:
        if value is not None:
            validator(instance, attribute, value)

    inner = QUICK.get(validator)
    if inner is None:
        return check
    expression, names = inner
    return _quick(check, f"{{v}} is None or ({expression})", **names)


TEXT = instance_of(str)
"""Any string: for what orderflow writes itself, or stores whole (a gateway's answer)."""
OPTIONAL_TEXT = optional(TEXT)
BOOL = instance_of(bool)
MONEY = _money
OPTIONAL_MONEY = optional(_money)
AWARE = _aware
OPTIONAL_AWARE = optional(_aware)


def text(rule: TextRule) -> Any:
    """A string that ``rule`` accepts."""
    fits, limit = rule.fits, rule.max_length
    plain = type(rule) is TextRule and not rule.forbidden
    # A printable string holds none of the characters a rule refuses (controls, separators,
    # surrogates are all unprintable): for most values, two C calls decide.

    def check(instance: object, attribute: Attribute[Any], value: object) -> None:
        if plain and type(value) is str and len(value) <= limit and value.isprintable():
            return
        if not isinstance(value, str):
            raise TypeError(f"'{attribute.name}' must be a str, got {type(value).__name__}")
        if not fits(value):  # the field's name is spelt out only for the error
            rule.check(value, _field(instance, attribute))

    if not plain:
        return check
    return _quick(
        check, "type({v}) is str and len({v}) <= {limit} and {v}.isprintable()", limit=limit
    )


def optional_text(rule: TextRule) -> Any:
    return optional(text(rule))


def whole(limit: int, *, least: int = 1) -> Any:
    """A whole number (not a bool) from ``least`` to ``limit``."""

    def check(instance: object, attribute: Attribute[Any], value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"'{attribute.name}' must be an int, got {type(value).__name__}")
        if value < least:
            raise InvalidQuantity(
                f"{_field(instance, attribute)} must be at least {least}, got {value}"
            )
        if value > limit:
            raise LimitExceeded(
                f"{_field(instance, attribute)} is {value:,}; the limit is {limit:,}"
            )

    return _quick(check, "type({v}) is int and {least} <= {v} <= {limit}", least=least, limit=limit)


def _collection_of(container: type, member: type, limit: int | None) -> Any:
    def check(instance: object, attribute: Attribute[Any], value: Any) -> None:
        items: Any = value  # mypy narrows ``value`` to object by the type test below
        if type(value) is not container:
            raise TypeError(
                f"'{attribute.name}' must be a {container.__name__}, got {type(value).__name__}"
            )
        if limit is not None and len(items) > limit:
            limits.check_count(items, limit, _field(instance, attribute))
        if not all(map(isinstance, items, repeat(member))):  # the loop runs in C
            wrong = next(item for item in items if not isinstance(item, member))
            raise TypeError(
                f"'{attribute.name}' must hold {member.__name__} items, got {type(wrong).__name__}"
            )

    size = "" if limit is None else " and len({v}) <= {limit}"
    expression = f"type({{v}}) is {{container}}{size} and all(map(isinstance, {{v}}, {{repeat}}({{member}})))"
    return _quick(check, expression, container=container, limit=limit, member=member, repeat=repeat)


def tuple_of(member: type, limit: int | None = None) -> Any:
    """A tuple whose members are all ``member`` (at most ``limit``); lists are refused, not copied."""
    return _collection_of(tuple, member, limit)


def frozenset_of(member: type, limit: int | None = None) -> Any:
    return _collection_of(frozenset, member, limit)


def texts(container: type, rule: TextRule, limit: int) -> Any:
    """A tuple or frozenset of at most ``limit`` strings, each accepted by ``rule``."""
    of_type = _collection_of(container, str, limit)

    def check(instance: object, attribute: Attribute[Any], value: Any) -> None:
        of_type(instance, attribute, value)
        for item in value:
            if not rule.fits(item):
                rule.check(item, f"an item of {_field(instance, attribute)}")

    return check
