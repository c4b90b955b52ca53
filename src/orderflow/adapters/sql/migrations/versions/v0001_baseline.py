"""Baseline: the tables as orderflow created them before it used Alembic (schema version 1).

A database that an earlier release created is stamped at this revision without running
it; a new database runs it only when upgraded from nothing revision by revision (tests).
The types are written out, not imported from ``schema.py``: this revision stays what the
tables were, whatever the current ones become.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Id = sa.String(100).with_variant(sa.String(100, collation="C"), "postgresql")
Time = sa.DateTime(timezone=True)


def order_id() -> sa.ForeignKey:
    return sa.ForeignKey("orderflow_orders.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "orderflow_orders",
        sa.Column("id", Id, primary_key=True),
        sa.Column("number", sa.BigInteger, nullable=False, unique=True),
        sa.Column("external_checkout_id", sa.String(200), unique=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("archive_status", sa.String(20), nullable=False),
        sa.Column("financial_status", sa.String(30), nullable=False),
        sa.Column("fulfillment_status", sa.String(30), nullable=False),
        sa.Column("customer_email", sa.String(320), nullable=False, index=True),
        sa.Column("search_text", sa.Text, nullable=False),
        sa.Column("placed_at", Time, nullable=False),
        sa.Column("archived_at", Time),
        sa.Column("next_due_at", Time, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Index("orderflow_orders_listing", "placed_at", "id"),
    )
    op.create_table(
        "orderflow_lookups",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("order_id", Id, order_id(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Index("orderflow_lookups_value", "kind", "value"),
        sa.Index("orderflow_lookups_order", "order_id"),
    )
    op.create_table(
        "orderflow_outbox",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("order_id", Id, order_id(), nullable=False),
        sa.Column("topic", sa.String(50), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", Time, nullable=False),
        sa.Column("lease_until", Time),
        sa.Column("last_error", sa.Text),
        sa.Column("delivered_at", Time),
        sa.Index("orderflow_outbox_due", "state", "next_attempt_at"),
        sa.Index("orderflow_outbox_order", "order_id"),
    )
    op.create_table(
        "orderflow_idempotency",
        sa.Column("source", sa.String(50), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("request_hash", sa.String(128), nullable=False),
        sa.Column("order_id", Id, order_id(), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("expires_at", Time, nullable=False, index=True),
    )
    counters = op.create_table(
        "orderflow_counters",
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    schema = op.create_table("orderflow_schema", sa.Column("version", sa.Integer, nullable=False))
    if op.get_context().dialect.supports_sequences:
        op.execute(sa.schema.CreateSequence(sa.Sequence("orderflow_order_number", start=1001)))
    else:
        op.bulk_insert(counters, [{"name": "order_number", "value": 1000}])
    op.bulk_insert(schema, [{"version": 1}])


def downgrade() -> None:
    for table in (
        "orderflow_schema",
        "orderflow_counters",
        "orderflow_idempotency",
        "orderflow_outbox",
        "orderflow_lookups",
        "orderflow_orders",
    ):
        op.drop_table(table)
    if op.get_context().dialect.supports_sequences:
        op.execute(sa.schema.DropSequence(sa.Sequence("orderflow_order_number")))
