"""Two ``docflow serve`` for two programmes on one store, and stores of the shared job table.

Each programme's service keeps its jobs in a table of its own (``engine.serve.jobtable``):
APScheduler runs every job of its table, so with one table the first service would run, and
then remove, the second one's jobs. The second programme is a copy of the 2011 programme
under another id, on the same store (SQLite file or PostgreSQL database).
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from engine.clock import SHANGHAI, ScaledClock
from engine.serve.jobtable import SHARED_TABLE, job_table, retire_shared_table
from engine.serve.scheduler import JOB_FUNC, job_prefix
from tests.runtime.gd2011 import BACKENDS, Year, postgres_database, run_sql

from .serve_process import Service, serve_args, wait_for
from .serve_process import services as services  # the fixture
from .serve_reference import reference
from .year2011 import APPROVED, PID, PROGRAMME_DIR, moment, read_outbox

SPEED = 21600.0  # a second is six hours: 5-03 09:00 comes two seconds after the start,
VIRTUAL_START = "2011-05-02T21:00"  # 5-06 09:00 sixteen, 5-10 09:00 thirty-two
OTHER = "gd-2011b"


def other_programme(folder: Path) -> Path:
    """The 2011 programme under the id ``gd-2011b``."""
    shutil.copytree(PROGRAMME_DIR, folder)
    path = folder / "programme.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count("\n  id: gd-2011\n") == 1
    path.write_text(text.replace("\n  id: gd-2011\n", f"\n  id: {OTHER}\n"), encoding="utf-8")
    return folder


def standard(year: Year, first_file: int = 0) -> None:
    """The standard desk of the delivery tests (see ``year2011.Desk.standard``)."""
    year._files = first_file  # distinct documents for each programme
    year.at("2011-04-28T10:00").enrol_example()
    year.decide("screen", APPROVED)
    year.decide("approve", APPROVED)
    year.at("2011-05-02T10:00").submit("foshan", "work-plan")


def job_ids(url: str, programme: str) -> list[str]:
    return [row[0] for row in run_sql(url, f"SELECT id FROM {job_table(programme)}")]


def files(outbox: Path) -> int:
    return len(list(outbox.glob("*.eml")))


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_two_programmes_on_one_store_each_run_only_their_own_jobs(
    backend: str, tmp_path: Path, services: Callable[..., Service]
) -> None:
    other = other_programme(tmp_path / OTHER)
    with ExitStack() as stack:
        if backend == "postgresql":
            url = stack.enter_context(postgres_database())
        else:
            url = str(tmp_path / "store" / "docflow.db")
        with Year(tmp_path / "store", db=url) as year:
            standard(year)
        with Year(tmp_path / "store", programme=other, db=url) as second:
            standard(second, first_file=100)
        _run_both(year, other, tmp_path, services)


def _run_both(year: Year, other: Path, tmp_path: Path, services: Callable[..., Service]) -> None:
    real_start = datetime.now(SHANGHAI)
    clock = ScaledClock(real_start, moment(VIRTUAL_START), SPEED)

    def args(programme: Path, outbox: Path) -> list[str]:
        desk = SimpleNamespace(
            programme=programme, url=year.url, documents=year.documents, outbox=outbox
        )
        return serve_args(
            desk, real_start=real_start, virtual_start=VIRTUAL_START, speed=SPEED, sweep=0.5
        )

    first_box, second_box = tmp_path / "out-first", tmp_path / "out-second"
    first = services(args(PROGRAMME_DIR, first_box), "first")
    second = services(args(other, second_box), "second")
    first.wait_ready()
    second.wait_ready()  # not a standby: the lock is per programme
    wait_for(lambda: files(second_box) >= 3, 15, second)  # 5-03: eic, guangzhou, shenzhen
    second_stopped = clock.now()
    assert second.terminate() == 0, second.describe()
    assert second_stopped < moment("2011-05-06T09:00"), "the second stopped too late"

    wait_for(lambda: files(first_box) >= 6, 30, first)  # 5-03 and 5-06
    stopped = clock.now()
    assert first.terminate() == 0, first.describe()
    assert stopped < moment("2011-05-10T09:00"), "stopped too late: the next reminder was due"

    expected = reference(tmp_path / "reference", stopped)
    sent = Counter(m.key for m in read_outbox(first_box))
    assert set(sent.values()) == {1}
    assert sorted(sent) == expected
    # The first service did not run the second one's 5-06 jobs once it had stopped.
    sent_second = Counter(m.key for m in read_outbox(second_box))
    assert set(sent_second.values()) == {1}
    assert sorted(sent_second) == reference(tmp_path / "reference-second", second_stopped)
    assert {due for _rule, _to, due in sent_second} == {"2011-05-10"}
    assert len(sent_second) == 3

    # Each table holds its own programme's jobs only; the second's future jobs are intact.
    mine, theirs = job_ids(year.url, PID), job_ids(year.url, OTHER)
    assert mine
    assert all(i.startswith(job_prefix(PID)) for i in mine)
    assert all(i.startswith(job_prefix(OTHER)) for i in theirs)
    assert f"{job_prefix(OTHER)}submit-plan/before-2:2011-05-10" in theirs
    assert len(theirs) > len(mine)  # the first ran its 5-06 jobs, the second did not


# --- stores with the shared table of earlier versions ----------------------------------


def _shared_table(url: str, ids: list[str]) -> None:
    """The shared job table as an earlier docflow left it, holding jobs ``ids``."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.date import DateTrigger

    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=url, tablename=SHARED_TABLE)},
        timezone=SHANGHAI,
    )
    scheduler.start(paused=True)
    try:
        later = datetime.now(SHANGHAI) + timedelta(days=3650)
        for job_id in ids:
            scheduler.add_job(
                JOB_FUNC, trigger=DateTrigger(run_date=later), id=job_id, kwargs={"config": {}}
            )
    finally:
        scheduler.shutdown(wait=False)


def _tables(db: Path) -> set[str]:
    return {row[0] for row in run_sql(str(db), "SELECT name FROM sqlite_master")}


def test_the_shared_table_is_dropped_once_no_programme_has_jobs_in_it(tmp_path: Path) -> None:
    db = tmp_path / "docflow.db"
    Year(tmp_path, db=str(db)).close()
    url = f"sqlite:///{db}"
    ours = [f"{job_prefix(PID)}submit-plan/before-5:2011-05-10", f"{job_prefix(PID)}sweep"]
    _shared_table(url, [*ours, f"{job_prefix('gd_2011')}sweep", f"{job_prefix('gd-2011b')}sweep"])

    assert retire_shared_table(url, PID, job_prefix(PID)) == 2
    left = [row[0] for row in run_sql(str(db), f"SELECT id FROM {SHARED_TABLE}")]
    assert sorted(left) == [f"{job_prefix('gd-2011b')}sweep", f"{job_prefix('gd_2011')}sweep"]

    assert retire_shared_table(url, "gd_2011", job_prefix("gd_2011")) == 1
    assert retire_shared_table(url, OTHER, job_prefix(OTHER)) == 1
    assert SHARED_TABLE not in _tables(db)
    assert retire_shared_table(url, PID, job_prefix(PID)) == 0  # nothing left to do
    assert job_table(PID) != job_table("gd_2011")


@pytest.mark.slow
def test_serve_on_a_store_with_the_shared_table_moves_its_jobs_to_its_own(
    tmp_path: Path, services: Callable[..., Service]
) -> None:
    with Year(tmp_path / "store") as year:
        standard(year)
    url = f"sqlite:///{year.db}"
    stale = f"{job_prefix(PID)}submit-plan/before-5:2011-05-10"
    _shared_table(url, [stale, f"{job_prefix(PID)}sweep", f"{job_prefix(OTHER)}sweep"])

    desk = SimpleNamespace(
        programme=PROGRAMME_DIR, url=year.url, documents=year.documents, outbox=tmp_path / "out"
    )
    args = serve_args(
        desk,
        real_start=datetime.now(SHANGHAI),
        virtual_start="2011-03-01T00:00",
        speed=1,
        sweep=3600,
    )
    service = services(args, "serve")
    service.wait_ready()
    assert service.terminate() == 0, service.describe()
    assert "旧版共用任务表 apscheduler_jobs 中工作方案 gd-2011 的 2 个任务已移除" in service.log()

    left = [row[0] for row in run_sql(str(year.db), f"SELECT id FROM {SHARED_TABLE}")]
    assert left == [f"{job_prefix(OTHER)}sweep"]  # another programme's job is not touched
    mine = job_ids(year.url, PID)
    assert len(mine) == 46 + 1  # every reminder of the year, and the sweep
    assert stale in mine
    assert "已登记 47 个提醒任务" in service.output()
