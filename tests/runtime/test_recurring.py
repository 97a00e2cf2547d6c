"""Recurring reports at runtime: filing occurrences, who owes them, the audit, corrections.

The test programme (tests/programmes/city-tasks) has a monthly progress report owed per
task by its lead unit while the task is plan-filed or in progress (每月28日前, March to
December) and the office's monthly summary (次月10日前, January and February left out).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.app.programme import Programme
from engine.clock import SHANGHAI, VirtualClock
from engine.refusals import (
    AlreadyFiled,
    NoPeriodGiven,
    NotOwed,
    PeriodNotBegun,
    PeriodNotTaken,
    PointsNotTaken,
    UnknownPeriod,
)
from engine.runtime.service import NewPoint
from engine.views.recurring import occurrence_duties
from tests.runtime.gd2011 import BACKENDS, postgres_database

CITY = Path(__file__).parents[1] / "programmes" / "city-tasks"


def at(month: int, day: int, hour: int = 10, year: int = 2021) -> datetime:
    return datetime(year, month, day, hour, tzinfo=SHANGHAI)


@pytest.fixture(params=BACKENDS)
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "postgresql":
        with postgres_database() as url:
            yield url
    else:
        yield str(tmp_path / "docflow.db")


class City:
    """The test programme run on a virtual clock: three tasks enrolled on 01-25."""

    def __init__(self, location: str, folder: Path) -> None:
        self.clock = VirtualClock(at(1, 25))
        self.folder = folder
        self.gd = Programme.open(
            CITY, db=location, documents=folder / "documents", clock=self.clock, create=True
        )
        self.gd.enrol(
            [
                NewPoint("housing", "城市更新"),
                NewPoint("housing", "保障房建设"),
                NewPoint("transport", "地铁二期"),
            ]
        )
        self.files = 0

    def file(self, text: str = "") -> Path:
        self.files += 1
        path = self.folder / f"file-{self.files}.txt"
        path.write_text(text or f"材料 {self.files}", encoding="utf-8")
        return path

    def to(self, moment: datetime) -> None:
        self.clock.set(moment)

    def start(self, point: str, unit: str) -> None:
        """The task's plan filed and accepted: it is in progress from now."""
        self.gd.submit(unit, "file-plan", self.file(), [point])
        self.gd.decide("review-plan", [point], "accept", "同意", actor="gov-office")

    def progress(self, unit: str, period: str, *points: str) -> list:
        return self.gd.submit(unit, "monthly-progress", self.file(), points, period=period)

    def duty(self, rule: str, period: str):
        snapshot = self.gd.snapshot()
        (found,) = occurrence_duties(
            self.gd.definition, snapshot, self.clock.now(), rule=rule, period=period
        )
        return found


@pytest.fixture
def city(location: str, tmp_path: Path) -> Iterator[City]:
    running = City(location, tmp_path)
    try:
        yield running
    finally:
        running.gd.close()


def test_a_filing_is_its_own_event_and_leaves_the_state(city: City) -> None:
    city.start("housing-1", "housing")
    city.to(at(3, 20))
    (event,) = city.progress("housing", "2021-03")
    assert event.trigger == "file-report"
    assert (event.point_id, event.unit_id) == ("housing-1", "housing")
    assert event.extras["rule"] == "monthly-progress"
    assert event.extras["period"] == "2021-03"
    assert event.source_state is None
    assert event.dest_state is None
    points = {p.point_id: p.state for p in city.gd.snapshot().points}
    assert points["housing-1"] == "in-progress"
    duty = city.duty("monthly-progress", "2021-03")
    assert duty.owing == (("housing", "housing-1"),)
    assert duty.rate == (1, 1)
    assert city.gd.verify().ok


def test_an_item_named_twice_is_filed_once(city: City) -> None:
    city.start("housing-1", "housing")
    city.to(at(3, 20))
    (event,) = city.progress("housing", "2021-03", "housing-1", "housing-1")
    assert event.point_id == "housing-1"
    assert city.gd.verify().ok


def test_who_owes_follows_the_state_history(city: City) -> None:
    city.start("housing-1", "housing")
    city.to(at(4, 15))
    city.start("transport-1", "transport")
    city.to(at(5, 10))
    city.gd.submit("housing", "finish", city.file(), ["housing-1"])
    city.to(at(7, 1))
    # housing-2 never left 已分解: it owes nothing. transport-1 started in April: not March.
    assert city.duty("monthly-progress", "2021-03").owing == (("housing", "housing-1"),)
    assert set(city.duty("monthly-progress", "2021-04").owing) == {
        ("housing", "housing-1"),
        ("transport", "transport-1"),
    }
    # housing-1 finished on 05-10: it still owes May's report, not June's.
    assert ("housing", "housing-1") in city.duty("monthly-progress", "2021-05").owing
    assert city.duty("monthly-progress", "2021-06").owing == (("transport", "transport-1"),)


def test_missing_march_does_not_block_april(city: City) -> None:
    city.start("housing-1", "housing")
    city.to(at(4, 20))
    march = city.duty("monthly-progress", "2021-03")
    assert march.late == [("housing", "housing-1")]
    assert march.missing_units() == ["housing"]
    city.progress("housing", "2021-04")
    assert city.duty("monthly-progress", "2021-04").rate == (1, 1)
    # March may still be filed late, and then shows as filed late.
    city.progress("housing", "2021-03")
    march = city.duty("monthly-progress", "2021-03")
    assert march.late == []
    assert march.filed_late == [("housing", "housing-1")]


def test_refusals_name_what_to_do(city: City) -> None:
    city.start("housing-1", "housing")
    city.to(at(3, 20))
    with pytest.raises(NoPeriodGiven, match="2021-03 至 2021-12"):
        city.gd.submit("housing", "monthly-progress", city.file())
    with pytest.raises(UnknownPeriod, match="2021-13"):
        city.progress("housing", "2021-13")
    with pytest.raises(UnknownPeriod):
        city.progress("housing", "2021-02")  # before the span (from: 2021年3月)
    with pytest.raises(PeriodNotBegun, match="2021-04-01"):
        city.progress("housing", "2021-04")
    with pytest.raises(NotOwed, match="housing-2"):
        city.progress("housing", "2021-03", "housing-2")
    with pytest.raises(NotOwed, match="市交通局"):
        city.progress("transport", "2021-03")
    with pytest.raises(PeriodNotTaken):
        city.gd.submit("housing", "file-plan", city.file(), ["housing-2"], period="2021-03")
    with pytest.raises(PointsNotTaken):
        city.gd.submit(
            "gov-office", "monthly-summary", city.file(), ["housing-1"], period="2021-03"
        )
    city.progress("housing", "2021-03-01")  # the covered period's first day
    with pytest.raises(AlreadyFiled, match="留痕第"):
        city.progress("housing", "2021-03")
    with pytest.raises(AlreadyFiled):
        city.progress("housing", "2021-03", "housing-1")
    assert len(city.gd.snapshot().filings) == 1


def test_december_summary_falls_due_in_january_of_the_next_year(city: City) -> None:
    city.to(at(12, 31))
    december = city.duty("monthly-summary", "2021-12")
    assert december.occurrence.due == date(2022, 1, 10)
    assert december.owing == (("gov-office", ""),)
    assert not december.is_due
    city.to(at(1, 11, year=2022))
    assert city.duty("monthly-summary", "2021-12").late == [("gov-office", "")]
    city.gd.submit("gov-office", "monthly-summary", city.file(), period="2021-12")
    december = city.duty("monthly-summary", "2021-12")
    assert december.filed_late == [("gov-office", "")]


def test_a_withdrawn_filing_is_owed_again_and_may_be_filed_anew(city: City) -> None:
    city.start("housing-1", "housing")
    city.to(at(3, 20))
    (event,) = city.progress("housing", "2021-03")
    city.gd.correct(event.seq, "误报", withdraw=True)
    assert city.duty("monthly-progress", "2021-03").rate == (0, 1)
    assert city.gd.snapshot().filings == ()
    city.progress("housing", "2021-03")
    assert city.duty("monthly-progress", "2021-03").rate == (1, 1)
    assert city.gd.verify().ok


def test_status_as_of_a_moment_replays_the_filings(city: City) -> None:
    city.start("housing-1", "housing")
    city.to(at(3, 20))
    city.progress("housing", "2021-03")
    city.to(at(3, 30))
    before = city.gd.status(at=at(3, 19))
    after = city.gd.status()
    march = lambda report: next(o for o in report["occurrences"] if o["period"] == "2021-03")  # noqa: E731
    assert (march(before)["filed"], march(after)["filed"]) == (0, 1)
    assert city.gd.status(unit="housing")["owed_occurrences"] == []


def _execute(location: str, sql: str) -> None:
    if location.startswith("postgresql"):
        engine = sa.create_engine(location)
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(sql)
        finally:
            engine.dispose()
    else:
        with sqlite3.connect(location) as conn:
            conn.execute(sql)


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        ("DELETE FROM report_filings", "在报送记录表中不存在"),
        (
            "UPDATE report_filings SET filed_at = '2021-03-01T09:00:00+08:00'",
            "报送时间（filed_at）",
        ),
        (
            "INSERT INTO report_filings VALUES ('city-tasks', 'monthly-progress', '2021-04', "
            "'transport', 'transport-1', 1, '2021-03-20T10:00:00+08:00')",
            "在留痕中没有报送事件",
        ),
    ],
)
def test_the_audit_finds_a_changed_filings_table(
    city: City, location: str, sql: str, words: str
) -> None:
    city.start("housing-1", "housing")
    city.to(at(3, 20))
    city.progress("housing", "2021-03")
    assert city.gd.verify().ok
    _execute(location, sql)
    report = city.gd.verify()
    assert not report.ok
    assert any(words in f for f in report.failures), report.failures


def test_a_party_not_named_is_refused_for_a_named_rule(city: City) -> None:
    city.to(at(4, 2))
    with pytest.raises(NotOwed, match="市政府办公室"):
        city.gd.submit("housing", "monthly-summary", city.file(), period="2021-03")
