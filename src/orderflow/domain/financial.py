"""Derived payment statuses: pure functions of the ledger and the current total.

They are never stored as truth; an adapter that keeps one in a query column writes it with
the same function in the same UPDATE.
"""

from __future__ import annotations

from typing import Literal

from orderflow.domain.ledger import net_paid, open_authorizations, taken_and_returned
from orderflow.domain.money import Money
from orderflow.domain.order import Order
from orderflow.domain.transaction import TransactionKind

FinancialStatus = Literal[
    "pending",
    "authorized",
    "partially_paid",
    "paid",
    "partially_refunded",
    "refunded",
    "voided",
    "expired",
]


def balance(order: Order) -> Money:
    """``current_total - (captured - refunded)``: positive is owed, negative is a refund due."""
    return order.current_total - net_paid(order)


def financial_status(order: Order) -> FinancialStatus:
    """Shopify's financial status, computed from the facts (first rule that matches).

    refunded / partially_refunded once a refund succeeded; paid when what was taken covers
    the total; partially_paid when some was taken; authorized while funds are held;
    voided or expired when every authorization ended so; pending otherwise.
    """
    taken, returned = taken_and_returned(order)
    if returned > 0:
        return "refunded" if returned >= taken else "partially_refunded"
    if taken > 0:
        return "paid" if taken >= order.total.amount else "partially_paid"
    if order.total.is_zero():
        return "paid"
    if open_authorizations(order):
        return "authorized"
    ended = {
        tx.status
        for tx in order.transactions
        if tx.kind is TransactionKind.AUTHORIZATION and tx.status in ("voided", "expired")
    }
    if ended:
        return "voided" if "voided" in ended else "expired"
    return "pending"
