"""The deadline calendar of a programme: every step's phrase resolved to dates.

Shared by ``docflow calendar`` and the reports: ``calendar_rows`` gives plain rows (dates as
ISO 8601 strings) for JSON, ``render_calendar_table`` a table for the terminal.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from engine.definition.deadlines import DeadlineResolver
from engine.definition.loader import Definition
from engine.definition.workcal import weekday_name
from engine.errors import Diagnostic

__all__ = ["calendar_rows", "render_calendar_table"]


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
