"""What a group of commands needs from :class:`~orderflow.service.OrderFlow`: its ids and
its pipeline (load, authorize, decide, save, run jobs). The groups are mixed into it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

from orderflow.domain.actor import Actor
from orderflow.domain.order import Change, Order
from orderflow.errors import ConcurrencyError
from orderflow.ports import IdGenerator, OrderRepository

T = TypeVar("T")

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
        loaded: Order | None = None,
    ) -> Order: ...


class Commands:
    """Base of the command groups: declares what ``OrderFlow`` provides them."""

    ids: IdGenerator
    repository: OrderRepository
    _execute: Execute

    def retrying(self, command: Callable[[], T], attempts: int = 3) -> T:
        """Run ``command`` and, when a concurrent writer won (:class:`ConcurrencyError`),
        again, up to ``attempts`` times. For commands that decide on the order as they load
        it (every :class:`OrderFlow` command does), not for a caller's decision made on a
        copy read earlier."""
        for _ in range(attempts - 1):
            try:
                return command()
            except ConcurrencyError:
                continue
        return command()
