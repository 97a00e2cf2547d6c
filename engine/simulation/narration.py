"""The timeline's words: a submission, the notes worth adding to it, a reminder run."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date

from engine.definition.index import ProgrammeIndex
from engine.definition.schema import INSPECTOR, Transition
from engine.delivery.dispatch import Outgoing
from engine.delivery.gongwen import format_month_day
from engine.delivery.reminders import Rule
from engine.runtime.progress import ProgressView
from engine.views.reminders import KIND_LABELS

__all__ = ["month_day", "reminder_lines", "submission_notes", "submission_text"]


def month_day(day: date) -> str:
    """``5月10日``: how the timeline and the summary write a day of the programme year."""
    return format_month_day(day, "arabic")


def submission_text(
    index: ProgrammeIndex, step: Transition, actor: str, points: Sequence[str], notes: list[str]
) -> str:
    """``深圳市 报送…（1 个突破点，延期至 7月15日）``; an inspection report names the group."""
    who = index.body_label(actor)
    if step.actor == INSPECTOR:
        group = next((g for g in index.programme.inspection_groups if g.lead == actor), None)
        if group is not None:
            who += f"（{group.label}组长单位）"
    item = index.programme.programme.item
    return f"{who} {step.label}（{'，'.join([f'{len(points)} 个{item}', *notes])}）"


def submission_notes(
    day: date,
    step: Transition,
    points: Sequence[str],
    overrides: Mapping[tuple[str, str], date],
    due: date,
    planned_notes: Iterable[str | None],
    rectified: Collection[tuple[str, str]] = (),
) -> list[str]:
    """What is worth saying about a submission: extended, by a 整改期限 (``rectified``:
    the (point, step) whose due day is one), late, resubmitted."""
    notes: list[str] = []
    moved = [(p, step.trigger) for p in points if (p, step.trigger) in overrides]
    for words, keys in (
        ("延期至", [k for k in moved if k not in rectified]),
        ("整改期限", [k for k in moved if k in rectified]),
    ):
        if keys:
            notes.append(
                f"{words} {'、'.join(month_day(d) for d in sorted({overrides[k] for k in keys}))}"
            )
    late = [p for p in points if day > overrides.get((p, step.trigger), due)]
    if late:
        notes.append("逾期补报" if len(late) == len(points) else f"{len(late)} 个逾期补报")
    notes.extend(note for note in planned_notes if note)
    return list(dict.fromkeys(notes))


def reminder_lines(
    index: ProgrammeIndex,
    view: ProgressView,
    rules: Iterable[Rule],
    sent: Sequence[Outgoing],
    rectifying: Collection[tuple[str, date]] = (),
) -> list[str]:
    """One line per rule and occurrence of a run: how many, about what, copied to whom
    (``rectifying``: the (step, due day) of the 整改期限 in force)."""
    groups: dict[tuple[str, str, str], list[Outgoing]] = defaultdict(list)
    for o in sent:
        groups[(o.kind, o.rule, o.occurrence)].append(o)
    by_id = {r.id: r for r in rules}
    bodies = list(index.bodies)
    lines = []
    for (kind, rule_id, occurrence), items in groups.items():
        rule = by_id[rule_id]
        parts = [_step_label(index, rule.step)]
        if rule.kind == "overdue":
            parts.append(f"第 {rule.offset} 次催报")
        due = date.fromisoformat(occurrence)
        base = view.due_of(rule.step) if rule.step_kind != "report" else None
        if (rule.step, due) in rectifying:
            parts.append(f"整改期限 {month_day(due)}")
        else:
            parts.append(f"期限 {month_day(due)}" + ("（延期后）" if base and due != base else ""))
        cc = sorted({b for o in items for b in o.cc}, key=bodies.index)
        leadership = rule.last_stage and rule.policy.leadership_at_last
        if cc:
            lead = "及单位分管领导" if leadership else ""
            parts.append(f"抄送{'、'.join(index.body_label(b) for b in cc)}{lead}")
        elif leadership:
            parts.append("抄送单位分管领导")
        text = f"{KIND_LABELS.get(kind, kind)} {len(items)} 封（{'，'.join(parts)}）"
        if len(items) <= 5:
            text += "：" + "、".join(o.recipient_name for o in items)
        lines.append(text)
    return lines


def _step_label(index: ProgrammeIndex, step: str) -> str:
    if step in index.transitions:
        return index.transitions[step].label
    if step in index.tasks:
        return index.tasks[step].label
    return index.reports[step].label
