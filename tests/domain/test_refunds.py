"""Refunds per line: the per-line ledger, cumulative shares, restock types, the money.

Every expected figure below is worked out by hand from the rule in
``orderflow.domain.refunding``: discounts and whole-order taxes are split by largest
remainder (``Money.allocate``); a line's share of them over its units is cumulative,
``share * m / quantity`` rounded half up in minor units.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderflow.domain import ledger, payments, service_requests
from orderflow.domain.events import LinesCancelled
from orderflow.domain.financial import balance
from orderflow.domain.fulfilling import cancel_fulfillment, fulfill
from orderflow.domain.fulfillment import LineQuantity, Location
from orderflow.domain.fulfillment_status import fulfillment_status
from orderflow.domain.lines import Discount, ShippingLine, TaxLine
from orderflow.domain.money import Money
from orderflow.domain.order import Change, Order
from orderflow.domain.refund import RefundLine, RefundReason, RestockType
from orderflow.domain.refunding import (
    Refundable,
    cancel_unfulfilled,
    line_ledger,
    refund_lines,
    suggested_refund,
)
from orderflow.domain.settlement import PaymentReport
from orderflow.domain.transaction import TransactionKind
from orderflow.errors import (
    InvalidQuantity,
    InvalidTransition,
    OverRefund,
    PaymentError,
    UnknownLineItem,
)
from orderflow.testing import EPOCH, STAFF, authorization, eur, make_draft, make_line, make_order

from .helpers import ids, record, settle_pending

R = RestockType
NEW_ID = ids()
"""One id generator for every refund here: refund and transaction ids never repeat."""


def paid(order: Order) -> Order:
    """``order`` with its total taken by a sale."""
    return record(order, PaymentReport(kind=TransactionKind.SALE, amount=order.total))


def refunded(order: Order, *lines: RefundLine, **options: object) -> Change:
    options.setdefault("reason", RefundReason.CUSTOMER_REQUEST)
    return refund_lines(order, lines, new_id=NEW_ID, now=EPOCH, actor=STAFF, **options)  # type: ignore[arg-type]


def settled(change: Change) -> Order:
    """The order once the gateway returned every refund requested."""
    return settle_pending(change.order)


def a_and_b() -> Order:
    """A 2 x 20.00, B 1 x 9.99, 5.00 off, 15.00 shipping, 7.00 VAT on the whole order:
    66.99 EUR, paid.

    Discount 500 cents by subtotals 4000 : 999 -> A 400 (rem 400), B 99 (rem 4599) + the
    cent left -> A 4.00, B 1.00. VAT 700 cents by 3600 : 899 : 1500 (A, B, shipping after
    discounts) -> 420, 104 (rem 5404), 175, + 1 -> A 4.20, B 1.05, shipping 1.75."""
    return paid(
        make_order(
            make_draft(
                make_line("A", "20.00", 2),
                make_line("B", "9.99", 1),
                discounts=(Discount("WELCOME", eur("5.00")),),
            )
        )
    )


# -- amounts, worked out by hand ------------------------------------------------------------------


def test_one_unit_and_part_of_the_shipping_return_their_share_of_discount_and_tax() -> None:
    order = a_and_b()
    assert order.total == eur("66.99")

    change = refunded(order, RefundLine("A", 1), shipping=eur("5.00"))

    # A, unit 1 of 2: 20.00 - 4.00 * 1/2 = 18.00, VAT 4.20 * 1/2 = 2.10; shipping 5.00 of
    # 15.00: VAT 1.75 * 500/1500 = 0.5833 -> 0.58. 18.00 + 2.10 + 5.00 + 0.58 = 25.68.
    (refund,) = change.order.refunds
    (line,) = refund.lines
    assert (line.amount, [t.amount for t in line.taxes]) == (eur("18.00"), [eur("2.10")])
    assert [t.amount for t in refund.shipping_taxes] == [eur("0.58")]
    (tx,) = [t for t in change.order.transactions if t.kind is TransactionKind.REFUND]
    assert (tx.amount, tx.status, tx.adjustment) == (eur("25.68"), "pending", None)
    assert refund.transaction_ids == (tx.id,)
    assert change.order.current_total == eur("41.31")  # 66.99 - 25.68, at once


def test_refunding_everything_piece_by_piece_returns_the_total_exactly() -> None:
    order = a_and_b()
    first = settled(refunded(order, RefundLine("A", 1), shipping=eur("5.00")))
    # A unit 2: 20.00 - (4.00 - 2.00) + (4.20 - 2.10) = 20.10; shipping 10.00 with VAT
    # 1.75 - 0.58 = 1.17: 31.27 in all.
    second = settled(refunded(first, RefundLine("A", 1), shipping="remaining"))
    # B: 9.99 - 1.00 + 1.05 = 10.04
    third = settled(refunded(second, RefundLine("B", 1)))

    amounts = [tx.amount for tx in third.transactions if tx.kind is TransactionKind.REFUND]
    assert amounts == [eur("25.68"), eur("31.27"), eur("10.04")]  # 66.99 together
    assert third.current_total == eur("0.00")
    assert ledger.refunded(third) == eur("66.99")
    assert balance(third) == eur("0.00")


def test_in_jpy_refunding_unit_by_unit_gives_the_same_as_refunding_at_once() -> None:
    """3 x 1000 JPY, 100 off, 290 tax on the line: the discount's cumulative shares are
    (200+3)//6 = 33, (400+3)//6 = 67, 100: units give 33, 34, 33 off; the tax's (580+3)//6
    = 97, (1160+3)//6 = 193, 290: 97, 96, 97. Units: 1064, 1062, 1064 = 3190."""
    draft = make_draft(
        make_line("L", "1000", 3, "JPY"),
        currency="JPY",
        shipping_lines=(),
        discounts=(Discount("D", Money("100", "JPY")),),
        tax_lines=(TaxLine("Consumption tax", Decimal("0.10"), Money("290", "JPY"), "L"),),
    )
    order = paid(make_order(draft))
    one_by_one, amounts = order, []
    for _ in range(3):
        change = refunded(one_by_one, RefundLine("L", 1))
        amounts.append(change.order.transactions[-1].amount)
        one_by_one = settled(change)
    at_once = refunded(order, RefundLine("L", 3)).order.transactions[-1].amount

    assert amounts == [Money("1064", "JPY"), Money("1062", "JPY"), Money("1064", "JPY")]
    assert at_once == Money("3190", "JPY") == Money.total(amounts, "JPY") == order.total


def test_in_kwd_with_taxes_included_the_tax_is_shown_but_not_added() -> None:
    """2 x 1.250 KWD, 0.101 off, 0.119 tax included: unit 1 gets (202+2)//4 = 51 fils off
    and (238+2)//4 = 60 fils of the tax (all of it on the line: no shipping)."""
    draft = make_draft(
        make_line("L", "1.250", 2, "KWD"),
        currency="KWD",
        shipping_lines=(),
        discounts=(Discount("D", Money("0.101", "KWD")),),
        tax_lines=(TaxLine("VAT", Decimal("0.05"), Money("0.119", "KWD")),),
        taxes_included=True,
    )
    order = paid(make_order(draft))

    change = refunded(order, RefundLine("L", 1))

    (line,) = change.order.refunds[0].lines
    assert (line.amount, line.taxes[0].amount) == (Money("1.199", "KWD"), Money("0.060", "KWD"))
    assert change.order.transactions[-1].amount == Money("1.199", "KWD")


def test_a_line_gives_back_only_its_own_tax_lines_each_at_its_rate() -> None:
    draft = make_draft(
        make_line("book", "10.00", 1),
        make_line("pen", "5.00", 1),
        shipping_lines=(ShippingLine("Post", eur("4.00")),),
        tax_lines=(
            TaxLine("TVA 5.5%", Decimal("0.055"), eur("0.55"), "book"),
            TaxLine("TVA 20%", Decimal("0.20"), eur("1.00"), "pen"),
            TaxLine("TVA 20% shipping", Decimal("0.20"), eur("0.80"), shipping=True),
        ),
    )
    order = paid(make_order(draft))

    change = refunded(order, RefundLine("book", 1), shipping="remaining")

    (refund,) = change.order.refunds
    assert [(t.title, t.rate, t.amount) for t in refund.lines[0].taxes] == [
        ("TVA 5.5%", Decimal("0.055"), eur("0.55"))
    ]
    assert [(t.title, t.amount) for t in refund.shipping_taxes] == [
        ("TVA 20% shipping", eur("0.80"))
    ]
    assert change.order.transactions[-1].amount == eur("15.35")  # 10 + 0.55 + 4 + 0.80


@given(
    st.lists(st.integers(1, 4), min_size=1, max_size=6),
    st.integers(0, 10**6),
    st.integers(0, 10**5),
)
def test_any_split_of_a_line_into_refunds_sums_to_refunding_it_at_once(
    pieces: list[int], discount_cents: int, tax_cents: int
) -> None:
    quantity = sum(pieces)
    price = Money("99.99", "EUR")
    discount = min(Money.from_minor(discount_cents, "EUR"), price * quantity - eur("0.01"))
    draft = make_draft(
        make_line("L", "99.99", quantity),
        shipping_lines=(),
        discounts=(Discount("D", discount),),
        tax_lines=(TaxLine("T", Decimal("0.20"), Money.from_minor(tax_cents, "EUR")),),
    )
    order = paid(make_order(draft))
    piecewise = order
    for piece in pieces:
        piecewise = settled(refunded(piecewise, RefundLine("L", piece)))

    returned = ledger.refunded(piecewise)
    assert (
        returned
        == order.total
        == refunded(order, RefundLine("L", quantity)).order.transactions[-1].amount
    )
    assert piecewise.current_total == eur("0.00")


# -- restock types and the fulfillment orders -----------------------------------------------------


def fo(order: Order) -> str:
    return order.fulfillment_orders[0].id


def shipped(order: Order, quantity: int) -> Order:
    lines = [LineQuantity("line-1", quantity)]
    return fulfill(order, fo(order), lines, new_id=ids("f-1"), now=EPOCH, actor=STAFF).order


def test_cancelled_units_leave_their_fulfillment_order_and_the_rest_can_still_ship() -> None:
    order = paid(make_order())  # line-1: 2 x 20.00

    change = refunded(order, RefundLine("line-1", 1, R.CANCEL))

    first, split_off = change.order.fulfillment_orders
    assert (first.lines, first.status) == ((LineQuantity("line-1", 1),), "open")
    assert (split_off.lines, split_off.status) == ((LineQuantity("line-1", 1),), "cancelled")
    (line,) = change.order.refunds[0].lines
    assert (line.removed, line.location_id) == (1, "default")
    assert fulfillment_status(shipped(change.order, 1)) == "fulfilled"
    assert [type(e).__name__ for e in change.events] == [
        "FulfillmentOrderSplit",
        "FulfillmentOrderCancelled",
        "RefundCreated",
        "PaymentRequested",
    ]


def test_cancelling_the_last_unfulfilled_units_fulfils_the_order() -> None:
    order = shipped(paid(make_order()), 1)

    change = refunded(order, RefundLine("line-1", 1, R.CANCEL))

    assert "OrderFulfilled" in [type(e).__name__ for e in change.events]
    assert fulfillment_status(change.order) == "fulfilled"
    untouched = refunded(shipped(paid(make_order()), 1), RefundLine("line-1", 1, R.RETURN))
    assert "OrderFulfilled" not in [type(e).__name__ for e in untouched.events]


def test_returned_units_are_restocked_where_they_were_fulfilled_from() -> None:
    order = shipped(paid(make_order()), 2)

    change = refunded(order, RefundLine("line-1", 1, R.RETURN))

    (line,) = change.order.refunds[0].lines
    assert (line.removed, line.location_id, line.restock_type) == (0, "default", R.RETURN)
    assert change.order.fulfillment_orders == order.fulfillment_orders


def test_units_not_restocked_are_taken_from_the_fulfilled_ones_first() -> None:
    order = shipped(paid(make_order()), 1)

    change = refunded(order, RefundLine("line-1", 2, R.NO_RESTOCK))

    (line,) = change.order.refunds[0].lines
    assert (line.quantity, line.removed, line.location_id) == (2, 1, None)
    assert fulfillment_status(change.order) == "fulfilled"  # the unshipped unit left
    counts = line_ledger(change.order)["line-1"]
    assert (counts.ordered, counts.fulfilled, counts.refunded, counts.restocked) == (2, 1, 2, 0)


@pytest.mark.parametrize(
    ("fulfilled", "lines", "match"),
    [
        (0, [RefundLine("line-1", 1, R.RETURN)], "1 of line 'line-1' asked to return, but only 0"),
        (2, [RefundLine("line-1", 1, R.CANCEL)], "asked to cancel, but only 0 units"),
        (1, [RefundLine("line-1", 2, R.CANCEL)], "2 of line 'line-1' asked to cancel, but only 1"),
        (
            0,
            [RefundLine("line-1", 2), RefundLine("line-1", 1, R.CANCEL)],
            "3 of line 'line-1' asked to refund, but only 2",
        ),
        (
            1,
            [
                RefundLine("line-1", 1, R.NO_RESTOCK),
                RefundLine("line-1", 1, R.RETURN),
                RefundLine("line-1", 1, R.CANCEL),
            ],
            "asked to refund",
        ),
    ],
)
def test_more_than_a_restock_type_allows_is_refused(
    fulfilled: int, lines: list[RefundLine], match: str
) -> None:
    order = paid(make_order())
    if fulfilled:
        order = shipped(order, fulfilled)

    with pytest.raises(OverRefund, match=match):
        refunded(order, *lines)
    with pytest.raises(OverRefund, match=match):
        suggested_refund(order, lines)


def test_units_with_a_fulfillment_service_are_not_cancelled_behind_its_back() -> None:
    warehouse = Location("wh", "Warehouse", fulfillment_service="shipfast")
    order = paid(make_order(make_draft(make_line("line-1", quantity=2, location=warehouse))))
    submitted = service_requests.submit(
        order, fo(order), None, new_id=NEW_ID, now=EPOCH, actor=STAFF
    ).order

    with pytest.raises(InvalidTransition, match=r"is with shipfast .* request cancellation"):
        refunded(submitted, RefundLine("line-1", 1, R.CANCEL))


def test_a_line_is_never_refunded_twice() -> None:
    once = refunded(paid(make_order()), RefundLine("line-1", 2, R.CANCEL)).order

    with pytest.raises(OverRefund, match="only 0 of its 2 are left to refund"):
        refunded(once, RefundLine("line-1", 1))


def test_shipping_is_refundable_once_in_total() -> None:
    order = settled(refunded(a_and_b(), shipping=eur("10.00")))

    with pytest.raises(
        OverRefund, match=r"cannot refund 6\.00 EUR of shipping; 5\.00 EUR of its 15\.00 EUR"
    ):
        refunded(order, shipping=eur("6.00"))
    assert settled(refunded(order, shipping="remaining")).refunds[-1].shipping == eur("5.00")


def test_a_fulfillment_whose_units_were_refunded_as_kept_cannot_be_cancelled() -> None:
    order = shipped(paid(make_order()), 2)
    change = refunded(order, RefundLine("line-1", 2, R.RETURN))

    with pytest.raises(
        InvalidTransition, match="refunds gave back 2 fulfilled units of line 'line-1'"
    ):
        cancel_fulfillment(change.order, "f-1", now=EPOCH, actor=STAFF)


# -- money ----------------------------------------------------------------------------------------


def test_a_refund_alone_never_changes_the_balance_goodwill_included() -> None:
    order = a_and_b()
    assert balance(order) == eur("0.00")

    change = refunded(order, RefundLine("B", 1), amount=eur("3.00"), reason=RefundReason.GOODWILL)

    after = settled(change)
    # B 10.04 lowers the total at once; the 3.00 goodwill once it succeeds (an adjustment)
    assert [tx.amount for tx in after.transactions[-2:]] == [eur("10.04"), eur("3.00")]
    assert after.current_total == eur("53.95")  # 66.99 - 10.04 - 3.00
    assert balance(after) == eur("0.00")
    assert after.refunds[0].amount == eur("3.00")


def test_while_its_money_is_on_its_way_the_refund_shows_as_due() -> None:
    change = refunded(a_and_b(), RefundLine("B", 1))

    assert balance(change.order) == eur("-10.04")  # refund due until the gateway confirms
    assert balance(settled(change)) == eur("0.00")


def test_money_never_taken_cannot_be_refunded() -> None:
    order = record(make_order(), authorization(eur("62.00")))

    # 20.00 and the line's VAT 5.09 (see above) * 1/2: (1018 + 2) // 4 = 255 -> 22.55
    with pytest.raises(PaymentError, match=r"cannot refund 22\.55 EUR; 0\.00 EUR is refundable"):
        refunded(order, RefundLine("line-1", 1, R.CANCEL))


def test_a_refund_is_taken_from_the_latest_payments_first() -> None:
    draft = make_draft()
    order = make_order(draft)
    order = record(order, PaymentReport(kind=TransactionKind.SALE, amount=eur("50.00")), "t-1")
    order = record(order, PaymentReport(kind=TransactionKind.SALE, amount=eur("12.00")), "t-2")

    change = refunded(order, RefundLine("line-1", 2, R.CANCEL))  # 40.00 + 7.00 * 4000/5500

    parts = [
        (tx.parent_id, tx.amount)
        for tx in change.order.transactions
        if tx.kind is TransactionKind.REFUND
    ]
    # VAT 700 cents by 4000 : 1500 -> 509 (rem 500) and 190 (rem 5000), + 1 -> 509, 191
    assert parts == [("t-2", eur("12.00")), ("t-1", eur("33.09"))]


# -- what a staff screen shows --------------------------------------------------------------------


def test_the_suggestion_shows_the_refund_and_the_most_that_may_still_be_refunded() -> None:
    order = settled(refunded(a_and_b(), RefundLine("A", 1), shipping=eur("5.00")))

    suggested = suggested_refund(order, [RefundLine("B", 1)], shipping=eur("1.00"))

    # B 8.99 + VAT 1.05; shipping 1.00 with VAT share(1.75, 600/1500) - share(500/1500)
    # = 0.70 - 0.58 = 0.12
    assert (suggested.subtotal, suggested.tax, suggested.total) == (
        eur("8.99"),
        eur("1.17"),
        eur("11.16"),
    )
    assert suggested.most == (
        Refundable(line_item_id="A", quantity=1, amount=eur("20.10")),
        Refundable(line_item_id="B", quantity=1, amount=eur("10.04")),
    )
    assert (suggested.most_shipping, suggested.refundable) == (eur("10.00"), eur("41.31"))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda o: refunded(o), InvalidQuantity, "nothing to refund"),
        (lambda o: refunded(o, RefundLine("nope", 1)), UnknownLineItem, "no line item 'nope'"),
        (lambda o: refunded(o, reason="damaged"), TypeError, "must be a RefundReason"),
        (lambda o: refunded(o, "line-1"), TypeError, "must hold RefundLine items, got str"),
        (
            lambda o: refund_lines(
                o,
                RefundLine("line-1", 1),
                reason=RefundReason.OTHER,
                new_id=ids(),
                now=EPOCH,
                actor=STAFF,
            ),
            TypeError,
            "iterable of RefundLine",
        ),
        (lambda o: refunded(o, shipping=Money("1.00", "USD")), Exception, "not in EUR"),
        (lambda o: refunded(o, shipping=1), TypeError, "'shipping' must be Money"),
    ],
)
def test_invalid_requests_are_refused(call: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call(paid(make_order()))  # type: ignore[operator]


# -- cancelling what has not shipped ------------------------------------------------------------


def cancelled_rest(order: Order) -> Change:
    return cancel_unfulfilled(order, note="sold out", new_id=NEW_ID, now=EPOCH, actor=STAFF)


def test_on_a_paid_order_what_has_not_shipped_is_cancelled_and_refunded() -> None:
    order = shipped(paid(make_order()), 1)  # 1 of line-1's 2 units shipped

    change = cancelled_rest(order)

    # the unit: 20.00 and half the line's 5.09 VAT, 2.55: 22.55 back
    (refund,) = change.order.refunds
    (line,) = refund.lines
    assert (line.quantity, line.removed, line.restock_type, line.location_id) == (
        1,
        1,
        R.CANCEL,
        "default",
    )
    (tx,) = [t for t in change.order.transactions if t.kind is TransactionKind.REFUND]
    assert (tx.amount, tx.notify_customer) == (eur("22.55"), False)  # the cancellation tells
    assert fulfillment_status(change.order) == "fulfilled"
    assert [type(e).__name__ for e in change.events] == [
        "FulfillmentOrderSplit",
        "FulfillmentOrderCancelled",
        "LinesCancelled",
        "OrderFulfilled",  # what remains is fulfilled: a capture on fulfillment may follow
        "PaymentRequested",
    ]
    assert balance(settled(change)) == eur("0.00")
    assert settled(change).current_total == eur("39.45")


def test_on_an_authorized_order_the_rest_is_not_refunded_the_capture_takes_less() -> None:
    order = shipped(record(make_order(), authorization(eur("62.00"))), 1)

    change = cancelled_rest(order)

    assert not [t for t in change.order.transactions if t.kind is not TransactionKind.AUTHORIZATION]
    (cancelled,) = [e for e in change.events if isinstance(e, LinesCancelled)]
    assert cancelled.refund == eur("0.00")
    assert ledger.still_to_capture(change.order) == eur("39.45")
    capture = payments.request_capture(change.order, new_id=NEW_ID, now=EPOCH, actor=STAFF)
    assert capture.order.transactions[-1].amount == eur("39.45")  # less, not a void


def test_what_was_paid_beyond_the_new_total_is_refunded_and_the_rest_owed() -> None:
    order = make_order()
    order = record(order, PaymentReport(kind=TransactionKind.SALE, amount=eur("50.00")))
    change = cancelled_rest(shipped(order, 1))

    # 39.45 now owed, 50.00 paid: 10.55 back
    assert change.order.transactions[-1].amount == eur("10.55")
    assert balance(settled(change)) == eur("0.00")


def test_an_authorization_no_longer_needed_is_released() -> None:
    order = make_order()
    order = record(order, PaymentReport(kind=TransactionKind.SALE, amount=eur("39.45")), "t-1")
    order = record(order, authorization(eur("22.55"), "auth-2"), "t-2")

    change = cancelled_rest(shipped(order, 1))

    void = change.order.transactions[-1]
    assert (void.kind, void.parent_id, void.amount) == (TransactionKind.VOID, "t-2", eur("22.55"))


@pytest.mark.parametrize(
    ("prepare", "error", "match"),
    [
        (lambda o: o, InvalidTransition, "nothing has shipped: cancel the order instead"),
        (lambda o: shipped(o, 2), OverRefund, "every unit is fulfilled or refunded"),
    ],
)
def test_cancelling_the_rest_needs_a_partly_shipped_order(
    prepare: object, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        cancelled_rest(prepare(paid(make_order())))  # type: ignore[operator]


def test_cancelling_the_rest_waits_for_a_capture_in_flight() -> None:
    order = shipped(record(make_order(), authorization(eur("62.00"))), 1)
    capturing = payments.request_capture(order, new_id=NEW_ID, now=EPOCH, actor=STAFF).order

    with pytest.raises(PaymentError, match="is in flight: cancel what has not shipped once"):
        cancelled_rest(capturing)
