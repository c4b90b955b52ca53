"""Policies through the service: capture, automatic fulfillment and archiving happen as
ordinary changes by the ``SYSTEM`` actor, saved with the command that triggered them.

``make_draft()`` costs 62.00 EUR (2 x 20.00 + 15.00 shipping + 7.00 tax); the "mixed"
order adds up to 162.00 EUR (7 units of 20.00, ``plain`` twice, + 15.00 + 7.00).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from orderflow import SYSTEM, CancelReason, Money, Order, TransactionKind, financial_status
from orderflow.domain.fulfillment import DeliveryMethod, HoldReason, LineQuantity
from orderflow.domain.fulfillment_status import fulfillment_status
from orderflow.domain.policies import (
    ArchivePolicy,
    CaptureMode,
    CapturePolicy,
    FulfillmentMode,
    FulfillmentPolicy,
    Policies,
)
from orderflow.errors import InvalidTransition
from orderflow.testing import (
    GATEWAY,
    STAFF,
    Harness,
    authorization,
    eur,
    make_draft,
    make_flow,
    make_line,
    sale,
)

TOTAL = eur("62.00")
MIXED_TOTAL = eur("162.00")


def flow(
    capture: CaptureMode = CaptureMode.MANUAL,
    fulfillment: FulfillmentMode = FulfillmentMode.MANUAL,
    archive: ArchivePolicy | None = None,
) -> Harness:
    policies = Policies(
        capture=CapturePolicy(capture),
        fulfillment=FulfillmentPolicy(fulfillment),
        archive=archive or ArchivePolicy(),
    )
    return make_flow(publish=False, policies=policies)


def mixed(harness: Harness) -> Order:
    """fo1 ships ``plain`` (2), ``review`` (needs review), ``card`` (a physical gift card);
    fo2 is the pre-order ``pre``; fo3 the pickup ``pick``; fo4 the e-book ``ebook``."""
    return harness.flow.place(
        make_draft(
            make_line("plain", quantity=2),
            make_line("pre", pre_order=date(2026, 3, 1)),
            make_line("pick", delivery_method=DeliveryMethod.PICK_UP),
            make_line("review", requires_manual_review=True),
            make_line("ebook", requires_shipping=False),
            make_line("card", gift_card=True),
        ),
        actor=STAFF,
    )


def pay(harness: Harness, order: Order, amount: Money = TOTAL) -> Order:
    return harness.flow.record_payment(
        order.id,
        sale(amount),
        idempotency_key=f"sale-{order.id}",
        actor=GATEWAY,
    )


def authorize(harness: Harness, order: Order, amount: Money = TOTAL) -> Order:
    return harness.flow.record_payment(
        order.id,
        authorization(amount),
        idempotency_key=f"auth-{order.id}",
        actor=GATEWAY,
    )


def fulfilled(order: Order) -> dict[str, int]:
    """Units fulfilled per line item, by fulfillments not cancelled."""
    done: dict[str, int] = {}
    for fulfillment in order.fulfillments:
        if fulfillment.active:
            for line in fulfillment.lines:
                done[line.line_item_id] = done.get(line.line_item_id, 0) + line.quantity
    return done


def payment_items(harness: Harness, order: Order) -> list[str]:
    return [
        d.item.key for d in harness.repository.deliveries(order.id) if d.item.topic == "payment"
    ]


# -- automatic fulfillment -------------------------------------------------------------------


def test_a_paid_order_is_fulfilled_by_the_system_under_automatic_fulfillment() -> None:
    harness = flow(fulfillment=FulfillmentMode.AUTOMATIC)
    order = harness.flow.place(make_draft(), actor=STAFF)

    after = pay(harness, order)

    assert fulfilled(after) == {"line-1": 2}
    assert fulfillment_status(after) == "fulfilled"
    assert [(e.message, e.actor) for e in after.timeline[-2:]] == [
        ("2 items fulfilled.", SYSTEM),
        ("Order fulfilled.", SYSTEM),
    ]


def test_nothing_is_fulfilled_by_itself_under_manual_fulfillment() -> None:
    harness = flow()
    order = harness.flow.place(make_draft(), actor=STAFF)

    assert pay(harness, order).fulfillments == ()


def test_automatic_fulfillment_skips_pre_orders_pickups_lines_under_review_and_held_lines() -> None:
    harness = flow(fulfillment=FulfillmentMode.AUTOMATIC)
    order = mixed(harness)
    harness.flow.hold(
        order.id,
        f"{order.id}-fo1",
        HoldReason.HIGH_RISK_OF_FRAUD,
        actor=STAFF,
        lines=[LineQuantity("card", 1)],
    )

    after = pay(harness, order, MIXED_TOTAL)

    assert financial_status(after) == "paid"
    assert fulfilled(after) == {"plain": 2, "ebook": 1}
    assert fulfillment_status(after) == "partially_fulfilled"


def test_releasing_the_hold_lets_the_held_lines_fulfil_themselves() -> None:
    harness = flow(fulfillment=FulfillmentMode.AUTOMATIC)
    order = harness.flow.place(make_draft(), actor=STAFF)
    held = harness.flow.hold(order.id, f"{order.id}-fo1", HoldReason.AWAITING_PAYMENT, actor=STAFF)
    assert pay(harness, order).fulfillments == ()

    hold_id = held.fulfillment_order(f"{order.id}-fo1").holds[0].id
    after = harness.flow.release(order.id, f"{order.id}-fo1", hold_id, actor=STAFF)

    assert fulfilled(after) == {"line-1": 2}


def test_digital_only_fulfils_only_the_digital_goods_and_gift_cards() -> None:
    harness = flow(fulfillment=FulfillmentMode.DIGITAL_ONLY)
    order = mixed(harness)

    after = pay(harness, order, MIXED_TOTAL)

    assert fulfilled(after) == {"card": 1, "ebook": 1}


# -- capture modes ---------------------------------------------------------------------------


def test_automatic_capture_requests_the_capture_and_fulfils_once_it_succeeded() -> None:
    harness = flow(CaptureMode.AUTOMATIC, FulfillmentMode.AUTOMATIC)
    order = harness.flow.place(make_draft(), actor=STAFF)

    authorized = authorize(harness, order)

    capture = authorized.transactions[-1]
    assert (capture.kind, capture.status, capture.amount) == (
        TransactionKind.CAPTURE,
        "pending",
        TOTAL,
    )
    assert authorized.fulfillments == ()
    assert harness.gateway.calls == []

    harness.flow.dispatch()

    after = harness.flow.get(order.id)
    assert financial_status(after) == "paid"
    assert fulfilled(after) == {"line-1": 2}
    assert [c.operation for c in harness.gateway.effects] == ["capture"]


def test_a_failed_automatic_capture_fulfils_nothing() -> None:
    harness = flow(CaptureMode.AUTOMATIC, FulfillmentMode.AUTOMATIC)
    order = harness.flow.place(make_draft(), actor=STAFF)
    authorize(harness, order)
    harness.gateway.fail_next(how="decline")

    harness.flow.dispatch()

    after = harness.flow.get(order.id)
    assert financial_status(after) == "authorized"
    assert after.fulfillments == ()


def test_an_authorized_only_payment_fulfils_nothing_under_manual_capture() -> None:
    harness = flow(CaptureMode.MANUAL, FulfillmentMode.AUTOMATIC)
    order = harness.flow.place(make_draft(), actor=STAFF)

    after = authorize(harness, order)

    assert after.fulfillments == ()
    assert payment_items(harness, order) == []


def test_capture_on_fulfillment_fulfils_at_once_and_captures_when_the_last_line_is_fulfilled() -> (
    None
):
    harness = flow(CaptureMode.ON_FULFILLMENT, FulfillmentMode.AUTOMATIC)
    order = harness.flow.place(
        make_draft(make_line("plain"), make_line("review", requires_manual_review=True)),
        actor=STAFF,
    )

    authorized = authorize(harness, order)

    assert fulfilled(authorized) == {"plain": 1}
    assert [tx.kind for tx in authorized.transactions] == [TransactionKind.AUTHORIZATION]
    assert payment_items(harness, order) == []

    last = harness.flow.fulfill(order.id, f"{order.id}-fo1", actor=STAFF)

    assert fulfillment_status(last) == "fulfilled"
    capture = last.transactions[-1]
    assert (capture.kind, capture.status, capture.amount) == (
        TransactionKind.CAPTURE,
        "pending",
        TOTAL,
    )
    assert [e.message for e in last.timeline[-3:]] == [
        "1 item fulfilled.",
        "Order fulfilled.",
        "Capture of 62.00 EUR requested from the gateway.",
    ]
    assert payment_items(harness, order) == [capture.idempotency_key]

    harness.flow.dispatch()
    assert financial_status(harness.flow.get(order.id)) == "paid"


def test_capture_on_fulfillment_fulfils_nothing_while_the_authorization_falls_short() -> None:
    harness = flow(CaptureMode.ON_FULFILLMENT, FulfillmentMode.AUTOMATIC)
    order = harness.flow.place(make_draft(), actor=STAFF)

    after = authorize(harness, order, eur("61.99"))

    assert after.fulfillments == ()
    assert payment_items(harness, order) == []


# -- automatic archiving ---------------------------------------------------------------------


def finished(harness: Harness) -> Order:
    """Paid by a sale, then fulfilled by staff."""
    order = harness.flow.place(make_draft(), actor=STAFF)
    pay(harness, order)
    return harness.flow.fulfill(order.id, f"{order.id}-fo1", actor=STAFF)


def test_a_finished_order_stays_active_without_automatic_archiving() -> None:
    harness = flow()

    order = finished(harness)
    harness.clock.advance(days=365)
    harness.flow.run_due()

    assert harness.flow.get(order.id).archive_status == "active"


def test_a_fulfilled_and_paid_order_is_archived_by_the_system_at_once() -> None:
    harness = flow(archive=ArchivePolicy(automatic=True))

    order = finished(harness)

    assert (order.archive_status, order.archived_at) == ("archived", harness.clock.now())
    assert (order.timeline[-1].actor, order.timeline[-2].message) == (SYSTEM, "Order fulfilled.")


def test_a_paid_order_not_yet_fulfilled_is_not_archived() -> None:
    harness = flow(archive=ArchivePolicy(automatic=True))
    order = harness.flow.place(make_draft(), actor=STAFF)

    assert pay(harness, order).archive_status == "active"


def test_a_fulfilled_order_not_yet_paid_is_not_archived() -> None:
    harness = flow(archive=ArchivePolicy(automatic=True))
    order = harness.flow.place(make_draft(), actor=STAFF)

    after = harness.flow.fulfill(order.id, f"{order.id}-fo1", actor=STAFF)

    assert after.archive_status == "active"


def test_a_fully_refunded_order_is_archived_once_the_refund_succeeded() -> None:
    harness = flow(archive=ArchivePolicy(automatic=True))
    order = pay(harness, harness.flow.place(make_draft(), actor=STAFF))

    requested = harness.flow.refund(order.id, TOTAL, actor=STAFF)
    assert requested.archive_status == "active"
    harness.flow.dispatch()

    after = harness.flow.get(order.id)
    assert financial_status(after) == "refunded"
    assert after.archive_status == "archived"


def test_with_a_delay_run_due_archives_after_the_delay_and_not_before() -> None:
    harness = flow(archive=ArchivePolicy(automatic=True, delay=timedelta(days=3)))
    order = finished(harness)
    assert (order.archive_status, order.archive_at) == (
        "active",
        harness.clock.now() + timedelta(days=3),
    )

    harness.clock.advance(days=3, seconds=-1)
    assert harness.flow.run_due().changed == 0
    assert harness.flow.get(order.id).archive_status == "active"

    harness.clock.advance(seconds=1)
    assert harness.flow.run_due().changed == 1
    after = harness.flow.get(order.id)
    assert (after.archive_status, after.archived_at, after.archive_at) == (
        "archived",
        harness.clock.now(),
        None,
    )
    assert after.timeline[-1].actor == SYSTEM


def test_an_order_staff_unarchived_is_not_archived_again() -> None:
    harness = flow(archive=ArchivePolicy(automatic=True, delay=timedelta(days=1)))
    order = finished(harness)
    harness.clock.advance(days=1)
    harness.flow.run_due()

    unarchived = harness.flow.unarchive(order.id, actor=STAFF)
    harness.flow.update_note(order.id, "customer called", actor=STAFF)
    harness.clock.advance(days=30)
    harness.flow.run_due()

    after = harness.flow.get(order.id)
    assert unarchived.keep_active is True
    assert (after.archive_status, after.archive_at) == ("active", None)


def test_staff_can_still_archive_an_order_by_hand_under_any_policy() -> None:
    harness = flow()
    order = harness.flow.place(make_draft(), actor=STAFF)

    assert harness.flow.archive(order.id, actor=STAFF).archive_status == "archived"


@pytest.mark.parametrize(("include_cancelled", "expected"), [(False, "active"), (True, "archived")])
def test_a_cancelled_order_is_archived_only_when_cancelled_orders_are_included(
    include_cancelled: bool, expected: str
) -> None:
    harness = flow(archive=ArchivePolicy(automatic=True, include_cancelled=include_cancelled))
    order = harness.flow.place(make_draft(), actor=STAFF)

    cancelled = harness.flow.cancel(order.id, CancelReason.CUSTOMER, actor=STAFF)

    assert cancelled.archive_status == expected


def test_a_cancelled_paid_order_is_archived_once_its_refund_succeeded() -> None:
    harness = flow(archive=ArchivePolicy(automatic=True, include_cancelled=True))
    order = pay(harness, harness.flow.place(make_draft(), actor=STAFF))

    cancelled = harness.flow.cancel(order.id, CancelReason.CUSTOMER, actor=STAFF)
    assert cancelled.archive_status == "active"
    harness.flow.dispatch()

    assert harness.flow.get(order.id).archive_status == "archived"


def test_an_automatically_archived_order_refuses_fulfillment_work_until_unarchived() -> None:
    harness = flow(archive=ArchivePolicy(automatic=True))
    order = pay(harness, harness.flow.place(make_draft(), actor=STAFF))
    refunded = harness.flow.refund(order.id, TOTAL, actor=STAFF)
    harness.flow.dispatch()
    archived = harness.flow.get(order.id)
    assert archived.archive_status == "archived"

    with pytest.raises(InvalidTransition, match="while archived"):
        harness.flow.hold(order.id, f"{order.id}-fo1", HoldReason.OTHER, actor=STAFF)
    assert harness.flow.get(order.id) is archived

    harness.flow.unarchive(refunded.id, actor=STAFF)
    held = harness.flow.hold(order.id, f"{order.id}-fo1", HoldReason.OTHER, actor=STAFF)
    assert held.archive_status == "active"
