"""The deadline calendar of a programme: every step's phrase resolved to dates.

Shared by ``docflow calendar`` and the reports: ``calendar_rows`` gives plain rows (dates as
ISO 8601 strings) for JSON, ``report_rows`` the same for every occurrence of the recurring
reports, ``render_calendar_table`` a table for the terminal.
``phrase_report`` says what one phrase of any kind means for a year (``docflow calendar
--phrase``): its window and due day, every occurrence of a recurring one, the due day of a
relative one from the day of its event; ``render_phrase_report`` words it.
"""

from __future__ import annotations

import unicodedata
from datetime import date, time
from typing import Any

from engine.definition.deadlines import DeadlineResolver
from engine.definition.loader import Definition
from engine.definition.periodic import Recurrence, Relative, due_after, occurrences, parse_any
from engine.definition.phrases import Conventions, Window, phrase_year, resolve
from engine.definition.phrasetext import time_text
from engine.definition.reports import safe_expand
from engine.definition.workcal import WorkCalendar, weekday_name
from engine.errors import Diagnostic

__all__ = [
    "calendar_rows",
    "phrase_report",
    "render_calendar_table",
    "render_phrase_report",
    "report_rows",
]


def calendar_rows(
    definition: Definition, year: int | None = None
) -> tuple[list[dict[str, Any]], list[Diagnostic]]:
    """One row per step with a deadline, in the order of their due days."""
    p = definition.programme
    year = year or p.programme.year
    resolver = DeadlineResolver(p.programme.calendar, year)
    notes: list[Diagnostic] = []
    if not resolver.calendar.has_official_data(year):
        notes.append(
            Diagnostic(
                str(definition.file),
                1,
                1,
                f"节假日数据不含 {year} 年：按周一至周五工作，并加上方案中列出的节假日和调休上班日",
                "warning",
            )
        )
    rows: list[dict[str, Any]] = []
    phases = {ph.id: ph for ph in p.phases}
    for step in definition.index.steps():
        if step.deadline is None:
            continue
        resolved = resolver.deadline(step.deadline)
        source = step.deadline.governing_source
        phase = phases.get(step.phase) if step.phase else None
        rows.append(
            {
                "step": step.id,
                "kind": step.kind,
                "label": step.label,
                "phase": step.phase,
                "phase_label": phase.label if phase else None,
                "phrase": resolved.phrase,
                "original_phrase": resolved.original_phrase,
                "original_due": _iso(resolved.original_due),
                "first": resolved.first.isoformat(),
                "due": resolved.due.isoformat(),
                "weekday": weekday_name(resolved.due),
                "is_working_day": resolved.is_working_day,
                "last_working_day": resolved.last_working_day.isoformat(),
                "document": source.document,
                "clause": source.clause,
                "quote": source.quote,
            }
        )
    rows.sort(key=lambda r: (r["due"], r["first"]))
    return rows, notes


def report_rows(definition: Definition, year: int | None = None) -> list[dict[str, Any]]:
    """One row per occurrence of each recurring report (``reports:``), in the rows' shape
    (``kind`` "report", ``period`` the occurrence's key), for ``docflow calendar``."""
    p = definition.programme
    year = year or p.programme.year
    resolver = DeadlineResolver(p.programme.calendar, year)
    occurrences = definition.report_occurrences  # the programme's own year: worked out once
    if year != p.programme.year:
        occurrences = {
            r.id: safe_expand(r, year, resolver.calendar, resolver.conventions) for r in p.reports
        }
    rows: list[dict[str, Any]] = []
    for report in p.reports:
        source = report.source
        for occ in occurrences.get(report.id, []):
            rows.append(
                {
                    "step": report.id,
                    "kind": "report",
                    "label": f"{report.label}（{occ.label}）",
                    "period": occ.key,
                    "phase": None,
                    "phase_label": None,
                    "phrase": report.every,
                    "original_phrase": None,
                    "original_due": None,
                    "first": occ.first.isoformat(),
                    "due": occ.due.isoformat(),
                    "due_time": _clock(occ.due_time),
                    "weekday": weekday_name(occ.due),
                    "is_working_day": resolver.calendar.is_working_day(occ.due),
                    "last_working_day": resolver.calendar.previous_working_day(
                        occ.due, inclusive=True
                    ).isoformat(),
                    "document": source.document if source else None,
                    "clause": source.clause if source else "",
                    "quote": source.quote if source else None,
                }
            )
    return rows


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def render_calendar_table(
    definition: Definition, rows: list[dict[str, Any]], year: int | None = None
) -> str:
    p = definition.programme
    year = year or p.programme.year
    head = ["事项", "时限表述", "开始", "到期", "星期", "工作日", "此前最后工作日", "出处"]
    body = []
    for r in rows:
        phrase = r["phrase"]
        if r["original_phrase"]:
            phrase = f"{phrase}（原定{r['original_phrase']}）"
        body.append(
            [
                r["label"],
                phrase,
                r["first"],
                r["due"],
                r["weekday"],
                "是" if r["is_working_day"] else "否",
                r["last_working_day"],
                r["clause"],
            ]
        )
    widths = [max(_width(row[i]) for row in [head, *body]) for i in range(len(head))]
    number = f"（{p.programme.doc_number}）" if p.programme.doc_number else " "
    lines = [f"{p.programme.title}{number}{year} 年时限表", ""]
    for row in [head, *body]:
        lines.append("  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip())
    return "\n".join(lines)


# -- one phrase --------------------------------------------------------------------------


def _day(calendar: WorkCalendar, day: date) -> dict[str, Any]:
    return {
        "date": day.isoformat(),
        "weekday": weekday_name(day),
        "is_working_day": calendar.is_working_day(day),
    }


def _window_row(calendar: WorkCalendar, window: Window) -> dict[str, Any]:
    return {
        "first": window.first.isoformat(),
        "due": window.due.isoformat(),
        "weekday": weekday_name(window.due),
        "is_working_day": calendar.is_working_day(window.due),
        "due_time": _clock(window.due_time),
        "shifted_from": _iso(window.shifted_from),
    }


def _clock(moment: time | None) -> str | None:
    return moment.strftime("%H:%M") if moment is not None else None


def phrase_report(
    text: str,
    year: int,
    calendar: WorkCalendar,
    conventions: Conventions,
    anchor: date | None = None,
) -> dict[str, Any]:
    """What ``text`` means for a programme of ``year``, as plain data (dates as ISO 8601).

    ``kind`` is ``one-off``, ``recurring`` or ``relative``; a relative phrase gets its window
    only with the ``anchor`` day of its event. Raises ``PhraseError`` or ``CalendarError``.
    """
    found = parse_any(text)
    report: dict[str, Any] = {"phrase": found.text, "year": year, "notes": []}
    shift = found.shift
    report["shift"] = str(shift) if shift is not None else None
    report["due_time"] = _clock(found.due_time)
    days_in: list[int] = [year]
    if isinstance(found, Recurrence):
        listed = occurrences(found, year, calendar, conventions)
        report |= {
            "kind": "recurring",
            "period": found.label,
            "covers": "上一期" if found.previous else "本期",
            "occurrences": [
                {
                    "covered_first": o.covered_first.isoformat(),
                    "covered_last": o.covered_last.isoformat(),
                    **_window_row(calendar, o.window),
                }
                for o in listed
            ],
        }
        days_in += [o.due.year for o in listed]
    elif isinstance(found, Relative):
        report |= {
            "kind": "relative",
            "anchor": found.anchor,
            "n": found.n,
            "unit": found.unit,
            "from": _day(calendar, anchor) if anchor is not None else None,
            "window": None,
        }
        if anchor is not None:
            report["window"] = _window_row(
                calendar, due_after(found, anchor, calendar, conventions)
            )
            days_in = [anchor.year, date.fromisoformat(report["window"]["due"]).year]
    else:
        own_year = phrase_year(found, year)
        window = resolve(found, year, calendar, conventions)
        report |= {
            "kind": "one-off",
            "phrase_year": own_year,
            "window": _window_row(calendar, window),
        }
        days_in = [own_year, window.due.year]
    missing = WorkCalendar.years_without_data(days_in)
    if missing:
        years = "、".join(str(y) for y in missing)
        report["notes"].append(
            f"节假日数据不含 {years} 年：按周一至周五工作，并加上方案中列出的节假日和调休上班日"
        )
    return report


def _due_words(row: dict[str, Any]) -> str:
    working = "工作日" if row["is_working_day"] else "休息日"
    moment = f"{row['due_time']} 前" if row["due_time"] else time_text(None) + "前"
    return f"{row['due']}（{row['weekday']}，{working}），{moment}"


def _window_lines(row: dict[str, Any]) -> list[str]:
    lines = [f"起止：{row['first']} 至 {row['due']}", f"到期：{_due_words(row)}"]
    if row["shifted_from"]:
        lines.append(f"顺延：原到期日 {row['shifted_from']}，顺延至 {row['due']}")
    return lines


def render_phrase_report(report: dict[str, Any]) -> str:
    """``phrase_report`` for the terminal, in Chinese."""
    lines = [f"时间表述：{report['phrase']}"]
    if report["kind"] == "one-off":
        lines.append(f"类型：一次性时限（{report['phrase_year']} 年）")
        lines += _window_lines(report["window"])
    elif report["kind"] == "relative":
        lines.append(
            f"类型：相对时限，自「{report['anchor']}」之日起 {report['n']} {report['unit']}"
            "（当日不计）"
        )
        start = report["from"]
        if start is None:
            lines.append("起算日：未给出")
        else:
            working = "工作日" if start["is_working_day"] else "休息日"
            lines.append(f"起算日：{start['date']}（{start['weekday']}，{working}）")
            lines += _window_lines(report["window"])
    else:
        listed = report["occurrences"]
        lines.append(
            f"类型：周期性时限（{report['period']}一次，报{report['covers']}），"
            f"{report['year']} 年共 {len(listed)} 期"
        )
        moment = f"{report['due_time']} 前" if report["due_time"] else time_text(None) + "前"
        lines.append(f"到期时刻：{moment}")
    if report["shift"]:
        lines.append(f"顺延规定：{report['shift']}")
    if report["kind"] == "recurring":
        lines += ["", *_occurrence_table(report["occurrences"])]
    return "\n".join(lines)


def _occurrence_table(listed: list[dict[str, Any]]) -> list[str]:
    head = ["期次", "所报期间", "开始", "到期", "星期", "工作日", "顺延自"]
    body = [
        [
            str(i),
            f"{o['covered_first']}～{o['covered_last']}",
            o["first"],
            o["due"],
            o["weekday"],
            "是" if o["is_working_day"] else "否",
            o["shifted_from"] or "",
        ]
        for i, o in enumerate(listed, start=1)
    ]
    widths = [max(_width(row[i]) for row in [head, *body]) for i in range(len(head))]
    return [
        "  ".join(_pad(c, widths[i]) for i, c in enumerate(row)).rstrip() for row in [head, *body]
    ]
