"""The store on PostgreSQL: the same commands give the same trail as on SQLite.

Each test makes its own database on the server named by ``DOCFLOW_TEST_POSTGRES`` (see
``tests/runtime/gd2011.py``); ``scripts/test.sh`` starts the server and sets it.
"""

from __future__ import annotations

import selectors
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.app import MailSettings, open_queue
from engine.clock import FixedClock
from engine.delivery.dispatch import ReminderRunner
from engine.errors import DocflowError, TrailBroken
from engine.runtime.trail import verify
from engine.serve.jobtable import job_table
from tests.runtime.gd2011 import (
    EIC,
    POSTGRES,
    PROGRAMME_DIR,
    PROGRAMME_ID,
    Year,
    docflow_process,
    example_ids,
    moment,
    postgres_database,
    run_cli,
    run_sql,
    table_rows,
)

pytestmark = pytest.mark.skipif(
    not POSTGRES,
    reason="DOCFLOW_TEST_POSTGRES is not set (scripts/test.sh starts PostgreSQL and sets it)",
)


@pytest.fixture
def pg(tmp_path: Path) -> Iterator[Year]:
    with postgres_database() as url, Year(tmp_path / "pg", db=url) as year:
        yield year


def spring(year: Year) -> Year:
    """From the call for points to the work plans, with a screening-out, a returned plan,
    an extension and a withdrawal on the way."""
    ids = example_ids()
    year.at("2011-03-02T09:00").submit(EIC, "call-for-points")
    year.at("2011-03-15T10:00").enrol_example()
    year.at("2011-04-06T10:00").decide("screen", [i for i in ids if i != "jiangmen-2"])
    year.decide("screen", ["jiangmen-2"], "reject", "与 jiangmen-1 内容重复")
    year.at("2011-04-20T10:00").decide("approve", year.points_in("screened"))
    year.at("2011-05-03T10:00").submit("shanwei", "extension", ["shanwei-1"])
    year.at("2011-05-04T10:00").decide(
        "extension", ["shanwei-1"], until=moment("2011-05-20").date()
    )
    year.at("2011-05-05T10:00")
    for unit in year.units_in("approved"):
        if unit != "shanwei":
            year.submit(unit, "work-plan")
    year.at("2011-05-06T10:00").decide("work-plan", ["zhuhai-1"], "return", "缺少时间节点")
    year.at("2011-05-07T10:00").decide("withdraw", ["yunfu-1"], reason="市政府调整工作重点")
    return year


def test_the_same_commands_leave_the_same_trail_as_on_sqlite(pg: Year, tmp_path: Path) -> None:
    with Year(tmp_path / "sqlite") as lite:
        spring(lite)
        on_sqlite = [(e.seq, e.trigger, e.hash) for e in lite.events()]
        states = lite.states()

    spring(pg)

    assert [(e.seq, e.trigger, e.hash) for e in pg.events()] == on_sqlite
    assert pg.states() == states
    assert verify(pg.store).ok


def test_a_refused_command_leaves_every_table_as_it_was(pg: Year) -> None:
    spring(pg)
    before = table_rows(pg.url)
    refusals = [
        lambda: pg.submit("guangzhou", "work-plan"),  # already filed: a duplicate
        lambda: pg.submit("shenzhen", "measures", ["guangzhou-1"]),  # not its point
        lambda: pg.decide("approve", ["guangzhou-1"]),  # the wrong state
        lambda: pg.decide("screen", ["guangzhou-1", "nowhere-9"]),  # one point unknown
        lambda: pg.decide("work-plan", ["guangzhou-1"], actor="shenzhen"),  # not its body
    ]
    for refused in refusals:
        pg.reopen()
        with pytest.raises(DocflowError):
            refused()
    assert table_rows(pg.url) == before


def test_a_changed_reason_is_found_by_audit_verify_at_its_event(pg: Year) -> None:
    spring(pg)
    (seq,) = [e.seq for e in pg.events("zhuhai-1") if e.trigger == "return-plan"]
    run_sql(pg.url, "UPDATE events SET reason = ? WHERE seq = ?", "缺少时间节点。", seq)

    result = run_cli(["audit", "verify"], pg.env())

    assert result.exit_code == TrailBroken.exit_code
    assert result.stderr.startswith(f"留痕校验未通过：事件 #{seq} 的内容与其哈希不符")


def test_two_processes_submitting_at_once_lose_no_event(pg: Year) -> None:
    spring(pg)
    first = len(pg.events())
    procs = [
        docflow_process(
            [
                *("submit", str(PROGRAMME_DIR), "--unit", unit, "--task", "measures"),
                *("--file", str(pg.file(f"{unit} 推进措施"))),
            ],
            pg.env(DOCFLOW_NOW="2011-06-20T10:00"),
        )
        for unit in ("guangzhou", "shenzhen", "foshan", "dongguan")
    ]
    for proc in procs:
        with proc:
            _out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err

    seqs = [seq for (seq,) in run_sql(pg.url, "SELECT seq FROM events ORDER BY seq")]
    assert seqs == list(range(1, first + 8 + 1))  # two points a unit, no gap, nothing lost
    assert run_sql(pg.url, "SELECT seq FROM trail_head") == [(seqs[-1],)]
    pg.reopen()
    assert verify(pg.store).ok


def test_reminders_are_sent_once_however_often_the_runner_runs(pg: Year, tmp_path: Path) -> None:
    spring(pg)
    outbox = tmp_path / "outbox"
    clock = FixedClock(moment("2011-05-16T10:00"))  # the 2nd 催报 of the work plan

    def run() -> list[tuple[str, str]]:
        runner = ReminderRunner(
            pg.definition, pg.store, clock, open_queue(MailSettings(str(outbox)), clock)
        )
        return [(o.rule, o.recipient) for o in runner.run().sent]

    # zhuhai's returned plan is overdue; shanwei's extended plan (due 5月20日) is coming up.
    expected = [("submit-plan/before-5", "shanwei"), ("submit-plan/overdue-2", "zhuhai")]
    assert sorted(run()) == expected
    assert run() == []
    assert len(list(outbox.glob("*.eml"))) == 2
    logged = "SELECT rule, unit_id FROM sent_log WHERE status = 'sent' AND unit_id <> '*'"
    assert sorted(run_sql(pg.url, logged)) == expected


def test_serve_keeps_its_jobs_in_the_same_postgresql_database(pg: Year, tmp_path: Path) -> None:
    spring(pg)
    args = ["serve", str(PROGRAMME_DIR), "--outbox", str(tmp_path / "outbox")]
    args += ["--speed", "1", "--virtual-start", "2011-05-08T10:00"]  # a clock in the year
    proc = docflow_process(args, pg.env())
    try:
        assert proc.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 60
        line = ""
        while "已登记" not in line and time.monotonic() < deadline:
            if selector.select(timeout=1):
                line = proc.stdout.readline()
                if not line:
                    break
        assert "已登记" in line, proc.stderr.read() if proc.stderr else ""
        proc.terminate()
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    (jobs,) = run_sql(pg.url, f"SELECT count(*) FROM {job_table(PROGRAMME_ID)}")
    assert jobs[0] > 0
    assert f"已登记 {jobs[0]} 个提醒任务" in line
    # At the start it caught up once: the work plan's last reminder before 5月10日 so far.
    assert "启动时补发：2011-05-08 10:00 提醒：发出" in err


def test_four_remind_processes_at_once_send_exactly_what_one_sends(
    pg: Year, tmp_path: Path
) -> None:
    now = {"DOCFLOW_NOW": "2011-05-16T10:00"}
    with Year(tmp_path / "sqlite") as lite:
        spring(lite)
        one = run_cli(
            ["remind", str(PROGRAMME_DIR), "--outbox", str(tmp_path / "one")], lite.env(**now)
        )
        assert one.exit_code == 0, one.stderr
        reference = sorted(p.name for p in (tmp_path / "one").glob("*.eml"))
        logged = sorted(run_sql(str(lite.db), "SELECT rule, unit_id, occurrence FROM sent_log"))
    assert reference

    spring(pg)
    outboxes = [tmp_path / f"outbox-{n}" for n in range(4)]
    procs = [
        docflow_process(["remind", str(PROGRAMME_DIR), "--outbox", str(box)], pg.env(**now))
        for box in outboxes
    ]
    for proc in procs:
        with proc:
            _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err

    sent = sorted(p.name for box in outboxes for p in box.glob("*.eml"))
    assert sent == reference
    assert sorted(run_sql(pg.url, "SELECT rule, unit_id, occurrence FROM sent_log")) == logged
