"""The SQL store's unit of work: a command's reads and its save on one connection, the
write lock taken only at the save, a busy database refused as a concurrent writer."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, event

from orderflow import Actor, ConcurrencyError, DuplicateOrder, Order
from orderflow.adapters.sql import SqlRepository, make_engine
from orderflow.ports import UnitOfWork
from orderflow.service.settings import StaffAndSystem
from orderflow.testing import STAFF, make_draft, make_flow
from orderflow.testing.contract import T0, item, new_order


def checkouts(engine: Engine) -> list[object]:
    """Records each connection the engine's pool hands out from now on (a SQLite store
    takes the connection it keeps between calls without a checkout: close it first)."""
    found: list[object] = []
    event.listen(engine.pool, "checkout", lambda *args: found.append(args[0]))
    return found


def test_the_sql_store_offers_a_unit_of_work(sql_store: SqlRepository) -> None:
    assert isinstance(sql_store, UnitOfWork)


def test_a_command_reads_and_saves_through_one_connection(sql_store: SqlRepository) -> None:
    flow = make_flow(repository=sql_store, publish=False).flow
    placed = flow.place(make_draft(), actor=STAFF)
    sql_store.close()
    taken = checkouts(sql_store.engine)

    flow.update_note(placed.id, "Fragile", actor=STAFF)

    assert len(taken) == 1
    assert sql_store.get(placed.id).note == "Fragile"


def test_units_nest_and_calls_outside_one_take_their_own_connection(
    sql_store: SqlRepository,
) -> None:
    sql_store.add(new_order("ord-1", 1001))
    sql_store.close()
    taken = checkouts(sql_store.engine)

    with sql_store.unit_of_work(), sql_store.unit_of_work():
        sql_store.get("ord-1")
        sql_store.by_number(1001)
        assert len(taken) == 1
    sql_store.get("ord-1")

    # SQLite: the unit's connection, kept once the unit ended; PostgreSQL: another checkout
    assert len(taken) == (1 if sql_store.engine.dialect.name == "sqlite" else 2)


class WritesWhileAsked(StaffAndSystem):
    """A host's authorizer that writes to the database itself while it decides: it would
    wait for ever (here: fail at once) if orderflow held the write lock meanwhile."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.wrote = 0

    def allows(self, actor: Actor, command: str, order: Order | None) -> bool:
        if order is not None:
            db = sqlite3.connect(self.path, timeout=0, isolation_level=None)
            db.execute("BEGIN IMMEDIATE")
            db.execute("UPDATE orderflow_counters SET value = value")
            db.execute("COMMIT")
            db.close()
            self.wrote += 1
        return super().allows(actor, command, order)


def test_no_host_callback_runs_under_the_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "shop.sqlite3"
    store = SqlRepository.from_url(path, create=True)
    authorizer = WritesWhileAsked(path)
    flow = make_flow(repository=store, publish=False, authorizer=authorizer).flow
    placed = flow.place(make_draft(), actor=STAFF)

    flow.update_note(placed.id, "Fragile", actor=STAFF)

    assert authorizer.wrote >= 1
    store.engine.dispose()


def test_a_save_while_another_writer_holds_the_database_is_a_concurrency_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shop.sqlite3"
    SqlRepository.from_url(path, create=True).engine.dispose()
    store = SqlRepository(make_engine(path, connect_args={"timeout": 0.05}))
    order = new_order("ord-1", 1001)
    store.add(order)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(ConcurrencyError, match="busy"):
            store.save(order, expected_version=1)
        with pytest.raises(ConcurrencyError, match="busy"), store.unit_of_work():
            store.save(order, expected_version=1)
    finally:
        other.execute("ROLLBACK")
        other.close()

    assert store.get("ord-1") == order
    store.engine.dispose()


# -- what a command sends to SQLite: counted, as a regression test for each saving ---------------


def traced(path: Path) -> tuple[SqlRepository, list[str]]:
    """A store on a new SQLite file, and every statement its connections send from now on
    (BEGIN and COMMIT included)."""
    store = SqlRepository.from_url(path, create=True)
    sent: list[str] = []
    event.listen(store.engine, "connect", lambda dbapi, _: dbapi.set_trace_callback(sent.append))
    store.engine.dispose()
    return store, sent


def verbs(sent: list[str]) -> list[str]:
    return [
        " ".join(statement.split()[:2]) if statement.startswith("BEGIN") else statement.split()[0]
        for statement in sent
    ]


def test_a_command_on_sqlite_reads_without_a_transaction_and_commits_once(tmp_path: Path) -> None:
    store, sent = traced(tmp_path / "shop.sqlite3")
    flow = make_flow(repository=store, publish=False).flow
    placed = flow.place(make_draft(), actor=STAFF)
    sent.clear()

    flow.update_note(placed.id, "Fragile", actor=STAFF)

    kinds = verbs(sent)
    assert kinds[0] == "SELECT"  # the load: no BEGIN, no COMMIT around it
    assert kinds.count("BEGIN IMMEDIATE") == 1
    assert kinds.count("BEGIN") == 0
    assert kinds.count("COMMIT") == 1
    assert kinds[-1] == "COMMIT"


def test_placing_takes_one_connection_and_two_writes(tmp_path: Path) -> None:
    store, sent = traced(tmp_path / "shop.sqlite3")
    flow = make_flow(repository=store, publish=False).flow
    taken = checkouts(store.engine)

    flow.place(make_draft(), actor=STAFF)

    assert len(taken) == 1
    assert verbs(sent).count("COMMIT") == 2  # the order number, then the order


def test_a_dispatch_pass_claims_in_one_write_and_records_its_deliveries_in_one(
    tmp_path: Path,
) -> None:
    store, sent = traced(tmp_path / "shop.sqlite3")
    harness = make_flow(repository=store)
    placed = harness.flow.place(make_draft(), actor=STAFF)
    harness.flow.archive(placed.id, actor=STAFF)
    queued = len(store.deliveries(placed.id))
    sent.clear()
    store.close()
    taken = checkouts(store.engine)

    report = harness.flow.dispatch()

    assert report.delivered == queued > 1
    assert len(taken) == 1
    assert verbs(sent).count("COMMIT") == 2
    assert {d.state for d in store.deliveries(placed.id)} == {"delivered"}


def test_deliveries_recorded_together_are_all_kept_and_an_unknown_key_named_after(
    sql_store: SqlRepository,
) -> None:
    sql_store.add(new_order("ord-1", 1001), outbox=[item("a"), item("b"), item("c")])
    sql_store.claim(T0, limit=10, lease=timedelta(minutes=5))
    done = T0 + timedelta(seconds=1)

    with pytest.raises(KeyError, match="nope"):
        sql_store.mark_all_delivered([("a", T0), ("nope", done), ("b", done)])

    found = {d.item.key: (d.state, d.delivered_at) for d in sql_store.deliveries("ord-1")}
    assert found == {"a": ("delivered", T0), "b": ("delivered", done), "c": ("pending", None)}
    with pytest.raises(KeyError, match="nul"):  # never stored: never sent to the driver
        sql_store.mark_all_delivered([("c", done), ("nul\x00", done)])
    assert [d.state for d in sql_store.deliveries("ord-1")] == ["delivered"] * 3


def test_deliveries_recorded_together_all_found_are_all_kept(sql_store: SqlRepository) -> None:
    sql_store.add(new_order("ord-1", 1001), outbox=[item("a"), item("b"), item("c")])
    sql_store.claim(T0, limit=10, lease=timedelta(minutes=5))
    done = T0 + timedelta(seconds=1)

    sql_store.mark_all_delivered([("a", T0), ("c", done)])

    found = {d.item.key: (d.state, d.delivered_at) for d in sql_store.deliveries("ord-1")}
    assert found == {"a": ("delivered", T0), "b": ("pending", None), "c": ("delivered", done)}


def test_a_refused_write_on_sqlite_leaves_nothing_and_the_unit_goes_on(tmp_path: Path) -> None:
    store, sent = traced(tmp_path / "shop.sqlite3")
    store.add(new_order("ord-1", 1001), outbox=[item("a")])
    sent.clear()

    with store.unit_of_work():
        with pytest.raises(DuplicateOrder):
            store.add(new_order("ord-2", 1002), outbox=[item("a", "ord-2")])
        store.add(new_order("ord-3", 1003))

    assert "ROLLBACK" in verbs(sent)
    assert store.by_number(1002) is None
    assert store.get("ord-3").number == 1003
