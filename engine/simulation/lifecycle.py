"""What the simulated year needs to know about a programme's point life cycle.

Read-only questions about the definition, shared by the scenario checks and the driver:
which decision returns a step, withdraws a point or grants an extension, who acts for a
point at a step, and who decided (as the runtime resolved it).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from engine.definition.index import ProgrammeIndex
from engine.definition.loader import Definition
from engine.definition.schema import ANY_STATE, Transition
from engine.runtime.progress import ProgressView
from engine.runtime.store import EventRow

__all__ = [
    "actor_for",
    "decided_by",
    "decision_leaving",
    "default_enrol_day",
    "extension_task",
    "point_steps",
    "return_of",
    "withdrawal_of",
]


def point_steps(view: ProgressView) -> dict[str, Transition]:
    """Task name -> the point document step with a deadline it submits (in deadline order)."""
    return {t.task_id: t for t in view.steps}


def default_enrol_day(definition: Definition, view: ProgressView) -> date:
    """The day before the enrolment task's due day (else 1 January)."""
    task = definition.programme.points.enrolment.task
    due = view.due_of(task) if task else None
    return due - timedelta(days=1) if due else date(definition.programme.programme.year, 1, 1)


def return_of(definition: Definition, step: str) -> Transition | None:
    """The decision that returns a submission of ``step`` (its dest back to its source)."""
    transition = definition.index.transitions.get(step)
    if transition is None or transition.dest is None:
        return None
    for t in definition.programme.points.transitions:
        if t.takes == "decision" and t.outcome == "return" and transition.dest in t.source:
            return t
    return None


def withdrawal_of(definition: Definition) -> Transition | None:
    """The accepting decision from any state: withdrawing a point."""
    for t in definition.programme.points.transitions:
        if ANY_STATE in t.source and t.takes == "decision" and t.outcome == "accept":
            return t
    return None


def extension_task(definition: Definition, kind: str) -> Transition | None:
    """The transition that requests (``request``) or grants (``grant``) an extension."""
    for t in definition.programme.points.transitions:
        if t.extension == kind:
            return t
    return None


def decision_leaving(definition: Definition, state: str | None, outcome: str) -> Transition | None:
    """The decision with ``outcome`` that leaves ``state`` (not withdrawal nor extension)."""
    for t in definition.programme.points.transitions:
        if (
            t.takes == "decision"
            and t.outcome == outcome
            and t.extension is None
            and ANY_STATE not in t.source
            and state in t.source
        ):
            return t
    return None


def actor_for(index: ProgrammeIndex, transition: Transition, unit: str) -> str | None:
    """The body that acts at ``transition`` for a point of ``unit``, as the runtime allows
    it (``ProgrammeIndex.actors_for``: the owner, the inspection group's lead, or the first
    body of the one named); ``None`` when no body may."""
    bodies = index.actors_for(transition, unit)
    return bodies[0] if bodies else None


def decided_by(index: ProgrammeIndex, events: Iterable[EventRow]) -> str:
    """Who made a decision, in words: the bodies the runtime recorded on its events."""
    actors = list(dict.fromkeys(e.actor for e in events))
    return "、".join(index.body_label(a) for a in actors)
