"""The 汇总表 as files: CSV for other programs, xlsx ready to print.

CSV is written as UTF-8 with a byte-order mark so that Excel opens the Chinese text
correctly: one header row, then one row per point (no title or totals, so that it stays a
plain table to read by program), then an empty row and the rows saying which state of the
trail it was read from (``留痕链头``: seq, hash, time; ``检查点``: a signed checkpoint of
it, when one was made). They come last, where Excel shows a note under a table, rather than
as a comment line first, which Excel would take for the header row.

The xlsx workbook prints as the 汇总表 is filed: A4 landscape, fitted to one page wide; a
title row and a row with the programme and the 统计时间 above the header; the header rows
and the unit's columns (序号 to the item's title) frozen on screen and repeated on every printed page;
a totals row with each step's 上报率 below the points; page numbers in the footer. A second
sheet, 说明, says where the data came from (the chain's head in full, and the signed
checkpoint of it when one was made) and how to read the columns; the printed sheet stays
the table alone.

Every text cell, in both formats, goes through ``engine.views.cells.safe_cell_text``: no
cell is ever read as a formula, and control characters are shown as ``\\xNN``.
"""

from __future__ import annotations

import csv
import io
import os
from datetime import date
from pathlib import Path
from typing import Any

from engine.errors import OutputFileError, os_reason
from engine.refusals import MissingInput, UnknownFormat
from engine.views.cells import safe_cell_text
from engine.views.recurring import occurrence_table
from engine.views.summary import (
    NOT_YET_DUE,
    ON_TIME,
    STANDING,
    WAITING_EARLIER,
    rate_label,
    summary_table,
)
from engine.views.texttable import display_width

__all__ = [
    "CHECKPOINT_LABEL",
    "FROZEN_COLUMNS",
    "HEADER_ROW",
    "HEAD_LABEL",
    "check_summary_target",
    "summary_csv",
    "write_summary",
    "write_summary_xlsx",
    "write_text",
]

#: The first cells of the rows that name the chain's head and its signed checkpoint.
HEAD_LABEL = "留痕链头"
CHECKPOINT_LABEL = "检查点"
#: The header's row in the xlsx sheet (a title and a 统计时间 row come first).
HEADER_ROW = 3
#: The unit's columns, frozen and repeated on every printed page: 序号, 单位, 单位类别, 突破点.
FROZEN_COLUMNS = 4


def write_text(out: str | os.PathLike[str], data: str | bytes, encoding: str = "utf-8") -> None:
    path = Path(out)
    try:
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            with path.open("w", encoding=encoding, newline="") as handle:
                handle.write(data)
    except OSError as exc:
        raise OutputFileError(str(path), os_reason(exc)) from None


def _safe(value: Any) -> Any:
    return safe_cell_text(value) if isinstance(value, str) else value


def summary_csv(summary: dict[str, Any]) -> str:
    """The summary as CSV text, starting with a BOM (U+FEFF) so that Excel reads UTF-8."""
    head, rows = summary_table(summary)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_safe(h) for h in head])
    for row in rows:
        writer.writerow(
            ["" if v is None else v.isoformat() if isinstance(v, date) else _safe(v) for v in row]
        )
    if summary.get("occurrences"):
        writer.writerow([])
        more, extra = occurrence_table(summary["occurrences"])
        for line in [more, *extra]:
            writer.writerow([_safe(v) for v in line])
    writer.writerow([])
    for line in _provenance(summary):
        writer.writerow([_safe(v) for v in line])
    return "\ufeff" + buffer.getvalue()


def _numbered(summary: dict[str, Any]) -> str:
    """``粤经信技改〔2011〕333号，`` - the 发文字号 and a comma, or nothing when there is none."""
    return f"{summary['doc_number']}，" if summary.get("doc_number") else ""


def _titled(summary: dict[str, Any]) -> str:
    """The programme's title with its 发文字号 in brackets, when it has one."""
    number = summary.get("doc_number")
    return f"{summary['programme_title']}（{number}）" if number else summary["programme_title"]


def _provenance(summary: dict[str, Any]) -> list[list[Any]]:
    """The rows naming the chain's head the summary was read at, and its checkpoint."""
    head = summary["trail_head"]
    rows: list[list[Any]] = [
        [HEAD_LABEL, f"第 {head['seq']} 条", head["hash"], str(head.get("at") or "")[:19]]
    ]
    if head.get("checkpoint"):
        rows.append([CHECKPOINT_LABEL, f"第 {head['checkpoint_seq']} 条", head["checkpoint"]])
    elif head.get("unsigned"):
        rows.append([CHECKPOINT_LABEL, head["unsigned"]])
    return rows


def _moment(summary: dict[str, Any]) -> str:
    """The statistics time, with what the states shown are when they are not simply its."""
    moment = str(summary["now"])[:16].replace("T", " ")
    notes = []
    if summary.get("as_of"):
        notes.append("按留痕重放至该时刻的状态")
    for key in ("states_note", "definition_note"):
        if summary.get(key):
            notes.append(summary[key])
    return f"{moment}（{'；'.join(notes)}）" if notes else moment


def _totals_row(summary: dict[str, Any], width: int) -> list[Any]:
    counts = summary["counts"]
    row: list[Any] = [""] * width
    row[0] = "合计"
    row[3] = (
        f"{counts['points']} 个{summary['item']}，其中有逾期事项的 {counts['overdue_points']} 个"
    )
    column = 8 if summary.get("roles") else 7  # after 当前状态 (and 责任单位)
    for step in summary["steps"]:
        total = summary["totals"][step["step"]]
        row[column] = f"已报 {total['submitted']} / 应报 {total['owed']}"
        row[column + 1] = f"上报率 {rate_label(total['rate'])}，逾期 {total['late']}" + (
            f"，待决定 {total['waiting_decision']}" if total.get("waiting_decision") else ""
        )
        column += 2
    return row


def write_summary_xlsx(summary: dict[str, Any], out: str | os.PathLike[str]) -> None:
    """The summary as an xlsx workbook: sheet 汇总表 (the table) and 说明 (how to read it)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.page import PageMargins

    head, rows = summary_table(summary)
    # Step headers on two lines (document / what), so that date columns stay narrow.
    shown = list(head)
    for step in summary["steps"]:
        for what in ("报送日期", STANDING):
            shown[head.index(f"{step['document']}{what}")] = f"{step['document']}\n{what}"
    last = get_column_letter(len(head))
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "汇总表"
    sheet.append([_safe(f"{summary['title']}（{summary['year']}年）")])
    head_of = summary["trail_head"]
    sheet.append(
        [
            _safe(
                f"工作方案：{_titled(summary)}"
                f"　　统计时间：{_moment(summary)}"
                f"　　数据：留痕截至第 {head_of['seq']} 条"
            )
        ]
    )
    sheet.merge_cells(f"A1:{last}1")
    sheet.merge_cells(f"A2:{last}2")
    sheet["A1"].font = Font(bold=True, size=16)
    sheet["A1"].alignment = Alignment(horizontal="center", vertical="center")
    sheet["A2"].alignment = Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[1].height = 28
    sheet.append([_safe(h) for h in shown])
    sheet.row_dimensions[HEADER_ROW].height = 32
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    thin = Side(style="thin", color="A6A6A6")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    for cell in sheet[HEADER_ROW]:
        cell.font = bold
        cell.fill = fill
        cell.border = box
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    date_columns = {i for i, name in enumerate(head) if name.endswith("报送日期")}
    standing_columns = {i + 1 for i in date_columns}
    late_fill = PatternFill("solid", fgColor="FDE0E0")
    for row in rows:
        sheet.append([_safe(v) for v in row])
        for i, value in enumerate(row):
            cell = sheet.cell(row=sheet.max_row, column=i + 1)
            cell.border = box
            if i in date_columns and value is not None:
                cell.number_format = "yyyy-mm-dd"
            elif i in standing_columns and str(value).startswith("逾期"):
                cell.fill = late_fill
    first_data, last_data = HEADER_ROW + 1, HEADER_ROW + len(rows)
    sheet.append([_safe(v) for v in _totals_row(summary, len(head))])
    for cell in sheet[sheet.max_row]:
        cell.font = bold
        cell.fill = fill
        cell.border = box
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    # Widths: the widest cell of each column, East-Asian characters counted twice; dates are
    # shown as yyyy-mm-dd (10 columns).
    for i in range(len(head)):
        values = [
            "0000-00-00" if isinstance(r[i], date) else str(r[i] if r[i] is not None else "")
            for r in rows
        ]
        lines = [*shown[i].split("\n"), *values]
        widest = max(display_width(v) for v in lines)
        sheet.column_dimensions[get_column_letter(i + 1)].width = max(6, min(widest + 2, 60))
    # Frozen below the header and right of the point's name, so both stay in view.
    frozen = get_column_letter(FROZEN_COLUMNS + 1)
    sheet.freeze_panes = f"{frozen}{first_data}"
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{last}{max(HEADER_ROW, last_data)}"
    # Printed: A4 landscape, one page wide, as many pages down as it takes; the title, the
    # header and the unit's columns on every page.
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"1:{HEADER_ROW}"
    sheet.print_title_cols = f"A:{get_column_letter(FROZEN_COLUMNS)}"
    sheet.print_options.horizontalCentered = True
    sheet.page_margins = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"
    sheet.oddFooter.right.text = _safe(f"统计时间 {_moment(summary)}")

    if summary.get("occurrences"):
        recurring = workbook.create_sheet("周期性报送")
        more, extra = occurrence_table(summary["occurrences"])
        recurring.append([_safe(h) for h in more])
        for cell in recurring[1]:
            cell.font = bold
            cell.fill = fill
        for line in extra:
            recurring.append([_safe(v) for v in line])
        for i in range(len(more)):
            widest = max(display_width(str(r[i])) for r in [more, *extra])
            recurring.column_dimensions[get_column_letter(i + 1)].width = min(widest + 2, 60)
        recurring.freeze_panes = "A2"

    notes = workbook.create_sheet("说明")
    for line in _summary_notes(summary):
        notes.append([_safe(v) for v in line])
    notes["A1"].font = Font(bold=True, size=14)
    notes.column_dimensions["A"].width = 24
    notes.column_dimensions["B"].width = 80
    workbook.properties.title = summary["title"]
    workbook.properties.subject = safe_cell_text(_titled(summary))
    workbook.properties.creator = "docflow"
    try:
        workbook.save(os.fspath(out))
    except OSError as exc:
        raise OutputFileError(str(out), os_reason(exc)) from None


def _summary_notes(summary: dict[str, Any]) -> list[list[str]]:
    head = summary["trail_head"]
    item = summary["item"]
    lines = [
        [summary["title"]],
        [
            "工作方案",
            f"{summary['programme_title']}（{_numbered(summary)}{summary['year']} 年）",
        ],
        ["统计时间", _moment(summary)],
        [
            "数据来源",
            f"存储库 {summary['store']}，留痕截至第 {head['seq']} 条（哈希 {head['hash'][:16]}…）",
        ],
        *_provenance(summary),  # label, 第 N 条, hash (or the checkpoint's line), time
        [
            item,
            f"{summary['counts']['points']} 个，其中有逾期事项的 {summary['counts']['overdue_points']} 个",
        ],
        [],
        ["各事项期限"],
    ]
    lines += [
        [s["document"], f"{s['phrase']}，即 {s['due']}（{s['label']}）"] for s in summary["steps"]
    ]
    lines += [
        [],
        [
            "报送日期",
            "报送文件在留痕中的生效日期；被退回后以重新报送的日期为准，退回后尚未重新报送的为空",
        ],
        [
            STANDING,
            f"{ON_TIME}：在期限内报送；逾期N天：晚于期限N天报送，或期限已过N天仍未报送（报送日期为空）；"
            f"{NOT_YET_DUE}：尚未报送，期限未到；待…决定：{item}等待省里有关单位作出决定（如初步筛选、"
            f"审定），不计入本单位逾期，期限已过的为逾期待…决定；逾期N天（…报送）：由括号中的单位"
            f"报送（如检查组组长单位）；{WAITING_EARLIER}：须先由其他单位报送前一事项；"
            "空：不适用（未入选、已撤销等）",
        ],
        ["期限", f"按方案时限；经批准延期的{item}按延期后的期限（见备注）"],
        ["合计", f"应报：须报送该事项的{item}数；已报：其中已报送的；上报率 = 已报 / 应报"],
        [
            "文字",
            "以 = + - @ 或制表符、回车开头的文字前加英文单引号（'），不作公式；"
            "控制字符显示为 \\xNN",
        ],
    ]
    return lines


def check_summary_target(fmt: str, out: str | os.PathLike[str] | None) -> None:
    """Refuse a format the 汇总表 is not written in, or xlsx without a file, before any work."""
    if fmt not in ("csv", "xlsx"):
        raise UnknownFormat(fmt, ["csv", "xlsx"])
    if fmt == "xlsx" and out is None:
        raise MissingInput("out", "xlsx")


def write_summary(
    summary: dict[str, Any], fmt: str = "csv", out: str | os.PathLike[str] | None = None
) -> str | None:
    """Write a summary built by ``build_summary`` as csv or xlsx to ``out``; with csv and no
    ``out``, return the text instead."""
    check_summary_target(fmt, out)
    if fmt == "xlsx":
        assert out is not None  # checked above
        write_summary_xlsx(summary, out)
        return None
    text = summary_csv(summary)
    if out is None:
        return text
    write_text(out, text)
    return None
