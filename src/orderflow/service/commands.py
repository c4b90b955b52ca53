"""What a group of commands needs from :class:`~orderflow.service.OrderFlow`: its ids and
its pipeline (load, authorize, decide, save, run jobs). The groups are mixed into it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from orderflow.domain.actor import Actor
from orderflow.domain.order import Change, Order
from orderflow.ports import IdGenerator

Decide = Callable[[Order, datetime], Change]


class Execute(Protocol):
    def __call__(
        self,
        order_id: str,
        actor: Actor,
        command: str,
        decide: Decide,
        *,
        request: tuple[str, str, Any] | None = None,
        now: datetime | None = None,
    ) -> Order: ...


class Commands:
    """Base of the command groups: declares what ``OrderFlow`` provides them."""

    ids: IdGenerator
    _execute: Execute
