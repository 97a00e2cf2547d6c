"""A scheduler failure ends ``docflow serve`` with exit 7 instead of leaving it idle."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore

from engine.clock import SHANGHAI
from engine.errors import SchedulerFailed
from engine.serve.jobtable import job_table
from engine.serve.watch import Watch, WatchedScheduler

from .serve_process import Service, serve_args
from .serve_process import services as services  # the fixture
from .year2011 import PID, Desk


def broken_job() -> None:
    raise RuntimeError("数据库连接中断")


@pytest.fixture
def watched() -> Iterator[tuple[Watch, WatchedScheduler]]:
    watch = Watch()
    scheduler = WatchedScheduler(
        watch,
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(1)},
        timezone=SHANGHAI,
    )
    yield watch, scheduler
    if scheduler.running:
        scheduler.shutdown(wait=False)


def test_a_job_that_raises_marks_the_scheduler_failed(
    watched: tuple[Watch, WatchedScheduler],
) -> None:
    watch, scheduler = watched
    scheduler.start()
    scheduler.add_job(broken_job, "date", run_date=datetime.now(UTC), id="docflow:x:rule:1")
    assert watch.failed.wait(5)
    assert watch.reason == "提醒任务 docflow:x:rule:1 出错：RuntimeError('数据库连接中断')"


def test_a_scheduler_thread_that_dies_marks_the_scheduler_failed(
    watched: tuple[Watch, WatchedScheduler], monkeypatch: pytest.MonkeyPatch
) -> None:
    watch, scheduler = watched

    def lost() -> float:
        raise JobLookupError("docflow:x:rule:1")

    monkeypatch.setattr(scheduler, "_process_jobs", lost)
    scheduler.start()
    scheduler.wakeup()
    assert watch.failed.wait(5)
    assert watch.reason is not None
    assert watch.reason.startswith("调度线程异常退出：JobLookupError(")


def test_only_the_first_failure_is_kept() -> None:
    watch = Watch()
    watch.fail("第一个")
    watch.fail("第二个")
    assert watch.reason == "第一个"
    assert SchedulerFailed(watch.reason).exit_code == 7


@pytest.mark.slow
def test_serve_exits_7_when_its_job_store_cannot_be_read(
    tmp_path: Path, services: Callable[..., Service]
) -> None:
    with Desk(tmp_path / "desk") as desk:
        desk.standard()
    args = serve_args(
        desk,
        real_start=datetime.now(SHANGHAI),
        virtual_start="2011-03-01T00:00",
        speed=1,
        sweep=0.5,
    )
    service = services(args, "serve")
    service.wait_ready()
    with closing(sqlite3.connect(desk.db, timeout=30)) as conn:
        conn.execute(f"DROP TABLE {job_table(PID)}")
        conn.commit()
    assert service.proc.wait(15) == 7
    log = service.log()
    assert "提醒服务即将停止：无法读写任务库：" in log
    assert "提醒服务因调度出错而停止：无法读写任务库：" in log
