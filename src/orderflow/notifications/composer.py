"""The messages a change sends: rules applied to its events, rendered for each recipient.

:class:`Notifications` checks everything it can when it is built (rule events, template
names, switches, the admin URL pattern, and every template rendered against a full and a
bare sample order in each language and channel), so a mistake stops the host at start.
Afterwards :meth:`Notifications.messages` is pure: the service calls it while it saves, and
the rendered messages go into the outbox with the order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from orderflow.domain.events import EVENT_TYPES, MessageRequested, OrderEvent
from orderflow.domain.order import Order
from orderflow.errors import NotificationError
from orderflow.notifications import recipients
from orderflow.notifications.context import SECTIONS, Context, Store, context, sections_of
from orderflow.notifications.rules import BUILT_IN, Route, Rule
from orderflow.notifications.samples import samples
from orderflow.notifications.settings import NotificationSettings, ServiceContact, StaffContact
from orderflow.notifications.templates import BLOCKS, Templates
from orderflow.ports.messaging import Audience, Channel, Message

AUDIENCES: tuple[Audience, ...] = ("customer", "staff", "service")
CHANNELS: tuple[Channel, ...] = ("email", "sms", "webhook")
MANUAL_SECTIONS = frozenset({"fulfillment", "fulfillment_order"})
"""What a message sent by hand can be about besides the order: one fulfillment."""
TEMPLATE_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
"""What a template may be called: message keys carry the name, so it is short and plain."""


class Notifications:
    """Rules, templates and recipients of one store, checked at construction."""

    def __init__(self, settings: NotificationSettings) -> None:
        self.settings = settings
        _check_template_names(settings.templates)
        self.templates = Templates(settings.templates)
        self.store = Store(
            name=settings.store_name,
            admin_url=settings.admin_url,
            zone=_zone(settings.timezone),
            email=settings.store_email,
            url=settings.store_url,
        )
        self.rules: tuple[Rule, ...] = (
            (*BUILT_IN, *settings.rules) if settings.built_in_rules else settings.rules
        )
        self._check_contacts()
        self.routes = self._routes()
        self._check_admin_url()
        self._check_templates()

    # -- configuration ---------------------------------------------------------------------

    def _routes(self) -> Mapping[Route, bool]:
        """Every route of the rules, and whether it is on."""
        found: dict[Route, bool] = {}
        senders: dict[tuple[type[OrderEvent], Route], tuple[int, str]] = {}
        built_in = len(BUILT_IN) if self.settings.built_in_rules else 0
        for index, rule in enumerate(self.rules):
            _check_rule(rule)
            if not self.templates.locales(rule.template):
                raise NotificationError(
                    f"rule on {rule.event.__name__} names template {rule.template!r}, which "
                    f"does not exist; templates: {', '.join(sorted(self.templates.names()))}"
                )
            who = "the built-in rule" if index < built_in else f"rules[{index - built_in}]"
            for route, on in rule.routes():
                _check_collision(senders, rule.event, route, (index, who))
                found[route] = found.get(route, False) or on
        switched = self.settings.turn_on | self.settings.turn_off
        if unknown := sorted(map(str, switched - found.keys())):
            raise NotificationError(
                f"no rule sends {'; '.join(unknown)}; routes: " + "; ".join(sorted(map(str, found)))
            )
        if both := sorted(map(str, self.settings.turn_on & self.settings.turn_off)):
            raise NotificationError(f"turned both on and off: {'; '.join(both)}")
        for route in found:
            if route in self.settings.turn_on:
                found[route] = True
            if route in self.settings.turn_off:
                found[route] = False
        return found

    def _check_contacts(self) -> None:
        """Each staff and service contact: a recipient of its channel, given once."""
        seen: set[tuple[str | None, str, str]] = set()
        contacts: tuple[StaffContact | ServiceContact, ...] = (
            *self.settings.staff,
            *self.settings.services,
        )
        for contact in contacts:
            kind = type(contact).__name__
            if contact.channel not in CHANNELS:
                raise NotificationError(
                    f"{kind} channel must be one of {CHANNELS}, got {contact.channel!r}"
                )
            recipients.check(
                contact.channel,
                contact.to,
                what=kind,
                allow_private=self.settings.allow_private_webhooks,
            )
            service = contact.service if isinstance(contact, ServiceContact) else None
            group = (service, contact.channel, recipients.digest(contact.to))
            if group in seen:
                of = "" if service is None else f" (service {service})"
                raise NotificationError(
                    f"{kind} {recipients.describe(contact.channel, contact.to)} is given twice "
                    f"for {contact.channel}{of}: give each contact once per channel"
                )
            seen.add(group)

    def _check_admin_url(self) -> None:
        try:
            self.settings.admin_url.format(order_id="ord-1", number=1001, name="#1001")
        except (KeyError, IndexError, ValueError) as error:
            raise NotificationError(
                f"admin_url {self.settings.admin_url!r} is not a pattern of {{order_id}}, "
                f"{{number}} and {{name}}: {error!r}"
            ) from None

    def _check_templates(self) -> None:
        """Render every template in every language, for each use (each rule's routes that are
        on; by hand, when staff could send it), against both samples."""
        uses: dict[str, list[tuple[frozenset[str], set[Channel], str]]] = {}
        for rule in self.rules:
            channels = {route.channel for route, _ in rule.routes() if self.routes[route]}
            where = f"the rule on {rule.event.__name__}"
            uses.setdefault(rule.template, []).append((sections_of(rule.event), channels, where))
        examples: dict[str, tuple[Context, Context]] = {}  # built once per language
        for name in sorted(self.templates.names()):
            if self.templates.pick(name, (self.settings.locale, "en")) is None:
                raise NotificationError(
                    f"template {name!r} exists in {', '.join(self.templates.locales(name))} "
                    f"but neither in the store's language ({self.settings.locale}) nor in en"
                )
            for locale in self.templates.locales(name):
                if locale not in examples:
                    examples[locale] = samples(self.store, locale)
                reads = self.templates.variables(name, locale) & SECTIONS
                for sections, channels, where in uses.get(name, []):
                    if missing := sorted(reads - sections):
                        raise NotificationError(
                            f"template {locale}/{name} reads {', '.join(missing)}, which "
                            f"{where} does not give (it gives: {', '.join(sorted(sections))})"
                        )
                    self._rehearse(name, locale, examples[locale], sections, channels)
                if reads <= MANUAL_SECTIONS:  # staff may send it by hand
                    by_hand = {c for c in self._blocks(name, locale) if c != "webhook"}
                    self._rehearse(name, locale, examples[locale], reads, by_hand)

    def _rehearse(
        self,
        name: str,
        locale: str,
        examples: tuple[Context, Context],
        sections: frozenset[str],
        channels: Iterable[Channel],
    ) -> None:
        for sample in examples:
            for channel in sorted(channels):
                self.templates.render(name, locale, channel, _only(sample, sections))

    def _blocks(self, name: str, locale: str) -> set[Channel]:
        """The channels a template has every block for."""
        blocks = self.templates.blocks(name, locale)
        return {channel for channel, needed in BLOCKS.items() if set(needed) <= blocks}

    # -- messages --------------------------------------------------------------------------

    def messages(
        self,
        order: Order,
        events: Sequence[OrderEvent],
        *,
        originals: Mapping[str, Message] | None = None,
    ) -> tuple[Message, ...]:
        """The messages ``events`` send, about ``order`` as saved with them. ``originals``
        holds the earlier messages that resend requests name, by key."""
        found: list[Message] = []
        for index, event in enumerate(events):
            prefix = f"msg-{order.id}-v{order.version}-{index}"
            contexts: dict[tuple[str, frozenset[str]], Context] = {}  # by language and parts
            if isinstance(event, MessageRequested):
                found.extend(self._requested(order, event, prefix, originals or {}, contexts))
                continue
            sections = sections_of(type(event))
            for rule in self.rules:
                if not rule.applies(order, event):
                    continue
                for route, _ in rule.routes():
                    if self.routes[route]:
                        found.extend(self._sent(order, event, route, sections, prefix, contexts))
        return tuple(found)

    def check_request(
        self,
        order: Order,
        template: str,
        *,
        audience: Audience,
        channel: Channel,
        to: str | None = None,
        fulfillment_id: str | None = None,
    ) -> None:
        """Refuse a message staff ask for that could not be sent (:class:`NotificationError`)."""
        if audience not in AUDIENCES or channel not in CHANNELS:
            raise NotificationError(
                f"audience must be one of {AUDIENCES} and channel one of {CHANNELS}, "
                f"got {audience!r} and {channel!r}"
            )
        if audience == "customer" and channel == "webhook":
            raise NotificationError("a customer is reached by email or sms, not by webhook")
        if to is not None:
            self.check_to(channel, to)
        locale = self.templates.pick(template, (self.settings.locale, "en"))
        if locale is None:
            raise NotificationError(
                f"no template {template!r}; templates: {', '.join(sorted(self.templates.names()))}"
            )
        given = MANUAL_SECTIONS if fulfillment_id is not None else frozenset()
        if missing := sorted(self.templates.variables(template, locale) & SECTIONS - given):
            hint = (
                "pass fulfillment_id"
                if set(missing) <= MANUAL_SECTIONS
                else "it is sent by its rule, not by hand"
            )
            raise NotificationError(f"template {template!r} needs {', '.join(missing)}: {hint}")
        if to is None and not self._recipients(order, audience, channel, None):
            raise NotificationError(
                f"{order} has no {audience} {channel} recipient: pass to= an address"
            )

    def check_to(self, channel: Channel, to: str) -> None:
        """Refuse ``to`` given by hand if it cannot receive ``channel`` messages
        (:class:`~orderflow.errors.InvalidRecipient`)."""
        recipients.check(
            channel, to, what="to=", allow_private=self.settings.allow_private_webhooks
        )

    def _requested(
        self,
        order: Order,
        event: MessageRequested,
        prefix: str,
        originals: Mapping[str, Message],
        contexts: dict[tuple[str, frozenset[str]], Context],
    ) -> Iterator[Message]:
        if event.resend_of is not None:
            original = originals.get(event.resend_of)
            if original is None:
                raise NotificationError(f"no message {event.resend_of} to resend on {order}")
            yield attrs.evolve(
                original,
                key=f"{prefix}-resend",
                to=event.to or original.to,
                resend_of=original.key,
            )
            return
        route = Route(event.template, event.audience, event.channel)  # type: ignore[arg-type]
        sections = MANUAL_SECTIONS if event.fulfillment_id is not None else frozenset()
        yield from self._sent(order, event, route, sections, prefix, contexts, to=event.to)

    def _sent(
        self,
        order: Order,
        event: OrderEvent,
        route: Route,
        sections: frozenset[str],
        prefix: str,
        contexts: dict[tuple[str, frozenset[str]], Context],
        *,
        to: str | None = None,
    ) -> Iterator[Message]:
        """``route``'s message to each recipient; ``contexts`` keeps the event's contexts
        already built, as one serves every route and recipient reading that language."""
        found = self._recipients(order, route.audience, route.channel, event)
        if to is not None:
            own = order.customer.locale if route.audience == "customer" else self.settings.locale
            found = [(to, own)]
        seen: set[str] = set()
        for address, wanted in found:
            if address in seen:
                continue  # one inbox serving two services gets one message
            seen.add(address)
            locale = self.templates.pick(route.template, (wanted, self.settings.locale, "en"))
            assert locale is not None  # checked at configuration
            if (locale, sections) not in contexts:
                contexts[locale, sections] = context(
                    order, event, sections, store=self.store, locale=locale
                )
            values = contexts[locale, sections]
            rendered = self.templates.render(route.template, locale, route.channel, values)
            yield Message(
                key=f"{prefix}-{route.template}-{route.audience}-{route.channel}-"
                f"{recipients.digest(address)}",
                order_id=order.id,
                template=route.template,
                audience=route.audience,
                channel=route.channel,
                to=address,
                locale=locale,
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
            )

    def _recipients(
        self, order: Order, audience: Audience, channel: Channel, event: OrderEvent | None
    ) -> list[tuple[str, str]]:
        """(address, wanted locale) of each recipient of ``audience`` by ``channel``."""
        store = self.settings.locale
        if audience == "customer":
            customer = order.customer
            address = {"email": customer.email, "sms": customer.phone}.get(channel)
            return [] if address is None else [(address, customer.locale)]
        if audience == "staff":
            return [(c.to, c.locale or store) for c in self.settings.staff if c.channel == channel]
        service = getattr(event, "service", None)
        return [
            (c.to, c.locale or store)
            for c in self.settings.services
            if c.channel == channel and (service is None or c.service == service)
        ]


def _check_rule(rule: Rule) -> None:
    if not (isinstance(rule.event, type) and rule.event in EVENT_TYPES):
        raise NotificationError(
            f"rule for template {rule.template!r}: event must be one of the event classes "
            f"orderflow emits (orderflow.domain.events.EVENT_TYPES), got {rule.event!r}"
        )
    channels = {*rule.channels, *rule.optional_channels}
    if rule.audience not in AUDIENCES or not channels <= set(CHANNELS):
        raise NotificationError(
            f"rule on {rule.event.__name__}: audience must be one of {AUDIENCES} and channels "
            f"among {CHANNELS}, got {rule.audience!r} and {sorted(channels)}"
        )
    if rule.audience == "customer" and "webhook" in channels:
        raise NotificationError(
            f"rule on {rule.event.__name__}: a customer is reached by email or sms, not webhook"
        )


def _check_collision(
    senders: dict[tuple[type[OrderEvent], Route], tuple[int, str]],
    event: type[OrderEvent],
    route: Route,
    sender: tuple[int, str],
) -> None:
    """Refuse a second sending of ``route`` on ``event`` (by another rule or the same one):
    one event would give two messages of one template to each recipient, under one key."""
    found = senders.setdefault((event, route), sender)
    if found is sender:
        return
    (first, other), (index, who) = found, sender
    what = (
        f"{who} sends {route} twice" if first == index else f"{other} and {who} both send {route}"
    )
    raise NotificationError(
        f"{what} on {event.__name__}: their messages would share keys; use one rule, or "
        "another template for one of them"
    )


def _check_template_names(overrides: Mapping[str, str]) -> None:
    """Refuse a template file (``en/thanks.jinja``) whose name is not a short identifier;
    layouts and partials (``layout.html.jinja``, ``en/_lines.jinja``) are not templates."""
    for path in overrides:
        _, slash, file = path.partition("/")
        if not slash or "/" in file or file.startswith("_"):
            continue
        if not TEMPLATE_NAME.fullmatch(file.removesuffix(".jinja")):
            raise NotificationError(
                f"template {path}: a template name is a lowercase letter, then up to 63 "
                "lowercase letters, digits and underscores (message keys carry it)"
            )


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise NotificationError(f"timezone {name!r} is not an IANA time zone") from None


def _only(sample: Context, sections: frozenset[str]) -> Context:
    """``sample`` without the sections an event does not give."""
    return {key: value for key, value in sample.items() if key not in SECTIONS - sections}
