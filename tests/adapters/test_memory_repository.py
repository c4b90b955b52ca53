"""What only the in-memory store promises; the contract every store keeps is
``orderflow.testing.contract``, run in ``test_store_contract.py``."""

from __future__ import annotations

from orderflow.adapters.memory import InMemoryRepository
from orderflow.testing.contract import new_order


def test_the_store_keeps_the_order_it_was_given_without_copying_it() -> None:
    store = InMemoryRepository()
    order = new_order("ord-1", 1001)

    store.add(order)

    assert store.get("ord-1") is order


def test_numbering_can_start_elsewhere_than_1001() -> None:
    store = InMemoryRepository(first_number=5001)

    assert [store.next_number(), store.next_number()] == [5001, 5002]
