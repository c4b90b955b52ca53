"""``orderflow`` / ``python -m orderflow``: the demo, the state diagrams, ``db init`` and
``db upgrade``."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from orderflow.adapters.console import ConsoleNotifier
from orderflow.domain.actor import Actor
from orderflow.domain.financial import balance, financial_status
from orderflow.domain.fulfillment import (
    DeliveryMethod,
    HoldReason,
    LineQuantity,
    Location,
    Parcel,
    ShipmentEvent,
    ShipmentStatus,
    Tracking,
)
from orderflow.domain.fulfillment_status import display_status, fulfillment_status, shipment_status
from orderflow.domain.machines import MACHINES
from orderflow.domain.order import CancelReason, Order
from orderflow.domain.policies import (
    ArchivePolicy,
    CaptureMode,
    CapturePolicy,
    FulfillmentMode,
    FulfillmentPolicy,
    Policies,
)
from orderflow.domain.refund import RefundLine, RefundReason, RestockType
from orderflow.notifications import NotificationSettings, ServiceContact, StaffContact
from orderflow.ports.inventory import RestockRequest
from orderflow.ports.messaging import Message
from orderflow.ports.repository import OrderQuery, OrderStore
from orderflow.testing import (
    GATEWAY,
    STAFF,
    FakeLabelProvider,
    RecordingFulfillmentService,
    authorization,
    make_draft,
    make_flow,
    make_line,
    sale,
)

CARRIER = Actor.app("carrier", "La Poste")
NOTIFICATIONS = NotificationSettings(
    store_name="Maison Lune",
    admin_url="https://admin.maisonlune.example/orders/{number}",
    timezone="Europe/Paris",
    staff=(StaffContact("owner@maisonlune.example"), StaffContact("+33600000001", "sms")),
    services=(ServiceContact("shipfast", "orders@shipfast.example"),),
)
"""The demo store's messages: staff by email and SMS, the 3PL by email."""


def demo(out: TextIO, store: OrderStore | None = None) -> None:
    """A scripted walk through two orders' lives in memory, printing what happened."""
    stock = _PrintedStock(out)
    harness = make_flow(repository=store, notifications=NOTIFICATIONS, inventory=stock)
    flow, clock, gateway = harness.flow, harness.clock, harness.gateway

    def show(order: Order, title: str) -> None:
        out.write(
            f"\n== {title}: {order.name}  {financial_status(order)}, balance {balance(order)}, "
            f"{order.status}/{order.archive_status}\n"
        )

    draft = make_draft(
        make_line("mug", "12.50", 2, title="Enamel mug"),
        make_line("print", "30.00", 1, title="Risograph print"),
        external_checkout_id="checkout-42",
    )
    order = flow.place(draft, actor=GATEWAY)
    show(order, "Placed at checkout")
    order = flow.record_payment(
        order.id,
        authorization(order.total, "pi_42", expires_in=timedelta(days=7), clock=clock),
        idempotency_key="evt_1",
        actor=GATEWAY,
    )
    flow.record_payment(
        order.id,
        authorization(order.total, "pi_42", expires_in=timedelta(days=7), clock=clock),
        idempotency_key="evt_1",
        actor=GATEWAY,
    )  # the webhook, delivered twice
    show(order, "Payment authorized (webhook replayed: no change)")
    clock.advance(hours=2)
    order = flow.capture(order.id, actor=STAFF)
    show(order, "Capture requested by staff, saved as an intent")
    gateway.fail_next(1, "before")
    report = flow.dispatch()
    out.write(
        f"   dispatch: {report.delivered} delivered, {report.failed} failed ({report.errors[0][1]})\n"
    )
    clock.advance(minutes=1)
    report = flow.dispatch()
    out.write(f"   retry: {report.delivered} delivered; gateway effects: {len(gateway.effects)}\n")
    order = flow.retag(order.id, add=["gift"], actor=STAFF)
    order = flow.update_note(order.id, "Wrap the print separately.", actor=STAFF)
    clock.advance(days=1)
    order = flow.refund_lines(
        order.id,
        [RefundLine("mug", 1, RestockType.CANCEL)],
        reason=RefundReason.OUT_OF_STOCK,
        note="The last mug chipped in the warehouse",
        actor=STAFF,
    )
    flow.dispatch()
    show(flow.get(order.id), "One mug refunded (restocked)")
    box = order.fulfillment_orders[0].id  # the other mug and the print
    flow.fulfill(order.id, box, [LineQuantity("print", 1)], actor=STAFF)
    order = flow.cancel_unfulfilled(order.id, note="No more mugs this season.", actor=STAFF)
    flow.dispatch()
    order = flow.archive(order.id, actor=STAFF)
    show(flow.get(order.id), "Print shipped, the other mug cancelled (restocked), archived")

    second = flow.place(make_draft(external_checkout_id="checkout-43"), actor=GATEWAY)
    second = flow.record_payment(
        second.id,
        authorization(second.total, "pi_43", expires_in=timedelta(days=7), clock=clock),
        idempotency_key="evt_2",
        actor=GATEWAY,
    )
    second = flow.cancel(second.id, CancelReason.INVENTORY, note="Out of stock", actor=STAFF)
    flow.dispatch()
    show(flow.get(second.id), "Second order cancelled, authorization voided")

    for current in (flow.get(order.id), flow.get(second.id)):
        write_timeline(current, out)
    out.write(f"\n{len(harness.publisher.events)} events published to the host.\n")
    write_messages(harness.notifier.sent, out)
    out.write("\nWhat the customer read when the second order was cancelled:\n")
    ConsoleNotifier(out).send(harness.notifier.sent[-1])


class _PrintedStock:
    """The demo's stock system: an InventoryPort that says what comes back."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def restock(self, request: RestockRequest) -> None:
        lines = ", ".join(f"{q.quantity} x {q.line_item_id}" for q in request.lines)
        self.out.write(f"   restocked at {request.location_id}: {lines}\n")


def fulfillment_demo(out: TextIO, store: OrderStore | None = None) -> None:
    """A mixed order (gift card, mugs, a pre-order, a pickup) through automatic and manual
    fulfillment, a hold, a partial shipment, tracking to delivery and automatic archiving."""
    shop = Location("shop", "Lyon shop")
    policies = Policies(
        capture=CapturePolicy(CaptureMode.AUTOMATIC),
        fulfillment=FulfillmentPolicy(FulfillmentMode.DIGITAL_ONLY),
        archive=ArchivePolicy(automatic=True, delay=timedelta(days=1)),
    )
    harness = make_flow(policies=policies, repository=store, notifications=NOTIFICATIONS)
    flow, clock = harness.flow, harness.clock
    draft = make_draft(
        make_line("gift", "25.00", 1, title="Gift card", requires_shipping=False, gift_card=True),
        make_line("mug", "12.50", 3, title="Enamel mug"),
        make_line(
            "print",
            "40.00",
            1,
            title="Print (pre-order)",
            pre_order=(clock.now() + timedelta(days=10)).date(),
        ),
        make_line(
            "tote",
            "18.00",
            1,
            title="Tote bag",
            location=shop,
            delivery_method=DeliveryMethod.PICK_UP,
        ),
        external_checkout_id="checkout-77",
    )
    order = flow.place(draft, actor=GATEWAY)
    fos = {
        flow.get(order.id).line_item(fo.lines[0].line_item_id).id: fo.id
        for fo in order.fulfillment_orders
    }

    def show(title: str) -> None:
        current = flow.get(order.id)
        statuses = ", ".join(
            f"{fo.lines[0].line_item_id}: {display_status(current, fo)}"
            for fo in current.fulfillment_orders
        )
        out.write(
            f"\n== {title}: {current.name}  {financial_status(current)} / {fulfillment_status(current)}"
            f" / {current.archive_status}\n   {statuses}\n"
        )

    show("Placed: four fulfillment orders (digital, shipping, scheduled pre-order, pickup)")
    flow.record_payment(
        order.id,
        authorization(order.total, "pi_77", clock=clock),
        idempotency_key="evt_77",
        actor=GATEWAY,
    )
    flow.dispatch()  # the automatic capture goes to the gateway; once paid, the gift card is fulfilled
    show("Authorized, captured automatically, gift card fulfilled automatically")
    order = flow.hold(
        order.id,
        fos["mug"],
        HoldReason.INVENTORY_OUT_OF_STOCK,
        note="1 mug back in stock Friday",
        lines=[LineQuantity("mug", 1)],
        actor=STAFF,
    )
    held = next(fo for fo in order.fulfillment_orders if fo.holds)
    order = flow.fulfill(
        order.id,
        fos["mug"],
        actor=STAFF,
        tracking=Tracking(
            company="La Poste", numbers=("6A123",), urls=("https://track.example/6A123",)
        ),
    )
    shipment = order.fulfillments[-1].id
    show("One mug held (split off), two shipped with tracking")
    for step, status in enumerate(
        (ShipmentStatus.IN_TRANSIT, ShipmentStatus.OUT_FOR_DELIVERY, ShipmentStatus.DELIVERED), 1
    ):
        clock.advance(hours=12)
        flow.record_shipment_event(
            order.id,
            shipment,
            ShipmentEvent(status=status, at=clock.now()),
            idempotency_key=f"carrier-{step}",
            actor=CARRIER,
        )
    out.write(
        f"   shipment {shipment}: {shipment_status(flow.get(order.id).fulfillment(shipment))}\n"
    )
    flow.ready_for_pickup(order.id, fos["tote"], actor=STAFF)
    flow.picked_up(order.id, fos["tote"], actor=STAFF)
    clock.advance(days=2)
    flow.release(order.id, held.id, held.holds[0].id, actor=STAFF)
    flow.fulfill(order.id, held.id, actor=STAFF)
    show("Tote picked up at the shop; the last mug released and shipped")
    clock.advance(days=8)
    flow.run_due()  # the pre-order's date has come: its fulfillment order opens
    flow.fulfill(order.id, fos["print"], actor=STAFF)
    show("Pre-order opened on its date and shipped: fulfilled and paid")
    clock.advance(days=1)
    flow.run_due()
    show("A day later, archived by the archive policy")
    write_timeline(flow.get(order.id), out)
    flow.dispatch()
    write_messages(harness.notifier.sent, out)


def service_demo(out: TextIO, store: OrderStore | None = None) -> None:
    """An order shipped by a third-party fulfillment service, and a label bought for another."""
    service, labels = RecordingFulfillmentService(), FakeLabelProvider()
    policies = Policies(fulfillment=FulfillmentPolicy(FulfillmentMode.AUTOMATIC))
    harness = make_flow(
        policies=policies,
        fulfillment_service=service,
        labels=labels,
        repository=store,
        notifications=NOTIFICATIONS,
    )
    flow, clock = harness.flow, harness.clock
    warehouse = Location("wh-lyon", "ShipFast Lyon", fulfillment_service="shipfast")
    shipfast = Actor.app("shipfast", "ShipFast")

    order = flow.place(make_draft(location=warehouse), actor=GATEWAY)
    flow.record_payment(
        order.id, sale(order.total, "ch_88"), idempotency_key="evt_88", actor=GATEWAY
    )
    flow.dispatch()
    (call,) = service.calls
    out.write(
        f"\n== Paid, so automation asked {call.service} to fulfil {call.fulfillment_order_id}"
        f" ({fulfillment_status(flow.get(order.id))}); nothing is marked fulfilled by orderflow\n"
    )
    flow.accept_fulfillment_request(
        order.id, call.request_id, idempotency_key="sf-1", actor=shipfast
    )
    flow.accept_fulfillment_request(
        order.id, call.request_id, idempotency_key="sf-1", actor=shipfast
    )  # redelivered
    tracking = Tracking(company="Chronopost", numbers=("XY123",))
    order = flow.record_service_fulfillment(
        order.id, call.request_id, idempotency_key="sf-2", tracking=tracking, actor=shipfast
    )
    shipment = order.fulfillments[-1].id
    clock.advance(days=1)
    flow.record_shipment_event(
        order.id,
        shipment,
        ShipmentEvent(status=ShipmentStatus.DELIVERED, at=clock.now()),
        idempotency_key="carrier-xy",
        actor=CARRIER,
    )
    order = flow.find("tracking_number", "XY123")
    out.write(
        f"   found by tracking XY123: {order.name}, {fulfillment_status(order)}, shipment "
        f"{shipment_status(order.fulfillment(shipment))}\n"
    )
    write_timeline(order, out)

    own = flow.place(make_draft(), actor=STAFF)
    own = flow.fulfill(own.id, own.fulfillment_orders[0].id, actor=STAFF)
    parcel = Parcel(weight_grams=1200, length_cm=30, width_cm=20, height_cm=12)
    flow.buy_label(
        own.id,
        own.fulfillments[0].id,
        carrier="La Poste",
        service_level="Colissimo",
        parcel=parcel,
        actor=STAFF,
    )
    flow.dispatch()
    label = flow.get(own.id).fulfillments[0].label
    if label is None or label.document is None:
        raise RuntimeError("the fake label provider always answers: the demo is broken")
    out.write(
        f"\n== {own.name}: shipped by the merchant with a {label.carrier} label, tracking "
        f"{label.tracking_number}, {len(label.document)} bytes of {label.media_type}\n"
    )
    flow.dispatch()
    write_messages(harness.notifier.sent, out)


def write_messages(messages: Sequence[Message], out: TextIO) -> None:
    """One line per message the store sent, in the order it sent them."""
    out.write("\nMessages the store sent, in order\n")
    for m in messages:
        out.write(f"  {m.template:<22} {m.channel:<5} to {m.to:<26} {m.subject or m.text}\n")


def write_timeline(order: Order, out: TextIO) -> None:
    out.write(f"\nTimeline of {order.name}\n")
    for entry in order.timeline:
        note = f"  [{entry.note}]" if entry.note else ""
        out.write(f"  {entry.at:%Y-%m-%d %H:%M}  {entry.actor!s:<26} {entry.message}{note}\n")


def diagram(out: TextIO) -> None:
    """Mermaid state diagrams, drawn from the machine classes themselves."""
    for machine in MACHINES:
        out.write(f"%% {machine.__name__}\n{machine:mermaid}\n")


def demo_stores(database: str | None, directory: str) -> Callable[[str], OrderStore]:
    """Where each story of the demo keeps its orders, apart from the others': a SQLite file
    in ``directory`` by default; with ``database``, a schema of that PostgreSQL database,
    or a file next to that SQLite file. A story finding orders there is refused."""
    try:
        from orderflow.adapters.sql import SqlRepository, database_url
    except ImportError:  # the `sql` extra is not installed
        if database is not None:
            raise SystemExit(
                "--database needs the SQL adapter: pip install 'orderflow[sql]'"
            ) from None
        from orderflow.adapters.memory import InMemoryRepository

        print("(SQLAlchemy is not installed: the demo runs in memory)", file=sys.stderr)
        return lambda _: InMemoryRepository()

    def store(story: str) -> OrderStore:
        url = database_url(database or Path(directory, "orders.sqlite3"))
        if url.get_backend_name() == "sqlite":
            path = Path(url.database or "orders.sqlite3")
            where = str(path.with_name(f"{path.stem}-{story}{path.suffix}"))
            repository = SqlRepository.from_url(where, create=True)
        else:
            where = f"orderflow_demo_{story}"
            repository = SqlRepository.from_url(url, create=True, schema=where)
        if repository.query(OrderQuery(archived=None, limit=1)).orders:
            raise SystemExit(f"the demo needs empty stores, and {where} already holds orders")
        return repository

    return store


def database_command(command: str, database: str, out: TextIO) -> None:
    """``db init`` (create the tables) or ``db upgrade`` (bring them to this release's
    version): one line saying where the schema stands, or SystemExit with one line saying
    what went wrong (a schema of another version, a URL or a database out of reach)."""
    try:
        from orderflow.adapters.sql import (
            create_schema,
            make_engine,
            schema_version,
            upgrade_schema,
        )
        from orderflow.adapters.sql.migrate import FAILURES, failure_message
    except ImportError:  # the `sql` extra is not installed
        raise SystemExit(
            f"orderflow db {command} needs the SQL adapter: pip install 'orderflow[sql]'"
        ) from None
    try:
        engine = make_engine(database)
    except FAILURES as error:
        raise SystemExit(f"orderflow db {command}: {failure_message(error)}") from None
    where = repr(engine.url)  # the password hidden
    try:
        if command == "init":
            line = f"orderflow schema version {create_schema(engine)} ready in {where}"
        else:
            before = schema_version(engine)
            after = upgrade_schema(engine)
            if before is None:
                line = f"orderflow schema version {after} created in {where}"
            elif before == after:
                line = f"orderflow schema version {after} ready in {where}: nothing to upgrade"
            else:
                line = f"orderflow schema upgraded from version {before} to {after} in {where}"
    except FAILURES as error:
        raise SystemExit(f"orderflow db {command}: {failure_message(error)}") from None
    finally:
        engine.dispose()
    out.write(line + "\n")


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="orderflow", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo_command = commands.add_parser(
        "demo", help="walk through orders' lives on a SQLite file and print their timelines"
    )
    demo_command.add_argument(
        "--database",
        metavar="URL",
        help="keep the orders there (PostgreSQL: one schema per story) instead of a "
        "temporary SQLite file",
    )
    commands.add_parser("diagram", help="print the lifecycles as Mermaid state diagrams")
    db = commands.add_parser("db", help="the SQL store's tables").add_subparsers(
        dest="db_command", required=True
    )
    init = db.add_parser("init", help="create orderflow's tables and record the schema version")
    upgrade = db.add_parser(
        "upgrade",
        help="bring orderflow's tables to this release's schema version (creating them if missing)",
    )
    for database in (init, upgrade):
        database.add_argument(
            "database",
            nargs="?",
            default="orderflow.sqlite3",
            metavar="URL",
            help="a SQLAlchemy URL or a SQLite file path (default: ./orderflow.sqlite3)",
        )
    args = parser.parse_args(argv)
    if args.command == "demo":
        with tempfile.TemporaryDirectory(prefix="orderflow-demo-") as directory:
            store = demo_stores(args.database, directory)
            demo(out, store("payments"))
            fulfillment_demo(out, store("fulfillment"))
            service_demo(out, store("services"))
    elif args.command == "db":
        database_command(args.db_command, args.database, out)
    else:
        diagram(out)
    return 0
