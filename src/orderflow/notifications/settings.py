"""What a store decides about its messages: who hears of what, by which channel, in which
words. Plain values, checked once when :class:`~orderflow.notifications.Notifications`
is built from them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

import attrs
from attrs import validators as v

from orderflow.notifications.rules import Route, Rule
from orderflow.ports.messaging import Channel


@attrs.frozen
class StaffContact:
    """A member of staff (or a team inbox, a chat webhook) who gets staff messages."""

    to: str
    channel: Channel = "email"
    locale: str | None = None
    """The language of their messages; ``None``: the store's."""


@attrs.frozen
class ServiceContact:
    """Where messages for a fulfillment service (its handle: ``service``) go."""

    service: str
    to: str
    channel: Channel = "email"
    locale: str | None = None


def _staff(values: Iterable[StaffContact]) -> tuple[StaffContact, ...]:
    return tuple(values)


def _services(values: Iterable[ServiceContact]) -> tuple[ServiceContact, ...]:
    return tuple(values)


def _rules(values: Iterable[Rule]) -> tuple[Rule, ...]:
    return tuple(values)


def _frozen_mapping(value: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(value))


@attrs.frozen(kw_only=True)
class NotificationSettings:
    """The store's notification settings.

    ``admin_url`` is the pattern of an order's admin page, with ``{order_id}``,
    ``{number}`` or ``{name}`` (staff alerts link to it). ``turn_on`` and ``turn_off``
    switch single routes (template, audience, channel) of the rules; customer SMS routes
    start off. ``rules`` are the host's own, added to the built-in ones (or alone, with
    ``built_in_rules=False``); ``templates`` override or add template files by path
    (``"fr/shipping_confirmation.jinja"``: source).
    """

    store_name: str = attrs.field(validator=v.instance_of(str))
    admin_url: str = attrs.field(validator=v.instance_of(str))
    locale: str = "en"
    """The store's language: staff messages, and customers whose language has no template."""
    timezone: str = "UTC"
    """The IANA zone dates are shown in (``"Europe/Paris"``)."""
    store_email: str | None = None
    store_url: str | None = None
    staff: tuple[StaffContact, ...] = attrs.field(default=(), converter=_staff)
    services: tuple[ServiceContact, ...] = attrs.field(default=(), converter=_services)
    turn_on: frozenset[Route] = attrs.field(default=frozenset(), converter=frozenset)
    turn_off: frozenset[Route] = attrs.field(default=frozenset(), converter=frozenset)
    rules: tuple[Rule, ...] = attrs.field(default=(), converter=_rules)
    built_in_rules: bool = True
    allow_private_webhooks: bool = False
    """Whether webhook contacts and webhooks asked for by hand may point at a loopback,
    private, link-local or otherwise non-public address (a receiver on the host's own
    network); the webhook adapters have their own ``allow_private``."""
    templates: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_mapping, hash=False)
