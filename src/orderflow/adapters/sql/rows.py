"""Orders and deliveries to rows and back.

The query columns are computed here from the order by the domain's own functions, written
in the same statement as the document, and never read back: the document is the truth.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

from orderflow.adapters.sql.schema import LOOKUP_LENGTH
from orderflow.domain.due import next_due_at
from orderflow.domain.financial import financial_status
from orderflow.domain.fulfillment_status import fulfillment_status
from orderflow.domain.order import Order
from orderflow.errors import DocumentError
from orderflow.ports.outbox import Delivery, OutboxItem
from orderflow.ports.repository import references, searchable
from orderflow.serialization import dumps, loads

if TYPE_CHECKING:
    from typing import TypeAlias

    from sqlalchemy import Column, Row
    from typing_extensions import Unpack

    AnyRow: TypeAlias = Row[Unpack[tuple[Any, ...]]]

TAG = "tag"
"""The lookup kind of a tag (the others are :data:`~orderflow.ports.repository.ReferenceKind`)."""

_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
"""What no store holds: NUL (PostgreSQL's text refuses it) and lone surrogates (not UTF-8)."""

DIGEST = "sha256:"
"""The prefix of a lookup value stored as its digest (:func:`lookup_value`)."""


def storable(value: str, length: int) -> bool:
    """Could a column of ``length`` characters hold ``value`` as it is, on every store?

    A value that could not be stored was never stored: a search for it finds nothing,
    without sending the database what its driver would refuse.
    """
    return len(value) <= length and not holds_unstorable(value)


def holds_unstorable(value: str) -> bool:
    """Does ``value`` hold a character no store holds (NUL, a lone surrogate)?"""
    return _UNSTORABLE.search(value) is not None


def width(column: Column[Any]) -> int:
    """How many characters a string column holds."""
    length = getattr(column.type, "length", None)
    if not isinstance(length, int):
        raise TypeError(f"{column} is not a string column of a fixed width")
    return length


def lookup_value(value: str) -> str:
    """A lookup value as it is stored and searched: itself when a lookup column can hold it,
    else ``"sha256:"`` and the hex digest of its UTF-8 bytes (lone surrogates passed
    through). Gateway references are stored whole whatever they hold, and every store must
    find an order by each of them: writes and reads both go through here."""
    if storable(value, LOOKUP_LENGTH):
        return value
    return DIGEST + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def order_columns(order: Order) -> dict[str, Any]:
    """Every column of the order's row but ``id``, ``number`` and the checkout id."""
    return {
        "status": order.status,
        "archive_status": order.archive_status,
        "financial_status": financial_status(order),
        "fulfillment_status": fulfillment_status(order),
        "customer_email": (order.customer.email or "").lower(),
        "search_text": searchable(order),
        "placed_at": order.placed_at,
        "archived_at": order.archived_at,
        "next_due_at": next_due_at(order),
        "version": order.version,
        "schema_version": order.schema_version,
        "document": dumps(order),
    }


def lookup_rows(order: Order) -> list[dict[str, str]]:
    """The order's lookup rows: its outside references and its tags (each value as
    :func:`lookup_value` stores it), sorted."""
    found = {*references(order), *((TAG, tag) for tag in order.tags)}
    stored = sorted({(kind, lookup_value(value)) for kind, value in found})
    return [{"order_id": order.id, "kind": kind, "value": value} for kind, value in stored]


def load_order(row: AnyRow | tuple[Any, ...]) -> Order:
    """The order a row ``(id, version, document, ...)`` holds; a document that cannot be
    read, or that belongs to another order or version than its row, raises a DocumentError
    naming the order."""
    order_id, version, document = row[0], row[1], row[2]
    try:
        order = loads(document)
    except DocumentError as exc:
        raise DocumentError(f"stored order {order_id!r} cannot be loaded: {exc}") from exc
    if (order.id, order.version) != (order_id, version):
        raise DocumentError(
            f"stored order {order_id!r} (version {version}) holds the document of order "
            f"{order.id!r} at version {order.version}: it was edited by hand"
        )
    return order


def delivery_of(row: AnyRow) -> Delivery:
    item = OutboxItem(
        key=row.key,
        order_id=row.order_id,
        topic=row.topic,
        payload=row.payload,
        created_at=row.created_at,
    )
    return Delivery(
        item=item,
        state=row.state,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        lease_until=row.lease_until,
        last_error=row.last_error,
        delivered_at=row.delivered_at,
    )
