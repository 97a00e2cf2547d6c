"""Engine setup: where a store is, the SQLAlchemy engine for it, and its errors in Chinese.

Writes are serialised across processes:

* SQLite: WAL journal, ``foreign_keys=ON``, a ``busy_timeout``, and every write transaction
  starts with ``BEGIN IMMEDIATE`` (pysqlite's own BEGIN handling is switched off and the
  BEGIN is emitted from a ``begin`` event hook, as the SQLAlchemy SQLite docs describe).
  ``synchronous=NORMAL``: in WAL mode a commit survives a process crash; a power cut may lose
  the last commits but never corrupts the database or breaks the chain.
* PostgreSQL: a write transaction takes ``SELECT ... FOR UPDATE`` on the single row of
  ``trail_head`` before anything else, with ``lock_timeout`` set to the busy timeout
  (see :meth:`engine.runtime.store.transaction.Transaction.lock_for_writing`).

A store opened read-only (``make_engine(..., readonly=True)``) writes nothing, by
construction: on SQLite the file is opened through a URI with ``mode=ro`` (see
https://www.sqlite.org/uri.html), without the journal-mode and synchronous pragmas and
with ``query_only``; on PostgreSQL every transaction of the session is ``READ ONLY``
(``default_transaction_read_only``). A SQLite database in WAL mode still needs its
``-shm`` file, which a read-only folder or a full disk cannot give; such a store is read
as ``immutable=1`` instead (:func:`readonly_url`), which takes no locks at all.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from engine.errors import ConcurrentWrite, StoreError, StoreMissing

__all__ = [
    "DEFAULT_BUSY_TIMEOUT",
    "DEFAULT_LOCATION",
    "Location",
    "dbapi_error",
    "locate",
    "make_engine",
    "readonly_url",
    "resolve_location",
    "translate_error",
]

DEFAULT_LOCATION = "docflow.db"
DEFAULT_BUSY_TIMEOUT = 30.0  # seconds another writer may hold the store before we give up
#: The execution option that carries the BEGIN statement of a SQLite transaction.
BEGIN_OPTION = "docflow_begin"


class Location(NamedTuple):
    """Where a store lives: its URL, how to show it, and the default documents folder."""

    url: sa.URL
    display: str
    default_documents: Path


def resolve_location(cli_value: str | None) -> str:
    """Where the store is: the command-line value, else ``$DOCFLOW_DB``, else docflow.db."""
    return cli_value or os.environ.get("DOCFLOW_DB") or DEFAULT_LOCATION


def locate(location: str | os.PathLike[str] | None, *, create: bool) -> Location:
    """Read a SQLite path or a database URL (anything with ``://``) into a :class:`Location`.

    A path's parent directory must exist; with ``create=False`` so must the file.
    """
    text = os.fspath(location) if location else DEFAULT_LOCATION
    if "://" in text:
        try:
            url = sa.make_url(text)
        except sa_exc.ArgumentError:
            raise StoreError(f"无法识别的数据库地址：{text}") from None
        return Location(url, url.render_as_string(hide_password=True), Path.cwd() / "documents")
    path = Path(text).expanduser().absolute()
    if not path.parent.is_dir():
        raise StoreError(f"存储库所在的目录 {path.parent} 不存在，请先创建该目录，或换一个存储位置")
    if path.is_dir():
        raise StoreError(f"存储库位置 {path} 是一个目录，请给出数据库文件的路径")
    if not create and not path.exists():
        raise StoreMissing(str(path))
    url = sa.URL.create("sqlite+pysqlite", database=str(path))
    return Location(url, str(path), path.parent / "documents")


def readonly_url(url: sa.URL, *, immutable: bool = False) -> sa.URL:
    """The URL that opens a SQLite file read-only: a SQLite URI with ``mode=ro``, and with
    ``immutable=1`` for a file that nothing can write while it is read (no locks, no
    ``-shm``). Other URLs are returned as they are."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return url
    query = {"uri": "true", "mode": "ro", **({"immutable": "1"} if immutable else {})}
    return url.set(database="file:" + quote(str(url.database), safe="/"), query=query)


def make_engine(
    url: sa.URL, busy_timeout: float, display: str, *, readonly: bool = False
) -> Engine:
    """The engine for a store; on SQLite with the pragmas and BEGIN hook described above.
    With ``readonly`` it cannot write (see the module's docstring)."""
    is_sqlite = url.get_backend_name() == "sqlite"
    kwargs: dict[str, Any] = {}
    if is_sqlite:
        kwargs["connect_args"] = {"timeout": busy_timeout, "check_same_thread": False}
        if url.database in (None, "", ":memory:"):
            kwargs["poolclass"] = sa.StaticPool
    elif readonly and url.get_backend_name() == "postgresql":
        given = url.query.get("options")
        options = " ".join(filter(None, [str(given or ""), "-c default_transaction_read_only=on"]))
        kwargs["connect_args"] = {"options": options}
    try:
        engine = sa.create_engine(url, **kwargs)
    except sa_exc.NoSuchModuleError:
        raise StoreError(f"不支持的数据库地址 {display}：无法识别其中的数据库类型") from None
    except ImportError as exc:
        hint = ""
        if url.get_backend_name() == "postgresql":
            hint = "；PostgreSQL 请安装 psycopg：pip install 'docflow[postgresql]'，地址写作 postgresql+psycopg://…"
        raise StoreError(f"无法连接数据库 {display}：缺少相应的数据库驱动（{exc}）{hint}") from None
    except sa_exc.ArgumentError as exc:
        raise StoreError(f"无法识别的数据库地址 {display}：{exc}") from None
    if is_sqlite:
        _configure_sqlite(engine, busy_timeout, readonly)
    return engine


def _configure_sqlite(engine: Engine, busy_timeout: float, readonly: bool) -> None:
    timeout_ms = int(busy_timeout * 1000)

    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see on_begin)
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {timeout_ms}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if readonly:  # the journal mode is the file's; changing it would write
                cursor.execute("PRAGMA query_only = ON")
            else:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    def on_begin(conn: Connection) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get(BEGIN_OPTION, "BEGIN"))

    sa.event.listen(engine, "connect", on_connect)
    sa.event.listen(engine, "begin", on_begin)


def dbapi_error(engine: Engine | None) -> type[Exception]:
    """The driver's base error class (raised by the fast paths that bypass SQLAlchemy)."""
    dbapi = engine.dialect.dbapi if engine is not None else None
    return getattr(dbapi, "Error", sa_exc.DBAPIError)


def translate_error(exc: BaseException, where: str, busy_timeout: float) -> StoreError:
    """A database error (SQLAlchemy's or the driver's own) as a :class:`StoreError`."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig)
    low = text.lower()
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if "database is locked" in low or "database is busy" in low or code == "55P03":
        return ConcurrentWrite(
            f"存储库 {where} 正被另一个进程写入，等待 {busy_timeout:g} 秒后仍未释放。请稍后重试。"
        )
    if "not a database" in low or "malformed" in low:
        return StoreError(f"{where} 不是可用的 docflow 存储库（文件已损坏，或不是数据库文件）")
    if "unable to open database" in low:
        return StoreError(f"无法打开存储库 {where}：请检查路径和读写权限")
    if "readonly database" in low or "read-only" in low:
        return StoreError(f"存储库 {where} 是只读的，无法写入：请检查文件和目录的写权限")
    if "disk is full" in low or "disk i/o error" in low:
        return StoreError(f"写入存储库 {where} 时磁盘出错：{text}")
    if isinstance(exc, sa_exc.IntegrityError):
        return StoreError(f"写入存储库 {where} 被拒绝，违反了数据约束：{text}")
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        return StoreError(f"无法访问存储库 {where}：{text}")
    return StoreError(f"存储库 {where} 操作失败：{text}")
