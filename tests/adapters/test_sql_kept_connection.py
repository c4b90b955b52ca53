"""The connection a SQLite store keeps between its calls: one at most, whatever the number
of threads; none from a pool that cannot spare it; never the parent's after a fork; given
back when the engine is disposed, when the store is closed or garbage-collected."""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, event

from orderflow.adapters.sql import SqlRepository, make_engine
from orderflow.adapters.sql import engine as engines
from orderflow.testing.contract import new_order


def opened(engine: Engine) -> list[object]:
    """Each DBAPI connection the engine opens from now on."""
    found: list[object] = []
    event.listen(engine, "connect", lambda dbapi, _: found.append(dbapi))
    return found


def in_child(check: Callable[[], bytes]) -> tuple[bytes, int]:
    """Run ``check`` in a forked child: what it reported (``b"ok"`` when all was well) and
    the child's exit code."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        code = 1
        try:
            os.write(write, check())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    reported = os.read(read, 200)
    os.close(read)
    _, status = os.waitpid(pid, 0)
    return reported, os.waitstatus_to_exitcode(status)


def kept_of(store: SqlRepository) -> object:
    spare = store._spare
    assert spare is not None
    return spare._kept.connection


def test_calls_reuse_one_connection_without_a_checkout(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    store = SqlRepository(engine)
    store.add(new_order("ord-1", 1001))
    checkouts: list[object] = []
    event.listen(engine.pool, "checkout", lambda *args: checkouts.append(args[0]))

    for _ in range(3):
        store.get("ord-1")
    with store.unit_of_work():
        store.save(store.get("ord-1"), expected_version=1)

    assert checkouts == []
    assert engine.pool.checkedout() == 1  # the one kept, no transaction open
    assert not kept_of(store).connection.dbapi_connection.in_transaction  # type: ignore[attr-defined]
    engine.dispose()


def test_many_threads_hold_at_most_one_connection_between_calls(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "shop.sqlite3", pool_size=2, max_overflow=0, pool_timeout=5)
    SqlRepository.from_url(tmp_path / "shop.sqlite3", create=True).engine.dispose()
    store = SqlRepository(engine)
    for n in range(8):
        store.add(new_order(f"ord-{n}", 1001 + n))
    failed: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for _ in range(20):
                store.get(f"ord-{n}")
        except BaseException as error:  # pragma: no cover - reported below
            failed.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failed == []
    assert engine.pool.checkedout() == 1  # one kept; a connection per thread would be 2+
    with engine.connect():
        pass  # pool_size=2: one kept, the other free
    engine.dispose()


def test_a_pool_of_one_is_left_to_the_host(tmp_path: Path) -> None:
    SqlRepository.from_url(tmp_path / "shop.sqlite3", create=True).engine.dispose()
    engine = make_engine(tmp_path / "shop.sqlite3", pool_size=1, max_overflow=0, pool_timeout=1)
    store = SqlRepository(engine)
    store.add(new_order("ord-1", 1001))

    assert engine.pool.checkedout() == 0
    with engine.connect():  # the host's own work finds the only connection free
        pass
    engine.dispose()


def test_an_in_memory_database_keeps_none(tmp_path: Path) -> None:
    # SingletonThreadPool: a connection (a database) per thread, not to be shared
    engine = make_engine("sqlite://")
    assert not engines.Spare.fits(engine)
    engine.dispose()


def test_disposing_of_the_engine_closes_the_kept_connection(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    store = SqlRepository(engine)
    store.add(new_order("ord-1", 1001))
    kept = kept_of(store).connection.dbapi_connection  # type: ignore[attr-defined]

    engine.dispose()

    assert kept_of(store) is None
    with pytest.raises(Exception, match="closed"):
        kept.execute("SELECT 1")
    assert store.get("ord-1").id == "ord-1"  # a new pool, a new connection
    engine.dispose()


def test_closing_or_dropping_the_store_returns_the_connection(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    store = SqlRepository(engine)
    store.add(new_order("ord-1", 1001))
    assert engine.pool.checkedout() == 1

    store.close()
    assert engine.pool.checkedout() == 0

    store.get("ord-1")
    assert engine.pool.checkedout() == 1
    del store
    gc.collect()  # no warning of a connection the garbage collector found checked out
    assert engine.pool.checkedout() == 0
    engine.dispose()


def test_a_pool_replaced_is_noticed_at_the_next_call(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    store = SqlRepository(engine)
    store.add(new_order("ord-1", 1001))
    old = engine.pool
    engine.pool = old.recreate()  # as dispose() does, without its event

    store.get("ord-1")

    assert old.checkedout() == 0
    assert engine.pool.checkedout() == 1
    old.dispose()
    engine.dispose()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork")
def test_a_forked_child_neither_uses_nor_closes_the_parents_connection(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    store = SqlRepository(engine)
    store.add(new_order("ord-1", 1001))
    parents = kept_of(store)
    connects = opened(engine)

    def check() -> bytes:  # pragma: no cover - runs in the child
        found = store.get("ord-1").id == "ord-1"
        store.add(new_order("ord-2", 1002))
        own = kept_of(store)
        store.close()
        untouched = not parents.closed and parents in engines._FORKED  # type: ignore[attr-defined]
        ok = found and len(connects) == 1 and own is not parents and untouched
        return b"ok" if ok else f"{found} {connects} {untouched}".encode()

    assert in_child(check) == (b"ok", 0)
    assert kept_of(store) is parents  # the parent's own, still kept and working
    assert store.get("ord-2").id == "ord-2"
    assert connects == []
    engine.dispose()


def test_the_kept_connection_after_an_error_is_given_back(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    store = SqlRepository(engine)
    store.add(new_order("ord-1", 1001))
    before = kept_of(store)

    def command() -> None:
        with store.unit_of_work():
            store.get("ord-1")
            raise RuntimeError("the command failed")

    with pytest.raises(RuntimeError):
        command()

    assert kept_of(store) is None  # closed: back to the pool, not kept
    assert engine.pool.checkedout() == 0
    assert before.closed  # type: ignore[attr-defined]
    store.get("ord-1")
    assert engine.pool.checkedout() == 1
    engine.dispose()


def test_memory_is_not_held_by_the_registry_of_engines(sqlite_url: str) -> None:
    gc.collect()
    count = len(engines._SPARES)
    engine = make_engine(sqlite_url)
    store = SqlRepository(engine)
    store.add(new_order("ord-1", 1001))
    assert len(engines._SPARES) == count + 1
    del store
    engine.dispose()
    del engine
    gc.collect()
    assert len(engines._SPARES) == count


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork")
def test_a_forked_child_dropping_the_store_does_not_pool_the_parents_connection(
    sqlite_url: str,
) -> None:
    engine = make_engine(sqlite_url)
    store = SqlRepository(engine)
    store.add(new_order("ord-1", 1001))
    parents = kept_of(store).connection.dbapi_connection  # type: ignore[attr-defined]

    def check() -> bytes:  # pragma: no cover - runs in the child
        nonlocal store
        del store
        gc.collect()
        with engine.connect() as connection:
            mine = connection.connection.dbapi_connection is not parents
        return b"ok" if mine else b"the parent's connection, pooled in the child"

    assert in_child(check) == (b"ok", 0)
    assert store.get("ord-1").id == "ord-1"
    engine.dispose()
