"""Policies in the domain: which lines fulfil themselves, when capture follows, when an
order archives itself. ``follow`` is what the service runs after every command.

``make_draft()`` costs 62.00 EUR (2 x 20.00 + 15.00 shipping + 7.00 tax) in one shipping
fulfillment order ``ord-1-fo1``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import attrs
import pytest

from orderflow.domain import fulfilling, holds
from orderflow.domain.actor import SYSTEM
from orderflow.domain.archive import archive, unarchive
from orderflow.domain.cancellation import cancel
from orderflow.domain.events import (
    FulfillmentCreated,
    OrderArchived,
    OrderFulfilled,
    PaymentCaptured,
    PaymentRequested,
)
from orderflow.domain.financial import balance, financial_status
from orderflow.domain.fulfillment import DeliveryMethod, HoldReason, LineQuantity
from orderflow.domain.fulfillment_status import fulfillment_status
from orderflow.domain.lines import LineItem
from orderflow.domain.order import CancelReason, Change, Order
from orderflow.domain.policies import (
    ArchivePolicy,
    CaptureMode,
    CapturePolicy,
    FulfillmentMode,
    FulfillmentPolicy,
    Policies,
    archive_due_at,
    automatic_lines,
    follow,
)
from orderflow.domain.settlement import GatewayResult, PaymentReport, settle
from orderflow.domain.transaction import TransactionKind
from orderflow.testing import (
    EPOCH,
    GATEWAY,
    STAFF,
    SequentialIds,
    authorization,
    eur,
    make_draft,
    make_line,
    make_order,
    sale,
)

from .helpers import recording

LATER = EPOCH + timedelta(hours=2)
FO = "ord-1-fo1"
AUTOMATIC = FulfillmentPolicy(FulfillmentMode.AUTOMATIC)
DIGITAL_ONLY = FulfillmentPolicy(FulfillmentMode.DIGITAL_ONLY)


def mixed() -> Order:
    """fo1 ships ``plain`` (2), ``review`` (manual review) and ``card`` (a physical gift
    card); fo2 is the pre-order ``pre``; fo3 the pickup ``pick``; fo4 the e-book ``ebook``."""
    return make_order(
        make_draft(
            make_line("plain", quantity=2),
            make_line("pre", pre_order=date(2026, 3, 1)),
            make_line("pick", delivery_method=DeliveryMethod.PICK_UP),
            make_line("review", requires_manual_review=True),
            make_line("ebook", requires_shipping=False),
            make_line("card", gift_card=True),
        )
    )


IDS = SequentialIds("s")


def ids() -> SequentialIds:
    """One generator for the module, so ids never repeat within an order."""
    return IDS


def policies(
    capture: CaptureMode = CaptureMode.MANUAL,
    fulfillment: FulfillmentMode = FulfillmentMode.AUTOMATIC,
    archive_policy: ArchivePolicy | None = None,
) -> Policies:
    return Policies(
        capture=CapturePolicy(capture),
        fulfillment=FulfillmentPolicy(fulfillment),
        archive=archive_policy or ArchivePolicy(),
    )


def then_follow(change: Change, chosen: Policies, now: datetime = EPOCH) -> Change:
    """``change`` followed by what the policies do about it, as the service chains them."""
    return change.then(follow(change.order, change.events, chosen, new_id=ids().new_id, now=now))


def fulfilled_lines(order: Order) -> list[LineQuantity]:
    return [line for f in order.fulfillments if f.active for line in f.lines]


# -- which lines fulfil themselves -----------------------------------------------------------


def test_manual_fulfillment_fulfils_nothing_by_itself() -> None:
    assert automatic_lines(mixed(), FulfillmentPolicy()) == {}


def test_automatic_fulfillment_skips_pre_orders_pickups_and_lines_needing_review() -> None:
    assert automatic_lines(mixed(), AUTOMATIC) == {
        "ord-1-fo1": (LineQuantity("plain", 2), LineQuantity("card", 1)),
        "ord-1-fo4": (LineQuantity("ebook", 1),),
    }


def test_automatic_fulfillment_skips_held_lines() -> None:
    order = holds.hold(
        mixed(),
        "ord-1-fo1",
        HoldReason.HIGH_RISK_OF_FRAUD,
        lines=[LineQuantity("card", 1)],
        new_id=ids().new_id,
        now=EPOCH,
        actor=STAFF,
    ).order

    assert automatic_lines(order, AUTOMATIC) == {
        "ord-1-fo1": (LineQuantity("plain", 2),),
        "ord-1-fo4": (LineQuantity("ebook", 1),),
    }


def test_digital_only_fulfils_only_digital_goods_and_gift_cards() -> None:
    assert automatic_lines(mixed(), DIGITAL_ONLY) == {
        "ord-1-fo1": (LineQuantity("card", 1),),
        "ord-1-fo4": (LineQuantity("ebook", 1),),
    }


def test_a_host_predicate_keeps_more_lines_for_a_person() -> None:
    def engraved(order: Order, line: LineItem) -> bool:
        return line.id == "plain"

    policy = FulfillmentPolicy(FulfillmentMode.AUTOMATIC, exclude=engraved)

    assert automatic_lines(mixed(), policy) == {
        "ord-1-fo1": (LineQuantity("card", 1),),
        "ord-1-fo4": (LineQuantity("ebook", 1),),
    }


def test_automatic_fulfillment_takes_only_what_remains() -> None:
    order = fulfilling.fulfill(
        mixed(),
        "ord-1-fo1",
        [LineQuantity("plain", 1)],
        new_id=ids().new_id,
        now=EPOCH,
        actor=STAFF,
    ).order

    assert automatic_lines(order, AUTOMATIC)["ord-1-fo1"] == (
        LineQuantity("plain", 1),
        LineQuantity("card", 1),
    )


def test_an_archived_order_fulfils_nothing_by_itself() -> None:
    order = archive(mixed(), now=EPOCH, actor=STAFF).order

    assert automatic_lines(order, AUTOMATIC) == {}


def test_policies_refuse_values_of_the_wrong_kind() -> None:
    with pytest.raises(TypeError):
        CapturePolicy("automatic")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        FulfillmentPolicy("automatic")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ArchivePolicy(automatic=True, delay=3600)  # type: ignore[arg-type]


def test_the_default_policies_capture_fulfil_and_archive_by_hand() -> None:
    assert Policies() == Policies(
        CapturePolicy(CaptureMode.MANUAL),
        FulfillmentPolicy(FulfillmentMode.MANUAL),
        ArchivePolicy(),
    )
    assert ArchivePolicy() == ArchivePolicy(
        automatic=False, delay=timedelta(0), include_cancelled=False
    )


# -- follow: capture and fulfil after a change -----------------------------------------------


def authorized_change(amount: str = "62.00") -> Change:
    return recording(make_order(), authorization(eur(amount)), "auth-1")


def test_a_paid_order_is_fulfilled_by_itself_under_automatic_fulfillment() -> None:
    change = then_follow(recording(make_order(), sale(eur("62.00"))), policies())

    assert fulfilled_lines(change.order) == [LineQuantity("line-1", 2)]
    created = [e for e in change.events if isinstance(e, FulfillmentCreated)]
    assert [e.actor for e in created] == [SYSTEM]
    assert fulfillment_status(change.order) == "fulfilled"


def test_a_paid_order_is_not_fulfilled_by_itself_under_manual_fulfillment() -> None:
    paid = recording(make_order(), sale(eur("62.00")))

    change = then_follow(paid, policies(fulfillment=FulfillmentMode.MANUAL))

    assert change == paid


def test_an_authorized_only_payment_fulfils_nothing_under_manual_capture() -> None:
    authorized = authorized_change()

    change = then_follow(authorized, policies(CaptureMode.MANUAL))

    assert change == authorized


def test_automatic_capture_requests_the_capture_at_once_and_waits_for_it_to_fulfil() -> None:
    change = then_follow(authorized_change(), policies(CaptureMode.AUTOMATIC))

    capture = change.order.transactions[-1]
    assert (capture.kind, capture.status, capture.amount) == (
        TransactionKind.CAPTURE,
        "pending",
        eur("62.00"),
    )
    assert isinstance(change.events[-1], PaymentRequested)
    assert change.order.fulfillments == ()

    settled = settle(
        change.order,
        capture.id,
        GatewayResult(succeeded=True),
        new_id=SequentialIds("late").new_id,
        now=LATER,
        actor=SYSTEM,
    )
    assert [type(e) for e in settled.events] == [PaymentCaptured]

    after = then_follow(settled, policies(CaptureMode.AUTOMATIC), LATER)
    assert fulfilled_lines(after.order) == [LineQuantity("line-1", 2)]


def test_capture_on_fulfillment_fulfils_under_a_covering_authorization_then_captures() -> None:
    change = then_follow(authorized_change(), policies(CaptureMode.ON_FULFILLMENT))

    assert fulfilled_lines(change.order) == [LineQuantity("line-1", 2)]
    kinds = [type(e) for e in change.events]
    assert kinds.index(OrderFulfilled) < kinds.index(PaymentRequested)
    capture = change.order.transactions[-1]
    assert (capture.kind, capture.amount, capture.parent_id) == (
        TransactionKind.CAPTURE,
        eur("62.00"),
        "auth-1",
    )


def test_capture_on_fulfillment_fulfils_nothing_when_the_authorization_falls_short() -> None:
    authorized = authorized_change("50.00")

    change = then_follow(authorized, policies(CaptureMode.ON_FULFILLMENT))

    assert change == authorized


def test_capture_on_fulfillment_waits_for_the_last_line_before_capturing() -> None:
    order = make_order(
        make_draft(make_line("plain"), make_line("review", requires_manual_review=True))
    )
    chosen = policies(CaptureMode.ON_FULFILLMENT)
    total = order.total
    assert total == eur("62.00")  # 20.00 + 20.00 + 15.00 + 7.00

    first = then_follow(recording(order, authorization(total), "auth-1"), chosen)
    assert fulfilled_lines(first.order) == [LineQuantity("plain", 1)]
    assert [tx.kind for tx in first.order.transactions] == [TransactionKind.AUTHORIZATION]

    last = then_follow(
        fulfilling.fulfill(first.order, FO, new_id=ids().new_id, now=LATER, actor=STAFF),
        chosen,
        LATER,
    )
    assert fulfillment_status(last.order) == "fulfilled"
    capture = last.order.transactions[-1]
    assert (capture.kind, capture.status, capture.amount) == (
        TransactionKind.CAPTURE,
        "pending",
        eur("62.00"),
    )


def test_a_cancelled_fulfillment_is_not_fulfilled_again_by_itself() -> None:
    chosen = policies()
    order = then_follow(recording(make_order(), sale(eur("62.00"))), chosen).order
    cancelled = fulfilling.cancel_fulfillment(
        order, order.fulfillments[0].id, now=LATER, actor=STAFF
    )

    change = then_follow(cancelled, chosen, LATER)

    assert change == cancelled
    assert fulfillment_status(change.order) == "unfulfilled"


def test_releasing_the_last_hold_of_a_paid_order_fulfils_it_by_itself() -> None:
    chosen = policies()
    order = holds.hold(
        make_order(), FO, HoldReason.OTHER, new_id=ids().new_id, now=EPOCH, actor=STAFF
    ).order
    order = then_follow(recording(order, sale(eur("62.00"))), chosen).order
    assert order.fulfillments == ()

    hold_id = order.fulfillment_order(FO).holds[0].id
    change = then_follow(holds.release(order, FO, hold_id, now=LATER, actor=STAFF), chosen, LATER)

    assert fulfilled_lines(change.order) == [LineQuantity("line-1", 2)]


def test_nothing_is_fulfilled_or_captured_on_a_cancelled_order() -> None:
    authorized = authorized_change()
    cancelled = cancel(
        authorized.order, CancelReason.FRAUD, new_id=ids().new_id, now=EPOCH, actor=STAFF
    )

    change = then_follow(cancelled, policies(CaptureMode.ON_FULFILLMENT))

    assert change == cancelled


# -- when an order archives itself -----------------------------------------------------------


def paid_and_fulfilled() -> Order:
    """Sold at EPOCH, fulfilled at LATER."""
    order = recording(make_order(), sale(eur("62.00"))).order
    return fulfilling.fulfill(order, FO, new_id=ids().new_id, now=LATER, actor=STAFF).order


def refunded(order: Order, amount: str = "62.00") -> Order:
    report = PaymentReport(
        kind=TransactionKind.REFUND, amount=eur(amount), parent_reference="sale-ref"
    )
    return recording(order, report, "refund-1").order


ARCHIVE = ArchivePolicy(automatic=True)


def test_no_archiving_without_an_automatic_archive_policy() -> None:
    assert archive_due_at(paid_and_fulfilled(), ArchivePolicy()) is None


def test_a_fulfilled_and_paid_order_is_due_at_its_last_fact_plus_the_delay() -> None:
    policy = ArchivePolicy(automatic=True, delay=timedelta(days=2))

    assert archive_due_at(paid_and_fulfilled(), policy) == LATER + timedelta(days=2)


def test_a_paid_order_not_yet_fulfilled_is_not_due() -> None:
    assert archive_due_at(recording(make_order(), sale(eur("62.00"))).order, ARCHIVE) is None


def test_a_fulfilled_order_not_yet_paid_is_not_due() -> None:
    order = fulfilling.fulfill(make_order(), FO, new_id=ids().new_id, now=EPOCH, actor=STAFF).order

    assert archive_due_at(order, ARCHIVE) is None


def test_a_fully_refunded_order_is_due_even_unfulfilled() -> None:
    order = refunded(recording(make_order(), sale(eur("62.00"))).order)

    assert archive_due_at(order, ARCHIVE) == EPOCH


def test_a_partly_refunded_unfulfilled_order_is_not_due() -> None:
    order = refunded(recording(make_order(), sale(eur("62.00"))).order, "10.00")

    assert archive_due_at(order, ARCHIVE) is None


def test_a_fulfilled_order_paid_in_full_then_partly_refunded_is_due() -> None:
    # 62.00 sold, 10.00 refunded as a goodwill gesture: it lowers what is owed to 52.00,
    # so the balance is 52.00 - (62.00 - 10.00) = 0.00 and nothing is owed either way
    order = refunded(paid_and_fulfilled(), "10.00")

    assert (financial_status(order), balance(order)) == ("partially_refunded", eur("0.00"))
    assert archive_due_at(order, ARCHIVE) == LATER


def test_a_fulfilled_order_overpaid_is_not_due_while_its_refund_is_owed() -> None:
    order = recording(make_order(), sale(eur("70.00"))).order  # 8.00 more than the 62.00
    order = fulfilling.fulfill(order, FO, new_id=ids().new_id, now=LATER, actor=STAFF).order

    assert (financial_status(order), balance(order)) == ("paid", eur("-8.00"))
    assert archive_due_at(order, ARCHIVE) is None
    # refunding the 8.00 returns an overpayment: the total stays 62.00, the balance 0.00
    assert archive_due_at(refunded(order, "8.00"), ARCHIVE) == LATER


def test_a_cancelled_order_is_due_only_when_cancelled_orders_are_included() -> None:
    order = cancel(make_order(), CancelReason.CUSTOMER, new_id=ids().new_id, now=LATER, actor=STAFF)

    assert archive_due_at(order.order, ARCHIVE) is None
    assert archive_due_at(order.order, attrs.evolve(ARCHIVE, include_cancelled=True)) == LATER


def test_a_cancelled_order_with_money_still_to_return_is_not_due() -> None:
    paid = recording(make_order(), sale(eur("62.00"))).order
    order = cancel(paid, CancelReason.CUSTOMER, new_id=ids().new_id, now=LATER, actor=STAFF).order

    assert archive_due_at(order, ArchivePolicy(automatic=True, include_cancelled=True)) is None


def test_an_order_staff_unarchived_is_never_due_again() -> None:
    order = archive(paid_and_fulfilled(), now=LATER, actor=STAFF).order
    assert archive_due_at(order, ARCHIVE) is None

    order = unarchive(order, now=LATER, actor=STAFF).order

    assert archive_due_at(order, ARCHIVE) is None


def test_follow_archives_a_finished_order_at_once_without_delay() -> None:
    order = recording(make_order(), sale(eur("62.00"))).order
    fulfilled = fulfilling.fulfill(order, FO, new_id=ids().new_id, now=LATER, actor=STAFF)

    change = then_follow(
        fulfilled, policies(fulfillment=FulfillmentMode.MANUAL, archive_policy=ARCHIVE), LATER
    )

    assert (change.order.archive_status, change.order.archived_at) == ("archived", LATER)
    assert isinstance(change.events[-1], OrderArchived)
    assert change.events[-1].actor == SYSTEM


def test_follow_plans_a_delayed_archiving_instead_of_archiving() -> None:
    order = recording(make_order(), sale(eur("62.00"))).order
    fulfilled = fulfilling.fulfill(order, FO, new_id=ids().new_id, now=LATER, actor=STAFF)
    policy = ArchivePolicy(automatic=True, delay=timedelta(days=1))

    change = then_follow(
        fulfilled, policies(fulfillment=FulfillmentMode.MANUAL, archive_policy=policy), LATER
    )

    assert (change.order.archive_status, change.order.archive_at) == (
        "active",
        LATER + timedelta(days=1),
    )
    assert change.events == fulfilled.events


def test_follow_forgets_a_planned_archiving_when_the_order_is_no_longer_finished() -> None:
    policy = ArchivePolicy(automatic=True, delay=timedelta(days=1))
    chosen = policies(fulfillment=FulfillmentMode.MANUAL, archive_policy=policy)
    order = then_follow(Change(paid_and_fulfilled()), chosen, LATER).order
    assert order.archive_at == LATER + timedelta(days=1)

    change = then_follow(
        fulfilling.cancel_fulfillment(order, order.fulfillments[0].id, now=LATER, actor=STAFF),
        chosen,
        LATER,
    )

    assert change.order.archive_at is None


def test_automatic_steps_after_a_reported_payment_are_taken_by_the_system() -> None:
    """The gateway reported the sale; fulfilling and archiving are the system's doing."""
    change = then_follow(
        recording(make_order(), sale(eur("62.00"))), policies(archive_policy=ARCHIVE)
    )

    assert {e.actor for e in change.events[1:]} == {SYSTEM}
    assert change.events[0].actor == GATEWAY
    assert change.order.archive_status == "archived"
