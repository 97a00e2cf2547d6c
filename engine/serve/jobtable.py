"""Each programme's ``serve`` keeps its jobs in a job table of its own.

APScheduler's SQLAlchemy job store loads, runs and removes every job of its table, whoever
registered it: two services for different programmes sharing one table would run each
other's jobs. So each programme has its own table in the store's database,
``apscheduler_jobs_<id>_<hash>`` (:func:`job_table`: the id made safe for every database,
and eight hex digits of its SHA-256, so that ``gd-2011`` and ``gd_2011`` stay apart and the
name stays within PostgreSQL's 63 characters).

Stores written by an earlier docflow hold every programme's jobs in one table,
``apscheduler_jobs`` (:data:`SHARED_TABLE`). A service starting on such a store removes its
own programme's jobs from it (every one of them is registered again, from the definition,
in the programme's own table; a reminder missed meanwhile is sent by the start-up catch-up
and the sent-log), and drops the table once no programme's jobs are left in it.
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Any

import sqlalchemy as sa

__all__ = ["SHARED_TABLE", "job_table", "retire_shared_table"]

log = logging.getLogger(__name__)

#: The one job table of every programme, in stores of earlier versions.
SHARED_TABLE = "apscheduler_jobs"
_UNSAFE = re.compile(r"[^a-z0-9_]+")
_READABLE = 30  # characters of the id kept in the name


def job_table(programme_id: str) -> str:
    """The name of the job table of ``programme_id``'s service."""
    safe = _UNSAFE.sub("_", programme_id.lower()).strip("_")[:_READABLE]
    digest = hashlib.sha256(programme_id.encode()).hexdigest()[:8]
    return f"{SHARED_TABLE}_{safe}_{digest}" if safe else f"{SHARED_TABLE}_{digest}"


def retire_shared_table(url: Any, programme_id: str, prefix: str, **engine_options: Any) -> int:
    """Remove ``programme_id``'s jobs (ids starting with ``prefix``) from the shared table
    of an earlier version, if the store has one, and drop the table once it is empty.
    Returns how many jobs were removed. A database error here is logged, not raised: the
    service's own table does not depend on it, and the old rows are run by no service."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool, **engine_options)
    try:
        with engine.begin() as conn:
            if not sa.inspect(conn).has_table(SHARED_TABLE):
                return 0
            table = sa.Table(SHARED_TABLE, sa.MetaData(), sa.Column("id", sa.Unicode(191)))
            removed = conn.execute(
                table.delete().where(table.c.id.startswith(prefix, autoescape=True))
            ).rowcount
            left = conn.scalar(sa.select(sa.func.count()).select_from(table))
            if not left:
                table.drop(conn)
        log.info(
            "旧版共用任务表 %s 中工作方案 %s 的 %d 个任务已移除（改在本方案自己的任务表中登记）%s",
            SHARED_TABLE,
            programme_id,
            removed,
            "；该表已空，已删除" if not left else f"；表中还有其他工作方案的 {left} 个任务",
        )
        return int(removed or 0)
    except sa.exc.SQLAlchemyError as exc:
        log.warning("未能整理旧版共用任务表 %s（不影响本方案的任务）：%s", SHARED_TABLE, exc)
        return 0
    finally:
        engine.dispose()
