"""``orderflow`` / ``python -m orderflow``: the demo and the state diagrams."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import timedelta
from typing import TextIO

from orderflow.domain.financial import balance, financial_status
from orderflow.domain.machines import MACHINES
from orderflow.domain.money import Money
from orderflow.domain.order import CancelReason, Order
from orderflow.testing import GATEWAY, STAFF, authorization, make_draft, make_flow, make_line


def demo(out: TextIO) -> None:
    """A scripted walk through two orders' lives in memory, printing what happened."""
    harness = make_flow()
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
    order = flow.refund(order.id, Money("12.50", order.currency), actor=STAFF)
    flow.dispatch()
    order = flow.archive(order.id, actor=STAFF)
    show(flow.get(order.id), "Partly refunded and archived")

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
        out.write(f"\nTimeline of {current.name}\n")
        for entry in current.timeline:
            note = f"  [{entry.note}]" if entry.note else ""
            out.write(f"  {entry.at:%Y-%m-%d %H:%M}  {entry.actor!s:<26} {entry.message}{note}\n")
    out.write(f"\n{len(harness.publisher.events)} events published to the host.\n")


def diagram(out: TextIO) -> None:
    """Mermaid state diagrams, drawn from the machine classes themselves."""
    for machine in MACHINES:
        out.write(f"%% {machine.__name__}\n{machine:mermaid}\n")


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="orderflow", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "demo", help="walk through orders' lives in memory and print their timelines"
    )
    commands.add_parser("diagram", help="print the lifecycles as Mermaid state diagrams")
    args = parser.parse_args(argv)
    {"demo": demo, "diagram": diagram}[args.command](out)
    return 0
