"""The Order aggregate: derived totals, consistency checks, and immutability all the way down."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import attrs
import pytest
from attrs.exceptions import FrozenInstanceError

from orderflow.domain import notes, payments, settlement
from orderflow.domain.cancellation import cancel
from orderflow.domain.fulfillment import Fulfillment, LineQuantity
from orderflow.domain.lines import Discount, LineItem, ShippingLine, TaxLine
from orderflow.domain.money import Money
from orderflow.domain.order import CancelReason, Change, check_consistency
from orderflow.domain.placement import place
from orderflow.domain.transaction import Transaction, TransactionKind
from orderflow.errors import (
    CurrencyMismatch,
    DuplicateId,
    InvalidAmount,
    InvalidQuantity,
    InvalidStateValue,
    InvalidTimestamp,
    TransactionNotFound,
    UnknownCurrency,
    UnknownLineItem,
)
from orderflow.testing import (
    EPOCH,
    STAFF,
    SequentialIds,
    authorization,
    eur,
    make_address,
    make_customer,
    make_draft,
    make_line,
    make_order,
    sale,
)

from .helpers import record, recording


def test_the_default_draft_totals_62_euros() -> None:
    order = make_order()

    # 2 x 20.00 + 15.00 shipping + 7.00 tax
    assert order.subtotal == eur("40.00")
    assert order.shipping_total == eur("15.00")
    assert order.discount_total == eur("0.00")
    assert order.tax_total == eur("7.00")
    assert order.total == eur("62.00")
    assert order.current_total == eur("62.00")


def test_totals_add_goods_and_shipping_less_discounts_plus_tax() -> None:
    order = make_order(
        make_draft(
            make_line("line-1", "20.00", 2),
            make_line("line-2", "9.99", 1),
            shipping_lines=(
                ShippingLine("Standard", eur("15.00")),
                ShippingLine("Insurance", eur("5.00")),
            ),
            discounts=(Discount("WELCOME", eur("10.00")),),
            tax_lines=(
                TaxLine("VAT", Decimal("0.20"), eur("7.00")),
                TaxLine("Eco", Decimal("0.01"), eur("0.50")),
            ),
        )
    )

    assert order.subtotal == eur("49.99")  # 40.00 + 9.99
    assert order.shipping_total == eur("20.00")
    assert order.discount_total == eur("10.00")
    assert order.tax_total == eur("7.50")
    assert order.total == eur("67.49")  # 49.99 + 20.00 - 10.00 + 7.50


def test_taxes_included_in_prices_are_not_added_again() -> None:
    order = make_order(make_draft(taxes_included=True))

    assert order.tax_total == eur("7.00")
    assert order.total == eur("55.00")  # 40.00 + 15.00, the 7.00 VAT is inside


def test_the_order_is_named_after_its_number() -> None:
    order = make_order()

    assert order.name == "#1001"
    assert str(order) == "order #1001 (ord-1)"


def test_line_discounts_are_allocated_in_proportion_to_line_subtotals() -> None:
    order = make_order(
        make_draft(
            make_line("line-1", "20.00", 2),
            make_line("line-2", "9.99", 1),
            discounts=(Discount("WELCOME", eur("10.00")),),
        )
    )

    # 1000 cents over weights 4000 and 999 (sum 4999): exact 800.16 and 199.84,
    # floors 800 and 199, the leftover cent goes to the larger remainder (line-2).
    assert order.line_discounts() == (eur("8.00"), eur("2.00"))
    assert Money.total(order.line_discounts(), "EUR") == order.discount_total


def test_line_discounts_split_equal_lines_without_losing_a_cent() -> None:
    order = make_order(
        make_draft(
            make_line("a", "5.00"),
            make_line("b", "5.00"),
            make_line("c", "5.00"),
            discounts=(Discount("A", eur("0.60")), Discount("B", eur("0.40"))),
        )
    )

    # 1.00 over three equal lines: 0.34 + 0.33 + 0.33
    assert order.line_discounts() == (eur("0.34"), eur("0.33"), eur("0.33"))
    assert Money.total(order.line_discounts(), "EUR") == order.discount_total


def test_free_lines_get_no_discount_share() -> None:
    order = make_order(make_draft(make_line("a", "0.00"), make_line("b", "0.00")))

    assert order.line_discounts() == (eur("0.00"), eur("0.00"))


def test_current_total_is_zero_once_cancelled() -> None:
    order = cancel(
        make_order(), CancelReason.CUSTOMER, new_id=SequentialIds().new_id, now=EPOCH, actor=STAFF
    ).order

    assert order.total == eur("62.00")
    assert order.current_total == eur("0.00")


def test_a_line_in_another_currency_is_refused() -> None:
    draft = make_draft(make_line("line-1", "20.00"), make_line("line-2", "5.00", currency="USD"))

    with pytest.raises(CurrencyMismatch, match=r"order #1001 \(ord-1\).*5\.00 USD.*EUR"):
        make_order(draft)


def test_a_transaction_in_another_currency_is_refused() -> None:
    stray = Transaction(
        id="t-1",
        kind=TransactionKind.SALE,
        amount=Money("62.00", "USD"),
        status="succeeded",
        idempotency_key="k-1",
        created_at=EPOCH,
    )

    with pytest.raises(CurrencyMismatch, match=r"62\.00 USD"):
        check_consistency(attrs.evolve(make_order(), transactions=(stray,)))


def test_an_unknown_order_currency_is_refused() -> None:
    with pytest.raises(UnknownCurrency):
        check_consistency(attrs.evolve(make_order(), currency="ZZZ"))


def test_an_order_without_lines_is_refused() -> None:
    with pytest.raises(InvalidQuantity, match="at least one line item"):
        make_order(make_draft(line_items=()))


def test_two_lines_with_one_id_are_refused() -> None:
    with pytest.raises(DuplicateId, match=r"two line items share an id \(line-1\)"):
        make_order(make_draft(make_line("line-1"), make_line("line-1")))


def test_two_transactions_with_one_id_are_refused() -> None:
    order = record(make_order(), sale(eur("62.00")), "t-1")
    twin = attrs.evolve(order.transactions[0], idempotency_key="k-2")

    with pytest.raises(DuplicateId, match=r"two transactions share an id \(t-1\)"):
        check_consistency(attrs.evolve(order, transactions=(*order.transactions, twin)))


def test_discounts_larger_than_goods_and_shipping_are_refused() -> None:
    # 40.00 + 15.00 - 70.00 = -15.00 before tax, -8.00 after: negative
    draft = make_draft(discounts=(Discount("TOO-MUCH", eur("70.00")),))

    with pytest.raises(InvalidAmount, match="discounts"):
        make_order(draft)


def test_a_discount_of_exactly_the_goods_shipping_and_tax_is_allowed() -> None:
    order = make_order(make_draft(discounts=(Discount("FREE", eur("62.00")),)))

    assert order.total == eur("0.00")


def test_a_transaction_is_looked_up_by_id() -> None:
    order = record(make_order(), sale(eur("62.00")), "t-1")

    assert order.transaction("t-1").amount == eur("62.00")
    with pytest.raises(TransactionNotFound, match="'t-9'"):
        order.transaction("t-9")


def test_with_transaction_replaces_a_transaction_in_place() -> None:
    order = record(make_order(), sale(eur("62.00")), "t-1")
    updated = attrs.evolve(order.transactions[0], reference="changed")

    assert order.with_transaction(updated).transactions == (updated,)


def test_change_then_keeps_the_later_order_and_all_events_in_order() -> None:
    first = place(make_draft(), order_id="ord-1", number=1001, now=EPOCH, actor=STAFF)
    second = notes.update_note(first.order, "gift", now=EPOCH, actor=STAFF)

    combined = first.then(second)

    assert combined.order == second.order
    assert combined.events == first.events + second.events


# -- immutability ---------------------------------------------------------------------

LEAVES = (str, int, bool, Decimal, datetime, date, enum.Enum, type(None))


def mutable_parts(value: object, path: str = "order") -> list[str]:
    """Paths of everything in the graph that is not an immutable leaf, tuple, frozenset or
    frozen attrs instance."""
    if isinstance(value, LEAVES):
        return []
    if isinstance(value, (tuple, frozenset)):
        return [p for i, item in enumerate(value) for p in mutable_parts(item, f"{path}[{i}]")]
    if attrs.has(type(value)):
        found = [] if type(value).__setattr__ is not object.__setattr__ else [path]
        for field in attrs.fields(type(value)):
            found += mutable_parts(getattr(value, field.name), f"{path}.{field.name}")
        return found
    return [f"{path} ({type(value).__name__})"]


def attrs_instances(value: object) -> list[object]:
    if isinstance(value, (tuple, frozenset)):
        return [found for item in value for found in attrs_instances(item)]
    if attrs.has(type(value)):
        nested = [attrs_instances(getattr(value, f.name)) for f in attrs.fields(type(value))]
        return [value, *(found for group in nested for found in group)]
    return []


def lived_order() -> Change:
    """An order that went through placing, payments, cancellation, a note and tags."""
    ids = SequentialIds()
    draft = make_draft(
        make_line("line-1", "20.00", 2, sku="SKU-1", pre_order=date(2026, 3, 1)),
        make_line("line-2", "9.99", 1, variant_title="Blue"),
        billing_address=make_address(company="ACME"),
        discounts=(Discount("WELCOME", eur("5.00")),),
        tags=frozenset({"first-order"}),
    )
    change = place(draft, order_id="ord-1", number=1001, now=EPOCH, actor=STAFF)
    change = change.then(recording(change.order, authorization(eur("30.00"), "auth-1"), "t-1"))
    change = change.then(recording(change.order, sale(eur("20.00")), "t-2"))
    change = change.then(recording(change.order, authorization(eur("15.00"), "auth-2"), "t-3"))
    change = change.then(
        payments.request_capture(
            change.order,
            amount=eur("10.00"),
            authorization_id="t-1",
            new_id=ids.new_id,
            now=EPOCH,
            actor=STAFF,
        )
    )
    capture = change.order.transactions[-1]
    change = change.then(
        settlement.settle(
            change.order,
            capture.id,
            settlement.GatewayResult(True, "cap-1"),
            new_id=ids.new_id,
            now=EPOCH,
            actor=STAFF,
        )
    )
    change = change.then(
        cancel(
            change.order,
            CancelReason.FRAUD,
            note="chargeback risk",
            new_id=ids.new_id,
            now=EPOCH,
            actor=STAFF,
        )
    )
    change = change.then(notes.update_note(change.order, "Called the bank", now=EPOCH, actor=STAFF))
    change = change.then(
        notes.retag(change.order, add=("fraud",), remove=("first-order",), now=EPOCH, actor=STAFF)
    )
    return change.recorded()


def test_no_mutable_container_is_reachable_from_an_order_that_lived() -> None:
    change = lived_order()

    # 2 authorizations, a sale, a capture, the void of auth-2 and two refunds (10.00 + 20.00)
    assert [tx.kind.value for tx in change.order.transactions] == [
        "authorization",
        "sale",
        "authorization",
        "capture",
        "void",
        "refund",
        "refund",
    ]
    assert len(change.order.timeline) == len(change.events)
    assert mutable_parts(change.order) == []
    assert mutable_parts(change.events, "events") == []


def test_every_object_in_an_order_refuses_attribute_assignment() -> None:
    change = lived_order()
    instances = attrs_instances(change.order) + attrs_instances(change.events)

    assert {type(i).__name__ for i in instances} >= {
        "Order",
        "Customer",
        "Address",
        "LineItem",
        "Money",
        "ShippingLine",
        "Discount",
        "TaxLine",
        "Transaction",
        "TimelineEntry",
        "Actor",
    }
    for instance in instances:
        name = attrs.fields(type(instance))[0].name
        with pytest.raises(FrozenInstanceError):
            setattr(instance, name, None)


def test_the_order_keeps_no_per_instance_dict() -> None:
    with pytest.raises(AttributeError):
        make_order().__dict__  # noqa: B018


# -- types at the edge -----------------------------------------------------------------


def test_a_line_quantity_given_as_a_string_is_a_type_error_naming_the_field() -> None:
    with pytest.raises(TypeError, match="'quantity'"):
        LineItem(id="line-1", title="Mug", quantity="3", unit_price=eur("9.00"))  # type: ignore[arg-type]


@pytest.mark.parametrize("quantity", [0, -1])
def test_a_line_quantity_below_one_is_refused(quantity: int) -> None:
    with pytest.raises(InvalidQuantity, match="at least 1"):
        make_line(quantity=quantity)


def test_a_negative_unit_price_is_refused() -> None:
    with pytest.raises(InvalidAmount, match="'unit_price'"):
        make_line(price="-1.00")


def test_a_customer_id_given_as_an_int_is_a_type_error_naming_the_field() -> None:
    with pytest.raises(TypeError, match="'id'"):
        make_customer(id=5)


def test_a_naive_placed_at_is_refused_as_an_invalid_timestamp() -> None:
    with pytest.raises(InvalidTimestamp, match=r"'placed_at'.*naive"):
        attrs.evolve(make_order(), placed_at=datetime(2026, 1, 5, 9, 0))


def test_a_placed_at_given_as_a_string_is_a_type_error_naming_the_field() -> None:
    with pytest.raises(TypeError, match="'placed_at'"):
        attrs.evolve(make_order(), placed_at="2026-01-05T09:00:00+00:00")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("line_items", [make_line()]),
        ("tags", {"vip"}),
        ("transactions", []),
        ("number", "1001"),
        ("number", True),
        ("note", None),
        ("taxes_included", "yes"),
        ("cancel_reason", "customer"),
    ],
)
def test_an_order_field_of_the_wrong_type_is_a_type_error_naming_it(
    field: str, value: object
) -> None:
    with pytest.raises(TypeError, match=f"'{field}'"):
        attrs.evolve(make_order(), **{field: value})


def test_an_order_number_must_be_positive() -> None:
    with pytest.raises(InvalidQuantity, match="number must be at least 1"):
        attrs.evolve(make_order(), number=0)


def test_an_unknown_order_status_is_refused_naming_the_order() -> None:
    with pytest.raises(InvalidStateValue, match=r"order ord-1.*'shipped'"):
        attrs.evolve(make_order(), status="shipped")


def test_a_fulfillment_of_a_line_the_order_does_not_have_is_refused_even_cancelled() -> None:
    order = make_order()
    for cancelled_at in (None, EPOCH):
        ghost = Fulfillment(
            id="f-1",
            fulfillment_order_id=order.fulfillment_orders[0].id,
            lines=(LineQuantity("ghost", 1),),
            created_at=EPOCH,
            cancelled_at=cancelled_at,
        )

        with pytest.raises(UnknownLineItem, match="ships line 'ghost', which the order does not"):
            check_consistency(attrs.evolve(order, fulfillments=(ghost,)))
