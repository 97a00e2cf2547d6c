"""Opening a store: :func:`open_store` and :class:`Store`, the handle that makes transactions."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import cast

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from engine.errors import StoreError
from engine.runtime import ports
from engine.runtime.documents import DocumentFolder
from engine.runtime.store.database import (
    BEGIN_OPTION,
    DEFAULT_BUSY_TIMEOUT,
    dbapi_error,
    locate,
    make_engine,
    translate_error,
)
from engine.runtime.store.schema import apply_migrations
from engine.runtime.store.transaction import Transaction

__all__ = ["Store", "open_store"]


def open_store(
    location: str | os.PathLike[str] | None,
    documents_dir: str | os.PathLike[str] | None = None,
    *,
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    create: bool = True,
) -> Store:
    """Open (creating and migrating as needed) the store at a path or database URL.

    ``location`` is a SQLite file path or a URL (anything with ``://``); None means
    ``docflow.db`` in the working directory. Documents go to ``documents_dir``, by default
    ``documents/`` beside the SQLite file, or ``./documents`` for a URL. With
    ``create=False`` a missing SQLite file is an error instead of a new store.
    """
    where = locate(location, create=create)
    docs = Path(documents_dir).absolute() if documents_dir is not None else where.default_documents
    store = Store(where.url, where.display, DocumentFolder(docs), busy_timeout)
    try:
        store._migrate()
    except BaseException:
        store.close()
        raise
    return store


class Store:
    """An open store. Use :meth:`transaction` for every read and write; :meth:`close` at end."""

    def __init__(
        self, url: sa.URL, display: str, documents: DocumentFolder, busy_timeout: float
    ) -> None:
        self.url = url
        self.location = display
        self.documents = documents
        self.busy_timeout = busy_timeout
        self.dialect = url.get_backend_name()
        self._engine: Engine | None = make_engine(url, busy_timeout, display)
        self._local = threading.local()

    def __repr__(self) -> str:
        return f"Store({self.location!r})"

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every pooled connection. Idempotent."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    @property
    def closed(self) -> bool:
        return self._engine is None

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[Transaction]:
        """One database transaction: committed when the block ends, rolled back (and the
        exception re-raised) when it raises. Write transactions take the store's write lock
        at once (``BEGIN IMMEDIATE`` on SQLite); read-only ones see a consistent snapshot.
        """
        if self._engine is None:
            raise StoreError(f"存储库 {self.location} 已关闭")
        if getattr(self._local, "active", False):
            raise RuntimeError("store transactions do not nest; pass the open one along")
        self._local.active = True
        try:
            with self._connect(readonly) as conn:
                tx = Transaction(conn, writable=not readonly)
                try:
                    with conn.begin():
                        if not readonly and self.dialect != "sqlite":
                            tx.lock_for_writing(self.busy_timeout)
                        yield tx
                finally:
                    tx._end()
        except (sa_exc.SQLAlchemyError, dbapi_error(self._engine)) as exc:
            raise self._translate(exc) from exc
        finally:
            self._local.active = False

    # -- internals ------------------------------------------------------------------------

    @contextmanager
    def _connect(self, readonly: bool) -> Iterator[Connection]:
        assert self._engine is not None
        conn = self._engine.connect()
        try:
            if self.dialect == "sqlite":
                conn.execution_options(**{BEGIN_OPTION: "BEGIN" if readonly else "BEGIN IMMEDIATE"})
            yield conn
        finally:
            conn.close()

    def _translate(self, exc: BaseException) -> StoreError:
        return translate_error(exc, self.location, self.busy_timeout)

    def _migrate(self) -> None:
        """Bring the schema up to the code's version (see :mod:`.schema`)."""
        try:
            apply_migrations(self._connect, self.dialect, self.location)
        except StoreError:
            raise
        except (sa_exc.SQLAlchemyError, dbapi_error(self._engine)) as exc:
            raise self._translate(exc) from exc


# Structural check (mypy): the SQL store is the port the use cases open.
_port: ports.StorePort = cast(Store, None)
