"""Validators shared by the frozen attrs models: type checks whose errors name the field."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import Attribute
from attrs import validators as v

from orderflow.domain.money import Money
from orderflow.errors import InvalidTimestamp


def _aware(_: object, attribute: Attribute[Any], value: object) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"'{attribute.name}' must be a datetime, got {type(value).__name__}")
    if value.utcoffset() is None:
        raise InvalidTimestamp(
            f"'{attribute.name}' must be time-zone aware, got naive {value.isoformat()}"
        )


TEXT = v.instance_of(str)
OPTIONAL_TEXT = v.optional(TEXT)
BOOL = v.instance_of(bool)
MONEY = v.instance_of(Money)
OPTIONAL_MONEY = v.optional(MONEY)
AWARE = _aware
OPTIONAL_AWARE = v.optional(_aware)


def tuple_of(member: type) -> Any:
    """A tuple whose members are all ``member``; lists are refused, not copied."""
    return v.deep_iterable(v.instance_of(member), v.instance_of(tuple))


def frozenset_of(member: type) -> Any:
    return v.deep_iterable(v.instance_of(member), v.instance_of(frozenset))
