"""Helpers the domain tests share, on top of ``orderflow.testing``.

Payments are recorded straight in the domain, as the gateway reports them, at ``EPOCH``.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import chain, count

from orderflow.domain import settlement
from orderflow.domain.order import Change, Order
from orderflow.domain.settlement import GatewayResult, PaymentReport
from orderflow.testing import EPOCH, GATEWAY


def ids(*first: str) -> Callable[[], str]:
    """An id generator that hands out ``first``, then ``x-1``, ``x-2``..."""
    return chain(first, (f"x-{n}" for n in count(1))).__next__


def recording(order: Order, report: PaymentReport, tx_id: str = "t-1") -> Change:
    """The change that records ``report`` as transaction ``tx_id``, keyed ``key-<tx_id>``."""
    return settlement.record_payment(
        order, report, key=f"key-{tx_id}", new_id=ids(tx_id), now=EPOCH, actor=GATEWAY
    )


def record(order: Order, report: PaymentReport, tx_id: str = "t-1") -> Order:
    """``order`` with ``report`` recorded as transaction ``tx_id``."""
    return recording(order, report, tx_id).order


def settle_pending(order: Order) -> Order:
    """``order`` once the gateway answered every request in flight with a success."""
    for tx in order.transactions:
        if tx.pending:
            order = settlement.settle(
                order,
                tx.id,
                GatewayResult(True, f"ref-{tx.id}"),
                new_id=ids(),
                now=EPOCH,
                actor=GATEWAY,
            ).order
    return order
