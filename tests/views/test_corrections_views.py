"""Views follow corrections: status, the 汇总表 and the report's trail after a 撤回 or 更正."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.runtime.correcting import Corrections
from engine.runtime.trail import verify
from engine.views.report_run import RunInput, build_run
from engine.views.status import build_status
from tests.runtime.gd2011 import Year


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Year:
    """Approved points; 广州 filed the work plan of its two points on time (05-09)."""
    year = Year(tmp_path_factory.mktemp("template"))
    year.approved_spring()
    year.at("2011-05-09T10:00").submit("guangzhou", "work-plan")  # both its points
    year.close()
    return year


@pytest.fixture
def year(template: Year, tmp_path: Path) -> Iterator[Year]:
    with Year.copy_of(template, tmp_path / "store") as copy:
        copy.at("2011-05-12T09:00")
        yield copy


def plan_seq(year: Year) -> int:
    return next(e.seq for e in year.events("guangzhou-1") if e.trigger == "submit-plan")


def point(rows: list[dict[str, Any]], key: str, value: str) -> dict[str, Any]:
    return next(r for r in rows if r[key] == value)


def test_status_follows_a_withdrawn_submission(year: Year) -> None:
    before = year.app.status()
    Corrections(year.runtime).withdraw(plan_seq(year), "误录")
    after = year.app.status()
    gz = point(after["points"], "id", "guangzhou-1")
    assert (gz["state_label"], gz["next_step"], gz["due"], gz["colour"]) == (
        "已审定",
        "work-plan",
        "2011-05-10",
        "red",
    )
    rate = point(after["steps"], "step", "submit-plan")
    assert rate["reported"] == point(before["steps"], "step", "submit-plan")["reported"] - 1
    assert "guangzhou" in rate["missing"]


def test_the_summary_no_longer_counts_a_withdrawn_submission_on_time(year: Year) -> None:
    cell = point(year.app.summary()["points"], "point", "guangzhou-1")["steps"]["submit-plan"]
    assert (cell["submitted"], cell["verdict"]) == ("2011-05-09", "按时")
    submitted = year.app.summary()["totals"]["submit-plan"]["submitted"]
    Corrections(year.runtime).withdraw(plan_seq(year), "误录")
    summary = year.app.summary()
    cell = point(summary["points"], "point", "guangzhou-1")["steps"]["submit-plan"]
    assert (cell["submitted"], cell["verdict"]) == (None, "逾期2天")
    assert summary["totals"]["submit-plan"]["submitted"] == submitted - 1


def test_a_corrected_document_keeps_the_submission_date(year: Year) -> None:
    Corrections(year.runtime).amend(plan_seq(year), "报错了草稿", file=year.file("正式稿"))
    cell = point(year.app.summary()["points"], "point", "guangzhou-1")["steps"]["submit-plan"]
    assert (cell["submitted"], cell["verdict"]) == ("2011-05-09", "按时")


def test_the_reports_trail_shows_both_events_the_withdrawn_one_marked(year: Year) -> None:
    seq = plan_seq(year)
    event = Corrections(year.runtime).withdraw(seq, "误录")
    app = year.app
    snapshot = app.snapshot(with_events=True)
    moment = year.clock.now()
    run = build_run(
        year.definition,
        RunInput(
            snapshot,
            build_status(year.definition, snapshot, moment),
            None,
            verify(year.store),
            moment,
            "",
            year.documents,
        ),
    )
    rows = {e["seq"]: e for e in run.events}
    assert rows[seq]["corrected"] == f"（已于 2011-05-12 09:00 由第 {event.seq} 条撤回：误录）"
    assert f"已于 2011-05-12 09:00 由第 {event.seq} 条撤回：误录" in rows[seq]["details"]
    assert rows[event.seq]["what"] == "撤回记录"
    assert f"所撤回或更正的记录：第 {seq} 条" in rows[event.seq]["details"]
    assert rows[event.seq]["move"] == "工作方案已备案 → 已审定"
