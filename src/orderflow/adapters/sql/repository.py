"""SqlRepository: orders, lookups, outbox and idempotency records in one SQL database.

Each call is one transaction of its own on the repository's engine, or, for a repository
that joined a host's connection, a SAVEPOINT inside the host's transaction: the host
commits or rolls back orderflow's rows with its own, and a refused save leaves the host's
transaction usable. Inside :meth:`SqlRepository.unit_of_work` the calls share one
connection, each still its own transaction: a write takes the lock only at its own BEGIN.
"""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import attrs
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, IntegrityError

from orderflow.adapters.sql import outbox as box
from orderflow.adapters.sql import statements as sql
from orderflow.adapters.sql.cache import SIZE, LoadedOrders, new_revision
from orderflow.adapters.sql.driver import Fixed, run, run_many, run_named
from orderflow.adapters.sql.engine import (
    WRITE,
    Spare,
    database_url,
    immediate,
    is_busy,
    is_configured,
    make_engine,
    search_path,
)
from orderflow.adapters.sql.migrate import create_schema
from orderflow.adapters.sql.rows import (
    TAG,
    holds_unstorable,
    load_order,
    lookup_rows,
    lookup_value,
    storable,
    width,
)
from orderflow.adapters.sql.schema import (
    idempotency,
    lookups,
    orders,
    require_current,
    schema_version,
)
from orderflow.domain.limits import EARLIEST, LATEST, MAX_ORDER_NUMBER
from orderflow.domain.order import Order
from orderflow.errors import ConcurrencyError, DuplicateOrder, OrderNotFound
from orderflow.ports.outbox import Delivery, OutboxItem, kept_error
from orderflow.ports.repository import (
    IdempotencyRecord,
    OrderQuery,
    Page,
    ReferenceKind,
    check_outbox_keys,
    cursor_of,
    parse_cursor,
)

_o = orders.c

_ID = width(_o.id)
_CHECKOUT = width(_o.external_checkout_id)
_EMAIL = width(_o.customer_email)
_KIND = width(lookups.c.kind)
_SOURCE = width(idempotency.c.source)
_KEY = width(idempotency.c.key)
"""What each column holds: a string longer, or holding what no store holds (NUL, a lone
surrogate), was never stored, so it is not looked for (``rows.storable``): the driver would
refuse it where the in-memory store simply finds nothing."""


class SqlRepository:
    """Implements :class:`~orderflow.ports.OrderRepository` and :class:`~orderflow.ports.Outbox`
    on SQLAlchemy Core: SQLite (one machine) or PostgreSQL (several app servers)."""

    def __init__(self, engine: Engine, *, keep: int = SIZE) -> None:
        """Use ``engine`` (see :func:`~orderflow.adapters.sql.make_engine`), whose database
        must hold this release's schema: :class:`~orderflow.errors.SchemaError` says how to
        create it (:func:`~orderflow.adapters.sql.create_schema`) or upgrade it
        (:func:`~orderflow.adapters.sql.upgrade_schema`). ``keep`` is how many loaded or
        saved orders to reuse while their rows are unchanged (0: read every one again)."""
        require_current(schema_version(engine), engine.url.render_as_string())
        self.engine = engine
        self._writer = engine.execution_options(**{WRITE: True})
        """The engine's connections, set up once to BEGIN as writers."""
        self._connection: Connection | None = None
        """The host's connection this repository joined (:meth:`joining`)."""
        self._orders: LoadedOrders | None = LoadedOrders(keep) if keep > 0 else None
        """Orders loaded or saved, reused while their row is unchanged (none when joined:
        the host's commit is not seen)."""
        self._unit = threading.local()
        """``connection``: this thread's :meth:`unit_of_work` connection, if one is open."""
        self._direct = engine.dialect.name == "sqlite" and is_configured(engine)
        """SQLite set up by make_engine: transactions begun and committed straight on the
        driver's connection, reads in a unit of work without one (see :meth:`_reading`)."""
        self._spare = Spare(engine) if self._direct and Spare.fits(engine) else None
        """SQLite: the connection kept between calls made outside a unit of work."""

    @classmethod
    def from_url(
        cls,
        url: str | os.PathLike[str] | URL,
        *,
        create: bool = False,
        schema: str | None = None,
        **options: Any,
    ) -> SqlRepository:
        """A repository on a new engine for ``url`` (or a SQLite file path); ``create``
        creates the tables first if they are missing. On PostgreSQL, ``schema`` keeps
        orderflow's tables in that schema of the database (created with them)."""
        if schema is not None:
            options["connect_args"] = {
                **options.get("connect_args", {}),
                **search_path(database_url(url), schema, create=create),
            }
        engine = make_engine(url, **options)
        if create:
            create_schema(engine)
        return cls(engine)

    def joining(self, connection: Connection) -> SqlRepository:
        """This repository working inside ``connection``'s transaction, which its owner
        commits or rolls back; orderflow only opens SAVEPOINTs in it."""
        if not is_configured(connection):
            raise ValueError(
                "orderflow joins SQLite connections only from engines made by make_engine() "
                "or configure_sqlite(): plain pysqlite transactions ignore SAVEPOINTs"
            )
        joined = copy.copy(self)
        joined._connection = connection
        joined._orders = None
        joined._unit = threading.local()
        joined._spare = None
        return joined

    def close(self) -> None:
        """Return the connection this repository keeps between calls (SQLite) to the
        engine's pool; the next call takes one again. Disposing of the engine does too."""
        if self._spare is not None:
            self._spare.close()

    @contextmanager
    def _borrowed(self) -> Iterator[Connection]:
        """A connection for one call or unit of work: the one kept between calls (SQLite),
        else one from the pool; kept again after it, closed (back to the pool) after an
        error."""
        spare = self._spare
        connection = self.engine.connect() if spare is None else spare.take()
        try:
            yield connection
        except BaseException:
            connection.close()
            raise
        if spare is None:
            connection.close()
        else:
            spare.give(connection)

    @contextmanager
    def unit_of_work(self) -> Iterator[None]:
        """Run the calls made inside on one connection of the engine (one checkout for a
        command's reads and its save), each still a transaction of its own: nothing is
        locked between them, and a save takes the write lock at its own BEGIN (SQLite:
        ``BEGIN IMMEDIATE``), so a writer that committed meanwhile is seen by its version
        check. Nested units, and a repository joined to a host's connection, use the
        connection already there."""
        if self._connection is not None or getattr(self._unit, "connection", None) is not None:
            yield
            return
        with self._borrowed() as connection:
            self._unit.connection = connection
            try:
                yield
            finally:
                self._unit.connection = None

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        if self._connection is not None:
            yield self._connection
            return
        unit: Connection | None = getattr(self._unit, "connection", None)
        if unit is None:
            with self._borrowed() as connection:
                yield connection
        elif self._direct:
            # SQLite: a SELECT outside a transaction reads one consistent snapshot by itself;
            # a BEGIN and COMMIT around it would only cost two more round trips. A statement
            # run through SQLAlchemy begins a transaction there: it ends here.
            try:
                yield unit
            finally:
                if unit.in_transaction():
                    unit.rollback()
        else:
            with unit.begin():
                yield unit

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        if self._connection is not None:
            with self._connection.begin_nested():
                yield self._connection
            return
        try:
            unit: Connection | None = getattr(self._unit, "connection", None)
            if self._direct:
                if unit is not None:
                    with immediate(unit):
                        yield unit
                    return
                with self._borrowed() as connection, immediate(connection):
                    yield connection
                return
            if unit is None:
                with self._writer.connect() as connection, connection.begin():
                    yield connection
                return
            unit.execution_options(**{WRITE: True})
            try:
                with unit.begin():
                    yield unit
            finally:
                unit.execution_options(**{WRITE: False})
        except DBAPIError as error:
            if isinstance(error, IntegrityError) or not is_busy(error):
                raise
            raise ConcurrencyError(
                f"the database is busy with another writer ({error.orig}): try again"
            ) from error

    # -- repository ------------------------------------------------------------------------

    def get(self, order_id: str) -> Order:
        order = None
        if storable(order_id, _ID):
            order = self._one(sql.ORDER_BY_ID, {"b_id": order_id})
        if order is None:
            raise OrderNotFound(f"no order with id {order_id!r}")
        return order

    def _one(self, statement: Fixed, parameters: dict[str, Any]) -> Order | None:
        with self._reading() as connection:
            _, rows = run(connection, statement, parameters)
        return self._load(rows[0]) if rows else None

    def _load(self, row: Any) -> Order:
        return load_order(row) if self._orders is None else self._orders.load(row)

    def _keep(self, revision: str, columns: dict[str, Any], order: Order) -> None:
        """After the commit: the order just saved is the one its row now holds."""
        if self._orders is not None:
            self._orders.keep(revision, columns["document"], order)

    def add(
        self,
        order: Order,
        *,
        outbox: Sequence[OutboxItem] = (),
        idempotency: IdempotencyRecord | None = None,
    ) -> None:
        check_outbox_keys(outbox)
        revision = new_revision()
        row = sql.new_order_row(order, revision)
        try:
            with self._writing() as connection:
                run(connection, sql.INSERT_ORDER, row)
                self._write(connection, order, outbox, idempotency, new=True)
        except IntegrityError:
            self._explain(order, outbox, idempotency)
            raise
        self._keep(revision, row, order)

    def save(
        self,
        order: Order,
        *,
        expected_version: int,
        outbox: Sequence[OutboxItem] = (),
        idempotency: IdempotencyRecord | None = None,
    ) -> None:
        check_outbox_keys(outbox)
        revision = new_revision()
        row = sql.saved_order_row(order, expected_version, revision)
        try:
            with self._writing() as connection:
                if run(connection, sql.UPDATE_DOCUMENT, sql.document_row(row))[0] != 1:
                    updated, _ = run(connection, sql.UPDATE_ORDER, row)
                    if updated != 1:
                        self._refuse_stale(connection, order, expected_version)
                self._write(connection, order, outbox, idempotency, new=False)
        except IntegrityError:
            self._explain(order, outbox, idempotency, saved=True)
            raise
        self._keep(revision, row, order)

    @staticmethod
    def _refuse_stale(connection: Connection, order: Order, expected_version: int) -> None:
        _, found = run(connection, sql.VERSION_OF, {"b_id": order.id})
        if not found:
            raise OrderNotFound(f"no order with id {order.id!r}")
        stored = found[0][0]
        raise ConcurrencyError(
            f"{order} was changed by someone else (stored version {stored}, "
            f"expected {expected_version}): reload it and decide again"
        )

    @staticmethod
    def _write(
        connection: Connection,
        order: Order,
        outbox: Sequence[OutboxItem],
        record: IdempotencyRecord | None,
        *,
        new: bool,
    ) -> None:
        """Everything but the order's row: lookups, outbox items, idempotency record."""
        wanted = lookup_rows(order)
        if not new:
            wanted = _relook(connection, order.id, wanted)
        run_many(connection, sql.INSERT_LOOKUPS, wanted)
        box.queue(connection, outbox)
        if record is not None:
            run(
                connection,
                sql.DELETE_EXPIRED_RECORD,
                {"b_source": record.source, "b_key": record.key, "b_now": record.created_at},
            )
            run(connection, sql.INSERT_RECORD, sql.record_row(record))

    def _explain(
        self,
        order: Order,
        outbox: Sequence[OutboxItem],
        record: IdempotencyRecord | None,
        *,
        saved: bool = False,
    ) -> None:
        """Raise the refusal a failed write's constraint stands for, if it is one of ours."""
        with self._reading() as connection:

            def taken(*where: ColumnElement[bool]) -> str | None:
                return connection.scalar(select(_o.id).where(*where))

            checkout = order.external_checkout_id
            if not saved and taken(_o.id == order.id):
                raise DuplicateOrder(f"an order with id {order.id!r} already exists")
            if not saved and taken(_o.number == order.number):
                raise DuplicateOrder(f"order number #{order.number} is already taken")
            if not saved and checkout is not None:
                other = taken(_o.external_checkout_id == checkout)
                if other is not None:
                    raise DuplicateOrder(f"checkout {checkout!r} already placed order {other}")
            if queued := box.taken_keys(connection, [item.key for item in outbox]):
                raise DuplicateOrder(f"outbox keys already queued: {queued}")
            if record is not None:
                found = self._record(connection, record.source, record.key)
                if found is not None and found.expires_at > record.created_at:
                    raise ConcurrencyError(
                        f"idempotency key {record.key!r} ({record.source}) was recorded by a "
                        f"concurrent request on order {found.order_id}: reload it and decide again"
                    )

    def next_number(self) -> int:
        with self._writing() as connection:
            sequence = connection.dialect.supports_sequences
            following = sql.NEXT_IN_SEQUENCE if sequence else sql.NEXT_NUMBER
            while True:
                number: int = run(connection, following, {})[1][0][0]
                if not run(connection, sql.NUMBER_TAKEN, {"b_number": number})[1]:
                    return number

    def by_number(self, number: int) -> Order | None:
        if not -MAX_ORDER_NUMBER - 1 <= number <= MAX_ORDER_NUMBER:  # beyond a bigint
            return None
        return self._one(sql.ORDER_BY_NUMBER, {"b_number": number})

    def by_checkout_id(self, checkout_id: str) -> Order | None:
        if not storable(checkout_id, _CHECKOUT):
            return None
        return self._one(sql.ORDER_BY_CHECKOUT, {"b_checkout": checkout_id})

    def by_reference(self, kind: ReferenceKind, value: str) -> Order | None:
        if not storable(kind, _KIND):
            return None
        return self._one(sql.ORDER_BY_REFERENCE, {"b_kind": kind, "b_value": lookup_value(value)})

    def idempotency_record(self, source: str, key: str) -> IdempotencyRecord | None:
        if not (storable(source, _SOURCE) and storable(key, _KEY)):
            return None
        with self._reading() as connection:
            return self._record(connection, source, key)

    @staticmethod
    def _record(connection: Connection, source: str, key: str) -> IdempotencyRecord | None:
        _, rows = run_named(connection, sql.RECORD, {"b_source": source, "b_key": key})
        return IdempotencyRecord(**rows[0]._asdict()) if rows else None

    def purge_idempotency(self, now: datetime) -> int:
        with self._writing() as connection:
            return run(connection, sql.PURGE_RECORDS, {"b_now": now})[0]

    def query(self, query: OrderQuery) -> Page:
        statement = (
            select(*sql.DOCUMENT)
            .where(*_conditions(query, self.engine.dialect.name))
            .order_by(_o.placed_at.desc(), _o.id.desc())
            .limit(query.limit + 1)
        )
        with self._reading() as connection:
            rows = connection.execute(statement).all()
        page = tuple(self._load(row) for row in rows[: query.limit])
        more = len(rows) > query.limit
        return Page(orders=page, next_cursor=cursor_of(page[-1]) if more else None)

    def stream(self, query: OrderQuery | None = None, *, batch: int = 500) -> Iterator[Order]:
        query = attrs.evolve(query or OrderQuery(archived=None), limit=batch)
        while True:
            page = self.query(query)
            yield from page.orders
            if page.next_cursor is None:
                return
            query = attrs.evolve(query, after=page.next_cursor)
            del page  # one batch alive at a time, not two

    def due_before(self, now: datetime, *, limit: int = 100) -> Sequence[str]:
        with self._reading() as connection:
            return connection.scalars(
                select(_o.id)
                .where(_o.next_due_at <= _within_calendar(now))
                .order_by(_o.next_due_at, _o.id)
                .limit(limit)
            ).all()

    # -- outbox ------------------------------------------------------------------------------

    def claim(self, now: datetime, *, limit: int, lease: timedelta) -> Sequence[Delivery]:
        with self._writing() as connection:
            return box.claim(connection, now, limit, lease)

    def claim_key(self, key: str, now: datetime, *, lease: timedelta) -> Delivery | None:
        with self._writing() as connection:
            return box.claim_key(connection, key, now, lease)

    def mark_delivered(self, key: str, now: datetime) -> None:
        with self._writing() as connection:
            box.change(connection, key, state="delivered", lease_until=None, delivered_at=now)

    def mark_all_delivered(self, delivered: Sequence[tuple[str, datetime]]) -> None:
        with self._writing() as connection:
            unknown = box.deliver_all(connection, delivered)
        if unknown:
            raise KeyError(*unknown)

    def mark_failed(self, key: str, *, error: str, retry_at: datetime | None) -> None:
        error = kept_error(error)
        with self._writing() as connection:
            if retry_at is None:
                box.change(connection, key, state="dead", lease_until=None, last_error=error)
            else:
                box.change(
                    connection, key, next_attempt_at=retry_at, lease_until=None, last_error=error
                )

    def requeue(self, key: str, now: datetime) -> None:
        with self._writing() as connection:
            box.requeue(connection, key, now)

    def deliveries(self, order_id: str) -> Sequence[Delivery]:
        with self._reading() as connection:
            return box.deliveries(connection, order_id)


def _relook(
    connection: Connection, order_id: str, wanted: list[dict[str, str]]
) -> list[dict[str, str]]:
    """Delete the order's stored lookup rows it no longer wants, and those another order
    saved after it shares (so this order, saved last, is the one they find); the wanted
    rows still to insert."""
    keys = {(row["kind"], row["value"]) for row in wanted}
    kept: set[tuple[str, str]] = set()
    stale = []
    for seq, kind, value, overtaken in run(connection, sql.LOOKUPS_OF, {"b_id": order_id})[1]:
        key = (kind, value)
        if overtaken or key in kept or key not in keys:
            stale.append({"b_seq": seq})
        else:
            kept.add(key)
    run_many(connection, sql.DELETE_LOOKUP, stale)
    return [row for row in wanted if (row["kind"], row["value"]) not in kept]


def _conditions(query: OrderQuery, dialect: str) -> list[ColumnElement[bool]]:
    """``query.matches`` as SQL over the query columns (for ``dialect``'s substring search).

    A value no row can hold matches nothing, without being sent; times beyond the ends of
    the calendar orders are placed in select as those ends do."""
    found: list[ColumnElement[bool]] = []
    if query.archived is not None:
        archived = _o.archive_status == "archived"
        found.append(archived if query.archived else ~archived)
    for column, wanted in (
        (_o.status, query.status),
        (_o.financial_status, query.financial_status),
        (_o.fulfillment_status, query.fulfillment_status),
    ):
        if wanted is not None:
            found.append(column == wanted)
    if query.customer_email is not None:
        email = query.customer_email.lower()
        found.append(_o.customer_email == email if storable(email, _EMAIL) else false())
    if query.tag is not None:
        tagged = select(lookups.c.order_id).where(
            lookups.c.kind == TAG, lookups.c.value == lookup_value(query.tag)
        )
        found.append(_o.id.in_(tagged))
    if query.text is not None:
        text = query.text.lower()
        # instr/strpos, not LIKE: SQLite refuses a LIKE pattern over 50,000 bytes
        position = func.instr if dialect == "sqlite" else func.strpos
        found.append(false() if holds_unstorable(text) else position(_o.search_text, text) > 0)
    if query.placed_from is not None:
        found.append(_o.placed_at >= _within_calendar(query.placed_from))
    if query.placed_before is not None:
        found.append(_o.placed_at < _within_calendar(query.placed_before))
    if query.after is not None:
        placed, order_id = parse_cursor(query.after)
        found.append(or_(_o.placed_at < placed, and_(_o.placed_at == placed, _o.id < order_id)))
    return found


def _within_calendar(at: datetime) -> datetime:
    """``at``, or the end of the calendar stored times lie within (``limits.EARLIEST``,
    ``LATEST``, exclusive) that it lies beyond: compared with a stored time it answers
    alike, and it can be written in UTC (``datetime.max`` west of Greenwich cannot)."""
    return min(max(at, EARLIEST), LATEST)
