"""Orders a repository loaded or saved, reused while their row is unchanged.

Reading a document back into an order (``serialization.loads``, every validator) costs
more than the statement that fetched it, and a command's order is usually the one the
previous command saved. A version number alone does not say the row is unchanged: a host
may roll back a save, and another writer may then save the same version with another
document. So every save writes a random revision token beside the document, and an order
is reused only when the row just read still holds the token *and* the document it was
kept with (a document edited by hand is read again, with every check), and only once the
save's commit was seen: a repository joined to a host's transaction keeps nothing.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from orderflow.adapters.sql.rows import load_order
from orderflow.domain.order import Order

if TYPE_CHECKING:
    from orderflow.adapters.sql.rows import AnyRow

SIZE = 1024
"""How many orders one repository keeps: the most recently used."""


def new_revision() -> str:
    """A token written with one save: 16 random bytes in hex, never the same twice."""
    return os.urandom(16).hex()


class LoadedOrders:
    """Order id -> (revision, document, order) of the rows this repository last read or
    wrote; safe to share between threads (each step is one dict operation, and orders
    are immutable)."""

    def __init__(self, size: int = SIZE) -> None:
        self._size = size
        self._kept: dict[str, tuple[str, str, Order]] = {}

    def load(self, row: AnyRow) -> Order:
        """The order a row ``(id, version, document, revision)`` holds: the one kept for
        that revision and document, else read from the document (and kept)."""
        order_id, revision, document = row[0], row[3], row[2]
        kept = self._kept.pop(order_id, None)
        if kept is not None and kept[0] == revision and kept[1] == document:
            order = kept[2]
            if order.version == row[1]:
                self._kept[order_id] = kept  # most recently used: last
                return order
        order = load_order(row)
        if revision is not None:
            self.keep(revision, document, order)
        return order

    def keep(self, revision: str, document: str, order: Order) -> None:
        """Remember ``order`` as saved (committed) with ``revision`` and ``document``."""
        kept = self._kept
        kept.pop(order.id, None)
        kept[order.id] = (revision, document, order)
        while len(kept) > self._size:
            try:
                del kept[next(iter(kept))]
            except (StopIteration, KeyError, RuntimeError):  # emptied by another thread
                break

    def forget(self, order_id: str) -> None:
        self._kept.pop(order_id, None)
