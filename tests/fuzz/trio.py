"""Three stores side by side: one command, three flows, one verdict.

Each example runs the same call, with the same (already built) arguments, on a flow per
store. Every flow has a fixed :class:`FakeClock`, fakes of its own and ids with the
example's prefix, so ids, numbers and times line up; the stores live across the examples
of a test and see the same sequence of calls.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs

from orderflow import OrderFlow, OrderflowError, OrderNotFound
from orderflow.domain.limits import NOTE
from orderflow.notifications import Notifications
from orderflow.ports import Delivery
from orderflow.ports.repository import OrderStore
from orderflow.serialization import to_document
from orderflow.testing import (
    FakeClock,
    FakeGateway,
    FakeLabelProvider,
    RecordingFulfillmentService,
    SequentialIds,
    make_flow,
)

from .bases import NOW, Base

STORES = ("memory", "sqlite", "postgres")


@attrs.frozen
class Verdict:
    """How a call ended: its result, or the exception it raised."""

    result: Any = None
    error: BaseException | None = None

    @property
    def name(self) -> str:
        return "success" if self.error is None else type(self.error).__name__

    def __repr__(self) -> str:
        return self.name if self.error is None else f"{self.name}: {str(self.error)[:300]}"


def verdict(call: Callable[[], Any]) -> Verdict:
    try:
        return Verdict(result=call())
    except Exception as exc:  # every exception is a verdict, judged by the caller
        return Verdict(error=exc)


def acceptable(found: Verdict, *, wrong_type: bool) -> bool:
    """Success, or an OrderflowError; a TypeError only when the example passed a value of
    the wrong type (a bare ``str`` for an iterable, a list for a tuple)."""
    error = found.error
    return (
        error is None
        or isinstance(error, OrderflowError)
        or (wrong_type and type(error) is TypeError)
    )


@attrs.frozen
class Snapshot:
    """What a store holds of one order: its document (``None``: not stored), version and
    outbox deliveries."""

    document: Any
    version: int | None
    deliveries: tuple[Delivery, ...]


def snapshot(store: OrderStore, order_id: str) -> Snapshot:
    try:
        order = store.get(order_id)
    except OrderNotFound:
        return Snapshot(None, None, tuple(store.deliveries(order_id)))
    return Snapshot(to_document(order), order.version, tuple(store.deliveries(order_id)))


_examples = itertools.count(1)


@attrs.define
class Trio:
    """The three stores of a test, and the example's flows on them."""

    stores: Mapping[str, OrderStore]
    flows: dict[str, OrderFlow] = attrs.field(factory=dict)
    n: int = 0

    def start(self, *, notifications: Notifications | None = None) -> int:
        """New flows for a new example; returns the example's number."""
        self.n = next(_examples)
        self.flows = {
            name: make_flow(
                repository=store,
                ids=SequentialIds(f"c{self.n}"),
                clock=FakeClock(NOW),
                gateway=FakeGateway(),
                labels=FakeLabelProvider(),
                fulfillment_service=RecordingFulfillmentService(),
                notifications=notifications,
            ).flow
            for name, store in self.stores.items()
        }
        return self.n

    def add(self, base: Base) -> None:
        """The base order and its pending outbox items, in every store."""
        for store in self.stores.values():
            store.add(base.order, outbox=base.outbox)

    def align_numbers(self) -> None:
        """Make every store hand out the same next order number (gaps are allowed), so
        ``place`` numbers alike even after an example whose stores disagreed."""
        numbers = {name: store.next_number() for name, store in self.stores.items()}
        while len(set(numbers.values())) > 1:
            top = max(numbers.values())
            for name, store in self.stores.items():
                while numbers[name] < top:
                    numbers[name] = store.next_number()

    def snapshots(self, order_id: str) -> dict[str, Snapshot]:
        return {name: snapshot(store, order_id) for name, store in self.stores.items()}

    def run(self, call: Callable[[OrderFlow], Any]) -> dict[str, Verdict]:
        return {name: verdict(lambda flow=flow: call(flow)) for name, flow in self.flows.items()}


def outcome(result: Any) -> Any:
    """A command's result in a form the stores' results compare by: documents for orders."""
    from orderflow import Order, Page

    if isinstance(result, Order):
        return to_document(result)
    if isinstance(result, Page):
        return ([to_document(o) for o in result.orders], result.next_cursor)
    if isinstance(result, tuple):
        return tuple(outcome(item) for item in result)
    return result


WHOLE = {
    ("transactions", "reference"),
    ("transactions", "error"),
    ("label", "tracking_number"),
    ("label", "tracking_url"),
    ("label", "error"),
    ("label", "media_type"),
    ("label", "document"),
}
"""(container, field) of the strings orderflow stores whole, whatever they hold: what a
gateway or a label provider answered."""


def stored_strings(document: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    """(path, value) of every string of a document that came from the host or was
    written by orderflow, i.e. not one stored whole (:data:`WHOLE`)."""
    if isinstance(document, dict):
        for key, value in document.items():
            yield from stored_strings(value, (*path, key))
    elif isinstance(document, list):
        for item in document:
            yield from stored_strings(item, path)
    elif isinstance(document, str) and path[-2:] not in WHOLE:
        yield ".".join(path), document


def breaks_the_rules(document: Any) -> list[str]:
    """The strings of a stored document that no field may hold: longer than the longest
    limit (5,000) or with a character even a multi-line field refuses (NUL, a lone
    surrogate, a control other than tab and line breaks)."""
    found = []
    for path, value in stored_strings(document):
        try:
            NOTE.check(value, path)
        except OrderflowError as exc:
            found.append(str(exc)[:200])
    return found
