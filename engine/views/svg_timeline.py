"""The year of a programme as one SVG: months, days off, phases, every deadline.

Drawn by hand (no plotting library) so that the report stays a static file that opens from
disk. Layout, top to bottom:

* the months along the axis, a line at the start of each;
* a strip with one cell per day off: weekends grey, statutory holidays red (named under
  the strip: 国庆节 ...), 调休 working weekends outlined in orange; days off are also shaded
  faintly down the whole chart so that a deadline falling on one is visible;
* the phases as bands, in as many lanes as their overlaps need;
* one row per deadline (in the order ``calendar_rows`` gives: by due day): the window
  first..due as a bar, the due day as a diamond labelled with the phrase and the date; an
  amended deadline also shows the original due day as a hollow diamond joined by a dashed line;
* a legend.

Every deadline is a ``<g class="tl-deadline" data-step=...>`` holding exactly one
``class="tl-marker"``; every day off is a ``<rect class="tl-day tl-weekend|tl-holiday"
data-date=...>`` and a 调休 working weekend a ``tl-workday``: the tests count on these names.
Text is escaped here (the result is ``Markup``, safe to place in an autoescaped template).
"""

from __future__ import annotations

import calendar as _pycalendar
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from markupsafe import Markup, escape

from engine.definition.deadlines import DeadlineResolver, calendar_for
from engine.definition.loader import Definition
from engine.definition.workcal import WorkCalendar
from engine.views.calendar import calendar_rows
from engine.views.wording import month_day, weekday

__all__ = ["TimelineDeadline", "TimelinePhase", "render_timeline", "timeline_svg"]

FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'

# Geometry (px).
LABEL_W = 270  # the column of row labels
PLOT_W = 1040  # the year axis
RIGHT = 16
WIDTH = LABEL_W + PLOT_W + RIGHT
MONTH_H = 24
STRIP_Y = MONTH_H
STRIP_H = 18
HOLIDAY_LABEL_H = 16
LANE_H = 24
ROW_H = 28
FONT_PX = 12

PHASE_COLOURS = ("#dbe8f6", "#e3f1dd", "#fbe9d0", "#eadff3", "#f6dde3", "#dff1f1")
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class TimelinePhase:
    id: str
    label: str
    window: str
    first: date
    last: date


@dataclass(frozen=True)
class TimelineDeadline:
    step: str
    label: str
    phrase: str
    first: date
    due: date
    original_phrase: str | None = None
    original_due: date | None = None


def _text_width(text: str, px: float = FONT_PX) -> float:
    """Rough rendered width: CJK and full-width characters are square, others half."""
    return sum(px if unicodedata.east_asian_width(ch) in "WF" else px * 0.55 for ch in text)


def _clip(text: str, width: float, px: float = FONT_PX) -> str:
    if _text_width(text, px) <= width:
        return text
    while text and _text_width(text + "…", px) > width:
        text = text[:-1]
    return text + "…"


def _attr(value: Any) -> str:
    return str(escape(str(value)))


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


class _Axis:
    def __init__(self, start: date, end: date) -> None:
        self.start = start
        self.end = end
        self.days = (end - start).days + 1
        self.day_w = PLOT_W / self.days

    def x(self, d: date) -> float:
        """Left edge of day ``d``."""
        return LABEL_W + (d - self.start).days * self.day_w

    def x_end(self, d: date) -> float:
        """Right edge of day ``d``."""
        return self.x(d) + self.day_w

    def mid(self, d: date) -> float:
        return self.x(d) + self.day_w / 2


def _month_start(d: date) -> date:
    return d.replace(day=1)


def _month_end(d: date) -> date:
    return d.replace(day=_pycalendar.monthrange(d.year, d.month)[1])


def _lanes(phases: Sequence[TimelinePhase]) -> list[int]:
    """A lane per phase so that overlapping phases do not share one (greedy, in order)."""
    ends: list[date] = []
    lanes = []
    for ph in phases:
        for i, end in enumerate(ends):
            if ph.first > end:
                ends[i] = ph.last
                lanes.append(i)
                break
        else:
            ends.append(ph.last)
            lanes.append(len(ends) - 1)
    return lanes


def _phases(definition: Definition, year: int) -> list[TimelinePhase]:
    resolver = DeadlineResolver(definition.programme.programme.calendar, year)
    found = []
    for ph in definition.programme.phases:
        window = resolver.window(ph.window)
        found.append(TimelinePhase(ph.id, ph.label, ph.window, window.first, window.due))
    return found


def _deadlines(rows: Sequence[dict[str, Any]]) -> list[TimelineDeadline]:
    return [
        TimelineDeadline(
            step=r["step"],
            label=r["label"],
            phrase=r["phrase"],
            first=date.fromisoformat(r["first"]),
            due=date.fromisoformat(r["due"]),
            original_phrase=r.get("original_phrase"),
            original_due=date.fromisoformat(r["original_due"]) if r.get("original_due") else None,
        )
        for r in rows
    ]


def render_timeline(
    definition: Definition,
    rows: Sequence[dict[str, Any]] | None = None,
    *,
    year: int | None = None,
    today: date | None = None,
    link_prefix: str | None = "step-",
) -> Markup:
    """The timeline of a loaded programme (``rows`` as ``calendar_rows`` returns them)."""
    year = year or definition.programme.programme.year
    if rows is None:
        rows, _notes = calendar_rows(definition, year)
    return timeline_svg(
        _phases(definition, year),
        _deadlines(rows),
        calendar_for(definition.programme.programme.calendar),
        year=year,
        today=today,
        title=f"{definition.programme.programme.title}（{year}年）时间轴",
        link_prefix=link_prefix,
    )


def timeline_svg(
    phases: Sequence[TimelinePhase],
    deadlines: Sequence[TimelineDeadline],
    calendar: WorkCalendar,
    *,
    year: int,
    today: date | None = None,
    title: str = "时间轴",
    link_prefix: str | None = None,
) -> Markup:
    """Draw the timeline; the axis runs over the whole months the phases and deadlines touch."""
    days = [d for ph in phases for d in (ph.first, ph.last)]
    for dl in deadlines:
        days += [dl.first, dl.due]
        if dl.original_due is not None:
            days.append(dl.original_due)
    days = [d for d in days if d.year == year] or [date(year, 1, 1), date(year, 12, 31)]
    axis = _Axis(_month_start(min(days)), _month_end(max(days)))

    lanes = _lanes(phases)
    lane_count = max(lanes, default=-1) + 1
    phase_y = STRIP_Y + STRIP_H + HOLIDAY_LABEL_H + 6
    rows_y = phase_y + lane_count * LANE_H + 10
    legend_y = rows_y + len(deadlines) * ROW_H + 14
    height = legend_y + 30
    plot_bottom = rows_y + len(deadlines) * ROW_H

    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="tl" role="img" '
        f'aria-labelledby="tl-title" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}">',
        f'<title id="tl-title">{escape(title)}</title>',
        "<style>"
        f".tl text{{font-family:{FONT};font-size:{FONT_PX}px;fill:#222}}"
        ".tl .tl-small{font-size:10px;fill:#555}"
        ".tl .tl-month{font-size:12px;font-weight:bold;fill:#333}"
        ".tl .tl-weekend{fill:#d9d9d9}.tl .tl-holiday{fill:#f2a7a7}"
        ".tl .tl-workday{fill:#fff;stroke:#e08a00;stroke-width:1}"
        ".tl .tl-col-weekend{fill:#efefef}.tl .tl-col-holiday{fill:#fbe1e1}"
        ".tl .tl-grid{stroke:#b8b8b8;stroke-width:1}"
        ".tl .tl-window{fill:#9db7d9}"
        ".tl .tl-original-window{fill:none;stroke:#999;stroke-dasharray:3 2}"
        ".tl .tl-marker{fill:#1f3a68;stroke:#fff;stroke-width:1}"
        ".tl .tl-marker-original{fill:#fff;stroke:#777;stroke-width:1.5}"
        ".tl .tl-amend{stroke:#777;stroke-dasharray:4 3;fill:none}"
        ".tl .tl-today{stroke:#c62828;stroke-width:1.5;stroke-dasharray:5 3}"
        ".tl .tl-rowline{stroke:#eee}"
        "</style>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#fff"/>',
    ]

    # Days off: a faint column down the chart, a strong cell in the strip.
    holiday_blocks: list[tuple[str, date, date]] = []
    day = axis.start
    while day <= axis.end:
        x = _num(axis.x(day))
        w = _num(axis.day_w)
        working = calendar.is_working_day(day)
        name = None if working else calendar.holiday_name(day)
        label = f"{day.isoformat()} {weekday(day)}"
        if not working:
            kind = "holiday" if name else "weekend"
            tip = f"{label}：{name}放假" if name else f"{label}：休息日"
            out.append(
                f'<rect class="tl-col-{kind}" x="{x}" y="{STRIP_Y + STRIP_H}" width="{w}" '
                f'height="{_num(plot_bottom - STRIP_Y - STRIP_H)}"/>'
            )
            out.append(
                f'<rect class="tl-day tl-{kind}" data-date="{day.isoformat()}" x="{x}" '
                f'y="{STRIP_Y}" width="{w}" height="{STRIP_H}"><title>{escape(tip)}</title></rect>'
            )
            if name:
                if (
                    holiday_blocks
                    and holiday_blocks[-1][0] == name
                    and (holiday_blocks[-1][2] + _DAY == day)
                ):
                    holiday_blocks[-1] = (name, holiday_blocks[-1][1], day)
                else:
                    holiday_blocks.append((name, day, day))
        elif day.weekday() >= 5:
            out.append(
                f'<rect class="tl-day tl-workday" data-date="{day.isoformat()}" x="{x}" '
                f'y="{STRIP_Y + 0.5}" width="{w}" height="{STRIP_H - 1}">'
                f"<title>{escape(label)}：调休上班</title></rect>"
            )
        day += _DAY
    for name, first, last in holiday_blocks:
        mid = (axis.x(first) + axis.x_end(last)) / 2
        out.append(
            f'<text class="tl-small tl-holiday-name" x="{_num(mid)}" '
            f'y="{STRIP_Y + STRIP_H + 12}" text-anchor="middle">{escape(name)}</text>'
        )

    # Months.
    out.append(
        f'<text class="tl-month" x="8" y="{MONTH_H - 8}">{year}年</text>'
        f'<rect x="{LABEL_W}" y="{STRIP_Y}" width="{PLOT_W}" height="{STRIP_H}" '
        f'fill="none" stroke="#ccc"/>'
    )
    month = axis.start
    while month <= axis.end:
        last = _month_end(month)
        x0, x1 = axis.x(month), axis.x_end(min(last, axis.end))
        out.append(
            f'<line class="tl-grid" x1="{_num(x0)}" y1="2" x2="{_num(x0)}" '
            f'y2="{_num(plot_bottom)}"/>'
            f'<text class="tl-month" x="{_num((x0 + x1) / 2)}" y="{MONTH_H - 8}" '
            f'text-anchor="middle">{month.month}月</text>'
        )
        month = last + _DAY
    out.append(
        f'<line class="tl-grid" x1="{_num(axis.x_end(axis.end))}" y1="2" '
        f'x2="{_num(axis.x_end(axis.end))}" y2="{_num(plot_bottom)}"/>'
    )

    # Phases.
    if phases:
        out.append(
            f'<text x="8" y="{phase_y + LANE_H / 2 + 4:.0f}" font-weight="bold">工作阶段</text>'
        )
    for i, (ph, lane) in enumerate(zip(phases, lanes, strict=True)):
        x0, x1 = axis.x(max(ph.first, axis.start)), axis.x_end(min(ph.last, axis.end))
        y = phase_y + lane * LANE_H
        short = ph.label.split("：")[0]
        text = f"{short}（{ph.window}）"
        if _text_width(text) > x1 - x0 - 8:
            text = _clip(short, x1 - x0 - 8)
        out.append(
            f'<g class="tl-phase" data-phase="{_attr(ph.id)}">'
            f"<title>{escape(ph.label)}（{escape(ph.window)}：{ph.first.isoformat()} 至 "
            f"{ph.last.isoformat()}）</title>"
            f'<rect x="{_num(x0)}" y="{y + 2}" width="{_num(x1 - x0)}" height="{LANE_H - 4}" '
            f'rx="3" fill="{PHASE_COLOURS[i % len(PHASE_COLOURS)]}" stroke="#8aa0b8"/>'
            f'<text x="{_num(x0 + 4)}" y="{y + LANE_H / 2 + 4:.0f}">{escape(text)}</text></g>'
        )

    # Deadlines.
    for n, dl in enumerate(deadlines):
        y = rows_y + n * ROW_H
        cy = y + ROW_H / 2
        out.append(
            f'<line class="tl-rowline" x1="0" y1="{y + ROW_H}" x2="{WIDTH}" y2="{y + ROW_H}"/>'
        )
        head = f'<a href="#{_attr(link_prefix + dl.step)}">' if link_prefix is not None else ""
        tail = "</a>" if link_prefix is not None else ""
        parts = [
            f'<g class="tl-deadline" data-step="{_attr(dl.step)}" data-due="{dl.due.isoformat()}">',
            head,
            f"<title>{escape(dl.label)}：{escape(dl.phrase)}（{dl.first.isoformat()} 至 "
            f"{dl.due.isoformat()}，到期日{weekday(dl.due)}）</title>",
            f'<text x="8" y="{cy + 4:.0f}">{escape(_clip(dl.label, LABEL_W - 16))}</text>',
        ]
        x_first, x_due = axis.x(dl.first), axis.x_end(dl.due)
        parts.append(
            f'<rect class="tl-window" x="{_num(x_first)}" y="{_num(cy - 5)}" '
            f'width="{_num(max(x_due - x_first, 2))}" height="10" rx="2"/>'
        )
        left = x_first
        label = f"{dl.phrase} · {month_day(dl.due)}"
        if dl.original_due is not None:
            xo = axis.mid(dl.original_due)
            parts.append(
                f'<path class="tl-amend" d="M{_num(xo)},{_num(cy)} L{_num(axis.mid(dl.due))},'
                f'{_num(cy)}"/>'
                f'<path class="tl-marker-original" d="{_diamond(xo, cy, 6)}">'
                f"<title>原定{escape(dl.original_phrase or '')}：{dl.original_due.isoformat()}"
                f"（已改定）</title></path>"
            )
            left = min(left, xo - 6)
            label += f"（原定{dl.original_phrase} · {month_day(dl.original_due)}）"
        xm = axis.mid(dl.due)
        parts.append(f'<path class="tl-marker" d="{_diamond(xm, cy, 7)}"/>')
        if xm + 10 + _text_width(label) <= WIDTH - 4:
            parts.append(
                f'<text class="tl-due-label" x="{_num(xm + 10)}" y="{cy + 4:.0f}">'
                f"{escape(label)}</text>"
            )
        else:
            parts.append(
                f'<text class="tl-due-label" x="{_num(left - 8)}" y="{cy + 4:.0f}" '
                f'text-anchor="end">{escape(label)}</text>'
            )
        parts += [tail, "</g>"]
        out.append("".join(parts))

    if today is not None and axis.start <= today <= axis.end:
        xt = axis.mid(today)
        out.append(
            f'<g class="tl-now"><line class="tl-today" x1="{_num(xt)}" y1="{STRIP_Y}" '
            f'x2="{_num(xt)}" y2="{_num(plot_bottom)}"/>'
            f'<text class="tl-small" x="{_num(xt + 3)}" y="{_num(plot_bottom - 3)}" '
            f'fill="#c62828">截至{month_day(today)}</text></g>'
        )

    out.append(_legend(legend_y))
    out.append("</svg>")
    return Markup("\n".join(out))


def _diamond(cx: float, cy: float, r: float) -> str:
    return (
        f"M{_num(cx)},{_num(cy - r)} L{_num(cx + r)},{_num(cy)} "
        f"L{_num(cx)},{_num(cy + r)} L{_num(cx - r)},{_num(cy)} Z"
    )


def _legend(y: int) -> str:
    items = [
        ('<rect class="tl-weekend" x="{x}" y="{y0}" width="12" height="12"/>', "周末休息日"),
        ('<rect class="tl-holiday" x="{x}" y="{y0}" width="12" height="12"/>', "法定节假日"),
        ('<rect class="tl-workday" x="{x}" y="{y0}" width="12" height="12"/>', "调休上班日"),
        (
            '<rect class="tl-window" x="{x}" y="{y1}" width="22" height="8" rx="2"/>',
            "时限窗口（起至止）",
        ),
        ('<path class="tl-marker tl-legend-key" d="{d}"/>', "到期日"),
        (
            '<path class="tl-marker-original tl-legend-key" d="{d}"/>',
            "原定到期日（已被后发文件改定）",
        ),
    ]
    parts = ['<g class="tl-legend">']
    x = LABEL_W
    for shape, text in items:
        parts.append(
            shape.format(x=x, y0=y, y1=y + 2, d=_diamond(x + 6, y + 6, 6))
            + f'<text x="{x + 28}" y="{y + 11}">{escape(text)}</text>'
        )
        x += 40 + int(_text_width(text))
    parts.append("</g>")
    return "".join(parts)
