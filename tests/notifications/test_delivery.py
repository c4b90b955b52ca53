"""Delivery through the outbox: at least once, each copy under its stable key, failures kept
in the outbox and shown on the timeline; messages sent and resent by hand."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from tests.notifications.conftest import ADA, OWNER, SETTINGS, sent

from orderflow import MessageNotFound, NotificationError, Order, OrderFlow, RetryPolicy, Settings
from orderflow.adapters.fakes import RecordingNotifier, SequentialIds
from orderflow.testing import STAFF, Harness, make_draft, make_flow

PLACEMENT_KEYS = [
    "msg-id-1-v1-0-new_order-email-0",
    "msg-id-1-v1-0-new_order-sms-0",
    "msg-id-1-v1-0-new_order-webhook-0",
    "msg-id-1-v1-0-order_confirmation-email-0",
]
"""Order id-1, version 1, event 0 (OrderPlaced): three staff routes and the confirmation."""


def keys(harness: Harness) -> list[str]:
    return [m.key for m in harness.notifier.sent]


def test_messages_are_saved_with_the_order_and_sent_only_by_dispatch(harness: Harness) -> None:
    order = harness.flow.place(make_draft(), actor=STAFF)

    queued = [d.item.key for d in harness.repository.deliveries(order.id)]
    assert queued == PLACEMENT_KEYS
    assert harness.notifier.sent == []

    harness.flow.dispatch()
    assert keys(harness) == PLACEMENT_KEYS


def test_a_notifier_failing_before_sending_delivers_each_message_exactly_once_later(
    harness: Harness,
) -> None:
    harness.notifier.fail_next(5)
    harness.flow.place(make_draft(), actor=STAFF)

    first = harness.flow.dispatch()
    harness.clock.advance(seconds=30)  # RetryPolicy: 30 s after the first failure
    second = harness.flow.dispatch()
    harness.clock.advance(seconds=60)  # then 60 s after the second
    third = harness.flow.dispatch()

    assert (first.failed, second.failed, second.delivered, third.delivered) == (4, 1, 3, 1)
    assert Counter(keys(harness)) == dict.fromkeys(PLACEMENT_KEYS, 1)


def test_a_crash_between_the_save_and_the_dispatch_loses_no_message(harness: Harness) -> None:
    harness.flow.place(make_draft(), actor=STAFF)
    del harness.flow  # the process dies after the save, before any dispatch

    notifier = RecordingNotifier()
    restarted = OrderFlow(
        repository=harness.repository,
        outbox=harness.repository,
        gateway=harness.gateway,
        clock=harness.clock,
        ids=SequentialIds("after"),
        notifier=notifier,
        notifications=SETTINGS,
    )
    restarted.dispatch()

    assert [m.key for m in notifier.sent] == PLACEMENT_KEYS


def test_a_crash_after_sending_redelivers_the_same_message_under_the_same_key(
    harness: Harness,
) -> None:
    harness.notifier.fail_next(1, after_send=True)  # the send happens, the answer is lost
    harness.flow.place(make_draft(), actor=STAFF)

    harness.flow.dispatch()
    harness.clock.advance(seconds=30)
    harness.flow.dispatch()

    first, *_, again = harness.notifier.sent
    assert first == again  # same key, same words: the receiver can tell it is a copy
    assert Counter(keys(harness)) == {**dict.fromkeys(PLACEMENT_KEYS, 1), PLACEMENT_KEYS[0]: 2}


def test_a_message_dead_lettered_after_the_attempt_limit_shows_on_the_timeline() -> None:
    harness = make_flow(
        notifications=SETTINGS, publish=False, settings=Settings(retry=RetryPolicy(max_attempts=2))
    )
    order = harness.flow.place(make_draft(), actor=STAFF)
    harness.notifier.fail_next(4)  # the three staff routes and the confirmation, twice
    harness.notifier.fail_next(4)

    harness.flow.dispatch()
    failing = [e for e in harness.flow.timeline(order.id) if e.kind == "MessageFailed"]
    harness.clock.advance(seconds=30)
    report = harness.flow.dispatch()

    assert report.dead == 4
    assert len(failing) == 4
    assert failing[0].message == (
        "New order email to owner@maisonlune.example failed 1 times; retrying "
        "(msg-id-1-v1-0-new_order-email-0)"
    )
    dead = [e for e in harness.flow.timeline(order.id) if e.kind == "MessageDeadLettered"]
    assert [e.message for e in dead][-1] == (
        "Order confirmation email to ada@example.com not sent after 2 attempts "
        "(msg-id-1-v1-0-order_confirmation-email-0)"
    )
    assert (
        dead[-1].note
        == "ConnectionError: notifier unavailable (msg-id-1-v1-0-order_confirmation-email-0)"
    )
    assert harness.notifier.sent == []


def test_the_timeline_shows_queued_then_sent_messages_after_the_orders_own_entries(
    harness: Harness,
) -> None:
    order = harness.flow.place(make_draft(), actor=STAFF)
    queued = [e.kind for e in harness.flow.timeline(order.id)]
    harness.clock.advance(minutes=1)
    harness.flow.dispatch()
    delivered = harness.flow.timeline(order.id)

    assert queued == ["OrderPlaced", *["MessageQueued"] * 4]
    assert [e.kind for e in delivered] == ["OrderPlaced", *["MessageSent"] * 4]
    assert delivered[-1].message == (
        "Order confirmation email sent to ada@example.com (msg-id-1-v1-0-order_confirmation-email-0)"
    )
    assert delivered[-1].at == harness.clock.now()
    assert order.timeline == harness.flow.get(order.id).timeline  # delivery is not in the order


# -- by hand -----------------------------------------------------------------------------------


def test_staff_send_a_template_by_hand_with_a_note_for_the_customer(
    harness: Harness, placed: Order
) -> None:
    order = harness.flow.fulfill(placed.id, "id-1-fo1", actor=STAFF, notify_customer=False)
    fulfillment = order.fulfillments[0].id

    after = harness.flow.send_message(
        order.id,
        "shipping_confirmation",
        actor=STAFF,
        note="Sorry for the wait: we added a little gift.",
        fulfillment_id=fulfillment,
    )

    assert after.timeline[-1].kind == "MessageRequested"
    assert sent(harness) == [("shipping_confirmation", "email", ADA)]
    message = harness.notifier.sent[0]
    assert message.key == "msg-id-1-v3-0-shipping_confirmation-email-0"
    assert message.text.startswith("Hi Ada,\n\nSorry for the wait: we added a little gift.\n\n")


def test_a_message_by_hand_may_go_to_another_address_and_to_staff(
    harness: Harness, placed: Order
) -> None:
    harness.flow.send_message(placed.id, "order_confirmation", actor=STAFF, to="ada@work.example")
    harness.flow.send_message(placed.id, "new_order", actor=STAFF, audience="staff")

    assert sent(harness) == [
        ("order_confirmation", "email", "ada@work.example"),
        ("new_order", "email", OWNER),
    ]


@pytest.mark.parametrize(
    ("template", "options", "match"),
    [
        ("welcome", {}, "no template 'welcome'; templates: delivered, "),
        ("shipping_confirmation", {}, "needs fulfillment, fulfillment_order: pass fulfillment_id"),
        (
            "out_for_delivery",
            {},
            "needs fulfillment, shipment: it is sent by its rule, not by hand",
        ),
        ("order_confirmation", {"channel": "sms"}, "has no customer sms recipient: pass to="),
        ("order_confirmation", {"channel": "webhook"}, "not by webhook"),
        ("order_confirmation", {"channel": "fax"}, "channel one of"),
    ],
)
def test_a_message_that_could_not_be_sent_is_refused_and_the_order_left_as_it_was(
    harness: Harness, placed: Order, template: str, options: dict[str, str], match: str
) -> None:
    with pytest.raises(NotificationError, match=match):
        harness.flow.send_message(placed.id, template, actor=STAFF, **options)  # type: ignore[arg-type]

    assert harness.flow.get(placed.id) == placed
    assert [d.item.key for d in harness.repository.deliveries(placed.id)] == PLACEMENT_KEYS


def test_a_resend_copies_the_message_under_a_new_key_naming_the_original(
    harness: Harness, placed: Order
) -> None:
    original = "msg-id-1-v1-0-order_confirmation-email-0"

    harness.flow.resend_message(placed.id, original, actor=STAFF)
    harness.flow.resend_message(placed.id, original, actor=STAFF, to="ada@work.example")
    sent(harness)

    first, second = harness.notifier.sent
    copied = harness.flow.message(placed.id, original)
    assert (first.key, first.resend_of, first.to) == ("msg-id-1-v2-0-resend", original, ADA)
    assert (second.key, second.to) == ("msg-id-1-v3-0-resend", "ada@work.example")
    assert (first.subject, first.text, first.html) == (copied.subject, copied.text, copied.html)


def test_resending_an_unknown_message_is_refused(harness: Harness, placed: Order) -> None:
    with pytest.raises(MessageNotFound, match="order id-1 has no message 'msg-nope'"):
        harness.flow.resend_message(placed.id, "msg-nope", actor=STAFF)


def test_without_notifications_sending_by_hand_is_refused() -> None:
    harness = make_flow()
    order = harness.flow.place(make_draft(), actor=STAFF)

    with pytest.raises(NotificationError, match="no notifications are configured"):
        harness.flow.send_message(order.id, "order_confirmation", actor=STAFF)
    assert harness.flow.dispatch().delivered == 1  # only the published OrderPlaced event
    assert harness.notifier.sent == []


def test_the_timeline_names_only_the_host_of_a_webhook_whose_url_may_hold_a_secret(
    harness: Harness,
) -> None:
    order = harness.flow.place(make_draft(), actor=STAFF)
    harness.flow.dispatch()

    (entry,) = [e for e in harness.flow.timeline(order.id) if "webhook" in e.message]
    assert (
        entry.message
        == "New order webhook sent to chat.example (msg-id-1-v1-0-new_order-webhook-0)"
    )


def test_the_clock_is_what_dates_the_timeline_entries(harness: Harness) -> None:
    order = harness.flow.place(make_draft(), actor=STAFF)
    harness.clock.advance(timedelta(hours=1))

    queued = [e.at for e in harness.flow.timeline(order.id) if e.kind == "MessageQueued"]
    assert queued == [order.placed_at] * 4
