"""The store: programmes, points, the event trail and the send log, in one SQL database.

SQLAlchemy Core only (no ORM), so that ``import engine.runtime.store`` stays light. The same
code runs on SQLite (a file, the default) and PostgreSQL (a ``postgresql+psycopg://`` URL).

Writes are serialised across processes:

* SQLite: WAL journal, ``foreign_keys=ON``, a ``busy_timeout``, and every write transaction
  starts with ``BEGIN IMMEDIATE`` (pysqlite's own BEGIN handling is switched off and the
  BEGIN is emitted from a ``begin`` event hook, as the SQLAlchemy SQLite docs describe).
  ``synchronous=NORMAL``: in WAL mode a commit survives a process crash; a power cut may lose
  the last commits but never corrupts the database or breaks the chain.
* PostgreSQL: a write transaction takes ``SELECT ... FOR UPDATE`` on the single row of
  ``trail_head`` before anything else, with ``lock_timeout`` set to the busy timeout.

The schema is built by numbered migrations (:data:`MIGRATIONS`), each applied in its own
transaction and recorded in ``schema_version``.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from engine.errors import ConcurrentWrite, StoreError
from engine.runtime.documents import DocumentFolder, StoredDocument
from engine.runtime.trail import CONTENT_COLUMNS, GENESIS_HASH, canonical_json, chain_rows

__all__ = [
    "DEFAULT_LOCATION",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "DeadlineOverride",
    "DocumentRow",
    "EventDraft",
    "EventRow",
    "PointRow",
    "ProgrammeRow",
    "SentRow",
    "Store",
    "Transaction",
    "open_store",
    "resolve_location",
]

DEFAULT_LOCATION = "docflow.db"
DEFAULT_BUSY_TIMEOUT = 30.0  # seconds another writer may hold the store before we give up

# -- rows ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProgrammeRow:
    id: str
    title: str
    year: int
    definition_hash: str
    enrolled_at: str  # ISO 8601 with offset


@dataclass(frozen=True, slots=True)
class PointRow:
    programme_id: str
    point_id: str
    unit_id: str
    title: str
    state: str
    created_seq: int | None = None  # seq of the event that created the point


@dataclass(frozen=True, slots=True)
class DocumentRow:
    sha256: str
    size: int
    original_name: str
    stored_at: str  # path relative to the documents folder
    first_seen_at: str


@dataclass(frozen=True, slots=True)
class EventDraft:
    """An event to append; ``seq``, hashes and ``recorded_at`` are added by the store."""

    programme_id: str
    trigger: str
    actor: str
    point_id: str | None = None
    unit_id: str | None = None
    source_state: str | None = None
    dest_state: str | None = None
    document_sha256: str | None = None
    decision: str | None = None
    reason: str | None = None
    data: Mapping[str, Any] | None = None  # stored as canonical JSON text
    effective_at: datetime | None = None  # defaults to the moment the event is recorded


@dataclass(frozen=True, slots=True)
class EventRow:
    """One stored event, exactly as its columns hold it."""

    seq: int
    programme_id: str
    point_id: str | None
    unit_id: str | None
    trigger: str
    source_state: str | None
    dest_state: str | None
    actor: str
    document_sha256: str | None
    decision: str | None
    reason: str | None
    data: str | None  # JSON text
    recorded_at: str
    effective_at: str
    prev_hash: str
    hash: str

    @property
    def extras(self) -> dict[str, Any]:
        """``data`` parsed (an empty dict when the event has none)."""
        return {} if self.data is None else dict(json.loads(self.data))


@dataclass(frozen=True, slots=True)
class DeadlineOverride:
    programme_id: str
    point_id: str
    step: str  # the transition trigger whose deadline moved
    due: date
    event_seq: int  # the event that granted the extension


@dataclass(frozen=True, slots=True)
class SentRow:
    programme_id: str
    rule: str
    unit_id: str
    occurrence: str
    status: str  # sent / skipped / queued
    message_id: str | None
    recorded_at: str


# -- schema -------------------------------------------------------------------------------

_NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
# 64-bit on PostgreSQL; plain INTEGER on SQLite so that ``seq`` is the rowid.
_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TEXT = sa.Text()


def _schema_version_table(md: sa.MetaData) -> sa.Table:
    return sa.Table(
        "schema_version",
        md,
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    )


def _define_v1(md: sa.MetaData) -> None:
    """Schema version 1. Frozen: later migrations add to it, never edit this function."""

    def col(name: str, type_: Any = _TEXT, *args: Any, nullable: bool = False, **kw: Any) -> Any:
        return sa.Column(name, type_, *args, nullable=nullable, **kw)

    sa.Table(
        "programmes",
        md,
        col("id", primary_key=True),
        col("title"),
        col("year", sa.Integer),
        col("definition_hash"),
        col("enrolled_at"),
    )
    sa.Table(
        "units",
        md,
        col("programme_id", _TEXT, sa.ForeignKey("programmes.id"), primary_key=True),
        col("unit_id", primary_key=True),
    )
    sa.Table(
        "points",
        md,
        col("programme_id", _TEXT, sa.ForeignKey("programmes.id"), primary_key=True),
        col("point_id", primary_key=True),
        col("unit_id"),
        col("title"),
        col("state"),
        col("created_seq", _BIGINT, nullable=True),
        sa.ForeignKeyConstraint(
            ["programme_id", "unit_id"], ["units.programme_id", "units.unit_id"]
        ),
        sa.Index(None, "programme_id", "unit_id"),
        sa.Index(None, "programme_id", "state"),
    )
    sa.Table(
        "documents",
        md,
        col("sha256", primary_key=True),
        col("size", sa.BigInteger),
        col("original_name"),
        col("stored_at"),
        col("first_seen_at"),
    )
    sa.Table(
        "events",
        md,
        col("seq", _BIGINT, primary_key=True, autoincrement=False),
        col("programme_id", _TEXT, sa.ForeignKey("programmes.id")),
        col("point_id", nullable=True),
        col("unit_id", nullable=True),
        col("trigger"),
        col("source_state", nullable=True),
        col("dest_state", nullable=True),
        col("actor"),
        col("document_sha256", _TEXT, sa.ForeignKey("documents.sha256"), nullable=True),
        col("decision", nullable=True),
        col("reason", nullable=True),
        col("data", nullable=True),
        col("recorded_at"),
        col("effective_at"),
        col("prev_hash"),
        col("hash"),
        sa.Index(None, "programme_id", "point_id"),
        sa.Index(None, "document_sha256"),
        sa.Index(None, "programme_id", "trigger"),
    )
    sa.Table(
        "trail_head",  # one row: the end of the chain, and the lock row for writers
        md,
        col("id", sa.Integer, primary_key=True, autoincrement=False),
        col("seq", _BIGINT),
        col("hash"),
        sa.CheckConstraint("id = 1", name="single_row"),
    )
    sa.Table(
        "deadline_overrides",
        md,
        col("programme_id", primary_key=True),
        col("point_id", primary_key=True),
        col("step", primary_key=True),
        col("event_seq", _BIGINT, sa.ForeignKey("events.seq"), primary_key=True),
        col("due"),  # ISO date
        sa.ForeignKeyConstraint(
            ["programme_id", "point_id"], ["points.programme_id", "points.point_id"]
        ),
    )
    sa.Table(
        "sent_log",  # the primary key is the idempotency key of a notice
        md,
        col("programme_id", _TEXT, sa.ForeignKey("programmes.id"), primary_key=True),
        col("rule", primary_key=True),
        col("unit_id", primary_key=True),
        col("occurrence", primary_key=True),
        col("status"),
        col("message_id", nullable=True),
        col("recorded_at"),
        sa.CheckConstraint("status IN ('sent', 'skipped', 'queued')", name="status"),
    )


def _migration_1(conn: Connection) -> None:
    md = sa.MetaData(naming_convention=_NAMING)
    _define_v1(md)
    md.create_all(conn)
    conn.execute(md.tables["trail_head"].insert().values(id=1, seq=0, hash=GENESIS_HASH))


#: Numbered migrations: ``MIGRATIONS[n - 1]`` brings the schema from version n-1 to n.
MIGRATIONS: tuple[Callable[[Connection], None], ...] = (_migration_1,)
SCHEMA_VERSION = len(MIGRATIONS)

# The tables as the code queries them: version 1 (plus whatever later migrations add here).
_META = sa.MetaData(naming_convention=_NAMING)
_SCHEMA_VERSION_T = _schema_version_table(_META)
_define_v1(_META)
_PROGRAMMES = _META.tables["programmes"]
_UNITS = _META.tables["units"]
_POINTS = _META.tables["points"]
_DOCUMENTS = _META.tables["documents"]
_EVENTS = _META.tables["events"]
_HEAD = _META.tables["trail_head"]
_OVERRIDES = _META.tables["deadline_overrides"]
_SENT = _META.tables["sent_log"]
_EVENT_COLUMNS = ("seq", *CONTENT_COLUMNS, "prev_hash", "hash")
_POINT_COLUMNS = ("programme_id", "point_id", "unit_id", "title", "state", "created_seq")
_SENT_STATUSES = frozenset({"sent", "skipped", "queued"})

# The hot statements of a bulk run, as plain SQL for the driver (``?`` placeholders, turned
# into the driver's parameter style by ``Transaction._driver_sql``). A Core statement costs
# its construction, cache key and parameter processing on every call (about 60 µs for one
# ``get_point``, 15 µs prebuilt); the driver's own cursor takes about 3 µs. Bulk writes pass
# row tuples to ``executemany``, which skips SQLAlchemy's per-row parameter processing.
_IN_CHUNK = 500  # ids per ``IN (...)`` query: far below every driver's parameter limit
_INSERT_POINT_SQL = f"INSERT INTO points ({', '.join(_POINT_COLUMNS)}) VALUES ({', '.join('?' * len(_POINT_COLUMNS))})"
_INSERT_EVENT_SQL = f"INSERT INTO events ({', '.join(_EVENT_COLUMNS)}) VALUES ({', '.join('?' * len(_EVENT_COLUMNS))})"
_SET_STATE_SQL = "UPDATE points SET state = ? WHERE programme_id = ? AND point_id = ?"
_GET_POINT_SQL = (
    f"SELECT {', '.join(_POINT_COLUMNS)} FROM points WHERE programme_id = ? AND point_id = ?"
)
_POINT_IDS_IN_SQL = "SELECT point_id FROM points WHERE programme_id = ? AND point_id IN ({marks})"
_PARAM_MARKS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


# -- opening ------------------------------------------------------------------------------


def resolve_location(cli_value: str | None) -> str:
    """Where the store is: the command-line value, else ``$DOCFLOW_DB``, else docflow.db."""
    return cli_value or os.environ.get("DOCFLOW_DB") or DEFAULT_LOCATION


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
    location = os.fspath(location) if location else DEFAULT_LOCATION
    if "://" in location:
        try:
            url = sa.make_url(location)
        except sa_exc.ArgumentError:
            raise StoreError(f"无法识别的数据库地址：{location}") from None
        display = url.render_as_string(hide_password=True)
        default_docs = Path.cwd() / "documents"
    else:
        path = Path(location).expanduser().absolute()
        if not path.parent.is_dir():
            raise StoreError(
                f"存储库所在的目录 {path.parent} 不存在，请先创建该目录，或换一个存储位置"
            )
        if path.is_dir():
            raise StoreError(f"存储库位置 {path} 是一个目录，请给出数据库文件的路径")
        if not create and not path.exists():
            raise StoreError(f"存储库 {path} 不存在（尚未登记任何工作方案？）")
        url = sa.URL.create("sqlite+pysqlite", database=str(path))
        display = str(path)
        default_docs = path.parent / "documents"
    docs = Path(documents_dir).absolute() if documents_dir is not None else default_docs
    store = Store(url, display, DocumentFolder(docs), busy_timeout)
    try:
        store._migrate()
    except BaseException:
        store.close()
        raise
    return store


def _make_engine(url: sa.URL, busy_timeout: float, display: str) -> Engine:
    is_sqlite = url.get_backend_name() == "sqlite"
    kwargs: dict[str, Any] = {}
    if is_sqlite:
        kwargs["connect_args"] = {"timeout": busy_timeout, "check_same_thread": False}
        if url.database in (None, "", ":memory:"):
            kwargs["poolclass"] = sa.StaticPool
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
        timeout_ms = int(busy_timeout * 1000)

        def on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see on_begin)
            cursor = dbapi_conn.cursor()
            try:
                cursor.execute(f"PRAGMA busy_timeout = {timeout_ms}")
                cursor.execute("PRAGMA foreign_keys = ON")
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
            finally:
                cursor.close()

        def on_begin(conn: Connection) -> None:
            conn.exec_driver_sql(conn.get_execution_options().get("docflow_begin", "BEGIN"))

        sa.event.listen(engine, "connect", on_connect)
        sa.event.listen(engine, "begin", on_begin)
    return engine


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
        self._engine: Engine | None = _make_engine(url, busy_timeout, display)
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
                tx = Transaction(self, conn, writable=not readonly)
                try:
                    with conn.begin():
                        if not readonly and self.dialect != "sqlite":
                            tx._lock_for_writing()
                        yield tx
                finally:
                    tx._end()
        except (sa_exc.SQLAlchemyError, self._dbapi_error) as exc:
            raise self._translate(exc) from exc
        finally:
            self._local.active = False

    # -- internals ------------------------------------------------------------------------

    @property
    def _dbapi_error(self) -> type[Exception]:
        dbapi = self._engine.dialect.dbapi if self._engine is not None else None
        return getattr(dbapi, "Error", sa_exc.DBAPIError)

    @contextmanager
    def _connect(self, readonly: bool) -> Iterator[Connection]:
        assert self._engine is not None
        conn = self._engine.connect()
        try:
            if self.dialect == "sqlite":
                conn.execution_options(docflow_begin="BEGIN" if readonly else "BEGIN IMMEDIATE")
            yield conn
        finally:
            conn.close()

    def _translate(self, exc: BaseException) -> StoreError:
        orig = getattr(exc, "orig", None) or exc
        text = str(orig)
        low = text.lower()
        code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        where = self.location
        if "database is locked" in low or "database is busy" in low or code == "55P03":
            return ConcurrentWrite(
                f"存储库 {where} 正被另一个进程写入，等待 {self.busy_timeout:g} 秒后仍未释放。"
                "请稍后重试。"
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

    def _migrate(self) -> None:
        """Bring the schema up to :data:`SCHEMA_VERSION`, one migration per transaction."""
        try:
            version = self._read_version()
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"存储库 {self.location} 的结构版本为 {version}，高于本程序支持的版本 "
                    f"{SCHEMA_VERSION}：它由更新版本的 docflow 创建，请升级 docflow 后再使用"
                )
            for number in range(version + 1, SCHEMA_VERSION + 1):
                with self._connect(readonly=False) as conn, conn.begin():
                    if self.dialect == "postgresql":
                        conn.execute(sa.text("SELECT pg_advisory_xact_lock(7263040)"))
                    _SCHEMA_VERSION_T.create(conn, checkfirst=True)
                    current = conn.scalar(sa.select(sa.func.max(_SCHEMA_VERSION_T.c.version)))
                    if (current or 0) >= number:
                        continue  # another process got there first
                    MIGRATIONS[number - 1](conn)
                    conn.execute(_SCHEMA_VERSION_T.insert().values(version=number))
        except StoreError:
            raise
        except (sa_exc.SQLAlchemyError, self._dbapi_error) as exc:
            raise self._translate(exc) from exc

    def _read_version(self) -> int:
        with self._connect(readonly=True) as conn, conn.begin():
            if not sa.inspect(conn).has_table("schema_version"):
                return 0
            return int(conn.scalar(sa.select(sa.func.max(_SCHEMA_VERSION_T.c.version))) or 0)


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"timestamp without a time zone: {moment!r}")
    return moment.isoformat()


class Transaction:
    """The operations available inside :meth:`Store.transaction`."""

    def __init__(self, store: Store, conn: Connection, *, writable: bool) -> None:
        self.store = store
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

    def _lock_for_writing(self) -> None:
        if self.store.dialect == "postgresql":
            ms = int(self.store.busy_timeout * 1000)
            self._conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{ms}ms'")
        self.chain_head(for_update=True)

    def _insert_ignore(self, table: sa.Table, values: Mapping[str, Any]) -> bool:
        """Insert one row unless its key exists; True when a row was inserted."""
        conn = self._usable(write=True)
        if self.store.dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        elif self.store.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
        else:
            keys = {c.name: values[c.name] for c in table.primary_key.columns}
            where = [table.c[k] == v for k, v in keys.items()]
            if conn.execute(sa.select(sa.literal(1)).where(*where)).first():
                return False
            conn.execute(table.insert().values(**values))
            return True
        result = conn.execute(insert(table).values(**values).on_conflict_do_nothing())
        return bool(result.rowcount)

    # -- programmes and units --------------------------------------------------------------

    def get_programme(self, programme_id: str) -> ProgrammeRow | None:
        row = self._usable().execute(_PROGRAMMES.select().where(_PROGRAMMES.c.id == programme_id))
        found = row.first()
        return ProgrammeRow(*found) if found else None

    def programmes(self) -> list[ProgrammeRow]:
        rows = self._usable().execute(_PROGRAMMES.select().order_by(_PROGRAMMES.c.id))
        return [ProgrammeRow(*r) for r in rows]

    def put_programme(
        self, programme_id: str, title: str, year: int, definition_hash: str, at: datetime
    ) -> ProgrammeRow:
        """Enrol a new programme (an existing id is a :class:`StoreError`)."""
        conn = self._usable(write=True)
        if self.get_programme(programme_id) is not None:
            raise StoreError(f"工作方案 {programme_id} 已经登记，不能重复登记")
        row = ProgrammeRow(programme_id, title, year, definition_hash, _iso(at))
        conn.execute(_PROGRAMMES.insert().values(_asdict(row)))
        return row

    def set_definition_hash(self, programme_id: str, definition_hash: str) -> None:
        conn = self._usable(write=True)
        stmt = _PROGRAMMES.update().where(_PROGRAMMES.c.id == programme_id)
        if conn.execute(stmt.values(definition_hash=definition_hash)).rowcount != 1:
            raise StoreError(f"工作方案 {programme_id} 尚未登记")

    def ensure_units(self, programme_id: str, unit_ids: Iterable[str]) -> int:
        """Register the units not yet known; return how many were added."""
        conn = self._usable(write=True)
        known = set(self.units(programme_id))
        new = [u for u in dict.fromkeys(unit_ids) if u not in known]
        if new:
            conn.execute(
                _UNITS.insert(), [{"programme_id": programme_id, "unit_id": u} for u in new]
            )
        return len(new)

    def units(self, programme_id: str) -> list[str]:
        stmt = sa.select(_UNITS.c.unit_id).where(_UNITS.c.programme_id == programme_id)
        return list(self._usable().scalars(stmt.order_by(_UNITS.c.unit_id)))

    # -- points ----------------------------------------------------------------------------

    def add_points(self, points: Iterable[PointRow]) -> None:
        conn = self._usable(write=True)
        rows = [
            (p.programme_id, p.point_id, p.unit_id, p.title, p.state, p.created_seq) for p in points
        ]
        if rows:
            conn.exec_driver_sql(self._driver_sql(_INSERT_POINT_SQL), rows)

    def get_point(self, programme_id: str, point_id: str) -> PointRow | None:
        # Called once per point named in a decision: straight to the driver's cursor.
        cursor = self._driver_cursor()
        cursor.execute(self._driver_sql(_GET_POINT_SQL), (programme_id, point_id))
        found = cursor.fetchall()
        return PointRow(*found[0]) if found else None

    def points(
        self,
        programme_id: str,
        unit: str | None = None,
        state: str | None = None,
        *,
        units: Iterable[str] | None = None,
    ) -> list[PointRow]:
        """Points in enrolment order, optionally of one unit, of several, or in one state."""
        # A unit's points for every submission, all of them for an inspection: many rows,
        # so read through the driver's cursor (SQLAlchemy's row processing doubles the cost).
        where = ["programme_id = ?"]
        params: list[str] = [programme_id]
        if unit is not None:
            where.append("unit_id = ?")
            params.append(unit)
        if units is not None:
            wanted = sorted(set(units))
            if not wanted:
                return []
            where.append(f"unit_id IN ({', '.join('?' * len(wanted))})")
            params.extend(wanted)
        if state is not None:
            where.append("state = ?")
            params.append(state)
        sql = (
            f"SELECT {', '.join(_POINT_COLUMNS)} FROM points WHERE {' AND '.join(where)} "
            "ORDER BY created_seq, point_id"
        )
        cursor = self._driver_cursor()
        cursor.execute(self._driver_sql(sql), params)
        return [PointRow(*r) for r in cursor.fetchall()]

    def count_points_by_unit(self, programme_id: str) -> dict[str, int]:
        """How many points each unit has enrolled in a programme."""
        stmt = (
            sa.select(_POINTS.c.unit_id, sa.func.count())
            .where(_POINTS.c.programme_id == programme_id)
            .group_by(_POINTS.c.unit_id)
        )
        return {unit: int(n) for unit, n in self._usable().execute(stmt)}

    def point_ids(self, programme_id: str, candidates: Iterable[str]) -> set[str]:
        """Which of ``candidates`` are already point ids of the programme."""
        conn = self._usable()
        wanted = list(dict.fromkeys(candidates))
        found: set[str] = set()
        for start in range(0, len(wanted), _IN_CHUNK):
            chunk = wanted[start : start + _IN_CHUNK]
            sql = self._driver_sql(_POINT_IDS_IN_SQL.format(marks=", ".join("?" * len(chunk))))
            found.update(row[0] for row in conn.exec_driver_sql(sql, (programme_id, *chunk)))
        return found

    def set_states(self, programme_id: str, states: Mapping[str, str]) -> None:
        """Set the state of several points; every point must exist."""
        conn = self._usable(write=True)
        if not states:
            return
        sql = self._driver_sql(_SET_STATE_SQL)
        rows = [(s, programme_id, p) for p, s in states.items()]
        assert self.store._engine is not None
        if self.store._engine.dialect.supports_sane_multi_rowcount:
            # Update, count the rows hit (one per existing point: the key is unique), and
            # undo it all if a point is missing - cheaper than looking every point up first.
            savepoint = conn.begin_nested()
            if conn.exec_driver_sql(sql, rows).rowcount == len(rows):
                savepoint.commit()
                return
            savepoint.rollback()
        known = self.point_ids(programme_id, states)
        missing = [p for p in states if p not in known]
        if missing:
            raise StoreError(f"工作方案 {programme_id} 中没有突破点：{'、'.join(missing[:10])}")
        conn.exec_driver_sql(sql, rows)

    # -- documents -------------------------------------------------------------------------

    def put_document(self, stored: StoredDocument, at: datetime) -> bool:
        """Register a stored document; True if it was new, False if already registered."""
        return self._insert_ignore(
            _DOCUMENTS,
            {
                "sha256": stored.sha256,
                "size": stored.size,
                "original_name": stored.original_name,
                "stored_at": stored.relpath,
                "first_seen_at": _iso(at),
            },
        )

    def get_document(self, sha256: str) -> DocumentRow | None:
        stmt = _DOCUMENTS.select().where(_DOCUMENTS.c.sha256 == sha256)
        found = self._usable().execute(stmt).first()
        return DocumentRow(*found) if found else None

    def documents(self) -> list[DocumentRow]:
        order = (_DOCUMENTS.c.first_seen_at, _DOCUMENTS.c.sha256)
        return [
            DocumentRow(*r) for r in self._usable().execute(_DOCUMENTS.select().order_by(*order))
        ]

    # -- the trail -------------------------------------------------------------------------

    def chain_head(self, *, for_update: bool = False) -> tuple[int, str]:
        """``(seq, hash)`` of the newest event; ``(0, GENESIS_HASH)`` for an empty trail."""
        stmt = sa.select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1)
        if for_update:
            stmt = stmt.with_for_update()
        seq, head = self._usable().execute(stmt).one()
        return int(seq), str(head)

    def append_events(self, drafts: Iterable[EventDraft], at: datetime) -> list[EventRow]:
        """Append events to the chain, recorded at ``at``; return them as stored."""
        conn = self._usable(write=True)
        recorded = _iso(at)
        contents = [
            (
                d.programme_id,
                d.point_id,
                d.unit_id,
                d.trigger,
                d.source_state,
                d.dest_state,
                d.actor,
                d.document_sha256,
                d.decision,
                d.reason,
                None if d.data is None else canonical_json(d.data),
                recorded,
                recorded if d.effective_at is None else _iso(d.effective_at),
            )
            for d in drafts
        ]
        if not contents:
            return []
        last_seq, last_hash = self.chain_head(for_update=True)
        rows = chain_rows(contents, last_seq, last_hash)
        conn.exec_driver_sql(self._driver_sql(_INSERT_EVENT_SQL), rows)
        conn.execute(
            _HEAD.update().where(_HEAD.c.id == 1).values(seq=rows[-1][0], hash=rows[-1][-1])
        )
        return [EventRow(*r) for r in rows]

    def _driver_cursor(self) -> Any:
        """A DB-API cursor on this transaction's connection, for the hottest reads.

        Errors it raises are the driver's own; :meth:`Store.transaction` translates those
        too. Read results with ``fetchall`` so that no statement is left open.
        """
        self._usable()
        cursor = self._cursor
        if cursor is None:
            cursor = self._cursor = self._conn.connection.cursor()
        return cursor

    def _driver_sql(self, sql: str) -> str:
        """``sql`` written with ``?`` placeholders, in the driver's own parameter style.

        For :meth:`Connection.exec_driver_sql` with positional (tuple) parameters. The SQL
        given here is the store's own, with no ``?`` or ``%`` other than placeholders.
        """
        style = self.store._engine.dialect.paramstyle if self.store._engine else "qmark"
        key = (style, sql)
        cached = _DRIVER_SQL.get(key)
        if cached is not None:
            return cached
        if style in _PARAM_MARKS:
            mark = _PARAM_MARKS[style]
            parts = sql.split("?")
            converted = parts[0] + "".join(mark + part for part in parts[1:])
        elif style == "numeric":
            parts = sql.split("?")
            converted = parts[0] + "".join(f":{i}{part}" for i, part in enumerate(parts[1:], 1))
        else:
            raise StoreError(f"不支持的数据库驱动参数格式：{style}")
        if len(_DRIVER_SQL) < 256:
            _DRIVER_SQL[key] = converted
        return converted

    def events(
        self,
        programme_id: str | None = None,
        point_id: str | None = None,
        *,
        after_seq: int = 0,
        limit: int | None = None,
    ) -> list[EventRow]:
        """Events in seq order, optionally of one programme / point, after a given seq."""
        stmt = _EVENTS.select().where(_EVENTS.c.seq > after_seq)
        if programme_id is not None:
            stmt = stmt.where(_EVENTS.c.programme_id == programme_id)
        if point_id is not None:
            stmt = stmt.where(_EVENTS.c.point_id == point_id)
        stmt = stmt.order_by(_EVENTS.c.seq).limit(limit)
        return [EventRow(*r) for r in self._usable().execute(stmt)]

    def events_with_document(self, programme_id: str, sha256: str) -> list[EventRow]:
        """Events of a programme that carry the document with this digest."""
        stmt = _EVENTS.select().where(
            _EVENTS.c.programme_id == programme_id, _EVENTS.c.document_sha256 == sha256
        )
        return [EventRow(*r) for r in self._usable().execute(stmt.order_by(_EVENTS.c.seq))]

    def events_for(self, programme_id: str, trigger: str) -> list[EventRow]:
        """Events of a programme with one trigger (e.g. a programme-level task), in order."""
        stmt = _EVENTS.select().where(
            _EVENTS.c.programme_id == programme_id, _EVENTS.c.trigger == trigger
        )
        return [EventRow(*r) for r in self._usable().execute(stmt.order_by(_EVENTS.c.seq))]

    def task_done(self, programme_id: str, task_id: str) -> bool:
        """Whether a programme-level task has been recorded (an event with its id)."""
        stmt = (
            sa.select(_EVENTS.c.seq)
            .where(_EVENTS.c.programme_id == programme_id, _EVENTS.c.trigger == task_id)
            .limit(1)
        )
        return self._usable().execute(stmt).first() is not None

    def last_event(self) -> EventRow | None:
        stmt = _EVENTS.select().order_by(_EVENTS.c.seq.desc()).limit(1)
        found = self._usable().execute(stmt).first()
        return EventRow(*found) if found else None

    def iter_event_values(self, batch: int = 10_000) -> Iterator[tuple[Any, ...]]:
        """Every event as a plain tuple of column values, in seq order, read in batches."""
        conn = self._usable()
        after = -1
        base = sa.select(*(_EVENTS.c[name] for name in _EVENT_COLUMNS)).order_by(_EVENTS.c.seq)
        while True:
            rows = conn.execute(base.where(_EVENTS.c.seq > after).limit(batch)).all()
            for row in rows:
                yield tuple(row)
            if len(rows) < batch:
                return
            after = rows[-1][0]

    # -- deadline extensions ---------------------------------------------------------------

    def add_deadline_override(
        self, programme_id: str, point_id: str, step: str, due: date, event_seq: int
    ) -> DeadlineOverride:
        row = DeadlineOverride(programme_id, point_id, step, due, event_seq)
        values = _asdict(row)
        values["due"] = due.isoformat()
        self._usable(write=True).execute(_OVERRIDES.insert().values(values))
        return row

    def deadline_overrides(
        self, programme_id: str, point_id: str | None = None
    ) -> list[DeadlineOverride]:
        """Extensions in the order granted (the latest for a step is the one in force)."""
        t = _OVERRIDES
        stmt = sa.select(t.c.programme_id, t.c.point_id, t.c.step, t.c.due, t.c.event_seq)
        stmt = stmt.where(t.c.programme_id == programme_id)
        if point_id is not None:
            stmt = stmt.where(t.c.point_id == point_id)
        rows = self._usable().execute(stmt.order_by(t.c.event_seq, t.c.point_id, t.c.step))
        return [DeadlineOverride(p, pt, s, date.fromisoformat(d), e) for p, pt, s, d, e in rows]

    # -- the send log ----------------------------------------------------------------------

    def record_sent(
        self,
        programme_id: str,
        rule: str,
        unit_id: str,
        occurrence: str,
        status: str,
        message_id: str | None,
        at: datetime,
    ) -> bool:
        """Log one notice; False (and nothing written) when that key is already logged.

        ``unit_id`` is required for the key: use ``"*"`` for a notice to the whole programme.
        """
        if status not in _SENT_STATUSES:
            raise ValueError(f"unknown send status {status!r}")
        row = SentRow(programme_id, rule, unit_id, occurrence, status, message_id, _iso(at))
        return self._insert_ignore(_SENT, _asdict(row))

    def get_sent(
        self, programme_id: str, rule: str, unit_id: str, occurrence: str
    ) -> SentRow | None:
        t = _SENT
        stmt = t.select().where(
            t.c.programme_id == programme_id,
            t.c.rule == rule,
            t.c.unit_id == unit_id,
            t.c.occurrence == occurrence,
        )
        found = self._usable().execute(stmt).first()
        return SentRow(*found) if found else None

    def sent(self, programme_id: str) -> list[SentRow]:
        t = _SENT
        stmt = t.select().where(t.c.programme_id == programme_id)
        stmt = stmt.order_by(t.c.recorded_at, t.c.rule, t.c.unit_id, t.c.occurrence)
        return [SentRow(*r) for r in self._usable().execute(stmt)]


_DRIVER_SQL: dict[tuple[str, str], str] = {}  # (paramstyle, "?" SQL) -> driver SQL


def _asdict(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in row.__slots__}
