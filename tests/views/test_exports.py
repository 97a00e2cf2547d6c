"""The summary table (CSV, xlsx) and the iCalendar export of the 2011 programme."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from icalendar import Calendar

from engine.app import Programme
from engine.clock import FixedClock
from engine.definition.loader import load_definition
from engine.errors import StoreError
from engine.refusals import NotRegistered, UnitHasNoSteps, UnknownUnit
from engine.runtime.store import open_store
from engine.views.calendar import calendar_rows
from engine.views.summary_files import HEADER_ROW
from tests.runtime.gd2011 import (
    EIC,
    POINT_COUNT,
    PROGRAMME_DIR,
    Year,
    example_ids,
    moment,
    run_cli,
)

NOW = moment("2011-05-20T12:00")
MINIMAL = Path(__file__).resolve().parents[1] / "definition" / "valid" / "minimal.yaml"


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Year]:
    """52 points enrolled and approved (jiangmen-2 screened out), then work plans in May:

    guangzhou on time; shenzhen late (shenzhen-1 returned and sent again); foshan-1 with an
    extension to 05-20, sent on 05-18; dongguan-1 withdrawn; guangzhou's measures in June.
    """
    y = Year(tmp_path_factory.mktemp("summary"))
    ids = example_ids()
    y.at("2011-03-02T09:00").submit(EIC, "call-for-points")
    y.at("2011-03-15T10:00").enrol_example()
    y.at("2011-04-06T10:00")
    y.decide("screen", [i for i in ids if i != "jiangmen-2"], reason="符合条件")
    y.decide("screen", ["jiangmen-2"], "reject", reason="与 jiangmen-1 重复")
    y.at("2011-04-20T10:00").decide("approve", y.points_in("screened"))
    y.at("2011-05-05T10:00").submit("foshan", "extension", ["foshan-1"])
    y.decide("extension", ["foshan-1"], reason="同意延期", until=date(2011, 5, 20))
    y.at("2011-05-09T10:00").submit("guangzhou", "work-plan")
    y.at("2011-05-12T10:00").submit("shenzhen", "work-plan")
    y.decide("work-plan", ["shenzhen-1"], "return", reason="缺少时间节点")
    y.at("2011-05-13T10:00").submit("shenzhen", "work-plan", ["shenzhen-1"])
    y.at("2011-05-18T10:00").submit("foshan", "work-plan", ["foshan-1"])
    y.decide("withdraw", ["dongguan-1"], reason="单位申请撤销")
    y.at("2011-05-20T12:00")
    try:
        yield y
    finally:
        y.close()


def export_summary(
    programme: Path,
    fmt: str = "csv",
    out: Path | None = None,
    *,
    db: str,
    now: datetime | None = None,
) -> str | None:
    """The 汇总表 through the application layer, as ``docflow export summary`` writes it."""
    clock = FixedClock(now) if now is not None else None
    with Programme.open(programme, db=db, clock=clock) as gd:
        return gd.export_summary(fmt, out)


def export_ical(
    programme: Path, unit: str | None = None, out: Path | None = None, *, now: datetime = NOW
) -> str:
    with Programme.open(programme, with_store=False, clock=FixedClock(now)) as gd:
        return gd.export_ical(unit, out)


@pytest.fixture(scope="module")
def summary(year: Year) -> dict[str, Any]:
    return Programme(year.definition, year.store, FixedClock(NOW)).summary()


def _point(summary: dict[str, Any], point: str) -> dict[str, Any]:
    return next(p for p in summary["points"] if p["point"] == point)


# --- the summary ---------------------------------------------------------------------------


def test_summary_has_every_enrolled_point_in_enrolment_order(summary: dict[str, Any]) -> None:
    assert [p["point"] for p in summary["points"]] == example_ids()
    assert [p["number"] for p in summary["points"]] == list(range(1, POINT_COUNT + 1))
    assert [s["step"] for s in summary["steps"]] == [
        "submit-plan",
        "report-measures",
        "report-progress",
        "inspect",
        "submit-summary",
    ]
    gz = _point(summary, "guangzhou-1")
    assert (gz["unit_name"], gz["unit_kind"], gz["unit_full_name"]) == (
        "广州市",
        "地级以上市",
        "广州市人民政府",
    )
    assert _point(summary, "ndrc-1")["unit_kind"] == "省直部门"


def test_submission_dates_and_overdue_flags(summary: dict[str, Any]) -> None:
    plan = "submit-plan"
    on_time = _point(summary, "guangzhou-1")["steps"][plan]
    assert (on_time["submitted"], on_time["overdue"]) == ("2011-05-09", False)
    late = _point(summary, "shenzhen-2")["steps"][plan]
    assert (late["submitted"], late["overdue"]) == ("2011-05-12", True)
    # Not sent by 05-20, due 05-10: overdue; the next step is not due yet.
    unsent = _point(summary, "zhuhai-1")["steps"]
    assert (unsent[plan]["submitted"], unsent[plan]["overdue"]) == (None, True)
    assert unsent["report-measures"]["overdue"] is False


def test_a_returned_submission_counts_from_the_new_one(summary: dict[str, Any]) -> None:
    point = _point(summary, "shenzhen-1")
    cell = point["steps"]["submit-plan"]
    assert cell["submitted"] == "2011-05-13"
    assert cell["returned"] == ["2011-05-12"]
    assert cell["overdue"] is True
    assert "2011-05-12 退回，已重新报送" in point["remarks"]


def test_a_granted_extension_moves_the_point_s_due_day(summary: dict[str, Any]) -> None:
    point = _point(summary, "foshan-1")
    cell = point["steps"]["submit-plan"]
    assert (cell["submitted"], cell["due"], cell["extended"]) == ("2011-05-18", "2011-05-20", True)
    assert cell["overdue"] is False
    assert "延至 2011-05-20" in point["remarks"]
    # The other point of the unit keeps the programme's due day.
    assert _point(summary, "foshan-2")["steps"]["submit-plan"]["overdue"] is True


def test_withdrawn_and_not_selected_points_are_shown_without_flags(
    summary: dict[str, Any],
) -> None:
    withdrawn = _point(summary, "dongguan-1")
    assert withdrawn["state_label"] == "已撤销"
    assert all(c["overdue"] is None for c in withdrawn["steps"].values())
    assert "单位申请撤销" in withdrawn["remarks"]
    rejected = _point(summary, "jiangmen-2")
    assert rejected["state_label"] == "未入选"
    assert all(c["overdue"] is None for c in rejected["steps"].values())
    assert "与 jiangmen-1 重复" in rejected["remarks"]


# --- files ---------------------------------------------------------------------------------


def test_xlsx_holds_every_point_with_a_frozen_bold_header(year: Year, tmp_path: Path) -> None:
    out = tmp_path / "汇总表.xlsx"
    assert export_summary(PROGRAMME_DIR, "xlsx", out, db=str(year.db), now=NOW) is None
    workbook = openpyxl.load_workbook(out)
    sheet = workbook["汇总表"]
    # A title row and a 统计时间 row, the header, the points, the totals row.
    assert sheet.max_row == HEADER_ROW + POINT_COUNT + 1
    header = [c.value for c in sheet[HEADER_ROW]]
    assert header[:7] == ["序号", "单位", "单位类别", "突破点", "编号", "负责单位", "当前状态"]
    assert all(c.font.bold for c in sheet[HEADER_ROW])
    assert sheet.freeze_panes == f"E{HEADER_ROW + 1}"
    first, last = HEADER_ROW + 1, HEADER_ROW + POINT_COUNT
    ids = [sheet.cell(row=r, column=5).value for r in range(first, last + 1)]
    assert ids == example_ids()
    default = openpyxl.Workbook().active.column_dimensions["A"].width  # type: ignore[union-attr]
    for column, name in (("B", "单位"), ("D", "突破点"), ("F", "负责单位")):
        assert sheet[f"{column}{HEADER_ROW}"].value == name
        assert sheet.column_dimensions[column].width > default
    # The widest unit name, 省人力资源和社会保障厅, is 11 wide characters: 22 columns or more.
    assert sheet.column_dimensions["B"].width >= 22
    plan_date = header.index("突破点工作方案\n报送日期") + 1
    row = ids.index("guangzhou-1") + first
    cell = sheet.cell(row=row, column=plan_date)
    assert isinstance(cell.value, datetime)
    assert cell.value.date() == date(2011, 5, 9)
    assert cell.number_format == "yyyy-mm-dd"
    assert sheet.cell(row=row, column=plan_date + 1).value == "按时"
    assert "说明" in workbook.sheetnames


def test_csv_has_a_bom_and_parses(year: Year, tmp_path: Path) -> None:
    text = export_summary(PROGRAMME_DIR, "csv", None, db=str(year.db), now=NOW)
    assert text is not None
    assert text.startswith("\ufeff")
    out = tmp_path / "summary.csv"
    assert export_summary(PROGRAMME_DIR, "csv", out, db=str(year.db), now=NOW) is None
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert len(rows) == POINT_COUNT + 3  # the header, the points, an empty row, the trail's head
    head = rows[0]
    assert head[0] == "序号"
    assert head[-1] == "备注"
    assert rows[POINT_COUNT + 1] == []
    assert rows[-1][0] == "留痕链头"
    points = rows[1 : POINT_COUNT + 1]
    by_id = {r[head.index("编号")]: dict(zip(head, r, strict=True)) for r in points}
    assert set(by_id) == set(example_ids())
    assert by_id["shenzhen-2"]["突破点工作方案报送日期"] == "2011-05-12"
    assert by_id["shenzhen-2"]["突破点工作方案按期情况"] == "逾期2天"
    assert by_id["guangzhou-1"]["突破点工作方案按期情况"] == "按时"
    assert by_id["dongguan-1"]["突破点工作方案按期情况"] == ""


def test_cli_writes_csv_to_stdout(year: Year) -> None:
    env = {"DOCFLOW_DB": str(year.db), "DOCFLOW_NOW": "2011-05-20T12:00"}
    result = run_cli(["export", "summary", str(PROGRAMME_DIR)], env)
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout.lstrip("\ufeff"))))
    assert len(rows) == POINT_COUNT + 3


def test_cli_requires_out_for_xlsx(year: Year) -> None:
    result = run_cli(
        ["export", "summary", str(PROGRAMME_DIR), "--format", "xlsx"], {"DOCFLOW_DB": str(year.db)}
    )
    assert result.exit_code == 2


def test_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="不存在"):
        export_summary(PROGRAMME_DIR, "csv", db=str(tmp_path / "none.db"))


def test_unregistered_programme_is_a_clear_error(year: Year) -> None:
    with pytest.raises(NotRegistered) as refused:
        export_summary(MINIMAL, "csv", db=str(year.db))
    assert refused.value.programme == "mini"


def test_unregistered_store_is_not_written(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    open_store(db).close()
    with pytest.raises(NotRegistered) as refused:
        export_summary(PROGRAMME_DIR, "csv", db=str(db))
    assert refused.value.programme == "gd-2011"


def test_bad_docflow_now_is_a_usage_error(year: Year) -> None:
    result = run_cli(
        ["export", "summary", str(PROGRAMME_DIR)],
        {"DOCFLOW_DB": str(year.db), "DOCFLOW_NOW": "五月"},
    )
    assert result.exit_code == 2
    assert "DOCFLOW_NOW 的值无效" in result.stderr


# --- iCalendar -----------------------------------------------------------------------------


def _events(text: str) -> dict[str, Any]:
    calendar = Calendar.from_ical(text)
    return {str(e["uid"]): e for e in calendar.walk("VEVENT")}


def test_ical_has_one_all_day_event_per_deadline(tmp_path: Path) -> None:
    out = tmp_path / "gd-2011.ics"
    text = export_ical(PROGRAMME_DIR, out=out, now=NOW)
    assert out.read_bytes().decode("utf-8") == text
    calendar = Calendar.from_ical(text)
    assert str(calendar["calscale"]) == "GREGORIAN"
    assert "2011" in str(calendar["x-wr-calname"])
    rows, _ = calendar_rows(load_definition(PROGRAMME_DIR))
    events = _events(text)
    assert len(events) == len(rows) == 12
    assert set(events) == {f"gd-2011-{r['step']}@docflow" for r in rows}
    plan = events["gd-2011-submit-plan@docflow"]
    assert plan.decoded("dtstart") == date(2011, 5, 10)
    assert plan.decoded("dtend") == date(2011, 5, 11)
    assert str(plan["summary"]) == "【截止】报送突破点工作方案"
    description = str(plan["description"])
    assert "5月10日前" in description
    assert "通知正文" in description
    assert "于5月10日前报省经济和信息化委、科技厅" in description
    assert events["gd-2011-meeting@docflow"].decoded("dtstart") == date(2011, 12, 31)
    for event in events.values():
        alarms = event.walk("VALARM")
        assert alarms, event["uid"]
        # Relative to 00:00 of the due day: at the latest on the due day itself.
        assert all(a.decoded("trigger") < timedelta(days=1) for a in alarms)


def test_ical_alarms_follow_the_reminder_policy() -> None:
    events = _events(export_ical(PROGRAMME_DIR, now=NOW))
    # standard: 5 and 2 working days before and the day itself, at 9:00. Due 2011-05-10 (Tue):
    # 5 working days before is 05-03 (05-02 was a holiday), 2 before is 05-06.
    triggers = sorted(
        a.decoded("trigger") for a in events["gd-2011-submit-plan@docflow"].walk("VALARM")
    )
    due = datetime(2011, 5, 10)
    assert [(due + t).strftime("%m-%d %H:%M") for t in triggers] == [
        "05-03 09:00",
        "05-06 09:00",
        "05-10 09:00",
    ]


def test_ical_uids_are_stable() -> None:
    first = _events(export_ical(PROGRAMME_DIR, now=NOW))
    second = _events(export_ical(PROGRAMME_DIR, now=moment("2011-06-01T08:00")))
    assert set(first) == set(second)


@pytest.mark.parametrize(
    ("unit", "steps"),
    [
        (
            "guangzhou",
            {"proposals", "submit-plan", "report-measures", "report-progress", "submit-summary"},
        ),
        (
            "eic",
            {
                "call-for-points",
                "proposals",
                "submit-plan",
                "report-measures",
                "report-progress",
                "aggregate-progress",
                "inspect",
                "aggregate-inspection",
                "submit-summary",
                "province-report",
            },
        ),
        ("general-office", {"inspection-notice", "meeting"}),
        (
            "land",
            {
                "proposals",
                "submit-plan",
                "report-measures",
                "report-progress",
                "inspect",
                "submit-summary",
            },
        ),
    ],
)
def test_ical_for_one_unit(unit: str, steps: set[str]) -> None:
    events = _events(export_ical(PROGRAMME_DIR, unit=unit, now=NOW))
    assert set(events) == {f"gd-2011-{s}@docflow" for s in steps}


def test_ical_unknown_unit_is_refused() -> None:
    with pytest.raises(UnknownUnit) as unknown:
        export_ical(PROGRAMME_DIR, unit="nowhere")
    assert unknown.value.unit == "nowhere"
    with pytest.raises(UnitHasNoSteps) as idle:
        export_ical(PROGRAMME_DIR, unit="provincial-committee")
    assert idle.value.unit == "provincial-committee"


def test_cli_exports_ical(tmp_path: Path) -> None:
    out = tmp_path / "gz.ics"
    result = run_cli(
        ["export", "ical", str(PROGRAMME_DIR), "--unit", "guangzhou", "--out", str(out)], {}
    )
    assert result.exit_code == 0, result.stderr
    assert len(_events(out.read_text(encoding="utf-8"))) == 5
    result = run_cli(["export", "ical", str(PROGRAMME_DIR), "--unit", "nowhere"], {})
    assert result.exit_code == 1
    assert "未定义的单位" in result.stderr
