"""Fixed statements run straight on the driver's cursor.

A fixed statement (one of :mod:`~orderflow.adapters.sql.statements`, its columns known) is
compiled once per dialect and set of parameter names; each run then only converts the
values the column types convert (an aware time to SQLite's text) and calls the driver's
``execute``/``executemany``, as the SQLite ``BEGIN`` already does
(:mod:`~orderflow.adapters.sql.engine`); the rows it returns get the conversions their
column types make (SQLite's text back to an aware time). SQLAlchemy's execution machinery (events, result
objects, parameter coercion, its statement cache lookup) costs more than the SQLite
statement itself. A driver error is raised as SQLAlchemy would raise it (IntegrityError,
OperationalError...). Statements whose compiled form needs SQLAlchemy at run time (values
rendered after compiling) run through SQLAlchemy, unchanged.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any]


class Compiled:
    """A statement's text for one dialect, the order of its parameters, and the bound
    values it carries itself."""

    def __init__(self, statement: ClauseElement, dialect: Dialect, keys: Sequence[str]) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))
        assert isinstance(compiled, SQLCompiler)
        self.text = compiled.string
        self.positional = compiled.positiontup is not None
        names = list(compiled.positiontup or compiled.binds)
        self.names = names
        self.fixed: dict[str, Any] = {}
        self.processors: dict[str, Processor] = {}
        for name in names:
            bind = compiled.binds[name]
            if name not in keys:
                self.fixed[name] = bind.effective_value
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.processors[name] = processor
        columns = list(getattr(statement, "exported_columns", ()))
        self.results: list[Processor | None] = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ]
        """Per returned column, the conversion its type makes of the driver's value."""
        self.converted = [(i, p) for i, p in enumerate(self.results) if p is not None]
        """The returned columns whose values the types convert, by position."""
        self._get = itemgetter(*names) if names else lambda _: ()
        self._single = len(names) == 1
        self._convert = [
            (i, self.processors[n]) for i, n in enumerate(names) if n in self.processors
        ]
        """The parameters the types convert, by position (a name may come more than once)."""
        self.row: Callable[..., Any] = _row_type([column.key for column in columns])
        """Rows with the columns' names, as SQLAlchemy's rows have them."""
        self.direct = "POSTCOMPILE" not in self.text
        """Can it run on the driver's cursor? (Else through SQLAlchemy.)"""

    def parameters(self, values: dict[str, Any]) -> Any:
        merged = {**self.fixed, **values} if self.fixed else values
        found = self._get(merged)
        if self._single:
            found = (found,)
        if self._convert:
            found = list(found)
            for index, processor in self._convert:
                found[index] = processor(found[index])
        return found if self.positional else dict(zip(self.names, found, strict=True))

    def rows(self, found: Sequence[Any]) -> list[Any]:
        """The driver's rows as the column types return them (tuples)."""
        if not self.converted:
            return list(found)
        converted = self.converted
        rows = []
        for row in found:
            values = list(row)
            for index, processor in converted:
                values[index] = processor(values[index])
            rows.append(tuple(values))
        return rows


def _row_type(names: list[str]) -> Callable[..., Any]:
    return namedtuple("Row", names, rename=True)


class Fixed:
    """A statement compiled on first use for each dialect and set of parameter names."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, frozenset[str]], Compiled] = {}
        self._seen: dict[tuple[str, ...], Compiled] = {}
        """By dialect name and parameter names in the order given: no set built per run."""

    def compiled(self, dialect: Dialect, keys: Iterable[str]) -> Compiled:
        seen = (dialect.name, *keys)
        found = self._seen.get(seen)
        if found is None:
            key = (dialect.name, frozenset(seen[1:]))
            found = self._compiled.get(key)
            if found is None:
                found = self._compiled[key] = Compiled(self.statement, dialect, list(seen[1:]))
            if len(self._seen) < 256:  # bounded: parameter names come in few orders
                self._seen[seen] = found
        return found


def raised(dialect: Dialect, statement: str, parameters: Any, error: Exception) -> StatementError:
    """The driver's ``error`` as SQLAlchemy raises it (IntegrityError, OperationalError...),
    so handlers written for SQLAlchemy's errors catch it."""
    return DBAPIError.instance(
        statement, parameters, error, dialect.loaded_dbapi.Error, dialect=dialect
    )


def run(connection: Connection, fixed: Fixed, values: dict[str, Any]) -> tuple[int, list[Any]]:
    """Run ``fixed`` with ``values`` in ``connection``'s transaction: the rows it changed
    and the rows it returned (tuples, in the statement's column order)."""
    dialect = connection.dialect
    compiled = fixed.compiled(dialect, values)
    if not compiled.direct:
        result = connection.execute(fixed.statement, values)  # type: ignore[call-overload]
        rows = [tuple(row) for row in result] if result.returns_rows else []
        return result.rowcount, rows
    parameters = compiled.parameters(values)
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(compiled.text, parameters)
        found = compiled.rows(cursor.fetchall()) if cursor.description is not None else []
        return int(cursor.rowcount), found
    except dialect.loaded_dbapi.Error as error:
        raise raised(dialect, compiled.text, parameters, error) from error
    finally:
        cursor.close()


def run_named(
    connection: Connection, fixed: Fixed, values: dict[str, Any]
) -> tuple[int, list[Any]]:
    """:func:`run`, its rows named tuples (``row.key``), as SQLAlchemy's rows are."""
    changed, found = run(connection, fixed, values)
    make = fixed.compiled(connection.dialect, values).row
    return changed, [make(*row) for row in found]


def run_many(connection: Connection, fixed: Fixed, rows: Sequence[dict[str, Any]]) -> int:
    """Run ``fixed`` once per row (the driver's ``executemany``); rows share their keys.
    Returns the rows changed as the driver counts them: sqlite3 sums every run's, other
    drivers may count only the last run's or none (-1)."""
    if not rows:
        return 0
    dialect = connection.dialect
    compiled = fixed.compiled(dialect, rows[0])
    if not compiled.direct:
        result = connection.execute(fixed.statement, list(rows))  # type: ignore[call-overload]
        return int(result.rowcount)
    parameters = [compiled.parameters(row) for row in rows]
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(compiled.text, parameters)
        return int(cursor.rowcount)
    except dialect.loaded_dbapi.Error as error:
        raise raised(dialect, compiled.text, parameters, error) from error
    finally:
        cursor.close()
