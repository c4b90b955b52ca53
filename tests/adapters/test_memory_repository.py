"""The OrderRepository and Outbox contract, run against every adapter that implements both.

Only the in-memory adapter exists so far; a SQL adapter joins by adding a factory to
``ADAPTERS`` (taking ``tmp_path`` through ``request`` when it needs a file). Every test
talks to the ports only, with orders built by the domain, never through the service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

import attrs
import pytest

from orderflow import (
    ConcurrencyError,
    DuplicateOrder,
    Money,
    Order,
    OrderflowError,
    OrderNotFound,
    OrderQuery,
    Transaction,
    TransactionKind,
)
from orderflow.adapters.memory import InMemoryRepository
from orderflow.domain.fulfillment import Fulfillment, ServiceRequest, Tracking
from orderflow.domain.placement import place
from orderflow.ports import IdempotencyRecord, OrderRepository, Outbox, OutboxItem
from orderflow.testing import STAFF, make_customer, make_draft

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
LEASE = timedelta(minutes=5)


class Store(OrderRepository, Outbox, Protocol):
    """What the service needs from a store adapter: the repository that is also the outbox."""


ADAPTERS: list[Any] = [pytest.param(InMemoryRepository, id="memory")]


@pytest.fixture(params=ADAPTERS)
def repository(request: pytest.FixtureRequest) -> Store:
    factory: Callable[[], Store] = request.param
    return factory()


def new_order(
    order_id: str,
    number: int,
    *,
    placed_at: datetime = T0,
    checkout: str | None = None,
    **changes: Any,
) -> Order:
    """A freshly placed ``make_draft()`` order at version 1, with ``changes`` applied."""
    change = place(
        make_draft(external_checkout_id=checkout),
        order_id=order_id,
        number=number,
        now=placed_at,
        actor=STAFF,
    )
    return attrs.evolve(change.recorded().order, version=1, **changes)


def item(key: str, order_id: str = "ord-1", *, at: datetime = T0) -> OutboxItem:
    return OutboxItem(key=key, order_id=order_id, topic="event", payload="{}", created_at=at)


def record(key: str, order_id: str = "ord-1", *, expires_at: datetime) -> IdempotencyRecord:
    return IdempotencyRecord(
        source="payment",
        key=key,
        request_hash="hash",
        order_id=order_id,
        created_at=T0,
        expires_at=expires_at,
    )


def transaction(
    kind: TransactionKind, status: str, *, expires_at: datetime | None = None
) -> Transaction:
    return Transaction(
        id=f"tx-{kind.value}",
        kind=kind,
        amount=Money("62.00", "EUR"),
        status=status,
        idempotency_key=f"key-{kind.value}",
        created_at=T0,
        expires_at=expires_at,
    )


def held_until(expires_at: datetime) -> tuple[Transaction, ...]:
    return (transaction(TransactionKind.AUTHORIZATION, "authorized", expires_at=expires_at),)


def ids(orders: Iterable[Order]) -> list[str]:
    return [order.id for order in orders]


# -- add, get, save ------------------------------------------------------------------------


def test_an_added_order_is_returned_by_get(repository: Store) -> None:
    order = new_order("ord-1", 1001)

    repository.add(order)

    assert repository.get("ord-1") == order


def test_getting_an_unknown_order_raises_order_not_found_naming_it(
    repository: Store,
) -> None:
    with pytest.raises(OrderNotFound, match="'ord-missing'"):
        repository.get("ord-missing")


def test_a_save_at_the_expected_version_replaces_the_order(
    repository: Store,
) -> None:
    order = new_order("ord-1", 1001)
    repository.add(order)
    changed = attrs.evolve(order, note="Fragile", version=2)

    repository.save(changed, expected_version=1)

    assert repository.get("ord-1") == changed


def test_a_save_at_a_stale_version_raises_concurrency_error_and_keeps_the_newer_order(
    repository: Store,
) -> None:
    order = new_order("ord-1", 1001)
    repository.add(order)
    newer = attrs.evolve(order, note="theirs", version=2)
    repository.save(newer, expected_version=1)

    with pytest.raises(ConcurrencyError, match=r"stored version 2, expected 1"):
        repository.save(attrs.evolve(order, note="mine", version=2), expected_version=1)

    assert repository.get("ord-1") == newer


def test_saving_an_order_never_added_raises_order_not_found(
    repository: Store,
) -> None:
    with pytest.raises(OrderNotFound, match="'ord-1'"):
        repository.save(new_order("ord-1", 1001), expected_version=0)


@pytest.mark.parametrize(
    ("duplicate", "message"),
    [
        (new_order("ord-1", 2002), "id 'ord-1'"),
        (new_order("ord-2", 1001), "#1001"),
        (new_order("ord-2", 2002, checkout="chk-1"), "checkout 'chk-1'"),
    ],
    ids=["same id", "same number", "same checkout"],
)
def test_adding_an_order_whose_id_number_or_checkout_is_taken_raises_duplicate_order(
    repository: Store, duplicate: Order, message: str
) -> None:
    first = new_order("ord-1", 1001, checkout="chk-1")
    repository.add(first)

    with pytest.raises(DuplicateOrder, match=message):
        repository.add(duplicate, outbox=[item("job-1", duplicate.id)])

    assert repository.get("ord-1") == first
    assert repository.by_number(2002) is None
    assert repository.deliveries(duplicate.id) == []


def test_a_stale_save_writes_neither_the_order_nor_its_outbox_items_nor_its_record(
    repository: Store,
) -> None:
    order = new_order("ord-1", 1001)
    repository.add(order)
    repository.save(attrs.evolve(order, version=2), expected_version=1)

    with pytest.raises(ConcurrencyError):
        repository.save(
            attrs.evolve(order, note="mine", version=2),
            expected_version=1,
            outbox=[item("job-1")],
            idempotency=record("evt-1", expires_at=T0 + timedelta(days=30)),
        )

    assert repository.get("ord-1").note == ""
    assert repository.deliveries("ord-1") == []
    assert repository.idempotency_record("payment", "evt-1") is None


def test_a_save_writes_the_order_its_outbox_items_and_its_record_together(
    repository: Store,
) -> None:
    order = new_order("ord-1", 1001)
    repository.add(order)
    saved_record = record("evt-1", expires_at=T0 + timedelta(days=30))

    repository.save(
        attrs.evolve(order, note="Fragile", version=2),
        expected_version=1,
        outbox=[item("job-1"), item("job-2")],
        idempotency=saved_record,
    )

    assert repository.get("ord-1").note == "Fragile"
    assert [d.item.key for d in repository.deliveries("ord-1")] == ["job-1", "job-2"]
    assert repository.idempotency_record("payment", "evt-1") == saved_record


def test_a_save_with_an_outbox_key_already_queued_is_refused_whole(
    repository: Store,
) -> None:
    order = new_order("ord-1", 1001)
    repository.add(order, outbox=[item("job-1")])

    with pytest.raises(OrderflowError, match="job-1"):
        repository.save(
            attrs.evolve(order, note="mine", version=2),
            expected_version=1,
            outbox=[item("job-2"), item("job-1")],
        )

    assert repository.get("ord-1") == order
    assert [d.item.key for d in repository.deliveries("ord-1")] == ["job-1"]


# -- numbers and lookups ---------------------------------------------------------------------


def test_next_number_counts_from_1001_and_never_repeats(repository: Store) -> None:
    numbers = [repository.next_number() for _ in range(3)]

    assert numbers == [1001, 1002, 1003]


def test_next_number_never_hands_out_a_number_already_stored(
    repository: Store,
) -> None:
    repository.add(new_order("ord-1", 1002))

    numbers = [repository.next_number() for _ in range(3)]

    assert numbers == [1001, 1003, 1004]


def test_orders_are_found_by_number_and_by_checkout_id(repository: Store) -> None:
    order = new_order("ord-1", 1001, checkout="chk-1")
    repository.add(order)

    assert repository.by_number(1001) == order
    assert repository.by_checkout_id("chk-1") == order
    assert repository.by_number(1002) is None
    assert repository.by_checkout_id("chk-2") is None


# -- queries ---------------------------------------------------------------------------------


@pytest.fixture
def catalogue(repository: Store) -> Store:
    """Five orders an hour apart, #1001 oldest, each with one trait the filters look for."""
    sold = (transaction(TransactionKind.SALE, "succeeded"),)
    orders = [
        new_order("ord-1", 1001, placed_at=T0, tags=frozenset({"vip"})),
        new_order(
            "ord-2",
            1002,
            placed_at=T0 + timedelta(hours=1),
            customer=make_customer(name="Grace Hopper", email="Grace@Example.com"),
        ),
        new_order("ord-3", 1003, placed_at=T0 + timedelta(hours=2), transactions=sold),
        new_order("ord-4", 1004, placed_at=T0 + timedelta(hours=3), status="cancelled"),
        new_order(
            "ord-5",
            1005,
            placed_at=T0 + timedelta(hours=4),
            archive_status="archived",
            archived_at=T0 + timedelta(hours=4),
            note="Call before delivery",
        ),
    ]
    for order in orders:
        repository.add(order)
    return repository


def test_a_query_lists_working_orders_newest_first_by_default(
    catalogue: Store,
) -> None:
    page = catalogue.query(OrderQuery())

    assert ids(page.orders) == ["ord-4", "ord-3", "ord-2", "ord-1"]
    assert page.next_cursor is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (OrderQuery(archived=True), ["ord-5"]),
        (OrderQuery(archived=None), ["ord-5", "ord-4", "ord-3", "ord-2", "ord-1"]),
        (OrderQuery(status="cancelled"), ["ord-4"]),
        (OrderQuery(status="open"), ["ord-3", "ord-2", "ord-1"]),
        (OrderQuery(financial_status="paid"), ["ord-3"]),
        (OrderQuery(financial_status="pending"), ["ord-4", "ord-2", "ord-1"]),
        (OrderQuery(customer_email="grace@example.COM"), ["ord-2"]),
        (OrderQuery(tag="vip"), ["ord-1"]),
        (OrderQuery(text="#1003"), ["ord-3"]),
        (OrderQuery(text="grace hopper"), ["ord-2"]),
        (OrderQuery(text="GRACE@EXAMPLE"), ["ord-2"]),
        (OrderQuery(text="call before", archived=None), ["ord-5"]),
        (OrderQuery(placed_from=T0 + timedelta(hours=1)), ["ord-4", "ord-3", "ord-2"]),
        (OrderQuery(placed_before=T0 + timedelta(hours=1)), ["ord-1"]),
        (
            OrderQuery(placed_from=T0 + timedelta(hours=1), placed_before=T0 + timedelta(hours=3)),
            ["ord-3", "ord-2"],
        ),
    ],
    ids=[
        "archived only",
        "archived or not",
        "cancelled",
        "open",
        "paid",
        "pending payment",
        "email in any case",
        "tag",
        "text: number",
        "text: customer name",
        "text: email",
        "text: note",
        "placed from (inclusive)",
        "placed before (exclusive)",
        "date range",
    ],
)
def test_query_filters_select_the_matching_orders(
    catalogue: Store, query: OrderQuery, expected: list[str]
) -> None:
    assert ids(catalogue.query(query).orders) == expected


def _all_pages(repository: Store, limit: int) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = repository.query(OrderQuery(limit=limit, after=cursor))
        pages.append(ids(page.orders))
        cursor = page.next_cursor
        if cursor is None:
            return pages


def test_pages_follow_each_other_newest_first_with_ties_broken_by_id(
    repository: Store,
) -> None:
    same_time = T0 + timedelta(hours=1)
    for order_id, number, placed_at in [
        ("ord-a", 1001, T0),
        ("ord-b", 1002, same_time),
        ("ord-c", 1003, same_time),
        ("ord-d", 1004, same_time),
        ("ord-e", 1005, T0 + timedelta(hours=2)),
    ]:
        repository.add(new_order(order_id, number, placed_at=placed_at))

    pages = _all_pages(repository, limit=2)

    assert pages == [["ord-e", "ord-d"], ["ord-c", "ord-b"], ["ord-a"]]


def test_a_page_that_ends_exactly_at_the_last_order_has_no_next_cursor(
    repository: Store,
) -> None:
    for n in (1, 2):
        repository.add(new_order(f"ord-{n}", 1000 + n, placed_at=T0 + timedelta(hours=n)))

    page = repository.query(OrderQuery(limit=2))

    assert ids(page.orders) == ["ord-2", "ord-1"]
    assert page.next_cursor is None


def test_an_order_placed_between_two_pages_neither_repeats_nor_hides_the_others(
    repository: Store,
) -> None:
    for n in (1, 2, 3, 4):
        repository.add(new_order(f"ord-{n}", 1000 + n, placed_at=T0 + timedelta(hours=n)))
    first = repository.query(OrderQuery(limit=2))

    repository.add(new_order("ord-new", 1005, placed_at=T0 + timedelta(hours=5)))
    second = repository.query(OrderQuery(limit=2, after=first.next_cursor))

    assert ids(first.orders) == ["ord-4", "ord-3"]
    assert ids(second.orders) == ["ord-2", "ord-1"]
    assert second.next_cursor is None


def test_stream_yields_every_order_newest_first_across_batches(repository: Store) -> None:
    for n in (1, 2, 3, 4, 5):
        repository.add(new_order(f"ord-{n}", 1000 + n, placed_at=T0 + timedelta(hours=n)))

    assert ids(repository.stream(batch=2)) == ["ord-5", "ord-4", "ord-3", "ord-2", "ord-1"]
    query = OrderQuery(placed_before=T0 + timedelta(hours=4), limit=1)
    assert ids(repository.stream(query, batch=2)) == ["ord-3", "ord-2", "ord-1"]


# -- due times -------------------------------------------------------------------------------


def test_due_before_lists_the_orders_due_by_then_earliest_first(
    repository: Store,
) -> None:
    for order_id, number, hours in [("ord-1", 1001, 3), ("ord-2", 1002, 1), ("ord-3", 1003, 2)]:
        transactions = held_until(T0 + timedelta(hours=hours))
        repository.add(new_order(order_id, number, transactions=transactions))
    repository.add(new_order("ord-4", 1004))  # nothing scheduled

    assert repository.due_before(T0) == []
    assert repository.due_before(T0 + timedelta(hours=2)) == ["ord-2", "ord-3"]
    assert repository.due_before(T0 + timedelta(hours=5)) == ["ord-2", "ord-3", "ord-1"]
    assert repository.due_before(T0 + timedelta(hours=5), limit=1) == ["ord-2"]


def test_an_order_is_no_longer_due_once_saved_without_a_deadline(
    repository: Store,
) -> None:
    order = new_order("ord-1", 1001, transactions=held_until(T0 + timedelta(hours=1)))
    repository.add(order)
    expired = (transaction(TransactionKind.AUTHORIZATION, "expired"),)

    repository.save(attrs.evolve(order, transactions=expired, version=2), expected_version=1)

    assert repository.due_before(T0 + timedelta(days=1)) == []


# -- idempotency records ---------------------------------------------------------------------


def test_purging_forgets_only_the_records_expired_by_then(repository: Store) -> None:
    order = new_order("ord-1", 1001)
    repository.add(order, idempotency=record("evt-1", expires_at=T0 + timedelta(days=1)))
    kept = record("evt-2", expires_at=T0 + timedelta(days=2))
    repository.save(attrs.evolve(order, version=2), expected_version=1, idempotency=kept)

    assert repository.purge_idempotency(T0 + timedelta(days=1)) == 1

    assert repository.idempotency_record("payment", "evt-1") is None
    assert repository.idempotency_record("payment", "evt-2") == kept
    assert repository.purge_idempotency(T0 + timedelta(days=1)) == 0


# -- outbox ----------------------------------------------------------------------------------


@pytest.fixture
def queued(repository: Store) -> Store:
    """Order ord-1 with jobs job-1 (at T0) and job-2 (a minute later), both pending."""
    repository.add(
        new_order("ord-1", 1001),
        outbox=[item("job-1"), item("job-2", at=T0 + timedelta(minutes=1))],
    )
    return repository


def test_new_items_are_pending_and_listed_per_order_oldest_first(
    queued: Store,
) -> None:
    queued.add(new_order("ord-2", 1002), outbox=[item("job-3", "ord-2")])

    deliveries = queued.deliveries("ord-1")

    assert [(d.item.key, d.state, d.attempts) for d in deliveries] == [
        ("job-1", "pending", 0),
        ("job-2", "pending", 0),
    ]
    assert deliveries[0].next_attempt_at == T0
    assert [d.item.key for d in queued.deliveries("ord-2")] == ["job-3"]
    assert queued.deliveries("ord-missing") == []


def test_claim_leases_the_due_items_oldest_first_and_counts_the_attempt(
    queued: Store,
) -> None:
    now = T0 + timedelta(minutes=1)

    claimed = queued.claim(now, limit=10, lease=LEASE)

    assert [(d.item.key, d.attempts, d.lease_until) for d in claimed] == [
        ("job-1", 1, now + LEASE),
        ("job-2", 1, now + LEASE),
    ]


def test_items_due_at_the_same_time_are_claimed_in_the_order_they_were_queued(
    repository: Store,
) -> None:
    keys = [f"event-ord-1-{version}-0" for version in range(1, 12)]  # versions 1 to 11
    repository.add(new_order("ord-1", 1001), outbox=[item(key) for key in keys])

    claimed = repository.claim(T0, limit=20, lease=LEASE)

    assert [d.item.key for d in claimed] == keys


def test_claim_takes_no_item_before_its_time_and_no_more_than_the_limit(
    queued: Store,
) -> None:
    assert [d.item.key for d in queued.claim(T0, limit=10, lease=LEASE)] == ["job-1"]
    assert [d.item.key for d in queued.claim(T0 + timedelta(minutes=1), limit=1, lease=LEASE)] == [
        "job-2"
    ]


def test_a_claimed_item_is_not_claimed_again_until_its_lease_ends(queued: Store) -> None:
    (first,) = queued.claim(T0, limit=10, lease=LEASE)  # job-2 is not due yet
    assert first.item.key == "job-1"

    during = queued.claim(T0 + LEASE - timedelta(seconds=1), limit=10, lease=LEASE)
    assert [d.item.key for d in during] == ["job-2"]  # job-1 is still leased

    (again,) = queued.claim(T0 + LEASE, limit=10, lease=LEASE)
    assert (again.item.key, again.attempts) == ("job-1", 2)


def test_claim_key_leases_one_pending_item_unless_someone_else_holds_it(
    queued: Store,
) -> None:
    claimed = queued.claim_key("job-2", T0, lease=LEASE)

    assert claimed is not None
    assert (claimed.item.key, claimed.attempts, claimed.lease_until) == ("job-2", 1, T0 + LEASE)
    assert queued.claim_key("job-2", T0 + timedelta(minutes=4), lease=LEASE) is None
    assert queued.claim(T0 + timedelta(minutes=4), limit=10, lease=LEASE)[0].item.key == "job-1"
    retaken = queued.claim_key("job-2", T0 + LEASE, lease=LEASE)
    assert retaken is not None
    assert retaken.attempts == 2
    assert queued.claim_key("job-missing", T0, lease=LEASE) is None


def test_a_delivered_item_is_never_claimed_again(queued: Store) -> None:
    queued.claim(T0, limit=1, lease=LEASE)
    done_at = T0 + timedelta(seconds=2)

    queued.mark_delivered("job-1", done_at)

    delivery = queued.deliveries("ord-1")[0]
    assert (delivery.state, delivery.delivered_at, delivery.lease_until) == (
        "delivered",
        done_at,
        None,
    )
    later = T0 + timedelta(days=1)
    assert [d.item.key for d in queued.claim(later, limit=10, lease=LEASE)] == ["job-2"]
    assert queued.claim_key("job-1", later, lease=LEASE) is None


def test_a_failed_item_waits_for_its_retry_time_and_keeps_its_last_error(
    queued: Store,
) -> None:
    queued.claim(T0, limit=1, lease=LEASE)
    retry_at = T0 + timedelta(seconds=30)

    queued.mark_failed("job-1", error="ConnectionError: timed out", retry_at=retry_at)

    delivery = queued.deliveries("ord-1")[0]
    assert (
        delivery.state,
        delivery.next_attempt_at,
        delivery.last_error,
        delivery.lease_until,
    ) == (
        "pending",
        retry_at,
        "ConnectionError: timed out",
        None,
    )
    assert queued.claim(retry_at - timedelta(seconds=1), limit=1, lease=LEASE) == []
    (retried,) = queued.claim(retry_at, limit=1, lease=LEASE)
    assert (retried.item.key, retried.attempts) == ("job-1", 2)


def test_an_item_failed_without_a_retry_time_is_dead_lettered(
    queued: Store,
) -> None:
    queued.claim(T0, limit=1, lease=LEASE)

    queued.mark_failed("job-1", error="ConnectionError: timed out", retry_at=None)

    delivery = queued.deliveries("ord-1")[0]
    assert (delivery.state, delivery.attempts, delivery.last_error) == (
        "dead",
        1,
        "ConnectionError: timed out",
    )
    later = T0 + timedelta(days=1)
    assert [d.item.key for d in queued.claim(later, limit=10, lease=LEASE)] == ["job-2"]
    assert queued.claim_key("job-1", later, lease=LEASE) is None


def test_a_query_selects_orders_by_fulfillment_status(repository: Store) -> None:
    waiting = new_order("ord-1", 1001)
    placed = new_order("ord-2", 1002, placed_at=T0 + timedelta(hours=1))
    (fo,) = placed.fulfillment_orders
    shipped = attrs.evolve(
        placed,
        fulfillment_orders=(attrs.evolve(fo, status="closed"),),
        fulfillments=(
            Fulfillment(id="f-1", fulfillment_order_id=fo.id, lines=fo.lines, created_at=T0),
        ),
    )
    repository.add(waiting)
    repository.add(shipped)

    assert ids(repository.query(OrderQuery(fulfillment_status="unfulfilled")).orders) == ["ord-1"]
    assert ids(repository.query(OrderQuery(fulfillment_status="fulfilled")).orders) == ["ord-2"]
    assert repository.query(OrderQuery(fulfillment_status="on_hold")).orders == ()


def test_an_order_is_found_by_each_outside_reference_it_carries(repository: Store) -> None:
    placed = new_order("ord-1", 1001)
    (fo,) = placed.fulfillment_orders
    shipped = attrs.evolve(
        placed,
        fulfillment_orders=(
            attrs.evolve(
                fo,
                request=ServiceRequest(
                    id="req-1", service="shipfast", status="accepted", submitted_at=T0
                ),
            ),
        ),
        fulfillments=(
            Fulfillment(
                id="f-1",
                fulfillment_order_id=fo.id,
                lines=fo.lines,
                created_at=T0,
                tracking=Tracking(numbers=("1Z1", "1Z2")),
            ),
        ),
        transactions=(
            attrs.evolve(transaction(TransactionKind.SALE, "succeeded"), reference="gw-9"),
        ),
    )
    repository.add(shipped)

    found = [
        repository.by_reference("fulfillment_order", fo.id),
        repository.by_reference("service_request", "req-1"),
        repository.by_reference("tracking_number", "1Z1"),
        repository.by_reference("tracking_number", "1Z2"),
        repository.by_reference("gateway_reference", "gw-9"),
    ]
    assert [order.id if order else None for order in found] == ["ord-1"] * 5
    assert repository.by_reference("tracking_number", "nope") is None


def test_a_reference_the_order_no_longer_carries_finds_nothing(repository: Store) -> None:
    placed = new_order("ord-1", 1001)
    (fo,) = placed.fulfillment_orders
    requested = attrs.evolve(
        placed,
        fulfillment_orders=(
            attrs.evolve(
                fo, request=ServiceRequest(id="req-1", service="shipfast", submitted_at=T0)
            ),
        ),
    )
    repository.add(requested)
    resubmitted = attrs.evolve(
        requested,
        version=2,
        fulfillment_orders=(
            attrs.evolve(
                fo, request=ServiceRequest(id="req-2", service="shipfast", submitted_at=T0)
            ),
        ),
    )

    repository.save(resubmitted, expected_version=1)

    assert repository.by_reference("service_request", "req-1") is None
    assert repository.by_reference("service_request", "req-2") == resubmitted
