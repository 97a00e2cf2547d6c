"""Recurring reports in the views: status, the 汇总表 (CSV, xlsx), iCalendar, the report."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from engine.views.diagram import Diagram
from engine.views.exports import build_ical, summary_csv, write_summary_xlsx
from engine.views.report import build_report, render_html
from engine.views.report_run import RunInput
from engine.views.status import build_status, render_status
from tests.runtime.test_recurring import City, at


@pytest.fixture
def april(tmp_path: Path) -> City:
    """housing-1 under way since January, March filed, April not; 04-30."""
    city = City(str(tmp_path / "docflow.db"), tmp_path)
    city.start("housing-1", "housing")
    city.to(at(3, 20))
    city.progress("housing", "2021-03")
    city.to(at(4, 30))
    return city


def test_status_shows_each_occurrence_and_what_a_unit_owes(april: City) -> None:
    text = render_status(april.gd.status())
    assert "报送任务推进情况 2021年3月（期限 2021年3月28日）：1/1，100%" in text
    assert "报送任务推进情况 2021年4月（期限 2021年4月28日）：0/1，0%；缺报：市住建局" in text
    assert (
        "逾期未报 市住建局：报送任务推进情况 2021年4月（期限 2021年4月28日），1 个任务：housing-1"
        in text
    )
    mine = april.gd.status(unit="housing")
    assert [(o["period"], o["status"]) for o in mine["owed_occurrences"]] == [("2021-04", "late")]
    assert april.gd.status(unit="transport")["owed_occurrences"] == []
    april.gd.close()


def test_the_summary_lists_rates_and_missing_units(april: City, tmp_path: Path) -> None:
    summary = april.gd.summary()
    lines = summary_csv(summary).splitlines()
    assert "报送事项,报送期,期限,应报,已报,上报率,其中逾期报送,缺报单位" in lines
    assert "报送任务推进情况,2021年4月,2021年4月28日,1,0,0.0%,0,市住建局" in lines
    write_summary_xlsx(summary, tmp_path / "s.xlsx")
    sheet = load_workbook(tmp_path / "s.xlsx")["周期性报送"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[1][:6] == ["报送任务推进情况", "2021年3月", "2021年3月28日", 1, 1, "100.0%"]
    april.gd.close()


def test_the_calendar_has_one_event_per_occurrence_for_a_unit(april: City) -> None:
    definition = april.gd.definition
    text = build_ical(definition, at(4, 30), "housing")
    assert text.count("SUMMARY:【截止】报送任务推进情况（") == 10
    assert "UID:city-tasks-monthly-progress-2021-03@docflow" in text
    assert "月度汇总" not in text  # the office's, not housing's
    office = build_ical(definition, at(4, 30), "gov-office")
    assert "DTSTART;VALUE=DATE:20220110" in office  # December's summary, due next January
    april.gd.close()


def test_the_report_shows_the_occurrences_and_late_units(april: City) -> None:
    gd = april.gd
    moment = at(4, 30)
    status = build_status(gd.definition, gd.snapshot(with_events=True), moment)
    run = RunInput(gd.snapshot(with_events=True), status, None, gd.verify(), moment, "测试")
    html = render_html(build_report(gd.definition, run=run, diagram=Diagram("", None, "未绘制")))
    assert "周期性报送（各期上报率）" in html
    assert 'data-rule="monthly-progress" data-period="2021-04"' in html
    assert "报送任务推进情况（2021年4月，期限 2021年4月28日）未报" in html
    gd.close()
