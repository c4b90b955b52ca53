"""Who a message can go to: one rule per channel, the same at configuration, on a request by
hand and at delivery.

- **email**: exactly one address, ``local@domain``: no display name, no list, no comment,
  no quoted local part, no whitespace or control character; letters beyond ASCII are
  allowed (internationalised addresses, RFC 6531).
- **sms**: a number in E.164 form: ``+`` then 2 to 15 digits, the first not 0. A customer's
  own number may be written as people write it (spaces, dots, dashes, parentheses), and is
  sent without them.
- **webhook**: an http(s) URL with a host and without credentials (``user:secret@``), whose
  host is not ``localhost`` nor a literal address on a loopback, private, link-local,
  multicast, unspecified or reserved network (unless the store allows private webhooks).
  The webhook adapters check the addresses a host name resolves to when they connect.

A webhook URL often holds its secret in its path, so messages about one name only its host.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import socket
from urllib.parse import urlsplit

import attrs

from orderflow.domain.limits import EMAIL, URL
from orderflow.errors import InvalidRecipient, InvalidText, UndeliverableMessage
from orderflow.ports.messaging import Channel, Message

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_ATEXT = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~\-"
_LOCAL = re.compile(rf"[{_ATEXT}\u0080-\U0010ffff]+(?:\.[{_ATEXT}\u0080-\U0010ffff]+)*")
"""RFC 5322's dot-atom, with RFC 6532's letters beyond ASCII (controls are refused first)."""
_LABEL = re.compile(r"(?!-)[0-9A-Za-z\u0080-\U0010ffff-]{1,63}(?<!-)")
"""A domain label: letters, digits and inner hyphens (a U-label may hold any letter)."""
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
_PHONE_FORMATTING = re.compile(r"[ .()-]")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_SHARED = ipaddress.IPv4Network("100.64.0.0/10")


def email_problem(address: str) -> str | None:
    """Why ``address`` is not exactly one e-mail address, or ``None`` if it is one."""
    reason = _email_reason(address)
    return None if reason is None else f"is not exactly one e-mail address: {reason}"


def _email_reason(address: str) -> str | None:
    if len(address) > EMAIL.max_length:
        return f"it is longer than {EMAIL.max_length} characters"
    if "," in address or ";" in address:
        return "it is a list"
    if any(char.isspace() or not char.isprintable() for char in address):
        return "it holds whitespace or a control character"
    local, at, domain = address.rpartition("@")
    if not at or not local:
        return "it is not local-part@domain"
    if len(local) > 64 or not _LOCAL.fullmatch(local):
        return "its local part is not a plain dot-atom of at most 64 characters"
    labels = domain.split(".")
    if len(domain) > 255 or not all(_LABEL.fullmatch(label) for label in labels):
        return "its domain is not a host name"
    return None


def phone_number(number: str, *, formatted: bool = False) -> str | None:
    """``number`` in E.164 form, or ``None`` if it is not one; with ``formatted``, spaces,
    dots, dashes and parentheses are taken out first (``"+33 6 12-34.56 78"``)."""
    plain = _PHONE_FORMATTING.sub("", number) if formatted else number
    return plain if _E164.fullmatch(plain) else None


def webhook_problem(url: str, *, allow_private: bool = False) -> str | None:
    """Why ``url`` cannot be a webhook target, or ``None`` if it can."""
    try:
        URL.check(url, "the webhook URL")
    except InvalidText:
        return "is not an http(s) URL with a host and without credentials"
    parts = urlsplit(url)
    try:
        _ = parts.port  # raises for a port out of range
    except ValueError:
        return "has an invalid port"
    if parts.hostname is None:
        return "has no host"
    if not allow_private and (kind := host_kind(parts.hostname)) is not None:
        article = "an" if kind[0] in "aeiou" else "a"
        return (
            f"points at {article} {kind} address, which webhooks reach only where private "
            "webhooks are allowed"
        )
    return None


def host_kind(host: str) -> str | None:
    """The kind of private network a URL's host names literally (``localhost``, an IPv4 or
    IPv6 address, in any form the resolver takes), or ``None``: a public address, or a
    name that only resolving can tell."""
    name = host.rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return "loopback"
    address = literal_address(name)
    return None if address is None else address_kind(address)


def literal_address(host: str) -> IPAddress | None:
    """The address ``host`` spells out, as the resolver reads it (``127.1`` and
    ``2130706433`` are 127.0.0.1), or ``None`` for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if not re.fullmatch(r"[0-9a-fx.]+", host) or not host[:1].isdigit():
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def address_kind(address: IPAddress) -> str | None:
    """Why a webhook may not reach ``address`` without leave (``"loopback"``, ``"private"``,
    ``"link-local"``...), or ``None`` for a public address. An IPv6 address that carries an
    IPv4 one (mapped, 6to4, NAT64) is judged by the IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return address_kind(embedded)
    checks = (
        ("loopback", address.is_loopback),
        ("unspecified", address.is_unspecified),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("shared (carrier-grade NAT)", address in _SHARED),
    )
    return next((kind for kind, found in checks if found), None)


def shown(channel: Channel | str, to: str) -> str:
    """``to`` as messages about it may show it: a webhook URL by its host (and port) only,
    as its path or credentials may hold a secret."""
    if channel != "webhook":
        return to
    parts = urlsplit(to)
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = parts.hostname, None
    if host is None:
        return "(no host)"
    host = f"[{host}]" if ":" in host else host
    return host if port is None else f"{host}:{port}"


def problem(channel: Channel | str, to: str, *, allow_private: bool) -> str | None:
    """Why ``to`` cannot receive ``channel`` messages (sms: strictly E.164), or ``None``."""
    if channel == "email":
        return email_problem(to)
    if channel == "sms":
        if phone_number(to) is None:
            return "is not a phone number in E.164 form (+, then 2 to 15 digits, the first not 0)"
        return None
    return webhook_problem(to, allow_private=allow_private)


def check(channel: Channel | str, to: object, *, what: str, allow_private: bool) -> str:
    """``to`` if it can receive ``channel`` messages, else :class:`InvalidRecipient`
    naming ``what`` (``"StaffContact"``, ``"to="``...)."""
    if not isinstance(to, str):
        raise TypeError(f"{what} must be a str, got {type(to).__name__}")
    found = problem(channel, to, allow_private=allow_private)
    if found is not None:
        raise InvalidRecipient(f"{what} {describe(channel, to)} {found}")
    return to


def deliverable(message: Message, *, allow_private_webhooks: bool) -> Message:
    """``message`` ready for its notifier (a phone number without its formatting), or
    :class:`UndeliverableMessage` saying why it cannot go to its recipient."""
    to = message.to
    if message.channel == "sms":
        number = phone_number(to, formatted=True)
        if number is not None:
            return message if number == to else attrs.evolve(message, to=number)
    found = problem(message.channel, to, allow_private=allow_private_webhooks)
    if found is None:
        return message
    raise UndeliverableMessage(
        f"the {message.audience}'s {describe(message.channel, to)} {found} (message {message.key})"
    )


def digest(to: str) -> str:
    """A short digest of an address, for message keys: stable, and not the address."""
    return hashlib.sha256(to.encode("utf-8", "surrogatepass")).hexdigest()[:10]


def describe(channel: Channel | str, to: str) -> str:
    """``to`` named for an error message: ``e-mail address 'ada@example.com'``, ``webhook URL
    to chat.example`` (its host only)."""
    what = {"email": "e-mail address", "sms": "phone number"}.get(str(channel), "webhook URL")
    shown_as = f"to {shown(channel, to)}" if channel == "webhook" else repr(to)
    return f"{what} {shown_as}"
