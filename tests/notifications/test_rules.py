"""Each built-in rule: which step sends which message to whom, and each switch that stops it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.notifications.conftest import ADA, CHAT, OWNER, OWNER_PHONE, last, sent, store

from orderflow import (
    CancelReason,
    DeliveryMethod,
    HoldReason,
    LineQuantity,
    Location,
    Order,
    ShipmentEvent,
    ShipmentStatus,
    Tracking,
    TransactionKind,
)
from orderflow.domain.events import OrderPlaced
from orderflow.domain.settlement import PaymentReport
from orderflow.notifications import Route, Rule, ServiceContact
from orderflow.testing import (
    GATEWAY,
    STAFF,
    Harness,
    authorization,
    eur,
    make_address,
    make_customer,
    make_draft,
    make_line,
    sale,
)

FO = "id-1-fo1"
TRACKING = Tracking(company="Colissimo", numbers=("6A123",), urls=("https://track.example/6A123",))


def fulfilled(harness: Harness, placed: Order, **options: object) -> str:
    """Fulfil the whole order with tracking; the fulfillment's id."""
    order = harness.flow.fulfill(placed.id, FO, actor=STAFF, tracking=TRACKING, **options)  # type: ignore[arg-type]
    return order.fulfillments[0].id


def carrier(
    harness: Harness, order: Order, fulfillment_id: str, status: ShipmentStatus, key: str
) -> None:
    harness.clock.advance(hours=1)
    event = ShipmentEvent(status=status, at=harness.clock.now())
    harness.flow.record_shipment_event(
        order.id, fulfillment_id, event, idempotency_key=key, actor=GATEWAY
    )


# -- order placed -------------------------------------------------------------------------------


def test_a_placed_order_alerts_staff_by_every_channel_and_confirms_to_the_customer(
    harness: Harness,
) -> None:
    harness.flow.place(make_draft(), actor=STAFF)

    assert sent(harness) == [
        ("new_order", "email", OWNER),
        ("new_order", "sms", OWNER_PHONE),
        ("new_order", "webhook", CHAT),
        ("order_confirmation", "email", ADA),
    ]


def test_the_staff_alert_links_to_the_orders_admin_page_by_the_stores_pattern(
    harness: Harness,
) -> None:
    harness.flow.place(make_draft(), actor=STAFF)
    sent(harness)

    alert, sms = harness.notifier.sent[:2]
    assert alert.subject == "[Maison Lune] Order #1001 placed by Ada Lovelace"
    assert "View the order: https://admin.maisonlune.example/orders/1001" in alert.text
    assert sms.text.endswith(" https://admin.maisonlune.example/orders/1001")


def test_customer_sms_is_off_until_the_store_turns_it_on() -> None:
    draft = make_draft(customer=make_customer(phone="+33611111111"))
    quiet = store()
    quiet.flow.place(draft, actor=STAFF)
    talkative = store(turn_on={Route("order_confirmation", "customer", "sms")})
    talkative.flow.place(draft, actor=STAFF)

    assert ("order_confirmation", "sms", "+33611111111") not in sent(quiet)
    assert ("order_confirmation", "sms", "+33611111111") in sent(talkative)


def test_a_route_turned_off_sends_nothing_by_it_and_leaves_the_others() -> None:
    harness = store(turn_off={Route("new_order", "staff", "sms")})
    harness.flow.place(make_draft(), actor=STAFF)

    assert [(t, c) for t, c, _ in sent(harness)] == [
        ("new_order", "email"),
        ("new_order", "webhook"),
        ("order_confirmation", "email"),
    ]


def test_a_customer_without_an_email_address_gets_no_email() -> None:
    harness = store()
    harness.flow.place(
        make_draft(customer=make_customer(email=None, phone="+33611111111")), actor=STAFF
    )

    assert [t for t, _, to in sent(harness) if to not in (OWNER, OWNER_PHONE, CHAT)] == []


# -- changes after payment ----------------------------------------------------------------------


def test_a_new_shipping_address_sends_order_edited_unless_told_not_to(
    harness: Harness, placed: Order
) -> None:
    harness.flow.change_shipping_address(
        placed.id, make_address(line1="3 quai Perrache"), actor=STAFF
    )
    assert sent(harness) == [("order_edited", "email", ADA)]
    assert "3 quai Perrache" in harness.notifier.sent[-1].text

    harness.flow.change_shipping_address(
        placed.id, make_address(line1="9 rue Mercière"), actor=STAFF, notify_customer=False
    )
    assert sent(harness) == [("order_edited", "email", ADA)]


def test_a_failed_charge_with_nothing_else_covering_the_total_sends_payment_due(
    harness: Harness, placed: Order
) -> None:
    failed = PaymentReport(kind=TransactionKind.SALE, amount=eur("62.00"), succeeded=False)
    harness.flow.record_payment(placed.id, failed, idempotency_key="sale-1", actor=GATEWAY)

    message = last(harness)
    assert (message.template, message.to) == ("payment_due", ADA)
    assert "Amount due: €62.00." in message.text


def test_a_declined_capture_while_the_authorization_still_holds_the_total_sends_nothing(
    harness: Harness, placed: Order
) -> None:
    harness.flow.record_payment(
        placed.id, authorization(eur("62.00")), idempotency_key="a", actor=GATEWAY
    )
    harness.flow.capture(placed.id, actor=STAFF)
    harness.gateway.fail_next(1, "decline")

    assert sent(harness) == []


def test_cancelling_tells_the_customer_once_not_again_for_the_refund_it_makes(
    harness: Harness, placed: Order
) -> None:
    harness.flow.record_payment(placed.id, sale(eur("62.00")), idempotency_key="s", actor=GATEWAY)
    harness.flow.cancel(placed.id, CancelReason.CUSTOMER, actor=STAFF)

    assert sent(harness) == [("order_cancelled", "email", ADA)]
    assert harness.notifier.sent[0].subject == "Order #1001 cancelled"
    assert "cancelled (at your request)" in harness.notifier.sent[0].text
    assert "€62.00" in harness.notifier.sent[0].text  # the refund it announces


def test_a_cancellation_told_not_to_notify_sends_nothing(harness: Harness, placed: Order) -> None:
    harness.flow.record_payment(placed.id, sale(eur("62.00")), idempotency_key="s", actor=GATEWAY)
    harness.flow.cancel(placed.id, CancelReason.CUSTOMER, actor=STAFF, notify_customer=False)

    assert sent(harness) == []


def test_cancelling_what_has_not_shipped_tells_the_customer_once_with_the_refund(
    harness: Harness, placed: Order
) -> None:
    paid = harness.flow.record_payment(
        placed.id, sale(eur("62.00")), idempotency_key="s", actor=GATEWAY
    )
    box = paid.fulfillment_orders[0].id
    harness.flow.fulfill(
        placed.id, box, [LineQuantity("line-1", 1)], actor=STAFF, notify_customer=False
    )
    harness.flow.cancel_unfulfilled(placed.id, note="The last one broke", actor=STAFF)

    assert sent(harness) == [("items_cancelled", "email", ADA)]  # the refund sends none
    message = harness.notifier.sent[0]
    assert message.subject == "Items of order #1001 cancelled"
    # the unit: 20.00 and its 2.55 share of the VAT (see docs/changes-after-payment.md)
    assert "- 1 × Product line-1: €20.00" in message.text
    assert "(out of stock), so we cancelled them:" in message.text
    assert "The last one broke" in message.text
    assert "A refund of €22.55 is on its way" in message.text


def test_cancelling_what_has_not_shipped_in_french_and_only_authorized_says_no_charge() -> None:
    harness = store()
    draft = make_draft(customer=make_customer(locale="fr"))
    order = harness.flow.place(draft, actor=STAFF)
    harness.flow.record_payment(
        order.id, authorization(eur("62.00")), idempotency_key="a", actor=GATEWAY
    )
    harness.flow.fulfill(
        order.id, order.fulfillment_orders[0].id, [LineQuantity("line-1", 1)], actor=STAFF
    )
    harness.flow.dispatch()
    harness.notifier.sent.clear()
    harness.flow.cancel_unfulfilled(order.id, actor=STAFF)

    message = last(harness)
    assert (message.template, message.subject) == (
        "items_cancelled",
        "Articles de la commande #1001 annulés",
    )
    assert "(en rupture de stock), nous les avons donc annulés\u00a0:" in message.text
    assert "Ils ne vous seront pas facturés." in message.text


def test_cancelling_what_has_not_shipped_told_not_to_notify_sends_nothing(
    harness: Harness, placed: Order
) -> None:
    paid = harness.flow.record_payment(
        placed.id, sale(eur("62.00")), idempotency_key="s", actor=GATEWAY
    )
    box = paid.fulfillment_orders[0].id
    harness.flow.fulfill(
        placed.id, box, [LineQuantity("line-1", 1)], actor=STAFF, notify_customer=False
    )
    harness.flow.cancel_unfulfilled(placed.id, actor=STAFF, notify_customer=False)

    assert sent(harness) == []


def test_a_refund_is_announced_once_the_gateway_has_made_it(
    harness: Harness, placed: Order
) -> None:
    harness.flow.record_payment(placed.id, sale(eur("62.00")), idempotency_key="s", actor=GATEWAY)
    harness.flow.refund(placed.id, eur("12.50"), actor=STAFF)
    assert harness.notifier.sent == []  # not before: the refund is only asked for

    message = last(harness)
    assert (message.template, message.to) == ("refund", ADA)
    assert "€12.50" in message.text


def test_a_refund_told_not_to_notify_sends_nothing(harness: Harness, placed: Order) -> None:
    harness.flow.record_payment(placed.id, sale(eur("62.00")), idempotency_key="s", actor=GATEWAY)
    harness.flow.refund(placed.id, eur("12.50"), actor=STAFF, notify_customer=False)

    assert sent(harness) == []


# -- fulfillment and delivery --------------------------------------------------------------------


def test_fulfilling_sends_the_shipping_confirmation_with_its_tracking(
    harness: Harness, placed: Order
) -> None:
    fulfilled(harness, placed)

    message = last(harness)
    assert (message.template, message.to) == ("shipping_confirmation", ADA)
    assert "Colissimo: 6A123\nhttps://track.example/6A123\n" in message.text


def test_fulfilling_without_notifying_the_customer_sends_nothing(
    harness: Harness, placed: Order
) -> None:
    fulfilled(harness, placed, notify_customer=False)

    assert sent(harness) == []


def test_new_tracking_sends_a_shipping_update_unless_told_not_to(
    harness: Harness, placed: Order
) -> None:
    fulfillment = fulfilled(harness, placed)
    sent(harness)
    harness.notifier.sent.clear()

    new = Tracking(company="DHL", numbers=("JD0001",))
    harness.flow.update_tracking(placed.id, fulfillment, new, actor=STAFF)
    harness.flow.update_tracking(
        placed.id, fulfillment, TRACKING, actor=STAFF, notify_customer=False
    )

    assert sent(harness) == [("shipping_update", "email", ADA)]
    assert "DHL: JD0001" in harness.notifier.sent[0].text


def test_carrier_events_send_out_for_delivery_and_delivered_once_each_and_every_missed_delivery(
    harness: Harness, placed: Order
) -> None:
    fulfillment = fulfilled(harness, placed)
    sent(harness)
    harness.notifier.sent.clear()

    for key, status in [
        ("c1", ShipmentStatus.IN_TRANSIT),
        ("c2", ShipmentStatus.OUT_FOR_DELIVERY),
        ("c3", ShipmentStatus.ATTEMPTED_DELIVERY),
        ("c4", ShipmentStatus.OUT_FOR_DELIVERY),
        ("c5", ShipmentStatus.ATTEMPTED_DELIVERY),
        ("c6", ShipmentStatus.DELIVERED),
        ("c7", ShipmentStatus.DELIVERED),
    ]:
        carrier(harness, placed, fulfillment, status, key)

    assert [t for t, _, _ in sent(harness)] == [
        "out_for_delivery",
        "missed_delivery",
        "missed_delivery",
        "delivered",
    ]


@pytest.mark.parametrize("delivery", [ShipmentStatus.DELIVERED, ShipmentStatus.PICKED_UP])
def test_a_late_carrier_event_older_than_the_recorded_delivery_sends_no_message(
    harness: Harness, placed: Order, delivery: ShipmentStatus
) -> None:
    fulfillment = fulfilled(harness, placed)
    sent(harness)
    harness.notifier.sent.clear()
    delivered_at = harness.clock.now() + timedelta(hours=3)
    harness.clock.advance(hours=4)  # the carrier's webhooks arrive after the delivery

    for key, status, at in [
        ("c1", delivery, delivered_at),
        ("c2", ShipmentStatus.OUT_FOR_DELIVERY, delivered_at - timedelta(hours=2)),
        ("c3", ShipmentStatus.ATTEMPTED_DELIVERY, delivered_at - timedelta(hours=1)),
    ]:
        event = ShipmentEvent(status=status, at=at)
        harness.flow.record_shipment_event(
            placed.id, fulfillment, event, idempotency_key=key, actor=GATEWAY
        )

    expected = ["delivered"] if delivery is ShipmentStatus.DELIVERED else []
    assert [t for t, _, _ in sent(harness)] == expected


def test_a_pickup_sends_ready_for_pickup_then_picked_up_and_no_shipping_confirmation(
    harness: Harness,
) -> None:
    order = harness.flow.place(make_draft(delivery_method=DeliveryMethod.PICK_UP), actor=STAFF)
    sent(harness)
    harness.notifier.sent.clear()

    harness.flow.ready_for_pickup(order.id, FO, actor=STAFF)
    harness.clock.advance(timedelta(hours=2))
    harness.flow.picked_up(order.id, FO, actor=STAFF)

    assert sent(harness) == [("ready_for_pickup", "email", ADA), ("picked_up", "email", ADA)]


def test_a_fulfillment_request_goes_to_the_services_own_contact() -> None:
    harness = store()
    warehouse = Location("wh", "Warehouse", fulfillment_service="shipfast")
    order = harness.flow.place(
        make_draft(make_line("a", quantity=3), location=warehouse), actor=STAFF
    )
    sent(harness)
    harness.notifier.sent.clear()

    harness.flow.request_fulfillment(order.id, FO, actor=STAFF, message="Gift wrap, please")

    message = last(harness)
    assert (message.template, message.audience, message.to) == (
        "fulfillment_request",
        "service",
        "orders@shipfast.example",
    )
    assert "Gift wrap, please" in message.text
    assert "3 × Product a" in message.text


def test_one_inbox_serving_two_services_gets_one_copy_of_a_message_for_every_service() -> None:
    harness = store(
        services=(
            ServiceContact("shipfast", "ops@3pl.example"),
            ServiceContact("packright", "ops@3pl.example"),
            ServiceContact("packright", "desk@packright.example"),
        ),
        rules=(Rule(event=OrderPlaced, template="order_confirmation", audience="service"),),
    )

    harness.flow.place(make_draft(), actor=STAFF)
    sent(harness)

    to_services = [m.to for m in harness.notifier.sent if m.audience == "service"]
    assert to_services == ["ops@3pl.example", "desk@packright.example"]


def test_a_hold_alerts_staff_only_when_asked(harness: Harness, placed: Order) -> None:
    harness.flow.hold(placed.id, FO, HoldReason.INVENTORY_OUT_OF_STOCK, actor=STAFF, note="Friday")
    assert sent(harness) == []

    harness.flow.release(placed.id, FO, actor=STAFF, release_all=True)
    harness.flow.hold(
        placed.id,
        FO,
        HoldReason.INVENTORY_OUT_OF_STOCK,
        actor=STAFF,
        note="Friday",
        notify_staff=True,
    )
    assert sent(harness) == [
        ("fulfillment_held", "email", OWNER),
        ("fulfillment_held", "sms", OWNER_PHONE),
        ("fulfillment_held", "webhook", CHAT),
    ]
    assert "Friday" in harness.notifier.sent[0].text


def test_staff_hear_once_by_each_channel_that_an_order_is_on_payment_review(
    harness: Harness, placed: Order
) -> None:
    stray = PaymentReport(kind=TransactionKind.REFUND, amount=placed.total, reference="re_9")

    harness.flow.record_payment(placed.id, stray, idempotency_key="evt-9", actor=GATEWAY)

    assert sent(harness) == [
        ("payment_review", "email", OWNER),
        ("payment_review", "sms", OWNER_PHONE),
        ("payment_review", "webhook", CHAT),
    ]  # one alert for the review, none for its hold, no refund message to the customer
    email = harness.notifier.sent[0]
    assert email.subject == "[Maison Lune] Payment of #1001 needs review"
    assert "needs a person: refund of 62.00 EUR names no payment the order knows." in email.text
