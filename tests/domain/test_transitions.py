"""The compiled transition tables agree with the python-statemachine classes they come from."""

from __future__ import annotations

from typing import Any, get_args

import pytest
import statemachine
from statemachine.exceptions import TransitionNotAllowed

from orderflow.domain import machines, payments, settlement
from orderflow.domain.archive import archive
from orderflow.domain.cancellation import cancel
from orderflow.domain.machines import (
    ARCHIVE_TABLE,
    AUTHORIZATION_TABLE,
    DISPUTE_TABLE,
    FULFILLMENT_ORDER_TABLE,
    LABEL_TABLE,
    MACHINES,
    ORDER_TABLE,
    PAYMENT_TABLE,
    SERVICE_REQUEST_TABLE,
    ArchiveLifecycle,
    ArchiveStatus,
    AuthorizationLifecycle,
    AuthorizationStatus,
    DisputeLifecycle,
    DisputeStatus,
    FulfillmentOrderLifecycle,
    FulfillmentOrderStatus,
    LabelLifecycle,
    LabelStatus,
    OrderLifecycle,
    OrderStatus,
    PaymentLifecycle,
    PaymentStatus,
    RequestStatus,
    ServiceRequestLifecycle,
)
from orderflow.domain.order import CancelReason
from orderflow.domain.transitions import TransitionTable, compile_machine
from orderflow.errors import InvalidStateValue, InvalidTransition
from orderflow.serialization import dumps, loads
from orderflow.testing import EPOCH, STAFF, SequentialIds, authorization, eur, make_order

from .helpers import record

TABLES: dict[type[Any], TransitionTable] = {
    PaymentLifecycle: PAYMENT_TABLE,
    AuthorizationLifecycle: AUTHORIZATION_TABLE,
    OrderLifecycle: ORDER_TABLE,
    ArchiveLifecycle: ARCHIVE_TABLE,
    FulfillmentOrderLifecycle: FULFILLMENT_ORDER_TABLE,
    ServiceRequestLifecycle: SERVICE_REQUEST_TABLE,
    LabelLifecycle: LABEL_TABLE,
    DisputeLifecycle: DISPUTE_TABLE,
}


class Holder:
    """A mutable stand-in for a frozen model, so a real machine can be bound to it."""

    status: str


def moves() -> list[tuple[type[Any], str, str]]:
    return [
        (machine, state.value, event.id)
        for machine in MACHINES
        for state in machine.states
        for event in machine.events
    ]


def landing_states(machine: type[Any], state: str, event: str) -> frozenset[str]:
    """Where a real machine, restored into ``state``, lands on ``event`` (empty: refused)."""
    holder = Holder()
    holder.status = state
    instance = machine(model=holder, state_field="status")
    try:
        instance.send(event)
    except TransitionNotAllowed:
        assert holder.status == state
        return frozenset()
    return frozenset({holder.status})


def test_every_machine_has_an_exported_table() -> None:
    assert set(MACHINES) == set(TABLES)


@pytest.mark.parametrize(
    ("machine", "state", "event"),
    moves(),
    ids=[f"{m.__name__}-{s}-{e}" for m, s, e in moves()],
)
def test_the_table_allows_exactly_what_a_real_machine_allows(
    machine: type[Any], state: str, event: str
) -> None:
    assert TABLES[machine].targets(state, event) == landing_states(machine, state, event)


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.__name__)
def test_the_table_lists_the_machine_states_events_initial_and_final_states(
    machine: type[Any],
) -> None:
    table = TABLES[machine]

    assert table.name == machine.__name__
    assert set(table.states) == {s.value for s in machine.states}
    assert set(table.events) == {e.id for e in machine.events}
    assert table.initial == machine.initial_state.value
    assert table.final == {s.value for s in machine.states if s.final}
    assert compile_machine(machine) == table


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.__name__)
def test_final_states_allow_no_event(machine: type[Any]) -> None:
    table = TABLES[machine]

    for state in table.final:
        assert table.allowed_events(state) == ()


@pytest.mark.parametrize(
    ("alias", "machine"),
    [
        (PaymentStatus, PaymentLifecycle),
        (AuthorizationStatus, AuthorizationLifecycle),
        (OrderStatus, OrderLifecycle),
        (ArchiveStatus, ArchiveLifecycle),
        (FulfillmentOrderStatus, FulfillmentOrderLifecycle),
        (RequestStatus, ServiceRequestLifecycle),
        (LabelStatus, LabelLifecycle),
        (DisputeStatus, DisputeLifecycle),
    ],
    ids=[
        "PaymentStatus",
        "AuthorizationStatus",
        "OrderStatus",
        "ArchiveStatus",
        "FulfillmentOrderStatus",
        "RequestStatus",
        "LabelStatus",
        "DisputeStatus",
    ],
)
def test_the_literal_status_aliases_name_exactly_the_machine_states(
    alias: Any, machine: type[Any]
) -> None:
    assert set(get_args(alias)) == {s.value for s in machine.states}


def test_the_tables_cannot_be_changed() -> None:
    with pytest.raises(TypeError):
        ORDER_TABLE.targets_by_move[("cancelled", "reopen")] = frozenset({"open"})  # type: ignore[index]


def test_step_returns_the_only_target_of_an_allowed_event() -> None:
    assert ORDER_TABLE.step("open", "cancel", subject="order #1001") == "cancelled"
    assert AUTHORIZATION_TABLE.step("authorized", "expire", subject="auth a-1") == "expired"


def test_step_accepts_a_chosen_target_that_the_event_allows() -> None:
    assert AUTHORIZATION_TABLE.step("authorized", "void", "voided", subject="auth a-1") == "voided"


def test_step_refuses_an_event_and_names_the_subject_the_event_and_the_state() -> None:
    with pytest.raises(InvalidTransition) as refused:
        ARCHIVE_TABLE.step("active", "unarchive", subject="order #1001 (o-1)")

    message = str(refused.value)
    assert "order #1001 (o-1)" in message
    assert "unarchive" in message
    assert "while active" in message
    assert "allowed from active: archive" in message


def test_step_from_a_final_state_says_nothing_is_allowed() -> None:
    with pytest.raises(InvalidTransition, match=r"order o-1: cannot cancel while cancelled.*final"):
        ORDER_TABLE.step("cancelled", "cancel", subject="order o-1")


def test_step_refuses_a_chosen_target_the_event_does_not_lead_to() -> None:
    with pytest.raises(InvalidTransition, match="auth a-1: cannot capture to 'voided'"):
        AUTHORIZATION_TABLE.step("authorized", "capture", "voided", subject="auth a-1")


def test_step_refuses_an_event_the_machine_does_not_know() -> None:
    with pytest.raises(InvalidTransition, match="cannot reopen while cancelled"):
        ORDER_TABLE.step("cancelled", "reopen", subject="order o-1")


@pytest.mark.parametrize("table", list(TABLES.values()), ids=lambda t: t.name)
def test_parse_accepts_every_state_of_the_machine(table: TransitionTable) -> None:
    for state in table.states:
        assert table.parse(state, subject="x") == state


@pytest.mark.parametrize("stored", ["shipped", "OPEN", "", None, 1, ["open"]])
def test_parse_refuses_a_stored_value_that_names_no_state(stored: object) -> None:
    with pytest.raises(InvalidStateValue) as refused:
        ORDER_TABLE.parse(stored, subject="order o-7")

    message = str(refused.value)
    assert "order o-7" in message
    assert repr(stored) in message
    assert "open, cancelled" in message


def test_the_domain_builds_no_machine_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a state machine instance was built")

    monkeypatch.setattr(statemachine.StateChart, "__init__", refuse)
    monkeypatch.setattr(statemachine.StateMachine, "__init__", refuse)
    with pytest.raises(AssertionError, match="instance was built"):
        machines.OrderLifecycle()  # the trap is armed
    ids = SequentialIds()

    order = record(make_order(), authorization(eur("62.00")))
    order = payments.request_capture(order, new_id=ids.new_id, now=EPOCH, actor=STAFF).order
    capture = order.transactions[-1]
    order = settlement.settle(
        order,
        capture.id,
        settlement.GatewayResult(True, "cap-1"),
        new_id=ids.new_id,
        now=EPOCH,
        actor=STAFF,
    ).order
    order = cancel(order, CancelReason.CUSTOMER, new_id=ids.new_id, now=EPOCH, actor=STAFF).order
    order = archive(order, now=EPOCH, actor=STAFF).order

    assert loads(dumps(order)) == order
    assert (order.status, order.archive_status) == ("cancelled", "archived")
