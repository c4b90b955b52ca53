"""orderflow's side of the peer benchmark: the same steps as Oscar's, on SQLite.

``OrderFlow`` on a ``SqlRepository`` over a SQLite file (``make_engine``: WAL,
``synchronous=NORMAL``), with ``orderflow.testing``'s fake clock, ids and gateway and a
recording event publisher, so nothing leaves the process. Per order:

1. **checkout**: ``place`` an ``OrderDraft`` built from the checkout's plain data (three
   lines, 15.00 shipping, no tax: 97.50 EUR, as on Oscar's side), then ``record_payment``
   with a ``sale`` of the total (money captured at checkout: Oscar's ``Settled`` event),
   keyed by the checkout's payment reference;
2. **ship** two lines, then **ship** the third: ``fulfill`` the order's fulfillment order
   with ``LineQuantity`` items (checked against what remains);
3. **complete**: ``archive`` the fulfilled, paid order (orderflow's closed order, what
   Oscar's ``Complete`` status says);
4. **dispatch** the outbox: the events the steps published are delivered to the recording
   publisher (Oscar's signals run inside its steps).

Every command is one load and one save at the expected version, on one connection.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy

from orderflow import (
    Address,
    Customer,
    LineItem,
    LineQuantity,
    Money,
    OrderDraft,
    PaymentReport,
    ShippingLine,
    TransactionKind,
    financial_status,
    fulfillment_status,
)
from orderflow.adapters.sql import SqlRepository, create_schema, make_engine
from orderflow.testing import GATEWAY, STAFF, Harness, make_flow

Raw = Mapping[str, Any]

LINES = (
    ("shirt", "Linen shirt", "20.00", 2),
    ("mug", "Mug", "12.50", 1),
    ("print", "Print", "30.00", 1),
)
SHIPPING = "15.00"
TOTAL = Money("97.50", "EUR")
SHIPMENTS = (("shirt", "mug"), ("print",))
"""The lines of the first shipment, then of the second: as on Oscar's side."""


def checkout_data(index: int) -> dict[str, Any]:
    """What the checkout hands over: the basket, the customer, the address, the payment."""
    return {
        "external_checkout_id": f"chk_{index}",
        "currency": "EUR",
        "customer": {"id": f"guest-{index}", "name": "Ada Lovelace", "email": "ada@example.com"},
        "shipping_address": {
            "name": "Ada Lovelace",
            "line1": "12 rue des Lilas",
            "city": "Lyon",
            "postal_code": "69003",
            "country_code": "FR",
        },
        "lines": [
            {"id": line_id, "title": title, "quantity": quantity, "unit_price": price}
            for line_id, title, price, quantity in LINES
        ],
        "shipping": {"title": "Fixed price shipping", "price": SHIPPING},
        "payment": {"kind": "sale", "amount": str(TOTAL.amount), "reference": f"pi_{index}"},
    }


def draft(raw: Raw) -> OrderDraft:
    currency = raw["currency"]
    return OrderDraft(
        customer=Customer(**raw["customer"]),
        currency=currency,
        external_checkout_id=raw["external_checkout_id"],
        shipping_address=Address(**raw["shipping_address"]),
        line_items=tuple(
            LineItem(
                id=line["id"],
                title=line["title"],
                quantity=line["quantity"],
                unit_price=Money(line["unit_price"], currency),
            )
            for line in raw["lines"]
        ),
        shipping_lines=(
            ShippingLine(raw["shipping"]["title"], Money(raw["shipping"]["price"], currency)),
        ),
    )


def payment(raw: Raw) -> PaymentReport:
    paid = raw["payment"]
    return PaymentReport(
        kind=TransactionKind(paid["kind"]),
        amount=Money(paid["amount"], raw["currency"]),
        reference=paid["reference"],
    )


def new_shop(path: Path) -> Harness:
    """A fresh store in a new SQLite file, its tables created."""
    return make_flow(repository=SqlRepository.from_url(path, create=True))


def lifecycle(harness: Harness, raw: Raw) -> str:
    flow = harness.flow
    order = flow.place(draft(raw), actor=GATEWAY)
    key = raw["payment"]["reference"]
    flow.record_payment(order.id, payment(raw), idempotency_key=key, actor=GATEWAY)
    box = order.fulfillment_orders[0].id
    quantities = {line.id: line.quantity for line in order.line_items}
    for shipment in SHIPMENTS:
        lines = [LineQuantity(line_id, quantities[line_id]) for line_id in shipment]
        flow.fulfill(order.id, box, lines, actor=STAFF)
    flow.archive(order.id, actor=STAFF)
    flow.dispatch(limit=100)
    return order.id


def run(harness: Harness, checkouts: Sequence[Raw]) -> list[str]:
    return [lifecycle(harness, raw) for raw in checkouts]


# -- checks -------------------------------------------------------------------------------------


@contextmanager
def counting(path: Path) -> Iterator[tuple[Harness, list[str], tuple[str, int]]]:
    """A fresh store like ``new_shop``'s, every SQL statement its connections send (those
    the store runs on the driver's cursor too, ``BEGIN`` and ``COMMIT`` included: SQLite's
    own trace), and the journal mode and synchronous level of its connections."""
    engine = make_engine(path)
    create_schema(engine)
    with engine.connect() as connection:
        journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar_one()
        synchronous = connection.exec_driver_sql("PRAGMA synchronous").scalar_one()
    statements: list[str] = []

    def trace(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.set_trace_callback(statements.append)

    sqlalchemy.event.listen(engine, "connect", trace)
    engine.dispose()  # the connections made from now on are traced
    try:
        yield make_flow(repository=SqlRepository(engine)), statements, (journal, synchronous)
    finally:
        engine.dispose()


TRANSACTION = ("BEGIN", "COMMIT", "ROLLBACK")


def tally(statements: Sequence[str]) -> tuple[int, int]:
    """How many statements, not counting transaction control (as Django's count does not),
    and how many commits."""
    words = [statement.split(maxsplit=1)[0].upper() for statement in statements]
    return sum(word not in TRANSACTION for word in words), words.count("COMMIT")


def check(harness: Harness, order_ids: Sequence[str]) -> list[str]:
    """What is wrong with the orders ``run`` left (nothing, if they are done)."""
    problems = []
    for order_id in order_ids:
        order = harness.repository.get(order_id)
        facts = {
            "total": order.total,
            "lines": [(i.title, i.quantity, i.unit_price.amount) for i in order.line_items],
            "fulfillment": fulfillment_status(order),
            "fulfillments": [sorted(q.line_item_id for q in f.lines) for f in order.fulfillments],
            "financial": financial_status(order),
            "archive": order.archive_status,
            "outbox": {d.state for d in harness.repository.deliveries(order_id)},
        }
        expected = {
            "total": TOTAL,
            "lines": [(t, q, Decimal(p)) for _, t, p, q in LINES],
            "fulfillment": "fulfilled",
            "fulfillments": [sorted(s) for s in SHIPMENTS],
            "financial": "paid",
            "archive": "archived",
            "outbox": {"delivered"},
        }
        if facts != expected:
            problems.append(f"orderflow order {order.name}: {facts} != {expected}")
    return problems
