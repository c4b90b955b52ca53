"""Events published to the host through the outbox: in order, versioned, exactly once."""

from __future__ import annotations

import json

from orderflow import Order
from orderflow.testing import GATEWAY, STAFF, Harness, authorization, make_draft, make_flow

from .conftest import TOTAL


def _paid(harness: Harness) -> Order:
    order = harness.flow.place(make_draft(), actor=STAFF)
    harness.flow.record_payment(
        order.id, authorization(TOTAL), idempotency_key="evt-1", actor=GATEWAY
    )
    harness.flow.capture(order.id, actor=STAFF)
    return order


def test_events_are_published_in_the_order_they_happened_with_their_schema_version() -> None:
    harness = make_flow()
    order = _paid(harness)

    harness.flow.dispatch()  # the events so far, and the capture, whose result is a new event
    harness.flow.dispatch()

    published = harness.publisher.events
    assert [e.type for e in published] == [
        "OrderPlaced",
        "PaymentAuthorized",
        "PaymentRequested",
        "PaymentCaptured",
    ]
    assert {e.schema_version for e in published} == {1}
    assert {e.order_id for e in published} == {order.id}
    first = json.loads(published[0].payload)
    assert (first["type"], first["schema_version"]) == ("OrderPlaced", 1)
    assert first["event"]["number"] == 1001
    assert first["event"]["total"] == {"amount": "62.00", "currency": "EUR"}


def test_many_changes_at_the_same_instant_are_published_in_the_order_they_happened() -> None:
    harness = make_flow()
    order = harness.flow.place(make_draft(), actor=STAFF)
    for n in range(1, 12):  # versions 2 to 12, all at the same clock time
        harness.flow.retag(order.id, add=[f"tag-{n}"], actor=STAFF)

    harness.flow.dispatch()

    added = [
        json.loads(e.payload)["event"]["added"]
        for e in harness.publisher.events
        if e.type == "TagsUpdated"
    ]
    assert added == [[f"tag-{n}"] for n in range(1, 12)]


def test_a_publisher_failing_then_recovering_delivers_each_event_exactly_once() -> None:
    harness = make_flow()
    order = harness.flow.place(make_draft(), actor=STAFF)
    harness.flow.update_note(order.id, "Gift wrap", actor=STAFF)
    harness.publisher.fail_next(3)

    first = harness.flow.dispatch()  # both events fail (failures 1 and 2)
    harness.clock.advance(seconds=30)
    second = harness.flow.dispatch()  # the first fails again (failure 3), the second goes out
    harness.clock.advance(seconds=60)
    third = harness.flow.dispatch()  # the first goes out
    harness.clock.advance(hours=1)
    fourth = harness.flow.dispatch()

    assert [(r.delivered, r.failed) for r in (first, second, third, fourth)] == [
        (0, 2),
        (1, 1),
        (1, 0),
        (0, 0),
    ]
    assert sorted(e.type for e in harness.publisher.events) == ["NoteUpdated", "OrderPlaced"]
    assert len({e.key for e in harness.publisher.events}) == 2
    assert all(d.state == "delivered" for d in harness.repository.deliveries(order.id))


def test_without_a_publisher_no_event_is_queued(harness: Harness, placed: Order) -> None:
    harness.flow.update_note(placed.id, "Gift wrap", actor=STAFF)

    assert harness.repository.deliveries(placed.id) == []
    assert harness.publisher.events == []
