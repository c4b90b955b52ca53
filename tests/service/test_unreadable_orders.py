"""One unreadable order never stops the work on the others (issue 10, finding 8).

A stored document edited by hand into something orderflow cannot read raises a
DocumentError naming it; ``run_due()`` and ``dispatch()`` skip it, say so in their report,
and carry on with the rest.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from orderflow import DocumentError, Order
from orderflow.adapters.sql import SqlRepository
from orderflow.testing import GATEWAY, STAFF, Harness, authorization, make_draft, make_flow


@pytest.fixture
def shop(tmp_path: Path) -> Harness:
    store = SqlRepository.from_url(tmp_path / "shop.sqlite3", create=True)
    return make_flow(publish=False, repository=store)


def lapsing(shop: Harness) -> Order:
    """An order whose authorization lapses in a day (so run_due has work on it)."""
    order = shop.flow.place(make_draft(), actor=GATEWAY)
    held = authorization(
        order.total, f"pi-{order.id}", expires_in=timedelta(days=1), clock=shop.clock
    )
    return shop.flow.record_payment(order.id, held, idempotency_key=f"e-{order.id}", actor=GATEWAY)


def break_document(shop: Harness, order: Order) -> None:
    store = shop.repository
    assert isinstance(store, SqlRepository)
    with store.engine.begin() as connection:
        connection.execute(
            text("UPDATE orderflow_orders SET document = :doc WHERE id = :id"),
            {"doc": "[" * 100_000, "id": order.id},
        )


def test_run_due_skips_an_unreadable_order_names_it_and_does_the_others(shop: Harness) -> None:
    broken, fine = lapsing(shop), lapsing(shop)
    break_document(shop, broken)
    shop.clock.advance(days=2)

    report = shop.flow.run_due()

    assert (report.changed, report.skipped) == (1, (broken.id,))
    assert shop.flow.get(fine.id).transactions[0].status == "expired"
    with pytest.raises(DocumentError, match=f"'{broken.id}'"):
        shop.flow.get(broken.id)


def test_dispatch_skips_the_jobs_of_an_unreadable_order_and_delivers_the_others(
    shop: Harness,
) -> None:
    broken, fine = lapsing(shop), lapsing(shop)
    shop.flow.capture(broken.id, actor=STAFF)
    shop.flow.capture(fine.id, actor=STAFF)
    break_document(shop, broken)

    report = shop.flow.dispatch()

    assert (report.delivered, report.failed, report.skipped) == (1, 1, 1)
    assert report.errors[0][1].startswith("DocumentError")
    assert shop.flow.get(fine.id).transactions[-1].status == "succeeded"
    assert [call.request.order_id for call in shop.gateway.calls] == [fine.id]
