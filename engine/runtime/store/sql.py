"""What every table group's SQL shares: the transaction's connection and the driver path.

Every statement of the store is written with SQLAlchemy Core. Most run through
``Connection.execute``; the few on the hot path of a bulk run are wrapped in a
:class:`DriverStatement`, compiled once per dialect to the driver's own SQL with positional
parameters, and run on the DB-API cursor with row tuples. A Core statement costs its
construction, cache key and parameter processing on every call (about 60 µs for one
``get_point``, 15 µs prebuilt); the driver's own cursor takes about 3 µs, and
``executemany`` of tuples skips SQLAlchemy's per-row parameter processing.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.expression import ClauseElement

__all__ = ["IN_CHUNK", "DriverStatement", "TableAccess", "bind_names", "in_list", "shaped"]

IN_CHUNK = 500  # ids per ``IN (...)`` query: far below every driver's parameter limit


class DriverStatement:
    """A Core statement run on the driver's cursor, with parameters given as tuples.

    ``params`` names the statement's bind parameters in the order the tuples hold them;
    compiling checks that the driver's placeholders come in that same order.
    """

    __slots__ = ("_compiled", "params", "statement")

    def __init__(self, statement: ClauseElement, params: Sequence[str]) -> None:
        self.statement = statement
        self.params = tuple(params)
        self._compiled: dict[tuple[str, str], str] = {}  # (dialect, driver) -> driver SQL

    def sql(self, dialect: Dialect) -> str:
        """The driver's SQL for ``dialect``, compiled on first use."""
        key = (dialect.name, dialect.driver)
        found = self._compiled.get(key)
        if found is None:
            found = self._compiled[key] = self._compile(dialect)
        return found

    def _compile(self, dialect: Dialect) -> str:
        if not dialect.positional:
            # A named parameter style (psycopg's "pyformat"): compile for the same driver with
            # its positional style, which it also accepts, so that rows can stay tuples.
            driver: Any = type(dialect)
            dialect = driver(paramstyle="format")
        compiled: Any = self.statement.compile(dialect=dialect)
        order = tuple(compiled.positiontup or ())
        if order != self.params:
            raise RuntimeError(f"bind parameters compile as {order}, declared as {self.params}")
        return compiled.string


def bind_names(prefix: str, count: int) -> list[str]:
    """Names for ``count`` bind parameters of an ``IN (...)`` list."""
    return [f"{prefix}{i}" for i in range(count)]


def in_list(column: sa.ColumnElement[Any], names: Sequence[str]) -> sa.ColumnElement[bool]:
    """``column IN (:name0, :name1, ...)`` with one bind parameter per name."""
    return column.in_([sa.bindparam(name) for name in names])


_SHAPES: dict[Hashable, DriverStatement] = {}


def shaped(key: Hashable, build: Callable[[], DriverStatement]) -> DriverStatement:
    """The statement for one shape of a query (which filters, how many ids in an IN list).

    ``build()`` makes it the first time the shape is seen; a bounded number are kept.
    """
    found = _SHAPES.get(key)
    if found is None:
        found = build()
        if len(_SHAPES) < 512:
            _SHAPES[key] = found
    return found


class TableAccess:
    """The state every table group's methods share inside one store transaction."""

    def __init__(self, conn: Connection, *, writable: bool) -> None:
        self._conn = conn
        self._writable = writable
        self._closed = False
        self._cursor: Any = None  # see _driver_cursor

    def _end(self) -> None:
        self._closed = True
        cursor, self._cursor = self._cursor, None
        if cursor is not None:
            try:
                cursor.close()
            except Exception:  # the connection may already be broken; it is discarded anyway
                pass

    @property
    def connection(self) -> Connection:
        """The underlying SQLAlchemy connection, for read queries this API lacks."""
        self._usable()
        return self._conn

    def _usable(self, write: bool = False) -> Connection:
        if self._closed:
            raise RuntimeError("this transaction has ended")
        if write and not self._writable:
            raise RuntimeError("write attempted in a read-only transaction")
        return self._conn

    def _driver_cursor(self) -> Any:
        """A DB-API cursor on this transaction's connection, for the hottest reads.

        Errors it raises are the driver's own; ``Store.transaction`` translates those too.
        Results are read with ``fetchall`` so that no statement is left open.
        """
        self._usable()
        cursor = self._cursor
        if cursor is None:
            cursor = self._cursor = self._conn.connection.cursor()
        return cursor

    def _fetch(self, statement: DriverStatement, params: Sequence[Any]) -> list[Any]:
        """Run a read on the driver's cursor; every row as the driver returns it."""
        cursor = self._driver_cursor()
        cursor.execute(statement.sql(self._conn.dialect), params)
        return list(cursor.fetchall())

    def _write_many(self, statement: DriverStatement, rows: Sequence[Sequence[Any]]) -> int:
        """``executemany`` of row tuples; the number of rows the driver says it hit."""
        conn = self._usable(write=True)
        return int(conn.exec_driver_sql(statement.sql(conn.dialect), rows).rowcount)

    def _insert_if_absent(self, table: sa.Table, values: Mapping[str, Any]) -> bool:
        """Insert one row unless its key exists; True when this call inserted it.

        ``INSERT ... ON CONFLICT DO NOTHING RETURNING``: the row comes back only when it
        was inserted, so the answer does not depend on what the driver reports as rowcount
        (psycopg 3 reports -1 for a conflict). Elsewhere the key is looked up first, which
        is safe because every write transaction holds the store's write lock.
        """
        conn = self._usable(write=True)
        stmt = _insert_if_absent_statement(table, conn.dialect.name)
        if stmt is not None:
            return conn.execute(stmt, dict(values)).first() is not None
        key = [table.c[c.name] for c in table.primary_key.columns]
        where = [column == values[column.name] for column in key]
        if conn.execute(sa.select(sa.literal(1)).where(*where)).first() is not None:
            return False
        conn.execute(table.insert(), dict(values))
        return True


@cache
def _insert_if_absent_statement(table: sa.Table, dialect: str) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING RETURNING <key>`` where the dialect has it."""
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
    else:
        return None
    key = [table.c[c.name] for c in table.primary_key.columns]
    return insert(table).on_conflict_do_nothing().returning(*key)
