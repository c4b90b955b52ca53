"""The recipient rules: one e-mail address, an E.164 number, a public http(s) URL."""

from __future__ import annotations

import hashlib
import ipaddress

import pytest

from orderflow import InvalidRecipient, NotificationError, UndeliverableMessage
from orderflow.notifications import recipients
from orderflow.ports.messaging import Message


@pytest.mark.parametrize(
    "address",
    [
        "ada@example.com",
        "ada.lovelace+orders@mail.example.co.uk",
        "o'brien@example.ie",
        "élise@exemple.fr",  # internationalised (RFC 6531)
        "用户@例子.广告",
        "ops@intranet",  # a domain of one label
    ],
)
def test_one_address_is_an_email_recipient(address: str) -> None:
    assert recipients.email_problem(address) is None


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("a@x.example, b@y.example", "it is a list"),
        ("a@x.example;b@y.example", "it is a list"),
        ("Ada <ada@example.com>", "it holds whitespace or a control character"),
        ("ada @example.com", "it holds whitespace or a control character"),
        ("ada\u00a0@example.com", "it holds whitespace or a control character"),
        ("ada@example.com\u202e", "it holds whitespace or a control character"),
        ("<ada@example.com>", "its local part is not a plain dot-atom"),
        ('"ada lovelace"@example.com', "it holds whitespace or a control character"),
        ("ada..lovelace@example.com", "its local part is not a plain dot-atom"),
        ("a" * 65 + "@example.com", "its local part is not a plain dot-atom of at most 64"),
        ("ada@b@example.com", "its local part is not a plain dot-atom"),
        ("ada", "it is not local-part@domain"),
        ("@example.com", "it is not local-part@domain"),
        ("ada@", "its domain is not a host name"),
        ("ada@-example.com", "its domain is not a host name"),
        ("ada@example..com", "its domain is not a host name"),
        ("ada@[192.0.2.1]", "its domain is not a host name"),
        ("a@" + "b" * 316 + ".fr", "it is longer than 320 characters"),
    ],
)
def test_anything_but_exactly_one_address_is_not_an_email_recipient(
    address: str, reason: str
) -> None:
    problem = recipients.email_problem(address)

    assert str(problem).startswith(f"is not exactly one e-mail address: {reason}")


@pytest.mark.parametrize(
    ("number", "strict", "formatted"),
    [
        ("+33612345678", "+33612345678", "+33612345678"),
        ("+33 6 12 34 56 78", None, "+33612345678"),
        ("+1 (555) 010-9999", None, "+15550109999"),
        ("+44.20.7946.0018", None, "+442079460018"),
        ("+12", "+12", "+12"),  # + and 2 digits: the shortest
        ("+123456789012345", "+123456789012345", "+123456789012345"),  # 15 digits: the longest
        ("+1234567890123456", None, None),  # 16 digits
        ("+1", None, None),
        ("+0612345678", None, None),  # no country code starts with 0
        ("0612345678", None, None),  # national form: no country code
        ("+33 6 12 34 56 78 ext 9", None, None),
        ("+٣٣٦١٢٣٤٥٦٧٨", None, None),  # Arabic-Indic digits are not E.164 digits
    ],
)
def test_an_sms_recipient_is_an_e164_number_and_a_customers_may_be_formatted(
    number: str, strict: str | None, formatted: str | None
) -> None:
    assert recipients.phone_number(number) == strict
    assert recipients.phone_number(number, formatted=True) == formatted


@pytest.mark.parametrize(
    "url",
    [
        "https://chat.example/hooks/T000/B000/secret",
        "http://erp.example:8080/orderflow",
        "https://8.8.8.8/hook",
        "https://[2606:4700::1111]/hook",
        "https://1e100.example/hook",  # digits and letters: a name, not an address
    ],
)
def test_a_public_http_url_is_a_webhook_recipient(url: str) -> None:
    assert recipients.webhook_problem(url) is None


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("file:///etc/passwd", "is not an http(s) URL with a host and without credentials"),
        ("ftp://example.com/hook", "is not an http(s) URL with a host and without credentials"),
        ("chat.example/hook", "is not an http(s) URL with a host and without credentials"),
        ("https://user:token@chat.example/hook", "is not an http(s) URL with a host and"),
        ("https://token@chat.example/hook", "is not an http(s) URL with a host and"),
        ("https://chat.example:99999/hook", "has an invalid port"),
        ("https://:443/hook", "has no host"),
    ],
)
def test_a_url_that_is_not_http_or_holds_credentials_is_not_a_webhook_recipient(
    url: str, problem: str
) -> None:
    assert str(recipients.webhook_problem(url)).startswith(problem)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1:8080/hook", "a loopback"),
        ("http://127.1/hook", "a loopback"),  # what the resolver reads as 127.0.0.1
        ("http://2130706433/hook", "a loopback"),  # 127.0.0.1 as one number
        ("http://0x7f.0.0.1/hook", "a loopback"),
        ("http://localhost:3000/hook", "a loopback"),
        ("http://LocalHost./hook", "a loopback"),
        ("http://api.localhost/hook", "a loopback"),  # RFC 6761: all of .localhost
        ("http://[::1]/hook", "a loopback"),
        ("http://[::ffff:127.0.0.1]/hook", "a loopback"),  # IPv4-mapped
        ("http://[2002:7f00:1::]/hook", "a loopback"),  # 6to4 of 127.0.0.1
        ("http://169.254.169.254/latest/meta-data/", "a link-local"),  # cloud metadata
        ("http://[fe80::1]/hook", "a link-local"),
        ("http://10.0.0.7/hook", "a private"),
        ("http://172.16.0.1/hook", "a private"),
        ("http://192.168.1.20/hook", "a private"),
        ("http://[fd12:3456::1]/hook", "a private"),
        ("http://[64:ff9b::a00:1]/hook", "a private"),  # NAT64 of 10.0.0.1
        ("http://100.64.0.1/hook", "a shared (carrier-grade NAT)"),
        ("http://224.0.0.1/hook", "a multicast"),
        ("http://[ff02::1]/hook", "a multicast"),
        ("http://0.0.0.0/hook", "an unspecified"),
        ("http://[::]/hook", "an unspecified"),
        ("http://240.0.0.1/hook", "a reserved"),
    ],
)
def test_a_webhook_on_a_private_network_is_refused_unless_allowed(url: str, kind: str) -> None:
    assert recipients.webhook_problem(url) == (
        f"points at {kind} address, which webhooks reach only where private webhooks are allowed"
    )
    assert recipients.webhook_problem(url, allow_private=True) is None


def test_an_ipv6_address_carrying_a_public_ipv4_one_is_judged_by_it() -> None:
    assert recipients.address_kind(ipaddress.ip_address("::ffff:8.8.8.8")) is None
    assert recipients.address_kind(ipaddress.ip_address("::ffff:10.0.0.1")) == "private"


def test_a_webhook_is_shown_by_its_host_and_port_only() -> None:
    assert recipients.shown("webhook", "https://chat.example/hooks/secret?token=t") == (
        "chat.example"
    )
    assert recipients.shown("webhook", "https://user:pw@Chat.Example:8443/x") == (
        "chat.example:8443"
    )
    assert recipients.shown("webhook", "http://[fe80::1]:8080/x") == "[fe80::1]:8080"
    assert recipients.shown("webhook", "file:///etc/passwd") == "(no host)"
    assert recipients.shown("webhook", "https://chat.example:99999/x") == "chat.example"
    assert recipients.shown("email", "ada@example.com") == "ada@example.com"


def test_a_recipient_is_checked_by_its_channel_naming_what_gave_it() -> None:
    assert recipients.check("sms", "+33612345678", what="to=", allow_private=False)

    with pytest.raises(InvalidRecipient) as refused:
        recipients.check("sms", "+33 6 12 34 56 78", what="to=", allow_private=False)
    assert str(refused.value) == (
        "to= phone number '+33 6 12 34 56 78' is not a phone number in E.164 form "
        "(+, then 2 to 15 digits, the first not 0)"
    )
    assert isinstance(refused.value, NotificationError)
    with pytest.raises(InvalidRecipient, match=r"^StaffContact webhook URL to chat\.example is"):
        recipients.check(
            "webhook", "https://u:secret@chat.example/x", what="StaffContact", allow_private=False
        )
    with pytest.raises(TypeError, match="to= must be a str, got int"):
        recipients.check("sms", 33612345678, what="to=", allow_private=False)


def message(channel: str, to: str) -> Message:
    return Message(
        key="msg-1",
        order_id="ord-1",
        template="order_confirmation",
        audience="customer",
        channel=channel,  # type: ignore[arg-type]
        to=to,
        locale="en",
        subject="Order #1001 confirmed",
        text="Thank you.\n",
    )


def test_a_customers_formatted_phone_number_is_delivered_in_e164_form() -> None:
    formatted = message("sms", "+33 6 12 34 56 78")
    plain = message("sms", "+33612345678")

    assert recipients.deliverable(formatted, allow_private_webhooks=False).to == "+33612345678"
    assert recipients.deliverable(plain, allow_private_webhooks=False) is plain


@pytest.mark.parametrize(
    ("channel", "to", "reason"),
    [
        ("email", "a@x.example, b@y.example", "e-mail address 'a@x.example, b@y.example' is "),
        ("sms", "06 12 34 56 78", "phone number '06 12 34 56 78' is not a phone number in E.164"),
        ("webhook", "http://169.254.169.254/x", "webhook URL to 169.254.169.254 points at a li"),
    ],
)
def test_an_undeliverable_recipient_is_refused_naming_the_message(
    channel: str, to: str, reason: str
) -> None:
    with pytest.raises(UndeliverableMessage) as refused:
        recipients.deliverable(message(channel, to), allow_private_webhooks=False)

    assert str(refused.value).startswith(f"the customer's {reason}")
    assert str(refused.value).endswith("(message msg-1)")


def test_the_digest_of_an_address_is_ten_hex_digits_of_its_sha256() -> None:
    expected = hashlib.sha256(b"ada@example.com").hexdigest()[:10]

    assert recipients.digest("ada@example.com") == expected
    assert len(expected) == 10
