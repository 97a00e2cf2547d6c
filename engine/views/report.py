"""The programme as a readable report: one static HTML page for auditors.

``render_report(programme, out, db=None, documents=None)`` writes ``out/index.html``: it opens
from disk in any browser, needs no network and no JavaScript (the CSS is inline, the two
drawings are inline SVG). Beside it go ``timeline.svg``, ``lifecycle.svg`` (when Graphviz is
installed) and ``lifecycle.dot``, for reuse in other documents.

The page shows, in order:

1. the header as the notice has it: title, 发文字号, issuing body, 成文日期 in 公文 style,
   主送, 附件, the documents the programme is made of;
2. the organisation: the working group, bodies by kind, named groups, the inspection groups
   (lead body, units each inspects), contacts;
3. the year: the timeline SVG (``engine.views.svg_timeline``) and the phases;
4. the life cycle of a point: the state diagram (``engine.views.diagram``);
5. every step - point transitions, unit and programme tasks - as a table row: what, who, to
   whom, which document, the deadline as written and as dates, the reminders in words with
   their send days, the source clause with its quote;
6. the amendments: each deadline a later document changed, both phrases, which governs;
7. with a store (``db``), first of all an overview (points by state and colour, 上报率 per
   step, who is late by how many days), then each point's state and colour (已撤销 and 未入选
   grey, apart from green 已办结), 上报率 per step, the units late, the programme-level tasks,
   the notification record and the trail in words, each document linked to its copy in
   ``out/documents/`` (``engine.views.report_run``), with the result of its verification.

The moment the colours are judged at (``now``): the one given; else ``$DOCFLOW_NOW`` (as the
other commands read it); else the real time - but never later than the last second of the
programme's year. A report printed in 2025 about 2011 shows where the year ended, not a page
of red lights for deadlines nobody could meet any more; the page says which moment it used.
A report as of a moment (``Programme.render(at=...)``) shows the trail replayed to it and
judges at it; one whose moment lies before the store's newest event says that its states are
the store's present ones (``engine.views.status.states_note``), not that moment's.

Everything from the definition or the store is escaped by Jinja's autoescape; the SVGs escape
their own text (``Markup``). At 390 px wide the page stays readable: each table scrolls
sideways inside its own box instead of widening the page.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined

from engine.clock import Clock, FixedClock, SystemClock
from engine.definition.loader import Definition
from engine.delivery.gongwen import format_date
from engine.errors import DocflowError, os_reason
from engine.views.calendar import calendar_rows
from engine.views.diagram import Diagram, render_lifecycle
from engine.views.report_parts import (
    _amendments,
    _header,
    _organisation,
    _phases,
    _reminder_days,
    _step_view,
)
from engine.views.report_run import RUN_COLOUR_LAMPS, RUN_COLOUR_MEANINGS, RunInput, build_run
from engine.views.svg_timeline import render_timeline
from engine.views.wording import (
    month_day,
    policy_in_words,
    weekday,
)

__all__ = ["RunInput", "build_report", "render_html", "report_moment", "write_report"]

TEMPLATE = "report.html.j2"


# --- the moment ----------------------------------------------------------------------------


def report_moment(definition: Definition, clock: Clock) -> tuple[datetime, str]:
    """The moment the colours are judged at, and a sentence saying how it was chosen."""
    header = definition.programme.programme
    zone = ZoneInfo(header.timezone)
    moment = clock.now().astimezone(zone)
    if isinstance(clock, FixedClock):
        if clock.origin == "DOCFLOW_NOW":
            return moment, "按环境变量 DOCFLOW_NOW 给出的时间计算"
        return moment, "按指定的时间计算"
    if not isinstance(clock, SystemClock):
        return moment, "按演练时钟的时间计算"
    year_end = datetime.combine(date(header.year, 12, 31), time(23, 59, 59), tzinfo=zone)
    if moment > year_end:
        return (
            year_end,
            f"方案年度已结束，按年度最后一刻（{format_date(year_end.date(), header.date_style)}"
            f"24时）计算，而不是按生成报告的时间",
        )
    return moment, "按生成报告的时间计算"


def build_report(
    definition: Definition,
    *,
    run: RunInput | None = None,
    diagram: Diagram | None = None,
    out: Path | None = None,
) -> dict[str, Any]:
    """Everything the template shows, as plain data (the SVGs as ``Markup``); with ``out``
    (the report folder), the trail's documents are copied into it."""
    rows, notes = calendar_rows(definition)
    by_step = {r["step"]: r for r in rows}
    reminder_days = _reminder_days(definition)
    steps = [_step_view(definition, s, by_step, reminder_days) for s in definition.index.steps()]
    shown = build_run(definition, run, out) if run is not None else None
    today = shown.today if shown is not None else None
    if diagram is None:
        diagram = render_lifecycle(definition)
    item = definition.programme.programme.item
    return {
        "item": item,
        "header": _header(definition),
        "organisation": _organisation(definition),
        "phases": _phases(definition),
        "timeline": render_timeline(definition, rows, today=today),
        "calendar_notes": [d.message for d in notes],
        "diagram": diagram,
        "states": [
            {
                "id": st.id,
                "label": st.label,
                "initial": st.initial,
                "final": st.final,
                "steps": [
                    (f"step-{t.trigger}", t.label) for t in definition.index.transitions_from(st.id)
                ],
            }
            for st in definition.programme.points.states
        ],
        "transition_steps": [s for s in steps if s.kind == f"{item}事项"],
        "task_steps": [s for s in steps if s.kind != f"{item}事项"],
        "amendments": _amendments(definition, steps),
        "policies": [
            {"label": p.label, "words": policy_in_words(definition.index, p)}
            for p in definition.programme.reminder_policies
        ],
        "run": shown,
        "colour_labels": RUN_COLOUR_LAMPS,
        "colour_meanings": RUN_COLOUR_MEANINGS,
        "definition_file": str(definition.file),
        "definition_sha256": definition.sha256,
    }


# --- rendering -------------------------------------------------------------------------------


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("engine.views", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["weekday"] = weekday
    env.filters["month_day"] = month_day
    return env


def render_html(context: dict[str, Any]) -> str:
    """The page for a context built by ``build_report``."""
    return _environment().get_template(TEMPLATE).render(**context)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def write_report(
    definition: Definition,
    out: str | os.PathLike[str],
    run: RunInput | None = None,
    *,
    warn: Callable[[str], None] | None = None,
) -> Path:
    """Write the report of a programme to ``out/index.html``, with the run section when
    ``run`` is given. Returns the path of ``index.html``. Problems that do not stop the report
    (no Graphviz) go to ``warn`` (standard error by default) and are shown on the page.
    """
    warn = warn or _stderr
    folder = Path(out)
    diagram = render_lifecycle(definition)
    if diagram.problem:
        warn(f"警告：{diagram.problem}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        context = build_report(definition, run=run, diagram=diagram, out=folder)
        (folder / "lifecycle.dot").write_text(diagram.dot, encoding="utf-8")
        if diagram.svg is not None:
            (folder / "lifecycle.svg").write_text(str(diagram.svg) + "\n", encoding="utf-8")
        (folder / "timeline.svg").write_text(str(context["timeline"]) + "\n", encoding="utf-8")
        index = folder / "index.html"
        index.write_text(render_html(context), encoding="utf-8")
    except OSError as exc:
        raise DocflowError(f"无法写入报告目录 {folder}：{os_reason(exc)}") from None
    return index
