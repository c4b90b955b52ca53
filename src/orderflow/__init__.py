"""orderflow: what happens to an online-store order after the customer pays.

An immutable domain model (orders, payments, lifecycles compiled from python-statemachine),
an application service with an outbox, and ports a host implements or takes from
``orderflow.adapters``. Start with :class:`OrderFlow` and ``orderflow.testing``.
"""

from orderflow.domain.actor import SYSTEM, Actor, ActorKind
from orderflow.domain.customer import Address, Customer
from orderflow.domain.financial import FinancialStatus, balance, financial_status
from orderflow.domain.fulfillment import (
    DeliveryMethod,
    Fulfillment,
    FulfillmentOrder,
    Hold,
    HoldReason,
    LineQuantity,
    Location,
    RejectionReason,
    ShipmentEvent,
    ShipmentStatus,
    Tracking,
)
from orderflow.domain.fulfillment_status import (
    FulfillmentStatus,
    display_status,
    fulfillment_status,
    shipment_status,
)
from orderflow.domain.lines import Discount, LineItem, ShippingLine, TaxLine
from orderflow.domain.money import Money
from orderflow.domain.order import CancelReason, Change, Order
from orderflow.domain.payments import GatewayResult, PaymentReport
from orderflow.domain.placement import OrderDraft
from orderflow.domain.policies import (
    ArchivePolicy,
    CaptureMode,
    CapturePolicy,
    FulfillmentMode,
    FulfillmentPolicy,
    Policies,
)
from orderflow.domain.timeline import TimelineEntry
from orderflow.domain.transaction import Transaction, TransactionKind
from orderflow.errors import (
    AddressLocked,
    ConcurrencyError,
    CurrencyMismatch,
    DocumentError,
    DuplicateHandle,
    DuplicateOrder,
    FulfillmentNotFound,
    FulfillmentOnHold,
    FulfillmentOrderNotFound,
    HoldNotFound,
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
    OverFulfillment,
    PaymentError,
    ServiceRequestNotFound,
    TransactionNotFound,
    UnknownCurrency,
    UnknownLineItem,
)
from orderflow.ports import InventoryPort, OrderQuery, Page, RestockRequest
from orderflow.service import DispatchReport, OrderFlow, RetryPolicy, Settings

__version__ = "0.1.0.dev0"

__all__ = [
    "SYSTEM",
    "Actor",
    "ActorKind",
    "Address",
    "AddressLocked",
    "ArchivePolicy",
    "CancelReason",
    "CaptureMode",
    "CapturePolicy",
    "Change",
    "ConcurrencyError",
    "CurrencyMismatch",
    "Customer",
    "DeliveryMethod",
    "Discount",
    "DispatchReport",
    "DocumentError",
    "DuplicateHandle",
    "DuplicateOrder",
    "FinancialStatus",
    "Fulfillment",
    "FulfillmentMode",
    "FulfillmentNotFound",
    "FulfillmentOnHold",
    "FulfillmentOrder",
    "FulfillmentOrderNotFound",
    "FulfillmentPolicy",
    "FulfillmentStatus",
    "GatewayResult",
    "Hold",
    "HoldNotFound",
    "HoldReason",
    "IdempotencyConflict",
    "InvalidAmount",
    "InvalidQuantity",
    "InvalidStateValue",
    "InvalidTimestamp",
    "InvalidTransition",
    "InventoryPort",
    "LineItem",
    "LineQuantity",
    "Location",
    "Money",
    "NotFound",
    "NotPermitted",
    "Order",
    "OrderDraft",
    "OrderFlow",
    "OrderNotFound",
    "OrderQuery",
    "OrderflowError",
    "OverFulfillment",
    "Page",
    "PaymentError",
    "PaymentReport",
    "Policies",
    "RejectionReason",
    "RestockRequest",
    "RetryPolicy",
    "ServiceRequestNotFound",
    "Settings",
    "ShipmentEvent",
    "ShipmentStatus",
    "ShippingLine",
    "TaxLine",
    "TimelineEntry",
    "Tracking",
    "Transaction",
    "TransactionKind",
    "TransactionNotFound",
    "UnknownCurrency",
    "UnknownLineItem",
    "balance",
    "display_status",
    "financial_status",
    "fulfillment_status",
    "shipment_status",
]
