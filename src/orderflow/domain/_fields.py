"""Validators shared by the frozen attrs models: type checks whose errors name the field."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

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


def _collection_of(container: type, member: type) -> Any:
    def check(_: object, attribute: Attribute[Any], value: Any) -> None:
        if type(value) is not container:
            raise TypeError(
                f"'{attribute.name}' must be a {container.__name__}, got {type(value).__name__}"
            )
        items = cast(Iterable[object], value)
        for item in items:
            if not isinstance(item, member):
                raise TypeError(
                    f"'{attribute.name}' must hold {member.__name__} items, "
                    f"got {type(item).__name__}"
                )

    return check


def tuple_of(member: type) -> Any:
    """A tuple whose members are all ``member``; lists are refused, not copied."""
    return _collection_of(tuple, member)


def frozenset_of(member: type) -> Any:
    return _collection_of(frozenset, member)
