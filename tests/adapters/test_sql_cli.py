"""The command line's SQL side: ``db init``, and the demo keeping its orders in a database."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest

from orderflow.adapters.sql import SCHEMA_VERSION, SqlRepository, make_engine, schema_version
from orderflow.cli import main


def run(*argv: str) -> str:
    out = StringIO()
    assert main(list(argv), out=out) == 0
    return out.getvalue()


def test_db_init_creates_the_tables_records_their_version_and_can_run_again(
    tmp_path: Path,
) -> None:
    database = tmp_path / "shop.sqlite3"

    first = run("db", "init", str(database))
    again = run("db", "init", f"sqlite:///{database}")

    assert (
        first
        == again
        == f"orderflow schema version {SCHEMA_VERSION} ready in sqlite:///{database}\n"
    )
    assert schema_version(make_engine(database)) == SCHEMA_VERSION


def test_the_demo_keeps_each_storys_orders_in_a_database_of_its_own(tmp_path: Path) -> None:
    database = tmp_path / "demo.sqlite3"

    output = run("demo", "--database", str(database))

    assert "Timeline of #1002" in output
    payments = SqlRepository.from_url(tmp_path / "demo-payments.sqlite3")
    order = payments.by_number(1001)
    assert order is not None
    assert (order.external_checkout_id, order.archive_status) == ("checkout-42", "archived")
    assert sorted(p.name for p in tmp_path.glob("*.sqlite3")) == [
        "demo-fulfillment.sqlite3",
        "demo-payments.sqlite3",
        "demo-services.sqlite3",
    ]


def test_the_demo_refuses_a_database_that_already_holds_its_orders(tmp_path: Path) -> None:
    database = tmp_path / "demo.sqlite3"
    run("demo", "--database", str(database))

    with pytest.raises(SystemExit, match=r"demo-payments\.sqlite3 already holds orders"):
        run("demo", "--database", str(database))
