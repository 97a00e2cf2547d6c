"""``docflow serve``: APScheduler 3.x sending reminders day after day, restart-safe.

Jobs live in APScheduler's SQLAlchemy job store in the same database as the programme, in
a table of the programme's own (``engine.serve.jobtable``), so that the services of two
programmes on one store never run or remove each other's jobs. There
is one job per reminder rule and due day (``docflow:<programme>:<rule>:<due>``), so their
number follows the definition, never the number of points, plus one sweep job that runs
the same reminder code every so often (it picks up extended due days and retries queued
mail). Jobs are registered by text reference (``engine.serve.jobs:run_reminders``) with
plain arguments, because the job store pickles them, and with ``replace_existing``.

On start the service:
1. refuses a definition that changed while points run in it;
2. sends, once, the reminders that came due while it was down - the newest per step, if the
   step is still open - and logs the others as skipped (APScheduler's default
   ``misfire_grace_time`` of 1 s would drop them silently; here nothing depends on it);
3. brings the job store in line with the definition: stale docflow jobs of this programme
   are removed, every future occurrence is (re)registered.
With a checkpoint key and file it also signs checkpoints of the chain's head, at start and
daily (:mod:`engine.serve.checkpointing`; the key is checked before anything else).
SIGTERM or SIGINT stops it cleanly: the running job finishes, the scheduler shuts down.
Every job calls ``ReminderRunner.run``, whose sent-log makes a second firing send nothing.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from engine.clock import Clock, ScaledClock

__all__ = [
    "JOB_FUNC",
    "LOCK_RETRY_SECONDS",
    "SWEEP_FUNC",
    "ServeConfig",
    "desired_jobs",
    "serve",
]

log = logging.getLogger(__name__)

JOB_FUNC = "engine.serve.jobs:run_reminders"
SWEEP_FUNC = "engine.serve.jobs:sweep"
LOCK_RETRY_SECONDS = 2.0  # how often a standby tries the lock
LOCK_CHECK_SECONDS = 5.0  # how often the active service checks it still holds it


@dataclass(frozen=True)
class ServeConfig:
    """Everything a job needs to rebuild the service, as plain data (it is pickled)."""

    programme: str
    db: str
    documents: str | None = None
    outbox: str = "outbox"
    smtp: Mapping[str, Any] | None = None  # host, port, security, user
    desk_url: str | None = None  # the desk's address notices link to (--desk-url)
    clock: Mapping[str, Any] | None = None  # ScaledClock.spec(), or None for the real clock
    sweep_seconds: float = 3600.0
    lock_retry_seconds: float = LOCK_RETRY_SECONDS
    extra: Mapping[str, Any] = field(default_factory=dict)
    checkpoint_key: str | None = None  # the private key signing checkpoints, and
    checkpoints: str | None = None  # the file they are appended to (both or neither)

    def as_dict(self) -> dict[str, Any]:
        return {
            "programme": self.programme,
            "db": self.db,
            "documents": self.documents,
            "outbox": self.outbox,
            "smtp": dict(self.smtp) if self.smtp else None,
            "desk_url": self.desk_url,
            "clock": dict(self.clock) if self.clock else None,
            "sweep_seconds": self.sweep_seconds,
            "checkpoint_key": self.checkpoint_key,
            "checkpoints": self.checkpoints,
        }


def to_real(clock: Clock, moment: Any) -> Any:
    return clock.to_real(moment) if isinstance(clock, ScaledClock) else moment


def job_prefix(programme_id: str) -> str:
    return f"docflow:{programme_id}:"


def desired_jobs(runner: Any, clock: Clock, config: ServeConfig) -> dict[str, Any]:
    """Job id -> (real run time, scheduled virtual time), for every occurrence still ahead
    of the clock."""
    now = clock.now()
    prefix = job_prefix(runner.pid)
    return {
        f"{prefix}{occ.rule.id}:{occ.key}": (to_real(clock, occ.send_at), occ.send_at)
        for occ in runner.job_occurrences()
        if occ.send_at > now
    }


def _job_store_url(store: Any) -> Any:
    return store.url


def _job_store_options(store: Any) -> dict[str, Any]:
    """The job store's engine: on SQLite, wait for the store's write lock as the store does."""
    if store.dialect == "sqlite":
        return {"connect_args": {"timeout": 30}}
    return {}


def serve(config: ServeConfig, *, ready: threading.Event | None = None) -> int:
    """Run until SIGTERM/SIGINT; return the number of scheduled jobs at start (0 when it was
    stopped as a standby). A scheduler failure raises ``SchedulerFailed``."""
    from engine.serve.checkpointing import check_key
    from engine.serve.jobs import open_service
    from engine.serve.lock import serve_lock

    check_key(config.as_dict())  # a key that cannot sign stops serve before it waits or runs
    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        log.info("收到信号 %s，正在停止", signum)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        with open_service(config.as_dict()) as service:  # refuses a bad store before waiting
            pid, store = service.runner.pid, service.runner.store
            lock = serve_lock(store.url, pid)
            where = store.location
        try:
            if not _wait_for_lock(lock, pid, where, config, stop):
                print("docflow serve：已停止（未曾接替）", flush=True)
                return 0
            count = _run_active(config, lock, stop, ready)
        finally:
            lock.release()
        print("docflow serve：已停止", flush=True)
        return count
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _wait_for_lock(
    lock: Any, pid: str, where: str, config: ServeConfig, stop: threading.Event
) -> bool:
    """Take the lock, as a standby for as long as another service holds it; False when
    stopped first."""
    if lock.try_acquire():
        return True
    log.info(
        "另一个 docflow serve 正在为工作方案 %s 发送提醒（存储库 %s，%s）：本进程待命，"
        "每 %g 秒重试一次，对方停止后即接替",
        pid,
        where,
        lock.where,
        config.lock_retry_seconds,
    )
    print("docflow serve：另一个 serve 正在运行，本进程待命", flush=True)
    while not stop.wait(config.lock_retry_seconds):
        if lock.try_acquire():
            log.info("已取得运行锁（%s），接替发送提醒", lock.where)
            return True
    return False


def _run_active(
    config: ServeConfig, lock: Any, stop: threading.Event, ready: threading.Event | None
) -> int:
    """The active service: catch up, register the jobs, run them until stopped."""
    from engine.errors import SchedulerFailed
    from engine.serve import checkpointing
    from engine.serve.jobs import open_service, run_reminders
    from engine.serve.jobtable import job_table, retire_shared_table
    from engine.serve.watch import Watch, WatchedJobStore, WatchedScheduler

    watch = Watch()
    with open_service(config.as_dict()) as service:
        runner, clock = service.runner, service.clock
        runner.refuse_out_of_season(clock.now())
        first = run_reminders(config.as_dict(), service=service)
        log.info("启动时补发：%s", first)
        store = service.programme.store
        options = _job_store_options(store)
        retire_shared_table(_job_store_url(store), runner.pid, job_prefix(runner.pid), **options)
        if checkpointing.wanted(config.as_dict()):
            checkpointing.take(config.as_dict(), service)  # logs what it signed
        scheduler = WatchedScheduler(
            watch,
            jobstores={
                "default": WatchedJobStore(
                    watch,
                    url=_job_store_url(store),
                    tablename=job_table(runner.pid),
                    engine_options=options,
                )
            },
            executors={"default": _executor()},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=service.programme.definition.zone,
        )
        scheduler.start(paused=True)
        try:
            count = _sync_jobs(scheduler, runner, clock, config)
            if checkpointing.wanted(config.as_dict()):
                daily = checkpointing.add_checkpoint_job(
                    scheduler, runner.pid, runner.definition.zone, clock, config.as_dict()
                )
                print(f"docflow serve：{daily}", flush=True)
            scheduler.resume()
            if ready is not None:
                ready.set()
            print(
                f"docflow serve：已登记 {count} 个提醒任务，等待发送（Ctrl+C 或 SIGTERM 停止）",
                flush=True,
            )
            checked = time.monotonic()
            while not stop.wait(0.2) and not watch.failed.is_set():
                if time.monotonic() - checked >= LOCK_CHECK_SECONDS:
                    checked = time.monotonic()
                    if not lock.healthy():
                        watch.fail(f"失去了运行锁（{lock.where}），另一个 serve 可能已接替")
        finally:
            scheduler.shutdown(wait=True)
    if watch.reason is not None:
        raise SchedulerFailed(watch.reason)
    return count


def _executor() -> Any:
    from apscheduler.executors.pool import ThreadPoolExecutor

    return ThreadPoolExecutor(1)


def _sync_jobs(scheduler: Any, runner: Any, clock: Clock, config: ServeConfig) -> int:
    """Make the job store hold exactly the jobs the definition calls for."""
    from apscheduler.triggers.date import DateTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    prefix = job_prefix(runner.pid)
    wanted = desired_jobs(runner, clock, config)
    sweep_id = f"{prefix}sweep"
    for job in scheduler.get_jobs():
        if job.id.startswith(prefix) and job.id not in wanted and job.id != sweep_id:
            scheduler.remove_job(job.id)
    plain = config.as_dict()
    for job_id, (run_at, at) in wanted.items():
        scheduler.add_job(
            JOB_FUNC,
            trigger=DateTrigger(run_date=run_at, timezone=runner.definition.zone),
            id=job_id,
            name=job_id.removeprefix(prefix),
            kwargs={"config": plain, "at": at.isoformat()},
            replace_existing=True,
        )
    scheduler.add_job(
        SWEEP_FUNC,
        trigger=IntervalTrigger(
            seconds=max(config.sweep_seconds, 0.2), timezone=runner.definition.zone
        ),
        id=sweep_id,
        name="sweep",
        kwargs={"config": plain},
        replace_existing=True,
        next_run_time=None if config.sweep_seconds <= 0 else _soon(config.sweep_seconds),
    )
    return len(wanted) + 1


def _soon(seconds: float) -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC) + timedelta(seconds=seconds)
