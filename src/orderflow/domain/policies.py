"""The store's choices, as frozen objects passed in: capture, fulfillment and archiving.

:func:`follow` applies them after every command, as the ``SYSTEM`` actor, so an automatic
step is an ordinary change on the timeline and in the outbox.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime, timedelta

import attrs

from orderflow.domain._fields import instance_of
from orderflow.domain._revise import revised
from orderflow.domain.actor import SYSTEM
from orderflow.domain.archive import archive
from orderflow.domain.cancellation import refund_taken
from orderflow.domain.events import (
    FulfillmentOpened,
    FulfillmentReleased,
    OrderEvent,
    OrderFulfilled,
    OrderPlaced,
    OrderUnarchived,
    PaymentAuthorized,
    PaymentCaptured,
    PaymentFailed,
)
from orderflow.domain.financial import balance, financial_status
from orderflow.domain.fulfilling import fulfill
from orderflow.domain.fulfillment import DeliveryMethod, LineQuantity
from orderflow.domain.fulfillment_status import fulfillment_status, remaining
from orderflow.domain.ledger import by_expiry, capturable, open_authorizations, still_to_capture
from orderflow.domain.lines import LineItem
from orderflow.domain.money import Money
from orderflow.domain.order import Change, Order
from orderflow.domain.payments import NewId, capture_from, void_surplus
from orderflow.domain.service_requests import submit
from orderflow.domain.transaction import Transaction, TransactionKind


class CaptureMode(str, enum.Enum):
    AUTOMATIC = "automatic"
    """Capture as soon as the payment is authorized (at checkout)."""
    ON_FULFILLMENT = "on_fulfillment"
    """Capture when the whole order is fulfilled."""
    MANUAL = "manual"


class FulfillmentMode(str, enum.Enum):
    MANUAL = "manual"
    AUTOMATIC = "automatic"
    DIGITAL_ONLY = "digital_only"
    """Fulfil digital goods and gift cards automatically, the rest by hand."""


@attrs.frozen
class CapturePolicy:
    mode: CaptureMode = attrs.field(default=CaptureMode.MANUAL, validator=instance_of(CaptureMode))


Exclusion = Callable[[Order, LineItem], bool]


@attrs.frozen
class FulfillmentPolicy:
    """Which lines orderflow fulfils by itself, once the payment allows it.

    Never pre-orders, local pickups, lines needing manual review, held lines or cancelled
    orders; ``exclude`` lets the host keep more lines for a person.
    """

    mode: FulfillmentMode = attrs.field(
        default=FulfillmentMode.MANUAL, validator=instance_of(FulfillmentMode)
    )
    exclude: Exclusion | None = None


@attrs.frozen
class ArchivePolicy:
    """Archive by itself a finished order: fulfilled and paid, or fully refunded.

    ``delay`` waits after the last payment or fulfillment fact (``run_due`` does it);
    ``include_cancelled`` archives cancelled orders once nothing is owed either way.
    """

    automatic: bool = attrs.field(default=False, validator=instance_of(bool))
    delay: timedelta = attrs.field(default=timedelta(0), validator=instance_of(timedelta))
    include_cancelled: bool = attrs.field(default=False, validator=instance_of(bool))


@attrs.frozen
class Policies:
    capture: CapturePolicy = CapturePolicy()
    fulfillment: FulfillmentPolicy = FulfillmentPolicy()
    archive: ArchivePolicy = ArchivePolicy()


FULFILLMENT_TRIGGERS = (
    OrderPlaced,
    PaymentAuthorized,
    PaymentCaptured,
    FulfillmentReleased,
    FulfillmentOpened,
    OrderUnarchived,
)
"""Events after which automatic fulfillment looks again (not, say, a cancelled fulfillment)."""


def follow(
    order: Order,
    events: tuple[OrderEvent, ...],
    policies: Policies,
    *,
    new_id: NewId,
    now: datetime,
) -> Change:
    """What the policies do after a change made of ``events``: capture, fulfil, release the
    authorizations no longer needed, refund what a cancelled order takes late, archive."""
    change = Change(order)
    if order.status == "cancelled":  # money that comes in after the cancellation goes back
        if _money_moved(events):
            change = change.then(void_surplus(order, new_id=new_id, now=now, actor=SYSTEM))
        if _any(events, PaymentCaptured):
            change = change.then(refund_taken(change.order, new_id=new_id, now=now, actor=SYSTEM))
        return change.then(_archive(change.order, policies.archive, now))
    mode = policies.capture.mode
    if mode is CaptureMode.AUTOMATIC and (_any(events, PaymentAuthorized) or _declined(events)):
        change = change.then(_capture(change.order, new_id, now))
    automatic = policies.fulfillment.mode is not FulfillmentMode.MANUAL
    if (
        automatic
        and _any(events, FULFILLMENT_TRIGGERS)
        and _payment_allows_fulfilling(change.order, mode)
    ):
        change = change.then(_fulfil(change.order, policies.fulfillment, new_id, now))
    if mode is CaptureMode.ON_FULFILLMENT and (
        _any(events + change.events, OrderFulfilled)
        or (fulfillment_status(change.order) == "fulfilled" and _money_moved(events))
    ):
        change = change.then(_capture(change.order, new_id, now))
    if _money_moved(events + change.events):
        change = change.then(void_surplus(change.order, new_id=new_id, now=now, actor=SYSTEM))
    return change.then(_archive(change.order, policies.archive, now))


def _any(events: tuple[OrderEvent, ...], kinds: type | tuple[type, ...]) -> bool:
    return any(isinstance(event, kinds) for event in events)


def _money_moved(events: tuple[OrderEvent, ...]) -> bool:
    """Funds were held or taken, or a capture declined: the ledger may call for a capture
    or a void. (A failed refund or void calls for nothing: a person decides, so a policy
    never asks again and again.)"""
    return _any(events, (PaymentAuthorized, PaymentCaptured)) or _declined(events)


def _declined(events: tuple[OrderEvent, ...]) -> bool:
    """A capture failed: another authorization may give what it could not."""
    return any(isinstance(e, PaymentFailed) and e.kind is TransactionKind.CAPTURE for e in events)


def _sources(order: Order) -> tuple[Transaction, ...]:
    """The authorizations a policy captures from, soonest to expire first: not one whose
    capture was declined (a person decides whether to try it again)."""
    declined = {
        tx.parent_id
        for tx in order.transactions
        if tx.kind is TransactionKind.CAPTURE and tx.status == "failed"
    }
    return tuple(a for a in by_expiry(open_authorizations(order)) if a.id not in declined)


def _held(order: Order) -> Money:
    return Money.total((capturable(order, a) for a in _sources(order)), order.currency)


def _payment_allows_fulfilling(order: Order, mode: CaptureMode) -> bool:
    """Paid; or, when capture waits for fulfillment, what is still to capture is held."""
    if financial_status(order) == "paid":
        return True
    if mode is not CaptureMode.ON_FULFILLMENT:
        return False
    return still_to_capture(order) <= _held(order)


def _capture(order: Order, new_id: NewId, now: datetime) -> Change:
    """Capture what is still to capture, from the authorizations that can give it."""
    amount = min(still_to_capture(order), _held(order))
    if not amount.is_positive():
        return Change(order)
    return capture_from(order, _sources(order), amount, new_id=new_id, now=now, actor=SYSTEM)


def automatic_lines(order: Order, policy: FulfillmentPolicy) -> dict[str, tuple[LineQuantity, ...]]:
    """Per fulfillment order, the quantities the policy takes by itself right now: to fulfil,
    or to request from the location's fulfillment service (never requested twice)."""
    if policy.mode is FulfillmentMode.MANUAL or order.archive_status == "archived":
        return {}
    chosen = {}
    for fo in order.fulfillment_orders:
        if (
            fo.status != "open"
            or fo.holds
            or fo.delivery_method is DeliveryMethod.PICK_UP
            or fo.request
        ):
            continue
        lines = tuple(
            q
            for q in remaining(order, fo)
            if _automatic(order, order.line_item(q.line_item_id), policy)
        )
        if lines:
            chosen[fo.id] = lines
    return chosen


def _automatic(order: Order, line: LineItem, policy: FulfillmentPolicy) -> bool:
    if line.pre_order is not None or line.requires_manual_review:
        return False
    if (
        policy.mode is FulfillmentMode.DIGITAL_ONLY
        and line.requires_shipping
        and not line.gift_card
    ):
        return False
    return policy.exclude is None or not policy.exclude(order, line)


def _fulfil(order: Order, policy: FulfillmentPolicy, new_id: NewId, now: datetime) -> Change:
    change = Change(order)
    for fo_id, lines in automatic_lines(order, policy).items():
        if order.fulfillment_order(fo_id).location.fulfillment_service is None:
            step = fulfill(change.order, fo_id, lines, new_id=new_id, now=now, actor=SYSTEM)
        else:
            step = submit(change.order, fo_id, lines, new_id=new_id, now=now, actor=SYSTEM)
        change = change.then(step)
    return change


def archive_due_at(order: Order, policy: ArchivePolicy) -> datetime | None:
    """When the archive policy archives ``order`` (``None``: it does not)."""
    if not policy.automatic or order.archive_status == "archived" or order.keep_active:
        return None
    settled = balance(order).is_zero()  # nothing owed, no refund due, whatever came before
    if order.status == "cancelled":
        finished = policy.include_cancelled and settled
    else:
        finished = settled and (
            financial_status(order) == "refunded" or fulfillment_status(order) == "fulfilled"
        )
    if not finished:
        return None
    facts = [
        order.placed_at,
        order.cancelled_at,
        *(t.processed_at for t in order.transactions),
        *(f.cancelled_at or f.created_at for f in order.fulfillments),
    ]
    return max(t for t in facts if t is not None) + policy.delay


def _archive(order: Order, policy: ArchivePolicy, now: datetime) -> Change:
    """Archive now, or note when to (``run_due`` comes back then), or forget a plan."""
    due = archive_due_at(order, policy)
    if due is not None and due <= now:
        return archive(revised(order, archive_at=None), now=now, actor=SYSTEM)
    if due != order.archive_at:
        return Change(revised(order, archive_at=due))
    return Change(order)
