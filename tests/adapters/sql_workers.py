"""What the SQL concurrency tests run in other processes (spawned: importable by name).

Each worker opens its own engine on the URL it is given, as a second app server would, and
reports through the queue it is given; the tests judge the reports.
"""

from __future__ import annotations

import io
import multiprocessing.synchronize
from multiprocessing.queues import Queue
from typing import Any

from orderflow.adapters.sql import SqlRepository, create_schema, make_engine, schema_version
from orderflow.cli import main
from orderflow.domain.order import Order
from orderflow.ports.messaging import PublishedEvent
from orderflow.testing import STAFF, RecordingPublisher, make_flow

TIMEOUT = 60.0
"""Seconds any worker waits for the others before giving up (a hung test fails, never hangs)."""


class RoundStore(SqlRepository):
    """A store whose first save of each round waits until every process has loaded the order,
    so all of them decide on the same version and race to save it."""

    def __init__(self, url: str, loaded: multiprocessing.synchronize.Barrier) -> None:
        super().__init__(make_engine(url))
        self.loaded = loaded
        self.first_attempt = True

    def save(self, order: Order, **kwargs: Any) -> None:
        if self.first_attempt:
            self.first_attempt = False
            self.loaded.wait(TIMEOUT)
        super().save(order, **kwargs)


def tag_in_rounds(
    url: str,
    name: str,
    order_id: str,
    rounds: int,
    start: multiprocessing.synchronize.Barrier,
    loaded: multiprocessing.synchronize.Barrier,
    report: Queue[tuple[str, int, int]],
) -> None:
    """Each round, add the tag ``{name}-{round}`` through ``OrderFlow.retrying``; report how
    many attempts it took (1: this process won the round)."""
    store = RoundStore(url, loaded)
    flow = make_flow(repository=store, publish=False).flow
    for round_ in range(rounds):
        start.wait(TIMEOUT)
        store.first_attempt = True
        attempts = 0

        def retag(tag: str = f"{name}-{round_}") -> Order:
            nonlocal attempts
            attempts += 1
            return flow.retag(order_id, add=[tag], actor=STAFF)

        flow.retrying(retag, attempts=3)
        report.put((name, round_, attempts))
    store.engine.dispose()


def dispatch_until_done(
    url: str,
    start: multiprocessing.synchronize.Barrier,
    report: Queue[list[str]],
) -> None:
    """Dispatch 10 items at a time until none is left to claim; report the keys published."""
    publisher = RecordingPublisher()
    store = SqlRepository(make_engine(url))
    flow = make_flow(repository=store, publisher=publisher).flow
    start.wait(TIMEOUT)
    while flow.dispatch(limit=10).delivered:
        pass
    report.put([event.key for event in publisher.events])
    store.engine.dispose()


class StuckPublisher(RecordingPublisher):
    """Publishes nothing: it says it has started, then hangs until the process is killed."""

    def __init__(self, started: multiprocessing.synchronize.Event) -> None:
        super().__init__()
        self.started = started

    def publish(self, event: PublishedEvent) -> None:
        self.started.set()
        multiprocessing.Event().wait(TIMEOUT)


def dispatch_and_hang(url: str, started: multiprocessing.synchronize.Event) -> None:
    """Claim a batch of 10 and hang while delivering its first item (to be killed there)."""
    store = SqlRepository(make_engine(url))
    flow = make_flow(repository=store, publisher=StuckPublisher(started)).flow
    flow.dispatch(limit=10)


def create_in_rounds(
    targets: list[tuple[str, str]],
    name: str,
    start: multiprocessing.synchronize.Barrier,
    report: Queue[tuple[str, int, str]],
) -> None:
    """Each round, at the same moment as the others, create orderflow's tables at that
    round's target: ``("cli", url)`` runs ``orderflow db init URL``, ``("function", url)``
    ``create_schema``, ``("schema", "server-url|schema")`` ``SqlRepository.from_url(...,
    create=True, schema=...)``; report what it printed, or the error it raised."""
    for round_, (how, target) in enumerate(targets):
        start.wait(TIMEOUT)
        try:
            if how == "cli":
                out = io.StringIO()
                main(["db", "init", target], out=out)
                result = out.getvalue()
            elif how == "function":
                engine = make_engine(target)
                result = f"version {create_schema(engine)}"
                engine.dispose()
            else:
                server, schema = target.split("|")
                store = SqlRepository.from_url(server, create=True, schema=schema)
                result = f"store at version {schema_version(store.engine)}"
                store.engine.dispose()
        except BaseException as error:  # SystemExit too: reported, judged by the test
            result = f"failed: {error!r}"
        report.put((name, round_, result))
