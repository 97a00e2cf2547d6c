"""``docflow calendar``: every deadline of the 2011 programme resolved to its 2011 dates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from engine.cli import cli
from engine.definition.loader import load_definition
from engine.errors import DefinitionError

REPO = Path(__file__).resolve().parents[2]
GD2011 = REPO / "workflows" / "gd-2011"
MINIMAL = Path(__file__).parent / "valid" / "minimal.yaml"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["calendar", *args])


def rows_of(*args: str) -> dict[str, dict[str, Any]]:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    by_step = {row["step"]: row for row in rows}
    assert len(by_step) == len(rows)
    return by_step


@pytest.fixture(scope="module")
def rows2011() -> dict[str, dict[str, Any]]:
    return rows_of(str(GD2011))


def test_every_deadline_is_listed(rows2011: dict[str, dict[str, Any]]) -> None:
    definition = load_definition(GD2011)
    with_deadline = {s.id for s in definition.index.steps() if s.deadline is not None}
    assert set(rows2011) == with_deadline
    assert len(rows2011) == 12


def test_rows_are_in_order_of_due_day() -> None:
    result = run(str(GD2011), "--json")
    dues = [row["due"] for row in json.loads(result.stdout)]
    assert dues == sorted(dues)


def test_2011_has_no_calendar_notes() -> None:
    result = run(str(GD2011), "--json")
    assert result.stderr == ""


def test_work_plans_are_due_on_10_may_with_the_original_phrase_kept(
    rows2011: dict[str, dict[str, Any]],
) -> None:
    plan = rows2011["submit-plan"]
    assert plan["phrase"] == "5月10日前"
    assert plan["due"] == "2011-05-10"
    assert plan["original_phrase"] == "4月底"
    assert plan["original_due"] == "2011-04-30"
    assert plan["is_working_day"] is True
    assert plan["document"] == "cover"  # the governing source is the later cover notice


def test_progress_reports_window_is_11_to_20_september(
    rows2011: dict[str, dict[str, Any]],
) -> None:
    progress = rows2011["report-progress"]
    assert (progress["first"], progress["due"]) == ("2011-09-11", "2011-09-20")
    assert progress["original_phrase"] is None


def test_inspections_start_on_the_first_working_day_after_national_day(
    rows2011: dict[str, dict[str, Any]],
) -> None:
    inspect = rows2011["inspect"]
    assert inspect["first"] == "2011-10-08"  # a 调休 Saturday
    assert inspect["due"] == "2011-10-31"
    notice = rows2011["inspection-notice"]
    assert notice["first"] == "2011-10-08"


def test_the_meeting_is_due_on_31_december_a_working_saturday(
    rows2011: dict[str, dict[str, Any]],
) -> None:
    meeting = rows2011["meeting"]
    assert meeting["due"] == "2011-12-31"
    assert meeting["weekday"] == "星期六"
    assert meeting["is_working_day"] is True
    assert meeting["last_working_day"] == "2011-12-31"


def test_other_2011_dates(rows2011: dict[str, dict[str, Any]]) -> None:
    assert rows2011["call-for-points"]["due"] == "2011-03-05"
    assert rows2011["call-for-points"]["is_working_day"] is False
    assert rows2011["call-for-points"]["last_working_day"] == "2011-03-04"
    assert rows2011["proposals"]["due"] == "2011-03-20"
    assert rows2011["report-measures"]["due"] == "2011-06-30"
    assert rows2011["aggregate-progress"]["due"] == "2011-09-30"
    assert rows2011["submit-summary"]["due"] == "2011-11-30"


def test_the_table_shows_the_amended_phrase_and_its_original() -> None:
    result = run(str(GD2011))
    assert result.exit_code == 0, result.output
    assert "粤经信技改〔2011〕333号" in result.stdout
    assert "2011 年时限表" in result.stdout
    assert "5月10日前（原定4月底）" in result.stdout
    assert "2011-12-31" in result.stdout


def test_year_2012_uses_2012_holidays() -> None:
    rows = rows_of(str(GD2011), "--year", "2012")
    measures = rows["report-measures"]
    assert measures["due"] == "2012-06-30"
    assert measures["weekday"] == "星期六"
    assert measures["is_working_day"] is False
    assert measures["last_working_day"] == "2012-06-29"
    # 2012: 中秋 and 国庆 ran together, 09-30..10-07.
    assert rows["inspect"]["first"] == "2012-10-08"
    assert rows["aggregate-progress"]["is_working_day"] is False  # 09-30, inside the holiday
    # 2012-04-30 was inside 劳动节 (04-29..05-01).
    assert rows["submit-plan"]["original_due"] == "2012-04-30"
    assert rows["meeting"]["due"] == "2012-12-31"
    assert rows["meeting"]["weekday"] == "星期一"


def test_year_2027_without_holiday_data_fails_plainly() -> None:
    # 国庆节后 needs the dates of the holiday; chinesecalendar has none for 2027.
    result = run(str(GD2011), "--year", "2027", "--json")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert "没有 2027 年的节假日数据" in result.stderr
    assert "国庆节" in result.stderr
    assert "calendar.holidays" in result.stderr


def test_year_without_holiday_data_but_no_holiday_phrase_warns_and_works() -> None:
    result = run(str(MINIMAL), "--year", "2027", "--json")
    assert result.exit_code == 0, result.output
    assert "节假日数据不含 2027 年" in result.stderr
    rows = {row["step"]: row for row in json.loads(result.stdout)}
    assert rows["submit-report"]["due"] == "2027-05-10"


def test_calendar_of_an_invalid_programme_fails_with_its_diagnostics() -> None:
    path = Path(__file__).parent / "invalid" / "state-undefined-source.yaml"
    result = run(str(path))
    assert result.exit_code == DefinitionError.exit_code
    assert "Traceback" not in result.output
    assert f"{path}:" in result.output


def test_year_outside_the_accepted_range_is_a_usage_error() -> None:
    result = run(str(GD2011), "--year", "1999")
    assert result.exit_code == 2
