"""Delivery through the outbox: at least once, each copy under its stable key, failures kept
in the outbox and shown on the timeline; messages sent and resent by hand."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import timedelta

import attrs
import pytest
from tests.notifications.conftest import ADA, CHAT, OWNER, OWNER_PHONE, SETTINGS, sent, store

from orderflow import (
    InvalidRecipient,
    MessageNotFound,
    NotificationError,
    Order,
    OrderFlow,
    RetryPolicy,
    Settings,
    UndeliverableMessage,
)
from orderflow.adapters.fakes import RecordingNotifier, SequentialIds
from orderflow.domain import placement
from orderflow.domain.events import OrderPlaced
from orderflow.notifications import Notifications, Route, Rule, ServiceContact
from orderflow.ports import Delivery
from orderflow.ports.messaging import Message
from orderflow.service import jobs
from orderflow.testing import STAFF, Harness, make_customer, make_draft, make_flow
from orderflow.testing.contract import T0


def digest(to: str) -> str:
    """The recipient's part of a message key: ten hex digits of the SHA-256 of the address."""
    return hashlib.sha256(to.encode()).hexdigest()[:10]


ALERT = f"msg-id-1-v1-0-new_order-staff-email-{digest(OWNER)}"
CONFIRMATION = f"msg-id-1-v1-0-order_confirmation-customer-email-{digest(ADA)}"
PLACEMENT_KEYS = [
    ALERT,
    f"msg-id-1-v1-0-new_order-staff-sms-{digest(OWNER_PHONE)}",
    f"msg-id-1-v1-0-new_order-staff-webhook-{digest(CHAT)}",
    CONFIRMATION,
]
"""Order id-1, version 1, event 0 (OrderPlaced): three staff routes and the confirmation."""
SENT_TO = {"email": OWNER, "sms": OWNER_PHONE, "webhook": CHAT}
"""Where the staff alert of each channel went."""


def keys(harness: Harness) -> list[str]:
    return [m.key for m in harness.notifier.sent]


def test_messages_are_saved_with_the_order_and_sent_only_by_dispatch(harness: Harness) -> None:
    order = harness.flow.place(make_draft(), actor=STAFF)

    queued = [d.item.key for d in harness.repository.deliveries(order.id)]
    assert queued == PLACEMENT_KEYS
    assert harness.notifier.sent == []

    harness.flow.dispatch()
    assert keys(harness) == PLACEMENT_KEYS


def test_a_staff_rule_on_the_customers_template_sends_both_messages_under_keys_of_their_own() -> (
    None
):
    harness = store(
        rules=(Rule(event=OrderPlaced, template="order_confirmation", audience="staff"),)
    )

    harness.flow.place(make_draft(), actor=STAFF)

    assert sent(harness)[-2:] == [
        ("order_confirmation", "email", ADA),
        ("order_confirmation", "email", OWNER),
    ]
    assert keys(harness)[-2:] == [
        CONFIRMATION,
        f"msg-id-1-v1-0-order_confirmation-staff-email-{digest(OWNER)}",
    ]


def test_a_message_key_with_the_longest_order_id_and_template_name_stays_within_255_characters() -> (
    None
):
    name = "t" * 64  # the longest template name
    notifications = Notifications(
        attrs.evolve(
            SETTINGS,
            services=(ServiceContact("shipfast", "https://3pl.example/hooks", "webhook"),),
            rules=(
                Rule(event=OrderPlaced, template=name, audience="service", channels=("webhook",)),
            ),
            templates={
                f"en/{name}.jinja": "{% block subject %}s{% endblock %}{% block text %}t{% endblock %}"
            },
        )
    )
    placed = placement.place(make_draft(), order_id="o" * 100, number=1001, now=T0, actor=STAFF)
    order = attrs.evolve(placed.order, version=2**63 - 1)  # the largest version any store keeps

    [message] = [m for m in notifications.messages(order, placed.events) if m.template == name]

    digest_ = digest("https://3pl.example/hooks")
    assert message.key == f"msg-{'o' * 100}-v9223372036854775807-0-{name}-service-webhook-{digest_}"
    # msg- (4) + id (100) + -v (2) + version (19) + -0- (3) + name (64) + -service-webhook- (17)
    # + digest (10)
    assert len(message.key) == 219


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
        f"New order email to owner@maisonlune.example failed 1 times; retrying ({ALERT})"
    )
    dead = [e for e in harness.flow.timeline(order.id) if e.kind == "MessageDeadLettered"]
    assert [e.message for e in dead][-1] == (
        f"Order confirmation email to ada@example.com not sent after 2 attempts ({CONFIRMATION})"
    )
    assert dead[-1].note == f"ConnectionError: notifier unavailable ({CONFIRMATION})"
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
        f"Order confirmation email sent to ada@example.com ({CONFIRMATION})"
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
    assert message.key == f"msg-id-1-v3-0-shipping_confirmation-customer-email-{digest(ADA)}"
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


@pytest.mark.parametrize(
    ("channel", "to", "match"),
    [
        (
            "webhook",
            "file:///etc/passwd",
            r"to= webhook URL to \(no host\) is not an http\(s\) URL",
        ),
        (
            "webhook",
            "http://169.254.169.254/latest/meta-data/",
            r"to= webhook URL to 169\.254\.169\.254 points at a link-local address",
        ),
        ("webhook", "http://[::1]:9000/", r"to= webhook URL to \[::1\]:9000 points at a loopback"),
        (
            "webhook",
            "https://bot:s3cret@chat.example/hooks",
            r"^to= webhook URL to chat\.example is not an http\(s\) URL with a host and without "
            r"credentials$",
        ),
        ("email", "ada@example.com, eve@example.com", r"is not exactly one e-mail address"),
        ("email", "Eve <eve@example.com>", r"is not exactly one e-mail address"),
        ("sms", "06 12 34 56 78", r"to= phone number '06 12 34 56 78' is not a phone number"),
    ],
)
def test_a_recipient_given_by_hand_that_cannot_be_one_is_refused_before_anything_is_saved(
    harness: Harness, placed: Order, channel: str, to: str, match: str
) -> None:
    with pytest.raises(InvalidRecipient, match=match):
        harness.flow.send_message(
            placed.id,
            "new_order",
            actor=STAFF,
            audience="staff",
            channel=channel,  # type: ignore[arg-type]
            to=to,
        )
    with pytest.raises(InvalidRecipient, match=match):
        harness.flow.resend_message(
            placed.id,
            f"msg-id-1-v1-0-new_order-staff-{channel}-{digest(SENT_TO[channel])}",
            actor=STAFF,
            to=to,
        )

    assert harness.flow.get(placed.id) == placed
    assert [d.item.key for d in harness.repository.deliveries(placed.id)] == PLACEMENT_KEYS


def test_a_webhook_on_the_hosts_network_may_be_asked_for_by_hand_when_private_webhooks_are_allowed() -> (
    None
):
    harness = store(allow_private_webhooks=True)
    order = harness.flow.place(make_draft(), actor=STAFF)

    harness.flow.send_message(
        order.id,
        "new_order",
        actor=STAFF,
        audience="staff",
        channel="webhook",
        to="http://10.0.0.7/",
    )

    assert sent(harness)[-1] == ("new_order", "webhook", "http://10.0.0.7/")


def test_a_resend_copies_the_message_under_a_new_key_naming_the_original(
    harness: Harness, placed: Order
) -> None:
    original = CONFIRMATION

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
        == f"New order webhook sent to chat.example (msg-id-1-v1-0-new_order-staff-webhook-{digest(CHAT)})"
    )


def test_the_clock_is_what_dates_the_timeline_entries(harness: Harness) -> None:
    order = harness.flow.place(make_draft(), actor=STAFF)
    harness.clock.advance(timedelta(hours=1))

    queued = [e.at for e in harness.flow.timeline(order.id) if e.kind == "MessageQueued"]
    assert queued == [order.placed_at] * 4


# -- recipients that cannot be reached ------------------------------------------------------------


def dead_letters(harness: Harness, order_id: str) -> list[Delivery]:
    return [d for d in harness.repository.deliveries(order_id) if d.state == "dead"]


def test_a_customer_email_that_is_not_one_address_is_dead_lettered_at_once_and_on_the_timeline(
    harness: Harness,
) -> None:
    listed = "ada@example.com, eve@example.com"
    order = harness.flow.place(make_draft(customer=make_customer(email=listed)), actor=STAFF)

    report = harness.flow.dispatch()

    key = f"msg-id-1-v1-0-order_confirmation-customer-email-{digest(listed)}"
    reason = (
        f"UndeliverableMessage: the customer's e-mail address {listed!r} is not exactly one "
        f"e-mail address: it is a list (message {key})"
    )
    assert (report.delivered, report.failed, report.dead) == (3, 0, 1)
    assert report.errors == ((key, reason),)
    assert [m.to for m in harness.notifier.sent] == [OWNER, OWNER_PHONE, CHAT]
    [dead] = dead_letters(harness, order.id)
    assert (dead.item.key, dead.attempts, dead.last_error) == (key, 1, reason)
    entry = harness.flow.timeline(order.id)[-1]
    assert (entry.kind, entry.note) == ("MessageDeadLettered", reason)
    assert entry.message == f"Order confirmation email to {listed} not sent: undeliverable ({key})"


def test_a_customers_phone_is_texted_in_e164_form_and_one_without_a_country_code_is_dead_lettered() -> (
    None
):
    harness = store(turn_on={Route("order_confirmation", "customer", "sms")})
    formatted = make_customer(phone="+33 6 11-11.11 (11)", email=None)
    national = make_customer(phone="06 11 11 11 11", email=None)

    texted = harness.flow.place(make_draft(customer=formatted), actor=STAFF)
    not_texted = harness.flow.place(make_draft(customer=national), actor=STAFF)
    harness.flow.dispatch()

    customer_texts = [m for m in harness.notifier.sent if m.audience == "customer"]
    assert [(m.order_id, m.to) for m in customer_texts] == [(texted.id, "+33611111111")]
    [dead] = dead_letters(harness, not_texted.id)
    assert dead.attempts == 1
    assert dead.last_error == (
        "UndeliverableMessage: the customer's phone number '06 11 11 11 11' is not a phone "
        "number in E.164 form (+, then 2 to 15 digits, the first not 0) "
        f"(message msg-id-2-v1-0-order_confirmation-customer-sms-{digest('06 11 11 11 11')})"
    )


class RefusingNotifier:
    """A notifier whose provider refuses every recipient for good."""

    def send(self, message: Message) -> None:
        raise UndeliverableMessage(f"no such mailbox (message {message.key})")


def test_a_notifier_refusing_a_recipient_for_good_dead_letters_the_message_without_retrying() -> (
    None
):
    harness = make_flow(notifications=SETTINGS, notifier=RefusingNotifier(), publish=False)
    order = harness.flow.place(make_draft(), actor=STAFF)

    report = harness.flow.dispatch()

    assert (report.delivered, report.failed, report.dead) == (0, 0, 4)
    assert [d.attempts for d in dead_letters(harness, order.id)] == [1, 1, 1, 1]


def test_the_timeline_never_shows_a_webhook_urls_credentials(harness: Harness) -> None:
    order = harness.flow.place(make_draft(), actor=STAFF)
    # queued by an earlier release, which took any URL
    queued = Message(
        key="msg-old",
        order_id=order.id,
        template="new_order",
        audience="staff",
        channel="webhook",
        to="https://bot:s3cret@chat.example:8443/hooks/T1?token=t2",
        locale="en",
        subject="New order",
        text="New order.\n",
    )
    harness.repository.save(
        attrs.evolve(order, version=2),
        expected_version=1,
        outbox=jobs.message_items([queued], harness.clock.now()),
    )
    before = [e for e in harness.flow.timeline(order.id) if "msg-old" in e.message]
    harness.flow.dispatch()
    after = [e for e in harness.flow.timeline(order.id) if "msg-old" in e.message]

    assert [e.message for e in before] == [
        "New order webhook queued to chat.example:8443 (msg-old)"
    ]
    assert [e.message for e in after] == [
        "New order webhook to chat.example:8443 not sent: undeliverable (msg-old)"
    ]
    assert after[0].note == (
        "UndeliverableMessage: the staff's webhook URL to chat.example:8443 is not an http(s) URL "
        "with a host and without credentials (message msg-old)"
    )
    assert "s3cret" not in repr(harness.flow.timeline(order.id))
