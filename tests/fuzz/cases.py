"""Every public command of ``OrderFlow``, with the arguments the fuzz suite hands it.

Each :class:`Case` names, for each keyword argument of its command, the values a careful
host passes on a base order (see :mod:`tests.fuzz.bases`: ids the order has, ordinary
objects) and hostile ones (see :mod:`tests.fuzz.hostile`); an example takes all valid,
or one argument hostile, and a hostile object has one field off.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from functools import cache
from typing import Any

import attrs
from hypothesis import strategies as st

from orderflow import (
    SYSTEM,
    Actor,
    ActorKind,
    Address,
    CancelReason,
    Customer,
    DeliveryMethod,
    Discount,
    DisputeKind,
    DisputeReport,
    GatewayResult,
    HoldReason,
    LineItem,
    LineQuantity,
    Location,
    Money,
    OrderDraft,
    OrderFlow,
    OrderQuery,
    Parcel,
    PaymentReport,
    RefundLine,
    RefundReason,
    RejectionReason,
    RestockType,
    ShipmentEvent,
    ShipmentStatus,
    ShippingLine,
    TaxLine,
    Tracking,
    TransactionKind,
)
from orderflow.domain.limits import (
    EMAIL,
    ID,
    KEY,
    LOCALE,
    NAME,
    NOTE,
    ORDER_ID,
    PHONE,
    SEARCH,
    TAG,
    TRACKING_NUMBER,
    URL,
    TextRule,
)
from orderflow.domain.placement import DEFAULT_LOCATION
from orderflow.notifications import (
    Notifications,
    NotificationSettings,
    ServiceContact,
    StaffContact,
)
from orderflow.testing import GATEWAY, STAFF, make_customer

from .bases import NOW, SECOND, THIRD_PARTY, VARIANTS, Base
from .hostile import (
    CURRENCIES,
    DATES,
    DATETIMES,
    DECIMALS,
    WHOLE_NUMBERS,
    Arg,
    Make,
    Wrong,
    iterable_of,
    known_or,
    money,
    obj,
    one_off,
    optional_text,
    text,
    texts,
    tuple_of,
)

Arguments = Callable[[Base], dict[str, Arg]]


@attrs.frozen
class Case:
    """A command, the arguments it is fuzzed with, and how to call it."""

    name: str
    arguments: Arguments
    notifications: bool = False
    """Run on flows with notifications (the message commands need them)."""

    def draw(self, base: Base) -> st.SearchStrategy[dict[str, Any]]:
        """Its arguments on ``base``: all valid, or one of them hostile."""
        return one_off(self.arguments(base))

    def call(self, flow: OrderFlow, arguments: dict[str, Any]) -> Any:
        return getattr(flow, self.name)(**arguments)

    def __str__(self) -> str:
        return self.name


@cache
def notifications() -> Notifications:
    """A store's messages: the customer's and staff's by e-mail, and the rich bases'
    fulfillment service's (built once: templates are checked at configuration)."""
    return Notifications(
        NotificationSettings(
            store_name="Maison Lune",
            admin_url="https://admin.maisonlune.example/orders/{number}",
            store_email="hello@maisonlune.example",
            staff=(StaffContact("owner@maisonlune.example"),),
            services=(ServiceContact("acme", "orders@acme.example"),),
        )
    )


# -- values --------------------------------------------------------------------------------

BOOLS = Arg(st.booleans())
ACTORS = st.one_of(
    st.sampled_from([STAFF, GATEWAY, SYSTEM, Actor.customer("cust-1")]),
    obj(
        Actor,
        {"kind": ActorKind.STAFF, "id": "staff-9", "name": "Sam"},
        {"id": text(ID), "name": optional_text(NAME)},
    ).hostile,
)
STAFF_ACTOR = Arg(st.just(STAFF), ACTORS)
APP_ACTOR = Arg(st.just(GATEWAY), ACTORS)
"""The actor of the commands that come from outside: gateways, carriers, services."""


def eur(amount: str) -> Make:
    return Make(Money, {"amount": Decimal(amount), "currency": "EUR"})


def choice(values: Any) -> Arg:
    """One of ``values`` (an enum's members): nothing hostile of the right type."""
    return Arg(st.sampled_from(values))


def order_id(base: Base) -> Arg:
    return Arg(st.just(base.id), text(ORDER_ID) | st.sampled_from(["b0-1", "no-such-order"]))


def ids(base: Base, what: str, rule: TextRule = ID) -> Arg:
    return known_or(base.ids(what), rule)


def key(base: Base, source: str) -> Arg:
    """An idempotency key: a new one; or hostile, or one the base already applied (a
    replay, or a conflict)."""
    used = [found for applied, found in base.keys if applied == source]
    hostile = text(KEY) | st.sampled_from(used) if used else text(KEY)
    return Arg(st.from_regex(r"evt-[a-z0-9]{8}", fullmatch=True), hostile)


def note() -> Arg:
    return Arg(st.sampled_from([None, "Leave at the door", "Line one\nline two"]), text(NOTE))


LOCATION = obj(
    Location,
    {"id": "wh-9", "name": "Ninth warehouse"},
    {"id": text(ID), "name": text(NAME), "fulfillment_service": optional_text(NAME)},
)
LOCATIONS = Arg(
    st.sampled_from([SECOND, THIRD_PARTY, DEFAULT_LOCATION]) | LOCATION.valid, LOCATION.hostile
)


def line_quantities(base: Base) -> Arg:
    """Some quantities of lines: valid, none (all) or one unit of the first line; hostile,
    unknown lines, quantities of every size, empty, a bare ``str``."""
    quantity = obj(
        LineQuantity,
        {"line_item_id": "line-1", "quantity": 1},
        {"line_item_id": ids(base, "lines"), "quantity": WHOLE_NUMBERS},
    )
    one = Make(LineQuantity, {"line_item_id": "line-1", "quantity": 1})
    return Arg(
        st.sampled_from([None, None, (one,), [one]]),
        iterable_of(quantity.valid | quantity.hostile),
    )


TRACKING = obj(
    Tracking,
    {"company": "UPS", "numbers": ("1Z999",), "urls": ("https://ups.example/1Z999",)},
    {
        "company": optional_text(NAME),
        "numbers": tuple_of(text(TRACKING_NUMBER), too_many=101),
        "urls": tuple_of(text(URL), too_many=101),
    },
)
SHIPMENT_EVENT = obj(
    ShipmentEvent,
    {"status": ShipmentStatus.IN_TRANSIT, "at": NOW, "message": None},
    {
        "status": st.sampled_from(ShipmentStatus),
        "at": DATETIMES,
        "message": optional_text(NOTE),
    },
)
_ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "8 place Bellecour",
    "city": "Lyon",
    "postal_code": "69002",
    "country_code": "FR",
}
ADDRESS = obj(
    Address,
    _ADDRESS,
    {
        **{field: text(NAME) for field in _ADDRESS},
        **{field: optional_text(NAME) for field in ("line2", "province", "company")},
        "phone": optional_text(PHONE),
    },
)
PARCEL = obj(
    Parcel,
    {"weight_grams": 500, "length_cm": 30, "width_cm": 20, "height_cm": 10},
    dict.fromkeys(("weight_grams", "length_cm", "width_cm", "height_cm"), WHOLE_NUMBERS),
)
CUSTOMER = obj(
    Customer,
    attrs.asdict(make_customer()),
    {
        "id": text(ID),
        "name": text(NAME),
        "email": optional_text(EMAIL),
        "phone": optional_text(PHONE),
        "locale": text(LOCALE),
    },
)
_LINE = {"title": "Linen shirt", "quantity": 2, "unit_price": eur("20.00")}


def refund_lines(base: Base) -> Arg:
    """Lines to refund: valid, one unit of the first line with each restock type, or none;
    hostile, unknown lines, quantities of every size, empty, a bare ``str``."""
    line = obj(
        RefundLine,
        {"line_item_id": "line-1", "quantity": 1, "restock_type": RestockType.NO_RESTOCK},
        {"line_item_id": ids(base, "lines"), "quantity": WHOLE_NUMBERS},
    )
    valid = [
        (Make(RefundLine, {"line_item_id": "line-1", "quantity": 1, "restock_type": restock}),)
        for restock in RestockType
    ]
    return Arg(st.sampled_from([(), *valid]), iterable_of(line.valid | line.hostile))


def line_item(number: int) -> Arg:
    return obj(
        LineItem,
        {**_LINE, "id": f"line-{number}"},
        {
            "id": text(ID),
            "title": text(NAME),
            "quantity": WHOLE_NUMBERS,
            "unit_price": money(),
            "sku": optional_text(NAME),
            "variant_title": optional_text(NAME),
            "pre_order": st.none() | DATES,
            "location": st.none() | LOCATIONS.valid | LOCATIONS.hostile,
            "delivery_method": st.none() | st.sampled_from(DeliveryMethod),
            "requires_shipping": st.booleans(),
            "gift_card": st.booleans(),
            "requires_manual_review": st.booleans(),
        },
    )


SHIPPING_LINE = obj(
    ShippingLine,
    {"title": "Standard", "price": eur("15.00")},
    {"title": text(NAME), "price": money(), "code": optional_text(NAME)},
)
DISCOUNT = obj(
    Discount, {"code": "WELCOME", "amount": eur("5.00")}, {"code": text(NAME), "amount": money()}
)
TAX_LINE = obj(
    TaxLine,
    {"title": "VAT", "rate": Decimal("0.20"), "amount": eur("7.00")},
    {"title": text(NAME), "rate": DECIMALS, "amount": money()},
)
TAGS = st.one_of(
    st.frozensets(text(TAG), max_size=3),
    st.just(frozenset(f"t{n}" for n in range(250))),
    st.just(frozenset(f"t{n}" for n in range(251))),
    st.just(Wrong(("vip",))),
    st.just(Wrong("vip")),
)


def _items(item: Arg, too_many: int) -> st.SearchStrategy[Any]:
    return tuple_of(item.valid | item.hostile, too_many=too_many)


def draft(base: Base) -> Arg:
    """A checkout's draft (a line, shipping, tax: 62.00 EUR), or one field of it off."""
    lines = st.one_of(
        st.tuples(line_item(1).hostile),
        st.tuples(line_item(1).valid, line_item(2).hostile),
        st.tuples(line_item(1).valid, line_item(1).valid),  # the same id twice
        _items(line_item(1), 1_001),
    )
    checkout = base.order.external_checkout_id or "chk-none"
    return obj(
        OrderDraft,
        {
            "customer": Make(Customer, attrs.asdict(make_customer())),
            "line_items": (Make(LineItem, {**_LINE, "id": "line-1"}),),
            "currency": "EUR",
            "shipping_address": Make(Address, _ADDRESS),
            "shipping_lines": (Make(ShippingLine, {"title": "Standard", "price": eur("15.00")}),),
            "tax_lines": (
                Make(TaxLine, {"title": "VAT", "rate": Decimal("0.20"), "amount": eur("7.00")}),
            ),
        },
        {
            "customer": CUSTOMER,
            "line_items": lines,
            "currency": CURRENCIES,
            "external_checkout_id": st.none() | st.just(checkout) | text(KEY),
            "shipping_address": st.none() | ADDRESS.hostile,
            "billing_address": st.none() | ADDRESS.valid | ADDRESS.hostile,
            "shipping_lines": _items(SHIPPING_LINE, 101),
            "discounts": _items(DISCOUNT, 101),
            "tax_lines": _items(TAX_LINE, 101),
            "taxes_included": st.booleans(),
            "note": text(NOTE),
            "tags": TAGS,
            "location": LOCATIONS.valid | LOCATIONS.hostile,
            "delivery_method": st.sampled_from(DeliveryMethod),
            "number": st.none() | WHOLE_NUMBERS | st.just(base.order.number),
            "placed_at": st.none() | DATETIMES,
        },
    )


def payment_report(base: Base) -> Arg:
    """A gateway's report: valid, one of each kind for 10.00 EUR; hostile, one field off."""
    references = base.ids("references")
    parents = st.none() | (st.sampled_from(references) if references else st.none()) | text(KEY)
    reports = {
        kind: obj(
            PaymentReport,
            {"kind": kind, "amount": eur("10.00"), "reference": f"ref-{kind.value}"},
            {
                "kind": st.sampled_from(TransactionKind),
                "amount": money().hostile,
                "succeeded": st.booleans(),
                "reference": st.none() | text(KEY),
                "parent_reference": parents,
                "reusable": st.booleans(),
                "error": optional_text(NOTE),
                "expires_at": st.none() | DATETIMES,
                "multi_capture": st.booleans(),
            },
        )
        for kind in TransactionKind
    }
    parented = [
        Make(
            PaymentReport,
            {
                "kind": kind,
                "amount": eur("10.00"),
                "reference": f"ref-{kind.value}",
                "parent_reference": parent,
            },
        )
        for kind in (TransactionKind.CAPTURE, TransactionKind.REFUND, TransactionKind.VOID)
        for parent in references
    ]
    valid = st.one_of(
        *(report.valid for report in reports.values()), st.sampled_from(parented or [None])
    )
    return Arg(
        valid.filter(lambda report: report is not None),
        st.one_of(*(report.hostile for report in reports.values())),
    )


def dispute_report(base: Base) -> Arg:
    """A gateway's dispute report: valid, a chargeback or inquiry of 10.00 EUR at each step
    against a payment the base knows (or not); hostile, one field off."""
    references = base.ids("references") or ["ch-unknown"]
    report = obj(
        DisputeReport,
        {
            "id": "dp-1",
            "payment_reference": references[0],
            "kind": DisputeKind.CHARGEBACK,
            "status": "needs_response",
            "amount": eur("10.00"),
        },
        {
            "id": text(KEY),
            "payment_reference": known_or(references, KEY),
            "kind": st.sampled_from(DisputeKind),
            "status": st.sampled_from(["needs_response", "under_review", "won", "lost"])
            | text(NAME),
            "amount": money().hostile,
            "reason": optional_text(NAME),
            "evidence_due_by": st.none() | DATETIMES,
        },
    )
    steps = [
        Make(
            DisputeReport,
            {
                "id": "dp-1",
                "payment_reference": reference,
                "kind": kind,
                "status": status,
                "amount": eur("10.00"),
            },
        )
        for reference in references
        for kind in DisputeKind
        for status in ("needs_response", "under_review", "won", "lost")
    ]
    return Arg(st.sampled_from(steps), report.hostile)


GATEWAY_RESULT = Arg(
    st.sampled_from(
        [
            Make(GatewayResult, {"succeeded": True, "reference": "gw-answer-1"}),
            Make(GatewayResult, {"succeeded": False, "error": "card declined"}),
            Make(GatewayResult, {"succeeded": None}),
        ]
    ),
    obj(
        GatewayResult,
        {"succeeded": True, "reference": "gw-answer-1"},
        {
            "succeeded": st.sampled_from([True, False, None]),
            "reference": optional_text(KEY),
            "error": optional_text(NOTE),
            "reusable": st.booleans(),
        },
    ).hostile,
)


def order_query(base: Base) -> Arg:
    return obj(
        OrderQuery,
        {"limit": 5},
        {
            "archived": st.sampled_from([True, False, None]),
            "status": st.sampled_from(["open", "cancelled"]) | st.none(),
            "customer_email": optional_text(EMAIL) | st.just("ADA@example.com"),
            "tag": optional_text(TAG) | st.just("vip"),
            "text": optional_text(SEARCH) | st.sampled_from(["ada", "%", "_", "#5"]),
            "placed_from": st.none() | DATETIMES,
            "placed_before": st.none() | DATETIMES,
            "limit": WHOLE_NUMBERS,
            "after": st.none()
            | text(KEY)
            | st.just(f"{base.order.placed_at.isoformat()}|{base.id}")
            | DATETIMES.map(lambda at: f"{at.isoformat()}|x"),
        },
    ).optional()


REFERENCE_KINDS = [
    "fulfillment_order",
    "service_request",
    "tracking_number",
    "gateway_reference",
    "dispute",
]


# -- the commands ------------------------------------------------------------------------------


def _on(base: Base, **more: Arg) -> dict[str, Arg]:
    """An order id and a staff actor, and ``more``."""
    return {"order_id": order_id(base), "actor": STAFF_ACTOR, **more}


def _answer(base: Base, **more: Arg) -> dict[str, Arg]:
    """A fulfillment service's answer to a request."""
    return _on(
        base,
        request_id=ids(base, "requests"),
        idempotency_key=key(base, "fulfillment_service"),
        actor=APP_ACTOR,
        message=note(),
        **more,
    )


def fo(base: Base) -> Arg:
    return ids(base, "fulfillment_orders")


def fulfillment(base: Base) -> Arg:
    return ids(base, "fulfillments")


def tags() -> Arg:
    return Arg(
        st.sampled_from([(), ("gift",), ["gift", "vip"], ("vip",)]),
        iterable_of(text(TAG)) | st.just(tuple(f"t{n}" for n in range(251))),
    )


def _hold_or_all(arguments: dict[str, Any]) -> dict[str, Any]:
    """``release`` takes a hold id or ``release_all=True``: both or neither is a call of
    the wrong type (its overloads say so; a TypeError at run time)."""
    if (arguments["hold_id"] is None) != arguments["release_all"]:
        return {**arguments, "release_all": Wrong(arguments["release_all"])}
    return arguments


@attrs.frozen
class Release(Case):
    def draw(self, base: Base) -> st.SearchStrategy[dict[str, Any]]:
        return super().draw(base).map(_hold_or_all)


CASES = [
    Case("place", lambda b: {"draft": draft(b), "actor": STAFF_ACTOR}),
    Case(
        "record_payment",
        lambda b: _on(
            b, report=payment_report(b), idempotency_key=key(b, "payment"), actor=APP_ACTOR
        ),
    ),
    Case(
        "record_dispute",
        lambda b: _on(
            b, report=dispute_report(b), idempotency_key=key(b, "dispute"), actor=APP_ACTOR
        ),
    ),
    Case(
        "settle_payment",
        lambda b: _on(
            b,
            transaction_id=ids(b, "transactions"),
            result=GATEWAY_RESULT,
            actor=APP_ACTOR,
            idempotency_key=key(b, "payment").optional(),
        ),
    ),
    Case(
        "capture",
        lambda b: _on(
            b,
            amount=money("1.00", "5.00").optional(),
            authorization_id=ids(b, "authorizations").optional(),
        ),
    ),
    Case("refund", lambda b: _on(b, amount=money("1.00", "5.00"), notify_customer=BOOLS)),
    Case(
        "refund_lines",
        lambda b: _on(
            b,
            lines=refund_lines(b),
            shipping=Arg(
                st.sampled_from([None, "remaining", eur("1.00")]),
                money().hostile | text(NAME),
            ),
            amount=money("1.00", "5.00").optional(),
            reason=choice(RefundReason),
            note=note(),
            notify_customer=BOOLS,
        ),
    ),
    Case(
        "cancel_unfulfilled",
        lambda b: _on(b, reason=choice(RefundReason), note=note(), notify_customer=BOOLS),
    ),
    Case("void", lambda b: _on(b, authorization_id=ids(b, "authorizations").optional())),
    Case(
        "cancel",
        lambda b: _on(
            b, reason=choice(CancelReason), note=note(), refund=BOOLS, notify_customer=BOOLS
        ),
    ),
    Case("archive", lambda b: _on(b)),
    Case("unarchive", lambda b: _on(b)),
    Case(
        "update_note", lambda b: _on(b, note=Arg(st.sampled_from(["", "Call first"]), text(NOTE)))
    ),
    Case("retag", lambda b: _on(b, add=tags(), remove=tags())),
    Case(
        "fulfill",
        lambda b: _on(
            b,
            fulfillment_order_id=fo(b),
            lines=line_quantities(b),
            tracking=TRACKING.optional(),
            notify_customer=BOOLS,
        ),
    ),
    Case(
        "cancel_fulfillment",
        lambda b: _on(b, fulfillment_id=fulfillment(b), restock=BOOLS, note=note()),
    ),
    Case(
        "hold",
        lambda b: _on(
            b,
            fulfillment_order_id=fo(b),
            reason=choice(HoldReason),
            note=note(),
            handle=Arg(st.sampled_from([None, "app-2"]), text(KEY) | st.just("app-hold")),
            lines=line_quantities(b),
            notify_staff=BOOLS,
        ),
    ),
    Release(
        "release",
        lambda b: _on(
            b,
            fulfillment_order_id=fo(b),
            hold_id=ids(b, "holds").optional(),
            release_all=BOOLS,
        ),
    ),
    Case(
        "schedule",
        lambda b: _on(
            b,
            fulfillment_order_id=fo(b),
            fulfill_at=Arg(st.just(NOW + timedelta(days=3)), DATETIMES),
        ),
    ),
    Case("open_fulfillment", lambda b: _on(b, fulfillment_order_id=fo(b))),
    Case("ready_for_pickup", lambda b: _on(b, fulfillment_order_id=fo(b))),
    Case("picked_up", lambda b: _on(b, fulfillment_order_id=fo(b))),
    Case(
        "update_tracking",
        lambda b: _on(b, fulfillment_id=fulfillment(b), tracking=TRACKING, notify_customer=BOOLS),
    ),
    Case(
        "record_shipment_event",
        lambda b: _on(
            b,
            fulfillment_id=fulfillment(b),
            event=SHIPMENT_EVENT,
            idempotency_key=key(b, "carrier"),
            actor=APP_ACTOR,
        ),
    ),
    Case(
        "change_shipping_address",
        lambda b: _on(b, address=ADDRESS, note=note(), notify_customer=BOOLS),
    ),
    Case(
        "move_fulfillment_order",
        lambda b: _on(b, fulfillment_order_id=fo(b), location=LOCATIONS, lines=line_quantities(b)),
    ),
    Case(
        "split_fulfillment_order",
        lambda b: _on(
            b,
            fulfillment_order_id=fo(b),
            lines=Arg(
                st.just((Make(LineQuantity, {"line_item_id": "line-1", "quantity": 1}),)),
                line_quantities(b).hostile,
            ),
        ),
    ),
    Case(
        "merge_fulfillment_orders",
        lambda b: _on(
            b,
            fulfillment_order_ids=Arg(
                st.lists(st.sampled_from(b.ids("fulfillment_orders")), min_size=2, max_size=3),
                iterable_of(fo(b).valid | fo(b).hostile),
            ),
        ),
    ),
    Case(
        "buy_label",
        lambda b: _on(
            b,
            fulfillment_id=fulfillment(b),
            carrier=texts(NAME, "DHL", "La Poste"),
            service_level=texts(NAME, "express"),
            parcel=PARCEL,
        ),
    ),
    Case("void_label", lambda b: _on(b, fulfillment_id=fulfillment(b))),
    Case(
        "request_fulfillment",
        lambda b: _on(b, fulfillment_order_id=fo(b), lines=line_quantities(b), message=note()),
    ),
    Case(
        "request_fulfillment_cancellation",
        lambda b: _on(b, fulfillment_order_id=fo(b), message=note()),
    ),
    Case("accept_fulfillment_request", lambda b: _answer(b)),
    Case("reject_fulfillment_request", lambda b: _answer(b, reason=choice(RejectionReason))),
    Case("accept_fulfillment_cancellation", lambda b: _answer(b)),
    Case("reject_fulfillment_cancellation", lambda b: _answer(b)),
    Case("close_fulfillment_request", lambda b: _answer(b)),
    Case(
        "record_service_fulfillment",
        lambda b: {
            name: arg
            for name, arg in _answer(
                b, lines=line_quantities(b), tracking=TRACKING.optional()
            ).items()
            if name != "message"
        },
    ),
    Case(
        "send_message",
        lambda b: _on(
            b,
            template=Arg(
                st.sampled_from(["order_confirmation", "new_order", "shipping_confirmation"]),
                st.sampled_from(sorted(notifications().templates.names())) | text(NAME),
            ),
            audience=Arg(st.sampled_from(["customer", "staff"]), text(NAME)),
            channel=Arg(st.just("email"), st.sampled_from(["sms", "webhook"]) | text(NAME)),
            to=Arg(st.sampled_from([None, "ada@example.com"]), text(EMAIL)),
            note=note(),
            fulfillment_id=fulfillment(b).optional(),
        ),
        notifications=True,
    ),
    Case(
        "resend_message",
        lambda b: _on(
            b,
            key=ids(b, "messages", KEY),
            to=Arg(st.sampled_from([None, "ada@example.com"]), text(EMAIL)),
        ),
        notifications=True,
    ),
    Case("get", lambda b: {"order_id": order_id(b)}),
    Case(
        "find",
        lambda b: {
            "kind": Arg(st.sampled_from(REFERENCE_KINDS), text(NAME)),
            "value": known_or(
                b.ids("references") + b.ids("fulfillment_orders") + b.ids("requests"), KEY
            ),
        },
    ),
    Case("orders", lambda b: {"query": order_query(b)}),
    Case(
        "run_due",
        lambda b: {"now": Arg(st.sampled_from([None, NOW, NOW + timedelta(days=60)]), DATETIMES)},
    ),
    Case("dispatch", lambda b: {"limit": Arg(st.sampled_from([1, 100, 10_000]), WHOLE_NUMBERS)}),
    Case("requeue", lambda b: {"key": ids(b, "outbox", KEY)}),
    Case("run_job", lambda b: {"key": ids(b, "outbox", KEY)}),
    Case(
        "message",
        lambda b: {"order_id": order_id(b), "key": ids(b, "messages", KEY)},
        notifications=True,
    ),
    Case("timeline", lambda b: {"order_id": order_id(b)}),
]
"""Every public command of OrderFlow, and its readers."""

VARIANT = st.sampled_from(VARIANTS)
