"""Notes, tags and archiving through the service; a command that changes nothing saves nothing."""

from __future__ import annotations

from orderflow import Order, OrderQuery
from orderflow.testing import STAFF, Harness


def test_a_note_is_saved_with_a_new_version_and_a_timeline_entry(
    harness: Harness, placed: Order
) -> None:
    order = harness.flow.update_note(placed.id, "Leave at the door", actor=STAFF)

    assert (order.note, order.version) == ("Leave at the door", 2)
    assert (order.timeline[-1].message, order.timeline[-1].note) == (
        "Note updated.",
        "Leave at the door",
    )
    assert harness.repository.get(placed.id) is order


def test_setting_the_same_note_again_saves_nothing(harness: Harness, placed: Order) -> None:
    noted = harness.flow.update_note(placed.id, "Leave at the door", actor=STAFF)

    again = harness.flow.update_note(placed.id, "Leave at the door", actor=STAFF)

    assert again is noted
    assert again.version == 2


def test_tags_are_added_and_removed_in_one_command(harness: Harness, placed: Order) -> None:
    harness.flow.retag(placed.id, add=["gift", "vip"], actor=STAFF)

    order = harness.flow.retag(placed.id, add=["rush"], remove=["vip"], actor=STAFF)

    assert order.tags == frozenset({"gift", "rush"})
    assert order.timeline[-1].message == "Tags added rush; removed vip."
    assert order.version == 3


def test_an_archived_order_leaves_the_working_list_and_can_be_found_in_the_archive(
    harness: Harness, placed: Order
) -> None:
    archived = harness.flow.archive(placed.id, actor=STAFF)

    assert (archived.archive_status, archived.archived_at) == ("archived", harness.clock.now())
    assert harness.flow.orders().orders == ()
    assert harness.flow.orders(OrderQuery(archived=True)).orders == (archived,)


def test_an_unarchived_order_is_back_in_the_working_list(harness: Harness, placed: Order) -> None:
    harness.flow.archive(placed.id, actor=STAFF)

    order = harness.flow.unarchive(placed.id, actor=STAFF)

    assert (order.archive_status, order.archived_at) == ("active", None)
    assert harness.flow.orders().orders == (order,)
    assert [e.message for e in order.timeline[-2:]] == ["Order archived.", "Order unarchived."]
