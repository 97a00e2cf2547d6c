"""The status table and the trail as administrators read them.

``build_status`` gathers, in one read-only transaction, each point's state, next step, due
day and colour, and each step's reporting rate (上报率) with the units that have not
reported (the parties that owe the step now: see ``engine.runtime.progress``), the duties
inspection leads owe and the decisions the province has still to take; ``render_status``
prints it as a table. ``render_log`` prints the trail.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from engine.definition.index import ProgrammeIndex
from engine.definition.labels import COLOUR_NAMES, engine_trigger_label
from engine.definition.loader import Definition
from engine.runtime.owing import Duty
from engine.runtime.progress import ProgressView, StepRate
from engine.runtime.snapshot import Snapshot
from engine.runtime.store import EventRow, PointRow
from engine.views.corrections import correction_marks, correction_words
from engine.views.memo import RowMemo
from engine.views.recurring import (
    filing_label,
    occurrence_duties,
    occurrence_rows,
    report_lines,
    unit_rows,
)

#: A step no party has reached yet (no point waits for it or has done it).
NOBODY_YET = "尚无单位到达此环节"

__all__ = [
    "NOBODY_YET",
    "build_status",
    "event_line",
    "group_label",
    "lead_cell",
    "render_log",
    "render_status",
    "state_label",
    "states_note",
    "status_rows",
    "step_label",
]


def build_status(
    definition: Definition,
    snapshot: Snapshot,
    now: datetime,
    unit: str | None = None,
    point: str | None = None,
    memo: RowMemo | None = None,
    periods: list[Duty] | None = None,
) -> dict[str, Any]:
    """The status table's data: points (all, ``unit``'s, or ``point``), colours, 上报率, the
    duties bodies owe on other units' points (an inspection lead's report), the pending
    decisions (all, or those ``unit`` must take), tasks. With ``memo``, a point's row is
    built again only when its inputs changed (``engine.views.memo``); ``periods``: the
    recurring reports' duties at ``now`` when the caller has them (``occurrence_duties``)."""
    index = definition.index
    view = ProgressView.of(definition)
    points = snapshot.points
    overrides = snapshot.overrides
    tasks_done = snapshot.task_done_at
    if periods is None:  # recurring reports, worked out once
        periods = occurrence_duties(definition, snapshot, now)
    rows = status_rows(definition, snapshot, now, unit, point, memo)
    pairs = {(p.unit_id, p.state) for p in points}  # a rate depends on which pairs occur
    triples = [(p.point_id, p.unit_id, p.state) for p in points]
    # A unit sees its duties before they fall due; the whole programme only those reached.
    duties = [
        d
        for d in view.duties(triples, now, overrides)
        if d.party == unit or (unit is None and (d.points or d.done))
    ]
    decisions = [d for d in view.pending_decisions(triples, now) if unit is None or d.party == unit]
    rates: list[StepRate] = []
    proposals = view.proposals_rate(Counter(p.unit_id for p in points))
    if proposals is not None:
        rates.append(proposals)
    rates.extend(view.step_rate(t.trigger, pairs) for t in view.steps)
    return {
        "programme": definition.id,
        "title": definition.programme.programme.title,
        "item": definition.programme.programme.item,
        "now": now.isoformat(),
        # The moment the trail was replayed to (states as they were then), or None: the
        # states as stored, with ``newest_at`` the time of the newest event among them.
        "as_of": snapshot.as_of.isoformat() if snapshot.as_of is not None else None,
        "newest_at": snapshot.newest_at,
        "states_note": states_note(snapshot, now),
        "unit": unit,
        "points": rows,
        "colours": dict(Counter(r["colour"] for r in rows)),
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
        "duties": [
            {
                "party": d.party,
                "party_name": index.body_label(d.party),
                "role": d.role,
                "step": d.step,
                "label": d.label,
                "covers": list(d.covers),
                "covers_names": [index.body_label(u) for u in d.covers],
                "due": _iso(d.due),
                "colour": d.colour,
                "points": list(d.points),
                "done": d.done,
            }
            for d in duties
        ],
        "decisions": [
            {
                "party": d.party,
                "party_name": index.body_label(d.party),
                "step": d.step,
                "label": d.label,
                "due": _iso(d.due),
                "overdue": d.overdue,
                "points": list(d.points),
                "units": list(d.units),
                "unit_names": [index.body_label(u) for u in d.units],
            }
            for d in decisions
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
        # Recurring reports: each occurrence begun by now, and what units owe of them.
        "occurrences": occurrence_rows(definition, periods) if unit is None else [],
        "owed_occurrences": unit_rows(definition, periods, unit),
    }


def status_rows(
    definition: Definition,
    snapshot: Snapshot,
    now: datetime,
    unit: str | None = None,
    point: str | None = None,
    memo: RowMemo | None = None,
) -> list[dict[str, Any]]:
    """The status table's rows: each point's (all, ``unit``'s as lead or co-responsible
    unit, or ``point``) state, next step, due day and colour at ``now``."""
    view = ProgressView.of(definition)
    index = definition.index
    overrides = snapshot.overrides
    shown = [
        p
        for p in snapshot.points
        if (unit is None or p.unit_id == unit or unit in p.co)
        and (point is None or p.point_id == point)
    ]
    today = view.local_date(now)
    rows = []
    for p in shown:
        step = index.pending_step(p.state)
        override = overrides.get((p.point_id, step.trigger)) if step is not None else None
        rectify = step is not None and (p.point_id, step.trigger) in snapshot.rectified
        args = (view, p, now, overrides, rectify)
        if memo is None:
            rows.append(_point_row(*args))
        else:  # the key is everything the row is built from
            rows.append(memo.row(p.point_id, (today, p, override, rectify), _point_row, *args))
    return rows


def _point_row(
    view: ProgressView,
    p: PointRow,
    now: datetime,
    overrides: Mapping[tuple[str, str], date],
    rectify: bool,
) -> dict[str, Any]:
    """One point's row of the status table."""
    index = view.index
    s = view.point_status(p.point_id, p.unit_id, p.title, p.state, now, overrides)
    return {
        "id": s.id,
        "unit": s.unit,
        "unit_name": s.unit_name,
        "co": list(p.co),
        "co_names": [index.body_label(u) for u in p.co],
        "group": p.group_id,
        "group_name": group_label(index, p.group_id),
        "title": s.title,
        "state": s.state,
        "state_label": s.state_label,
        "next_step": s.next_step,
        "next_step_label": s.next_step_label,
        "due": s.due.isoformat() if s.due else None,
        "rectify": rectify,  # the due day is a return's 整改期限
        "colour": s.colour,
        "owed_by": s.owed_by,
    }


def group_label(index: ProgrammeIndex, group: str | None) -> str | None:
    """The label of the group whose entry enrolled a point (各县区政府), or None."""
    if group is None:
        return None
    found = index.groups.get(group)
    return found.label if found else group


def lead_cell(unit_name: str, group_name: str | None) -> str:
    """The lead unit as a table shows it: ``甲县政府（各县区政府）`` for a group's member."""
    return f"{unit_name}（{group_name}）" if group_name else unit_name


def states_note(snapshot: Snapshot, now: datetime) -> str | None:
    """What to say when the states shown are not those at ``now``: the store as it is, with
    events recorded after ``now`` (a clock set back); None when they are ``now``'s."""
    if snapshot.as_of is not None or snapshot.newest_at is None:
        return None
    newest = datetime.fromisoformat(snapshot.newest_at)
    if newest <= now:
        return None
    return f"状态为存储库现状（最新留痕记于 {_minute(snapshot.newest_at)}），不是该时刻的状态"


def _minute(text: str) -> str:
    return text[:16].replace("T", " ")


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


def _heading(report: dict[str, Any]) -> str:
    """``截至`` the moment only when the states shown are that moment's."""
    now = _minute(report["now"])
    title = report["title"]
    if report.get("as_of"):
        heading = f"{title}：截至 {now}（按留痕重放至该时刻的状态）"
    elif report.get("states_note"):
        heading = (
            f"{title}：期限和灯色按 {now} 判断；{report['states_note']}"
            "（查看该时刻的状态请用 --at）"
        )
    else:
        heading = f"{title}：截至 {now}"
    note = report.get("definition_note")
    return f"{heading}\n{note}" if note else heading


def render_status(report: dict[str, Any]) -> str:
    item = report["item"]
    lines = [_heading(report), ""]
    roles = any(p.get("co") or p.get("group") for p in report["points"])
    rows = [
        [
            COLOUR_NAMES.get(p["colour"], p["colour"]),
            p["id"],
            lead_cell(p["unit_name"], p.get("group_name")) if roles else p["unit_name"],
            *(["、".join(p["co_names"]) or "—"] if roles else []),
            p["title"],
            p["state_label"],
            p["next_step_label"] or "—",
            f"整改期限 {p['due']}" if p.get("rectify") else p["due"] or "—",
        ]
        for p in report["points"]
    ]
    if rows:
        units = ["牵头单位", "责任单位"] if roles else ["单位"]
        lines += _table(["灯", "编号", *units, item, "状态", "下一步", "期限"], rows)
        counts = report["colours"]
        lines.append("")
        lines.append(
            f"合计 {len(rows)} 个："
            + "、".join(f"{COLOUR_NAMES[c]}灯 {counts.get(c, 0)}" for c in COLOUR_NAMES)
        )
    else:
        lines.append(f"尚未登记{item}。")
    lines += ["", "上报率："]
    for s in report["steps"]:
        line = f"  {s['label']}（期限 {s['due'] or '—'}）："
        if not s["total"]:
            lines.append(line + NOBODY_YET)
            continue
        line += f"{s['reported']}/{s['total']}，{s['rate'] * 100:.0f}%"
        if s["missing_names"]:
            line += f"；未报：{_names(s['missing_names'])}"
        lines.append(line)
    lines += _duty_lines(report.get("duties", []), item)
    lines += _decision_lines(report.get("decisions", []), item)
    if report["tasks"]:
        lines += ["", "全省层面事项："]
        for t in report["tasks"]:
            done = f"已完成（{t['done_at'][:10]}）" if t["done"] else "未完成"
            lines.append(f"  {t['label']}（期限 {t['due'] or '—'}）：{done}")
    lines += report_lines(report)
    return "\n".join(lines)


def _names(names: list[str], limit: int = 12) -> str:
    more = f"等 {len(names)} 个单位" if len(names) > limit else ""
    return "、".join(names[:limit]) + more


def _duty_lines(duties: list[dict[str, Any]], item: str) -> list[str]:
    """What bodies owe on other units' points: ``红灯 第五检查组组长单位 省国土资源厅：…``."""
    if not duties:
        return []
    lines = ["", "检查组组长单位等应报事项："]
    for d in duties:
        who = f"{d['role']} {d['party_name']}" if d["role"] else d["party_name"]
        line = (
            f"  {COLOUR_NAMES.get(d['colour'], d['colour'])}灯 {who}：{d['label']}"
            f"（期限 {d['due'] or '—'}），负责 {_names(d['covers_names'])}；"
        )
        if d["points"]:
            line += f"待报送 {len(d['points'])} 个{item}"
        elif d["done"]:
            line += f"已报送 {d['done']} 个{item}"
        else:
            line += NOBODY_YET
        lines.append(line)
    return lines


def _decision_lines(decisions: list[dict[str, Any]], item: str) -> list[str]:
    """The province's pending decisions: ``省经济和信息化委 初步筛选：待决定 47 个突破点…``."""
    if not decisions:
        return []
    lines = ["", "待决定："]
    for d in decisions:
        state = "逾期待决定" if d["overdue"] else "待决定"
        due = f"（期限 {d['due']}）" if d["due"] else ""
        lines.append(
            f"  {d['party_name']} {d['label']}{due}：{state} {len(d['points'])} 个{item}，"
            f"涉及 {_names(d['unit_names'])}"
        )
    return lines


def step_label(definition: Definition, trigger: str) -> str:
    """What an event did, in words: the step's label, or what the engine itself recorded."""
    index = definition.index
    t = index.transitions.get(trigger)
    if t is not None:
        return t.label
    task = index.tasks.get(trigger)
    if task is not None:
        return task.label
    return engine_trigger_label(trigger, definition.programme.programme.item)


def state_label(definition: Definition, state: str | None) -> str:
    if state is None:
        return "—"
    known = definition.index.states.get(state)
    return known.label if known else state


def event_line(definition: Definition, e: EventRow, verb: str) -> str:
    """``#53 已决定「初步筛选（入选）」：突破点 eic-1（省经济和信息化委），已推荐 → 已入选``."""
    index = definition.index
    if e.point_id:
        target = f"{definition.programme.programme.item} {e.point_id}（{index.body_label(e.unit_id or e.actor)}）"
    else:
        target = index.body_label(e.unit_id or e.actor)
    if e.dest_state and e.source_state != e.dest_state:
        move = (
            f"{state_label(definition, e.source_state)} → {state_label(definition, e.dest_state)}"
        )
    else:
        move = "状态不变"
    what = filing_label(definition, e) or step_label(definition, e.trigger)
    return f"#{e.seq} {verb}「{what}」：{target}，{move}"


def render_log(definition: Definition, events: Sequence[EventRow]) -> str:
    index = definition.index
    if not events:
        return "留痕为空。"
    marks = correction_marks(events)
    lines = []
    for e in events:
        what = filing_label(definition, e) or step_label(definition, e.trigger)
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
