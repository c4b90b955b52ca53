"""Orders and events to JSON-ready documents and back, exactly (cattrs).

Decimals travel as strings, bytes (label documents) as base64, datetimes as ISO 8601 with their offset, enums by value,
tuples and frozensets as lists. Each order document carries ``schema_version``; on load it
passes through :func:`upgrade`, so documents written by older releases keep loading.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, get_origin

import attrs
import cattrs
from cattrs.errors import IterableValidationNote
from cattrs.fns import identity
from cattrs.gen import make_dict_structure_fn
from cattrs.v import format_exception

from orderflow._documents import (
    COMPACT,
    SPACED,
    Writer,
    dumper,
    homogeneous_tuple,
    loadable,
    loader,
    optional_member,
    plain,
    plain_writer,
)
from orderflow.domain import _revise
from orderflow.domain.actor import Actor, ActorKind
from orderflow.domain.customer import Address, Customer
from orderflow.domain.dispute import DisputeKind
from orderflow.domain.events import EVENT_TYPES, OrderEvent
from orderflow.domain.fulfillment import (
    DeliveryMethod,
    HoldReason,
    RejectionReason,
    ShipmentStatus,
)
from orderflow.domain.lines import LineItem
from orderflow.domain.money import Money
from orderflow.domain.order import SCHEMA_VERSION, CancelReason, Order, check_consistency
from orderflow.domain.placement import fulfillment_orders
from orderflow.domain.refund import RefundReason, RestockType
from orderflow.domain.transaction import TransactionKind
from orderflow.errors import DocumentError, OrderflowError

Document = dict[str, Any]
Upgrade = Callable[[Document], Document]


def _add_fulfillment(document: Document) -> Document:
    """Version 2 added fulfillment: lines gain ``location`` and ``delivery_method``, and the
    order its fulfillment orders, built as placing it builds them (default location,
    shipping, as version 1 knew no other), cancelled with a cancelled order."""
    lines = [{**line, "location": None, "delivery_method": None} for line in document["line_items"]]
    address = document["shipping_address"]
    built = fulfillment_orders(
        converter.structure(lines, tuple[LineItem, ...]),
        order_id=document["id"],
        destination=None if address is None else converter.structure(address, Address),
    )
    if document["status"] == "cancelled":
        built = tuple(attrs.evolve(fo, status="cancelled") for fo in built)
    return {
        **document,
        "line_items": lines,
        "fulfillment_orders": converter.unstructure(built),
        "fulfillments": [],
        "archive_at": None,
        "keep_active": False,
    }


def _add_notify_choice(document: Document) -> Document:
    """Version 3 records whether the customer hears of a refund; refunds saved before it
    were announced as usual."""
    transactions = [{**tx, "notify_customer": True} for tx in document["transactions"]]
    return {**document, "transactions": transactions}


def _add_ledger_facts(document: Document) -> Document:
    """Version 4 records whether an authorization is multi-capturable and what staff must
    review about a transaction (nothing, before), and whether a cancellation asked for a
    refund: it did when it requested refunds at the instant it was made."""
    transactions = [
        {**tx, "multi_capture": False, "review": None} for tx in document["transactions"]
    ]
    cancelled_at = document.get("cancelled_at")
    refunded = cancelled_at is not None and any(
        tx["kind"] == "refund" and tx["created_at"] == cancelled_at for tx in transactions
    )
    return {**document, "transactions": transactions, "refund_on_cancel": refunded}


def _add_refunds(document: Document) -> Document:
    """Version 5 records refunds of lines and shipping and disputes (none, before), and
    what each tax line is charged on (the whole order, before)."""
    taxes = [{**tax, "line_item_id": None, "shipping": False} for tax in document["tax_lines"]]
    return {**document, "tax_lines": taxes, "refunds": [], "disputes": []}


UPGRADES: Mapping[int, Upgrade] = {
    1: _add_fulfillment,
    2: _add_notify_choice,
    3: _add_ledger_facts,
    4: _add_refunds,
}
"""``UPGRADES[n]`` turns a version-``n`` document into version ``n + 1``."""


CHOICES = (
    ActorKind,
    CancelReason,
    DeliveryMethod,
    DisputeKind,
    HoldReason,
    RefundReason,
    RejectionReason,
    RestockType,
    ShipmentStatus,
    TransactionKind,
)
"""The domain's string enums, stored by value (each needs its hook: a test checks that
every one a document holds is here)."""


def _make_converter(*, detailed: bool = True) -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=detailed)
    converter.register_unstructure_hook(Decimal, str)
    converter.register_structure_hook(Decimal, _decimal)
    converter.register_unstructure_hook(datetime, datetime.isoformat)
    converter.register_structure_hook(datetime, _aware)
    converter.register_unstructure_hook(bytes, lambda raw: base64.b64encode(raw).decode("ascii"))
    converter.register_structure_hook(bytes, lambda value, _: _bytes(value))
    converter.register_unstructure_hook(date, date.isoformat)
    converter.register_structure_hook(date, lambda value, _: date.fromisoformat(value))
    converter.register_unstructure_hook(
        Money, lambda m: {"amount": str(m.amount), "currency": m.currency}
    )
    converter.register_structure_hook(Money, _remembering(_money))
    if not detailed:
        converter.register_structure_hook_factory(loadable, lambda t, c: loader(t, c, as_is=_as_is))
        converter.register_structure_hook(datetime, _remembering_times())
    converter.register_structure_hook_factory(lambda t: t in SHARED, _shared)
    for scalar in (bool, int, str):  # loading leaves the type to the fields' validators
        converter.register_structure_hook(scalar, _plain if detailed else _as_is)
    for choice in CHOICES:
        converter.register_structure_hook(choice, _choice(choice))
    converter.register_structure_hook_factory(lambda t: optional_member(t) is not None, _optional)
    converter.register_structure_hook_factory(homogeneous_tuple, _tuple)
    converter.register_structure_hook_factory(_is(frozenset), _frozenset)
    converter.register_unstructure_hook_func(_is(frozenset), sorted)
    for choice in CHOICES:  # str enums: plain strings
        converter.register_unstructure_hook(choice, lambda member: member.value)
    converter.register_unstructure_hook_func(
        _is(tuple), lambda items: [converter.unstructure(item) for item in items]
    )
    converter.register_unstructure_hook_factory(homogeneous_tuple, _tuple_dump)
    converter.register_unstructure_hook_factory(loadable, lambda t, c: dumper(t, c, as_is=identity))
    return converter


def _tuple_dump(t: Any, converter: cattrs.Converter) -> Callable[[Any], list[Any]]:
    hook = converter.get_unstructure_hook(t.__args__[0])
    if hook is identity:
        return list
    return lambda items: [hook(item) for item in items]


def _is(collection: type) -> Callable[[Any], bool]:
    return lambda t: bool(t is collection or get_origin(t) is collection)


# Hooks for what every document holds many times: the cheap case first, cattrs' own
# detailed errors (naming the index of a bad item) when it fails.


SHARED = (Actor, Address, Customer)
"""Small values that recur within and across documents (who acted, where to): each
distinct one is built and validated once, then shared, as immutable values may be. Their
stored values are all strings or null, so equal keys mean values of the same types (with
numbers, ``1 == True`` would let an invalid value pass for a valid one)."""
_SHARED_MAX = 4096
"""Distinct values remembered per class; all are forgotten when one more comes."""


def _shared(cls: type, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    # made on first use, once every hook it relies on is registered
    build: Callable[[Any, Any], Any] = (
        make_dict_structure_fn(cls, converter)
        if converter.detailed_validation
        else loader(cls, converter, as_is=_as_is)
    )
    return _remembering(lambda value: build(value, cls))


def _remembering(build: Callable[[Any], Any]) -> Callable[[Any, Any], Any]:
    """A hook that builds each distinct JSON object of strings and nulls once (money, the
    classes of :data:`SHARED`), then hands out the same value; the loaders look it up
    themselves (``quick``) and call the hook only for a value not remembered."""
    seen: dict[object, Any] = {}

    def structure(value: Any, _: Any) -> Any:
        try:
            key = tuple(value.items())
            return seen[key]
        except KeyError:
            pass
        except (TypeError, AttributeError):  # unhashable, or no mapping: nothing to remember
            return build(value)
        made = build(value)
        if len(seen) >= _SHARED_MAX:
            seen.clear()
        seen[key] = made
        return made

    # raises for what is no mapping, or holds unhashable values: refused by the hook too
    structure.quick = ("{seen}.get({tuple}({v}.items()))", {"seen": seen, "tuple": tuple})  # type: ignore[attr-defined]
    return structure


_TIMES_MAX = 4096
"""Distinct times remembered while loading; all are forgotten when one more comes."""


def _remembering_times() -> Callable[[Any, Any], datetime]:
    """The loaders' datetime hook: :func:`_aware`, remembering the time of each text (an
    order's times recur: a transaction's, its timeline entry's, its fulfillment's)."""
    seen: dict[str, datetime] = {}

    def structure(value: Any, _: Any) -> datetime:
        made = _aware(value)
        if len(seen) >= _TIMES_MAX:
            seen.clear()
        seen[value] = made
        return made

    # a value of another type is never remembered: not found, it goes to _aware, which refuses it
    structure.quick = ("{seen}.get({v})", {"seen": seen})  # type: ignore[attr-defined]
    structure.seen = seen  # type: ignore[attr-defined]  # for tests
    return structure


def _as_is(value: Any, _: type) -> Any:
    return value


def _plain(value: Any, cls: type) -> Any:
    return value if type(value) is cls else _exactly(value, cls)


def _choice(cls: type[Enum]) -> Callable[[Any, Any], Any]:
    members = {member.value: member for member in cls}

    def structure(value: Any, _: Any) -> Any:
        return members[value] if value in members else _exactly(value, cls)

    structure.quick = ("{members}.get({v})", {"members": members})  # type: ignore[attr-defined]
    return structure


def _optional(t: Any, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    member = optional_member(t)
    hook = converter.get_structure_hook(member)
    if hook is _as_is:
        return _as_is

    def structure(value: Any, _: Any) -> Any:
        return None if value is None else hook(value, member)

    structure.member = (hook, member)  # type: ignore[attr-defined]  # loaders inline it
    return structure


def _tuple(t: Any, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    member = t.__args__[0]
    hook = converter.get_structure_hook(member)

    def structure(value: Any, _: Any) -> tuple[Any, ...]:
        if type(value) is not list and type(value) is not tuple:
            raise TypeError(f"expected a list, got {type(value).__name__}")
        try:
            return tuple([hook(item, member) for item in value])
        except Exception:  # again, one item at a time, to say which
            if not converter.detailed_validation:
                raise
            errors = []
            for index, item in enumerate(value):
                try:
                    hook(item, member)
                except Exception as exc:
                    note = IterableValidationNote(f"Structuring {t} @ index {index}", index, member)
                    # cattrs' way to name the index; add_note() is Python 3.11+
                    exc.__notes__ = [*getattr(exc, "__notes__", []), note]  # type: ignore[attr-defined]
                    errors.append(exc)
            if not errors:
                raise
            raise cattrs.IterableValidationError(f"While structuring {t!r}", errors, t) from None

    structure.each = (hook, member)  # type: ignore[attr-defined]  # loaders inline it
    return structure


def _exactly(value: Any, cls: type) -> Any:
    """No coercion: ``"false"`` is not a bool, ``2.9`` not an int, ``5`` not a str."""
    if issubclass(cls, Enum):  # str-valued enums reach the str hook
        return cls(_exactly(value, str))
    if type(value) is not cls:
        raise TypeError(f"expected {cls.__name__}, got {type(value).__name__} {value!r}")
    return value


def _frozenset(t: Any, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    (member,) = getattr(t, "__args__", (Any,))
    hook = converter.get_structure_hook(member)

    def structure(value: Any, _: Any) -> frozenset[Any]:
        if not isinstance(value, list):
            raise TypeError(f"expected a list, got {type(value).__name__} {value!r}")
        return frozenset([hook(item, member) for item in value])

    return structure


def _bytes(value: object) -> bytes:
    if not isinstance(value, str):
        raise TypeError(f"expected base64 text, got {type(value).__name__}")
    return base64.b64decode(value, validate=True)


def _decimal(value: object, _: object = Decimal) -> Decimal:
    if not isinstance(value, str):
        raise TypeError(f"expected a decimal string, got {value!r}")
    return Decimal(value)


def _aware(value: object, _: object = datetime) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO 8601 string, got {value!r}")
    return datetime.fromisoformat(value)


def _money(value: Any) -> Money:
    if not isinstance(value, Mapping) or set(value) != {"amount", "currency"}:
        raise TypeError(f"expected {{'amount': str, 'currency': str}}, got {value!r}")
    money = Money(_decimal(value["amount"]), _exactly(value["currency"], str))
    if money.amount != Decimal(value["amount"]):
        raise ValueError(f"{value['amount']} has more decimals than {value['currency']} allows")
    return money


converter = _make_converter()
_quick = _make_converter(detailed=False)
"""Loads documents: cattrs without its error bookkeeping, which ``converter`` redoes to
explain a document that fails."""


def to_document(order: Order) -> Document:
    """The order as a JSON-ready dict (see :func:`dumps` for text)."""
    document: Document = converter.unstructure(order)
    return document


def upgrade(document: Document, steps: Mapping[int, Upgrade] = UPGRADES) -> Document:
    """Bring ``document`` to the current schema version, one step at a time."""
    if not isinstance(document, Mapping):
        raise DocumentError(f"an order document is a JSON object, got {type(document).__name__}")
    version = document.get("schema_version")
    if type(version) is not int or version < 1:
        raise DocumentError(
            f"order document {document.get('id')!r} has no valid schema_version ({version!r})"
        )
    if version > SCHEMA_VERSION:
        raise DocumentError(
            f"order document {document.get('id')!r} has schema version {version}, newer than "
            f"this orderflow understands ({SCHEMA_VERSION}): upgrade orderflow"
        )
    while version < SCHEMA_VERSION:
        if version not in steps:
            raise DocumentError(f"no upgrade from order schema version {version}")
        document = {**steps[version](document), "schema_version": version + 1}
        version += 1
    return document


def from_document(document: Document) -> Order:
    """Rebuild an order; a corrupt or hand-edited document raises a DocumentError naming it.

    ``document`` holds what ``json.loads`` gives (dicts, lists, str, int, float, bool,
    None). Built by hand in Python, a subclass of str or int (an enum member, say) is
    taken where a plain one is expected, as the models' constructors take it."""
    if not isinstance(document, Mapping):
        raise DocumentError(f"an order document is a JSON object, got {type(document).__name__}")
    order_id = document.get("id")
    try:
        current = upgrade(document)
        try:
            order = _quick.structure(current, Order)
        except Exception:
            order = converter.structure(current, Order)  # raises again, saying where
        return check_consistency(order)
    except DocumentError:
        raise
    except (
        cattrs.BaseValidationError,
        OrderflowError,
        TypeError,
        ValueError,
        KeyError,
        AttributeError,  # an upgrade step meeting a value of the wrong shape
    ) as exc:
        problems = (
            "; ".join(cattrs.transform_error(exc, format_exception=_explain))
            if isinstance(exc, cattrs.BaseValidationError)
            else f"{type(exc).__name__}: {exc}"
        )
        raise DocumentError(f"order document {order_id!r} cannot be read: {problems}") from exc


def _explain(exc: BaseException, expected: Any) -> str:
    if isinstance(exc, (TypeError, ValueError, OrderflowError)):
        return f"{exc}"
    return format_exception(exc, expected)


def _texts(encoder: json.JSONEncoder) -> Mapping[Any, Callable[[Any], str]]:
    """How some types are written: as the converter's hooks, then ``encoder``, write them.
    The text of a datetime or a decimal is ASCII letters, digits and "+-.:", which JSON
    strings hold unescaped."""
    text = plain if encoder is COMPACT else plain_writer(encoder)
    comma, colon = encoder.item_separator, encoder.key_separator
    return {
        datetime: lambda when: f'"{datetime.isoformat(when)}"',
        Decimal: lambda number: f'"{number!s}"',
        Money: lambda money: (
            f'{{"amount"{colon}"{money.amount!s}"{comma}"currency"{colon}{text(money.currency)}}}'
        ),
    }


_IMMUTABLE = (datetime, frozenset)
"""Remembered too: isoformat() and sorting a set cost more than looking their text up."""
_writer = Writer(converter, as_is=identity, texts=_texts(COMPACT), immutable=_IMMUTABLE)
_write = _writer.document(Order)


def dumps(order: Order) -> str:
    """The order's document as compact JSON text: what ``json.dumps`` gives of
    :func:`to_document` with ``separators=(",", ":")`` (the dumpers sort every object's
    keys), written by a :class:`~orderflow._documents.Writer`, which writes again only the
    parts of the order it has not written before."""
    text = _write(order)
    if _revise.CHECK_EVERYTHING and text != COMPACT.encode(to_document(order)):  # tests
        raise AssertionError(f"order {order.id!r}: its remembered text is not its document")
    return text


def parse(text: str | bytes) -> Document:
    """The JSON of a stored document; text that is no JSON, or nests too deeply for the
    parser (a hostile edit), raises :class:`DocumentError`."""
    try:
        document: Document = json.loads(text)
    except (ValueError, RecursionError) as exc:  # json.JSONDecodeError is a ValueError
        raise DocumentError(f"an order document is not readable JSON: {exc}") from None
    return document


def loads(text: str | bytes) -> Order:
    return from_document(parse(text))


_EVENTS_BY_NAME = {cls.__name__: cls for cls in EVENT_TYPES}


def event_to_dict(event: OrderEvent) -> Document:
    """An event with its type name and schema version, as published to hosts."""
    return {
        "type": type(event).__name__,
        "schema_version": event.SCHEMA_VERSION,
        "event": converter.unstructure(event),
    }


_spaced = Writer(
    converter,
    as_is=identity,
    texts=_texts(SPACED),
    immutable=_IMMUTABLE,
    encoder=SPACED,
    size=1024,
    characters=1 << 18,
)
"""Writes events as ``json.dumps`` (spaces after ``,`` and ``:``) writes their dicts; it
remembers what events share with each other and their order (actors, lines, money)."""
_spaced_plain = plain_writer(SPACED)
_event_writers: dict[type, Callable[[Any], str]] = {}


def event_text(event: OrderEvent) -> str:
    """``json.dumps(event_to_dict(event))``, the same text, written without the dict."""
    cls = type(event)
    write = _event_writers.get(cls)
    if write is None:
        write = _event_writers[cls] = _spaced.document(cls)
    text = (
        f'{{"type": {_spaced_plain(cls.__name__)}, '
        f'"schema_version": {_spaced_plain(event.SCHEMA_VERSION)}, "event": {write(event)}}}'
    )
    if _revise.CHECK_EVERYTHING and text != json.dumps(event_to_dict(event)):  # tests
        raise AssertionError(f"event {event!r}: its text is not its dict's")
    return text


def event_from_dict(data: Document) -> OrderEvent:
    cls = _EVENTS_BY_NAME[data["type"]]
    event: OrderEvent = converter.structure(data["event"], cls)
    return event
