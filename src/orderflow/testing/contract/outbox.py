"""The outbox's part of the contract: queueing, claims and leases, deliveries, retries,
dead letters and requeues."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from orderflow.errors import InvalidTransition, OutboxItemNotFound
from orderflow.ports.repository import OrderStore
from orderflow.testing.contract.support import (
    LEASE,
    T0,
    UNSTORABLE,
    ContractBase,
    item,
    new_order,
)


class OutboxContract(ContractBase):
    """Claims, leases, retries and dead letters (``Outbox``); the store given must also
    add orders, which own the items."""

    @pytest.fixture
    def queued(self, store: OrderStore) -> OrderStore:
        """Order ord-1 with jobs job-1 (at T0) and job-2 (a minute later), both pending."""
        store.add(
            new_order("ord-1", 1001),
            outbox=[item("job-1"), item("job-2", at=T0 + timedelta(minutes=1))],
        )
        return store

    def test_new_items_are_pending_and_listed_per_order_oldest_first(
        self,
        queued: OrderStore,
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

    def test_an_outbox_key_of_255_characters_is_kept_whole(self, store: OrderStore) -> None:
        # 255: the longest idempotency key (limits.KEY), and more than any message key needs.
        key = "k" * 255
        store.add(new_order("ord-1", 1001), outbox=[item(key)])

        assert [d.item.key for d in store.deliveries("ord-1")] == [key]

    def test_claim_leases_the_due_items_oldest_first_and_counts_the_attempt(
        self,
        queued: OrderStore,
    ) -> None:
        now = T0 + timedelta(minutes=1)

        claimed = queued.claim(now, limit=10, lease=LEASE)

        assert [(d.item.key, d.attempts, d.lease_until) for d in claimed] == [
            ("job-1", 1, now + LEASE),
            ("job-2", 1, now + LEASE),
        ]

    def test_items_due_at_the_same_time_are_claimed_in_the_order_they_were_queued(
        self, store: OrderStore
    ) -> None:
        keys = [f"event-ord-1-{version}-0" for version in range(1, 12)]  # versions 1 to 11
        store.add(new_order("ord-1", 1001), outbox=[item(key) for key in keys])

        claimed = store.claim(T0, limit=20, lease=LEASE)

        assert [d.item.key for d in claimed] == keys

    def test_claim_takes_no_item_before_its_time_and_no_more_than_the_limit(
        self,
        queued: OrderStore,
    ) -> None:
        assert [d.item.key for d in queued.claim(T0, limit=10, lease=LEASE)] == ["job-1"]
        assert [
            d.item.key for d in queued.claim(T0 + timedelta(minutes=1), limit=1, lease=LEASE)
        ] == ["job-2"]

    def test_a_claimed_item_is_not_claimed_again_until_its_lease_ends(
        self, queued: OrderStore
    ) -> None:
        (first,) = queued.claim(T0, limit=10, lease=LEASE)  # job-2 is not due yet
        assert first.item.key == "job-1"

        during = queued.claim(T0 + LEASE - timedelta(seconds=1), limit=10, lease=LEASE)
        assert [d.item.key for d in during] == ["job-2"]  # job-1 is still leased

        (again,) = queued.claim(T0 + LEASE, limit=10, lease=LEASE)
        assert (again.item.key, again.attempts) == ("job-1", 2)

    def test_claim_key_leases_one_pending_item_unless_someone_else_holds_it(
        self,
        queued: OrderStore,
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

    def test_a_delivered_item_is_never_claimed_again(self, queued: OrderStore) -> None:
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
        self,
        queued: OrderStore,
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
        self,
        queued: OrderStore,
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

    def test_a_requeued_dead_item_is_claimed_again_with_fresh_attempts(
        self, queued: OrderStore
    ) -> None:
        queued.claim(T0, limit=1, lease=LEASE)
        queued.mark_failed("job-1", error="Refused: bad address", retry_at=None)
        later = T0 + timedelta(hours=1)

        queued.requeue("job-1", later)

        delivery = queued.deliveries("ord-1")[0]
        assert (delivery.item.key, delivery.state, delivery.attempts) == ("job-1", "pending", 0)
        assert (delivery.next_attempt_at, delivery.lease_until) == (later, None)
        claimed = queued.claim(later, limit=10, lease=LEASE)
        # job-2 has been due since T0 + 1 minute, job-1 only since its requeue at T0 + 1 hour
        assert [(d.item.key, d.attempts) for d in claimed] == [("job-2", 1), ("job-1", 1)]

    def test_requeueing_an_unknown_key_raises_outbox_item_not_found(
        self, queued: OrderStore
    ) -> None:
        with pytest.raises(OutboxItemNotFound, match="'job-9'"):
            queued.requeue("job-9", T0)

    def test_a_delivered_item_is_never_requeued(self, queued: OrderStore) -> None:
        queued.claim(T0, limit=1, lease=LEASE)
        queued.mark_delivered("job-1", T0)

        with pytest.raises(InvalidTransition, match="'job-1' was delivered"):
            queued.requeue("job-1", T0 + timedelta(hours=1))

        assert [(d.item.key, d.state) for d in queued.deliveries("ord-1")] == [
            ("job-1", "delivered"),
            ("job-2", "pending"),
        ]

    @pytest.mark.parametrize("key", UNSTORABLE.values(), ids=list(UNSTORABLE))
    def test_a_key_no_store_could_hold_is_an_unknown_key(
        self, queued: OrderStore, key: str
    ) -> None:
        assert queued.claim_key(key, T0, lease=LEASE) is None
        with pytest.raises(OutboxItemNotFound):
            queued.requeue(key, T0)
        with pytest.raises(LookupError):
            queued.mark_delivered(key, T0)
        with pytest.raises(LookupError):
            queued.mark_failed(key, error="timed out", retry_at=None)
        assert queued.deliveries(key) == []
        assert [d.item.key for d in queued.claim(T0, limit=10, lease=LEASE)] == ["job-1"]

    @pytest.mark.parametrize(
        ("error", "kept", "retry_at"),
        [
            ("Refused: \x00 in the reply", "Refused: \ufffd in the reply", None),
            ("Refused: \ud800 in the reply", "Refused: \ufffd in the reply", None),
            ("x" * 100_000, "x" * 10_000, T0 + timedelta(minutes=1)),
            ("Déjà vu\nline two\ttab", "Déjà vu\nline two\ttab", T0 + timedelta(minutes=1)),
        ],
        ids=["NUL", "lone surrogate", "100,000 characters", "kept as it is"],
    )
    def test_the_last_error_is_kept_without_nul_or_lone_surrogates_and_cut_at_10000_characters(
        self, queued: OrderStore, error: str, kept: str, retry_at: datetime | None
    ) -> None:
        queued.claim(T0, limit=1, lease=LEASE)

        queued.mark_failed("job-1", error=error, retry_at=retry_at)

        assert queued.deliveries("ord-1")[0].last_error == kept
