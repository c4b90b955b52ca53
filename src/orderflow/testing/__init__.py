"""What a host project's tests import: factories, fakes and a ready-wired in-memory flow.

>>> from orderflow.testing import make_flow, make_draft, STAFF
>>> harness = make_flow()
>>> order = harness.flow.place(make_draft(), actor=STAFF)
>>> order.name
'#1001'
"""

from __future__ import annotations

import weakref
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs

from orderflow.adapters.fakes import (
    FakeClock,
    FakeGateway,
    FakeLabelProvider,
    RecordingFulfillmentService,
    RecordingNotifier,
    RecordingPublisher,
    SequentialIds,
)
from orderflow.adapters.memory import InMemoryRepository
from orderflow.domain.actor import Actor
from orderflow.domain.customer import Address, Customer
from orderflow.domain.lines import LineItem, ShippingLine, TaxLine
from orderflow.domain.money import Money
from orderflow.domain.order import Order
from orderflow.domain.placement import OrderDraft, place
from orderflow.domain.settlement import PaymentReport
from orderflow.domain.transaction import TransactionKind
from orderflow.notifications import NotificationSettings
from orderflow.ports.repository import OrderStore
from orderflow.service import OrderFlow, Settings

__all__ = [
    "EPOCH",
    "GATEWAY",
    "STAFF",
    "FakeClock",
    "FakeGateway",
    "FakeLabelProvider",
    "Harness",
    "RecordingFulfillmentService",
    "RecordingNotifier",
    "RecordingPublisher",
    "SequentialIds",
    "authorization",
    "eur",
    "make_address",
    "make_customer",
    "make_draft",
    "make_flow",
    "make_line",
    "make_order",
    "sale",
]

STAFF = Actor.staff("staff-1", "Camille")
GATEWAY = Actor.app("gateway", "Payment gateway")


def make_customer(**overrides: Any) -> Customer:
    fields: dict[str, Any] = {
        "id": "cust-1",
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "locale": "en",
    }
    return Customer(**{**fields, **overrides})


def make_address(**overrides: Any) -> Address:
    fields: dict[str, Any] = {
        "name": "Ada Lovelace",
        "line1": "12 rue des Lilas",
        "city": "Lyon",
        "postal_code": "69003",
        "country_code": "FR",
    }
    return Address(**{**fields, **overrides})


def make_line(
    id: str = "line-1",
    price: str = "20.00",
    quantity: int = 1,
    currency: str = "EUR",
    **overrides: Any,
) -> LineItem:
    return LineItem(
        id=id,
        title=overrides.pop("title", f"Product {id}"),
        quantity=quantity,
        unit_price=Money(price, currency),
        **overrides,
    )


def make_draft(*lines: LineItem, currency: str = "EUR", **overrides: Any) -> OrderDraft:
    """A draft of 2 x 20.00 + 15.00 shipping + 7.00 tax = 62.00 EUR unless told otherwise."""
    fields: dict[str, Any] = {
        "customer": make_customer(),
        "line_items": lines or (make_line("line-1", "20.00", 2, currency),),
        "currency": currency,
        "shipping_address": make_address(),
        "shipping_lines": (ShippingLine("Standard", Money("15.00", currency)),),
        "tax_lines": (TaxLine("VAT", Decimal("0.20"), Money("7.00", currency)),),
    }
    return OrderDraft(**{**fields, **overrides})


EPOCH = FakeClock().now()
"""The fake clock's start, and the time ``make_order`` places orders at."""


def eur(amount: str) -> Money:
    """``eur("12.50")``: a short hand for the tests' usual currency."""
    return Money(amount, "EUR")


def make_order(
    draft: OrderDraft | None = None,
    *,
    order_id: str = "ord-1",
    number: int = 1001,
    at: datetime = EPOCH,
) -> Order:
    """A placed order straight from the domain (no service, no repository), for tests of
    pure domain functions; its timeline is empty as nothing recorded it yet."""
    return place(draft or make_draft(), order_id=order_id, number=number, now=at, actor=STAFF).order


def authorization(
    amount: Money,
    reference: str = "auth-ref",
    *,
    expires_in: timedelta | None = None,
    clock: FakeClock | None = None,
    reusable: bool = True,
) -> PaymentReport:
    """An authorization as a checkout reports it."""
    expires_at = clock.now() + expires_in if clock is not None and expires_in is not None else None
    return PaymentReport(
        kind=TransactionKind.AUTHORIZATION,
        amount=amount,
        reference=reference,
        reusable=reusable,
        expires_at=expires_at,
    )


def sale(amount: Money, reference: str = "sale-ref", *, reusable: bool = True) -> PaymentReport:
    """A payment captured at checkout."""
    return PaymentReport(
        kind=TransactionKind.SALE, amount=amount, reference=reference, reusable=reusable
    )


_SHARED_IDS: weakref.WeakKeyDictionary[OrderStore, SequentialIds] = weakref.WeakKeyDictionary()
"""The id generator of each store that harnesses were made on."""


@attrs.define
class Harness:
    """An OrderFlow (in memory unless told otherwise) and the fakes behind it, for assertions."""

    flow: OrderFlow
    repository: OrderStore
    gateway: FakeGateway
    clock: FakeClock
    publisher: RecordingPublisher
    notifier: RecordingNotifier


def make_flow(
    *,
    settings: Settings | None = None,
    publish: bool = True,
    gateway: FakeGateway | None = None,
    clock: FakeClock | None = None,
    publisher: RecordingPublisher | None = None,
    notifications: NotificationSettings | None = None,
    repository: OrderStore | None = None,
    **ports: Any,
) -> Harness:
    """An OrderFlow on in-memory adapters with a fake clock, ids, gateway, publisher and
    notifier; ``publish=False`` leaves events unpublished; ``notifications`` turns messages
    on; ``repository`` replaces the in-memory store (with a
    :class:`~orderflow.adapters.sql.SqlRepository`, say), and harnesses made on one store
    share its id generator, as two app servers' flows would share ids; other ports
    (``ids``, ``authorizer``) pass through."""
    repository = InMemoryRepository() if repository is None else repository
    gateway = gateway or FakeGateway()
    clock = clock or FakeClock()
    publisher = publisher or RecordingPublisher()
    notifier = ports.pop("notifier", None) or RecordingNotifier()
    if "ids" not in ports:  # flows on one store share one counter, as they must
        ports["ids"] = _SHARED_IDS.setdefault(repository, SequentialIds())
    flow = OrderFlow(
        repository=repository,
        outbox=repository,
        gateway=gateway,
        clock=clock,
        publisher=publisher if publish else None,
        notifier=notifier,
        notifications=notifications,
        settings=settings,
        **ports,
    )
    return Harness(flow, repository, gateway, clock, publisher, notifier)
