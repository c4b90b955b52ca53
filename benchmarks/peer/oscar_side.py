"""django-oscar 4.2.1's side of the peer benchmark: its checkout, dashboard and order API.

Import it only after ``django.setup()`` with ``benchmarks.peer.oscar_settings`` (the runner
does). Every call is Oscar's own public API, used as a merchant's developer would:

1. **checkout** (one request): load the basket and its strategy, a fixed-price shipping
   method, surcharges and the total (``OrderTotalCalculator``), the order number, freeze
   the basket, ``handle_payment`` (a payment ``Source`` and a ``Settled`` payment event, as
   Oscar's payment docs show), ``place_order`` (shipping address, ``OrderCreator``: order,
   lines, prices, stock allocation, ``order_placed`` signal; then the payment source and
   event, with the event's line quantities), ``basket.submit()``;
2. **ship** two lines, then **ship** the third (two dashboard requests): load the order,
   the ``Shipped`` event type and the chosen lines, ``EventHandler.handle_shipping_event``
   with their quantities (validated against what was already shipped);
3. **complete** (a dashboard request): load the order, ``order.set_status("Complete")``
   (a status change row and the ``order_status_changed`` signal).

Each request runs in ``transaction.atomic()``, as with ``ATOMIC_REQUESTS`` (fewer commits
than Django's default autocommit, which ``--autocommit`` measures instead).
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import connection, transaction
from oscar.core.loading import get_class, get_model

Basket = get_model("basket", "Basket")
Country = get_model("address", "Country")
Order = get_model("order", "Order")
PaymentEventType = get_model("order", "PaymentEventType")
ShippingAddress = get_model("order", "ShippingAddress")
ShippingEventType = get_model("order", "ShippingEventType")
Partner = get_model("partner", "Partner")
Product = get_model("catalogue", "Product")
ProductClass = get_model("catalogue", "ProductClass")
Source = get_model("payment", "Source")
SourceType = get_model("payment", "SourceType")
StockRecord = get_model("partner", "StockRecord")
EventHandler = get_class("order.processing", "EventHandler")
FixedPrice = get_class("shipping.methods", "FixedPrice")
OrderPlacementMixin = get_class("checkout.mixins", "OrderPlacementMixin")
OrderTotalCalculator = get_class("checkout.calculators", "OrderTotalCalculator")
Selector = get_class("partner.strategy", "Selector")
SurchargeApplicator = get_class("checkout.applicator", "SurchargeApplicator")

PRODUCTS = (("Linen shirt", "20.00", 2), ("Mug", "12.50", 1), ("Print", "30.00", 1))
"""Title, unit price (EUR) and quantity of the three lines; orderflow's side orders the same."""
SHIPPING = Decimal("15.00")
TOTAL = Decimal("97.50")
"""2 x 20.00 + 12.50 + 30.00 + 15.00 shipping; no tax (Oscar's default strategy: NoTax)."""
SHIPMENTS = ((0, 1), (2,))
"""The lines of the first shipment, then of the second."""


class Checkout(OrderPlacementMixin):
    """The order placement of Oscar's checkout views, with the payment a gateway reports.

    ``handle_payment`` is the method a project overrides (Oscar's payment docs): it records
    a payment source and a ``Settled`` event, which ``place_order`` saves with the order.
    """

    def handle_payment(self, order_number: str, total: Any, **kwargs: Any) -> None:
        source_type, _ = SourceType.objects.get_or_create(name="Fake gateway")
        source = Source(
            source_type=source_type,
            currency=total.currency,
            amount_allocated=total.incl_tax,
            amount_debited=total.incl_tax,
            reference=kwargs["reference"],
        )
        self.add_payment_source(source)
        self.add_payment_event("Settled", total.incl_tax, reference=kwargs["reference"])


# -- the database: Oscar's tables and the shop's fixtures, once; a copy for every batch ------


def use_database(path: Path) -> None:
    """Point Django's connection at the SQLite file ``path`` (closing the current one)."""
    connection.close()
    connection.settings_dict["NAME"] = str(path)
    settings.DATABASES["default"]["NAME"] = str(path)


def build_template(path: Path, *, migrations: bool) -> None:
    """Oscar's tables (its migrations, or straight from its models) and the shop: a product
    class, a partner, three products with stock records, France, the event types."""
    use_database(path)
    call_command("migrate", run_syncdb=not migrations, verbosity=0, interactive=False)
    goods = ProductClass.objects.create(name="Goods", requires_shipping=True, track_stock=True)
    partner = Partner.objects.create(name="Warehouse")
    for number, (title, price, _) in enumerate(PRODUCTS, start=1):
        product = Product.objects.create(product_class=goods, title=title, upc=f"UPC{number}")
        StockRecord.objects.create(
            product=product,
            partner=partner,
            partner_sku=f"SKU{number}",
            price_currency="EUR",
            price=Decimal(price),
            num_in_stock=10**9,
        )
    Country.objects.create(
        iso_3166_1_a2="FR",
        iso_3166_1_a3="FRA",
        iso_3166_1_numeric="250",
        printable_name="France",
        name="French Republic",
        is_shipping_country=True,
    )
    ShippingEventType.objects.create(name="Shipped", code="shipped")
    PaymentEventType.objects.create(name="Settled", code="settled")
    SourceType.objects.create(name="Fake gateway", code="fake-gateway")
    connection.close()
    with sqlite3.connect(path) as raw:  # fold the WAL into the file, which is then copied
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def new_shop(template: Path, path: Path, orders: int) -> list[int]:
    """A fresh copy of the shop with ``orders`` open baskets of the three products, as the
    customers filled them before checking out; their ids."""
    shutil.copyfile(template, path)
    use_database(path)
    strategy = Selector().strategy()
    products = list(Product.objects.order_by("upc"))
    baskets = []
    for _ in range(orders):
        basket = Basket.objects.create()
        basket.strategy = strategy
        for product, (_, _, quantity) in zip(products, PRODUCTS, strict=True):
            basket.add_product(product, quantity)
        baskets.append(basket.pk)
    return baskets


# -- the lifecycle ------------------------------------------------------------------------------

ATOMIC_REQUESTS = True
"""One transaction per request; False leaves Django's autocommit (one per statement)."""


def request() -> AbstractContextManager[Any]:
    return transaction.atomic() if ATOMIC_REQUESTS else nullcontext()


def checkout(basket_id: int, index: int) -> int:
    """Place the order of a basket, paid: the checkout's submission. Returns its id."""
    with request():
        basket = Basket.objects.get(pk=basket_id)  # as Oscar's BasketMiddleware loads it
        basket.strategy = Selector().strategy()
        view = Checkout()
        method = FixedPrice(SHIPPING, SHIPPING)
        charge = method.calculate(basket)
        surcharges = SurchargeApplicator().get_applicable_surcharges(basket)
        total = OrderTotalCalculator().calculate(basket, charge, surcharges)
        number = view.generate_order_number(basket)
        view.freeze_basket(basket)
        view.handle_payment(number, total, reference=f"pi_{index}")
        address = ShippingAddress(
            first_name="Ada",
            last_name="Lovelace",
            line1="12 rue des Lilas",
            line4="Lyon",
            postcode="69003",
            country_id="FR",
        )
        order = view.place_order(
            order_number=number,
            user=AnonymousUser(),
            basket=basket,
            shipping_address=address,
            shipping_method=method,
            shipping_charge=charge,
            order_total=total,
            surcharges=surcharges,
            guest_email="ada@example.com",
            request=None,
        )
        basket.submit()
        return int(order.pk)


def ship(order_id: int, positions: Sequence[int]) -> None:
    """Ship the whole quantity of the order's lines at ``positions``: a dashboard request."""
    with request():
        order = Order.objects.get(pk=order_id)
        event_type = ShippingEventType.objects.get(code="shipped")
        ids = [line.pk for line in order.lines.order_by("pk")]
        lines = list(order.lines.filter(pk__in=[ids[i] for i in positions]).order_by("pk"))
        EventHandler().handle_shipping_event(
            order, event_type, lines, [line.quantity for line in lines]
        )


def complete(order_id: int) -> None:
    with request():
        Order.objects.get(pk=order_id).set_status("Complete")


def lifecycle(basket_id: int, index: int) -> int:
    order_id = checkout(basket_id, index)
    for positions in SHIPMENTS:
        ship(order_id, positions)
    complete(order_id)
    return order_id


def run(baskets: Sequence[int]) -> list[int]:
    return [lifecycle(basket, index) for index, basket in enumerate(baskets)]


# -- checks -------------------------------------------------------------------------------------


@contextmanager
def counting() -> Iterator[list[str]]:
    """The SQL statements Django sends while inside."""
    statements: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        yield statements


def pragmas() -> tuple[str, int]:
    """The journal mode and synchronous level of Django's connection."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        (journal,) = cursor.fetchone()
        cursor.execute("PRAGMA synchronous")
        (synchronous,) = cursor.fetchone()
    return str(journal), int(synchronous)


def check(order_ids: Sequence[int]) -> list[str]:
    """What is wrong with the orders ``run`` left (nothing, if they are complete)."""
    problems = []
    shipped = ShippingEventType.objects.get(code="shipped")
    for order_id in order_ids:
        order = Order.objects.get(pk=order_id)
        lines = list(order.lines.order_by("pk"))
        source = order.sources.get()
        settled = order.payment_events.get()
        facts = {
            "status": order.status,
            "total": order.total_incl_tax,
            "lines": [(line.title, line.quantity, line.unit_price_incl_tax) for line in lines],
            "shipping events": order.shipping_events.count(),
            "all shipped": all(line.has_shipping_event_occurred(shipped) for line in lines),
            "payment": (settled.event_type.name, settled.amount, source.amount_debited),
            "status changes": order.status_changes.count(),
        }
        expected = {
            "status": "Complete",
            "total": TOTAL,
            "lines": [(t, q, Decimal(p)) for t, p, q in PRODUCTS],
            "shipping events": len(SHIPMENTS),
            "all shipped": True,
            "payment": ("Settled", TOTAL, TOTAL),
            "status changes": 1,
        }
        if facts != expected:
            problems.append(f"oscar order {order.number}: {facts} != {expected}")
    return problems
