"""The 汇总表 ready to print and safe to open: page setup, standing of each step, totals,
cells that a spreadsheet would read as formulas, characters xlsx cannot hold, ``--now``."""

from __future__ import annotations

import copy
import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from engine.app import Programme
from engine.clock import FixedClock
from engine.views.cells import safe_cell_text
from engine.views.summary import summary_table
from engine.views.summary_files import HEADER_ROW, summary_csv, write_summary_xlsx
from tests.runtime.gd2011 import EIC, POINT_COUNT, PROGRAMME_DIR, Year, example_ids, moment, run_cli

NOW = moment("2011-05-20T12:00")


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Year]:
    """Approved points; guangzhou's plan on time (05-09), 汕尾's three days late (05-13)."""
    y = Year(tmp_path_factory.mktemp("print"))
    ids = example_ids()
    y.at("2011-03-02T09:00").submit(EIC, "call-for-points")
    y.at("2011-03-15T10:00").enrol_example()
    y.at("2011-04-06T10:00").decide("screen", ids, reason="符合条件")
    y.at("2011-04-20T10:00").decide("approve", y.points_in("screened"))
    y.at("2011-05-09T10:00").submit("guangzhou", "work-plan")
    y.at("2011-05-13T10:00").submit("shanwei", "work-plan")
    y.at("2011-05-18T10:00").decide("withdraw", ["dongguan-1"], reason="单位申请撤销")
    try:
        yield y
    finally:
        y.close()


@pytest.fixture(scope="module")
def summary(year: Year) -> dict[str, Any]:
    return Programme(year.definition, year.store, FixedClock(NOW)).summary()


@pytest.fixture(scope="module")
def sheet(summary: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("xlsx") / "汇总表.xlsx"
    write_summary_xlsx(summary, out)
    return openpyxl.load_workbook(out)["汇总表"]


def _cell(summary: dict[str, Any], point: str, step: str = "submit-plan") -> dict[str, Any]:
    row = next(p for p in summary["points"] if p["point"] == point)
    cell: dict[str, Any] = row["steps"][step]
    return cell


def _with_title(summary: dict[str, Any], title: str) -> dict[str, Any]:
    changed = copy.deepcopy(summary)
    changed["points"][0]["title"] = title
    return changed


# --- what each step says ---------------------------------------------------------------------


def test_a_submission_after_its_due_day_says_how_many_days_late(summary: dict[str, Any]) -> None:
    late = _cell(summary, "shanwei-1")
    assert (late["submitted"], late["due"], late["days_late"]) == ("2011-05-13", "2011-05-10", 3)
    assert late["verdict"] == "逾期3天"


def test_an_on_time_submission_says_on_time(summary: dict[str, Any]) -> None:
    assert _cell(summary, "guangzhou-1")["verdict"] == "按时"


def test_a_missing_submission_past_its_due_day_counts_the_days_to_now(
    summary: dict[str, Any],
) -> None:
    unsent = _cell(summary, "zhuhai-1")
    assert unsent["submitted"] is None
    assert unsent["verdict"] == "逾期10天"  # due 05-10, judged on 05-20


def test_a_step_not_yet_due_says_so_and_one_not_owed_says_nothing(
    summary: dict[str, Any],
) -> None:
    assert _cell(summary, "zhuhai-1", "report-measures")["verdict"] == "未到期"
    assert _cell(summary, "dongguan-1")["verdict"] == ""


def test_totals_give_each_step_s_reporting_rate(summary: dict[str, Any]) -> None:
    plan = summary["totals"]["submit-plan"]
    assert plan["owed"] == POINT_COUNT - 1  # all but the withdrawn dongguan-1
    assert plan["submitted"] == 3  # guangzhou's two points and shanwei's
    assert plan["late_submitted"] == 1
    assert plan["rate"] == round(3 / (POINT_COUNT - 1), 4)


# --- the printed page ------------------------------------------------------------------------


def test_the_sheet_prints_on_a4_landscape_one_page_wide(sheet: Any) -> None:
    setup = sheet.page_setup
    assert setup.orientation == "landscape"
    assert int(setup.paperSize) == 9  # A4 in the OOXML paper-size table
    assert int(setup.fitToWidth) == 1
    assert int(setup.fitToHeight) == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True


def test_the_header_and_the_unit_columns_repeat_on_every_printed_page(sheet: Any) -> None:
    assert sheet.print_title_rows == f"$1:${HEADER_ROW}"
    assert sheet.print_title_cols == "$A:$D"
    assert sheet.freeze_panes == f"E{HEADER_ROW + 1}"
    assert "&P" in sheet.oddFooter.center.text


def test_the_sheet_has_a_title_row_with_the_programme_and_the_time_counted(sheet: Any) -> None:
    assert "全省产业转型升级突破点汇总表" in sheet["A1"].value
    assert "统计时间：2011-05-20 12:00" in sheet["A2"].value
    assert "全省产业转型升级突破点工作方案" in sheet["A2"].value
    assert "A1" in {str(r).split(":")[0] for r in sheet.merged_cells.ranges}


def test_the_sheet_ends_with_a_totals_row(sheet: Any, summary: dict[str, Any]) -> None:
    last = sheet.max_row
    assert sheet.cell(row=last, column=1).value == "合计"
    header = [c.value for c in sheet[HEADER_ROW]]
    plan = header.index("突破点工作方案\n报送日期") + 1
    owed = POINT_COUNT - 1
    assert sheet.cell(row=last, column=plan).value == f"已报 3 / 应报 {owed}"
    rate = f"{3 / owed * 100:.0f}%"
    assert sheet.cell(row=last, column=plan + 1).value == f"上报率 {rate}，逾期 {owed - 2}"
    standing = [sheet.cell(row=r, column=plan + 1).value for r in range(HEADER_ROW + 1, last)]
    assert "逾期3天" in standing
    assert not {"是", "否"} & set(standing)


# --- cells that must not become formulas or break the file ------------------------------------


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_text_starting_like_a_formula_gets_an_apostrophe(start: str) -> None:
    assert safe_cell_text(f"{start}1+1") == f"'{start}1+1"
    assert safe_cell_text("汽车1+1") == "汽车1+1"


def test_a_formula_title_is_text_in_xlsx(summary: dict[str, Any], tmp_path: Path) -> None:
    title = '=HYPERLINK("http://example.com","点击")'
    out = tmp_path / "x.xlsx"
    write_summary_xlsx(_with_title(summary, title), out)
    cell = openpyxl.load_workbook(out)["汇总表"].cell(row=HEADER_ROW + 1, column=4)
    assert cell.data_type == "s"
    assert cell.value == "'" + title


def test_a_formula_title_is_neutralised_in_csv(summary: dict[str, Any]) -> None:
    text = summary_csv(_with_title(summary, "@SUM(1+1)*cmd|' /C calc'!A0"))
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[1][3] == "'@SUM(1+1)*cmd|' /C calc'!A0"


def test_control_characters_are_shown_escaped_instead_of_failing(
    summary: dict[str, Any], tmp_path: Path
) -> None:
    changed = _with_title(summary, "汽车\x1b]0;pwned\x07产业\x00")
    out = tmp_path / "x.xlsx"
    write_summary_xlsx(changed, out)
    cell = openpyxl.load_workbook(out)["汇总表"].cell(row=HEADER_ROW + 1, column=4)
    assert cell.value == "汽车\\x1b]0;pwned\\x07产业\\x00"
    assert "\x1b" not in summary_csv(changed)
    head, _rows = summary_table(changed)
    assert head[3] == "突破点"


# --- the command ---------------------------------------------------------------------------


def test_export_summary_now_judges_at_the_given_time(year: Year) -> None:
    args = ["export", "summary", str(PROGRAMME_DIR), "--now", "2011-05-12T12:00"]
    result = run_cli(args, {"DOCFLOW_DB": str(year.db), "DOCFLOW_NOW": ""})
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout.lstrip("\ufeff"))))
    head = rows[0]
    points = rows[1 : rows.index([])]  # the trail's head follows an empty row
    by_id = {r[head.index("编号")]: dict(zip(head, r, strict=True)) for r in points}
    assert by_id["zhuhai-1"]["突破点工作方案按期情况"] == "逾期2天"
    # Due 05-10, nothing submitted: two days late on 05-12, however late the export is run.
    bad = run_cli([*args[:3], "--now", "五月"], {"DOCFLOW_DB": str(year.db)})
    assert bad.exit_code == 2
    assert "--now 的值无效" in bad.stderr
