"""orderflow: what happens to an online-store order after the customer pays.

An immutable domain model (orders, payments, lifecycles compiled from python-statemachine),
an application service with an outbox, and ports a host implements or takes from
``orderflow.adapters``. Start with :class:`OrderFlow` and ``orderflow.testing``.
"""

from orderflow.domain.actor import SYSTEM, Actor, ActorKind
from orderflow.domain.customer import Address, Customer
from orderflow.domain.financial import FinancialStatus, balance, financial_status
from orderflow.domain.lines import Discount, LineItem, ShippingLine, TaxLine
from orderflow.domain.money import Money
from orderflow.domain.order import CancelReason, Change, Order
from orderflow.domain.payments import GatewayResult, PaymentReport
from orderflow.domain.placement import OrderDraft
from orderflow.domain.timeline import TimelineEntry
from orderflow.domain.transaction import Transaction, TransactionKind
from orderflow.errors import (
    ConcurrencyError,
    CurrencyMismatch,
    DocumentError,
    DuplicateOrder,
    IdempotencyConflict,
    InvalidAmount,
    InvalidQuantity,
    InvalidStateValue,
    InvalidTimestamp,
    InvalidTransition,
    NotFound,
    NotPermitted,
    OrderflowError,
    OrderNotFound,
    PaymentError,
    TransactionNotFound,
    UnknownCurrency,
)
from orderflow.ports import OrderQuery, Page
from orderflow.service import DispatchReport, OrderFlow, RetryPolicy, Settings

__version__ = "0.1.0.dev0"

__all__ = [
    "SYSTEM",
    "Actor",
    "ActorKind",
    "Address",
    "CancelReason",
    "Change",
    "ConcurrencyError",
    "CurrencyMismatch",
    "Customer",
    "Discount",
    "DispatchReport",
    "DocumentError",
    "DuplicateOrder",
    "FinancialStatus",
    "GatewayResult",
    "IdempotencyConflict",
    "InvalidAmount",
    "InvalidQuantity",
    "InvalidStateValue",
    "InvalidTimestamp",
    "InvalidTransition",
    "LineItem",
    "Money",
    "NotFound",
    "NotPermitted",
    "Order",
    "OrderDraft",
    "OrderFlow",
    "OrderNotFound",
    "OrderQuery",
    "OrderflowError",
    "Page",
    "PaymentError",
    "PaymentReport",
    "RetryPolicy",
    "Settings",
    "ShippingLine",
    "TaxLine",
    "TimelineEntry",
    "Transaction",
    "TransactionKind",
    "TransactionNotFound",
    "UnknownCurrency",
    "balance",
    "financial_status",
]
