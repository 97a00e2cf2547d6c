"""Reminders of recurring reports: every occurrence is reminded and urged on its own.

On the test programme (tests/programmes/city-tasks): the monthly progress report is owed by
each task's lead unit while the task is under way (每月28日前), the office's summary by the
office (次月10日前: December's is due 2022-01-10). Policy ``monthly``: before [2, 0], two
催报 two working days apart.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from engine.app.mail import MailSettings
from engine.app.programme import Programme
from engine.clock import SHANGHAI, VirtualClock
from engine.delivery.reminders import rules
from engine.runtime.service import NewPoint

CITY = Path(__file__).parents[1] / "programmes" / "city-tasks"


def at(month: int, day: int, hour: int = 10, year: int = 2021) -> datetime:
    return datetime(year, month, day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def city(tmp_path: Path) -> Iterator[tuple[Programme, VirtualClock]]:
    clock = VirtualClock(at(1, 25))
    gd = Programme.open(
        CITY,
        db=str(tmp_path / "docflow.db"),
        documents=tmp_path / "documents",
        clock=clock,
        mail=MailSettings(outbox=str(tmp_path / "outbox")),
        create=True,
    )
    gd.enrol([NewPoint("housing", "城市更新"), NewPoint("transport", "地铁二期")])
    plan = tmp_path / "plan.txt"
    plan.write_text("推进方案", encoding="utf-8")
    gd.submit("housing", "file-plan", plan, ["housing-1"])
    try:
        yield gd, clock
    finally:
        gd.close()


def _sent(gd: Programme, moment: datetime) -> list[tuple[str, str, str]]:
    result = gd.remind(moment)
    return sorted((o.rule, o.occurrence, o.recipient) for o in result.sent)


def test_a_unit_that_misses_march_is_urged_for_march_and_reminded_for_april(
    city: tuple[Programme, VirtualClock], tmp_path: Path
) -> None:
    gd, clock = city
    # 03-28 is a Sunday: two working days before it is Wednesday 03-24, and the due-day
    # reminder goes out on the last working day before it, Friday 03-26.
    clock.set(at(3, 24))
    assert _sent(gd, at(3, 24)) == [("monthly-progress/before-2", "2021-03-28", "housing")]
    clock.set(at(3, 26))
    assert _sent(gd, at(3, 26)) == [("monthly-progress/before-0", "2021-03-28", "housing")]
    # The first 催报 goes out the second working day after 03-28: 03-30.
    clock.set(at(3, 30))
    assert _sent(gd, at(3, 30)) == [("monthly-progress/overdue-1", "2021-03-28", "housing")]
    # April: reminded for April's report although March's is still missing, and urged for
    # March a second time; transport's task never started, so it owes nothing.
    clock.set(at(4, 26))
    sent = _sent(gd, at(4, 26))
    assert ("monthly-progress/before-2", "2021-04-28", "housing") in sent
    assert all(
        recipient == "housing" for rule, _, recipient in sent if rule.startswith("monthly-progress")
    )
    log = {
        (s.rule, s.occurrence) for s in gd.snapshot(with_events=True).sent if s.unit_id == "housing"
    }
    assert ("monthly-progress/overdue-2", "2021-03-28") in log
    # Filing April's report ends April's reminders but not March's 催报.
    report = tmp_path / "april.txt"
    report.write_text("四月推进情况", encoding="utf-8")
    gd.submit("housing", "monthly-progress", report, period="2021-04")
    clock.set(at(4, 30))
    assert ("monthly-progress/overdue-1", "2021-04-28", "housing") not in _sent(gd, at(4, 30))
    assert gd.verify().ok


def test_december_summary_is_reminded_in_january_of_the_next_year(
    city: tuple[Programme, VirtualClock],
) -> None:
    gd, clock = city
    runner = gd.reminder_runner()
    december = [
        o
        for o in runner.job_occurrences()
        if o.rule.step == "monthly-summary" and o.period == "2021-12"
    ]
    assert {o.due for o in december} == {date(2022, 1, 10)}
    # 2022-01-10 is a Monday: two working days before it is Thursday 01-06.
    assert min(o.send_at for o in december) == at(1, 6, 9, year=2022)
    clock.set(at(1, 6, 10, year=2022))
    result = gd.remind(at(1, 6, 10, year=2022))
    assert ("monthly-summary/before-2", "2022-01-10", "gov-office") in {
        (o.rule, o.occurrence, o.recipient) for o in result.sent
    }


def test_the_jobs_do_not_grow_with_the_items(tmp_path: Path) -> None:
    counts = []
    for n in (2, 20):
        clock = VirtualClock(at(1, 25))
        with Programme.open(
            CITY,
            db=str(tmp_path / f"{n}.db"),
            documents=tmp_path / f"d{n}",
            clock=clock,
            create=True,
        ) as gd:
            gd.enrol([NewPoint("housing", f"任务{i}") for i in range(n)])
            counts.append(len(gd.reminder_runner().job_occurrences()))
    assert counts[0] == counts[1]
    definition = Programme.open(CITY, with_store=False).definition
    report_rules = [r for r in rules(definition) if r.step_kind == "report"]
    assert len(report_rules) == 8  # two reports x (2 before + 2 overdue)
