"""The SQL store's query columns and lookup rows are functions of the order document: after
any sequence of commands, each row holds exactly what ``order_columns`` and ``lookup_rows``
compute from the order it stores. Queries read them; loading never does.

The command sequences are the stateful lifecycle test's (``tests/test_lifecycle_stateful.py``),
run here on a SQLite store, one new database per example.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.stateful import initialize, invariant
from sqlalchemy import select

import test_lifecycle_stateful as lives
from orderflow.adapters.sql import SqlRepository, create_schema, make_engine
from orderflow.adapters.sql.rows import lookup_rows, order_columns
from orderflow.adapters.sql.schema import lookups, orders
from orderflow.domain.policies import ArchivePolicy, CaptureMode, FulfillmentMode
from orderflow.testing import RecordingFulfillmentService, make_flow

STARTS = lives.OrderLives.start.hypothesis_stateful_initialize_rule.arguments
"""The policies the lifecycle test starts each example with."""


class OrderLivesOnSqlite(lives.OrderLives):
    @initialize(**STARTS)
    def start(
        self, capture: CaptureMode, fulfillment: FulfillmentMode, archive: ArchivePolicy
    ) -> None:
        super().start(capture, fulfillment, archive)
        self.directory = Path(tempfile.mkdtemp(prefix="orderflow-columns-"))
        engine = make_engine(self.directory / "orders.sqlite3")
        create_schema(engine)
        self.store = SqlRepository(engine)
        self.harness = make_flow(
            policies=self.policies,
            fulfillment_service=RecordingFulfillmentService(),
            repository=self.store,
        )
        self.flow = self.harness.flow

    def teardown(self) -> None:
        if hasattr(self, "store"):
            self.store.engine.dispose()
            shutil.rmtree(self.directory)

    @invariant()
    def every_row_holds_what_its_document_says(self) -> None:
        if not hasattr(self, "store"):
            return
        with self.store.engine.connect() as connection:
            for row in connection.execute(select(orders)).mappings():
                order = self.store.get(row["id"])
                assert {k: v for k, v in row.items() if k in order_columns(order)} == (
                    order_columns(order)
                )
                found = connection.execute(
                    select(lookups.c.order_id, lookups.c.kind, lookups.c.value)
                    .where(lookups.c.order_id == order.id)
                    .order_by(lookups.c.kind, lookups.c.value)
                )
                assert [dict(r._mapping) for r in found] == lookup_rows(order)


OrderLivesOnSqlite.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_the_query_columns_follow_the_document_through_any_lifecycle = OrderLivesOnSqlite.TestCase
