"""The definition's half of the report: header, organisation, phases, steps with their
deadlines, reminders and sources, and the amendments - plain data for the template."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine.definition.deadlines import DeadlineResolver
from engine.definition.index import Step
from engine.definition.labels import BODY_KIND_LABELS as KIND_LABELS
from engine.definition.loader import Definition
from engine.definition.schema import ANY_STATE, Deadline, SourceRef
from engine.delivery.gongwen import format_date
from engine.views.wording import (
    actor_label,
    ids_label,
    month_day,
    policy_in_words,
    source_document_label,
    transition_how,
    weekday,
)

__all__ = [
    "DeadlineView",
    "Source",
    "StepView",
    "_amendments",
    "_header",
    "_organisation",
    "_phases",
    "_reminder_days",
    "_state_label",
    "_step_view",
]


@dataclass
class Source:
    document: str
    clause: str
    quote: str | None


@dataclass
class DeadlineView:
    phrase: str  # governing phrase
    starts: str | None
    first: date
    due: date
    first_weekday: str
    due_weekday: str
    is_working_day: bool
    holiday: str | None
    last_working_day: date
    shift: bool
    amended: bool
    original_phrase: str | None
    original_due: date | None
    source: Source
    original_source: Source | None


@dataclass
class StepView:
    id: str
    anchor: str
    label: str
    kind: str  # 突破点事项 (the item's noun) / 单位事项 / 全省层面事项
    how: str
    move: str
    actor: str
    recipients: str
    document: str
    phase: str | None
    phase_exception: str | None
    deadline: DeadlineView | None
    reminders: str | None
    reminder_days: list[str] = field(default_factory=list)
    source: Source | None = None
    waits_for: str | None = None


def _source(definition: Definition, ref: SourceRef | None) -> Source | None:
    if ref is None:
        return None
    return Source(source_document_label(definition.index, ref), ref.clause, ref.quote)


def _deadline_view(definition: Definition, deadline: Deadline, row: dict[str, Any]) -> DeadlineView:
    calendar = DeadlineResolver(
        definition.programme.programme.calendar, definition.programme.programme.year
    ).calendar
    first = date.fromisoformat(row["first"])
    due = date.fromisoformat(row["due"])
    original_source = None
    if deadline.amendments:
        original_source = _source(definition, deadline.source)
    source = _source(definition, deadline.governing_source)
    assert source is not None
    return DeadlineView(
        phrase=row["phrase"],
        starts=deadline.starts,
        first=first,
        due=due,
        first_weekday=weekday(first),
        due_weekday=row["weekday"],
        is_working_day=row["is_working_day"],
        holiday=None if row["is_working_day"] else calendar.holiday_name(due),
        last_working_day=date.fromisoformat(row["last_working_day"]),
        shift=definition.programme.programme.calendar.shift_to_working_day,
        amended=bool(deadline.amendments),
        original_phrase=row["original_phrase"],
        original_due=date.fromisoformat(row["original_due"]) if row["original_due"] else None,
        source=source,
        original_source=original_source,
    )


def _reminder_days(definition: Definition) -> dict[str, list[str]]:
    """Step -> when its reminders and 催报 go out, as the reminder runner computes the days."""
    from engine.delivery.reminders import occurrences, rules
    from engine.runtime.progress import ProgressView

    view = ProgressView.of(definition)
    found: dict[str, dict[str, list[str]]] = {}
    hours: dict[str, set[int]] = {}
    for rule in rules(definition):
        for occ in occurrences(rule, view):
            day = occ.send_at.date()
            kinds = found.setdefault(rule.step, {"before": [], "overdue": []})
            kinds[rule.kind].append(f"{month_day(day)}（{weekday(day)[-1]}）")
            hours.setdefault(rule.step, set()).add(occ.send_at.hour)
    result: dict[str, list[str]] = {}
    for step, kinds in found.items():
        lines = []
        if kinds["before"]:
            lines.append("临近提醒：" + "、".join(kinds["before"]))
        if kinds["overdue"]:
            lines.append("逾期催报：" + "、".join(kinds["overdue"]))
        lines.append("均于" + "、".join(f"{h}时" for h in sorted(hours[step])) + "发出")
        result[step] = lines
    return result


def _state_label(definition: Definition, state: str | None) -> str:
    if state is None:
        return "—"
    found = definition.index.states.get(state)
    return found.label if found else state


def _step_view(
    definition: Definition,
    step: Step,
    rows: dict[str, dict[str, Any]],
    reminder_days: dict[str, list[str]],
) -> StepView:
    index = definition.index
    phases = {ph.id: ph for ph in definition.programme.phases}
    deadline = None
    if step.deadline is not None and step.id in rows:
        deadline = _deadline_view(definition, step.deadline, rows[step.id])
    policy = index.policies.get(step.reminders) if step.reminders else None
    phase = phases.get(step.phase) if step.phase else None
    common: dict[str, Any] = {
        "id": step.id,
        "anchor": f"step-{step.id}",
        "label": step.label,
        "phase": f"{phase.label}（{phase.window}）" if phase else None,
        "phase_exception": step.phase_exception,
        "deadline": deadline,
        "reminders": policy_in_words(index, policy) if policy else None,
        "reminder_days": reminder_days.get(step.id, []),
    }
    if step.transition is not None:
        t = step.transition
        if ANY_STATE in t.source:
            sources = "任一未终止状态"
        else:
            sources = "、".join(_state_label(definition, s) for s in t.source)
        move = (
            f"{sources} → {_state_label(definition, t.dest)}"
            if t.dest
            else f"{sources}（状态不变）"
        )
        source = deadline.source if deadline else _source(definition, t.source_clause)
        return StepView(
            kind=f"{index.programme.programme.item}事项",
            how=transition_how(t),
            move=move,
            actor=actor_label(index, t.actor),
            recipients=ids_label(index, t.recipients),
            document=t.document or "—",
            source=source,
            **common,
        )
    task = step.task
    assert task is not None
    waits = []
    for name in task.waits_for:
        if name in index.tasks:
            waits.append(index.tasks[name].label)
        elif name in index.point_tasks:
            waits.append(index.point_tasks[name][0].label)
        else:
            waits.append(name)
    source = deadline.source if deadline else _source(definition, task.source_clause)
    return StepView(
        kind="单位事项（各单位分别完成）" if task.level == "unit" else "全省层面事项",
        how="报送文件" if task.document else "完成",
        move="—",
        actor=ids_label(index, task.responsible),
        recipients=ids_label(index, task.recipients),
        document=task.document or "—",
        source=source,
        waits_for="、".join(waits) if waits else None,
        **common,
    )


def _header(definition: Definition) -> dict[str, Any]:
    p = definition.programme
    header = p.programme
    index = definition.index
    style = header.date_style
    # The cover notice is the document carrying the programme's 发文字号; without one, the
    # programme is cited by its own title.
    cover = next(
        (d for d in header.documents if header.doc_number and d.doc_number == header.doc_number),
        None,
    )
    issuer = index.bodies.get(header.issuer)
    return {
        "notice_title": cover.title if cover else header.title,
        "programme_title": header.title,
        "year": header.year,
        "doc_number": header.doc_number,
        "issuer": issuer.name if issuer else header.issuer,
        "issued": format_date(header.issued, style),
        "addressees": "，".join(header.addressees) + "：",
        "attachments": list(header.attachments),
        "documents": [
            {
                "title": d.title,
                "doc_number": d.doc_number,
                "issuer": index.bodies[d.issuer].name if d.issuer in index.bodies else d.issuer,
                "issued": format_date(d.issued, style) if d.issued else None,
                "text_file": d.text_file,
            }
            for d in header.documents
        ],
        "calendar": header.calendar,
    }


def _organisation(definition: Definition) -> dict[str, Any]:
    p = definition.programme
    index = definition.index
    wg = p.working_group
    kinds: dict[str, list[Any]] = {}
    for body in p.bodies:
        kinds.setdefault(body.kind, []).append(body)
    order = [k for k in KIND_LABELS if k in kinds] + [k for k in kinds if k not in KIND_LABELS]
    return {
        "working_group": None
        if wg is None
        else {
            "label": wg.label,
            "leader": wg.leader,
            "deputies": "、".join(wg.deputies) or "—",
            "members": ids_label(index, wg.members),
            "daily_work": index.bodies[wg.daily_work].name
            if wg.daily_work in index.bodies
            else wg.daily_work,
            "source": _source(definition, wg.source),
        },
        "kinds": [{"kind": k, "label": KIND_LABELS.get(k, k), "bodies": kinds[k]} for k in order],
        "groups": [
            {
                "id": g.id,
                "label": g.label,
                "members": ids_label(index, g.members),
                "count": len(index.expand([g.id])),
                "source": _source(definition, g.source),
            }
            for g in p.groups
        ],
        "inspection_groups": [
            {
                "label": g.label,
                "lead": index.body_label(g.lead),
                "inspects": [index.body_label(b) for b in index.expand(g.inspects)],
                "members": ids_label(index, g.members) if g.members else None,
            }
            for g in p.inspection_groups
        ],
        "contacts": [
            {
                "name": c.name,
                "body": index.body_label(c.body),
                "phone": c.phone,
                "fax": c.fax,
                "email": c.email,
            }
            for c in p.programme.contacts
        ],
    }


def _phases(definition: Definition) -> list[dict[str, Any]]:
    resolver = DeadlineResolver(
        definition.programme.programme.calendar, definition.programme.programme.year
    )
    result = []
    for ph in definition.programme.phases:
        window = resolver.window(ph.window)
        result.append(
            {
                "label": ph.label,
                "window": ph.window,
                "first": window.first,
                "last": window.due,
                "source": _source(definition, ph.source),
            }
        )
    return result


def _amendments(definition: Definition, steps: list[StepView]) -> list[dict[str, Any]]:
    resolver = DeadlineResolver(
        definition.programme.programme.calendar, definition.programme.programme.year
    )
    by_id = {s.id: s for s in steps}
    found = []
    for step in definition.index.steps():
        deadline = step.deadline
        if deadline is None or not deadline.amendments:
            continue
        versions = [
            {
                "phrase": deadline.phrase,
                "due": resolver.window(deadline.phrase).due,
                "source": _source(definition, deadline.source),
                "note": None,
                "governs": False,
            }
        ]
        for a in deadline.amendments:
            versions.append(
                {
                    "phrase": a.phrase,
                    "due": resolver.window(a.phrase).due,
                    "source": _source(definition, a.source),
                    "note": a.note,
                    "governs": False,
                }
            )
        versions[-1]["governs"] = True
        view = by_id.get(step.id)
        found.append(
            {
                "step": step.id,
                "anchor": view.anchor if view else f"step-{step.id}",
                "label": step.label,
                "versions": versions,
                "governing": versions[-1],
            }
        )
    return found
