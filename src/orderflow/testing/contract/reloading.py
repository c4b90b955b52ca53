"""The repository's part of the contract about what a store hands back after other
writers: never an order it read or wrote earlier once the stored one has changed, even at
the same version (a store that reuses loaded orders must tell them apart)."""

from __future__ import annotations

import attrs
import pytest

from orderflow.domain.order import Order
from orderflow.errors import ConcurrencyError, OrderflowError
from orderflow.ports.repository import OrderStore
from orderflow.testing.contract.support import ContractBase, RolledBack, item, new_order


def save_undone(
    store: OrderStore, rolled_back: RolledBack | None, order: Order, expected_version: int
) -> None:
    """Save ``order`` and undo it: in a host's transaction rolled back, or (a store that
    joins none) by a save refused whole (an outbox key given twice)."""
    if rolled_back is not None:
        with rolled_back() as joined:
            joined.save(order, expected_version=expected_version)
            assert joined.get(order.id) == order
        return
    taken = item(f"taken-{order.id}", order.id)
    with pytest.raises(OrderflowError):
        store.save(order, expected_version=expected_version, outbox=[taken, taken])


class ReloadingContract(ContractBase):
    """Each view of the data sees the others' saves (``other_store``), and a save the host
    rolled back is forgotten (``rolled_back``)."""

    def test_a_save_the_host_rolled_back_then_another_at_the_same_version_returns_the_other(
        self, store: OrderStore, other_store: OrderStore, rolled_back: RolledBack | None
    ) -> None:
        order = new_order("ord-1", 1001)
        store.add(order)
        assert store.get("ord-1") == order
        mine = attrs.evolve(order, note="rolled back", version=2)
        theirs = attrs.evolve(order, note="committed", version=2)

        save_undone(store, rolled_back, mine, 1)
        assert store.get("ord-1") == order
        other_store.save(theirs, expected_version=1)

        assert store.get("ord-1") == theirs
        assert other_store.get("ord-1") == theirs
        assert store.by_number(1001) == theirs

    def test_each_view_of_the_data_sees_the_others_saves(
        self, store: OrderStore, other_store: OrderStore
    ) -> None:
        order = new_order("ord-1", 1001)
        store.add(order)
        assert other_store.get("ord-1") == order
        second = attrs.evolve(order, note="second", version=2)
        third = attrs.evolve(order, note="third", version=3)

        other_store.save(second, expected_version=1)
        assert store.get("ord-1") == second
        store.save(third, expected_version=2)

        assert other_store.get("ord-1") == third
        assert other_store.by_number(1001) == third
        assert store.get("ord-1") == third

    def test_a_save_refused_as_stale_leaves_every_view_with_the_stored_order(
        self, store: OrderStore, other_store: OrderStore
    ) -> None:
        order = new_order("ord-1", 1001)
        store.add(order)
        theirs = attrs.evolve(order, note="theirs", version=2)
        other_store.save(theirs, expected_version=1)

        with pytest.raises(ConcurrencyError):
            store.save(attrs.evolve(order, note="mine", version=2), expected_version=1)

        assert store.get("ord-1") == theirs
        assert other_store.get("ord-1") == theirs

    def test_an_order_saved_again_at_the_version_a_view_last_read_is_read_again(
        self, store: OrderStore, other_store: OrderStore, rolled_back: RolledBack | None
    ) -> None:
        order = new_order("ord-1", 1001)
        store.add(order)
        mine = attrs.evolve(order, note="mine", version=2)
        store.save(mine, expected_version=1)
        assert store.get("ord-1") == mine
        theirs = attrs.evolve(order, note="theirs", version=3)

        save_undone(store, rolled_back, theirs, 2)
        assert store.get("ord-1") == mine
        other_store.save(theirs, expected_version=2)

        assert store.get("ord-1") == theirs
