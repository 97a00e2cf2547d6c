"""``docflow serve`` as a real process on a compressed clock: SIGKILL, restart, SIGTERM, jobs.

The clock runs at 86400 (one real second is one day of 2011). With the same --real-start,
--virtual-start and --speed a restarted service finds the same virtual time, so the
reminders it sends can be compared with what ``engine.delivery.reminders`` says was due.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from datetime import datetime
from pathlib import Path

import pytest

from engine.clock import SHANGHAI, ScaledClock
from engine.delivery.reminders import PointInfo, occurrences, reminders_for, rules
from engine.runtime.progress import ProgressView
from engine.runtime.service import NewPoint
from engine.serve.jobtable import job_table

from .serve_process import Service, serve_args, wait_for
from .serve_process import services as services  # the fixture
from .year2011 import PID, PROGRAMME_DIR, Desk, moment, read_outbox

pytestmark = pytest.mark.slow

SPEED = 86400.0
# Two and a half virtual days before the first work-plan reminder (5-03 09:00).
VIRTUAL_START = "2011-04-30T21:00"


def files_of(outbox: Path, rule: str) -> int:
    return len(list(outbox.glob(f"*{rule.replace('/', '_')}*.eml")))


def due_messages(desk: Desk) -> list[tuple[datetime, tuple[str, str, str]]]:
    """(send time, (rule, recipient, due day)) of every reminder due for the store's points.

    Computed with ``engine.delivery.reminders`` alone, for points that do not move while
    the service runs. Occurrences that fall before the virtual start (the proposals) find
    nobody waiting: every proposer has enrolled.
    """
    definition = desk.definition
    index = definition.index
    view = ProgressView(definition)
    with desk.store.transaction(readonly=True) as tx:
        points = tx.points(PID)
        enrolled = tx.count_points_by_unit(PID)
    found = []
    for rule in rules(definition):
        for occ in occurrences(rule, view):
            if rule.step_kind == "transition":
                sources = index.sources_of(index.transitions[rule.step])
                waiting = [
                    PointInfo(p.point_id, p.unit_id, p.title, p.state)
                    for p in points
                    if p.state in sources
                ]
                reminders = reminders_for(occ, view, waiting, {})
            elif rule.step_kind == "unit-task":
                reminders = reminders_for(occ, view, (), {}, enrolled=enrolled)
            else:
                continue  # EIC's tasks fall due in September and later
            found += [(occ.send_at, (rule.id, r.recipient, occ.key)) for r in reminders]
    return found


def test_serve_sends_every_due_reminder_exactly_once_across_a_sigkill_and_restart(
    tmp_path: Path, services: Callable[..., Service]
) -> None:
    with Desk(tmp_path / "desk") as desk:
        desk.standard()
        due = due_messages(desk)
    real_start = datetime.now(SHANGHAI)
    clock = ScaledClock(real_start, moment(VIRTUAL_START), SPEED)
    args = serve_args(
        desk, real_start=real_start, virtual_start=VIRTUAL_START, speed=SPEED, sweep=0.5
    )

    first = services(args, "first")
    first.wait_ready()
    # Killed the moment the first 5-06 reminder is on disk: the others may not be.
    wait_for(lambda: files_of(desk.outbox, "submit-plan/before-2") >= 1, 15, first)
    first.kill()

    second = services(args, "second")
    second.wait_ready()
    assert clock.now() < moment("2011-05-10T09:00"), "restarted too late to test the restart"
    wait_for(lambda: files_of(desk.outbox, "submit-plan/overdue-1") >= 3, 15, second)
    stopped = clock.now()
    assert second.terminate() == 0, second.describe()
    assert stopped < moment("2011-05-16T09:00"), "stopped too late: the next urge was due"

    expected = sorted(key for send_at, key in due if send_at <= stopped)
    assert len(expected) == 12  # 4 reminders (5-03, 5-06, 5-10, 5-12) x eic, guangzhou, shenzhen
    sent = Counter(m.key for m in read_outbox(desk.outbox))
    assert sorted(sent) == expected
    assert set(sent.values()) == {1}


def test_serve_stops_cleanly_on_sigterm(tmp_path: Path, services: Callable[..., Service]) -> None:
    with Desk(tmp_path / "desk") as desk:
        desk.standard()
    args = serve_args(
        desk,
        real_start=datetime.now(SHANGHAI),
        virtual_start="2011-03-01T00:00",
        speed=1,
        sweep=3600,
    )
    service = services(args, "serve")
    service.wait_ready()
    assert service.terminate() == 0
    assert "docflow serve：已停止" in service.output()
    log = service.stderr.read_text(encoding="utf-8")
    assert "Traceback" not in log
    # What the operator reads is docflow's own lines, in Chinese; APScheduler's chatter is off.
    assert "启动时补发：2011-03-01 00:00 提醒：发出 0 封，跳过 0 项" in log
    assert "收到信号 15，正在停止" in log
    assert "apscheduler" not in log


def test_serve_on_the_real_clock_refuses_a_programme_whose_year_is_long_over(
    tmp_path: Path,
) -> None:
    from tests.runtime.gd2011 import run_process

    with Desk(tmp_path / "desk") as desk:
        desk.standard()
    args = ["serve", str(desk.programme), "--db", str(desk.db), "--outbox", str(desk.outbox)]
    result = run_process(args, {}, timeout=60)  # the real clock: years after 2011
    assert result.exit_code == 1
    assert "工作方案 gd-2011（2011 年）的最后一次提醒应于 2011-12-08 发出" in result.stderr
    assert "Traceback" not in result.stderr
    assert not desk.outbox.exists() or list(desk.outbox.rglob("*.eml")) == []


# --- the job store ------------------------------------------------------------------------


@pytest.fixture
def roomy(tmp_path: Path) -> Path:
    """A copy of the programme that lets each unit propose up to 20 points."""
    folder = tmp_path / "gd-2011-roomy"
    shutil.copytree(PROGRAMME_DIR, folder)
    path = folder / "programme.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count("max_per_unit: 2\n") == 1
    path.write_text(text.replace("max_per_unit: 2\n", "max_per_unit: 20\n"), encoding="utf-8")
    return folder


def docflow_jobs(db: Path) -> int:
    with closing(sqlite3.connect(db)) as conn:
        (count,) = conn.execute(
            f"SELECT count(*) FROM {job_table(PID)} WHERE id LIKE ?", (f"docflow:{PID}:%",)
        ).fetchone()
    return int(count)


def test_the_job_store_holds_as_many_jobs_for_500_points_as_for_52(
    tmp_path: Path, roomy: Path, services: Callable[..., Service]
) -> None:
    with Desk(tmp_path / "few", programme=roomy) as few:
        few.enrol_example()
    with Desk(tmp_path / "many", programme=roomy) as many:
        proposers = many.definition.index.proposers
        many.enrol(
            NewPoint(proposers[i % len(proposers)], f"生成的突破点第{i}号") for i in range(500)
        )
        with many.store.transaction(readonly=True) as tx:
            assert sum(tx.count_points_by_unit(PID).values()) == 500
    running = []
    for desk in (few, many):
        args = serve_args(
            desk,
            real_start=datetime.now(SHANGHAI),
            virtual_start="2011-03-01T00:00",
            speed=1,
            sweep=3600,
        )
        running.append(services(args, desk.folder.name))
    for service in running:
        service.wait_ready()
        assert service.terminate() == 0
    assert docflow_jobs(few.db) == docflow_jobs(many.db) == 46 + 1  # every reminder, and the sweep
