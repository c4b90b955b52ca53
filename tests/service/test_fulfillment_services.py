"""Fulfillment services (3PLs) through the service: requests go out through the outbox, the
service's answers come back as idempotent callbacks, automation requests instead of fulfilling.

The order ships from the warehouse ``wh``, run by ``shipfast``: line ``a`` (3 units) and line
``b`` (2 units), 5 x 20.00 + 15.00 shipping + 7.00 tax = 122.00 EUR. The flow's ids come as
``id-1`` (the order, so its fulfillment order is ``id-1-fo1``), ``id-2``... in the order they
are asked for; a service outbox key is ``<kind>-<request id>-<order version>``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from orderflow import Order, financial_status
from orderflow.domain.actor import SYSTEM, Actor
from orderflow.domain.fulfillment import (
    HoldReason,
    LineQuantity,
    Location,
    RejectionReason,
    Tracking,
)
from orderflow.domain.fulfillment_status import fulfillment_status
from orderflow.domain.order import CancelReason
from orderflow.domain.policies import (
    CaptureMode,
    CapturePolicy,
    FulfillmentMode,
    FulfillmentPolicy,
    Policies,
)
from orderflow.errors import (
    FulfillmentOnHold,
    IdempotencyConflict,
    InvalidTransition,
    NotPermitted,
    OrderflowError,
    OverFulfillment,
    ServiceRequestNotFound,
)
from orderflow.ports.fulfillment_service import ServiceCall
from orderflow.ports.outbox import Delivery
from orderflow.service.jobs import SERVICE
from orderflow.service.settings import StaffAndSystem
from orderflow.testing import (
    GATEWAY,
    STAFF,
    Harness,
    RecordingFulfillmentService,
    authorization,
    eur,
    make_address,
    make_draft,
    make_flow,
    make_line,
    sale,
)

WH = Location("wh", "Warehouse", fulfillment_service="shipfast")
SHIPFAST = Actor.app("shipfast", "ShipFast")
ORDER = "id-1"
FO = "id-1-fo1"
SPLIT = "id-1-fo2"


class SpyService(RecordingFulfillmentService):
    """The recording fake that also keeps the key of every attempt, failed or not."""

    def __init__(self) -> None:
        super().__init__()
        self.attempts: list[str] = []

    def send(self, call: ServiceCall) -> None:
        self.attempts.append(call.idempotency_key)
        super().send(call)


@pytest.fixture
def service() -> SpyService:
    return SpyService()


@pytest.fixture
def harness(service: SpyService) -> Harness:
    return make_flow(publish=False, fulfillment_service=service)


@pytest.fixture
def placed(harness: Harness) -> Order:
    return harness.flow.place(
        make_draft(make_line("a", quantity=3), make_line("b", quantity=2), location=WH),
        actor=STAFF,
    )


def q(line_item_id: str, quantity: int) -> LineQuantity:
    return LineQuantity(line_item_id, quantity)


def service_items(harness: Harness, order_id: str = ORDER) -> list[Delivery]:
    return [d for d in harness.repository.deliveries(order_id) if d.item.topic == SERVICE]


def request_id(order: Order, fo: str = FO) -> str:
    request = order.fulfillment_order(fo).request
    assert request is not None
    return request.id


def call(
    key: str,
    request: str,
    *,
    kind: str = "fulfil",
    lines: tuple[LineQuantity, ...] = (q("a", 3), q("b", 2)),
    message: str | None = None,
) -> ServiceCall:
    """The call the service should receive for ``id-1-fo1``, worked out by hand."""
    return ServiceCall(
        kind=kind,  # type: ignore[arg-type]
        service="shipfast",
        order_id=ORDER,
        order_name="#1001",
        fulfillment_order_id=FO,
        request_id=request,
        location_id="wh",
        destination=make_address(),
        lines=lines,
        idempotency_key=key,
        message=message,
    )


# -- the service's callbacks, by name --------------------------------------------------------

Answer = Callable[[Harness, str, str, str], Order]
"""(harness, request id, idempotency key, message) -> the order after the callback."""

ANSWERS: dict[str, Answer] = {
    "accept": lambda h, rid, key, msg: h.flow.accept_fulfillment_request(
        ORDER, rid, idempotency_key=key, actor=SHIPFAST, message=msg
    ),
    "reject": lambda h, rid, key, msg: h.flow.reject_fulfillment_request(
        ORDER, rid, RejectionReason.OTHER, idempotency_key=key, actor=SHIPFAST, message=msg
    ),
    "accept_cancellation": lambda h, rid, key, msg: h.flow.accept_fulfillment_cancellation(
        ORDER, rid, idempotency_key=key, actor=SHIPFAST, message=msg
    ),
    "reject_cancellation": lambda h, rid, key, msg: h.flow.reject_fulfillment_cancellation(
        ORDER, rid, idempotency_key=key, actor=SHIPFAST, message=msg
    ),
    "close": lambda h, rid, key, msg: h.flow.close_fulfillment_request(
        ORDER, rid, idempotency_key=key, actor=SHIPFAST, message=msg
    ),
    "fulfil": lambda h, rid, key, msg: h.flow.record_service_fulfillment(
        ORDER,
        rid,
        [q("a", 1)],
        idempotency_key=key,
        actor=SHIPFAST,
        tracking=Tracking(numbers=(msg,)),
    ),
}


def answer(harness: Harness, name: str, key: str, message: str = "ok") -> Order:
    rid = request_id(harness.flow.get(ORDER))
    return ANSWERS[name](harness, rid, key, message)


def ask_to_cancel(harness: Harness, message: str | None = None) -> Order:
    return harness.flow.request_fulfillment_cancellation(ORDER, FO, actor=STAFF, message=message)


def reach(harness: Harness, status: str) -> Order:
    """Submit the whole of ``id-1-fo1``, then answer it until its request is ``status``."""
    harness.flow.request_fulfillment(ORDER, FO, actor=STAFF)
    steps = {
        "submitted": [],
        "accepted": ["accept"],
        "rejected": ["reject"],
        "cancellation_requested": ["accept", "cancel"],
        "cancellation_rejected": ["accept", "cancel", "reject_cancellation"],
        "cancellation_accepted": ["accept", "cancel", "accept_cancellation"],
        "closed": ["accept", "close"],
    }[status]
    for number, step in enumerate(steps, start=1):
        if step == "cancel":
            ask_to_cancel(harness)
        else:
            answer(harness, step, key=f"setup-{number}")
    order = harness.flow.get(ORDER)
    assert order.fulfillment_order(FO).request_status == status
    return order


# -- requests go out through the outbox ------------------------------------------------------


def test_a_request_queues_one_call_that_dispatch_delivers_with_what_remains_and_where_to(
    harness: Harness, service: SpyService, placed: Order
) -> None:
    harness.flow.fulfill(ORDER, FO, [q("a", 1)], actor=STAFF)  # fulfillment id-2, version 2

    requested = harness.flow.request_fulfillment(ORDER, FO, actor=STAFF, message="rush")

    assert request_id(requested) == "id-3"
    (item,) = service_items(harness)
    assert (item.item.key, item.state) == ("fulfil-id-3-3", "pending")
    assert service.calls == []  # nothing leaves before dispatch

    report = harness.flow.dispatch()

    assert (report.delivered, report.failed, report.dead) == (1, 0, 0)
    # a: 3 - 1 already fulfilled = 2, b: 2.
    assert service.calls == [
        call("fulfil-id-3-3", "id-3", lines=(q("a", 2), q("b", 2)), message="rush")
    ]
    assert harness.flow.dispatch().delivered == 0
    assert len(service.calls) == 1


def test_a_partial_request_sends_only_the_requested_lines(
    harness: Harness, service: SpyService, placed: Order
) -> None:
    order = harness.flow.request_fulfillment(ORDER, FO, [q("b", 1)], actor=STAFF)

    assert [(fo.id, fo.lines, fo.request_status) for fo in order.fulfillment_orders] == [
        (FO, (q("b", 1),), "submitted"),
        (SPLIT, (q("a", 3), q("b", 1)), "unsubmitted"),
    ]
    assert len(service_items(harness)) == 1
    harness.flow.dispatch()
    assert service.calls == [call("fulfil-id-2-2", "id-2", lines=(q("b", 1),))]


def test_a_cancellation_request_queues_a_cancel_call(
    harness: Harness, service: SpyService, placed: Order
) -> None:
    harness.flow.request_fulfillment(ORDER, FO, actor=STAFF)  # id-2, version 2
    harness.flow.dispatch()
    answer(harness, "accept", "k-accept")  # version 3

    order = ask_to_cancel(harness, "customer changed their mind")  # version 4

    assert order.fulfillment_order(FO).request_status == "cancellation_requested"
    assert [d.item.key for d in service_items(harness)] == ["fulfil-id-2-2", "cancel-id-2-4"]
    report = harness.flow.dispatch()
    assert report.delivered == 1
    assert service.calls[-1] == call(
        "cancel-id-2-4", "id-2", kind="cancel", message="customer changed their mind"
    )
    assert len(service.calls) == 2


def test_a_call_whose_request_was_answered_before_dispatch_is_not_sent(
    harness: Harness, service: SpyService, placed: Order
) -> None:
    harness.flow.request_fulfillment(ORDER, FO, actor=STAFF)
    answer(harness, "accept", "k-accept")  # the service heard of it another way

    report = harness.flow.dispatch()

    assert (report.delivered, report.failed) == (1, 0)
    assert service.calls == []
    assert [d.state for d in service_items(harness)] == ["delivered"]


def test_a_call_superseded_by_a_new_request_is_not_sent_but_the_new_one_is(
    harness: Harness, service: SpyService, placed: Order
) -> None:
    harness.flow.request_fulfillment(ORDER, FO, actor=STAFF)  # id-2, version 2
    answer(harness, "reject", "k-reject")  # version 3
    harness.flow.request_fulfillment(ORDER, FO, actor=STAFF, message="again")  # id-3, v4

    report = harness.flow.dispatch()

    assert report.delivered == 2
    assert service.calls == [call("fulfil-id-3-4", "id-3", message="again")]


def test_a_cancel_call_whose_cancellation_was_answered_before_dispatch_is_not_sent(
    harness: Harness, service: SpyService, placed: Order
) -> None:
    harness.flow.request_fulfillment(ORDER, FO, actor=STAFF)
    harness.flow.dispatch()
    answer(harness, "accept", "k-accept")
    ask_to_cancel(harness)
    answer(harness, "accept_cancellation", "k-cancelled")

    harness.flow.dispatch()

    assert [c.kind for c in service.calls] == ["fulfil"]


@pytest.mark.parametrize("failures", [1, 3])
def test_a_failing_service_is_retried_with_the_same_key_and_gets_the_call_once(
    harness: Harness, service: SpyService, placed: Order, failures: int
) -> None:
    service.fail_next(failures)
    harness.flow.request_fulfillment(ORDER, FO, actor=STAFF)
    key = "fulfil-id-2-2"

    first = harness.flow.dispatch()
    assert (first.delivered, first.failed) == (0, 1)
    assert first.errors == ((key, f"ConnectionError: fulfillment service unavailable ({key})"),)
    for attempt in range(1, failures + 1):
        # The backoff: 30 s after the first failure, doubling after each further one.
        harness.clock.advance(seconds=30 * 2 ** (attempt - 1))
        report = harness.flow.dispatch()
        expected = (1, 0) if attempt == failures else (0, 1)
        assert (report.delivered, report.failed) == expected

    assert service.attempts == [key] * (failures + 1)
    assert service.calls == [call(key, "id-2")]
    harness.clock.advance(hours=1)
    assert harness.flow.dispatch().delivered == 0
    assert service.calls == [call(key, "id-2")]


def test_a_call_delivered_again_carries_the_same_key_so_the_service_keeps_it_once(
    harness: Harness, service: SpyService, placed: Order
) -> None:
    harness.flow.request_fulfillment(ORDER, FO, actor=STAFF)
    # A dispatcher sends the call, then dies before marking it delivered: its lease ends
    # and another dispatcher delivers it again (at least once).
    [claimed] = harness.repository.claim(harness.clock.now(), limit=1, lease=timedelta(minutes=5))
    harness.flow._carry_out(claimed, harness.clock.now())
    harness.clock.advance(minutes=5)
    harness.flow.dispatch()

    assert service.attempts == ["fulfil-id-2-2", "fulfil-id-2-2"]
    assert service.calls == [call("fulfil-id-2-2", "id-2")]


# -- the service's answers are idempotent callbacks ------------------------------------------

CALLBACKS = [
    ("submitted", "accept"),
    ("submitted", "reject"),
    ("cancellation_requested", "accept_cancellation"),
    ("cancellation_requested", "reject_cancellation"),
    ("accepted", "close"),
    ("accepted", "fulfil"),
]


@pytest.mark.parametrize(("status", "name"), CALLBACKS)
def test_a_replayed_callback_changes_nothing(
    harness: Harness, placed: Order, status: str, name: str
) -> None:
    reach(harness, status)
    first = answer(harness, name, "cb-1")
    deliveries = harness.repository.deliveries(ORDER)

    replayed = answer(harness, name, "cb-1")

    assert replayed == first
    assert harness.flow.get(ORDER) == first
    assert harness.flow.get(ORDER).version == first.version
    assert harness.repository.deliveries(ORDER) == deliveries


@pytest.mark.parametrize(("status", "name"), CALLBACKS)
def test_the_same_key_for_another_callback_is_refused(
    harness: Harness, placed: Order, status: str, name: str
) -> None:
    reach(harness, status)
    answer(harness, name, "cb-1", message="first")
    before, deliveries = harness.flow.get(ORDER), harness.repository.deliveries(ORDER)

    with pytest.raises(IdempotencyConflict, match=r"'cb-1' .*was used for another request"):
        answer(harness, name, "cb-1", message="second")

    assert harness.flow.get(ORDER) == before
    assert harness.repository.deliveries(ORDER) == deliveries


def test_the_same_key_for_another_request_id_is_refused(harness: Harness, placed: Order) -> None:
    reach(harness, "rejected")  # request id-2, rejected with key setup-1
    harness.flow.request_fulfillment(ORDER, FO, actor=STAFF)  # request id-3
    before = harness.flow.get(ORDER)

    with pytest.raises(IdempotencyConflict):
        ANSWERS["reject"](harness, "id-3", "setup-1", "ok")

    assert harness.flow.get(ORDER) == before


def test_a_replayed_callback_after_the_request_moved_on_changes_nothing(
    harness: Harness, placed: Order
) -> None:
    reach(harness, "submitted")
    answer(harness, "accept", "cb-accept")
    closed = answer(harness, "close", "cb-close")

    replayed = answer(harness, "accept", "cb-accept")

    assert replayed == closed
    assert harness.flow.get(ORDER).version == closed.version


def test_a_refused_callback_does_not_use_up_its_key(harness: Harness, placed: Order) -> None:
    reach(harness, "submitted")
    before = harness.flow.get(ORDER)
    with pytest.raises(InvalidTransition, match="has not accepted"):
        answer(harness, "fulfil", "cb-ship", message="1Z1")
    assert harness.flow.get(ORDER) == before

    answer(harness, "accept", "cb-accept")
    shipped = answer(harness, "fulfil", "cb-ship", message="1Z1")

    assert [(f.lines, f.tracking) for f in shipped.fulfillments] == [
        ((q("a", 1),), Tracking(numbers=("1Z1",)))
    ]


# -- what the service reports, and what the merchant does after ------------------------------


def test_the_services_shipments_fulfil_the_order_and_leave_the_request_accepted(
    harness: Harness, placed: Order
) -> None:
    reach(harness, "accepted")

    first = harness.flow.record_service_fulfillment(
        ORDER, "id-2", [q("a", 2)], idempotency_key="ship-1", actor=SHIPFAST
    )
    assert fulfillment_status(first) == "partially_fulfilled"
    last = harness.flow.record_service_fulfillment(
        ORDER,
        "id-2",
        idempotency_key="ship-2",
        actor=SHIPFAST,
        tracking=Tracking(company="UPS", numbers=("1Z2",)),
    )

    assert [f.lines for f in last.fulfillments] == [(q("a", 2),), (q("a", 1), q("b", 2))]
    fo = last.fulfillment_order(FO)
    assert (fo.status, fo.request_status) == ("closed", "accepted")
    assert fulfillment_status(last) == "fulfilled"
    assert [(e.kind, e.message) for e in last.timeline[-2:]] == [
        ("FulfillmentCreated", "3 items fulfilled (tracking 1Z2)."),
        ("OrderFulfilled", "Order fulfilled."),
    ]


def test_after_a_close_the_merchant_takes_the_order_back_and_fulfils_it(
    harness: Harness, placed: Order
) -> None:
    closed = reach(harness, "closed")
    assert closed.fulfillment_order(FO).status == "incomplete"

    harness.flow.open_fulfillment(ORDER, FO, actor=STAFF)
    fulfilled = harness.flow.fulfill(ORDER, FO, actor=STAFF)

    assert fulfilled.fulfillment_order(FO).status == "closed"
    assert fulfillment_status(fulfilled) == "fulfilled"


def test_after_an_accepted_cancellation_the_merchant_fulfils_it(
    harness: Harness, placed: Order
) -> None:
    reach(harness, "cancellation_accepted")

    fulfilled = harness.flow.fulfill(ORDER, FO, actor=STAFF)

    assert fulfillment_status(fulfilled) == "fulfilled"


def test_the_order_can_be_cancelled_once_the_service_cancelled_the_request(
    harness: Harness, placed: Order
) -> None:
    reach(harness, "cancellation_accepted")

    cancelled = harness.flow.cancel(ORDER, CancelReason.CUSTOMER, actor=STAFF)

    assert cancelled.status == "cancelled"
    assert cancelled.fulfillment_order(FO).status == "cancelled"


@pytest.mark.parametrize(
    "status", ["submitted", "accepted", "cancellation_requested", "cancellation_rejected"]
)
def test_the_order_is_in_progress_while_the_service_has_the_work(
    harness: Harness, placed: Order, status: str
) -> None:
    assert fulfillment_status(reach(harness, status)) == "in_progress"


def test_a_rejected_request_declines_the_order(harness: Harness, placed: Order) -> None:
    assert fulfillment_status(reach(harness, "rejected")) == "request_declined"


# -- refused commands change nothing and queue nothing ---------------------------------------

Refused = Callable[[Harness], object]

REFUSALS: list[tuple[str, str, Refused, type[OrderflowError], str]] = [
    (
        "unsubmitted",
        "the app requests fulfillment",
        lambda h: h.flow.request_fulfillment(ORDER, FO, actor=SHIPFAST),
        NotPermitted,
        "may not request_fulfillment on",
    ),
    (
        "accepted",
        "the app requests a cancellation",
        lambda h: h.flow.request_fulfillment_cancellation(ORDER, FO, actor=SHIPFAST),
        NotPermitted,
        "may not request_fulfillment_cancellation on",
    ),
    (
        "unsubmitted",
        "staff request more than remains",
        lambda h: h.flow.request_fulfillment(ORDER, FO, [q("a", 4)], actor=STAFF),
        OverFulfillment,
        "only 3 remain",
    ),
    (
        "on hold",
        "staff request fulfillment of a held order",
        lambda h: h.flow.request_fulfillment(ORDER, FO, actor=STAFF),
        FulfillmentOnHold,
        "is on hold: release it",
    ),
    (
        "submitted",
        "staff request fulfillment again",
        lambda h: h.flow.request_fulfillment(ORDER, FO, actor=STAFF),
        InvalidTransition,
        "cannot submit while submitted",
    ),
    (
        "accepted",
        "staff fulfil",
        lambda h: h.flow.fulfill(ORDER, FO, [q("a", 1)], actor=STAFF),
        InvalidTransition,
        "is with shipfast: only it can fulfil",
    ),
    (
        "accepted",
        "staff hold",
        lambda h: h.flow.hold(ORDER, FO, HoldReason.OTHER, actor=STAFF),
        InvalidTransition,
        "is with shipfast: request cancellation first",
    ),
    (
        "cancellation_requested",
        "staff hold some lines",
        lambda h: h.flow.hold(ORDER, FO, HoldReason.OTHER, lines=[q("a", 1)], actor=STAFF),
        InvalidTransition,
        "is with shipfast: request cancellation first",
    ),
    (
        "submitted",
        "staff cancel the order",
        lambda h: h.flow.cancel(ORDER, CancelReason.CUSTOMER, actor=STAFF),
        InvalidTransition,
        "are with a fulfillment service: request cancellation first",
    ),
    (
        "cancellation_rejected",
        "staff cancel the order",
        lambda h: h.flow.cancel(ORDER, CancelReason.CUSTOMER, actor=STAFF),
        InvalidTransition,
        "are with a fulfillment service: request cancellation first",
    ),
    (
        "submitted",
        "the service ships before accepting",
        lambda h: h.flow.record_service_fulfillment(
            ORDER, "id-2", idempotency_key="ship-early", actor=SHIPFAST
        ),
        InvalidTransition,
        "has not accepted the request",
    ),
    (
        "accepted",
        "the service answers an unknown request",
        lambda h: h.flow.close_fulfillment_request(
            ORDER, "id-99", idempotency_key="close-unknown", actor=SHIPFAST
        ),
        ServiceRequestNotFound,
        "no current service request 'id-99'",
    ),
    (
        "rejected",
        "staff ask to cancel a rejected request",
        lambda h: h.flow.request_fulfillment_cancellation(ORDER, FO, actor=STAFF),
        InvalidTransition,
        "cannot request_cancellation while rejected",
    ),
]


@pytest.mark.parametrize(
    ("status", "refused", "error", "message"),
    [(status, refused, error, message) for status, _, refused, error, message in REFUSALS],
    ids=[f"{what} ({status})" for status, what, *_ in REFUSALS],
)
def test_a_refused_command_leaves_the_order_and_the_outbox_unchanged(
    harness: Harness,
    placed: Order,
    status: str,
    refused: Refused,
    error: type[OrderflowError],
    message: str,
) -> None:
    if status == "on hold":
        harness.flow.hold(ORDER, FO, HoldReason.INCORRECT_ADDRESS, actor=STAFF)
    elif status != "unsubmitted":
        reach(harness, status)
    before, deliveries = harness.flow.get(ORDER), harness.repository.deliveries(ORDER)

    with pytest.raises(error, match=message):
        refused(harness)

    assert harness.flow.get(ORDER) == before
    assert harness.repository.deliveries(ORDER) == deliveries


def test_a_request_from_a_location_without_a_service_is_refused_and_queues_nothing(
    harness: Harness,
) -> None:
    order = harness.flow.place(make_draft(), actor=STAFF)  # the default location

    with pytest.raises(InvalidTransition, match="which no fulfillment service runs"):
        harness.flow.request_fulfillment(order.id, f"{order.id}-fo1", actor=STAFF)

    assert harness.flow.get(order.id) == order
    assert service_items(harness, order.id) == []


# -- who may do what -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        "accept_fulfillment_request",
        "reject_fulfillment_request",
        "accept_fulfillment_cancellation",
        "reject_fulfillment_cancellation",
        "close_fulfillment_request",
        "record_service_fulfillment",
    ],
)
def test_the_default_authorizer_lets_an_app_send_the_service_callbacks(command: str) -> None:
    assert StaffAndSystem().allows(SHIPFAST, command, None)


@pytest.mark.parametrize("command", ["request_fulfillment", "request_fulfillment_cancellation"])
def test_the_default_authorizer_keeps_the_merchants_requests_from_apps(command: str) -> None:
    assert not StaffAndSystem().allows(SHIPFAST, command, None)
    assert StaffAndSystem().allows(STAFF, command, None)


# -- the timeline ----------------------------------------------------------------------------


def test_the_timeline_tells_a_request_accepted_then_a_refused_cancellation_and_a_shipment(
    harness: Harness, placed: Order
) -> None:
    harness.flow.request_fulfillment(ORDER, FO, [q("a", 2)], actor=STAFF, message="rush")
    answer(harness, "accept", "k-1", message="picking today")
    ask_to_cancel(harness, "customer changed their mind")
    answer(harness, "reject_cancellation", "k-2", message="already packed")
    order = harness.flow.record_service_fulfillment(
        ORDER,
        "id-2",
        idempotency_key="k-3",
        actor=SHIPFAST,
        tracking=Tracking(numbers=("1Z9",)),
    )

    assert [(e.actor, e.kind, e.message, e.note) for e in order.timeline[1:]] == [
        (STAFF, "FulfillmentOrderSplit", f"3 items moved from {FO} to {SPLIT}.", None),
        (
            STAFF,
            "FulfillmentRequested",
            f"Fulfillment of 2 items requested from shipfast ({FO}).",
            "rush",
        ),
        (
            SHIPFAST,
            "FulfillmentRequestAccepted",
            f"shipfast accepted the fulfillment request for {FO}.",
            "picking today",
        ),
        (
            STAFF,
            "CancellationRequested",
            f"Cancellation of the fulfillment request for {FO} asked of shipfast.",
            "customer changed their mind",
        ),
        (
            SHIPFAST,
            "CancellationRejected",
            f"shipfast refused to cancel the fulfillment request for {FO}.",
            "already packed",
        ),
        (SHIPFAST, "FulfillmentCreated", "2 items fulfilled (tracking 1Z9).", None),
    ]


def test_the_timeline_tells_a_rejection_a_close_and_an_accepted_cancellation(
    harness: Harness, placed: Order
) -> None:
    harness.flow.request_fulfillment(ORDER, FO, actor=STAFF)
    harness.flow.reject_fulfillment_request(
        ORDER,
        "id-2",
        RejectionReason.UNDELIVERABLE_DESTINATION,
        idempotency_key="k-1",
        actor=SHIPFAST,
        message="no such street",
    )
    harness.flow.request_fulfillment(ORDER, FO, actor=STAFF)  # id-3
    answer(harness, "accept", "k-2", message="ok")
    answer(harness, "close", "k-3", message="out of stock here")
    harness.flow.open_fulfillment(ORDER, FO, actor=STAFF)
    harness.flow.request_fulfillment(ORDER, FO, actor=STAFF)  # id-4
    ask_to_cancel(harness)
    order = answer(harness, "accept_cancellation", "k-4", message="stopped")

    entries = [(e.actor, e.message, e.note) for e in order.timeline[1:]]
    assert entries == [
        (STAFF, f"Fulfillment of 5 items requested from shipfast ({FO}).", None),
        (
            SHIPFAST,
            f"shipfast rejected the fulfillment request for {FO} (undeliverable destination).",
            "no such street",
        ),
        (STAFF, f"Fulfillment of 5 items requested from shipfast ({FO}).", None),
        (SHIPFAST, f"shipfast accepted the fulfillment request for {FO}.", "ok"),
        (
            SHIPFAST,
            f"shipfast closed the fulfillment request for {FO}: back with the merchant.",
            "out of stock here",
        ),
        (STAFF, f"Fulfillment order {FO} is open for fulfilling.", None),
        (STAFF, f"Fulfillment of 5 items requested from shipfast ({FO}).", None),
        (STAFF, f"Cancellation of the fulfillment request for {FO} asked of shipfast.", None),
        (SHIPFAST, f"shipfast cancelled the fulfillment request for {FO}.", "stopped"),
    ]
    assert [request_id(order)] == ["id-4"]


# -- automatic fulfillment -------------------------------------------------------------------


def automatic(service: SpyService, capture: CaptureMode = CaptureMode.MANUAL) -> Harness:
    policies = Policies(
        capture=CapturePolicy(capture),
        fulfillment=FulfillmentPolicy(FulfillmentMode.AUTOMATIC),
    )
    return make_flow(publish=False, fulfillment_service=service, policies=policies)


def test_automatic_fulfillment_requests_from_the_service_instead_of_fulfilling_once_paid(
    service: SpyService,
) -> None:
    harness = automatic(service)
    # 2 x 20.00 + 1 x 20.00 + 15.00 + 7.00 = 82.00
    placed = harness.flow.place(
        make_draft(
            make_line("plain", quantity=2),
            make_line("review", requires_manual_review=True),
            location=WH,
        ),
        actor=STAFF,
    )
    assert all(fo.request is None for fo in placed.fulfillment_orders)  # not paid yet
    assert service_items(harness) == []

    paid = harness.flow.record_payment(
        ORDER, sale(eur("82.00")), idempotency_key="evt-sale", actor=GATEWAY
    )  # transaction id-2, request id-3, version 2

    assert paid.fulfillments == ()
    assert [(fo.id, fo.lines, fo.request_status) for fo in paid.fulfillment_orders] == [
        (FO, (q("plain", 2),), "submitted"),
        (SPLIT, (q("review", 1),), "unsubmitted"),
    ]
    assert fulfillment_status(paid) == "in_progress"
    assert [(e.actor, e.message) for e in paid.timeline[-2:]] == [
        (SYSTEM, f"1 item moved from {FO} to {SPLIT}."),
        (SYSTEM, f"Fulfillment of 2 items requested from shipfast ({FO})."),
    ]
    assert [d.item.key for d in service_items(harness)] == ["fulfil-id-3-2"]
    harness.flow.dispatch()
    assert service.calls == [call("fulfil-id-3-2", "id-3", lines=(q("plain", 2),))]


def test_automatic_fulfillment_fulfils_the_merchants_own_lines_and_requests_the_services(
    service: SpyService,
) -> None:
    harness = automatic(service)
    harness.flow.place(
        make_draft(make_line("a", location=WH), make_line("b")), actor=STAFF
    )  # fo1: a from wh, fo2: b from the default location; 62.00

    paid = harness.flow.record_payment(
        ORDER, sale(eur("62.00")), idempotency_key="evt-sale", actor=GATEWAY
    )

    assert paid.fulfillment_order(FO).request_status == "submitted"
    assert paid.fulfillment_order(SPLIT).status == "closed"
    assert [(f.fulfillment_order_id, f.lines) for f in paid.fulfillments] == [(SPLIT, (q("b", 1),))]
    assert fulfillment_status(paid) == "partially_fulfilled"


def test_automatic_fulfillment_never_resubmits_a_rejected_request_when_payment_is_captured(
    service: SpyService,
) -> None:
    harness = automatic(service, CaptureMode.ON_FULFILLMENT)
    harness.flow.place(make_draft(location=WH), actor=STAFF)  # 62.00
    authorized = harness.flow.record_payment(
        ORDER, authorization(eur("62.00")), idempotency_key="evt-auth", actor=GATEWAY
    )
    first = request_id(authorized)  # held funds cover the order: requested at once
    harness.flow.dispatch()
    answer(harness, "reject", "k-reject")

    harness.flow.capture(ORDER, actor=STAFF)
    harness.flow.dispatch()  # the gateway captures: PaymentCaptured

    order = harness.flow.get(ORDER)
    assert financial_status(order) == "paid"
    assert "PaymentCaptured" in [e.kind for e in order.timeline]
    assert (request_id(order), order.fulfillment_order(FO).request_status) == (first, "rejected")
    assert len(service_items(harness)) == 1
    assert [c.request_id for c in service.calls] == [first]
    assert order.fulfillments == ()
    assert fulfillment_status(order) == "request_declined"


def test_automatic_fulfillment_never_resubmits_a_rejected_request_when_a_hold_is_released(
    service: SpyService,
) -> None:
    harness = automatic(service)
    harness.flow.place(make_draft(make_line("a", location=WH), make_line("b")), actor=STAFF)
    held = harness.flow.hold(ORDER, SPLIT, HoldReason.INCORRECT_ADDRESS, actor=STAFF)
    hold_id = held.fulfillment_order(SPLIT).holds[0].id
    paid = harness.flow.record_payment(
        ORDER, sale(eur("62.00")), idempotency_key="evt-sale", actor=GATEWAY
    )
    first = request_id(paid)
    answer(harness, "reject", "k-reject")

    released = harness.flow.release(ORDER, SPLIT, hold_id, actor=STAFF)

    # The released order is fulfilled by the system; the rejected request stays rejected.
    assert [(f.fulfillment_order_id, f.lines) for f in released.fulfillments] == [
        (SPLIT, (q("b", 1),))
    ]
    assert released.timeline[-1].actor == SYSTEM
    assert (request_id(released), released.fulfillment_order(FO).request_status) == (
        first,
        "rejected",
    )
    assert len(service_items(harness)) == 1
    assert fulfillment_status(released) == "partially_fulfilled"


def test_automatic_fulfillment_leaves_a_cancelled_request_with_the_merchant(
    service: SpyService,
) -> None:
    harness = automatic(service)
    harness.flow.place(make_draft(location=WH), actor=STAFF)
    harness.flow.record_payment(
        ORDER, sale(eur("62.00")), idempotency_key="evt-sale", actor=GATEWAY
    )
    answer(harness, "accept", "k-accept")
    ask_to_cancel(harness)
    answer(harness, "accept_cancellation", "k-cancelled")
    harness.flow.hold(ORDER, FO, HoldReason.OTHER, actor=STAFF)

    released = harness.flow.release(ORDER, FO, release_all=True, actor=STAFF)

    fo = released.fulfillment_order(FO)
    assert (fo.status, fo.request_status) == ("open", "cancellation_accepted")
    assert released.fulfillments == ()
    assert len(service_items(harness)) == 2  # the request and its cancellation, no more


def test_dispatch_without_a_fulfillment_service_fails_the_call_and_keeps_it() -> None:
    harness = make_flow(publish=False)  # no FulfillmentService configured
    harness.flow.place(
        make_draft(make_line("a", quantity=3), make_line("b", quantity=2), location=WH),
        actor=STAFF,
    )
    harness.flow.request_fulfillment(ORDER, FO, actor=STAFF)

    report = harness.flow.dispatch()

    assert (report.delivered, report.failed) == (0, 1)
    ((_, error),) = report.errors
    assert error.startswith("LookupError: a fulfillment service request was queued")
    (item,) = service_items(harness)
    assert (item.state, item.attempts) == ("pending", 1)
    assert item.next_attempt_at == harness.clock.now() + timedelta(seconds=30)
