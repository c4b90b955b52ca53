"""A revision token on each order's row (schema version 3): a random string written with
every save, so a repository can tell that the row it loaded or saved is still the one
stored, and reuse the order instead of reading its document again. Rows written before
hold ``NULL``, which matches no token: they are read from their document, as before.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("orderflow_orders", sa.Column("revision", sa.String(32), nullable=True))
    op.execute("UPDATE orderflow_schema SET version = 3")


def downgrade() -> None:
    with op.batch_alter_table("orderflow_orders") as batch:
        batch.drop_column("revision")
    op.execute("UPDATE orderflow_schema SET version = 2")
