"""What auditors and next year's administrators take away: the summary table and a calendar.

``export_summary`` writes the 《全省产业转型升级突破点汇总表》 (the notice's attachment, "略" in
the published text) from the store: one row per enrolled point with its unit, state and, for
each document step, the date the submission took effect and whether it was late. CSV is
written as UTF-8 with a byte-order mark so that Excel opens the Chinese text correctly; xlsx
has a bold, frozen header, widths fitted to Chinese text and dates stored as dates.

``export_ical`` writes every deadline of the programme for its year (the rows of
``docflow calendar``) as an RFC 5545 iCalendar file, optionally only the steps one unit
takes part in.
"""

from __future__ import annotations

import csv
import io
import os
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from engine.definition.deadlines import DeadlineResolver
from engine.definition.index import ProgrammeIndex, Step
from engine.definition.labels import BODY_KIND_LABELS as KIND_LABELS
from engine.definition.loader import Definition
from engine.definition.schema import INSPECTOR, OWNER
from engine.errors import DocflowError, Refused, os_reason
from engine.runtime.progress import ProgressView
from engine.runtime.snapshot import Snapshot
from engine.runtime.store import EventRow, PointRow
from engine.views.calendar import calendar_rows
from engine.views.texttable import display_width as _display_width
from engine.views.wording import actor_label, ids_label, source_document_label, weekday

__all__ = [
    "KIND_LABELS",
    "SUMMARY_TITLE",
    "build_ical",
    "build_summary",
    "summary_csv",
    "summary_table",
    "write_summary",
    "write_summary_xlsx",
    "write_text",
]

SUMMARY_TITLE = "全省产业转型升级突破点汇总表"


_YES, _NO = "是", "否"


def write_text(out: str | os.PathLike[str], data: str | bytes, encoding: str = "utf-8") -> None:
    path = Path(out)
    try:
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            with path.open("w", encoding=encoding, newline="") as handle:
                handle.write(data)
    except OSError as exc:
        raise DocflowError(f"无法写入 {path}：{os_reason(exc)}") from None


# --- the summary table ---------------------------------------------------------------------


def build_summary(definition: Definition, snapshot: Snapshot, now: datetime) -> dict[str, Any]:
    """Every enrolled point with its state and, per document step, submission and lateness.

    The submission date of a step is the effective date of the latest submission event of
    the point for that step; a later 退回 (a ``return`` decision of the same task) cancels it
    until the unit submits again. A step is late (逾期) when it was submitted after its due
    day - the point's own due day when an extension was granted - or when it has not been
    submitted, the point still owes it and the due day has passed by ``now``.
    """
    view = ProgressView.of(definition)
    today = view.local_date(now)
    points = snapshot.points
    events = snapshot.trail
    overrides = snapshot.overrides
    head_seq, head_hash = snapshot.head
    by_point: dict[str, list[EventRow]] = defaultdict(list)
    for event in events:
        if event.point_id is not None:
            by_point[event.point_id].append(event)
    steps = view.steps
    done_somewhere = set().union(*view.done_states.values()) if steps else set()
    rows = []
    for number, point in enumerate(points, 1):
        rows.append(
            _summary_row(
                number,
                point,
                by_point.get(point.point_id, []),
                overrides,
                view,
                today,
                done_somewhere,
            )
        )
    header = definition.programme.programme
    return {
        "title": SUMMARY_TITLE,
        "programme": definition.id,
        "programme_title": header.title,
        "doc_number": header.doc_number,
        "year": header.year,
        "now": now.isoformat(),
        "today": today.isoformat(),
        "store": snapshot.location,
        "trail_head": {"seq": head_seq, "hash": head_hash},
        "steps": [
            {
                "step": t.trigger,
                "label": t.label,
                "document": t.document or t.label,
                "phrase": t.deadline.governing_phrase if t.deadline else None,
                "due": view.deadlines[t.trigger].due.isoformat(),
            }
            for t in steps
        ],
        "points": rows,
        "counts": {
            "points": len(rows),
            "overdue_points": sum(
                1 for r in rows if any(s["overdue"] for s in r["steps"].values())
            ),
        },
    }


def _summary_row(
    number: int,
    point: PointRow,
    events: list[EventRow],
    overrides: Mapping[tuple[str, str], date],
    view: ProgressView,
    today: date,
    done_somewhere: set[str],
) -> dict[str, Any]:
    index = view.index
    steps = view.steps
    by_task: dict[str, list[str]] = defaultdict(list)
    for step in steps:
        by_task[step.task_id].append(step.trigger)
    submitted: dict[str, date | None] = {}
    returns: dict[str, list[date]] = defaultdict(list)
    last_into_state: EventRow | None = None
    for event in events:
        if event.dest_state == point.state and event.source_state != point.state:
            last_into_state = event
        fired = index.transitions.get(event.trigger)
        if fired is None:
            continue
        day = view.local_date(datetime.fromisoformat(event.effective_at))
        if fired.trigger in by_task.get(fired.task_id, []):
            submitted[fired.trigger] = day
        elif fired.takes == "decision" and fired.outcome == "return":
            for trigger in by_task.get(fired.task_id, []):
                if submitted.get(trigger) is not None:
                    submitted[trigger] = None
                    returns[trigger].append(day)
    final = point.state in index.final_states
    cells: dict[str, dict[str, Any]] = {}
    remarks: list[str] = []
    for t in steps:
        override = overrides.get((point.point_id, t.trigger))
        due = view.due_of(t.trigger, override)
        assert due is not None  # steps all have deadlines
        when = submitted.get(t.trigger)
        overdue: bool | None
        if when is not None:
            overdue = when > due
        elif not final and point.state in view.behind_states[t.trigger]:
            overdue = today > due
        else:
            overdue = None  # not owed: not selected, withdrawn, or done without a record
        cells[t.trigger] = {
            "submitted": when.isoformat() if when else None,
            "due": due.isoformat(),
            "extended": override is not None,
            "overdue": overdue,
            "returned": [d.isoformat() for d in returns.get(t.trigger, [])],
        }
        name = t.document or t.label
        if override is not None:
            remarks.append(f"{name}期限经批准延至 {override.isoformat()}")
        for day in returns.get(t.trigger, []):
            again = "，已重新报送" if when is not None and when >= day else "，待重新报送"
            remarks.append(f"{name}于 {day.isoformat()} 退回{again}")
    state = index.states.get(point.state)
    state_label = state.label if state else point.state
    if final and point.state not in done_somewhere and last_into_state is not None:
        reason = f"：{last_into_state.reason}" if last_into_state.reason else ""
        day = view.local_date(datetime.fromisoformat(last_into_state.effective_at))
        remarks.insert(0, f"{day.isoformat()} {state_label}{reason}")
    body = index.bodies.get(point.unit_id)
    return {
        "number": number,
        "point": point.point_id,
        "unit": point.unit_id,
        "unit_name": body.short if body else point.unit_id,
        "unit_full_name": body.name if body else point.unit_id,
        "unit_kind": KIND_LABELS.get(body.kind, body.kind) if body else "",
        "title": point.title,
        "state": point.state,
        "state_label": state_label,
        "steps": cells,
        "remarks": "；".join(remarks),
    }


def summary_table(summary: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of the summary; dates as ``date``, flags as 是/否/blank."""
    head = ["序号", "单位", "单位类别", "突破点", "编号", "负责单位", "当前状态"]
    for step in summary["steps"]:
        head += [f"{step['document']}报送日期", f"{step['document']}逾期"]
    head.append("备注")
    rows: list[list[Any]] = []
    for r in summary["points"]:
        row: list[Any] = [
            r["number"],
            r["unit_name"],
            r["unit_kind"],
            r["title"],
            r["point"],
            r["unit_full_name"],
            r["state_label"],
        ]
        for step in summary["steps"]:
            cell = r["steps"][step["step"]]
            row.append(date.fromisoformat(cell["submitted"]) if cell["submitted"] else None)
            row.append("" if cell["overdue"] is None else _YES if cell["overdue"] else _NO)
        row.append(r["remarks"])
        rows.append(row)
    return head, rows


def summary_csv(summary: dict[str, Any]) -> str:
    """The summary as CSV text, starting with a BOM (U+FEFF) so that Excel reads UTF-8."""
    head, rows = summary_table(summary)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(head)
    for row in rows:
        writer.writerow(
            ["" if v is None else v.isoformat() if isinstance(v, date) else v for v in row]
        )
    return "\ufeff" + buffer.getvalue()


def write_summary_xlsx(summary: dict[str, Any], out: str | os.PathLike[str]) -> None:
    """The summary as an xlsx workbook: sheet 汇总表 (the table) and 说明 (how to read it)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    head, rows = summary_table(summary)
    # Step headers on two lines (document / what), so that date columns stay narrow.
    shown = list(head)
    for step in summary["steps"]:
        for what in ("报送日期", "逾期"):
            shown[head.index(f"{step['document']}{what}")] = f"{step['document']}\n{what}"
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "汇总表"
    sheet.append(shown)
    sheet.row_dimensions[1].height = 32
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in sheet[1]:
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    date_columns = {i for i, name in enumerate(head) if name.endswith("报送日期")}
    for row in rows:
        sheet.append(row)
        for i in date_columns:
            cell = sheet.cell(row=sheet.max_row, column=i + 1)
            if cell.value is not None:
                cell.number_format = "yyyy-mm-dd"
    # Widths: the widest cell of each column, East-Asian characters counted twice; dates are
    # shown as yyyy-mm-dd (10 columns).
    for i in range(len(head)):
        values = [
            "0000-00-00" if isinstance(r[i], date) else str(r[i] if r[i] is not None else "")
            for r in rows
        ]
        lines = [*shown[i].split("\n"), *values]
        widest = max(_display_width(v) for v in lines)
        sheet.column_dimensions[get_column_letter(i + 1)].width = max(6, min(widest + 2, 60))
    # Frozen below the header and right of the point's name, so both stay in view.
    sheet.freeze_panes = "E2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(head))}{max(1, len(rows) + 1)}"
    sheet.print_title_rows = "1:1"

    notes = workbook.create_sheet("说明")
    for line in _summary_notes(summary):
        notes.append(line)
    notes["A1"].font = Font(bold=True, size=14)
    notes.column_dimensions["A"].width = 24
    notes.column_dimensions["B"].width = 80
    workbook.properties.title = SUMMARY_TITLE
    workbook.properties.subject = f"{summary['programme_title']}（{summary['doc_number']}）"
    workbook.properties.creator = "docflow"
    try:
        workbook.save(os.fspath(out))
    except OSError as exc:
        raise DocflowError(f"无法写入 {out}：{os_reason(exc)}") from None


def _summary_notes(summary: dict[str, Any]) -> list[list[str]]:
    head = summary["trail_head"]
    lines = [
        [SUMMARY_TITLE],
        [
            "工作方案",
            f"{summary['programme_title']}（{summary['doc_number']}，{summary['year']} 年）",
        ],
        ["统计时间", summary["now"][:16].replace("T", " ")],
        [
            "数据来源",
            f"存储库 {summary['store']}，留痕截至第 {head['seq']} 条（哈希 {head['hash'][:16]}…）",
        ],
        [
            "突破点",
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
            "逾期",
            "是：晚于期限报送，或期限已过仍未报送；否：按期报送或尚未到期；空：不适用（未入选、已撤销等）",
        ],
        ["期限", "按方案时限；经批准延期的突破点按延期后的期限（见备注）"],
    ]
    return lines


def write_summary(
    summary: dict[str, Any], fmt: str = "csv", out: str | os.PathLike[str] | None = None
) -> str | None:
    """Write a summary built by ``build_summary`` as csv or xlsx to ``out``; with csv and no
    ``out``, return the text instead."""
    if fmt not in ("csv", "xlsx"):
        raise DocflowError(f"不支持的导出格式 {fmt}：可用 csv、xlsx")
    if fmt == "xlsx":
        if out is None:
            raise DocflowError("xlsx 格式须指定输出文件")
        write_summary_xlsx(summary, out)
        return None
    text = summary_csv(summary)
    if out is None:
        return text
    write_text(out, text)
    return None


# --- the iCalendar file --------------------------------------------------------------------


def _unit_steps(index: ProgrammeIndex, step: Step, unit: str) -> bool:
    """Whether ``unit`` takes part in ``step``: submits it, carries it out or inspects for it."""
    if step.transition is not None:
        t = step.transition
        if t.actor == OWNER:
            return unit in index.proposers
        if t.actor == INSPECTOR:
            return unit in set(index.inspector_of.values())
        return unit in index.expand([t.actor])
    if step.task is not None:
        return unit in index.expand(step.task.responsible)
    return False  # pragma: no cover - a step is a transition or a task


def _event_description(
    definition: Definition, step: Step, row: dict[str, Any], befores: list[int]
) -> str:
    index = definition.index
    lines = [f"事项：{step.label}"]
    if step.transition is not None:
        t = step.transition
        lines.append(f"办理：{actor_label(index, t.actor)}")
        if t.document:
            to = f"，报 {ids_label(index, t.recipients)}" if t.recipients else ""
            lines.append(f"文件：{t.document}{to}")
    elif step.task is not None:
        task = step.task
        lines.append(f"负责：{ids_label(index, task.responsible)}")
        if task.document:
            to = f"，报 {ids_label(index, task.recipients)}" if task.recipients else ""
            lines.append(f"文件：{task.document}{to}")
    phrase = row["phrase"]
    if row["original_phrase"]:
        phrase += f"（原定「{row['original_phrase']}」，后发文件改定）"
    lines.append(f"时限：{phrase}")
    due = date.fromisoformat(row["due"])
    work = (
        "工作日"
        if row["is_working_day"]
        else f"非工作日，此前最后一个工作日为 {row['last_working_day']}"
    )
    lines.append(f"时段：{row['first']} 至 {row['due']}（到期日{weekday(due)}，{work}）")
    source = step.deadline.governing_source if step.deadline else None
    cited = source_document_label(index, source) if source else row["document"]
    lines.append(f"出处：{cited} {row['clause']}")
    if row["quote"]:
        lines.append(f"原文：「{row['quote']}」")
    if befores:
        lines.append(
            "提醒：" + "、".join(f"到期前第 {n} 个工作日" if n else "到期当天" for n in befores)
        )
    return "\n".join(lines)


def build_ical(definition: Definition, now: datetime, unit: str | None = None) -> str:
    """Every deadline of the programme for its year as an iCalendar (RFC 5545) text.

    One all-day VEVENT per step on its due day, UID ``<programme>-<step>@docflow`` (stable, so
    a re-exported calendar updates the same events), with VALARM reminders at the working
    days the step's reminder policy names (at the policy's hour). ``unit`` keeps only the
    steps that unit takes part in.
    """
    from icalendar import Alarm, Calendar, Event

    index = definition.index
    header = definition.programme.programme
    rows, _notes = calendar_rows(definition)
    steps = {s.id: s for s in index.steps()}
    if unit is not None:
        rows = [r for r in rows if _unit_steps(index, steps[r["step"]], unit)]
        if not rows:
            raise Refused(f"单位 {unit}（{index.body_label(unit)}）不承担本方案中任何有期限的事项")
    calendar = DeadlineResolver(header.calendar, header.year).calendar
    stamp = now.astimezone(UTC).replace(microsecond=0)

    cal = Calendar()
    cal.add("prodid", "-//docflow//docflow//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    name = f"{header.title}（{header.year}年）时限"
    if unit is not None:
        name += f"：{index.body_label(unit)}"
    cal.add("x-wr-calname", name)
    cal.add("x-wr-caldesc", f"{header.title}（{header.doc_number}）各项时限，由 docflow 生成")
    cal.add("x-wr-timezone", header.timezone)
    for row in rows:
        step = steps[row["step"]]
        due = date.fromisoformat(row["due"])
        policy = index.policies.get(step.reminders) if step.reminders else None
        befores = sorted(set(policy.before), reverse=True) if policy else [3]
        hour = policy.hour if policy else 9
        event = Event()
        event.add("uid", f"{definition.id}-{step.id}@docflow")
        event.add("dtstamp", stamp)
        event.add("dtstart", due)
        event.add("dtend", due + timedelta(days=1))
        event.add("summary", f"【截止】{step.label}")
        event.add("description", _event_description(definition, step, row, befores))
        if row["phase_label"]:
            event.add("categories", [row["phase_label"]])
        event.add("transp", "TRANSPARENT")
        event.add("x-docflow-phrase", row["phrase"])
        event.add("x-docflow-window", f"{row['first']}/{row['due']}")
        for n in befores:
            day = calendar.working_days_before(due, n)
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            # Relative to the start of the all-day event (00:00 of the due day).
            alarm.add("trigger", timedelta(days=(day - due).days, hours=hour))
            ahead = f"（提前 {n} 个工作日提醒）" if n else ""
            alarm.add("description", f"{step.label}：{row['phrase']}，{row['due']} 到期{ahead}")
            event.add_component(alarm)
        cal.add_component(event)
    return cal.to_ical().decode("utf-8")
