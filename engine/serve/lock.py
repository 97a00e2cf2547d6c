"""One active ``docflow serve`` per store and programme, through a lock the database provides.

- PostgreSQL: a session advisory lock (``pg_try_advisory_lock``) on a key derived from the
  programme id, held on a dedicated connection in autocommit mode. The server releases it
  when that session ends, so a process killed with SIGKILL loses it as soon as the server
  sees its socket close.
- SQLite: an exclusive ``fcntl.flock`` on a lock file beside the database file
  (``<db>.<programme>.serve.lock``). The kernel releases it when the process dies.

A lock is tried, never waited for: the caller decides how often to retry (the standby).
``healthy()`` tells the active service whether it still holds its lock (on PostgreSQL the
connection may drop, and with it the lock).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import re
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa

__all__ = ["AdvisoryLock", "FileLock", "NoLock", "ServeLock", "advisory_key", "serve_lock"]

log = logging.getLogger(__name__)

# The first of the two 32-bit keys of every docflow advisory lock: "dcfl".
ADVISORY_NAMESPACE = 0x6463666C


class ServeLock(Protocol):
    """What the service needs of its lock."""

    where: str

    def try_acquire(self) -> bool: ...

    def healthy(self) -> bool: ...

    def release(self) -> None: ...


def advisory_key(programme_id: str) -> int:
    """The second advisory-lock key: a signed 32-bit number derived from the programme id."""
    digest = hashlib.sha256(f"docflow serve:{programme_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big", signed=True)


class AdvisoryLock:
    """A PostgreSQL session advisory lock on a connection of its own."""

    def __init__(self, url: sa.URL, programme_id: str) -> None:
        self.url = url
        self.programme_id = programme_id
        self.key = advisory_key(programme_id)
        self.where = f"PostgreSQL 咨询锁 ({ADVISORY_NAMESPACE}, {self.key})"
        self._engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        self._conn: sa.Connection | None = None
        self.held = False

    def _connection(self) -> sa.Connection:
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            self._conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self._conn

    def try_acquire(self) -> bool:
        try:
            got = (
                self._connection()
                .execute(
                    sa.text("SELECT pg_try_advisory_lock(:ns, :key)"),
                    {"ns": ADVISORY_NAMESPACE, "key": self.key},
                )
                .scalar_one()
            )
        except sa.exc.DBAPIError as exc:  # the server is away: try again on a new connection
            log.warning("无法连接数据库取得运行锁：%s", exc.orig)
            self._drop()
            return False
        self.held = bool(got)
        return self.held

    def healthy(self) -> bool:
        """Whether the session that holds the lock is still alive."""
        if not self.held or self._conn is None:
            return False
        try:
            self._conn.execute(sa.text("SELECT 1")).scalar_one()
        except sa.exc.DBAPIError:
            return False
        return True

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except sa.exc.DBAPIError:
                pass
            self._conn = None

    def release(self) -> None:
        """End the session: the server releases the lock with it."""
        self.held = False
        self._drop()
        self._engine.dispose()


class FileLock:
    """An exclusive ``flock`` on a file beside the SQLite database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = f"锁文件 {path}"
        self._fd: int | None = None
        self.held = False

    def try_acquire(self) -> bool:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        # For the operator: which process holds it (the lock itself is the flock, not this).
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, f"{os.getpid()}\n".encode(), 0)
        self.held = True
        return True

    def healthy(self) -> bool:
        return self.held

    def release(self) -> None:
        self.held = False
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None


class NoLock:
    """A store with nothing to share (an in-memory database): the lock is always free."""

    where = "（内存数据库，无需运行锁）"

    def try_acquire(self) -> bool:
        return True

    def healthy(self) -> bool:
        return True

    def release(self) -> None:
        pass


_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def serve_lock(url: Any, programme_id: str) -> ServeLock:
    """The lock of ``serve`` for ``programme_id`` on the store at ``url``."""
    url = sa.make_url(url)
    backend = url.get_backend_name()
    if backend == "postgresql":
        return AdvisoryLock(url, programme_id)
    if backend == "sqlite" and url.database not in (None, "", ":memory:"):
        db = Path(str(url.database)).absolute()
        return FileLock(db.with_name(f"{db.name}.{_UNSAFE.sub('_', programme_id)}.serve.lock"))
    if backend == "sqlite":
        return NoLock()
    raise ValueError(f"no serve lock for a {backend} store")
