"""The report of a simulated year: its model, the closing summary in words, and as JSON.

The day-by-day timeline is echoed while the year runs (``engine.simulation.progress``);
``render_report`` words what the year came to, ``SimulationReport.as_dict`` is what
``docflow simulate --json`` prints.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine.delivery.dispatch import Outgoing
from engine.errors import DEFAULT_ITEM
from engine.simulation.narration import month_day
from engine.simulation.progress import TimelineEntry
from engine.views.reminders import KIND_LABELS, outgoing_dict
from engine.views.texttable import display_width

__all__ = [
    "LateUnit",
    "ReportSummary",
    "SimulationReport",
    "StepSummary",
    "TaskSummary",
    "render_report",
]


@dataclass(frozen=True, slots=True)
class LateUnit:
    unit: str
    name: str
    points: tuple[str, ...]
    due: date  # the (latest) due day of its late points
    submitted: date | None  # the day its last late point was submitted; None: never


@dataclass(frozen=True, slots=True)
class StepSummary:
    step: str
    label: str
    due: date | None
    reported: int
    total: int
    missing: tuple[str, ...]
    late: tuple[LateUnit, ...]

    @property
    def rate(self) -> float:
        return self.reported / self.total if self.total else 0.0


@dataclass(frozen=True, slots=True)
class TaskSummary:
    task: str
    label: str
    by: str
    due: date | None
    done: date | None
    missing: tuple[str, ...]  # units recorded as missing when it was done
    note: str | None = None  # why it was not done


@dataclass(frozen=True, slots=True)
class ReportSummary:
    """A recurring report over the periods due by the rehearsal's end."""

    rule: str
    label: str
    periods: int  # periods due by the end
    filed: int  # filings of the owing parties, over those periods
    owing: int  # owing parties, summed over those periods
    missing: tuple[str, ...]  # 商务局（2021年6月）: owed, never filed
    late: tuple[str, ...]  # 生态环境局（2021年8月，8月30日报送）: filed after the due day

    @property
    def rate(self) -> float:
        return self.filed / self.owing if self.owing else 0.0


_KIND_ORDER = {"临近提醒": 0, "催报通知": 1, "汇总提醒": 2}


@dataclass
class SimulationReport:
    programme: str
    title: str
    year: int
    scenario: str | None
    scenario_title: str | None
    first_day: date
    last_day: date
    points: int
    units: int
    final_states: dict[str, int]
    timeline: list[TimelineEntry] = field(default_factory=list)
    sent: list[Outgoing] = field(default_factory=list)  # in sending order
    steps: list[StepSummary] = field(default_factory=list)
    tasks: list[TaskSummary] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    outbox: str = ""
    outbox_files: int = 0
    item: str = DEFAULT_ITEM  # what moves through the programme (programme.item)
    replaced: int = 0  # files of an earlier simulation removed from the outbox
    store: str | None = None  # kept store (``db``); None: a temporary one, deleted
    runs: int = 0  # reminder runs made
    stalls: list[str] = field(default_factory=list)  # where points could not move, why
    # each return with a 整改期限: the point, the document, when, by when, and what followed
    rectifications: list[str] = field(default_factory=list)
    reports: list[ReportSummary] = field(default_factory=list)  # recurring reports

    @property
    def stalled(self) -> bool:
        return bool(self.stalls)

    def messages_by_kind(self) -> dict[str, int]:
        counts = Counter(KIND_LABELS.get(o.kind, o.kind) for o in self.sent)
        return dict(sorted(counts.items(), key=lambda kv: _KIND_ORDER.get(kv[0], 99)))

    def as_dict(self) -> dict[str, Any]:
        return {
            "programme": self.programme,
            "title": self.title,
            "item": self.item,
            "year": self.year,
            "scenario": self.scenario,
            "scenario_title": self.scenario_title,
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "points": self.points,
            "units": self.units,
            "final_states": self.final_states,
            "timeline": [{"day": e.day.isoformat(), "text": e.text} for e in self.timeline],
            "messages": {
                "total": len(self.sent),
                "by_kind": self.messages_by_kind(),
                "list": [{**outgoing_dict(o), "send_at": o.send_at.isoformat()} for o in self.sent],
            },
            "steps": [_step_dict(s) for s in self.steps],
            "reports": [
                {
                    "rule": r.rule,
                    "label": r.label,
                    "periods": r.periods,
                    "filed": r.filed,
                    "owing": r.owing,
                    "rate": round(r.rate, 4),
                    "missing": list(r.missing),
                    "late": list(r.late),
                }
                for r in self.reports
            ],
            "tasks": [
                {
                    "task": t.task,
                    "label": t.label,
                    "by": t.by,
                    "due": _iso(t.due),
                    "done": _iso(t.done),
                    "missing": list(t.missing),
                    "note": t.note,
                }
                for t in self.tasks
            ],
            "problems": list(self.problems),
            "stalls": list(self.stalls),
            "rectifications": list(self.rectifications),
            "outbox": self.outbox,
            "outbox_files": self.outbox_files,
            "replaced_files": self.replaced,
            "store": self.store,
            "reminder_runs": self.runs,
        }


def _step_dict(s: StepSummary) -> dict[str, Any]:
    return {
        "step": s.step,
        "label": s.label,
        "due": _iso(s.due),
        "reported": s.reported,
        "total": s.total,
        "rate": round(s.rate, 4),
        "missing": list(s.missing),
        "late": [
            {
                "unit": u.unit,
                "name": u.name,
                "points": list(u.points),
                "due": u.due.isoformat(),
                "submitted": _iso(u.submitted),
            }
            for u in s.late
        ],
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def render_report(report: SimulationReport) -> str:
    """The closing summary (the day-by-day timeline is echoed while the year runs)."""
    scenario = (
        f"{report.scenario_title or ''}（{report.scenario}）"
        if report.scenario
        else "默认（各单位均按期报送）"
    )
    lines = [
        f"演练结束：{report.title}（{report.year} 年），{report.first_day} 至 {report.last_day}，"
        f"{report.points} 个{report.item}、{report.units} 个单位；情景：{scenario}"
    ]
    states = "、".join(f"{label} {n}" for label, n in report.final_states.items())
    lines.append(f"{report.item}年底状态：{states}")
    kinds = "、".join(f"{k} {n} 封" for k, n in report.messages_by_kind().items())
    lines.append(f"发出邮件 {len(report.sent)} 封" + (f"：{kinds}" if kinds else ""))
    if report.stalls:
        lines.append(f"演练停滞：以下{report.item}到年底无法继续办理")
        lines.extend(f"  {stall}" for stall in report.stalls)
    if report.rectifications:
        lines.append("退回整改：")
        lines.extend(f"  {line}" for line in report.rectifications)
    lines.append("逾期或未报送的单位：")
    nothing = "  无（演练停滞，后续事项无从报送，见上）" if report.stalls else "  无"
    lines.extend(_late_lines(report) or [nothing])
    lines.append("年底上报率：")
    rates = [(s.label, s.reported, s.total, s.rate, s.missing) for s in report.steps]
    rates += [
        (f"{r.label}（{r.periods} 期）", r.filed, r.owing, r.rate, r.missing)
        for r in report.reports
    ]
    width = max((display_width(label) for label, *_ in rates), default=0)
    for label, done, total, rate, missed in rates:
        pad = " " * (width - display_width(label))
        missing = f"  缺报：{'、'.join(missed)}" if missed else ""
        lines.append(f"  {label}{pad}  {done}/{total}  {rate * 100:5.1f}%{missing}")
    if report.tasks:
        lines.append("全省层面事项：")
        lines.extend(_task_line(t) for t in report.tasks)
    for problem in report.problems:
        lines.append(f"问题：{problem}")
    replaced = f"，替换了上次演练的 {report.replaced} 封" if report.replaced else ""
    lines.append(f"发件箱：{report.outbox}（{report.outbox_files} 封 .eml{replaced}）")
    if report.store:
        lines.append(f"存储库：{report.store}（已保留，可用 docflow status、log 查看）")
    return "\n".join(lines)


def _late_lines(report: SimulationReport) -> list[str]:
    lines = []
    for s in report.steps:
        if not s.late:
            continue
        parts = []
        for u in s.late:
            when = f"{month_day(u.submitted)}报送" if u.submitted else "未报送"
            parts.append(f"{u.name}（{when}）")
        due = month_day(s.due) if s.due else "—"
        lines.append(f"  {s.label}（期限 {due}）：{'、'.join(parts)}")
    for r in report.reports:
        named = [f"{m[:-1]}，未报送）" for m in r.missing] + list(r.late)
        if named:
            lines.append(f"  {r.label}：{'、'.join(named)}")
    return lines


def _task_line(t: TaskSummary) -> str:
    due = f"期限 {month_day(t.due)}" if t.due else "无期限"
    if t.done is None:
        done = f"未完成（{t.note}）" if t.note else "未完成"
    else:
        done = f"{month_day(t.done)}完成" + ("（逾期）" if t.due and t.done > t.due else "")
    missing = f"，缺报 {len(t.missing)} 个单位" if t.missing else ""
    return f"  {t.label}（{t.by}，{due}）：{done}{missing}"
