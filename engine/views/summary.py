"""The 汇总表's data: one row per enrolled point with its unit, state and, per document
step, the day its submission took effect, its due day and how it stands against it.

Each step of a point is judged by ``verdict``: 按时 (submitted on or before its due day),
逾期N天 (submitted N days after it, or not submitted and N days past it; with the body that
owes it when that is not the point's unit: 逾期2天（省国土资源厅报送）), 未到期 (not
submitted, not yet due), 待省政府决定 (the point waits for that body's decision: owed by
nobody yet, not late against its unit; 逾期待…决定 past the decision's own deadline),
待前序事项 (another party's report comes first) or blank (not owed: not selected, withdrawn). Days are calendar
days in the programme's zone. Below the points, ``totals`` gives per step how many points
owe it, how many submitted it (上报率) and how many are late.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from engine.definition.labels import BODY_KIND_LABELS as KIND_LABELS
from engine.definition.loader import Definition
from engine.definition.schema import Header
from engine.runtime.corrections import standing
from engine.runtime.owing import Duty
from engine.runtime.progress import ProgressView, Standing
from engine.runtime.rectifying import judged_by
from engine.runtime.snapshot import Snapshot
from engine.runtime.store import EventRow, PointRow
from engine.views.memo import RowMemo
from engine.views.recurring import occurrence_duties, occurrence_rows
from engine.views.status import group_label, lead_cell, states_note

__all__ = [
    "NOT_YET_DUE",
    "ON_TIME",
    "STANDING",
    "WAITING_EARLIER",
    "build_summary",
    "days_late_label",
    "rate_label",
    "summary_table",
    "summary_title",
    "verdict",
]


def summary_title(header: Header) -> str:
    """The 汇总表's title: the programme's title without its final 工作方案, followed by its
    item noun unless it ends in it (全省产业转型升级突破点汇总表, 重点工作任务汇总表)."""
    topic = header.title.removesuffix("方案").removesuffix("工作")
    return f"{topic}{'' if topic.endswith(header.item) else header.item}汇总表"


STANDING = "按期情况"  # the heading of a step's standing column

ON_TIME = "按时"
NOT_YET_DUE = "未到期"
WAITING_DECISION = "待"  # 待省政府决定: the point waits for that body's decision
WAITING_EARLIER = "待前序事项"  # another party's report comes first (an inspection)


def days_late_label(days: int) -> str:
    """``逾期3天``."""
    return f"逾期{days}天"


def verdict(cell: Mapping[str, Any]) -> str:
    """How a step of a point stands: 按时, 逾期N天, 未到期 or blank (not owed)."""
    if cell["overdue"] is None:
        return ""
    if cell["days_late"]:
        return days_late_label(cell["days_late"])
    return ON_TIME if cell["submitted"] else NOT_YET_DUE


def build_summary(
    definition: Definition,
    snapshot: Snapshot,
    now: datetime,
    memo: RowMemo | None = None,
    periods: list[Duty] | None = None,
) -> dict[str, Any]:
    """Every enrolled point with its state and, per document step, submission and lateness.
    With ``memo``, a point's row is built again only when its inputs changed; ``periods``:
    the recurring reports' duties at ``now`` when the caller has them.

    The submission date of a step is the effective date of the latest submission event of
    the point for that step; a later 退回 (a ``return`` decision of the same task) cancels it
    until the unit submits again. Withdrawn records (撤回) are left out, as if never made. A step is late (逾期) when it was submitted after its due
    day - the point's own due day when an extension was granted - or when it has not been
    submitted, the point still owes it and the due day has passed by ``now``.
    """
    view = ProgressView.of(definition)
    today = view.local_date(now)
    points = snapshot.points
    events = standing(snapshot.trail)  # a withdrawn submission no longer counts
    overrides = snapshot.overrides
    head_seq, head_hash = snapshot.head
    by_point: dict[str, list[EventRow]] = defaultdict(list)
    for event in events:
        if event.point_id is not None:
            by_point[event.point_id].append(event)
    steps = view.steps
    done_somewhere = set().union(*view.done_states.values()) if steps else set()
    rows = []
    tallies: list[Tally] = []
    rectified = snapshot.rectified
    moved = _by_point((pid, (step, due)) for (pid, step), due in overrides.items())
    marked = _by_point(rectified)  # the steps whose due day is a 整改期限
    for number, point in enumerate(points, 1):
        own = by_point.get(point.point_id, [])
        args = (number, point, own, overrides, view, today, done_somewhere, rectified)
        if memo is None:
            built = _tallied(*args)
        else:
            pid = point.point_id
            # Everything the row is built from: the point, its events (a new one, or one
            # withdrawn, changes how many there are or the last seq: seqs only grow), its
            # extended due days and 整改期限.
            last = own[-1].seq if own else 0
            key = (today, number, point, len(own), last, moved.get(pid), marked.get(pid))
            built = memo.row(pid, key, _tallied, *args)
        rows.append(built[0])
        tallies.append(built[1])
    tally = Counter(tallies)
    header = definition.programme.programme
    return {
        "title": summary_title(header),
        "item": header.item,
        "programme": definition.id,
        "programme_title": header.title,
        "doc_number": header.doc_number,
        "year": header.year,
        "now": now.isoformat(),
        "today": today.isoformat(),
        "as_of": snapshot.as_of.isoformat() if snapshot.as_of is not None else None,
        "states_note": states_note(snapshot, now),
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
        # Whether any point has co-responsible units or was led by a group: then the table
        # names the 牵头单位 and shows a 责任单位 column.
        "roles": any(r["co_names"] or r["group_name"] for r in rows),
        "totals": _totals(steps, tally),
        # How many points of each unit stand alike: (unit, state, per step (submitted,
        # overdue, due day, waits for a decision)) -> count; what the desk's matrix reads.
        "tally": tally,
        # Recurring reports: 上报率 and 缺报单位 of each occurrence begun by now.
        "occurrences": occurrence_rows(
            definition,
            occurrence_duties(definition, snapshot, now) if periods is None else periods,
        ),
        "counts": {
            "points": len(rows),
            "overdue_points": sum(n for t, n in tally.items() if any(c[1] for c in t[2])),
        },
    }


def _by_point(pairs: Iterable[tuple[str, Any]]) -> dict[str, tuple[Any, ...]]:
    """(point, value) pairs as point -> its values, in order (a memo key's part)."""
    found: dict[str, list[Any]] = defaultdict(list)
    for point, value in pairs:
        found[point].append(value)
    return {point: tuple(sorted(values)) for point, values in found.items()}


#: A point as the totals count it: unit, state and per step (submitted, overdue, due day,
#: waits for a decision).
Tally = tuple[str, str, tuple[tuple[bool, bool | None, str, bool], ...]]


def _tallied(*args: Any) -> tuple[dict[str, Any], Tally]:
    """A point's row of the 汇总表 and how the totals count it."""
    row = _summary_row(*args)
    cells = tuple(
        (c["submitted"] is not None, c["overdue"], c["due"], c["waiting"].endswith("决定"))
        for c in row["steps"].values()
    )
    return row, (row["unit"], row["state"], cells)


def _totals(steps: Any, tally: Counter[Tally]) -> dict[str, dict[str, Any]]:
    """Per step: points that owe it (or submitted it), those that submitted it, 上报率, late."""
    totals = {}
    for i, t in enumerate(steps):
        owed = submitted = late = late_submitted = waiting = 0
        for (_unit, _state, cells), n in tally.items():
            done, overdue, _due, decision = cells[i]
            waiting += n if decision else 0
            if overdue is None:
                continue
            owed += n
            submitted += n if done else 0
            late += n if overdue else 0
            late_submitted += n if overdue and done else 0
        totals[t.trigger] = {
            "owed": owed,
            "submitted": submitted,
            "rate": round(submitted / owed, 4) if owed else None,
            "late": late,
            "late_submitted": late_submitted,
            "waiting_decision": waiting,
        }
    return totals


def rate_label(rate: float | None) -> str:
    """``67%``, or a dash when nothing is owed."""
    return "—" if rate is None else f"{rate * 100:.0f}%"


def _summary_row(
    number: int,
    point: PointRow,
    events: list[EventRow],
    overrides: Mapping[tuple[str, str], date],
    view: ProgressView,
    today: date,
    done_somewhere: set[str],
    rectified: frozenset[tuple[str, str]] = frozenset(),
) -> dict[str, Any]:
    index = view.index
    steps = view.steps
    by_task: dict[str, list[str]] = defaultdict(list)
    for step in steps:
        by_task[step.task_id].append(step.trigger)
    judged = {s: d for (p, s), d in judged_by(events).items() if p == point.point_id}
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
        when = submitted.get(t.trigger)
        answered = judged[t.trigger] if when is not None and t.trigger in judged else None
        due = answered or view.due_of(t.trigger, override)
        assert due is not None  # steps all have deadlines
        overdue: bool | None
        days_late = 0
        by = ""  # who owes it, when not the point's unit (an inspection lead)
        owed_by: str | None = None
        waiting = ""  # what holds it up when nobody owes it yet
        if when is not None:
            overdue = when > due
            days_late = max(0, (when - due).days)
        elif not final and point.state in view.behind_states[t.trigger]:
            standing = view.standing(t.trigger, point.unit_id, point.state)
            if standing.kind == "owes":
                overdue = today > due
                days_late = max(0, (today - due).days)
                if standing.party is not None and standing.party != point.unit_id:
                    owed_by = standing.party
                    by = f"（{index.body_label(standing.party)}报送）"
            else:  # held up by another body: a decision, or another party's report first
                overdue = None
                waiting = _waiting_words(view, standing, today)
        else:
            overdue = None  # not owed: not selected, withdrawn, or done without a record
        cell: dict[str, Any] = {
            "submitted": when.isoformat() if when else None,
            "due": due.isoformat(),
            "extended": override is not None,
            "rectify": (point.point_id, t.trigger) in rectified,  # the due day is a 整改期限
            "overdue": overdue,
            "days_late": days_late,
            "returned": [d.isoformat() for d in returns.get(t.trigger, [])],
            "waiting": waiting,
            "owed_by": owed_by,
        }
        cell["verdict"] = (
            (verdict(cell) + by) if overdue is not None else (waiting or verdict(cell))
        )
        cells[t.trigger] = cell
        name = t.document or t.label
        if answered is not None:
            remarks.append(f"{name}整改期限 {answered.isoformat()}")
        if override is not None and cell["rectify"]:
            remarks.append(f"{name}整改期限 {override.isoformat()}")
        elif override is not None:
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
        "co_names": [index.body_label(u) for u in point.co],
        "group_name": group_label(index, point.group_id),
        "title": point.title,
        "state": point.state,
        "state_label": state_label,
        "steps": cells,
        "remarks": "；".join(remarks),
    }


def _waiting_words(view: ProgressView, standing: Standing, today: date) -> str:
    """``待省政府决定`` (``逾期待省政府决定`` past the decision's own deadline), or
    ``待前序事项`` for a step held up by another party's report."""
    if standing.kind == "decision" and standing.party is not None:
        move = standing.move
        due = view.due_of(move.trigger) if move is not None else None
        late = "逾期" if due is not None and today > due else ""
        return f"{late}{WAITING_DECISION}{view.index.body_label(standing.party)}决定"
    return WAITING_EARLIER if standing.kind == "held" else ""


def summary_table(summary: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of the summary; dates as ``date``, each step's standing as 按时,
    逾期N天, 未到期 or blank (see ``verdict``)."""
    roles = bool(summary.get("roles"))
    head = ["序号", "单位", "单位类别", summary["item"], "编号", "负责单位", "当前状态"]
    if roles:
        head[1], head[5] = "牵头单位", "牵头单位全称"
        head.insert(6, "责任单位")
    for step in summary["steps"]:
        head += [f"{step['document']}报送日期", f"{step['document']}{STANDING}"]
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
            *(["、".join(r["co_names"]) or "—"] if roles else []),
            r["state_label"],
        ]
        if roles:
            row[1] = lead_cell(r["unit_name"], r["group_name"])
        for step in summary["steps"]:
            cell = r["steps"][step["step"]]
            row.append(date.fromisoformat(cell["submitted"]) if cell["submitted"] else None)
            row.append(cell["verdict"])
        row.append(r["remarks"])
        rows.append(row)
    return head, rows
