"""The contract every order store passes: repository and outbox, one suite for all adapters.

orderflow runs it against its in-memory, SQLite and PostgreSQL stores; a host that writes
its own store runs it too, by subclassing :class:`StoreContract` in its test suite and
giving it a ``store`` fixture that returns a new, empty store::

    import pytest
    from orderflow.testing.contract import StoreContract

    class TestMyStore(StoreContract):
        @pytest.fixture
        def store(self):
            return MyStore(...)  # empty, implements OrderRepository and Outbox

The tests talk to the ports only, with orders built by the domain and times fixed, never
through the service; each expected value is worked out by hand in the test. The suite is in
two parts, :class:`RepositoryContract` (orders, lookups, queries, idempotency records) and
:class:`OutboxContract`, for a host whose repository and outbox are separate classes.
These are the orderflow modules that import pytest: ``import orderflow.testing`` does not
load them.
"""

from __future__ import annotations

from orderflow.testing.contract.outbox import OutboxContract
from orderflow.testing.contract.repository import RepositoryContract
from orderflow.testing.contract.support import (
    LEASE,
    T0,
    item,
    new_order,
    record,
    shipped,
    transaction,
)

__all__ = [
    "LEASE",
    "T0",
    "OutboxContract",
    "RepositoryContract",
    "StoreContract",
    "item",
    "new_order",
    "record",
    "shipped",
    "transaction",
]


class StoreContract(RepositoryContract, OutboxContract):
    """The whole suite, for a store that is both repository and outbox: subclass it as
    ``Test...`` and override the ``store`` fixture."""
