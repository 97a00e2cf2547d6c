"""The status table and the trail as administrators read them.

``build_status`` gathers, in one read-only transaction, each point's state, next step, due
day and colour, and each step's reporting rate (上报率) with the units that have not
reported; ``render_status`` prints it as a table. ``render_log`` prints the trail.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from engine.definition.labels import COLOUR_NAMES, ENGINE_TRIGGER_LABELS
from engine.definition.loader import Definition
from engine.runtime.progress import ProgressView, StepRate
from engine.runtime.snapshot import Snapshot
from engine.runtime.store import EventRow
from engine.views.corrections import correction_marks, correction_words

__all__ = ["build_status", "event_line", "render_log", "render_status", "state_label", "step_label"]


def build_status(
    definition: Definition, snapshot: Snapshot, now: datetime, unit: str | None = None
) -> dict[str, Any]:
    """The status table's data: points (all, or ``unit``'s), colours, 上报率, tasks."""
    index = definition.index
    view = ProgressView.of(definition)
    points = snapshot.points
    overrides = snapshot.overrides
    tasks_done = snapshot.task_done_at
    shown = [p for p in points if unit is None or p.unit_id == unit]
    statuses = [
        view.point_status(p.point_id, p.unit_id, p.title, p.state, now, overrides) for p in shown
    ]
    pairs = [(p.unit_id, p.state) for p in points]
    rates: list[StepRate] = []
    proposals = view.proposals_rate(Counter(p.unit_id for p in points))
    if proposals is not None:
        rates.append(proposals)
    rates.extend(view.step_rate(t.trigger, pairs) for t in view.steps)
    return {
        "programme": definition.id,
        "title": definition.programme.programme.title,
        "now": now.isoformat(),
        "unit": unit,
        "points": [
            {
                "id": s.id,
                "unit": s.unit,
                "unit_name": s.unit_name,
                "title": s.title,
                "state": s.state,
                "state_label": s.state_label,
                "next_step": s.next_step,
                "next_step_label": s.next_step_label,
                "due": s.due.isoformat() if s.due else None,
                "colour": s.colour,
            }
            for s in statuses
        ],
        "colours": dict(Counter(s.colour for s in statuses)),
        "steps": [
            {
                "step": r.step,
                "label": r.label,
                "due": r.due.isoformat() if r.due else None,
                "reported": len(r.reported),
                "total": r.total,
                "rate": round(r.rate, 4),
                "missing": list(r.missing),
                "missing_names": [index.body_label(u) for u in r.missing],
            }
            for r in rates
        ],
        "tasks": [
            {
                "task": t.id,
                "label": t.label,
                "due": _iso(view.due_of(t.id)),
                "done": bool(tasks_done.get(t.id)),
                "done_at": tasks_done[t.id][0] if tasks_done.get(t.id) else None,
            }
            for t in definition.programme.tasks
            if t.level == "programme"
        ],
    }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(_width(r[i]) for r in [head, *rows]) for i in range(len(head))]
    return [
        "  ".join(cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)).rstrip()
        for row in [head, *rows]
    ]


def render_status(report: dict[str, Any]) -> str:
    lines = [f"{report['title']}：截至 {report['now'][:16].replace('T', ' ')}", ""]
    rows = [
        [
            COLOUR_NAMES.get(p["colour"], p["colour"]),
            p["id"],
            p["unit_name"],
            p["title"],
            p["state_label"],
            p["next_step_label"] or "—",
            p["due"] or "—",
        ]
        for p in report["points"]
    ]
    if rows:
        lines += _table(["灯", "编号", "单位", "突破点", "状态", "下一步", "期限"], rows)
        counts = report["colours"]
        lines.append("")
        lines.append(
            f"合计 {len(rows)} 个："
            + "、".join(f"{COLOUR_NAMES[c]}灯 {counts.get(c, 0)}" for c in COLOUR_NAMES)
        )
    else:
        lines.append("尚未登记突破点。")
    lines += ["", "上报率："]
    for s in report["steps"]:
        rate = f"{s['reported']}/{s['total']}"
        percent = f"{s['rate'] * 100:.0f}%" if s["total"] else "—"
        line = f"  {s['label']}（期限 {s['due'] or '—'}）：{rate}，{percent}"
        if s["missing_names"]:
            shown = "、".join(s["missing_names"][:12])
            more = f"等 {len(s['missing_names'])} 个单位" if len(s["missing_names"]) > 12 else ""
            line += f"；未报：{shown}{more}"
        lines.append(line)
    if report["tasks"]:
        lines += ["", "全省层面事项："]
        for t in report["tasks"]:
            done = f"已完成（{t['done_at'][:10]}）" if t["done"] else "未完成"
            lines.append(f"  {t['label']}（期限 {t['due'] or '—'}）：{done}")
    return "\n".join(lines)


def step_label(definition: Definition, trigger: str) -> str:
    """What an event did, in words: the step's label, or what the engine itself recorded."""
    index = definition.index
    t = index.transitions.get(trigger)
    if t is not None:
        return t.label
    task = index.tasks.get(trigger)
    if task is not None:
        return task.label
    return ENGINE_TRIGGER_LABELS.get(trigger, trigger)


def state_label(definition: Definition, state: str | None) -> str:
    if state is None:
        return "—"
    known = definition.index.states.get(state)
    return known.label if known else state


def event_line(definition: Definition, e: EventRow, verb: str) -> str:
    """``#53 已决定「初步筛选（入选）」：突破点 eic-1（省经济和信息化委），已推荐 → 已入选``."""
    index = definition.index
    if e.point_id:
        target = f"突破点 {e.point_id}（{index.body_label(e.unit_id or e.actor)}）"
    else:
        target = index.body_label(e.unit_id or e.actor)
    if e.dest_state and e.source_state != e.dest_state:
        move = (
            f"{state_label(definition, e.source_state)} → {state_label(definition, e.dest_state)}"
        )
    else:
        move = "状态不变"
    return f"#{e.seq} {verb}「{step_label(definition, e.trigger)}」：{target}，{move}"


def render_log(definition: Definition, events: Sequence[EventRow]) -> str:
    index = definition.index
    if not events:
        return "留痕为空。"
    marks = correction_marks(events)
    lines = []
    for e in events:
        what = step_label(definition, e.trigger)
        target = f"{e.point_id}" if e.point_id else "全省"
        move = ""
        if e.source_state != e.dest_state and e.dest_state:
            src = index.states[e.source_state].label if e.source_state in index.states else "—"
            dst = index.states[e.dest_state].label if e.dest_state in index.states else e.dest_state
            move = f"（{src} → {dst}）"
        detail = []
        corrects = correction_words(e)
        if corrects:
            detail.append(corrects)
        if e.document_sha256:
            detail.append(f"文件 {e.document_sha256[:12]}")
        if e.reason:
            detail.append(f"理由：{e.reason}")
        if e.effective_at != e.recorded_at:
            detail.append(f"生效 {e.effective_at[:16].replace('T', ' ')}")
        operator = e.extras.get("operator")
        if operator:
            detail.append(f"经办人 {operator}")
        lines.append(
            f"#{e.seq} {e.recorded_at[:16].replace('T', ' ')} {index.body_label(e.actor)} "
            f"{what} {target}{move}"
            + ("；" + "；".join(detail) if detail else "")
            + marks.get(e.seq, "")
        )
    return "\n".join(lines)
