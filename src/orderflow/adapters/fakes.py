"""Deterministic fakes of the outside world: clock, ids, payment gateway, notifier, publisher.

The payment gateway, with books of its own, lives in :mod:`orderflow.adapters.fake_gateway`.

They are first-class tools for a host's tests, with scripted failures to rehearse what goes
wrong in production (a declined card, a gateway that times out before or after charging).
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta, timezone
from itertools import count
from typing import Literal

from orderflow.adapters.fake_gateway import FakeGateway, GatewayCall, GatewayUnavailable, Movement
from orderflow.domain.labels import LabelResult
from orderflow.ports.fulfillment_service import ServiceCall
from orderflow.ports.labels import LabelPurchase, LabelVoid
from orderflow.ports.messaging import Message, PublishedEvent

__all__ = [
    "FakeClock",
    "FakeGateway",
    "FakeLabelProvider",
    "GatewayCall",
    "GatewayUnavailable",
    "Movement",
    "RecordingFulfillmentService",
    "RecordingNotifier",
    "RecordingPublisher",
    "SequentialIds",
]


class FakeClock:
    """A clock that moves only when told: ``clock.advance(hours=2)``."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
        if self.current.utcoffset() is None:
            raise ValueError("FakeClock needs a time-zone aware start")

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta | None = None, **parts: float) -> datetime:
        """Move forward by ``delta`` or by ``timedelta(**parts)`` (not both)."""
        if delta is not None and parts:
            raise TypeError("advance() takes a timedelta or keyword parts, not both")
        self.current += delta if delta is not None else timedelta(**parts)
        return self.current


class SequentialIds:
    """Readable, repeatable ids for tests: ``id-1``, ``id-2``...

    A test tool, never for production: its counter lives in one process, so flows sharing
    a store must share one instance (``make_flow(repository=store)`` does), or their ids
    clash (an order then refuses the second record with ``DuplicateId``).
    """

    def __init__(self, prefix: str = "id") -> None:
        self.prefix = prefix
        self._counter = count(1)
        self._lock = threading.Lock()

    def new_id(self) -> str:
        with self._lock:
            return f"{self.prefix}-{next(self._counter)}"


class RecordingPublisher:
    """Keeps published events in order; ``fail_next(n)`` makes the next n publishes raise."""

    def __init__(self) -> None:
        self.events: list[PublishedEvent] = []
        self._failures = 0

    def fail_next(self, times: int = 1) -> None:
        self._failures += times

    def publish(self, event: PublishedEvent) -> None:
        if self._failures:
            self._failures -= 1
            raise ConnectionError(f"publisher unavailable ({event.key})")
        self.events.append(event)


class RecordingNotifier:
    """Keeps sent messages in order; ``fail_next(n)`` makes the next n sends raise, before
    sending or, with ``after_send``, after it (the crash that makes a copy go out twice)."""

    def __init__(self) -> None:
        self.sent: list[Message] = []
        self._failures = 0
        self._after_send = False

    def fail_next(self, times: int = 1, *, after_send: bool = False) -> None:
        self._failures += times
        self._after_send = after_send

    def send(self, message: Message) -> None:
        if self._failures and self._after_send:
            self.sent.append(message)
        if self._failures:
            self._failures -= 1
            raise ConnectionError(f"notifier unavailable ({message.key})")
        self.sent.append(message)

    def to(self, address: str) -> list[Message]:
        """The messages sent to ``address``, in order."""
        return [m for m in self.sent if m.to == address]


class RecordingFulfillmentService:
    """Keeps the calls sent to fulfillment services, once per idempotency key (as a real
    service dedupes); ``fail_next(n)`` makes the next n sends raise."""

    def __init__(self) -> None:
        self.calls: list[ServiceCall] = []
        self._failures = 0

    def fail_next(self, times: int = 1) -> None:
        self._failures += times

    def send(self, call: ServiceCall) -> None:
        if self._failures:
            self._failures -= 1
            raise ConnectionError(f"fulfillment service unavailable ({call.idempotency_key})")
        if all(c.idempotency_key != call.idempotency_key for c in self.calls):
            self.calls.append(call)


class FakeLabelProvider:
    """Deterministic labels: tracking ``FAKE0001``... and a tiny PDF-looking document, one
    label per idempotency key (a retried purchase buys nothing more). ``fail_next(n, how)``
    rehearses trouble: ``"before"`` raises before buying, ``"after"`` buys then raises (the
    answer was lost)."""

    def __init__(self) -> None:
        self.purchases: list[LabelPurchase] = []
        self.voided: list[str] = []
        self._results: dict[str, LabelResult] = {}
        self._numbers = count(1)
        self._script: deque[Literal["before", "after"]] = deque()
        self.refuse_voids = False

    def fail_next(self, times: int = 1, how: Literal["before", "after"] = "before") -> None:
        self._script.extend([how] * times)

    def buy(self, purchase: LabelPurchase) -> LabelResult:
        how = self._script.popleft() if self._script else None
        if how == "before":
            raise ConnectionError(f"label provider unreachable ({purchase.idempotency_key})")
        if purchase.idempotency_key not in self._results:
            self.purchases.append(purchase)
            number = f"FAKE{next(self._numbers):04d}"
            self._results[purchase.idempotency_key] = LabelResult(
                succeeded=True,
                tracking_number=number,
                tracking_url=f"https://track.example/{number}",
                document=f"%PDF-1.4 label {number} {purchase.carrier}".encode(),
                media_type="application/pdf",
            )
        if how == "after":
            raise ConnectionError(f"connection reset after buying ({purchase.idempotency_key})")
        return self._results[purchase.idempotency_key]

    def void(self, request: LabelVoid) -> bool:
        """Voids the label bought under ``request.purchase_key``; ``True`` too when nothing
        was (the purchase never happened). ``fail_next`` scripts voids as it does purchases."""
        how = self._script.popleft() if self._script else None
        if how == "before":
            raise ConnectionError(f"label provider unreachable ({request.idempotency_key})")
        if self.refuse_voids:
            return False
        if request.purchase_key in self._results and request.idempotency_key not in self.voided:
            self.voided.append(request.idempotency_key)
        if how == "after":
            raise ConnectionError(f"connection reset after voiding ({request.idempotency_key})")
        return True
