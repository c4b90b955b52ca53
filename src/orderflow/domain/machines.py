"""The event-driven lifecycles, declared once with python-statemachine.

These classes are the source of truth: the domain consults their compiled tables
(``*_TABLE``), the docs draw them (``f"{OrderLifecycle:mermaid}"``) and a test checks that
table and machine agree on every state and event. No instance is built at run time.
"""

from __future__ import annotations

from typing import Literal

from statemachine import State, StateMachine

from orderflow.domain.transitions import compile_machine


class PaymentLifecycle(StateMachine):
    """A sale, capture, refund or void sent to the gateway."""

    pending = State(initial=True)
    succeeded = State(final=True)
    failed = State(final=True)

    succeed = pending.to(succeeded)
    fail = pending.to(failed)


class AuthorizationLifecycle(StateMachine):
    """Funds held on the customer's payment method until captured, voided or expired."""

    pending = State(initial=True)
    authorized = State()
    captured = State(final=True)
    voided = State(final=True)
    expired = State(final=True)
    failed = State(final=True)

    authorize = pending.to(authorized)
    fail = pending.to(failed)
    capture = authorized.to(captured)
    void = authorized.to(voided)
    expire = authorized.to(expired)


class OrderLifecycle(StateMachine):
    """An order is open until it is cancelled; cancellation is final."""

    open = State(initial=True)
    cancelled = State(final=True)

    cancel = open.to(cancelled)


class ArchiveLifecycle(StateMachine):
    """Archiving hides an order from the working lists; it can always be undone."""

    active = State(initial=True)
    archived = State()

    archive = active.to(archived)
    unarchive = archived.to(active)


class FulfillmentOrderLifecycle(StateMachine):
    """Lines to fulfil together from one location by one delivery method.

    ``open`` is also the way back: a scheduled order whose time came, an incomplete one the
    merchant takes over, a closed one whose fulfillment was cancelled.
    """

    open = State(initial=True)
    scheduled = State()
    incomplete = State()
    closed = State()
    cancelled = State(final=True)

    schedule = open.to(scheduled)
    reopen = scheduled.to(open) | incomplete.to(open) | closed.to(open)
    complete = open.to(closed)
    close = open.to(incomplete)
    cancel = open.to(cancelled) | scheduled.to(cancelled) | incomplete.to(cancelled)


class ServiceRequestLifecycle(StateMachine):
    """A fulfillment order's request to a third-party fulfillment service (3PL).

    The service answers the request and any cancellation request; a request it rejected,
    cancelled or closed leaves the work with the merchant, who may submit it again.
    """

    unsubmitted = State(initial=True)
    submitted = State()
    accepted = State()
    rejected = State()
    cancellation_requested = State()
    cancellation_accepted = State()
    cancellation_rejected = State()
    closed = State()

    submit = (
        unsubmitted.to(submitted)
        | rejected.to(submitted)
        | cancellation_accepted.to(submitted)
        | closed.to(submitted)
    )
    accept = submitted.to(accepted)
    reject = submitted.to(rejected)
    request_cancellation = (
        submitted.to(cancellation_requested)
        | accepted.to(cancellation_requested)
        | cancellation_rejected.to(cancellation_requested)
    )
    accept_cancellation = cancellation_requested.to(cancellation_accepted)
    reject_cancellation = cancellation_requested.to(cancellation_rejected)
    close = accepted.to(closed) | cancellation_rejected.to(closed)


class LabelLifecycle(StateMachine):
    """A shipping label bought from a label provider for one fulfillment."""

    pending = State(initial=True)
    purchased = State()
    failed = State(final=True)
    void_requested = State()
    voided = State(final=True)

    purchase = pending.to(purchased)
    fail = pending.to(failed)
    request_void = purchased.to(void_requested) | pending.to(void_requested)
    """Also while the purchase is in flight (its fulfillment was cancelled): the void finds
    the purchase, if it happened, by its key."""
    void = void_requested.to(voided)
    keep = void_requested.to(purchased)
    """The provider refused to void: the label stands."""


class DisputeLifecycle(StateMachine):
    """A chargeback or inquiry the customer's bank opened against a payment; the gateway
    reports each step, the evidence stays with the host."""

    needs_response = State(initial=True)
    under_review = State()
    won = State(final=True)
    lost = State(final=True)

    submit_evidence = needs_response.to(under_review)
    win = needs_response.to(won) | under_review.to(won)
    lose = needs_response.to(lost) | under_review.to(lost)


PaymentStatus = Literal["pending", "succeeded", "failed"]
AuthorizationStatus = Literal["pending", "authorized", "captured", "voided", "expired", "failed"]
OrderStatus = Literal["open", "cancelled"]
ArchiveStatus = Literal["active", "archived"]
FulfillmentOrderStatus = Literal["open", "scheduled", "incomplete", "closed", "cancelled"]
LabelStatus = Literal["pending", "purchased", "failed", "void_requested", "voided"]
DisputeStatus = Literal["needs_response", "under_review", "won", "lost"]
RequestStatus = Literal[
    "unsubmitted",
    "submitted",
    "accepted",
    "rejected",
    "cancellation_requested",
    "cancellation_accepted",
    "cancellation_rejected",
    "closed",
]

PAYMENT_TABLE = compile_machine(PaymentLifecycle)
AUTHORIZATION_TABLE = compile_machine(AuthorizationLifecycle)
ORDER_TABLE = compile_machine(OrderLifecycle)
ARCHIVE_TABLE = compile_machine(ArchiveLifecycle)
FULFILLMENT_ORDER_TABLE = compile_machine(FulfillmentOrderLifecycle)
SERVICE_REQUEST_TABLE = compile_machine(ServiceRequestLifecycle)
LABEL_TABLE = compile_machine(LabelLifecycle)
DISPUTE_TABLE = compile_machine(DisputeLifecycle)

MACHINES = (
    PaymentLifecycle,
    AuthorizationLifecycle,
    OrderLifecycle,
    ArchiveLifecycle,
    FulfillmentOrderLifecycle,
    ServiceRequestLifecycle,
    LabelLifecycle,
    DisputeLifecycle,
)
