"""Archiving: an order leaves the working lists but stays searchable; staff can undo it."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from orderflow.domain._revise import revised
from orderflow.domain.actor import Actor
from orderflow.domain.events import OrderArchived, OrderUnarchived
from orderflow.domain.machines import ARCHIVE_TABLE, ArchiveStatus
from orderflow.domain.order import Change, Order


def archive(order: Order, *, now: datetime, actor: Actor) -> Change:
    """Archive an open or cancelled order."""
    status = cast(
        ArchiveStatus, ARCHIVE_TABLE.step(order.archive_status, "archive", subject=str(order))
    )
    return Change(
        revised(order, archive_status=status, archived_at=now),
        (OrderArchived(order_id=order.id, at=now, actor=actor),),
    )


def unarchive(order: Order, *, now: datetime, actor: Actor) -> Change:
    """Bring an order back to the working lists; automatic archiving leaves it alone after."""
    status = cast(
        ArchiveStatus, ARCHIVE_TABLE.step(order.archive_status, "unarchive", subject=str(order))
    )
    return Change(
        revised(order, archive_status=status, archived_at=None, keep_active=True),
        (OrderUnarchived(order_id=order.id, at=now, actor=actor),),
    )
