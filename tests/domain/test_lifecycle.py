"""Cancelling, archiving, notes and tags, and the timeline entries they leave.

The default draft totals 62.00 EUR (2 x 20.00 + 15.00 shipping + 7.00 tax).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from orderflow.domain import payments, settlement
from orderflow.domain.archive import archive, unarchive
from orderflow.domain.cancellation import cancel
from orderflow.domain.events import (
    FulfillmentOrderCancelled,
    NoteUpdated,
    OrderArchived,
    OrderCancelled,
    OrderUnarchived,
    PaymentRequested,
    TagsUpdated,
)
from orderflow.domain.notes import retag, update_note
from orderflow.domain.order import CancelReason, Change, Order
from orderflow.domain.placement import place
from orderflow.domain.timeline import TimelineEntry
from orderflow.domain.transaction import TransactionKind
from orderflow.errors import InvalidTransition
from orderflow.testing import (
    EPOCH,
    GATEWAY,
    STAFF,
    SequentialIds,
    authorization,
    eur,
    make_draft,
    make_order,
    sale,
)

from .helpers import ids, record

LATER = EPOCH + timedelta(hours=2)


def cancelling(
    order: Order, reason: CancelReason = CancelReason.CUSTOMER, **options: object
) -> Change:
    return cancel(
        order, reason, new_id=SequentialIds("c").new_id, now=LATER, actor=STAFF, **options
    )  # type: ignore[arg-type]


# -- cancel ----------------------------------------------------------------------------------


def test_cancelling_an_unpaid_order_records_when_and_why() -> None:
    change = cancelling(make_order(), CancelReason.INVENTORY, note="out of stock")

    order = change.order
    assert (order.status, order.cancelled_at, order.cancel_reason) == (
        "cancelled",
        LATER,
        CancelReason.INVENTORY,
    )
    assert order.transactions == ()
    assert [fo.status for fo in order.fulfillment_orders] == ["cancelled"]
    assert change.events == (
        OrderCancelled(
            order_id="ord-1", at=LATER, actor=STAFF, reason="inventory", note="out of stock"
        ),
        FulfillmentOrderCancelled(
            order_id="ord-1", at=LATER, actor=STAFF, fulfillment_order_id="ord-1-fo1"
        ),
    )


def test_cancelling_requests_a_void_of_every_open_authorization() -> None:
    order = record(make_order(), authorization(eur("62.00"), "auth-ref"), "auth-1")

    change = cancelling(order)

    void = change.order.transactions[-1]
    assert (void.kind, void.status, void.parent_id, void.amount) == (
        TransactionKind.VOID,
        "pending",
        "auth-1",
        eur("62.00"),
    )
    assert [type(e) for e in change.events] == [
        OrderCancelled,
        FulfillmentOrderCancelled,
        PaymentRequested,
    ]


def test_cancelling_requests_a_refund_of_the_net_paid() -> None:
    order = record(make_order(), sale(eur("62.00"), "sale-ref"), "sale-1")
    order = record(
        order,
        settlement.PaymentReport(
            kind=TransactionKind.REFUND, amount=eur("12.00"), parent_reference="sale-ref"
        ),
        "refund-1",
    )

    change = cancelling(order)

    refund = change.order.transactions[-1]
    assert (refund.kind, refund.status, refund.parent_id) == (
        TransactionKind.REFUND,
        "pending",
        "sale-1",
    )
    assert refund.amount == eur("50.00")  # 62.00 taken - 12.00 already returned
    assert refund.adjustment == eur("0.00")  # a cancelled order owes nothing: all of it is due back
    assert [(type(e), getattr(e, "amount", None)) for e in change.events] == [
        (OrderCancelled, None),
        (FulfillmentOrderCancelled, None),
        (PaymentRequested, eur("50.00")),
    ]


def test_cancelling_voids_what_is_held_and_refunds_what_was_taken() -> None:
    order = record(make_order(), sale(eur("20.00"), "sale-ref"), "sale-1")
    order = record(order, authorization(eur("42.00"), "auth-ref"), "auth-1")

    change = cancelling(order)

    requested = [
        (tx.kind, tx.parent_id, tx.amount) for tx in change.order.transactions if tx.pending
    ]
    assert requested == [
        (TransactionKind.VOID, "auth-1", eur("42.00")),
        (TransactionKind.REFUND, "sale-1", eur("20.00")),
    ]


def test_cancelling_without_refund_keeps_the_money_taken() -> None:
    order = record(make_order(), sale(eur("62.00"), "sale-ref"), "sale-1")

    change = cancelling(order, refund=False)

    assert change.order.status == "cancelled"
    assert change.order.transactions == order.transactions
    assert [type(e) for e in change.events] == [OrderCancelled, FulfillmentOrderCancelled]


def test_cancellation_is_final() -> None:
    order = cancelling(make_order()).order

    with pytest.raises(
        InvalidTransition, match=r"order #1001 \(ord-1\): cannot cancel while cancelled"
    ):
        cancelling(order)


def test_a_cancel_reason_must_be_a_cancel_reason() -> None:
    with pytest.raises(TypeError, match="CancelReason"):
        cancelling(make_order(), "customer")  # type: ignore[arg-type]


# -- archive ---------------------------------------------------------------------------------


def test_archiving_hides_an_open_order_and_says_when() -> None:
    change = archive(make_order(), now=LATER, actor=STAFF)

    assert (change.order.archive_status, change.order.archived_at) == ("archived", LATER)
    assert change.order.status == "open"
    assert change.events == (OrderArchived(order_id="ord-1", at=LATER, actor=STAFF),)


def test_an_archived_order_cannot_be_archived_again() -> None:
    order = archive(make_order(), now=EPOCH, actor=STAFF).order

    with pytest.raises(InvalidTransition, match=r"ord-1.*cannot archive while archived"):
        archive(order, now=LATER, actor=STAFF)


def test_unarchiving_brings_the_order_back() -> None:
    order = archive(make_order(), now=EPOCH, actor=STAFF).order

    change = unarchive(order, now=LATER, actor=STAFF)

    assert (change.order.archive_status, change.order.archived_at) == ("active", None)
    assert change.events == (OrderUnarchived(order_id="ord-1", at=LATER, actor=STAFF),)


def test_an_active_order_cannot_be_unarchived() -> None:
    with pytest.raises(InvalidTransition, match=r"ord-1.*cannot unarchive while active"):
        unarchive(make_order(), now=EPOCH, actor=STAFF)


def test_a_cancelled_order_can_be_archived_and_stays_cancelled() -> None:
    order = cancelling(make_order()).order

    archived = archive(order, now=LATER, actor=STAFF).order

    assert (archived.status, archived.archive_status) == ("cancelled", "archived")


# -- notes and tags --------------------------------------------------------------------------


def test_updating_the_note_replaces_it() -> None:
    change = update_note(
        make_order(make_draft(note="old")), "Leave at the door", now=LATER, actor=STAFF
    )

    assert change.order.note == "Leave at the door"
    assert change.events == (
        NoteUpdated(order_id="ord-1", at=LATER, actor=STAFF, note="Leave at the door"),
    )


def test_the_same_note_again_changes_nothing() -> None:
    order = make_order(make_draft(note="Leave at the door"))

    change = update_note(order, "Leave at the door", now=LATER, actor=STAFF)

    assert change.order is order
    assert change.events == ()


def test_a_note_must_be_text() -> None:
    with pytest.raises(TypeError, match="'note'"):
        update_note(make_order(), None, now=LATER, actor=STAFF)  # type: ignore[arg-type]


def test_retagging_adds_and_removes_tags_trimmed_of_spaces() -> None:
    order = make_order(make_draft(tags=frozenset({"first-order", "gift"})))

    change = retag(
        order, add=(" vip ", "wholesale", "  "), remove=("gift", "absent"), now=LATER, actor=STAFF
    )

    assert change.order.tags == {"first-order", "vip", "wholesale"}
    assert change.events == (
        TagsUpdated(
            order_id="ord-1",
            at=LATER,
            actor=STAFF,
            added=frozenset({"vip", "wholesale"}),
            removed=frozenset({"gift"}),
        ),
    )


def test_a_tag_both_added_and_removed_is_added() -> None:
    change = retag(make_order(), add=("vip",), remove=("vip",), now=LATER, actor=STAFF)

    assert change.order.tags == {"vip"}
    assert change.events[0] == TagsUpdated(
        order_id="ord-1", at=LATER, actor=STAFF, added=frozenset({"vip"})
    )


def test_retagging_with_tags_already_present_or_absent_changes_nothing() -> None:
    order = make_order(make_draft(tags=frozenset({"vip"})))

    change = retag(order, add=("vip", " "), remove=("absent",), now=LATER, actor=STAFF)

    assert change.order is order
    assert change.events == ()


@pytest.mark.parametrize("tags", ["vip", ("vip", 3)], ids=["a single str", "a non-str tag"])
def test_tags_must_be_an_iterable_of_str(tags: object) -> None:
    with pytest.raises(TypeError, match="str"):
        retag(make_order(), add=tags, now=LATER, actor=STAFF)  # type: ignore[arg-type]


# -- the timeline ----------------------------------------------------------------------------


def test_recording_a_change_adds_one_timeline_entry_per_event() -> None:
    order = record(make_order(), authorization(eur("62.00"), "auth-ref"), "auth-1")

    change = cancelling(order, note="customer called").recorded()

    assert change.order.timeline == (
        TimelineEntry(
            at=LATER,
            actor=STAFF,
            kind="OrderCancelled",
            message="Order cancelled (reason: customer).",
            note="customer called",
        ),
        TimelineEntry(
            at=LATER,
            actor=STAFF,
            kind="FulfillmentOrderCancelled",
            message="Fulfillment order ord-1-fo1 cancelled.",
        ),
        TimelineEntry(
            at=LATER,
            actor=STAFF,
            kind="PaymentRequested",
            message="Void of 62.00 EUR requested from the gateway.",
        ),
    )


def test_timeline_entries_describe_archiving_notes_and_tags() -> None:
    order = make_order()
    change = archive(order, now=EPOCH, actor=STAFF)
    change = change.then(unarchive(change.order, now=EPOCH, actor=STAFF))
    change = change.then(update_note(change.order, "Fragile", now=EPOCH, actor=STAFF))
    change = change.then(update_note(change.order, "", now=EPOCH, actor=STAFF))
    change = change.then(retag(change.order, add=("b", "a"), now=EPOCH, actor=STAFF))
    change = change.then(retag(change.order, add=("c",), remove=("a",), now=EPOCH, actor=STAFF))

    timeline = change.recorded().order.timeline

    assert [(e.kind, e.message) for e in timeline] == [
        ("OrderArchived", "Order archived."),
        ("OrderUnarchived", "Order unarchived."),
        ("NoteUpdated", "Note updated."),
        ("NoteUpdated", "Note removed."),
        ("TagsUpdated", "Tags added a, b."),
        ("TagsUpdated", "Tags added c; removed a."),
    ]
    assert timeline[2].note == "Fragile"


def test_timeline_entries_describe_payments() -> None:
    order = record(make_order(), authorization(eur("62.00"), "auth-ref"), "auth-1")
    change = payments.request_capture(
        order, new_id=SequentialIds("cap").new_id, now=EPOCH, actor=STAFF
    )
    change = change.then(
        settlement.settle(
            change.order,
            "cap-1",
            settlement.GatewayResult(False, error="declined by bank"),
            new_id=ids(),
            now=EPOCH,
            actor=GATEWAY,
        )
    )

    timeline = change.recorded().order.timeline

    assert [(e.kind, e.message, e.actor) for e in timeline] == [
        ("PaymentRequested", "Capture of 62.00 EUR requested from the gateway.", STAFF),
        ("PaymentFailed", "Capture of 62.00 EUR failed: declined by bank.", GATEWAY),
    ]


def test_recording_a_change_without_events_leaves_the_timeline_alone() -> None:
    order = make_order()
    change = Change(order)

    assert change.recorded() is change
    assert change.recorded().order.timeline == ()


def test_placing_is_the_first_timeline_entry() -> None:
    change = place(make_draft(), order_id="ord-1", number=1001, now=EPOCH, actor=STAFF).recorded()

    assert change.order.timeline == (
        TimelineEntry(
            at=EPOCH, actor=STAFF, kind="OrderPlaced", message="Order #1001 placed for 62.00 EUR."
        ),
    )
