"""The command line's SQL side: ``db init``, ``db upgrade``, and the demo keeping its orders
in a database."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest

from adapters import schema_v1
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


def release_1_database(path: Path) -> Path:
    """A SQLite file whose tables orderflow's release 1 created (schema version 1)."""
    engine = make_engine(path)
    schema_v1.create_schema(engine)
    engine.dispose()
    return path


def test_db_upgrade_brings_a_database_of_an_earlier_release_to_this_version_once(
    tmp_path: Path,
) -> None:
    database = release_1_database(tmp_path / "shop.sqlite3")

    first = run("db", "upgrade", str(database))
    again = run("db", "upgrade", str(database))

    assert (
        first
        == f"orderflow schema upgraded from version 1 to {SCHEMA_VERSION} in sqlite:///{database}\n"
    )
    assert (
        again
        == f"orderflow schema version {SCHEMA_VERSION} ready in sqlite:///{database}: nothing to upgrade\n"
    )
    assert SqlRepository.from_url(database).next_number() == 1001


def test_db_upgrade_creates_the_tables_of_a_new_database(tmp_path: Path) -> None:
    database = tmp_path / "new.sqlite3"

    assert run("db", "upgrade", str(database)) == (
        f"orderflow schema version {SCHEMA_VERSION} created in sqlite:///{database}\n"
    )
    assert schema_version(make_engine(database)) == SCHEMA_VERSION


def test_db_init_on_a_database_of_an_earlier_release_says_to_run_db_upgrade(
    tmp_path: Path,
) -> None:
    database = release_1_database(tmp_path / "shop.sqlite3")

    with pytest.raises(
        SystemExit, match=r"^orderflow db init: .* version 1, older .*`orderflow db upgrade URL`"
    ):
        run("db", "init", str(database))


@pytest.mark.parametrize("command", ["init", "upgrade"])
def test_a_database_out_of_reach_is_reported_in_one_line_that_keeps_the_password_secret(
    command: str,
) -> None:
    url = "postgresql+psycopg://shop:s3cret@127.0.0.1:1/shop"  # nothing listens on port 1

    with pytest.raises(SystemExit) as refused:
        run("db", command, url)

    message = str(refused.value.code)
    assert message.startswith(f"orderflow db {command}: OperationalError: connection failed")
    assert "\n" not in message
    assert "s3cret" not in message


def test_a_url_of_an_unknown_database_is_reported_in_one_line() -> None:
    with pytest.raises(
        SystemExit, match=r"^orderflow db upgrade: Can't load plugin: sqlalchemy\.dialects:nosuch$"
    ):
        run("db", "upgrade", "nosuch://shop")


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
