"""The interfaces orderflow needs from its host (typing Protocols), and the records they carry.

Implement these, or take the shipped adapters (``orderflow.adapters``). Ports import only the
domain, so a host's adapter depends on nothing but its own stack and these definitions.
"""

from orderflow.ports.fulfillment_service import FulfillmentService, ServiceCall
from orderflow.ports.inventory import InventoryPort, RestockRequest
from orderflow.ports.labels import LabelProvider, LabelPurchase, LabelVoid
from orderflow.ports.messaging import (
    Audience,
    Channel,
    EventPublisher,
    Message,
    Notifier,
    PublishedEvent,
)
from orderflow.ports.outbox import Delivery, MarksDeliveredTogether, Outbox, OutboxItem
from orderflow.ports.payments import PaymentGateway, PaymentRequest
from orderflow.ports.repository import (
    IdempotencyRecord,
    OrderQuery,
    OrderRepository,
    Page,
    UnitOfWork,
)
from orderflow.ports.system import Authorizer, Clock, IdGenerator

__all__ = [
    "Audience",
    "Authorizer",
    "Channel",
    "Clock",
    "Delivery",
    "EventPublisher",
    "FulfillmentService",
    "IdGenerator",
    "IdempotencyRecord",
    "InventoryPort",
    "LabelProvider",
    "LabelPurchase",
    "LabelVoid",
    "MarksDeliveredTogether",
    "Message",
    "Notifier",
    "OrderQuery",
    "OrderRepository",
    "Outbox",
    "OutboxItem",
    "Page",
    "PaymentGateway",
    "PaymentRequest",
    "PublishedEvent",
    "RestockRequest",
    "ServiceCall",
    "UnitOfWork",
]
