"""What a simulated year came to, read back from the store when it ends."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from engine.definition.schema import Transition
from engine.delivery.dispatch import Outgoing
from engine.runtime.progress import ProgressView, StepRate
from engine.runtime.rectifying import judged_by
from engine.runtime.replay import ENROL_TRIGGER
from engine.runtime.store import EventRow, PointRow
from engine.simulation.lifecycle import actor_for
from engine.simulation.narration import month_day
from engine.simulation.plans import PendingTask
from engine.simulation.progress import TimelineEntry
from engine.simulation.report import (
    LateUnit,
    ReportSummary,
    SimulationReport,
    StepSummary,
    TaskSummary,
)
from engine.simulation.scenario import Scenario
from engine.simulation.wiring import OpenProgramme
from engine.views.recurring import occurrence_duties

__all__ = ["YearRecord", "build_report"]


@dataclass(frozen=True)
class YearRecord:
    """What the driver did and saw, beside what the store holds."""

    scenario: Scenario
    first_day: date
    last_day: date
    steps: Sequence[Transition]  # point document steps, by due day
    tasks: Sequence[PendingTask]  # programme-level tasks planned (done or not)
    timeline: list[TimelineEntry]
    sent: list[Outgoing]
    problems: list[str]
    runs: int
    stalls: list[str]


def build_report(
    programme: OpenProgramme, view: ProgressView, record: YearRecord
) -> SimulationReport:
    definition = programme.definition
    index = definition.index
    pid = definition.id
    with programme.store.transaction(readonly=True) as tx:
        rows = tx.points(pid)
        events = tx.events(pid)
        overrides = {(o.point_id, o.step): o.due for o in tx.deadline_overrides(pid)}
        enrolled = tx.count_points_by_unit(pid)
    order = list(index.states)
    states = Counter(p.state for p in rows)
    final_states = {
        index.states[s].label if s in index.states else s: n
        for s, n in sorted(
            states.items(), key=lambda kv: order.index(kv[0]) if kv[0] in index.states else 99
        )
    }
    steps: list[StepSummary] = []
    proposals = view.proposals_rate(enrolled)
    if proposals is not None:
        late_enrolled = _late_enrolment(programme, view, events, proposals.due)
        steps.append(_summary_of(programme, proposals, late_enrolled))
    pairs = [(p.unit_id, p.state) for p in rows]
    judged = judged_by(events)  # the 整改期限 each standing submission answered
    for step in record.steps:
        rate = view.step_rate(step.trigger, pairs)
        late = _late_units(programme, view, step, rows, events, overrides, judged)
        steps.append(_summary_of(programme, rate, late))
    tasks = []
    for task in index.tasks.values():
        if task.level != "programme":
            continue
        done_event = next((e for e in events if e.trigger == task.id), None)
        planned = next((t for t in record.tasks if t.task == task.id), None)
        pending = planned if planned is not None and planned.done is None else None
        tasks.append(
            TaskSummary(
                task=task.id,
                label=task.label,
                by="、".join(
                    index.body_label(b)
                    for b in (
                        [done_event.actor]
                        if done_event
                        else [planned.by]
                        if planned
                        else index.expand(task.responsible)[:1]
                    )
                ),
                due=view.due_of(task.id),
                done=planned.done if planned is not None else None,
                missing=tuple(done_event.extras.get("missing", ())) if done_event else (),
                note=pending.last_refusal
                if pending
                else (None if done_event else "情景中设为不办理"),
            )
        )
    header = definition.programme.programme
    return SimulationReport(
        programme=pid,
        title=header.title,
        item=header.item,
        year=header.year,
        scenario=record.scenario.file,
        scenario_title=record.scenario.title,
        first_day=record.first_day,
        last_day=record.last_day,
        points=len(rows),
        units=len({p.unit_id for p in rows}),
        final_states=final_states,
        timeline=record.timeline,
        sent=record.sent,
        steps=steps,
        tasks=tasks,
        problems=record.problems,
        runs=record.runs,
        stalls=record.stalls,
        rectifications=_rectifications(programme, view, events),
        reports=_reports(programme, record.last_day),
    )


def _reports(programme: OpenProgramme, last_day: date) -> list[ReportSummary]:
    """Each recurring report over the periods due by the end of ``last_day``."""
    definition = programme.definition
    if not definition.programme.reports:
        return []
    index = definition.index
    end = datetime.combine(last_day, time(23, 59, 59), tzinfo=definition.zone)
    due = [d for d in occurrence_duties(definition, programme.app.snapshot(), end) if d.is_due]
    found = []
    for report in definition.programme.reports:
        mine = [d for d in due if d.report.id == report.id]
        missing: list[str] = []
        late: list[str] = []
        for d in mine:
            period = d.occurrence.label
            for unit in d.missing_units():
                missing.append(f"{index.body_label(unit)}（{period}）")
            for unit, point in d.filed_late:
                filed = month_day(datetime.fromisoformat(d.filed[(unit, point)]).date())
                late.append(f"{index.body_label(unit)}（{period}，{filed}报送）")
        found.append(
            ReportSummary(
                rule=report.id,
                label=report.label,
                periods=len(mine),
                filed=sum(len(d.filed) for d in mine),
                owing=sum(len(d.owing) for d in mine),
                missing=tuple(missing),
                late=tuple(dict.fromkeys(late)),
            )
        )
    return found


def _summary_of(programme: OpenProgramme, rate: StepRate, late: Sequence[LateUnit]) -> StepSummary:
    index = programme.definition.index
    return StepSummary(
        step=rate.step,
        label=rate.label,
        due=rate.due,
        reported=len(rate.reported),
        total=rate.total,
        missing=tuple(index.body_label(u) for u in rate.missing),
        late=tuple(late),
    )


def _late_units(
    programme: OpenProgramme,
    view: ProgressView,
    step: Transition,
    rows: Sequence[PointRow],
    events: Sequence[EventRow],
    overrides: Mapping[tuple[str, str], date],
    judged: Mapping[tuple[str, str], date],
) -> list[LateUnit]:
    """Actors that submitted ``step`` for a point after its due day, or never did though
    the point was waiting for it at the end of the year."""
    index = programme.definition.index
    last: dict[str, date] = {}
    for e in events:
        if e.trigger == step.trigger and e.point_id is not None:
            last[e.point_id] = view.local_date(datetime.fromisoformat(e.effective_at))
    sources = set(index.sources_of(step))
    base = view.due_of(step.trigger)
    assert base is not None  # a step of ``view.steps`` has a due day
    found: dict[str, list[tuple[str, date, date | None]]] = defaultdict(list)
    for p in rows:
        due = overrides.get((p.point_id, step.trigger), base)
        if p.point_id in last:
            due = judged.get((p.point_id, step.trigger), due)
        actor = actor_for(index, step, p.unit_id)
        if actor is None:
            continue
        if p.point_id in last:
            if last[p.point_id] > due:
                found[actor].append((p.point_id, due, last[p.point_id]))
        elif p.state in sources:
            found[actor].append((p.point_id, due, None))
    order = list(index.bodies)
    result = []
    for actor in sorted(found, key=order.index):
        items = found[actor]
        submitted = (
            None if any(s is None for _, _, s in items) else max(s for _, _, s in items if s)
        )
        result.append(
            LateUnit(
                unit=actor,
                name=index.body_label(actor),
                points=tuple(p for p, _, _ in items),
                due=max(d for _, d, _ in items),
                submitted=submitted,
            )
        )
    return result


def _day_of(view: ProgressView, event: EventRow) -> date:
    return view.local_date(datetime.fromisoformat(event.effective_at))


def _late_enrolment(
    programme: OpenProgramme, view: ProgressView, events: Sequence[EventRow], due: date | None
) -> list[LateUnit]:
    """Units whose first point was enrolled after the enrolment task's due day."""
    index = programme.definition.index
    first: dict[str, date] = {}
    points: dict[str, list[str]] = defaultdict(list)
    for e in events:
        if e.trigger == ENROL_TRIGGER and e.unit_id is not None and e.point_id is not None:
            first.setdefault(e.unit_id, _day_of(view, e))
            points[e.unit_id].append(e.point_id)
    if due is None:
        return []
    return [
        LateUnit(unit, index.body_label(unit), tuple(points[unit]), due, day)
        for unit, day in first.items()
        if day > due
    ]


def _rectifications(
    programme: OpenProgramme, view: ProgressView, events: Sequence[EventRow]
) -> list[str]:
    """Each return with a 整改期限, and whether (and when) the point was resubmitted."""
    index = programme.definition.index
    data = {  # only the events whose data may say a 整改期限 (most carry neither key)
        e.seq: e.extras
        for e in events
        if e.data is not None and ('"rectify"' in e.data or '"ends"' in e.data)
    }
    ended = {
        d["ends"]: e for e in events if isinstance((d := data.get(e.seq, {})).get("ends"), int)
    }
    lines = []
    for e in events:
        extras = data.get(e.seq, {})
        step = index.transitions.get(str(extras.get("step")))
        if extras.get("rectify") is not True or step is None or e.point_id is None:
            continue
        until = date.fromisoformat(str(extras["until"]))
        again = ended.get(e.seq)
        if again is None:
            what = "未重报"
        else:
            day = _day_of(view, again)
            what = f"{month_day(day)}重报" + ("（逾期）" if day > until else "")
        lines.append(
            f"{e.point_id} {step.document or step.label}：{month_day(_day_of(view, e))}退回，"
            f"整改期限 {month_day(until)}，{what}"
        )
    return lines
