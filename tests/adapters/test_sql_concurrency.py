"""Several processes sharing one SQL database, as several app servers do: writers racing
for one order, dispatchers sharing the outbox, a dispatcher killed while it held a lease,
deployments creating the tables at the same moment.

Workers are spawned processes with engines of their own (``sql_workers.py``); barriers line
them up, joins with timeouts wait for them. Nothing here sleeps or reads the wall clock:
every process runs on a FakeClock standing at the same time.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from adapters import sql_workers
from adapters.conftest import postgres_server_url
from orderflow.adapters.sql import SCHEMA_VERSION, SqlRepository, make_engine
from orderflow.adapters.sql import engine as sql_engine
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


CREATORS = 4
"""Processes creating the same tables at once, each round."""


def create_at_once(targets: list[list[tuple[str, str]]]) -> dict[int, list[str]]:
    """Run one process per list of targets, all creating their round's target at once;
    what they reported, per round, sorted."""
    start = SPAWN.Barrier(len(targets))
    report = SPAWN.Queue()
    processes = [
        SPAWN.Process(target=sql_workers.create_in_rounds, args=(mine, f"p{n}", start, report))
        for n, mine in enumerate(targets)
    ]
    run_all(processes)
    found = [report.get(timeout=sql_workers.TIMEOUT) for mine in targets for _ in mine]
    return {r: sorted(result for _, rr, result in found if rr == r) for r in range(ROUNDS)}


def test_processes_creating_one_sqlite_database_at_once_all_find_it_ready(tmp_path: Path) -> None:
    files = [f"sqlite:///{tmp_path / f'round-{r}.sqlite3'}" for r in range(ROUNDS)]
    how = ["cli", "cli", "function", "function"]

    reports = create_at_once([[(how[n], url) for url in files] for n in range(CREATORS)])

    for r, url in enumerate(files):
        ready = f"orderflow schema version {SCHEMA_VERSION} ready in {url}\n"
        assert reports[r] == sorted([ready, ready, *[f"version {SCHEMA_VERSION}"] * 2]), r
        assert SqlRepository(make_engine(url)).next_number() == 1001


@pytest.mark.usefixtures("postgres_url")  # skipped, or failed, without a server
def test_processes_creating_one_postgres_schema_at_once_all_find_it_ready() -> None:
    server = postgres_server_url()
    names = [f"orderflow_race_{uuid.uuid4().hex[:8]}_{r}" for r in range(ROUNDS)]
    admin = make_engine(server)
    # even rounds: `orderflow db init URL` and create_schema in a schema that exists;
    # odd rounds: SqlRepository.from_url(create=True, schema=...) creating the schema too
    for name in names[::2]:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{name}"'))
    urls = [
        server.update_query_dict({"options": f"-csearch_path={name}"}).render_as_string(
            hide_password=False
        )
        for name in names
    ]
    server_url = server.render_as_string(hide_password=False)

    def targets(n: int) -> list[tuple[str, str]]:
        return [
            (("cli" if n % 2 else "function"), urls[r])
            if r % 2 == 0
            else ("schema", f"{server_url}|{names[r]}")
            for r in range(ROUNDS)
        ]

    try:
        reports = create_at_once([targets(n) for n in range(CREATORS)])

        for r in range(ROUNDS):
            if r % 2:
                assert reports[r] == [f"store at version {SCHEMA_VERSION}"] * CREATORS, r
            else:
                ready = f"orderflow schema version {SCHEMA_VERSION} ready in {make_engine(urls[r]).url!r}\n"
                assert reports[r] == sorted([ready, ready, *[f"version {SCHEMA_VERSION}"] * 2]), r
            store = SqlRepository(make_engine(urls[r]))
            assert store.next_number() == 1001
            store.engine.dispose()
    finally:
        with admin.begin() as connection:
            for name in names:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()


def test_a_new_connection_tries_again_to_switch_a_database_to_wal_while_another_holds_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Switching to WAL needs the database to itself, and SQLite may refuse at once while
    another process switches it (the processes test above, now and then): a connection
    tries again rather than fail with "database is locked"."""
    path = tmp_path / "shared.sqlite3"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("CREATE TABLE t (x)")
    other.execute("BEGIN")
    other.execute("SELECT * FROM t").fetchall()  # a reader holds the database
    waits: list[float] = []

    def let_go(seconds: float) -> None:
        waits.append(seconds)
        other.execute("COMMIT")

    monkeypatch.setattr(sql_engine, "_pause", let_go)
    engine = make_engine(path, connect_args={"timeout": 0.01})  # refused, not kept waiting
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()
    other.close()
    assert len(waits) == 1
