"""Time, identity and permission: the service never reads the wall clock or makes up ids."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from orderflow.domain.actor import Actor
from orderflow.domain.order import Order


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, time-zone aware."""
        ...


class IdGenerator(Protocol):
    def new_id(self) -> str:
        """A new unique id (orders, transactions, outbox items)."""
        ...


class Authorizer(Protocol):
    def allows(self, actor: Actor, command: str, order: Order | None) -> bool:
        """May ``actor`` run ``command`` (a method name of ``OrderFlow``) on ``order``?"""
        ...
