"""The SQL adapter (extras ``sql``, and ``postgres`` for PostgreSQL): orders, lookups, the
outbox and idempotency records on SQLAlchemy Core, SQLite embedded or PostgreSQL shared.

>>> from orderflow.adapters.sql import SqlRepository
>>> store = SqlRepository.from_url("sqlite://", create=True)  # or a file path, or a URL
>>> store.next_number()
1001
"""

from orderflow.adapters.sql.engine import DEFAULT_URL, configure_sqlite, database_url, make_engine
from orderflow.adapters.sql.migrate import create_schema, upgrade_schema
from orderflow.adapters.sql.repository import SqlRepository
from orderflow.adapters.sql.schema import SCHEMA_VERSION, schema_version

__all__ = [
    "DEFAULT_URL",
    "SCHEMA_VERSION",
    "SqlRepository",
    "configure_sqlite",
    "create_schema",
    "database_url",
    "make_engine",
    "schema_version",
    "upgrade_schema",
]
