"""Transactions: the payment operations recorded on an order.

An authorization holds funds (pending -> authorized -> captured, voided or expired); a
sale, capture, refund or void is one request to the gateway (pending -> succeeded or
failed). Transactions are facts: they are never edited except to move along their machine.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from orderflow.domain._fields import (
    AWARE,
    BOOL,
    MONEY,
    OPTIONAL_AWARE,
    OPTIONAL_MONEY,
    OPTIONAL_TEXT,
    instance_of,
    optional_text,
    text,
)
from orderflow.domain._revise import revised
from orderflow.domain.limits import ID, KEY
from orderflow.domain.machines import AUTHORIZATION_TABLE, PAYMENT_TABLE
from orderflow.domain.money import Money
from orderflow.domain.transitions import TransitionTable
from orderflow.errors import InvalidAmount


class TransactionKind(str, enum.Enum):
    AUTHORIZATION = "authorization"
    CAPTURE = "capture"
    SALE = "sale"
    REFUND = "refund"
    VOID = "void"

    @property
    def table(self) -> TransitionTable:
        return AUTHORIZATION_TABLE if self is TransactionKind.AUTHORIZATION else PAYMENT_TABLE


def _valid_status(tx: Transaction, _: object, value: str) -> None:
    if value not in tx.kind.table.states:
        tx.kind.table.parse(value, subject=f"transaction {tx.id} ({tx.kind.value})")


def _positive(tx: object, attribute: attrs.Attribute[Money], value: Money) -> None:
    """Money (see ``MONEY``), above zero."""
    MONEY(tx, attribute, value)
    if not value.is_positive():
        raise InvalidAmount(f"transaction amount must be positive, got {value}")


@attrs.frozen
class Transaction:
    """One payment operation with its amount, gateway reference and idempotency key.

    ``reusable`` says whether the payment method can be charged again without the
    customer (needed for post-purchase upsells and edits). ``parent_id`` links a capture or
    void to its authorization and a refund to the capture or sale it returns.
    """

    id: str = attrs.field(validator=text(ID))
    kind: TransactionKind = attrs.field(validator=instance_of(TransactionKind))
    amount: Money = attrs.field(validator=_positive)
    status: str = attrs.field(validator=_valid_status)
    idempotency_key: str = attrs.field(validator=text(KEY))
    created_at: datetime = attrs.field(validator=AWARE)
    parent_id: str | None = attrs.field(default=None, validator=optional_text(ID))
    reference: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    """The gateway's id for this operation, once known (stored whole, whatever it holds)."""
    reusable: bool = attrs.field(default=False, validator=BOOL)
    error: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    expires_at: datetime | None = attrs.field(default=None, validator=OPTIONAL_AWARE)
    """When an authorization lapses if not captured."""
    processed_at: datetime | None = attrs.field(default=None, validator=OPTIONAL_AWARE)
    adjustment: Money | None = attrs.field(default=None, validator=OPTIONAL_MONEY)
    """For a refund: the part that lowers what the customer owes (a goodwill refund, a
    returned item); the rest of the amount returns an overpayment."""
    notify_customer: bool = attrs.field(default=True, validator=BOOL)
    """For a refund: tell the customer once it succeeds (off when staff said not to, or
    when the cancellation message already tells them)."""
    multi_capture: bool = attrs.field(default=False, validator=BOOL)
    """For an authorization: the gateway lets it be captured in several parts."""
    review: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    """What staff must check about it, once the order went on review for it: a report that
    does not add up, an answer that never came."""

    @property
    def pending(self) -> bool:
        return self.status == "pending"

    @property
    def succeeded(self) -> bool:
        """A completed sale, capture, refund or void (for authorizations, see ``status``)."""
        return self.status == "succeeded"

    def moved(self, event: str, *, at: datetime, **facts: object) -> Transaction:
        """This transaction after ``event``, checked against its machine."""
        status = self.kind.table.step(
            self.status, event, subject=f"transaction {self.id} ({self.kind.value})"
        )
        return revised(self, status=status, processed_at=at, **facts)
