"""The store's tables, built by numbered migrations and recorded in ``schema_version``.

``MIGRATIONS[n - 1]`` brings the schema from version n-1 to n; each is applied in its own
transaction by :func:`apply_migrations`. A migration's function is frozen once released:
later versions add to the schema, never edit an earlier step. The module-level tables
(``PROGRAMMES``, ``POINTS``, ...) are the schema as the code queries it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.errors import StoreError
from engine.runtime.chain import CONTENT_COLUMNS, GENESIS_HASH

__all__ = [
    "ACCOUNTS",
    "ACCOUNT_TOKENS",
    "DESK_SETTINGS",
    "DOCUMENTS",
    "EVENTS",
    "EVENT_COLUMNS",
    "FILINGS",
    "HEAD",
    "LOGINS",
    "MIGRATIONS",
    "OVERRIDES",
    "POINTS",
    "POINT_COLUMNS",
    "PROGRAMMES",
    "SCHEMA_VERSION",
    "SENT",
    "UNITS",
    "apply_migrations",
    "check_readable",
]

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
# Taken by a process migrating a PostgreSQL store, so that two never migrate at once.
_MIGRATION_LOCK = 7263040


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


def _v2_columns() -> list[sa.Column[Any]]:
    """Version 2's columns of ``points``: its co-responsible units (comma-separated ids) and
    the group whose entry enrolled it; NULL: none."""
    return [sa.Column("co", _TEXT, nullable=True), sa.Column("group_id", _TEXT, nullable=True)]


def _migration_2(conn: Connection) -> None:
    """Version 2: ``points.co`` and ``points.group_id``. Frozen once released."""
    conn.execute(sa.text("ALTER TABLE points ADD COLUMN co TEXT"))
    conn.execute(sa.text("ALTER TABLE points ADD COLUMN group_id TEXT"))


def _define_v3(md: sa.MetaData) -> None:
    """Schema version 3: the desk's accounts, their one-time set-password tokens, the login
    record and the desk's settings (its session secret). None of these is a programme
    event: they are kept beside the trail, not in it. Frozen like the versions before it."""

    def col(name: str, type_: Any = _TEXT, *args: Any, nullable: bool = False, **kw: Any) -> Any:
        return sa.Column(name, type_, *args, nullable=nullable, **kw)

    sa.Table(
        "accounts",
        md,
        col("id", sa.Integer, primary_key=True, autoincrement=True),
        col("name", unique=True),  # the sign-in name, and the 经办人 the trail records
        col("body"),
        col("role"),
        col("email", nullable=True),
        col("password_hash", nullable=True),  # argon2; None until the link is used
        col("created_at"),
        sa.CheckConstraint(
            "role IN ('unit', 'coordinator', 'inspector', 'auditor', 'administrator')",
            name="role",
        ),
    )
    sa.Table(
        "account_tokens",  # one-time set-password links: only their SHA-256 is kept
        md,
        col("token_sha256", primary_key=True),
        col("account_id", sa.Integer, sa.ForeignKey("accounts.id")),
        col("created_at"),
        col("expires_at"),
        col("used_at", nullable=True),
    )
    sa.Table(
        "logins",
        md,
        col("id", sa.Integer, primary_key=True, autoincrement=True),
        col("name"),  # as typed: a failed login may name no account
        col("account_id", sa.Integer, nullable=True),
        col("success", sa.Boolean),
        col("remote"),
        col("at"),
        sa.Index(None, "name", "at"),
        sa.Index(None, "remote", "at"),
    )
    sa.Table(
        "desk_settings",
        md,
        col("key", primary_key=True),
        col("value"),
    )


def _migration_3(conn: Connection) -> None:
    md = sa.MetaData(naming_convention=_NAMING)
    _define_v3(md)
    md.create_all(conn)


def _define_v4(md: sa.MetaData) -> None:
    """Schema version 4: the filed occurrences of recurring reports. Frozen."""
    sa.Table(
        "report_filings",  # one row per filed occurrence; the trail's file-report events
        md,
        sa.Column("programme_id", _TEXT, sa.ForeignKey("programmes.id"), primary_key=True),
        sa.Column("rule", _TEXT, primary_key=True),
        sa.Column("period", _TEXT, primary_key=True),
        sa.Column("unit_id", _TEXT, primary_key=True),
        sa.Column("point_id", _TEXT, primary_key=True),  # "" when not one item's
        sa.Column("event_seq", _BIGINT, sa.ForeignKey("events.seq"), nullable=False),
        sa.Column("filed_at", _TEXT, nullable=False),
        sa.Index(None, "programme_id", "rule", "period"),
    )


def _migration_4(conn: Connection) -> None:
    """Version 4: ``report_filings``. Frozen once released."""
    md = sa.MetaData(naming_convention=_NAMING)
    _define_v1(md)
    _define_v4(md)
    md.tables["report_filings"].create(conn)


#: Numbered migrations: ``MIGRATIONS[n - 1]`` brings the schema from version n-1 to n.
MIGRATIONS: tuple[Callable[[Connection], None], ...] = (
    _migration_1,
    _migration_2,
    _migration_3,
    _migration_4,
)
SCHEMA_VERSION = len(MIGRATIONS)

# The tables as the code queries them: version 1 plus the columns and tables later
# migrations add.
_META = sa.MetaData(naming_convention=_NAMING)
_VERSIONS = _schema_version_table(_META)
_define_v1(_META)
_define_v3(_META)
_define_v4(_META)
PROGRAMMES = _META.tables["programmes"]
UNITS = _META.tables["units"]
POINTS = _META.tables["points"]
for _column in _v2_columns():
    POINTS.append_column(_column)
DOCUMENTS = _META.tables["documents"]
EVENTS = _META.tables["events"]
HEAD = _META.tables["trail_head"]
OVERRIDES = _META.tables["deadline_overrides"]
SENT = _META.tables["sent_log"]
ACCOUNTS = _META.tables["accounts"]
ACCOUNT_TOKENS = _META.tables["account_tokens"]
LOGINS = _META.tables["logins"]
DESK_SETTINGS = _META.tables["desk_settings"]
FILINGS = _META.tables["report_filings"]
EVENT_COLUMNS = ("seq", *CONTENT_COLUMNS, "prev_hash", "hash")
POINT_COLUMNS = (
    "programme_id",
    "point_id",
    "unit_id",
    "title",
    "state",
    "created_seq",
    "co",
    "group_id",
)


def apply_migrations(
    connect: Callable[[bool], AbstractContextManager[Connection]], dialect: str, location: str
) -> None:
    """Bring the schema up to :data:`SCHEMA_VERSION`, one migration per transaction.

    ``connect(readonly)`` opens a connection to the store. Raises :class:`StoreError` for a
    store made by a newer docflow; database errors are left to the caller to translate.
    """
    version = _stored_version(connect, location)
    for number in range(version + 1, SCHEMA_VERSION + 1):
        with connect(False) as conn, conn.begin():
            if dialect == "postgresql":
                conn.execute(sa.text(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})"))
            _VERSIONS.create(conn, checkfirst=True)
            current = conn.scalar(sa.select(sa.func.max(_VERSIONS.c.version)))
            if (current or 0) >= number:
                continue  # another process got there first
            MIGRATIONS[number - 1](conn)
            conn.execute(_VERSIONS.insert().values(version=number))


def check_readable(
    connect: Callable[[bool], AbstractContextManager[Connection]], location: str
) -> None:
    """Check, without writing, that the store's schema is the code's: a store opened
    read-only cannot be migrated. Raises :class:`StoreError` naming what is wrong."""
    version = _stored_version(connect, location)
    if version == 0:
        raise StoreError(
            f"{location} 中没有 docflow 的数据表：它不是 docflow 存储库，或是一个空文件"
        )
    if version < SCHEMA_VERSION:
        raise StoreError(
            f"存储库 {location} 的结构版本为 {version}，低于本程序的版本 {SCHEMA_VERSION}："
            "只读的命令不升级存储库，请先执行一个写入它的命令（升级随之完成）"
        )


def _stored_version(
    connect: Callable[[bool], AbstractContextManager[Connection]], location: str
) -> int:
    """The schema version recorded in the store (0 for none); one from a newer docflow is
    refused."""
    with connect(True) as conn, conn.begin():
        if sa.inspect(conn).has_table("schema_version"):
            version = int(conn.scalar(sa.select(sa.func.max(_VERSIONS.c.version))) or 0)
        else:
            version = 0
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"存储库 {location} 的结构版本为 {version}，高于本程序支持的版本 "
            f"{SCHEMA_VERSION}：它由更新版本的 docflow 创建，请升级 docflow 后再使用"
        )
    return version
