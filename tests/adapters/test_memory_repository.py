"""What only the in-memory store promises; the contract every store keeps is
``orderflow.testing.contract``, run in ``test_store_contract.py``."""

from __future__ import annotations

from datetime import timedelta

import attrs

from orderflow.adapters.memory import InMemoryRepository
from orderflow.ports import Delivery, OutboxItem
from orderflow.testing import EPOCH
from orderflow.testing.contract import new_order


def test_the_store_keeps_the_order_it_was_given_without_copying_it() -> None:
    store = InMemoryRepository()
    order = new_order("ord-1", 1001)

    store.add(order)

    assert store.get("ord-1") is order


def test_numbering_can_start_elsewhere_than_1001() -> None:
    store = InMemoryRepository(first_number=5001)

    assert [store.next_number(), store.next_number()] == [5001, 5002]


def test_a_claim_and_a_delivery_change_only_their_own_fields_of_a_delivery() -> None:
    # the store builds the new Delivery field by field: a field added later must carry over
    store = InMemoryRepository()
    item = OutboxItem(key="k", order_id="ord-1", topic="event", payload="{}", created_at=EPOCH)
    store.add(new_order("ord-1", 1001), outbox=[item])
    queued = store.deliveries("ord-1")[0]
    lease = timedelta(minutes=5)

    (leased,) = store.claim(EPOCH, limit=1, lease=lease)
    store.mark_delivered("k", EPOCH + lease)
    (delivered,) = store.deliveries("ord-1")

    def unchanged(before: Delivery, after: Delivery, *changed: str) -> dict[str, object]:
        return {
            f.name: (getattr(before, f.name), getattr(after, f.name))
            for f in attrs.fields(Delivery)
            if f.name not in changed and getattr(before, f.name) != getattr(after, f.name)
        }

    assert (leased.attempts, leased.lease_until) == (1, EPOCH + lease)
    assert unchanged(queued, leased, "attempts", "lease_until") == {}
    assert (delivered.state, delivered.lease_until, delivered.delivered_at) == (
        "delivered",
        None,
        EPOCH + lease,
    )
    assert unchanged(leased, delivered, "state", "lease_until", "delivered_at") == {}
