"""Opening a store: :func:`open_store` and :class:`Store`, the handle that makes transactions.

A store opened with ``readonly=True`` is read without writing a byte (see
:mod:`.database`): its schema is checked, never created or migrated, and a write
transaction on it is refused. A SQLite file whose ``-shm`` cannot be made (a read-only
folder or file system, a full disk) and that has no pending ``-wal`` is read as immutable.
"""

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

from engine.errors import StoreError, StoreNotWritable
from engine.runtime import ports
from engine.runtime.documents import DocumentFolder
from engine.runtime.store.database import (
    BEGIN_OPTION,
    DEFAULT_BUSY_TIMEOUT,
    dbapi_error,
    locate,
    make_engine,
    readonly_url,
    translate_error,
)
from engine.runtime.store.schema import apply_migrations, check_readable
from engine.runtime.store.transaction import Transaction

__all__ = ["Store", "open_store"]


def open_store(
    location: str | os.PathLike[str] | None,
    documents_dir: str | os.PathLike[str] | None = None,
    *,
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    create: bool = True,
    readonly: bool = False,
) -> Store:
    """Open (creating and migrating as needed) the store at a path or database URL.

    ``location`` is a SQLite file path or a URL (anything with ``://``); None means
    ``docflow.db`` in the working directory. Documents go to ``documents_dir``, by default
    ``documents/`` beside the SQLite file, or ``./documents`` for a URL. With
    ``create=False`` a missing SQLite file is an error instead of a new store. With
    ``readonly`` the store must exist and is only read (``create`` is ignored).
    """
    where = locate(location, create=create and not readonly)
    docs = Path(documents_dir).absolute() if documents_dir is not None else where.default_documents
    folder = DocumentFolder(docs, readonly=readonly)
    store = Store(where.url, where.display, folder, busy_timeout, readonly=readonly)
    try:
        if readonly:
            store._check_readable()
        else:
            store._migrate()
    except BaseException:
        store.close()
        raise
    return store


class Store:
    """An open store. Use :meth:`transaction` for every read and write; :meth:`close` at end."""

    def __init__(
        self,
        url: sa.URL,
        display: str,
        documents: DocumentFolder,
        busy_timeout: float,
        *,
        readonly: bool = False,
    ) -> None:
        self.url = url
        self.location = display
        self.documents = documents
        self.busy_timeout = busy_timeout
        self.dialect = url.get_backend_name()
        #: Opened only to be read: every write transaction is refused.
        self.readonly = readonly
        #: Read as an immutable SQLite file (no locks): nothing could have been written.
        self.immutable = False
        engine_url = readonly_url(url) if readonly else url
        self._engine: Engine | None = make_engine(
            engine_url, busy_timeout, display, readonly=readonly
        )
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
        if self.readonly and not readonly:
            raise StoreError(f"存储库 {self.location} 是以只读方式打开的，不能写入")
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
            elif readonly:  # every statement of a read sees the same committed state
                conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            yield conn
        finally:
            conn.close()

    def _translate(self, exc: BaseException) -> StoreError:
        found = translate_error(exc, self.location, self.busy_timeout)
        if self.readonly or not self._file_error(exc):
            return found
        reason = _unwritable(Path(str(self.url.database)))
        if reason is None:
            return found
        return StoreNotWritable(self.location, reason)

    def _file_error(self, exc: BaseException) -> bool:
        """Whether a SQLite error is one of those a file that cannot be written gives."""
        if self.dialect != "sqlite" or self.url.database in (None, "", ":memory:"):
            return False
        name = str(getattr(getattr(exc, "orig", None) or exc, "sqlite_errorname", ""))
        return name.startswith(_FILE_ERRORS)

    def _migrate(self) -> None:
        """Bring the schema up to the code's version (see :mod:`.schema`)."""
        try:
            apply_migrations(self._connect, self.dialect, self.location)
        except StoreError:
            raise
        except (sa_exc.SQLAlchemyError, dbapi_error(self._engine)) as exc:
            raise self._translate(exc) from exc

    def _check_readable(self) -> None:
        """The read-only opening: the schema must be the code's (nothing is migrated)."""
        try:
            check_readable(self._connect, self.location)
            return
        except StoreError:
            raise
        except (sa_exc.SQLAlchemyError, dbapi_error(self._engine)) as exc:
            if not self._unshareable(exc):
                raise self._translate(exc) from exc
        # A WAL database in a folder or file system that cannot be written (or is full):
        # its -shm cannot be made, and without a pending -wal the file alone is the store.
        assert self._engine is not None
        self._engine.dispose()
        url = readonly_url(self.url, immutable=True)
        self._engine = make_engine(url, self.busy_timeout, self.location, readonly=True)
        self.immutable = True
        try:
            check_readable(self._connect, self.location)
        except StoreError:
            raise
        except (sa_exc.SQLAlchemyError, dbapi_error(self._engine)) as exc:
            raise self._translate(exc) from exc

    def _unshareable(self, exc: BaseException) -> bool:
        """Whether a read-only SQLite open failed for want of writing its shared-memory
        file, with no write-ahead log waiting to be read, so that the file may be read as
        immutable."""
        if not self._file_error(exc):
            return False
        wal = Path(f"{self.url.database}-wal")
        try:
            return wal.stat().st_size == 0
        except FileNotFoundError:
            return True
        except OSError:
            return False


#: SQLite's errors for a file it cannot open, extend or write (its primary codes' names).
_FILE_ERRORS = ("SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_READONLY", "SQLITE_FULL")
_NEARLY_FULL = 1 << 20  # bytes: less free space than this is a full disk to SQLite


def _unwritable(database: Path) -> str | None:
    """Why the SQLite file ``database`` cannot be written, if its file system says so."""
    folder = database.parent
    try:
        fs = os.statvfs(folder)
    except OSError:
        return None
    if fs.f_flag & os.ST_RDONLY:
        return "它所在的文件系统是只读的"
    if fs.f_bavail * fs.f_frsize < _NEARLY_FULL:
        return "它所在的磁盘已满"
    if not os.access(folder, os.W_OK) or not os.access(database, os.W_OK):
        return "没有写入该文件或其所在目录的权限"
    return None


# Structural check (mypy): the SQL store is the port the use cases open.
_port: ports.StorePort = cast(Store, None)
