"""Columns as wide as the input rules allow (schema version 2): an external checkout id, an
outbox key, an idempotency key and a lookup value hold 255 characters, not 200; the
lower-cased customer e-mail 640, not 320 (``"İ".lower()`` is two characters).

PostgreSQL widens a varchar in place; SQLite copies each table (``batch_alter_table``),
with foreign keys off meanwhile (``migrate.upgrade_schema``).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

WIDENED = {
    "orderflow_orders": {"external_checkout_id": (200, 255), "customer_email": (320, 640)},
    "orderflow_lookups": {"value": (200, 255)},
    "orderflow_outbox": {"key": (200, 255)},
    "orderflow_idempotency": {"key": (200, 255)},
}
"""Table -> column -> (length at version 1, length at version 2)."""


def upgrade() -> None:
    for table, columns in WIDENED.items():
        with op.batch_alter_table(table) as batch:
            for column, (before, after) in columns.items():
                batch.alter_column(column, existing_type=sa.String(before), type_=sa.String(after))
    op.execute("UPDATE orderflow_schema SET version = 2")


def downgrade() -> None:
    """Narrows the columns again: refused by PostgreSQL if a value no longer fits."""
    for table, columns in WIDENED.items():
        with op.batch_alter_table(table) as batch:
            for column, (before, after) in columns.items():
                batch.alter_column(column, existing_type=sa.String(after), type_=sa.String(before))
    op.execute("UPDATE orderflow_schema SET version = 1")
