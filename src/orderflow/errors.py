"""One exception hierarchy: every refusal orderflow makes is an ``OrderflowError``.

Each message names the order, the thing refused and the state that refused it, so a
developer can act on it without a debugger. A refused command leaves the order as it was.
"""

from __future__ import annotations


class OrderflowError(Exception):
    """Base class of every error orderflow raises on purpose."""


class InvalidTransition(OrderflowError):
    """A lifecycle event is not allowed from the current state."""


class InvalidStateValue(OrderflowError):
    """A stored state value names no state of its machine (corrupt or hand-edited data)."""


class InvalidAmount(OrderflowError, ValueError):
    """An amount is not a finite decimal, is negative where it must not be, or exceeds a limit."""


class InvalidQuantity(OrderflowError, ValueError):
    """A quantity is not a positive whole number, or exceeds what is available."""


class CurrencyMismatch(OrderflowError, ValueError):
    """Two amounts in different currencies were combined."""


class UnknownCurrency(OrderflowError, ValueError):
    """A currency code is not an ISO 4217 code orderflow knows."""


class InvalidTimestamp(OrderflowError, ValueError):
    """A datetime without a time zone, or one so near the ends of the calendar that some time
    zone could not show it: orderflow only stores aware datetimes between years 1 and 9999."""


class InvalidText(OrderflowError, ValueError):
    """A string is longer than its field allows, or holds a character its field refuses
    (NUL, a lone surrogate, a control or line-separator character in a one-line field)."""


class LimitExceeded(OrderflowError, ValueError):
    """A count or a number is beyond what orderflow stores (lines per order, tags, carrier
    events, order numbers...): the limits are documented in docs/reliability.md."""


class NotFound(OrderflowError, LookupError):
    """Something looked up by id does not exist."""


class OrderNotFound(NotFound):
    """No order with that id (or number, or checkout id)."""


class TransactionNotFound(NotFound):
    """No transaction with that id on the order."""


class UnknownLineItem(NotFound):
    """No line item with that id on the order (or on that fulfillment order)."""


class FulfillmentOrderNotFound(NotFound):
    """No fulfillment order with that id on the order."""


class FulfillmentNotFound(NotFound):
    """No fulfillment with that id on the order."""


class ServiceRequestNotFound(NotFound):
    """No fulfillment order of the order carries a service request with that id."""


class MessageNotFound(NotFound):
    """The order's outbox holds no message with that key."""


class HoldNotFound(NotFound):
    """No active hold with that id on the fulfillment order."""


class OutboxItemNotFound(NotFound):
    """The outbox holds no item with that key."""


class OverFulfillment(InvalidQuantity):
    """More would be fulfilled (or held, or split off) than remains of a line."""


class OverRefund(InvalidQuantity):
    """More of a line (or of the shipping) would be refunded than is left to refund, or
    units of a restock type the line does not have (unfulfilled units to cancel, fulfilled
    ones to return)."""


class FulfillmentOnHold(OrderflowError):
    """The fulfillment order carries holds: release them before fulfilling."""


class DuplicateHandle(OrderflowError, ValueError):
    """Another active hold of the fulfillment order already uses that handle."""


class AddressLocked(OrderflowError):
    """Goods have left for the address: it can no longer be changed."""


class DuplicateOrder(OrderflowError):
    """An order with the same id, number or external checkout id is already stored."""


class DuplicateId(OrderflowError, ValueError):
    """Two records of one order (line items, transactions, holds, fulfillments...) would
    share an id: a clash is refused, never merged. Usually two flows share an id generator
    that is not unique across them."""


class ConcurrencyError(OrderflowError):
    """The order changed since it was loaded: reload it and decide again."""


class IdempotencyConflict(OrderflowError):
    """An idempotency key was reused for a different request."""


class NotPermitted(OrderflowError, PermissionError):
    """The actor may not run this command on this order."""


class PaymentError(OrderflowError):
    """A payment request cannot be made: nothing to capture, refund more than paid, ..."""


class PaymentConflict(PaymentError):
    """A gateway operation already recorded (same kind and gateway reference) was reported
    again with another amount or outcome: one of the two reports is wrong."""


class NotificationError(OrderflowError, ValueError):
    """A notification rule or template is wrong: an event the library never emits, an
    unknown template, a template that does not render. Raised when the flow is configured,
    so it never surfaces while sending."""


class InvalidRecipient(NotificationError):
    """An address orderflow was asked to send to cannot be one: an e-mail that is not exactly
    one address, a phone number not in E.164 form, a webhook URL that is not http(s), holds
    credentials or points at a private network. Raised when the settings are checked and when
    a message is asked for by hand, before anything is saved."""


class UndeliverableMessage(OrderflowError):
    """A queued message (or event) cannot be delivered as addressed, and no retry would change
    that: the customer's malformed e-mail or phone, a webhook on a private network. The outbox
    dead-letters it at once, with this error as its last error, and the timeline shows it."""


class DocumentError(OrderflowError, ValueError):
    """A stored order document cannot be read (corrupt, hand-edited or from a newer release)."""


class SchemaError(OrderflowError):
    """The database holds no orderflow schema, or one of another version than this release's:
    create it (``orderflow db init``) or upgrade orderflow."""
