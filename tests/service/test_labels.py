"""Shipping labels through the service: bought and voided via the outbox, once per key."""

from __future__ import annotations

import attrs
import pytest

from orderflow import (
    InvalidTransition,
    LabelPurchase,
    LabelResult,
    Order,
    ShipmentStatus,
    shipment_status,
)
from orderflow.domain.fulfillment import Parcel, Tracking
from orderflow.testing import STAFF, FakeLabelProvider, Harness, make_draft, make_flow

PARCEL = Parcel(weight_grams=900, length_cm=30, width_cm=20, height_cm=10)


@pytest.fixture
def provider() -> FakeLabelProvider:
    return FakeLabelProvider()


@pytest.fixture
def shop(provider: FakeLabelProvider) -> Harness:
    return make_flow(publish=False, labels=provider)


@pytest.fixture
def shipped(shop: Harness) -> Order:
    order = shop.flow.place(make_draft(), actor=STAFF)
    return shop.flow.fulfill(order.id, order.fulfillment_orders[0].id, actor=STAFF)


def buy(shop: Harness, order: Order) -> Order:
    return shop.flow.buy_label(
        order.id,
        order.fulfillments[0].id,
        carrier="La Poste",
        service_level="Colissimo",
        parcel=PARCEL,
        actor=STAFF,
    )


def test_a_label_is_an_intent_until_the_outbox_buys_it(
    shop: Harness, provider: FakeLabelProvider, shipped: Order
) -> None:
    pending = buy(shop, shipped)

    label = pending.fulfillments[0].label
    assert label is not None
    assert label.status == "pending"
    assert provider.purchases == []


def test_a_bought_label_sets_the_tracking_and_label_purchased(
    shop: Harness, provider: FakeLabelProvider, shipped: Order
) -> None:
    buy(shop, shipped)
    assert shop.flow.dispatch().delivered == 1

    fulfillment = shop.flow.get(shipped.id).fulfillments[0]
    assert fulfillment.label is not None
    assert (fulfillment.label.status, fulfillment.label.tracking_number) == (
        "purchased",
        "FAKE0001",
    )
    assert fulfillment.label.document == b"%PDF-1.4 label FAKE0001 La Poste"
    assert fulfillment.tracking == Tracking(
        company="La Poste", numbers=("FAKE0001",), urls=("https://track.example/FAKE0001",)
    )
    assert shipment_status(fulfillment) is ShipmentStatus.LABEL_PURCHASED
    (purchase,) = provider.purchases
    assert (purchase.ship_to, purchase.lines) == (
        shipped.fulfillment_orders[0].destination,
        shipped.fulfillments[0].lines,
    )


def test_voiding_a_label_clears_its_tracking_and_label_event(
    shop: Harness, provider: FakeLabelProvider, shipped: Order
) -> None:
    buy(shop, shipped)
    shop.flow.dispatch()

    shop.flow.void_label(shipped.id, shipped.fulfillments[0].id, actor=STAFF)
    shop.flow.dispatch()

    fulfillment = shop.flow.get(shipped.id).fulfillments[0]
    assert fulfillment.label is not None
    assert fulfillment.label.status == "voided"
    assert (fulfillment.tracking, fulfillment.events, shipment_status(fulfillment)) == (
        None,
        (),
        None,
    )
    assert len(provider.voided) == 1


def test_a_refused_void_leaves_the_label_and_its_tracking(
    shop: Harness, provider: FakeLabelProvider, shipped: Order
) -> None:
    buy(shop, shipped)
    shop.flow.dispatch()
    provider.refuse_voids = True

    shop.flow.void_label(shipped.id, shipped.fulfillments[0].id, actor=STAFF)
    shop.flow.dispatch()

    order = shop.flow.get(shipped.id)
    fulfillment = order.fulfillments[0]
    assert fulfillment.label is not None
    assert fulfillment.label.status == "purchased"
    assert fulfillment.tracking is not None
    assert fulfillment.tracking.numbers == ("FAKE0001",)
    assert order.timeline[-1].message == (
        "The La Poste label for id-2 could not be voided: the carrier refused."
    )


def test_a_purchase_whose_answer_was_lost_is_retried_with_the_same_key_and_buys_one_label(
    shop: Harness, provider: FakeLabelProvider, shipped: Order
) -> None:
    buy(shop, shipped)
    provider.fail_next(1, "after")  # bought, then the connection dropped

    assert shop.flow.dispatch().failed == 1
    shop.clock.advance(minutes=1)
    assert shop.flow.dispatch().delivered == 1

    assert len(provider.purchases) == 1
    label = shop.flow.get(shipped.id).fulfillments[0].label
    assert label is not None
    assert (label.status, label.tracking_number) == ("purchased", "FAKE0001")


def test_a_second_label_is_refused_while_one_is_pending_or_bought(
    shop: Harness, shipped: Order
) -> None:
    pending = buy(shop, shipped)

    with pytest.raises(InvalidTransition, match="already has a label \\(pending\\)"):
        buy(shop, pending)
    assert shop.flow.get(shipped.id) == pending


# -- cancelling the fulfillment of a label (issue 10, finding 4) ------------------------------


def cancel(shop: Harness, order: Order) -> Order:
    return shop.flow.cancel_fulfillment(order.id, order.fulfillments[0].id, actor=STAFF)


def test_a_label_still_to_buy_when_its_fulfillment_is_cancelled_is_never_bought(
    shop: Harness, provider: FakeLabelProvider, shipped: Order
) -> None:
    buy(shop, shipped)
    cancelled = cancel(shop, shipped)

    label = cancelled.fulfillments[0].label
    assert label is not None
    assert label.status == "void_requested"
    dispatched = shop.flow.dispatch()

    assert (dispatched.delivered, dispatched.failed, dispatched.dead) == (2, 0, 0)
    assert provider.purchases == []  # the purchase was superseded by the void
    assert provider.voided == []  # nothing was bought, so nothing to void
    label = shop.flow.get(shipped.id).fulfillments[0].label
    assert label is not None
    assert label.status == "voided"


def test_a_label_bought_but_unrecorded_when_its_fulfillment_is_cancelled_is_voided_by_its_key(
    shop: Harness, provider: FakeLabelProvider, shipped: Order
) -> None:
    pending = buy(shop, shipped)
    label_id = pending.fulfillments[0].label.id  # type: ignore[union-attr]
    provider.fail_next(1, "after")  # bought at the provider, the answer lost
    assert shop.flow.dispatch().failed == 1
    cancel(shop, shipped)

    shop.clock.advance(minutes=1)
    dispatched = shop.flow.dispatch()

    assert dispatched.dead == 0
    assert len(provider.purchases) == 1
    assert provider.voided == [f"label-{label_id}-void"]  # found by its purchase's key
    label = shop.flow.get(shipped.id).fulfillments[0].label
    assert label is not None
    assert label.status == "voided"


def test_a_purchased_label_is_voided_when_its_fulfillment_is_cancelled(
    shop: Harness, provider: FakeLabelProvider, shipped: Order
) -> None:
    buy(shop, shipped)
    shop.flow.dispatch()

    cancel(shop, shipped)
    shop.flow.dispatch()

    fulfillment = shop.flow.get(shipped.id).fulfillments[0]
    assert fulfillment.label is not None
    assert fulfillment.label.status == "voided"
    assert fulfillment.tracking is None
    assert len(provider.voided) == 1


def test_a_tracking_url_the_input_rules_refuse_is_kept_on_the_label_not_shown(
    shop: Harness, provider: FakeLabelProvider, shipped: Order
) -> None:
    buy(shop, shipped)
    original = provider.buy

    def hostile(purchase: LabelPurchase) -> LabelResult:
        return attrs.evolve(original(purchase), tracking_url="javascript:alert(1)")

    provider.buy = hostile  # type: ignore[method-assign]

    assert shop.flow.dispatch().delivered == 1

    fulfillment = shop.flow.get(shipped.id).fulfillments[0]
    assert fulfillment.label is not None
    assert (fulfillment.label.status, fulfillment.label.tracking_url) == (
        "purchased",
        "javascript:alert(1)",
    )
    assert fulfillment.tracking == Tracking(company="La Poste", numbers=("FAKE0001",))
