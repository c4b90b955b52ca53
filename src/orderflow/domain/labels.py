"""Shipping labels: bought and voided through the label provider port, via the outbox.

Buying records a pending label (an intent); the provider's answer, recorded afterwards,
sets the tracking and a ``label_purchased`` carrier event. Voiding clears them again.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from orderflow.domain._fields import BOOL, OPTIONAL_TEXT, instance_of, optional
from orderflow.domain._revise import revised
from orderflow.domain.actor import Actor
from orderflow.domain.events import (
    LabelEvent,
    LabelFailed,
    LabelPurchased,
    LabelRequested,
    LabelVoided,
)
from orderflow.domain.fulfillment import (
    Fulfillment,
    Label,
    Parcel,
    ShipmentEvent,
    ShipmentStatus,
    Tracking,
)
from orderflow.domain.holds import require_workable
from orderflow.domain.limits import MAX_TRACKING, TRACKING_NUMBER, URL, TextRule
from orderflow.domain.order import Change, Order, fresh
from orderflow.domain.payments import NewId
from orderflow.errors import InvalidText, InvalidTransition

LABEL_EVENTS = (ShipmentStatus.LABEL_PURCHASED, ShipmentStatus.LABEL_PRINTED)


@attrs.frozen(kw_only=True)
class LabelResult:
    """The provider's answer to a purchase: the label, or why not."""

    succeeded: bool = attrs.field(validator=BOOL)
    tracking_number: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    tracking_url: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    document: bytes | None = attrs.field(default=None, validator=optional(instance_of(bytes)))
    media_type: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    error: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)


def _label_ids(order: Order) -> list[str]:
    return [f.label.id for f in order.fulfillments if f.label is not None]


def _fulfillment(order: Order, fulfillment_id: str) -> Fulfillment:
    fulfillment = order.fulfillment(fulfillment_id)
    if not fulfillment.active:
        raise InvalidTransition(f"{order}: fulfillment {fulfillment.id} is cancelled")
    return fulfillment


def _current(order: Order, fulfillment_id: str, label_id: str) -> tuple[Fulfillment, Label]:
    """The label an answer is about, on a fulfillment cancelled or not."""
    fulfillment = order.fulfillment(fulfillment_id)
    label = fulfillment.label
    if label is None or label.id != label_id:
        raise InvalidTransition(
            f"{order}: label {label_id!r} is not the current label of fulfillment {fulfillment.id}"
        )
    return fulfillment, label


def _event(
    kind: type[LabelEvent],
    order: Order,
    f: Fulfillment,
    label: Label,
    now: datetime,
    actor: Actor,
    **facts: object,
) -> LabelEvent:
    return kind(
        order_id=order.id,
        at=now,
        actor=actor,
        fulfillment_order_id=f.fulfillment_order_id,
        fulfillment_id=f.id,
        label_id=label.id,
        carrier=label.carrier,
        **facts,
    )


def buy(
    order: Order,
    fulfillment_id: str,
    *,
    carrier: str,
    service_level: str,
    parcel: Parcel,
    new_id: NewId,
    now: datetime,
    actor: Actor,
) -> Change:
    """Decide to buy a label for a fulfillment (a failed or voided one may be replaced)."""
    if not isinstance(parcel, Parcel):
        raise TypeError(f"'parcel' must be a Parcel, got {type(parcel).__name__}")
    require_workable(order, "buy a label")
    fulfillment = _fulfillment(order, fulfillment_id)
    if fulfillment.label is not None and fulfillment.label.status not in ("failed", "voided"):
        raise InvalidTransition(
            f"{order}: fulfillment {fulfillment.id} already has a label ({fulfillment.label.status})"
        )
    label_id = fresh(order, new_id(), _label_ids(order), "label")
    label = Label(
        id=label_id, carrier=carrier, service_level=service_level, parcel=parcel, requested_at=now
    )
    order = order.with_fulfillment(revised(fulfillment, label=label))
    return Change(order, (_event(LabelRequested, order, fulfillment, label, now, actor),))


def record_purchase(
    order: Order,
    fulfillment_id: str,
    label_id: str,
    result: LabelResult,
    *,
    now: datetime,
    actor: Actor,
) -> Change:
    """The provider's answer: the label's tracking joins the fulfillment's, with a
    ``label_purchased`` carrier event. Never refused for a reason of orderflow's own: an
    answer to a label whose void was asked since is kept on the label for the void (the
    fulfillment was cancelled), a repeated answer changes nothing, and a tracking number or
    URL the input rules refuse stays on the label only, never shown to the customer."""
    fulfillment, label = _current(order, fulfillment_id, label_id)
    if label.status == "void_requested" and label.tracking_number is None and result.succeeded:
        known = revised(
            label,
            tracking_number=result.tracking_number,
            tracking_url=result.tracking_url,
            document=result.document,
            media_type=result.media_type,
        )
        return Change(order.with_fulfillment(revised(fulfillment, label=known)))
    if label.status != "pending":
        return Change(order)  # answered already
    if not result.succeeded or not result.tracking_number:
        failed = label.moved(
            "fail", within=order, error=result.error or "no tracking number returned"
        )
        order = order.with_fulfillment(revised(fulfillment, label=failed))
        return Change(
            order,
            (_event(LabelFailed, order, fulfillment, failed, now, actor, error=failed.error),),
        )
    bought = label.moved(
        "purchase",
        within=order,
        tracking_number=result.tracking_number,
        tracking_url=result.tracking_url,
        document=result.document,
        media_type=result.media_type,
    )
    tracking = fulfillment.tracking or Tracking(company=label.carrier)
    if _fits(TRACKING_NUMBER, result.tracking_number, tracking.numbers):
        tracking = revised(tracking, numbers=(*tracking.numbers, result.tracking_number))
    if result.tracking_url and _fits(URL, result.tracking_url, tracking.urls):
        tracking = revised(tracking, urls=(*tracking.urls, result.tracking_url))
    purchased = ShipmentEvent(status=ShipmentStatus.LABEL_PURCHASED, at=now)
    fulfillment = revised(
        fulfillment, label=bought, tracking=tracking, events=(*fulfillment.events, purchased)
    )
    order = order.with_fulfillment(fulfillment)
    return Change(
        order,
        (
            _event(
                LabelPurchased,
                order,
                fulfillment,
                bought,
                now,
                actor,
                tracking_number=result.tracking_number,
            ),
        ),
    )


def _fits(rule: TextRule, value: str, present: tuple[str, ...]) -> bool:
    """May a provider's ``value`` join the tracking shown to the customer?"""
    try:
        rule.check(value, "a label provider's tracking")
    except InvalidText:
        return False
    return len(present) < MAX_TRACKING


def void(order: Order, fulfillment_id: str, *, now: datetime, actor: Actor) -> Change:
    """Decide to void the fulfillment's label: a purchased one, or one whose purchase is in
    flight (the void finds it by its purchase's key); allowed on a cancelled fulfillment."""
    fulfillment = order.fulfillment(fulfillment_id)
    if fulfillment.label is None:
        raise InvalidTransition(f"{order}: fulfillment {fulfillment.id} has no label to void")
    label = fulfillment.label.moved("request_void", within=order)
    order = order.with_fulfillment(revised(fulfillment, label=label))
    return Change(
        order, (_event(LabelRequested, order, fulfillment, label, now, actor, void=True),)
    )


def record_void(
    order: Order,
    fulfillment_id: str,
    label_id: str,
    *,
    voided: bool,
    error: str | None = None,
    now: datetime,
    actor: Actor,
) -> Change:
    """The provider voided the label (its tracking and label events are cleared), or refused."""
    fulfillment, label = _current(order, fulfillment_id, label_id)
    if label.status != "void_requested":
        return Change(order)  # answered already
    if not voided:
        kept = label.moved("keep", within=order)
        order = order.with_fulfillment(revised(fulfillment, label=kept))
        return Change(
            order,
            (
                _event(
                    LabelFailed,
                    order,
                    fulfillment,
                    kept,
                    now,
                    actor,
                    error=error or "refused",
                    void=True,
                ),
            ),
        )
    gone = label.moved("void", within=order)
    tracking = fulfillment.tracking
    if tracking is not None:
        tracking = revised(
            tracking,
            numbers=tuple(n for n in tracking.numbers if n != label.tracking_number),
            urls=tuple(u for u in tracking.urls if u != label.tracking_url),
        )
        tracking = tracking if tracking.numbers or tracking.urls else None
    events = tuple(e for e in fulfillment.events if e.status not in LABEL_EVENTS)
    fulfillment = revised(fulfillment, label=gone, tracking=tracking, events=events)
    order = order.with_fulfillment(fulfillment)
    return Change(order, (_event(LabelVoided, order, fulfillment, gone, now, actor),))
