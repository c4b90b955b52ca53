"""Fulfillment commands through the service: load, decide, save with the version check,
then the outbox. A refused command leaves the stored order and the outbox as they were.

Orders are ``make_draft()`` (line ``line-1``, 2 units, shipped: fulfillment order
``<order id>-fo1``) unless a test says otherwise; the flow has no publisher, so the outbox
holds only payment and restock work.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

import pytest

from orderflow import SYSTEM, Actor, CancelReason, IdempotencyConflict, Order
from orderflow.domain.fulfillment import (
    DeliveryMethod,
    HoldReason,
    LineQuantity,
    ShipmentEvent,
    ShipmentStatus,
    Tracking,
)
from orderflow.domain.fulfillment_status import display_status, fulfillment_status, shipment_status
from orderflow.errors import (
    AddressLocked,
    DuplicateHandle,
    FulfillmentOnHold,
    InvalidText,
    InvalidTransition,
    OverFulfillment,
)
from orderflow.ports.inventory import RestockRequest
from orderflow.serialization import dumps, loads
from orderflow.testing import (
    STAFF,
    Harness,
    make_address,
    make_draft,
    make_flow,
    make_line,
)

CARRIER = Actor.app("carrier", "Carrier webhooks")
NEW_ADDRESS = make_address(line1="8 place Bellecour", postal_code="69002")


class RecordingInventory:
    """An InventoryPort that keeps each restock request; ``fail_next`` makes one raise."""

    def __init__(self) -> None:
        self.requests: list[RestockRequest] = []
        self.failures = 0

    def fail_next(self) -> None:
        self.failures += 1

    def restock(self, request: RestockRequest) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError(f"inventory unavailable ({request.idempotency_key})")
        self.requests.append(request)


@pytest.fixture
def harness() -> Harness:
    return make_flow(publish=False)


@pytest.fixture
def order(harness: Harness) -> Order:
    return harness.flow.place(make_draft(), actor=STAFF)


def fo_id(order: Order, n: int = 1) -> str:
    return f"{order.id}-fo{n}"


def assert_refused(
    harness: Harness,
    order_id: str,
    error: type[Exception],
    match: str,
    command: Callable[[], object],
) -> None:
    """``command`` raises ``error`` and leaves the stored order and the outbox untouched."""
    before = harness.repository.get(order_id)
    deliveries = list(harness.repository.deliveries(order_id))
    with pytest.raises(error, match=match):
        command()
    assert harness.repository.get(order_id) is before
    assert list(harness.repository.deliveries(order_id)) == deliveries


def messages(order: Order) -> list[str]:
    return [entry.message for entry in order.timeline]


# -- fulfilling ------------------------------------------------------------------------------


def test_fulfilling_saves_the_fulfillment_and_explains_it_on_the_timeline(
    harness: Harness, order: Order
) -> None:
    tracking = Tracking(company="La Poste", numbers=("6A123",))

    after = harness.flow.fulfill(order.id, fo_id(order), actor=STAFF, tracking=tracking)

    assert after.version == order.version + 1
    assert harness.flow.get(order.id) is after
    (fulfillment,) = after.fulfillments
    assert (fulfillment.lines, fulfillment.tracking) == ((LineQuantity("line-1", 2),), tracking)
    assert fulfillment_status(after) == "fulfilled"
    assert messages(after)[-2:] == ["2 items fulfilled (tracking 6A123).", "Order fulfilled."]
    assert after.timeline[-1].actor == STAFF


def test_fulfilling_part_of_a_line_keeps_the_rest_open(harness: Harness, order: Order) -> None:
    after = harness.flow.fulfill(order.id, fo_id(order), [LineQuantity("line-1", 1)], actor=STAFF)

    assert fulfillment_status(after) == "partially_fulfilled"
    assert display_status(after, after.fulfillment_order(fo_id(order))) == "in_progress"
    assert messages(after)[-1] == "1 item fulfilled."


def test_over_fulfilling_after_a_partial_fulfillment_is_refused_and_nothing_is_saved(
    harness: Harness, order: Order
) -> None:
    harness.flow.fulfill(order.id, fo_id(order), [LineQuantity("line-1", 1)], actor=STAFF)

    assert_refused(
        harness,
        order.id,
        OverFulfillment,
        r"2 of line 'line-1' requested from fulfillment order id-1-fo1, but only 1 remain",
        lambda: harness.flow.fulfill(
            order.id, fo_id(order), [LineQuantity("line-1", 2)], actor=STAFF
        ),
    )


def test_a_cancelled_fulfillment_can_be_fulfilled_again_but_not_twice(
    harness: Harness, order: Order
) -> None:
    first = harness.flow.fulfill(order.id, fo_id(order), actor=STAFF)
    harness.flow.cancel_fulfillment(order.id, first.fulfillments[0].id, actor=STAFF)

    again = harness.flow.fulfill(order.id, fo_id(order), actor=STAFF)

    assert [f.active for f in again.fulfillments] == [False, True]
    assert fulfillment_status(again) == "fulfilled"
    assert_refused(
        harness,
        order.id,
        InvalidTransition,
        "cannot fulfil fulfillment order id-1-fo1 while closed",
        lambda: harness.flow.fulfill(order.id, fo_id(order), actor=STAFF),
    )


# -- holds -----------------------------------------------------------------------------------


def test_two_stacked_holds_are_released_one_by_one(harness: Harness, order: Order) -> None:
    fo = fo_id(order)
    harness.flow.hold(order.id, fo, HoldReason.AWAITING_PAYMENT, actor=STAFF)
    held = harness.flow.hold(order.id, fo, HoldReason.INCORRECT_ADDRESS, actor=STAFF, note="typo")
    first, second = held.fulfillment_order(fo).holds

    after_one = harness.flow.release(order.id, fo, first.id, actor=STAFF)
    assert display_status(after_one, after_one.fulfillment_order(fo)) == "on_hold"
    assert_refused(
        harness,
        order.id,
        FulfillmentOnHold,
        r"on hold \(incorrect_address\): release it first",
        lambda: harness.flow.fulfill(order.id, fo, actor=STAFF),
    )

    after_two = harness.flow.release(order.id, fo, second.id, actor=STAFF)
    assert display_status(after_two, after_two.fulfillment_order(fo)) == "open"
    assert messages(after_two)[-4:] == [
        "Fulfillment order id-1-fo1 held (awaiting payment).",
        "Fulfillment order id-1-fo1 held (incorrect address).",
        "Fulfillment order id-1-fo1 released (1 hold(s) lifted).",
        "Fulfillment order id-1-fo1 released (1 hold(s) lifted).",
    ]


def test_release_all_lifts_every_hold_in_one_command(harness: Harness, order: Order) -> None:
    fo = fo_id(order)
    harness.flow.hold(order.id, fo, HoldReason.AWAITING_PAYMENT, actor=STAFF)
    harness.flow.hold(order.id, fo, HoldReason.OTHER, actor=STAFF)

    after = harness.flow.release(order.id, fo, actor=STAFF, release_all=True)

    assert after.fulfillment_order(fo).holds == ()
    assert messages(after)[-1] == "Fulfillment order id-1-fo1 released (2 hold(s) lifted)."


def test_a_duplicate_hold_handle_is_refused_and_nothing_is_saved(
    harness: Harness, order: Order
) -> None:
    harness.flow.hold(order.id, fo_id(order), HoldReason.OTHER, actor=STAFF, handle="app-1")

    assert_refused(
        harness,
        order.id,
        DuplicateHandle,
        "already has an active hold 'app-1'",
        lambda: harness.flow.hold(
            order.id, fo_id(order), HoldReason.OTHER, actor=STAFF, handle="app-1"
        ),
    )


def test_holding_some_lines_splits_them_off_and_the_rest_can_ship(harness: Harness) -> None:
    order = harness.flow.place(make_draft(make_line("a", quantity=2), make_line("b")), actor=STAFF)

    held = harness.flow.hold(
        order.id,
        fo_id(order),
        HoldReason.INVENTORY_OUT_OF_STOCK,
        actor=STAFF,
        lines=[LineQuantity("b", 1)],
    )
    original, split_off = held.fulfillment_orders
    assert split_off.id != original.id
    assert (split_off.lines, len(split_off.holds), original.holds) == (
        (LineQuantity("b", 1),),
        1,
        (),
    )

    shipped = harness.flow.fulfill(order.id, original.id, actor=STAFF)

    assert fulfillment_status(shipped) == "partially_fulfilled"
    assert display_status(shipped, shipped.fulfillment_order(split_off.id)) == "on_hold"


# -- archived orders -------------------------------------------------------------------------


def test_an_archived_order_refuses_holds_and_fulfillments_until_unarchived(
    harness: Harness, order: Order
) -> None:
    harness.flow.archive(order.id, actor=STAFF)

    assert_refused(
        harness,
        order.id,
        InvalidTransition,
        r"cannot hold fulfillment while archived \(unarchive it first\)",
        lambda: harness.flow.hold(order.id, fo_id(order), HoldReason.OTHER, actor=STAFF),
    )
    assert_refused(
        harness,
        order.id,
        InvalidTransition,
        r"cannot fulfil while archived \(unarchive it first\)",
        lambda: harness.flow.fulfill(order.id, fo_id(order), actor=STAFF),
    )

    harness.flow.unarchive(order.id, actor=STAFF)
    held = harness.flow.hold(order.id, fo_id(order), HoldReason.OTHER, actor=STAFF)
    assert len(held.fulfillment_order(fo_id(order)).holds) == 1


# -- schedules -------------------------------------------------------------------------------


def test_a_scheduled_fulfillment_order_opens_through_run_due_at_its_time_and_not_before(
    harness: Harness, order: Order
) -> None:
    opens = harness.clock.now() + timedelta(days=2)
    harness.flow.schedule(order.id, fo_id(order), opens, actor=STAFF)

    harness.clock.advance(days=2, seconds=-1)
    assert harness.flow.run_due().changed == 0
    assert harness.flow.get(order.id).fulfillment_order(fo_id(order)).status == "scheduled"

    harness.clock.advance(seconds=1)
    assert harness.flow.run_due().changed == 1
    after = harness.flow.get(order.id)
    assert after.fulfillment_order(fo_id(order)).status == "open"
    assert (after.timeline[-1].message, after.timeline[-1].actor) == (
        "Fulfillment order id-1-fo1 is open for fulfilling.",
        SYSTEM,
    )
    assert harness.flow.run_due().changed == 0


def test_a_pre_order_opens_on_its_expected_date_through_run_due(harness: Harness) -> None:
    order = harness.flow.place(
        make_draft(make_line("now"), make_line("later", pre_order=date(2026, 1, 8))), actor=STAFF
    )
    later_fo = fo_id(order, 2)
    assert order.fulfillment_order(later_fo).status == "scheduled"
    assert fulfillment_status(order) == "unfulfilled"

    assert harness.flow.run_due(datetime(2026, 1, 7, 23, 59, 59, tzinfo=timezone.utc)).changed == 0
    assert harness.flow.run_due(datetime(2026, 1, 8, tzinfo=timezone.utc)).changed == 1

    assert harness.flow.get(order.id).fulfillment_order(later_fo).status == "open"


def test_fulfil_now_opens_a_scheduled_fulfillment_order_at_once(
    harness: Harness, order: Order
) -> None:
    harness.flow.schedule(
        order.id, fo_id(order), harness.clock.now() + timedelta(days=30), actor=STAFF
    )

    opened = harness.flow.open_fulfillment(order.id, fo_id(order), actor=STAFF)
    fo = opened.fulfillment_order(fo_id(order))
    assert (fo.status, fo.fulfill_at) == ("open", None)
    assert harness.repository.due_before(harness.clock.now() + timedelta(days=31)) == []

    fulfilled = harness.flow.fulfill(order.id, fo_id(order), actor=STAFF)
    assert fulfillment_status(fulfilled) == "fulfilled"


def test_a_scheduled_fulfillment_order_is_not_fulfilled_before_it_opens(
    harness: Harness, order: Order
) -> None:
    harness.flow.schedule(
        order.id, fo_id(order), harness.clock.now() + timedelta(days=1), actor=STAFF
    )

    assert_refused(
        harness,
        order.id,
        InvalidTransition,
        r"while scheduled \(open it first\)",
        lambda: harness.flow.fulfill(order.id, fo_id(order), actor=STAFF),
    )


# -- local pickup ----------------------------------------------------------------------------


def test_a_pickup_is_made_ready_then_picked_up_which_fulfils_and_closes_it(
    harness: Harness,
) -> None:
    order = harness.flow.place(make_draft(delivery_method=DeliveryMethod.PICK_UP), actor=STAFF)
    fo = fo_id(order)

    ready = harness.flow.ready_for_pickup(order.id, fo, actor=STAFF)
    assert ready.fulfillment_order(fo).ready_for_pickup_at == harness.clock.now()
    assert ready.fulfillments == ()

    harness.clock.advance(hours=3)
    collected = harness.flow.picked_up(order.id, fo, actor=STAFF)

    (fulfillment,) = collected.fulfillments
    assert (fulfillment.lines, fulfillment.created_at) == (
        (LineQuantity("line-1", 2),),
        harness.clock.now(),
    )
    assert collected.fulfillment_order(fo).status == "closed"
    assert fulfillment_status(collected) == "fulfilled"
    assert messages(collected)[-2:] == ["2 items picked up by the customer.", "Order fulfilled."]


def test_fulfilling_a_pickup_like_a_shipment_is_refused_with_a_clear_message(
    harness: Harness,
) -> None:
    order = harness.flow.place(make_draft(delivery_method=DeliveryMethod.PICK_UP), actor=STAFF)

    assert_refused(
        harness,
        order.id,
        InvalidTransition,
        "is a local pickup: it is fulfilled when the customer picks it up",
        lambda: harness.flow.fulfill(order.id, fo_id(order), actor=STAFF),
    )


# -- tracking and carrier events -------------------------------------------------------------


def test_holding_lines_split_off_after_a_cancelled_fulfillment_leaves_a_storable_order(
    harness: Harness,
) -> None:
    # found by the stateful test: the cancelled fulfillment names the fulfillment order its
    # line left when the hold split it off; the record stands, the check refused the
    # stored document
    draft = make_draft(make_line("a", "10.00", 1), make_line("b", "10.00", 1))
    order = harness.flow.place(draft, actor=STAFF)
    done = harness.flow.fulfill(order.id, fo_id(order), [LineQuantity("a", 1)], actor=STAFF)
    harness.flow.cancel_fulfillment(order.id, done.fulfillments[0].id, actor=STAFF)

    held = harness.flow.hold(
        order.id, fo_id(order), HoldReason.OTHER, lines=[LineQuantity("a", 1)], actor=STAFF
    )

    assert held.fulfillment_order(fo_id(order)).quantity_of("a") == 0
    assert loads(dumps(held)) == held
    assert harness.repository.get(order.id) == held


def shipped(harness: Harness, order: Order) -> str:
    return harness.flow.fulfill(order.id, fo_id(order), actor=STAFF).fulfillments[0].id


def test_a_carrier_app_updates_the_tracking(harness: Harness, order: Order) -> None:
    fulfillment_id = shipped(harness, order)
    tracking = Tracking(company="DHL", numbers=("JD01",), urls=("https://dhl.example/JD01",))

    after = harness.flow.update_tracking(order.id, fulfillment_id, tracking, actor=CARRIER)

    assert after.fulfillment(fulfillment_id).tracking == tracking
    assert (after.timeline[-1].message, after.timeline[-1].actor) == (
        f"Tracking of {fulfillment_id} updated: DHL JD01.",
        CARRIER,
    )


def test_a_carrier_event_replayed_with_the_same_key_changes_nothing(
    harness: Harness, order: Order
) -> None:
    fulfillment_id = shipped(harness, order)
    event = ShipmentEvent(status=ShipmentStatus.IN_TRANSIT, at=harness.clock.now())
    first = harness.flow.record_shipment_event(
        order.id, fulfillment_id, event, idempotency_key="dhl-1", actor=CARRIER
    )

    replay = harness.flow.record_shipment_event(
        order.id, fulfillment_id, event, idempotency_key="dhl-1", actor=CARRIER
    )

    assert replay is first
    assert harness.flow.get(order.id) is first
    assert first.fulfillment(fulfillment_id).events == (event,)
    assert messages(first)[-1] == f"Shipment {fulfillment_id}: in transit."


def test_a_key_reused_for_another_carrier_event_is_a_conflict(
    harness: Harness, order: Order
) -> None:
    fulfillment_id = shipped(harness, order)
    now = harness.clock.now()
    harness.flow.record_shipment_event(
        order.id,
        fulfillment_id,
        ShipmentEvent(status=ShipmentStatus.IN_TRANSIT, at=now),
        idempotency_key="dhl-1",
        actor=CARRIER,
    )

    assert_refused(
        harness,
        order.id,
        IdempotencyConflict,
        "idempotency key 'dhl-1' \\(carrier\\) was used for another request",
        lambda: harness.flow.record_shipment_event(
            order.id,
            fulfillment_id,
            ShipmentEvent(status=ShipmentStatus.DELIVERED, at=now),
            idempotency_key="dhl-1",
            actor=CARRIER,
        ),
    )


def test_a_late_in_transit_under_a_new_key_is_recorded_but_the_shipment_stays_delivered(
    harness: Harness, order: Order
) -> None:
    fulfillment_id = shipped(harness, order)
    now = harness.clock.now()
    for key, status, at in [
        ("dhl-1", ShipmentStatus.DELIVERED, now + timedelta(hours=5)),
        ("dhl-2", ShipmentStatus.IN_TRANSIT, now + timedelta(hours=1)),
    ]:
        after = harness.flow.record_shipment_event(
            order.id,
            fulfillment_id,
            ShipmentEvent(status=status, at=at),
            idempotency_key=key,
            actor=CARRIER,
        )

    fulfillment = after.fulfillment(fulfillment_id)
    assert len(fulfillment.events) == 2
    assert shipment_status(fulfillment) is ShipmentStatus.DELIVERED


# -- shipping address ------------------------------------------------------------------------


def test_the_address_changes_before_the_first_shipment_with_the_snapshots(
    harness: Harness, order: Order
) -> None:
    after = harness.flow.change_shipping_address(order.id, NEW_ADDRESS, actor=STAFF, note="moved")

    assert after.shipping_address == NEW_ADDRESS
    assert after.fulfillment_order(fo_id(order)).destination == NEW_ADDRESS
    assert messages(after)[-1] == "Shipping address changed to 8 place Bellecour, Lyon."


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("n" * 5_001, "'note' is 5,001 characters long; the limit is 5,000"),
        ("moved\x00", "'note' holds a NUL character at position 5"),
    ],
)
def test_a_note_on_an_address_change_that_no_note_may_hold_is_refused(
    harness: Harness, order: Order, note: str, message: str
) -> None:
    assert_refused(
        harness,
        order.id,
        InvalidText,
        message,
        lambda: harness.flow.change_shipping_address(order.id, NEW_ADDRESS, actor=STAFF, note=note),
    )


def test_the_address_is_refused_after_the_first_shipment(harness: Harness, order: Order) -> None:
    harness.flow.fulfill(order.id, fo_id(order), [LineQuantity("line-1", 1)], actor=STAFF)

    assert_refused(
        harness,
        order.id,
        AddressLocked,
        "already left for the shipping address; it can no longer change",
        lambda: harness.flow.change_shipping_address(order.id, NEW_ADDRESS, actor=STAFF),
    )


# -- cancelling ------------------------------------------------------------------------------


def test_cancelling_an_order_with_an_active_fulfillment_is_refused(
    harness: Harness, order: Order
) -> None:
    harness.flow.fulfill(order.id, fo_id(order), [LineQuantity("line-1", 1)], actor=STAFF)

    assert_refused(
        harness,
        order.id,
        InvalidTransition,
        "are not cancelled: cancel them .* before cancelling the order",
        lambda: harness.flow.cancel(order.id, CancelReason.CUSTOMER, actor=STAFF),
    )


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("n" * 5_001, "'note' is 5,001 characters long; the limit is 5,000"),
        ("lost\ud800", "'note' holds a lone surrogate \\(U\\+D800\\) at position 4"),
    ],
)
def test_a_note_on_a_cancelled_fulfillment_that_no_note_may_hold_is_refused(
    harness: Harness, order: Order, note: str, message: str
) -> None:
    fulfillment_id = shipped(harness, order)

    assert_refused(
        harness,
        order.id,
        InvalidText,
        message,
        lambda: harness.flow.cancel_fulfillment(order.id, fulfillment_id, actor=STAFF, note=note),
    )


def test_cancelling_an_order_cancels_its_fulfillment_orders(harness: Harness) -> None:
    order = harness.flow.place(
        make_draft(make_line("a"), make_line("b", pre_order=date(2026, 3, 1))), actor=STAFF
    )

    cancelled = harness.flow.cancel(order.id, CancelReason.INVENTORY, actor=STAFF)

    assert [fo.status for fo in cancelled.fulfillment_orders] == ["cancelled", "cancelled"]
    assert fulfillment_status(cancelled) == "not_required"
    assert harness.repository.due_before(datetime(2026, 4, 1, tzinfo=timezone.utc)) == []


# -- restocking ------------------------------------------------------------------------------


def test_a_cancelled_fulfillment_is_restocked_through_the_inventory_port_after_the_save() -> None:
    inventory = RecordingInventory()
    harness = make_flow(publish=False, inventory=inventory)
    order = harness.flow.place(make_draft(), actor=STAFF)
    fulfillment_id = shipped(harness, order)

    after = harness.flow.cancel_fulfillment(order.id, fulfillment_id, actor=STAFF, note="lost")

    assert inventory.requests == []
    (delivery,) = harness.repository.deliveries(order.id)
    assert (delivery.item.key, delivery.item.topic, delivery.state) == (
        f"restock-{fulfillment_id}",
        "restock",
        "pending",
    )
    assert messages(after)[-1] == f"Fulfillment {fulfillment_id} cancelled (2 items, to restock)."

    report = harness.flow.dispatch()

    assert (report.delivered, report.failed) == (1, 0)
    assert inventory.requests == [
        RestockRequest(
            order_id=order.id,
            location_id="default",
            lines=(LineQuantity("line-1", 2),),
            idempotency_key=f"restock-{fulfillment_id}",
        )
    ]
    assert harness.flow.dispatch().delivered == 0


def test_a_failed_restock_is_retried_with_the_same_key() -> None:
    inventory = RecordingInventory()
    harness = make_flow(publish=False, inventory=inventory)
    order = harness.flow.place(make_draft(), actor=STAFF)
    fulfillment_id = shipped(harness, order)
    harness.flow.cancel_fulfillment(order.id, fulfillment_id, actor=STAFF)
    inventory.fail_next()

    first = harness.flow.dispatch()
    harness.clock.advance(minutes=1)
    second = harness.flow.dispatch()

    assert (first.failed, second.delivered) == (1, 1)
    assert [r.idempotency_key for r in inventory.requests] == [f"restock-{fulfillment_id}"]


def test_no_restock_is_queued_without_an_inventory_port_or_when_declined(harness: Harness) -> None:
    without_port = harness.flow.place(make_draft(), actor=STAFF)
    harness.flow.cancel_fulfillment(without_port.id, shipped(harness, without_port), actor=STAFF)

    inventory = RecordingInventory()
    with_port = make_flow(publish=False, inventory=inventory)
    declined = with_port.flow.place(make_draft(), actor=STAFF)
    after = with_port.flow.cancel_fulfillment(
        declined.id, shipped(with_port, declined), actor=STAFF, restock=False
    )

    assert harness.repository.deliveries(without_port.id) == []
    assert with_port.repository.deliveries(declined.id) == []
    assert messages(after)[-1].endswith("(2 items).")
    with_port.flow.dispatch()
    assert inventory.requests == []
