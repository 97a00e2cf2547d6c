"""Every failure of the scheduler noticed, so that ``docflow serve`` stops instead of idling.

APScheduler 3.x keeps running when a job raises, when a job is missed, when its job store
cannot be read (it logs and retries) and even when its own thread has died (an exception
out of ``_process_jobs``, such as ``JobLookupError``): the process stays alive and sends
nothing. Here each of those sets one ``Watch``, which the service's main loop reads: it
stops the scheduler and exits with ``SchedulerFailed``'s status (7), and a supervisor
restarts it.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
    JobExecutionEvent,
)
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

__all__ = ["WATCHED_EVENTS", "Watch", "WatchedJobStore", "WatchedScheduler"]

log = logging.getLogger(__name__)

WATCHED_EVENTS = EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES


class Watch:
    """The first failure of a scheduler, set from whichever thread saw it."""

    def __init__(self) -> None:
        self.failed = threading.Event()
        self.reason: str | None = None
        self._lock = threading.Lock()

    def fail(self, reason: str) -> None:
        with self._lock:
            if self.reason is not None:
                return
            self.reason = reason
        log.error("提醒服务即将停止：%s", reason)
        self.failed.set()

    def on_event(self, event: JobEvent) -> None:
        """APScheduler's listener for ``WATCHED_EVENTS``."""
        if event.code == EVENT_JOB_ERROR:
            exc = event.exception if isinstance(event, JobExecutionEvent) else None
            self.fail(f"提醒任务 {event.job_id} 出错：{exc!r}")
        elif event.code == EVENT_JOB_MISSED:
            self.fail(f"提醒任务 {event.job_id} 错过了执行时间")
        elif event.code == EVENT_JOB_MAX_INSTANCES:
            # The sweep still running when its next turn comes: that turn is covered by the
            # one running, so it is worth a line, not a stop.
            log.warning("任务 %s 上一次尚未运行完，本次跳过", event.job_id)


class WatchedJobStore(SQLAlchemyJobStore):
    """APScheduler's SQLAlchemy job store, reporting the errors the scheduler would swallow."""

    def __init__(self, watch: Watch, **options: Any) -> None:
        super().__init__(**options)
        self.watch = watch

    # The scheduler's loop reads the store through several calls; whichever meets the
    # unreadable table first reports it, with one wording.

    def get_due_jobs(self, now: Any) -> Any:
        try:
            return super().get_due_jobs(now)
        except Exception as exc:
            self.watch.fail(f"无法读写任务库：{exc}")
            raise

    def get_next_run_time(self) -> Any:
        try:
            return super().get_next_run_time()
        except Exception as exc:
            self.watch.fail(f"无法读写任务库：{exc}")
            raise

    def update_job(self, job: Any) -> None:
        try:
            super().update_job(job)
        except Exception as exc:
            self.watch.fail(f"无法读写任务库：{exc}")
            raise

    def _reconstitute_job(self, job_state: Any) -> Any:
        try:
            return super()._reconstitute_job(job_state)
        except Exception as exc:
            self.watch.fail(f"任务库中有无法恢复的任务：{exc!r}")
            raise


class WatchedScheduler(BackgroundScheduler):
    """A background scheduler whose thread reports why it ended, if not by shutdown."""

    def __init__(self, watch: Watch, **options: Any) -> None:
        super().__init__(**options)
        self.watch = watch
        self.add_listener(watch.on_event, WATCHED_EVENTS)

    def _main_loop(self) -> None:
        try:
            super()._main_loop()
        except BaseException as exc:
            log.exception("调度线程异常退出")
            self.watch.fail(f"调度线程异常退出：{exc!r}")
