"""Fulfillment services (3PLs) in the domain: requests, their answers, cancellations, close.

The order here ships from the warehouse ``wh``, run by the service ``shipfast``: one
fulfillment order ``ord-1-fo1`` with line ``a`` (3 units) and line ``b`` (2 units). New ids
(requests, split-off fulfillment orders keep their own numbering, fulfillments) come as
``r-1``, ``r-2``... in the order they are asked for, one sequence per test.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest

from orderflow.domain import fulfilling, holds, service_requests
from orderflow.domain.actor import Actor
from orderflow.domain.cancellation import cancel
from orderflow.domain.events import (
    CancellationAccepted,
    CancellationRejected,
    CancellationRequested,
    FulfillmentCreated,
    FulfillmentOrderSplit,
    FulfillmentRequestAccepted,
    FulfillmentRequestClosed,
    FulfillmentRequested,
    FulfillmentRequestRejected,
)
from orderflow.domain.fulfillment import (
    HoldReason,
    LineQuantity,
    Location,
    RejectionReason,
    ServiceRequest,
)
from orderflow.domain.fulfillment_status import fulfillment_status, remaining
from orderflow.domain.order import CancelReason, Change, Order
from orderflow.errors import (
    FulfillmentOnHold,
    InvalidTransition,
    OverFulfillment,
    ServiceRequestNotFound,
)
from orderflow.testing import EPOCH, STAFF, SequentialIds, make_draft, make_line, make_order

WH = Location("wh", "Warehouse", fulfillment_service="shipfast")
SHIPFAST = Actor.app("shipfast", "ShipFast")
FO = "ord-1-fo1"
SPLIT = "ord-1-fo2"
Step = Callable[[Order, SequentialIds], Order]


def an_order(location: Location = WH) -> Order:
    return make_order(
        make_draft(make_line("a", quantity=3), make_line("b", quantity=2), location=location)
    )


def q(line_item_id: str, quantity: int) -> LineQuantity:
    return LineQuantity(line_item_id, quantity)


def submit(
    order: Order,
    ids: SequentialIds,
    lines: list[LineQuantity] | None = None,
    *,
    message: str | None = None,
) -> Change:
    return service_requests.submit(
        order, FO, lines, message=message, new_id=ids.new_id, now=EPOCH, actor=STAFF
    )


def current_request(order: Order) -> ServiceRequest:
    request = order.fulfillment_order(FO).request
    assert request is not None
    return request


def accept(order: Order, message: str | None = None) -> Change:
    return service_requests.accept(
        order, current_request(order).id, message=message, now=EPOCH, actor=SHIPFAST
    )


def reject(
    order: Order, reason: RejectionReason = RejectionReason.OTHER, message: str | None = None
) -> Change:
    return service_requests.reject(
        order, current_request(order).id, reason, message=message, now=EPOCH, actor=SHIPFAST
    )


def ask_to_cancel(order: Order, message: str | None = None) -> Change:
    return service_requests.request_cancellation(order, FO, message=message, now=EPOCH, actor=STAFF)


def accept_cancellation(order: Order, message: str | None = None) -> Change:
    return service_requests.accept_cancellation(
        order, current_request(order).id, message=message, now=EPOCH, actor=SHIPFAST
    )


def reject_cancellation(order: Order, message: str | None = None) -> Change:
    return service_requests.reject_cancellation(
        order, current_request(order).id, message=message, now=EPOCH, actor=SHIPFAST
    )


def close(order: Order, message: str | None = None) -> Change:
    return service_requests.close(
        order, current_request(order).id, message=message, now=EPOCH, actor=SHIPFAST
    )


def merchant_fulfils(order: Order, ids: SequentialIds, *lines: LineQuantity) -> Change:
    return fulfilling.fulfill(order, FO, lines or None, new_id=ids.new_id, now=EPOCH, actor=STAFF)


def service_fulfils(order: Order, ids: SequentialIds, *lines: LineQuantity) -> Change:
    return fulfilling.fulfill(
        order, FO, lines or None, new_id=ids.new_id, now=EPOCH, actor=SHIPFAST, by_service=True
    )


def hold(order: Order, ids: SequentialIds, lines: list[LineQuantity] | None = None) -> Change:
    return holds.hold(
        order, FO, HoldReason.OTHER, lines=lines, new_id=ids.new_id, now=EPOCH, actor=STAFF
    )


STEPS: dict[str, Step] = {
    "submit": lambda order, ids: submit(order, ids).order,
    "accept": lambda order, _: accept(order).order,
    "reject": lambda order, _: reject(order).order,
    "request_cancellation": lambda order, _: ask_to_cancel(order).order,
    "accept_cancellation": lambda order, _: accept_cancellation(order).order,
    "reject_cancellation": lambda order, _: reject_cancellation(order).order,
    "close": lambda order, _: close(order).order,
}

PATHS: dict[str, tuple[str, ...]] = {
    "submitted": ("submit",),
    "accepted": ("submit", "accept"),
    "rejected": ("submit", "reject"),
    "cancellation_requested": ("submit", "accept", "request_cancellation"),
    "cancellation_accepted": ("submit", "accept", "request_cancellation", "accept_cancellation"),
    "cancellation_rejected": ("submit", "accept", "request_cancellation", "reject_cancellation"),
    "closed": ("submit", "accept", "close"),
}
"""The whole fulfillment order, submitted then answered to reach each request status."""

WITH_SERVICE = ("submitted", "accepted", "cancellation_requested", "cancellation_rejected")


def reached(status: str, ids: SequentialIds, order: Order | None = None) -> Order:
    """The order whose fulfillment order ``ord-1-fo1`` went along ``PATHS[status]``."""
    order = order or an_order()
    for step in PATHS[status]:
        order = STEPS[step](order, ids)
    assert order.fulfillment_order(FO).request_status == status
    return order


def totals(order: Order) -> Counter[str]:
    """Quantity of each line item over all the order's fulfillment orders."""
    total: Counter[str] = Counter()
    for fo in order.fulfillment_orders:
        for line in fo.lines:
            total[line.line_item_id] += line.quantity
    return total


# -- submitting ------------------------------------------------------------------------------


def test_submitting_every_line_requests_the_whole_fulfillment_order_without_a_split() -> None:
    change = submit(an_order(), SequentialIds("r"), message="rush")

    (fo,) = change.order.fulfillment_orders
    assert fo.lines == (q("a", 3), q("b", 2))
    assert fo.request == ServiceRequest(
        id="r-1", service="shipfast", status="submitted", submitted_at=EPOCH, message="rush"
    )
    assert fo.request_status == "submitted"
    assert fo.with_service
    assert change.events == (
        FulfillmentRequested(
            order_id="ord-1",
            at=EPOCH,
            actor=STAFF,
            fulfillment_order_id=FO,
            request_id="r-1",
            service="shipfast",
            message="rush",
            lines=(q("a", 3), q("b", 2)),
        ),
    )


def test_a_partial_submit_keeps_the_submitted_lines_and_moves_the_rest_to_a_new_order() -> None:
    change = submit(an_order(), SequentialIds("r"), [q("a", 2)])

    submitted, rest = change.order.fulfillment_orders
    assert (submitted.id, submitted.lines, submitted.request_status) == (
        FO,
        (q("a", 2),),
        "submitted",
    )
    assert current_request(change.order).id == "r-1"
    # a: 3 - 2 = 1 stays to do, b: 2 untouched; the new order has no request at all.
    assert (rest.id, rest.lines, rest.request, rest.request_status) == (
        SPLIT,
        (q("a", 1), q("b", 2)),
        None,
        "unsubmitted",
    )
    assert (rest.status, rest.location, rest.destination) == ("open", WH, submitted.destination)
    assert totals(change.order) == Counter({"a": 3, "b": 2})
    split, requested = change.events
    assert split == FulfillmentOrderSplit(
        order_id="ord-1",
        at=EPOCH,
        actor=STAFF,
        fulfillment_order_id=FO,
        into_id=SPLIT,
        lines=(q("a", 1), q("b", 2)),
    )
    assert isinstance(requested, FulfillmentRequested)
    assert (requested.fulfillment_order_id, requested.lines) == (FO, (q("a", 2),))


def test_a_partial_submit_after_a_partial_fulfillment_requests_only_what_remains() -> None:
    ids = SequentialIds("r")
    order = merchant_fulfils(an_order(), ids, q("a", 1)).order  # fulfillment r-1

    change = submit(order, ids, [q("b", 2)])  # request r-2

    submitted = change.order.fulfillment_order(FO)
    rest = change.order.fulfillment_order(SPLIT)
    # The 2 unfulfilled units of a move out; fo1 keeps a: 1 (fulfilled) and b: 2 (requested).
    assert rest.lines == (q("a", 2),)
    assert rest.request is None
    assert submitted.lines == (q("a", 1), q("b", 2))
    assert remaining(change.order, submitted) == (q("b", 2),)
    assert totals(change.order) == Counter({"a": 3, "b": 2})
    assert change.events[-1] == FulfillmentRequested(
        order_id="ord-1",
        at=EPOCH,
        actor=STAFF,
        fulfillment_order_id=FO,
        request_id="r-2",
        service="shipfast",
        lines=(q("b", 2),),
    )


def test_submitting_more_than_remains_is_refused() -> None:
    with pytest.raises(OverFulfillment, match=r"4 of line 'a'.*only 3 remain"):
        submit(an_order(), SequentialIds("r"), [q("a", 4)])


def test_a_location_without_a_fulfillment_service_takes_no_request() -> None:
    order = an_order(Location("default", "Default location"))

    with pytest.raises(InvalidTransition, match="Default location, which no fulfillment service"):
        submit(order, SequentialIds("r"))

    assert order.fulfillment_order(FO).request is None


def test_a_fulfillment_order_on_hold_cannot_be_submitted() -> None:
    ids = SequentialIds("r")
    order = hold(an_order(), ids).order

    with pytest.raises(FulfillmentOnHold, match=f"{FO} is on hold: release it"):
        submit(order, ids)

    assert order.fulfillment_order(FO).request is None


def test_a_scheduled_fulfillment_order_cannot_be_submitted() -> None:
    order = fulfilling.schedule(
        an_order(), FO, EPOCH + timedelta(days=3), now=EPOCH, actor=STAFF
    ).order

    with pytest.raises(InvalidTransition, match=f"fulfillment order {FO} while scheduled"):
        submit(order, SequentialIds("r"))


def test_a_closed_fulfillment_order_cannot_be_submitted() -> None:
    ids = SequentialIds("r")
    order = merchant_fulfils(an_order(), ids).order

    with pytest.raises(InvalidTransition, match=f"fulfillment order {FO} while closed"):
        submit(order, ids)


def test_a_cancelled_order_takes_no_request() -> None:
    order = cancel(
        an_order(), CancelReason.CUSTOMER, new_id=SequentialIds("c").new_id, now=EPOCH, actor=STAFF
    ).order

    with pytest.raises(InvalidTransition, match="cannot request fulfillment while cancelled"):
        submit(order, SequentialIds("r"))


@pytest.mark.parametrize("status", WITH_SERVICE)
def test_a_fulfillment_order_with_the_service_cannot_be_submitted_again(status: str) -> None:
    ids = SequentialIds("r")
    order = reached(status, ids)

    with pytest.raises(InvalidTransition, match=f"cannot submit while {status}"):
        submit(order, ids)

    assert current_request(order).id == "r-1"


@pytest.mark.parametrize("status", ["rejected", "cancellation_accepted"])
def test_work_back_with_the_merchant_can_be_submitted_again_under_a_new_request(
    status: str,
) -> None:
    ids = SequentialIds("r")
    order = reached(status, ids)

    change = submit(order, ids, message="second try")

    assert current_request(change.order) == ServiceRequest(
        id="r-2", service="shipfast", status="submitted", submitted_at=EPOCH, message="second try"
    )
    assert fulfillment_status(change.order) == "in_progress"


def test_a_closed_request_can_be_submitted_again_once_the_merchant_reopens_it() -> None:
    ids = SequentialIds("r")
    order = reached("closed", ids)
    with pytest.raises(InvalidTransition, match="while incomplete"):
        submit(order, ids)

    reopened = fulfilling.open_now(order, FO, now=EPOCH, actor=STAFF).order
    change = submit(reopened, ids)

    assert current_request(change.order).id == "r-2"
    assert current_request(change.order).status == "submitted"


def test_a_partial_resubmit_gives_the_split_off_rest_no_request() -> None:
    ids = SequentialIds("r")
    order = reached("rejected", ids)

    change = submit(order, ids, [q("b", 1)])

    assert current_request(change.order).id == "r-2"
    rest = change.order.fulfillment_order(SPLIT)
    assert rest.lines == (q("a", 3), q("b", 1))
    assert rest.request is None
    assert totals(change.order) == Counter({"a": 3, "b": 2})


# -- the service's answers -------------------------------------------------------------------


def test_an_accepted_request_stays_with_the_service_with_its_message() -> None:
    ids = SequentialIds("r")
    order = submit(an_order(), ids).order

    change = accept(order, "picking today")

    request = current_request(change.order)
    assert (request.id, request.status, request.message) == ("r-1", "accepted", "picking today")
    assert change.order.fulfillment_order(FO).with_service
    assert change.events == (
        FulfillmentRequestAccepted(
            order_id="ord-1",
            at=EPOCH,
            actor=SHIPFAST,
            fulfillment_order_id=FO,
            request_id="r-1",
            service="shipfast",
            message="picking today",
        ),
    )


@pytest.mark.parametrize("reason", list(RejectionReason))
def test_a_rejection_records_its_reason_and_declines_the_order(reason: RejectionReason) -> None:
    ids = SequentialIds("r")
    order = submit(an_order(), ids).order

    change = reject(order, reason, "cannot do it")

    request = current_request(change.order)
    assert (request.status, request.reason, request.message) == (
        "rejected",
        reason,
        "cannot do it",
    )
    assert not change.order.fulfillment_order(FO).with_service
    assert fulfillment_status(change.order) == "request_declined"
    assert change.events == (
        FulfillmentRequestRejected(
            order_id="ord-1",
            at=EPOCH,
            actor=SHIPFAST,
            fulfillment_order_id=FO,
            request_id="r-1",
            service="shipfast",
            message="cannot do it",
            reason=reason,
        ),
    )


def test_a_rejection_needs_a_rejection_reason() -> None:
    order = submit(an_order(), SequentialIds("r")).order

    with pytest.raises(TypeError, match="'reason' must be a RejectionReason, got str"):
        service_requests.reject(order, "r-1", "other", now=EPOCH, actor=SHIPFAST)  # type: ignore[arg-type]


def test_a_rejection_after_something_was_fulfilled_shows_partially_fulfilled() -> None:
    ids = SequentialIds("r")
    order = merchant_fulfils(an_order(), ids, q("a", 1)).order
    order = submit(order, ids).order

    rejected = reject(order, RejectionReason.INVENTORY_OUT_OF_STOCK).order

    assert current_request(rejected).status == "rejected"
    assert fulfillment_status(rejected) == "partially_fulfilled"


@pytest.mark.parametrize("status", WITH_SERVICE)
def test_the_order_is_in_progress_while_the_service_has_the_work(status: str) -> None:
    assert fulfillment_status(reached(status, SequentialIds("r"))) == "in_progress"


def test_the_order_is_unfulfilled_before_anything_is_requested() -> None:
    assert fulfillment_status(an_order()) == "unfulfilled"


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        ("submitted", STEPS["accept_cancellation"]),
        ("accepted", STEPS["accept"]),
        ("accepted", STEPS["reject"]),
        ("rejected", STEPS["accept"]),
        ("rejected", STEPS["close"]),
        ("submitted", STEPS["close"]),
        ("cancellation_accepted", STEPS["reject_cancellation"]),
        ("closed", STEPS["accept"]),
    ],
    ids=[
        "accept a cancellation nobody asked for",
        "accept twice",
        "reject once accepted",
        "accept once rejected",
        "close once rejected",
        "close before accepting",
        "reject a cancellation already accepted",
        "accept once closed",
    ],
)
def test_an_answer_out_of_turn_is_refused(status: str, answer: Step) -> None:
    ids = SequentialIds("r")
    order = reached(status, ids)

    with pytest.raises(InvalidTransition, match=f"service request r-1: cannot .* while {status}"):
        answer(order, ids)


def test_an_answer_to_an_unknown_request_is_refused() -> None:
    order = submit(an_order(), SequentialIds("r")).order

    with pytest.raises(ServiceRequestNotFound, match="no current service request 'r-9'"):
        service_requests.accept(order, "r-9", now=EPOCH, actor=SHIPFAST)


def test_an_answer_to_a_superseded_request_is_refused() -> None:
    ids = SequentialIds("r")
    order = submit(reached("rejected", ids), ids).order  # r-2 replaces r-1

    with pytest.raises(ServiceRequestNotFound, match="'r-1'"):
        service_requests.accept(order, "r-1", now=EPOCH, actor=SHIPFAST)


# -- cancellation requests -------------------------------------------------------------------


def test_a_cancellation_request_needs_a_request_to_cancel() -> None:
    with pytest.raises(InvalidTransition, match=f"{FO} was never requested from a service"):
        ask_to_cancel(an_order())


def test_a_rejected_request_has_nothing_to_cancel() -> None:
    order = reached("rejected", SequentialIds("r"))

    with pytest.raises(InvalidTransition, match="cannot request_cancellation while rejected"):
        ask_to_cancel(order)


def test_an_accepted_cancellation_gives_the_work_back_to_the_merchant() -> None:
    ids = SequentialIds("r")
    order = reached("accepted", ids)

    asked = ask_to_cancel(order, "customer changed their mind")
    assert current_request(asked.order).status == "cancellation_requested"
    assert asked.events == (
        CancellationRequested(
            order_id="ord-1",
            at=EPOCH,
            actor=STAFF,
            fulfillment_order_id=FO,
            request_id="r-1",
            service="shipfast",
            message="customer changed their mind",
        ),
    )
    answered = accept_cancellation(asked.order, "stopped")
    assert answered.events == (
        CancellationAccepted(
            order_id="ord-1",
            at=EPOCH,
            actor=SHIPFAST,
            fulfillment_order_id=FO,
            request_id="r-1",
            service="shipfast",
            message="stopped",
        ),
    )
    fo = answered.order.fulfillment_order(FO)
    assert (fo.status, fo.request_status, fo.with_service) == (
        "open",
        "cancellation_accepted",
        False,
    )
    with pytest.raises(InvalidTransition, match=f"{FO} has no request with a fulfillment service"):
        service_fulfils(answered.order, ids)

    fulfilled = merchant_fulfils(answered.order, ids)  # fulfillment r-2

    assert fulfilled.order.fulfillment_order(FO).status == "closed"
    assert [f.id for f in fulfilled.order.fulfillments] == ["r-2"]
    assert fulfillment_status(fulfilled.order) == "fulfilled"


def test_a_rejected_cancellation_leaves_the_work_with_the_service() -> None:
    ids = SequentialIds("r")
    order = reached("cancellation_requested", ids)

    refused = reject_cancellation(order, "already packed")

    assert refused.events == (
        CancellationRejected(
            order_id="ord-1",
            at=EPOCH,
            actor=SHIPFAST,
            fulfillment_order_id=FO,
            request_id="r-1",
            service="shipfast",
            message="already packed",
        ),
    )
    fo = refused.order.fulfillment_order(FO)
    assert (fo.request_status, fo.with_service) == ("cancellation_rejected", True)
    assert fulfillment_status(refused.order) == "in_progress"
    with pytest.raises(InvalidTransition, match=f"{FO} is with shipfast: only it can fulfil"):
        merchant_fulfils(refused.order, ids)

    shipped = service_fulfils(refused.order, ids)  # fulfillment r-2

    assert shipped.events[0] == FulfillmentCreated(
        order_id="ord-1",
        at=EPOCH,
        actor=SHIPFAST,
        fulfillment_order_id=FO,
        fulfillment_id="r-2",
        lines=(q("a", 3), q("b", 2)),
    )
    assert fulfillment_status(shipped.order) == "fulfilled"


def test_a_cancellation_can_be_asked_again_after_the_service_refused_it() -> None:
    order = reached("cancellation_rejected", SequentialIds("r"))

    again = ask_to_cancel(order, "please try again")

    assert current_request(again.order).status == "cancellation_requested"
    assert current_request(again.order).message == "please try again"


# -- close: the service gives up -------------------------------------------------------------


def test_a_closed_request_makes_the_fulfillment_order_incomplete_for_the_merchant() -> None:
    ids = SequentialIds("r")
    order = reached("accepted", ids)

    closed = close(order, "out of stock here")

    assert closed.events == (
        FulfillmentRequestClosed(
            order_id="ord-1",
            at=EPOCH,
            actor=SHIPFAST,
            fulfillment_order_id=FO,
            request_id="r-1",
            service="shipfast",
            message="out of stock here",
        ),
    )
    fo = closed.order.fulfillment_order(FO)
    assert (fo.status, fo.request_status, fo.with_service) == ("incomplete", "closed", False)
    with pytest.raises(InvalidTransition, match=r"while incomplete \(open it first\)"):
        merchant_fulfils(closed.order, ids)

    reopened = fulfilling.open_now(closed.order, FO, now=EPOCH, actor=STAFF).order
    fulfilled = merchant_fulfils(reopened, ids)

    assert fulfilled.order.fulfillment_order(FO).status == "closed"
    assert fulfillment_status(fulfilled.order) == "fulfilled"


def test_after_a_partial_shipment_and_a_close_the_merchant_fulfils_only_the_rest() -> None:
    ids = SequentialIds("r")
    order = service_fulfils(reached("accepted", ids), ids, q("a", 1)).order  # r-2
    order = close(order).order
    order = fulfilling.open_now(order, FO, now=EPOCH, actor=STAFF).order

    assert remaining(order, order.fulfillment_order(FO)) == (q("a", 2), q("b", 2))
    fulfilled = merchant_fulfils(order, ids)  # r-3

    assert fulfilled.order.fulfillment("r-3").lines == (q("a", 2), q("b", 2))
    assert fulfillment_status(fulfilled.order) == "fulfilled"


# -- while the service has the work ----------------------------------------------------------


@pytest.mark.parametrize("status", WITH_SERVICE)
def test_the_merchant_cannot_fulfil_a_fulfillment_order_with_the_service(status: str) -> None:
    ids = SequentialIds("r")
    order = reached(status, ids)

    with pytest.raises(InvalidTransition, match=f"{FO} is with shipfast: only it can fulfil"):
        merchant_fulfils(order, ids, q("a", 1))


@pytest.mark.parametrize("status", WITH_SERVICE)
@pytest.mark.parametrize("lines", [None, [q("a", 1)]], ids=["all", "some lines"])
def test_the_merchant_cannot_hold_a_fulfillment_order_with_the_service(
    status: str, lines: list[LineQuantity] | None
) -> None:
    ids = SequentialIds("r")
    order = reached(status, ids)

    with pytest.raises(InvalidTransition, match=f"{FO} is with shipfast: request cancellation"):
        hold(order, ids, lines)


def test_the_service_cannot_fulfil_before_accepting() -> None:
    ids = SequentialIds("r")
    order = reached("submitted", ids)

    with pytest.raises(InvalidTransition, match=f"has not accepted the request for .*{FO}"):
        service_fulfils(order, ids)


def test_the_service_cannot_fulfil_a_request_it_never_accepted_once_cancellation_is_asked() -> None:
    ids = SequentialIds("r")
    order = ask_to_cancel(submit(an_order(), ids).order).order  # submitted, never accepted

    with pytest.raises(InvalidTransition, match="has not accepted"):
        service_fulfils(order, ids)


def test_the_service_cannot_fulfil_a_fulfillment_order_never_requested() -> None:
    ids = SequentialIds("r")

    with pytest.raises(InvalidTransition, match=f"{FO} has no request with a fulfillment service"):
        service_fulfils(an_order(), ids)


def test_an_accepted_request_is_fulfilled_by_the_service_in_parts() -> None:
    ids = SequentialIds("r")
    order = reached("accepted", ids)

    first = service_fulfils(order, ids, q("a", 2))  # r-2
    assert fulfillment_status(first.order) == "partially_fulfilled"
    assert first.order.fulfillment_order(FO).status == "open"

    second = service_fulfils(first.order, ids)  # r-3: what remains

    assert second.order.fulfillment("r-3").lines == (q("a", 1), q("b", 2))
    assert second.order.fulfillment_order(FO).status == "closed"
    assert fulfillment_status(second.order) == "fulfilled"


@pytest.mark.parametrize("status", WITH_SERVICE)
def test_cancelling_the_order_is_refused_while_a_request_is_with_the_service(status: str) -> None:
    order = reached(status, SequentialIds("r"))

    with pytest.raises(InvalidTransition, match=f"{FO} are with a fulfillment service"):
        cancel(
            order, CancelReason.CUSTOMER, new_id=SequentialIds("c").new_id, now=EPOCH, actor=STAFF
        )


@pytest.mark.parametrize("status", ["rejected", "cancellation_accepted"])
def test_the_order_can_be_cancelled_once_the_work_is_back_with_the_merchant(status: str) -> None:
    order = reached(status, SequentialIds("r"))

    cancelled = cancel(
        order, CancelReason.CUSTOMER, new_id=SequentialIds("c").new_id, now=EPOCH, actor=STAFF
    ).order

    assert cancelled.status == "cancelled"
    assert cancelled.fulfillment_order(FO).status == "cancelled"


def test_lines_split_off_a_rejected_request_carry_no_request_so_each_request_id_names_one_order() -> (
    None
):
    ids = SequentialIds("r")
    rejected = reached("rejected", ids)

    split = hold(rejected, ids, [q("a", 1)]).order

    original, held = split.fulfillment_orders
    assert original.request_status == "rejected"
    assert (held.request, held.request_status) == (None, "unsubmitted")
    assert service_requests.by_request(split, current_request(split).id) == original
