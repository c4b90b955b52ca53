"""Every string column of the SQL store is as wide as what it holds: the input rule of
``orderflow.domain.limits`` for a string from outside, the longest of orderflow's own
values for the others. A rule that grows without its column fails here, not on a shop's
PostgreSQL (SQLite never checks a column's width)."""

from __future__ import annotations

import hashlib
from typing import get_args

import pytest
from sqlalchemy import Column, String

from orderflow.adapters.sql.cache import new_revision
from orderflow.adapters.sql.schema import metadata
from orderflow.domain.financial import FinancialStatus
from orderflow.domain.fulfillment_status import FulfillmentStatus
from orderflow.domain.limits import EMAIL, ID, KEY, ORDER_ID, TAG, TRACKING_NUMBER
from orderflow.domain.machines import ArchiveStatus, OrderStatus
from orderflow.ports.outbox import DeliveryState
from orderflow.ports.repository import ReferenceKind
from orderflow.service import jobs
from orderflow.service.service_request_commands import SOURCE

FROM_OUTSIDE = {
    "orderflow_orders.id": ORDER_ID.max_length,
    "orderflow_orders.external_checkout_id": KEY.max_length,
    # stored lower-cased: "İ".lower() is two characters, so 320 of them are 640
    "orderflow_orders.customer_email": 2 * EMAIL.max_length,
    # fulfillment order and service request ids, tracking numbers, tags; a gateway
    # reference (any length) longer than this is stored as its digest
    "orderflow_lookups.value": max(ID.max_length, TRACKING_NUMBER.max_length, TAG.max_length),
    "orderflow_lookups.order_id": ORDER_ID.max_length,
    "orderflow_outbox.key": KEY.max_length,  # a payment job's key is the transaction's key
    "orderflow_outbox.order_id": ORDER_ID.max_length,
    "orderflow_idempotency.key": KEY.max_length,
    "orderflow_idempotency.order_id": ORDER_ID.max_length,
}
"""Columns holding strings from outside -> the width their input rule calls for."""

OWN_VALUES: dict[str, tuple[str, ...]] = {
    "orderflow_orders.status": get_args(OrderStatus),
    "orderflow_orders.archive_status": get_args(ArchiveStatus),
    "orderflow_orders.financial_status": get_args(FinancialStatus),
    "orderflow_orders.fulfillment_status": get_args(FulfillmentStatus),
    "orderflow_lookups.kind": (*get_args(ReferenceKind), "tag"),
    "orderflow_outbox.topic": (
        jobs.PAYMENT,
        jobs.EVENT,
        jobs.RESTOCK,
        jobs.SERVICE,
        jobs.LABEL,
        jobs.MESSAGE,
    ),
    "orderflow_outbox.state": get_args(DeliveryState),
    "orderflow_idempotency.source": ("payment", "carrier", SOURCE),
    "orderflow_idempotency.request_hash": (hashlib.sha256(b"").hexdigest(),),
    "orderflow_counters.name": ("order_number",),
    "orderflow_orders.revision": (new_revision(),),
}
"""Columns holding orderflow's own values -> every value they take."""

STRING_COLUMNS = {
    f"{table.name}.{column.name}": column
    for table in metadata.sorted_tables
    for column in table.columns
    if isinstance(column.type, String) and column.type.length is not None
}


def width(column: Column[str]) -> int:
    length = column.type.length  # type: ignore[attr-defined]
    assert isinstance(length, int)
    return length


def test_every_string_column_with_a_width_is_judged_here() -> None:
    assert sorted(STRING_COLUMNS) == sorted({*FROM_OUTSIDE, *OWN_VALUES})


@pytest.mark.parametrize(("name", "expected"), FROM_OUTSIDE.items(), ids=list(FROM_OUTSIDE))
def test_a_column_of_strings_from_outside_is_exactly_as_wide_as_their_input_rule(
    name: str, expected: int
) -> None:
    assert width(STRING_COLUMNS[name]) == expected


def test_the_widths_from_outside_are_the_ones_this_release_promises() -> None:
    # ORDER_ID 100, KEY 255, EMAIL 320 (twice, lower-cased), lookups 255: revision 0002
    assert FROM_OUTSIDE == {
        "orderflow_orders.id": 100,
        "orderflow_orders.external_checkout_id": 255,
        "orderflow_orders.customer_email": 640,
        "orderflow_lookups.value": 255,
        "orderflow_lookups.order_id": 100,
        "orderflow_outbox.key": 255,
        "orderflow_outbox.order_id": 100,
        "orderflow_idempotency.key": 255,
        "orderflow_idempotency.order_id": 100,
    }


@pytest.mark.parametrize(("name", "values"), OWN_VALUES.items(), ids=list(OWN_VALUES))
def test_a_column_of_orderflows_own_values_holds_the_longest_of_them(
    name: str, values: tuple[str, ...]
) -> None:
    assert values
    assert width(STRING_COLUMNS[name]) >= max(len(value) for value in values)
