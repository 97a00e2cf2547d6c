"""Reminder rules and who owes what when one fires. Pure: shared by serve, remind, simulate.

A *rule* is one reminder offset of one step: ``submit-plan/before-5`` (5 working days before
the due day), ``submit-plan/overdue-2`` (the second 催报). Their number depends on the
definition only - never on the number of points - so the scheduler has a fixed set of jobs.

An *occurrence* is a rule applied to one due day: normally the step's governing deadline;
for points granted an extension, their own due day. It is named by the due day (ISO date),
so a reminder is identified by (programme, rule, recipient, occurrence) - the sent-log key.

When an occurrence fires, ``reminders_for`` works out the recipients: one ``Reminder`` per
recipient listing its points still waiting for the step (a unit whose points have all moved
on gets nothing); for a programme-level task, its responsible body with the count of units
that have reported what the task waits for and the list of those missing. A step whose
``recipients`` name ``co`` copies each reminder to the co-responsible units of the points it
lists; the co-responsible units are otherwise told nothing of what the lead unit owes.

A recurring report (``reports:`` with ``reminders``) has the same rules, named by the
report's id (``monthly-progress/overdue-1``); its occurrences are the report's occurrences'
due days, each carrying its period, and its recipients are the parties owing that period
and not filed (``engine.runtime.owing``): a unit that missed March is urged for March and
still reminded for April, and December's report due in January is reminded then.

Send days: ``before-N`` goes out N working days before the due day (0: the last working day
on or before it); ``overdue-K`` goes out ``K * overdue_every`` working days after the due
day. Every send day is a working day, at the policy's hour, Beijing time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Literal

from engine.definition.index import ProgrammeIndex
from engine.definition.loader import Definition
from engine.definition.schema import CO, OWNER, ReminderPolicy
from engine.runtime.owing import Duty
from engine.runtime.progress import ProgressView, StepRate
from engine.runtime.records import PointRow

__all__ = [
    "BY_HAND",
    "ByHand",
    "Occurrence",
    "PointInfo",
    "Reminder",
    "Rule",
    "occurrences",
    "reminders_for",
    "report_reminders_for",
    "rules",
]


#: What a rule's step is: a point transition, a unit's or the programme's task, a report.
StepKind = Literal["transition", "unit-task", "programme-task", "report"]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str  # "<step>/before-<n>" or "<step>/overdue-<k>"
    step: str  # transition trigger or task id
    step_kind: StepKind
    kind: Literal["before", "overdue"]
    offset: int  # working days before (before) or 催报 stage (overdue)
    policy: ReminderPolicy

    @property
    def notice(self) -> str:
        return self.policy.notice_before if self.kind == "before" else self.policy.notice_overdue

    @property
    def stage(self) -> int:
        return self.offset if self.kind == "overdue" else 0

    @property
    def last_stage(self) -> bool:
        return self.kind == "overdue" and self.offset == self.policy.overdue_times

    def send_day(self, due: date, view: ProgressView) -> date:
        calendar = view.calendar
        if self.kind == "before":
            return calendar.working_days_before(due, self.offset)
        after = due + timedelta(days=1)
        return calendar.working_days_after(after, self.offset * self.policy.overdue_every - 1)


@dataclass(frozen=True, slots=True)
class Occurrence:
    rule: Rule
    due: date
    send_at: datetime
    period: str | None = None  # a recurring report's period key (2021-03)

    @property
    def key(self) -> str:
        return self.due.isoformat()


#: The rule id's tail of a 催报 the office sends by hand: ``<step>/by-hand``.
BY_HAND = "by-hand"


@dataclass(frozen=True, slots=True)
class ByHand(Occurrence):
    """A 催报 sent now, by hand, for the step's due day ``due``: its sent-log key is the due
    day and the moment (``at``), so that each urging is logged on its own; ``operator`` is
    the person who sent it (经办人)."""

    at: str = ""
    operator: str | None = None

    @property
    def key(self) -> str:
        return f"{self.due.isoformat()}@{self.at}"


@dataclass(frozen=True, slots=True)
class PointInfo:
    id: str
    unit: str
    title: str
    state: str
    co: tuple[str, ...] = ()  # the point's co-responsible units


@dataclass(frozen=True, slots=True)
class Reminder:
    occurrence: Occurrence
    recipient: str  # body id
    points: tuple[PointInfo, ...] = ()
    rate: StepRate | None = None  # programme-level tasks: what they wait for
    cc: tuple[str, ...] = ()  # body ids copied
    leadership: bool = False  # copy the recipient's leadership (last 催报)
    rectify: bool = False  # its points owe the step again by a return's 整改期限

    @property
    def rule(self) -> Rule:
        return self.occurrence.rule


def rules(definition: Definition) -> list[Rule]:
    """Every reminder rule of a programme, in a stable order."""
    index = definition.index
    enrolment_task = definition.programme.points.enrolment.task
    found: list[Rule] = []
    for step in index.steps():
        if step.reminders is None or step.deadline is None:
            continue
        policy = index.policies.get(step.reminders)
        if policy is None:
            continue
        if step.kind == "transition":
            kind: StepKind = "transition"
        elif step.task is not None and step.task.level == "unit":
            if step.id != enrolment_task:
                continue  # a unit task other than enrolment has nothing to remind of
            kind = "unit-task"
        else:
            kind = "programme-task"
        found += _stage_rules(step.id, kind, policy)
    for report in definition.programme.reports:
        policy = index.policies.get(report.reminders or "")
        if policy is not None:
            found += _stage_rules(report.id, "report", policy)
    return found


def _stage_rules(step: str, kind: StepKind, policy: ReminderPolicy) -> list[Rule]:
    """A step's (or report's) rules: one per reminder day before, one per 催报 after."""
    rules = [
        Rule(f"{step}/before-{n}", step, kind, "before", n, policy)
        for n in sorted(set(policy.before), reverse=True)
    ]
    rules += [
        Rule(f"{step}/overdue-{k}", step, kind, "overdue", k, policy)
        for k in range(1, policy.overdue_times + 1)
    ]
    return rules


def _copies(rule: Rule, index: ProgrammeIndex) -> tuple[tuple[str, ...], bool]:
    """Whom a rule's notices copy from its policy's ``copy_from_stage`` on, and whether
    its last stage copies each unit's leadership."""
    policy = rule.policy
    cc: tuple[str, ...] = ()
    if rule.kind == "overdue" and rule.offset >= policy.copy_from_stage:
        cc = tuple(index.expand(policy.cc))
    return cc, rule.last_stage and policy.leadership_at_last


def _at(day: date, hour: int, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=zone)


def occurrences(
    rule: Rule, view: ProgressView, extra_dues: Iterable[date] = ()
) -> list[Occurrence]:
    """The occurrences of a rule: for the step's deadline and for any extended due days;
    for a recurring report, one per period."""
    if rule.step_kind == "report":
        return [
            Occurrence(
                rule, o.due, _at(rule.send_day(o.due, view), rule.policy.hour, view.zone), o.key
            )
            for o in view.definition.report_occurrences.get(rule.step, ())
        ]
    base = view.due_of(rule.step)
    dues = sorted({d for d in [base, *extra_dues] if d is not None})
    return [
        Occurrence(rule, due, _at(rule.send_day(due, view), rule.policy.hour, view.zone))
        for due in dues
    ]


def _recipient(index: ProgrammeIndex, actor: str, unit: str) -> str | None:
    bodies = index.bodies_acting(actor, unit)
    return bodies[0] if bodies else None


def reminders_for(
    occurrence: Occurrence,
    view: ProgressView,
    waiting: Sequence[PointInfo],
    overrides: Mapping[tuple[str, str], date],
    *,
    enrolled: Mapping[str, int] | None = None,
    all_points: Sequence[tuple[str, str]] = (),
    task_done: bool = False,
    rectified: frozenset[tuple[str, str]] = frozenset(),
) -> list[Reminder]:
    """Who gets this occurrence's reminder, and about which points.

    ``waiting`` are the points whose state the step leaves from (the caller filters by
    state in the store); ``overrides`` maps (point, step) to an extended due day: such a point
    belongs to the occurrence of its own due day, not the step's. ``enrolled`` (points per
    unit) serves the enrolment task; ``all_points`` ((unit, state) of every point) and
    ``task_done`` serve programme-level tasks. For a step a body takes on other units'
    points (an inspection group's lead reporting on the units it inspects), ``all_points``
    gives each recipient the rate of the units it answers for. ``rectified`` names the
    (point, step) whose due day is a return's 整改期限: a reminder all of whose points owe
    the step so is worded for the rectified document (``Reminder.rectify``).
    """
    rule = occurrence.rule
    index = view.index
    cc, leadership = _copies(rule, index)

    if rule.step_kind == "transition":
        transition = index.transitions[rule.step]
        default_due = view.due_of(rule.step)
        who_of: dict[str, str | None] = {}  # unit -> recipient, worked out once per unit

        def recipient(unit: str) -> str | None:
            if unit not in who_of:
                who_of[unit] = _recipient(index, transition.actor, unit)
            return who_of[unit]

        by_recipient: dict[str, list[PointInfo]] = defaultdict(list)
        for point in waiting:
            due = overrides.get((point.id, rule.step), default_due)
            if due != occurrence.due:
                continue
            who = recipient(point.unit)
            if who is not None:
                by_recipient[who].append(point)
        rates: dict[str, StepRate] = {}
        if transition.actor != OWNER and all_points and rule.step in view.done_states:
            answered: dict[str, list[tuple[str, str]]] = defaultdict(list)
            for unit, state in all_points:
                who = recipient(unit)
                if who in by_recipient:
                    answered[who].append((unit, state))
            rates = {
                who: view.step_rate(rule.step, answered[who], per_unit=True) for who in by_recipient
            }
        copy_co = CO in transition.recipients
        return [
            Reminder(
                occurrence,
                who,
                tuple(points),
                rates.get(who),
                _without(_with_co(cc, points) if copy_co else cc, who),
                leadership,
                all((p.id, rule.step) in rectified for p in points),
            )
            for who, points in by_recipient.items()
        ]

    if rule.step_kind == "unit-task":
        minimum = max(view.definition.programme.points.enrolment.min_per_unit, 1)
        counts = enrolled or {}
        return [
            Reminder(occurrence, unit, (), None, _without(cc, unit), leadership)
            for unit in index.proposers
            if counts.get(unit, 0) < minimum
        ]

    if task_done:
        return []
    task = index.tasks[rule.step]
    responsible = index.expand(task.responsible)
    if not responsible:
        return []
    rate = None
    for name in task.waits_for:
        for t in index.point_tasks.get(name, []):
            if t.trigger in view.done_states:
                rate = view.step_rate(t.trigger, all_points)
                break
    return [Reminder(occurrence, responsible[0], (), rate, _without(cc, responsible[0]), False)]


def report_reminders_for(
    occurrence: Occurrence, view: ProgressView, duty: Duty, points: Mapping[str, PointRow]
) -> list[Reminder]:
    """The reminders of a recurring report's occurrence: one per unit owing it and not
    filed, listing the items it owes for (``per: item``)."""
    rule = occurrence.rule
    cc, leadership = _copies(rule, view.index)
    by_unit: dict[str, list[PointInfo]] = {}
    for unit, point in duty.missing:
        found = by_unit.setdefault(unit, [])
        row = points.get(point) if point else None
        if row is not None:
            found.append(PointInfo(row.point_id, row.unit_id, row.title, row.state))
    return [
        Reminder(occurrence, unit, tuple(items), None, _without(cc, unit), leadership)
        for unit, items in by_unit.items()
    ]


def _with_co(cc: tuple[str, ...], points: Iterable[PointInfo]) -> tuple[str, ...]:
    """``cc`` and the co-responsible units of ``points``, each once: a step whose document
    goes to them (``recipients: [co]``) copies them on every reminder and 催报."""
    return tuple(dict.fromkeys([*cc, *(u for p in points for u in p.co)]))


def _without(cc: tuple[str, ...], recipient: str) -> tuple[str, ...]:
    return tuple(b for b in cc if b != recipient)
