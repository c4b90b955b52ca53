"""Mistakes in the settings stop the host at start, with a message naming what to fix."""

from __future__ import annotations

import re
from typing import Any

import attrs
import pytest
from tests.notifications.conftest import ADA, OWNER, OWNER_PHONE, SETTINGS, sent, store

from orderflow import InvalidRecipient, NotificationError, OrderFlow
from orderflow.adapters.fakes import FakeClock, FakeGateway, SequentialIds
from orderflow.adapters.memory import InMemoryRepository
from orderflow.domain.events import OrderArchived, OrderEvent, OrderPlaced, ShipmentEventRecorded
from orderflow.notifications import Notifications, Route, Rule, ServiceContact, StaffContact
from orderflow.testing import STAFF, make_draft

THANKS = "{% block subject %}Thanks{% endblock %}{% block text %}Thanks.{% endblock %}"


def configure(**changes: Any) -> Notifications:
    return Notifications(attrs.evolve(SETTINGS, **changes))


def refused(match: str, **changes: Any) -> None:
    with pytest.raises(NotificationError, match=match):
        configure(**changes)


def test_the_built_in_settings_configure_every_route_with_customer_sms_off() -> None:
    routes = configure().routes

    assert routes[Route("order_confirmation", "customer", "email")] is True
    assert routes[Route("order_confirmation", "customer", "sms")] is False
    assert routes[Route("new_order", "staff", "sms")] is True
    # 1 staff alert x3, 13 customer rules x2, a service request, a hold alert x3, a payment
    # review alert x3
    assert len(routes) == 36


def test_a_template_that_does_not_parse_is_refused_naming_its_file_and_line() -> None:
    broken = "{% block subject %}Order\n{{ order.name }{% endblock %}"

    refused(
        r"template en/order_confirmation\.jinja line 2",
        templates={"en/order_confirmation.jinja": broken},
    )


def test_a_misspelt_variable_is_refused_at_configuration() -> None:
    typo = "{% block subject %}{{ order.nmae }}{% endblock %}{% block text %}x{% endblock %}"

    refused(
        r"template en/order_confirmation\.jinja line 1: 'dict object' has no attribute 'nmae'",
        templates={"en/order_confirmation.jinja": typo},
    )


def test_an_optional_value_used_without_its_guard_is_refused_thanks_to_the_bare_sample() -> None:
    unguarded = (
        "{% block subject %}x{% endblock %}"
        "{% block text %}{{ order.shipping_address.lines | join(', ') }}{% endblock %}"
    )

    refused(r"en/order_confirmation\.jinja", templates={"en/order_confirmation.jinja": unguarded})


def test_a_template_reading_what_its_event_does_not_give_is_refused() -> None:
    needs_tracking = (
        "{% block subject %}{{ fulfillment.tracking }}{% endblock %}{% block text %}x{% endblock %}"
    )

    refused(
        r"en/order_confirmation reads fulfillment, which the rule on OrderPlaced does not give",
        templates={"en/order_confirmation.jinja": needs_tracking},
    )


def test_a_template_that_changes_what_it_is_given_is_refused_naming_its_file_and_line() -> None:
    # Rendered in a shared context, it would empty the lines of the customer's confirmation.
    clearing = (
        "{% block subject %}New order{% endblock %}{% block sms %}New order{% endblock %}"
        "{% block text %}\n{% set _ = order.lines.clear() %}Lines cleared{% endblock %}"
    )

    refused(
        r"template en/new_order\.jinja line 2: access to attribute 'clear' of 'list' object is "
        "unsafe",
        templates={"en/new_order.jinja": clearing},
    )


def test_a_rule_naming_an_event_by_string_is_refused() -> None:
    rule = Rule(event="OrderPlaced", template="new_order", audience="staff")  # type: ignore[arg-type]

    refused("event must be one of the event classes orderflow emits", rules=(rule,))


def test_a_rule_on_an_event_class_the_library_never_emits_is_refused() -> None:
    @attrs.frozen(kw_only=True)
    class GiftWrapped(OrderEvent):
        pass

    refused(
        "event must be one of the event classes",
        rules=(Rule(event=GiftWrapped, template="new_order", audience="staff"),),
    )


def test_a_rule_naming_an_unknown_template_is_refused_listing_the_templates() -> None:
    rule = Rule(event=OrderPlaced, template="welcome", audience="customer")

    refused(r"template 'welcome', which does not exist; templates: delivered, ", rules=(rule,))


def test_a_customer_rule_by_webhook_is_refused() -> None:
    rule = Rule(event=OrderPlaced, template="new_order", audience="customer", channels=("webhook",))

    refused("a customer is reached by email or sms, not webhook", rules=(rule,))


def test_a_host_rule_sending_what_a_built_in_rule_sends_for_the_same_event_is_refused() -> None:
    again = Rule(event=OrderPlaced, template="order_confirmation", audience="customer")

    refused(
        r"^the built-in rule and rules\[0\] both send order_confirmation to customer by email "
        r"on OrderPlaced: their messages would share keys",
        rules=(again,),
    )


def test_two_host_rules_colliding_on_an_optional_channel_are_refused() -> None:
    # The same route, even off by default: switched on, both rules would send it.
    first = Rule(event=OrderArchived, template="thanks", audience="customer")
    second = Rule(
        event=OrderArchived,
        template="thanks",
        audience="customer",
        channels=(),
        optional_channels=("sms", "email"),
    )

    refused(
        r"^rules\[0\] and rules\[1\] both send thanks to customer by email on OrderArchived",
        rules=(first, second),
        templates={"en/thanks.jinja": THANKS},
    )


def test_one_template_for_two_audiences_or_two_events_is_no_collision() -> None:
    to_staff = Rule(event=OrderPlaced, template="order_confirmation", audience="staff")
    on_archive = Rule(event=OrderArchived, template="order_confirmation", audience="customer")

    routes = configure(rules=(to_staff, on_archive)).routes

    assert routes[Route("order_confirmation", "staff", "email")] is True


def test_the_same_staff_contact_twice_on_one_channel_is_refused() -> None:
    refused(
        r"^StaffContact e-mail address 'owner@maisonlune\.example' is given twice for email: "
        "give each contact once per channel$",
        staff=(
            StaffContact(OWNER),
            StaffContact(OWNER_PHONE, "sms"),
            StaffContact(OWNER, locale="fr"),
        ),
    )


def test_the_same_service_contact_twice_for_one_service_is_refused() -> None:
    twice = ServiceContact("shipfast", "orders@shipfast.example")

    refused(
        r"^ServiceContact e-mail address 'orders@shipfast\.example' is given twice for email "
        r"\(service shipfast\)",
        services=(twice, twice),
    )


def test_one_address_for_two_services_is_no_duplicate() -> None:
    shared = (
        ServiceContact("shipfast", "ops@3pl.example"),
        ServiceContact("packright", "ops@3pl.example"),
    )

    assert configure(services=shared).settings.services == shared


@pytest.mark.parametrize(
    "name",
    ["Thanks", "thanks-again", "thanks.v2", "9lives", "t" * 65, "merci_à_vous"],
)
def test_a_template_name_that_is_not_a_short_lowercase_identifier_is_refused(name: str) -> None:
    refused(
        rf"^template en/{re.escape(name)}\.jinja: a template name is a lowercase letter, then "
        r"up to 63 lowercase letters, digits and underscores",
        templates={f"en/{name}.jinja": THANKS},
    )


def test_a_template_name_of_64_characters_is_taken() -> None:
    name = "t" * 64
    rule = Rule(event=OrderArchived, template=name, audience="customer")

    routes = configure(rules=(rule,), templates={f"en/{name}.jinja": THANKS}).routes

    assert routes[Route(name, "customer", "email")] is True


def test_switching_a_route_no_rule_sends_is_refused_listing_the_routes() -> None:
    refused(
        r"no rule sends order_confirmation to staff by email; routes: ",
        turn_off={Route("order_confirmation", "staff", "email")},
    )


def test_a_route_both_on_and_off_is_refused() -> None:
    route = Route("shipping_update", "customer", "sms")

    refused(
        "turned both on and off: shipping_update to customer by sms",
        turn_on={route},
        turn_off={route},
    )


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"timezone": "Europe/Lyon"}, "timezone 'Europe/Lyon' is not an IANA time zone"),
        (
            {"admin_url": "https://admin.example/{id}"},
            r"admin_url .* is not a pattern of \{order_id\}",
        ),
        ({"admin_url": "https://admin.example/{0}"}, "admin_url"),
    ],
)
def test_a_bad_time_zone_or_admin_url_pattern_is_refused(
    changes: dict[str, str], match: str
) -> None:
    refused(match, **changes)


def test_a_template_only_in_a_language_the_store_does_not_speak_is_refused() -> None:
    only_german = {
        "de/welcome.jinja": "{% block subject %}Hallo{% endblock %}{% block text %}x{% endblock %}"
    }

    refused(
        "template 'welcome' exists in de but neither in the store's language", templates=only_german
    )


def test_a_host_rule_and_template_of_its_own_send_like_built_in_ones() -> None:
    thanks = (
        "{% block subject %}Thanks again, {{ customer.first_name }}{% endblock %}"
        "{% block text %}Order {{ order.name }} is complete.{% endblock %}"
    )
    harness = store(
        built_in_rules=False,
        rules=(Rule(event=OrderArchived, template="thanks", audience="customer"),),
        templates={"en/thanks.jinja": thanks},
    )
    order = harness.flow.place(make_draft(), actor=STAFF)
    assert sent(harness) == []  # built-in rules off: no alert, no confirmation

    harness.flow.archive(order.id, actor=STAFF)
    assert sent(harness) == [("thanks", "email", ADA)]
    assert harness.notifier.sent[0].subject == "Thanks again, Ada"


def test_a_rule_on_a_carrier_event_may_read_the_shipment() -> None:
    rule = Rule(event=ShipmentEventRecorded, template="status", audience="staff")
    status = "{% block subject %}{{ shipment.label }}{% endblock %}{% block text %}{{ shipment.at }}{% endblock %}"

    assert (
        Route("status", "staff", "email")
        in configure(rules=(rule,), templates={"en/status.jinja": status}).routes
    )


def test_notifications_without_a_notifier_are_refused() -> None:
    repository = InMemoryRepository()
    with pytest.raises(NotificationError, match="notifications need a notifier"):
        OrderFlow(
            repository=repository,
            outbox=repository,
            gateway=FakeGateway(),
            clock=FakeClock(),
            ids=SequentialIds(),
            notifications=SETTINGS,
        )


@pytest.mark.parametrize(
    ("contact", "match"),
    [
        (
            StaffContact("owner@maisonlune.example, ops@maisonlune.example"),
            r"^StaffContact e-mail address '.*' is not exactly one e-mail address: it is a list$",
        ),
        (
            StaffContact("+33 6 00 00 00 01", "sms"),
            r"^StaffContact phone number '\+33 6 00 00 00 01' is not a phone number in E\.164",
        ),
        (
            StaffContact("file:///etc/passwd", "webhook"),
            r"^StaffContact webhook URL to \(no host\) is not an http\(s\) URL with a host",
        ),
        (
            StaffContact("http://169.254.169.254/latest/meta-data/", "webhook"),
            r"^StaffContact webhook URL to 169\.254\.169\.254 points at a link-local address",
        ),
        (
            ServiceContact("shipfast", "http://localhost:8080/orders", "webhook"),
            r"^ServiceContact webhook URL to localhost:8080 points at a loopback address",
        ),
    ],
)
def test_a_contact_that_cannot_receive_its_channel_is_refused(
    contact: StaffContact | ServiceContact, match: str
) -> None:
    field = "staff" if isinstance(contact, StaffContact) else "services"

    with pytest.raises(InvalidRecipient, match=match):
        configure(**{field: (contact,)})


def test_a_webhook_contact_with_credentials_is_refused_without_showing_them() -> None:
    with pytest.raises(InvalidRecipient) as refused:
        configure(staff=(StaffContact("https://bot:s3cret@chat.example/hooks/T1", "webhook"),))

    assert str(refused.value) == (
        "StaffContact webhook URL to chat.example is not an http(s) URL with a host and "
        "without credentials"
    )


def test_a_webhook_contact_on_the_hosts_own_network_is_taken_when_private_webhooks_are_allowed() -> (
    None
):
    receiver = StaffContact("http://10.0.0.7:8080/orderflow", "webhook")

    routes = configure(staff=(receiver,), allow_private_webhooks=True).routes

    assert routes[Route("new_order", "staff", "webhook")] is True


def test_a_contact_on_a_channel_orderflow_has_not_is_refused() -> None:
    refused(
        r"^StaffContact channel must be one of \('email', 'sms', 'webhook'\), got 'fax'",
        staff=(StaffContact("+33600000001", "fax"),),  # type: ignore[arg-type]
    )


def test_a_rule_sending_one_route_twice_is_refused() -> None:
    twice = Rule(
        event=OrderArchived,
        template="thanks",
        audience="customer",
        channels=("email",),
        optional_channels=("email",),
    )

    refused(
        r"^rules\[0\] sends thanks to customer by email twice on OrderArchived",
        rules=(twice,),
        templates={"en/thanks.jinja": THANKS},
    )


def test_partials_and_the_layout_are_not_template_names() -> None:
    overrides = {
        "layout.html.jinja": "<html>{{ body }}</html>",
        "_Gift_Note.text.jinja": "A gift from {{ customer.first_name }}",
        "en/_Signature.jinja": "Maison Lune",
    }

    assert (
        configure(templates=overrides).templates.names()
        == Notifications(SETTINGS).templates.names()
    )
