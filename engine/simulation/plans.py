"""Who does what on which day of the simulated year, before anything happens.

By default every point's step is submitted ``default_lead_days`` working days before its
due day, and a programme-level task is done by its (first) responsible body on the last
working day on or before its due day (a task set "<节日>后" on the first working day after
the holiday); the scenario's ``late``, ``never``, ``task_days`` and ``extensions`` change
that. A plan says from which day a submission may go; it goes once the point waits for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from engine.definition.loader import Definition
from engine.definition.phrases import parse_phrase
from engine.definition.schema import Transition
from engine.runtime.progress import ProgressView
from engine.simulation.lifecycle import actor_for
from engine.simulation.scenario import Scenario, Where

__all__ = ["PendingTask", "Planned", "plan_submissions", "plan_tasks"]


@dataclass
class Planned:
    """A point's submission of a step, due from ``day`` on, made once the point waits."""

    day: date
    where: Where | None = None  # the scenario entry that set it (None: the default)
    note: str | None = None


@dataclass
class PendingTask:
    """A programme-level task: who does it, from which day; ``done`` once it is."""

    task: str
    by: str
    day: date
    last_refusal: str | None = None
    done: date | None = None


def plan_submissions(
    definition: Definition,
    view: ProgressView,
    scenario: Scenario,
    steps: Sequence[Transition],
    units: Mapping[str, str],
) -> dict[str, dict[str, Planned]]:
    """Step trigger -> point -> its planned submission, for the enrolled ``units`` (point ->
    unit, in enrolment order)."""
    index = definition.index
    planned: dict[str, dict[str, Planned]] = {t.trigger: {} for t in steps}
    lead = scenario.default_lead_days
    for step in steps:
        due = view.due_of(step.trigger)
        if due is None:
            continue
        day = view.calendar.working_days_before(due, lead)
        for point in units:
            planned[step.trigger][point] = Planned(day)

    def points_of(actor: str, step: str) -> list[str]:
        transition = index.transitions[step]
        return [p for p, unit in units.items() if actor_for(index, transition, unit) == actor]

    for late, where in scenario.placed("late"):
        if late.step in index.tasks:
            continue
        for point in points_of(late.unit, late.step):
            planned[late.step][point] = Planned(late.on, where)
    for never in scenario.never:
        if never.step in index.tasks:
            continue
        for point in points_of(never.unit, never.step):
            planned[never.step].pop(point, None)
    for e in scenario.extensions:
        planned[e.step].pop(e.point, None)  # planned once the extension is granted
    return planned


def plan_tasks(definition: Definition, view: ProgressView, scenario: Scenario) -> list[PendingTask]:
    """The programme-level tasks to do, each with its body and day."""
    index = definition.index
    late = {x.step: (x, w) for x, w in scenario.placed("late") if x.step in index.tasks}
    never = {x.step for x in scenario.never if x.step in index.tasks}
    tasks = []
    for task in index.tasks.values():
        if task.level != "programme" or task.id in never:
            continue
        if task.id in late:
            entry, _ = late[task.id]
            day, by = entry.on, entry.unit
        else:
            bodies = index.expand(task.responsible)
            if not bodies:
                continue  # the definition's checks refuse a task no body is responsible for
            by = bodies[0]
            if task.id in scenario.task_days:
                day = scenario.task_days[task.id]
            else:
                found = _default_task_day(definition, view, task.id)
                if found is None:
                    continue
                day = found
        tasks.append(PendingTask(task.id, by, day))
    return tasks


def _default_task_day(definition: Definition, view: ProgressView, task_id: str) -> date | None:
    """The last working day on or before the due day; for "<节日>后" (a start, not a
    deadline: 国庆节后发出检查工作通知) the first working day after the holiday."""
    task = definition.index.tasks[task_id]
    resolved = view.deadlines.get(task_id)
    if task.deadline is None or resolved is None:
        return None
    phrase = parse_phrase(task.deadline.governing_phrase)
    if phrase.kind == "holiday" and not phrase.before:
        return view.calendar.next_working_day(resolved.first)
    return view.calendar.previous_working_day(resolved.due)
