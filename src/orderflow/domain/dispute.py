"""Disputes: a chargeback or an inquiry the customer's bank opened against a payment.

The gateway reports each step (opened, evidence submitted, won, lost); orderflow records it
against the payment, through the ledger: a chargeback holds the disputed funds (they cannot
be refunded as well) and, once lost, counts as money returned to the customer. The evidence
itself stays with the host. Operations are in :mod:`orderflow.domain.disputing`.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from orderflow.domain._fields import (
    AWARE,
    MONEY,
    OPTIONAL_AWARE,
    OPTIONAL_MONEY,
    instance_of,
    optional_text,
    text,
)
from orderflow.domain.limits import ID, KEY, NAME
from orderflow.domain.machines import DISPUTE_TABLE, DisputeStatus
from orderflow.domain.money import Money
from orderflow.errors import InvalidAmount


def _positive(item: object, attribute: attrs.Attribute[Money], value: Money) -> None:
    """Money (see ``MONEY``), above zero."""
    MONEY(item, attribute, value)
    if not value.is_positive():
        raise InvalidAmount(f"a disputed amount must be positive, got {value}")


class DisputeKind(str, enum.Enum):
    CHARGEBACK = "chargeback"
    """The bank took the funds back until the dispute is decided."""
    INQUIRY = "inquiry"
    """The bank asks questions first; no funds move (it may become a chargeback)."""


@attrs.frozen(kw_only=True)
class DisputeReport:
    """What the gateway says of a dispute, as its webhook does: its own id, the payment
    disputed (by the gateway's reference), the kind, where it stands, the amount."""

    id: str = attrs.field(validator=text(KEY))
    payment_reference: str = attrs.field(validator=text(KEY))
    kind: DisputeKind = attrs.field(validator=instance_of(DisputeKind))
    status: DisputeStatus = attrs.field(validator=DISPUTE_TABLE.validator("dispute"))
    amount: Money = attrs.field(validator=_positive)
    reason: str | None = attrs.field(default=None, validator=optional_text(NAME))
    """The bank's reason, as the gateway names it (``fraudulent``, ``product_not_received``...)."""
    evidence_due_by: datetime | None = attrs.field(default=None, validator=OPTIONAL_AWARE)


@attrs.frozen(kw_only=True)
class Dispute:
    """A dispute against one of the order's captures or sales."""

    id: str = attrs.field(validator=text(KEY))
    """The gateway's id of the dispute."""
    transaction_id: str = attrs.field(validator=text(ID))
    kind: DisputeKind = attrs.field(validator=instance_of(DisputeKind))
    status: DisputeStatus = attrs.field(validator=DISPUTE_TABLE.validator("dispute"))
    amount: Money = attrs.field(validator=_positive)
    opened_at: datetime = attrs.field(validator=AWARE)
    reason: str | None = attrs.field(default=None, validator=optional_text(NAME))
    evidence_due_by: datetime | None = attrs.field(default=None, validator=OPTIONAL_AWARE)
    closed_at: datetime | None = attrs.field(default=None, validator=OPTIONAL_AWARE)
    adjustment: Money | None = attrs.field(default=None, validator=OPTIONAL_MONEY)
    """Once a chargeback is lost: the part of it that lowers what the order is worth (all
    of it, but what the payment had already returned by refunds), so that losing it leaves
    the balance as it was."""

    @property
    def holds_funds(self) -> bool:
        """A chargeback not won: its amount cannot be refunded from the payment as well."""
        return self.kind is DisputeKind.CHARGEBACK and self.status != "won"

    @property
    def returned(self) -> bool:
        """A lost chargeback: the money went back to the customer."""
        return self.kind is DisputeKind.CHARGEBACK and self.status == "lost"
