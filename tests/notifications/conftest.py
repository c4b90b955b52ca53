"""A store with notifications on: staff by email, SMS and chat webhook, a 3PL by email.

Every order is ``make_draft()`` unless a test says otherwise: 2 x 20.00 + 15.00 shipping +
7.00 VAT = 62.00 EUR, for Ada Lovelace <ada@example.com> (English, no phone).
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from orderflow import Order
from orderflow.notifications import NotificationSettings, ServiceContact, StaffContact
from orderflow.ports.messaging import Message
from orderflow.testing import STAFF, Harness, RecordingFulfillmentService, make_draft, make_flow

OWNER = "owner@maisonlune.example"
OWNER_PHONE = "+33600000001"
CHAT = "https://chat.example/hooks/orders"
ADA = "ada@example.com"

SETTINGS = NotificationSettings(
    store_name="Maison Lune",
    admin_url="https://admin.maisonlune.example/orders/{number}",
    timezone="Europe/Paris",
    store_email="hello@maisonlune.example",
    staff=(
        StaffContact(OWNER),
        StaffContact(OWNER_PHONE, "sms"),
        StaffContact(CHAT, "webhook"),
    ),
    services=(ServiceContact("shipfast", "orders@shipfast.example"),),
)


def store(**changes: Any) -> Harness:
    """A flow with ``SETTINGS`` (changed as told), no publisher, a recording 3PL."""
    return make_flow(
        notifications=attrs.evolve(SETTINGS, **changes),
        publish=False,
        fulfillment_service=RecordingFulfillmentService(),
    )


@pytest.fixture
def harness() -> Harness:
    return store()


@pytest.fixture
def placed(harness: Harness) -> Order:
    """Placed, and its placement messages already delivered and forgotten by ``sent``."""
    order = harness.flow.place(make_draft(), actor=STAFF)
    harness.flow.dispatch()
    harness.notifier.sent.clear()
    return order


def sent(harness: Harness) -> list[tuple[str, str, str]]:
    """Dispatch until the outbox is drained (a refund's answer queues its own message),
    then (template, channel, recipient) of every message sent so far."""
    while harness.flow.dispatch().delivered:
        pass
    return [(m.template, m.channel, m.to) for m in harness.notifier.sent]


def last(harness: Harness) -> Message:
    sent(harness)
    return harness.notifier.sent[-1]
