"""Hostile input at the service's edge: wrong types, strings that no store holds, shared id
generators. Each test is named after a behaviour that failed before issue 10."""

from __future__ import annotations

import inspect
from datetime import datetime, timedelta, timezone

import attrs
import pytest
from typing_extensions import get_overloads

from orderflow import (
    DuplicateId,
    HoldReason,
    InvalidText,
    InvalidTimestamp,
    Order,
    OrderFlow,
    OrderQuery,
)
from orderflow.adapters.memory import InMemoryRepository
from orderflow.domain import _revise, holds
from orderflow.testing import GATEWAY, STAFF, Harness, make_draft, make_flow


def test_retag_with_a_bare_string_is_a_type_error_not_one_tag_per_letter(
    harness: Harness, placed: Order
) -> None:
    with pytest.raises(TypeError, match="add must be an iterable of str, not a single str"):
        harness.flow.retag(placed.id, add="vip", actor=STAFF)
    with pytest.raises(TypeError, match="remove must be an iterable of str"):
        harness.flow.retag(placed.id, remove="vip", actor=STAFF)

    assert harness.flow.retag(placed.id, add=["vip"], actor=STAFF).tags == frozenset({"vip"})


def test_merging_with_a_bare_string_is_a_type_error_not_one_id_per_letter(
    harness: Harness, placed: Order
) -> None:
    with pytest.raises(TypeError, match="fulfillment_order_ids must be an iterable of str"):
        harness.flow.merge_fulfillment_orders(placed.id, "abc", actor=STAFF)


def test_placing_nothing_is_a_type_error(harness: Harness) -> None:
    with pytest.raises(TypeError, match="'draft' must be an OrderDraft, got NoneType"):
        harness.flow.place(None, actor=STAFF)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("order_id", "message"),
    [
        ("ord\x00", "'order_id' holds a NUL character"),
        ("\ud800", "'order_id' holds a lone surrogate"),
        ("o" * 101, "'order_id' is 101 characters long; the limit is 100"),
    ],
)
def test_an_order_id_no_store_could_hold_is_refused_before_any_store_is_asked(
    harness: Harness, order_id: str, message: str
) -> None:
    with pytest.raises(InvalidText, match=message):
        harness.flow.update_note(order_id, "hi", actor=STAFF)


@pytest.mark.parametrize(
    ("order_id", "message"),
    [
        ("ord\x00", "'order_id' holds a NUL character"),
        ("\udfff", "'order_id' holds a lone surrogate"),
        ("o" * 101, "'order_id' is 101 characters long; the limit is 100"),
    ],
)
def test_getting_an_order_id_no_store_could_hold_is_refused_before_any_store_is_asked(
    harness: Harness, order_id: str, message: str
) -> None:
    with pytest.raises(InvalidText, match=message):
        harness.flow.get(order_id)


def test_an_idempotency_key_over_255_characters_is_refused(harness: Harness, placed: Order) -> None:
    with pytest.raises(InvalidText, match="'idempotency_key' is 256 characters long"):
        harness.flow.record_shipment_event(
            placed.id,
            "f-1",
            None,
            idempotency_key="k" * 256,
            actor=GATEWAY,  # type: ignore[arg-type]
        )


@pytest.mark.parametrize(
    "now",
    [
        datetime(9999, 12, 31, 23, 0, tzinfo=timezone.utc),
        datetime(2026, 1, 5, 9, 0),  # naive
    ],
)
def test_run_due_refuses_a_time_no_time_zone_could_show(harness: Harness, now: datetime) -> None:
    with pytest.raises(InvalidTimestamp):
        harness.flow.run_due(now)


def test_a_command_refuses_a_naive_time_from_the_host_clock_and_leaves_the_order_as_it_was(
    harness: Harness, placed: Order, monkeypatch: pytest.MonkeyPatch
) -> None:
    # as outside the test suite: models the domain builds from validated values (the
    # timeline entry of an event) are not validated again, so the service checks the clock
    monkeypatch.setattr(_revise, "CHECK_EVERYTHING", False)
    harness.clock.current = datetime(2026, 1, 5, 9, 0)  # a host clock gone naive

    with pytest.raises(InvalidTimestamp, match="the clock's time must be time-zone aware"):
        harness.flow.update_note(placed.id, "call first", actor=STAFF)
    assert harness.repository.get(placed.id) == placed


def test_a_search_with_characters_no_store_holds_is_refused() -> None:
    with pytest.raises(InvalidText, match=r"OrderQuery\.text holds a NUL character"):
        OrderQuery(text="ada\x00")


def test_two_flows_on_one_store_never_hand_out_the_same_ids() -> None:
    store = InMemoryRepository()
    first, second = make_flow(repository=store), make_flow(repository=store)
    order = first.flow.place(make_draft(), actor=STAFF)
    fo = order.fulfillment_orders[0].id

    first.flow.hold(order.id, fo, HoldReason.OTHER, actor=STAFF)
    held = second.flow.hold(order.id, fo, HoldReason.INCORRECT_ADDRESS, actor=STAFF)

    ids = [h.id for h in held.fulfillment_orders[0].holds]
    assert len(set(ids)) == 2
    # releasing one lifts that one only
    after = second.flow.release(order.id, fo, ids[0], actor=STAFF)
    assert [h.reason for h in after.fulfillment_orders[0].holds] == [HoldReason.INCORRECT_ADDRESS]


def test_a_new_hold_whose_id_is_taken_is_refused_not_merged(
    harness: Harness, placed: Order
) -> None:
    fo = placed.fulfillment_orders[0].id
    held = harness.flow.hold(placed.id, fo, HoldReason.OTHER, actor=STAFF)
    taken = held.fulfillment_orders[0].holds[0].id

    with pytest.raises(DuplicateId, match=f"another hold already has id '{taken}'"):
        holds.hold(
            held,
            fo,
            HoldReason.OTHER,
            new_id=lambda: taken,
            now=harness.clock.now() + timedelta(minutes=1),
            actor=STAFF,
        )


def test_a_document_with_two_holds_of_one_id_on_a_fulfillment_order_is_refused(
    harness: Harness, placed: Order
) -> None:
    from orderflow.domain.order import check_consistency

    fo = placed.fulfillment_orders[0].id
    held = harness.flow.hold(placed.id, fo, HoldReason.OTHER, actor=STAFF)
    part = held.fulfillment_orders[0]
    twin = attrs.evolve(part, holds=(*part.holds, part.holds[0]))

    with pytest.raises(DuplicateId, match=r"two holds of fulfillment order .* share an id"):
        check_consistency(held.with_fulfillment_order(twin))


def test_releasing_both_or_neither_a_hold_and_all_holds_is_a_call_of_the_wrong_type(
    harness: Harness, placed: Order
) -> None:
    fo = placed.fulfillment_orders[0].id
    hold = harness.flow.hold(placed.id, fo, HoldReason.OTHER, actor=STAFF)
    hold_id = hold.fulfillment_orders[0].holds[0].id

    with pytest.raises(TypeError, match="takes a hold_id, or release_all=True, not both"):
        harness.flow.release(placed.id, fo, actor=STAFF)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="takes a hold_id, or release_all=True, not both"):
        harness.flow.release(placed.id, fo, hold_id, release_all=True, actor=STAFF)  # type: ignore[call-overload]
    # the overloads say so to a type checker: a hold id, or release_all=True
    shapes = [inspect.signature(f).parameters for f in get_overloads(OrderFlow.release)]
    assert [(p["hold_id"].annotation, p["release_all"].annotation) for p in shapes] == [
        ("str", "Literal[False]"),
        ("None", "Literal[True]"),
    ]
