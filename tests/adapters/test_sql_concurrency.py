"""Several processes sharing one SQL database, as several app servers do: writers racing
for one order, dispatchers sharing the outbox, a dispatcher killed while it held a lease.

Workers are spawned processes with engines of their own (``sql_workers.py``); barriers line
them up, joins with timeouts wait for them. Nothing here sleeps or reads the wall clock:
every process runs on a FakeClock standing at the same time.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import Engine

from adapters import sql_workers
from orderflow.adapters.sql import SqlRepository
from orderflow.testing import STAFF, FakeClock, RecordingPublisher, make_draft, make_flow

SPAWN = multiprocessing.get_context("spawn")
ROUNDS = 10


def run_all(processes: list[Any]) -> None:
    for process in processes:
        process.start()
    for process in processes:
        process.join(sql_workers.TIMEOUT * 2)
    assert [p.exitcode for p in processes] == [0] * len(processes)


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_two_processes_tagging_one_order_in_rounds_each_win_one_round_and_lose_no_tag(
    request: pytest.FixtureRequest, database: str
) -> None:
    engine: Engine = request.getfixturevalue(f"{database}_engine")
    order = make_flow(repository=SqlRepository(engine), publish=False).flow.place(
        make_draft(), actor=STAFF
    )
    start, loaded = SPAWN.Barrier(2), SPAWN.Barrier(2)
    report = SPAWN.Queue()
    processes = [
        SPAWN.Process(
            target=sql_workers.tag_in_rounds,
            args=(url_of(engine), name, order.id, ROUNDS, start, loaded, report),
        )
        for name in ("a", "b")
    ]

    run_all(processes)

    attempts = [report.get(timeout=sql_workers.TIMEOUT) for _ in range(2 * ROUNDS)]
    by_round = {r: sorted(n for _, rr, n in attempts if rr == r) for r in range(ROUNDS)}
    # Both decided on the same version each round: one saved at once, the other was told
    # it was stale (ConcurrencyError), reloaded and saved on its second attempt.
    assert by_round == {r: [1, 2] for r in range(ROUNDS)}
    stored = SqlRepository(engine).get(order.id)
    assert stored.tags == {f"{name}-{r}" for name in "ab" for r in range(ROUNDS)}
    assert stored.version == order.version + 2 * ROUNDS


@pytest.fixture
def queued_events(postgres_engine: Engine) -> list[str]:
    """1,000 outbox items (the "placed" events of 1,000 orders), none delivered yet."""
    harness = make_flow(repository=SqlRepository(postgres_engine))
    placed = [harness.flow.place(make_draft(), actor=STAFF) for _ in range(1000)]
    keys = [d.item.key for order in placed for d in harness.repository.deliveries(order.id)]
    assert len(keys) == 1000
    return keys


def test_two_dispatchers_on_postgres_deliver_every_item_once_and_share_the_work(
    postgres_engine: Engine, queued_events: list[str]
) -> None:
    start = SPAWN.Barrier(2)
    report = SPAWN.Queue()
    processes = [
        SPAWN.Process(
            target=sql_workers.dispatch_until_done, args=(url_of(postgres_engine), start, report)
        )
        for _ in range(2)
    ]

    run_all(processes)

    published = [report.get(timeout=sql_workers.TIMEOUT) for _ in range(2)]
    counts = Counter(key for keys in published for key in keys)
    assert sorted(counts) == sorted(queued_events)
    assert set(counts.values()) == {1}
    shares = sorted(len(keys) for keys in published)
    assert shares[0] >= 200, shares  # each did at least 20% of 1,000


def test_the_items_of_a_dispatcher_killed_mid_lease_come_back_when_the_lease_ends(
    postgres_engine: Engine,
) -> None:
    clock = FakeClock()
    publisher = RecordingPublisher()
    harness = make_flow(repository=SqlRepository(postgres_engine), clock=clock, publisher=publisher)
    placed = [harness.flow.place(make_draft(), actor=STAFF) for _ in range(30)]  # 30 events
    started = SPAWN.Event()
    stuck = SPAWN.Process(
        target=sql_workers.dispatch_and_hang, args=(url_of(postgres_engine), started)
    )
    stuck.start()
    assert started.wait(sql_workers.TIMEOUT), "the dispatcher never started delivering"
    stuck.kill()  # holding a 5-minute lease on 10 items
    stuck.join(sql_workers.TIMEOUT)

    now = harness.flow.dispatch(limit=100)
    clock.advance(minutes=5)
    after_lease = harness.flow.dispatch(limit=100)

    assert (now.delivered, after_lease.delivered) == (20, 10)
    keys = [event.key for event in publisher.events]
    assert len(keys) == len(set(keys)) == 30
    retried = [
        d for order in placed for d in harness.repository.deliveries(order.id) if d.attempts == 2
    ]
    assert len(retried) == 10
    assert {d.state for d in retried} == {"delivered"}
