"""Templates: English and French, the reader's language, and customer text kept inert in HTML."""

from __future__ import annotations

import pytest
from tests.notifications.conftest import SETTINGS, sent, store

from orderflow import NotificationError
from orderflow.notifications.templates import Templates
from orderflow.testing import STAFF, Harness, make_customer, make_draft

NBSP = "\u00a0"
LINE_BREAKERS = [
    "\v",
    "\f",
    "\x1c",
    "\x1d",
    "\x1e",
    "\x85",
    "\u2028",
    "\u2029",
    "\x00",
    "\x1b",
    "\x7f",
]
"""Characters that end a line for str.splitlines or for an e-mail header, and other controls."""


def confirmation(harness: Harness, **customer: object) -> tuple[str, str, str | None]:
    harness.flow.place(make_draft(customer=make_customer(**customer)), actor=STAFF)
    sent(harness)
    (message,) = [m for m in harness.notifier.sent if m.template == "order_confirmation"]
    return message.subject, message.text, message.html


def test_the_english_confirmation_reads_as_written(harness: Harness) -> None:
    # make_draft: 2 x 20.00 + 15.00 shipping + 7.00 VAT, placed 2026-01-05 09:00 UTC
    subject, text, _ = confirmation(harness)

    assert subject == "Order #1001 confirmed"
    assert text == (
        "Hi Ada,\n"
        "\n"
        "Thank you for your order. We're getting it ready and will let you know when it ships.\n"
        "\n"
        "Order #1001, January 5, 2026\n"
        "- 2 × Product line-1: €40.00\n"
        "\n"
        "Subtotal: €40.00\n"
        "Shipping: €15.00\n"
        "Taxes: €7.00\n"
        "Total: €62.00\n"
        "\n"
        "Shipping to:\n"
        "  Ada Lovelace\n"
        "  12 rue des Lilas\n"
        "  69003 Lyon\n"
        "  FR\n"
        "\n"
        "Maison Lune\n"
    )


def test_a_french_customer_reads_french_with_french_figures_and_punctuation(
    harness: Harness,
) -> None:
    subject, text, html = confirmation(harness, locale="fr")

    assert subject == "Commande #1001 confirmée"
    assert text == (
        "Bonjour Ada,\n"
        "\n"
        f"Merci pour votre commande{NBSP}! Nous la préparons et vous préviendrons dès son "
        "expédition.\n"
        "\n"
        "Commande #1001 du 5 janvier 2026\n"
        f"- 2 × Product line-1{NBSP}: 40,00{NBSP}€\n"
        "\n"
        f"Sous-total{NBSP}: 40,00{NBSP}€\n"
        f"Expédition{NBSP}: 15,00{NBSP}€\n"
        f"Taxes{NBSP}: 7,00{NBSP}€\n"
        f"Total{NBSP}: 62,00{NBSP}€\n"
        "\n"
        f"Adresse de livraison{NBSP}:\n"
        "  Ada Lovelace\n"
        "  12 rue des Lilas\n"
        "  69003 Lyon\n"
        "  FR\n"
        "\n"
        "L'équipe Maison Lune\n"
    )
    assert html is not None
    assert '<html lang="fr">' in html


@pytest.mark.parametrize(
    ("customer_locale", "store_locale", "expected"),
    [
        ("fr-CA", "en", "fr"),  # a regional variant falls back to its language
        ("fr_FR", "en", "fr"),
        ("de", "en", "en"),  # no German templates: the store's language
        ("de", "fr", "fr"),
    ],
)
def test_a_message_is_in_the_customers_language_else_the_stores(
    customer_locale: str, store_locale: str, expected: str
) -> None:
    harness = store(locale=store_locale)
    harness.flow.place(make_draft(customer=make_customer(locale=customer_locale)), actor=STAFF)
    sent(harness)

    (message,) = [m for m in harness.notifier.sent if m.template == "order_confirmation"]
    assert message.locale == expected


def test_staff_read_the_stores_language_or_their_own() -> None:
    from orderflow.notifications import StaffContact

    harness = store(
        locale="fr",
        staff=(StaffContact("gerant@example.com"), StaffContact("ops@example.com", locale="en")),
    )
    harness.flow.place(make_draft(), actor=STAFF)
    sent(harness)

    alerts = {m.to: m.subject for m in harness.notifier.sent if m.template == "new_order"}
    assert alerts["gerant@example.com"] == "[Maison Lune] Commande #1001 passée par Ada Lovelace"
    assert alerts["ops@example.com"] == "[Maison Lune] Order #1001 placed by Ada Lovelace"


def test_markup_in_a_customer_name_or_note_is_escaped_in_html_and_kept_in_text(
    harness: Harness,
) -> None:
    name = "<script>alert(1)</script> Lovelace"
    harness.flow.place(
        make_draft(customer=make_customer(name=name), note='<img src=x onerror="steal()">'),
        actor=STAFF,
    )
    sent(harness)

    for message in harness.notifier.sent:
        if message.html is None:
            continue
        assert "<script>" not in message.html
        assert "<img" not in message.html
    (alert,) = [m for m in harness.notifier.sent if m.template == "new_order" and m.html]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Lovelace" in alert.html
    assert "&lt;img src=x onerror=&#34;steal()&#34;&gt;" in alert.html
    assert f"{name} placed order #1001" in alert.text  # plain text stays as typed


def test_the_settings_templates_override_a_built_in_file_in_one_language() -> None:
    override = (
        "{% block subject %}Merci {{ customer.first_name }} !{% endblock %}"
        "{% block text %}Commande {{ order.name }}.{% endblock %}"
    )
    harness = store(templates={"fr/order_confirmation.jinja": override})

    french = confirmation(harness, locale="fr")
    assert french == ("Merci Ada !", "Commande #1001.\n", None)  # no html block: text only
    english = store(templates=SETTINGS.templates)
    assert confirmation(english)[0] == "Order #1001 confirmed"


@pytest.mark.parametrize(
    "change",
    [
        "order.lines.clear()",
        "order.lines.pop()",
        "order.lines.append(order.lines[0])",
        "order.update(total='€0.00')",
        "customer.pop('email')",
    ],
)
def test_a_template_cannot_change_the_context_the_other_messages_are_rendered_from(
    change: str,
) -> None:
    source = f"{{% block subject %}}x{{% endblock %}}{{% block text %}}{{% set _ = {change} %}}{{% endblock %}}"
    templates = Templates({"en/meddling.jinja": source})
    values = {
        "order": {"lines": [{"title": "Tea"}], "total": "€62.00"},
        "customer": {"email": "ada@example.com"},
    }

    with pytest.raises(
        NotificationError, match=r"template en/meddling\.jinja line 1: .* is unsafe"
    ):
        templates.render("meddling", "en", "email", values)
    assert values == {
        "order": {"lines": [{"title": "Tea"}], "total": "€62.00"},
        "customer": {"email": "ada@example.com"},
    }


@pytest.mark.parametrize("char", LINE_BREAKERS)
def test_a_control_or_line_separator_in_a_value_is_a_space_in_the_subject(char: str) -> None:
    harness = store(store_name=f"Maison{char}Lune")
    harness.flow.place(make_draft(), actor=STAFF)
    sent(harness)

    alert = harness.notifier.sent[0]
    assert (alert.template, alert.channel) == ("new_order", "email")
    assert alert.subject == "[Maison Lune] Order #1001 placed by Ada Lovelace"


@pytest.mark.parametrize("char", LINE_BREAKERS)
def test_a_control_or_line_separator_written_in_a_template_is_a_space_in_one_line_blocks(
    char: str,
) -> None:
    source = (
        f"{{% block subject %}}Order{char}{{{{ order.name }}}}{char}{char}confirmed{{% endblock %}}"
        f"{{% block text %}}x{{% endblock %}}{{% block sms %}}Order{char}{{{{ order.name }}}}{{% endblock %}}"
    )
    templates = Templates({"en/odd.jinja": source})
    values = {"order": {"name": "#1001"}}

    assert templates.render("odd", "en", "email", values).subject == "Order #1001 confirmed"
    assert templates.render("odd", "en", "sms", values).text == "Order #1001"
