"""Who owes what, by when: the pure view of a programme's points at a moment.

Shared by ``docflow status``, the reminders (``serve``, ``remind``, ``simulate``) and the
reports. It reads point states (and extensions) and the definition; it writes nothing.

Vocabulary, for a step S (a document transition with a deadline):
- a point *waits for* S when its state is one S leaves from (the unit can act now);
- a point is *behind* S when S is still ahead of it on the forward path (it waits for S or
  for a step before S) - a returned submission puts a point behind again;
- a point *has done* S when its state lies after S on the forward path;
- a point is *out of scope* when it is in neither set (not selected, withdrawn).
The forward path follows document steps and accepting decisions, never ``*`` sources
(withdrawal) nor rejecting or returning decisions.
A unit has *reported* S when it has points in scope and all of them have done S.
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property

from engine.definition.deadlines import DeadlineResolver, ResolvedDeadline
from engine.definition.loader import Definition
from engine.definition.schema import ANY_STATE, Transition

__all__ = ["Colour", "PointStatus", "ProgressView", "StepRate"]

Colour = str  # "green" | "blue" | "yellow" | "red"


@dataclass(frozen=True, slots=True)
class PointStatus:
    id: str
    unit: str
    unit_name: str
    title: str
    state: str
    state_label: str
    next_step: str | None
    next_step_label: str | None
    due: date | None
    colour: Colour


@dataclass(frozen=True, slots=True)
class StepRate:
    step: str
    label: str
    due: date | None
    reported: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def total(self) -> int:
        return len(self.reported) + len(self.missing)

    @property
    def rate(self) -> float:
        return len(self.reported) / self.total if self.total else 0.0


_CACHE_KEY = "_progress_view"  # in the (frozen) definition's __dict__, as cached_property does


class ProgressView:
    """Due dates, colours and reporting rates of one programme for its year."""

    def __init__(self, definition: Definition, year: int | None = None) -> None:
        self.definition = definition
        self.index = definition.index
        p = definition.programme
        self.resolver = DeadlineResolver(p.programme.calendar, year or p.programme.year)
        self.calendar = self.resolver.calendar
        self.zone = definition.zone

    @classmethod
    def of(cls, definition: Definition) -> ProgressView:
        """The programme's view for its own year, built once per loaded definition: its
        deadlines, calendar and reachable states are worked out the first time only."""
        cached = definition.__dict__.get(_CACHE_KEY)
        if cached is None:
            cached = definition.__dict__[_CACHE_KEY] = cls(definition)
        return cached

    def local_date(self, moment: datetime) -> date:
        """The day ``moment`` falls on in the programme's time zone (deadlines are local days)."""
        return moment.astimezone(self.zone).date()

    # --- deadlines ---------------------------------------------------------------------

    @cached_property
    def deadlines(self) -> dict[str, ResolvedDeadline]:
        """Step id (trigger or task id) -> its resolved governing deadline."""
        return {
            step.id: self.resolver.deadline(step.deadline)
            for step in self.index.steps()
            if step.deadline is not None
        }

    @cached_property
    def steps(self) -> list[Transition]:
        """Document steps with deadlines, in the order of their due days."""
        found = [
            t
            for t in self.definition.programme.points.transitions
            if t.takes == "document" and t.deadline is not None and t.extension is None
        ]
        return sorted(found, key=lambda t: self.deadlines[t.trigger].due)

    def warn_days(self, policy_id: str | None) -> int:
        policy = self.index.policies.get(policy_id) if policy_id else None
        return policy.warn_days if policy else 5

    # --- the forward path --------------------------------------------------------------

    @cached_property
    def _forward(self) -> dict[str, list[str]]:
        edges: dict[str, list[str]] = defaultdict(list)
        for t in self.definition.programme.points.transitions:
            if t.dest is None or ANY_STATE in t.source or t.extension is not None:
                continue
            if t.takes == "decision" and t.outcome != "accept":
                continue
            for s in t.source:
                edges[s].append(t.dest)
        return edges

    def _reach(self, starts: Iterable[str]) -> set[str]:
        seen: set[str] = set()
        queue = deque(starts)
        while queue:
            state = queue.popleft()
            if state in seen:
                continue
            seen.add(state)
            queue.extend(self._forward.get(state, ()))
        return seen

    @cached_property
    def done_states(self) -> dict[str, frozenset[str]]:
        """Step -> the states in which a point has done it."""
        return {t.trigger: frozenset(self._reach([t.dest] if t.dest else [])) for t in self.steps}

    @cached_property
    def behind_states(self) -> dict[str, frozenset[str]]:
        """Step -> the states in which a point still has it ahead."""
        result: dict[str, frozenset[str]] = {}
        for t in self.steps:
            sources = set(self.index.sources_of(t))
            result[t.trigger] = frozenset(
                s for s in self.index.states if s in sources or self._reach([s]) & sources
            )
        return result

    # --- one point ---------------------------------------------------------------------

    def due_of(self, trigger: str, override: date | None = None) -> date | None:
        if override is not None:
            return override
        resolved = self.deadlines.get(trigger)
        return resolved.due if resolved else None

    def colour(self, state: str, step: Transition | None, due: date | None, today: date) -> Colour:
        if state in self.index.final_states:
            return "green"
        if step is None or due is None:
            return "blue"
        if today > due:
            return "red"
        limit = self.calendar.working_days_after(today, self.warn_days(step.reminders))
        return "yellow" if due <= limit else "blue"

    def point_status(
        self,
        point_id: str,
        unit: str,
        title: str,
        state: str,
        now: datetime,
        overrides: Mapping[tuple[str, str], date] | None = None,
    ) -> PointStatus:
        step = self.index.pending_step(state)
        label = None
        next_task = None
        if step is not None:
            label = step.label
            next_task = step.task_id
        else:
            # The step forward first: a summary waits to be accepted, not to be returned.
            upcoming = sorted(
                (
                    t
                    for t in self.index.transitions_from(state)
                    if t.extension is None and ANY_STATE not in t.source
                ),
                key=lambda t: t.takes == "decision" and t.outcome != "accept",
            )
            if upcoming:
                first = upcoming[0]
                who = (
                    ""
                    if first.actor in ("owner", "inspector")
                    else self.index.body_label(first.actor)
                )
                label = re.sub(r"（[^（）]*）$", "", first.label) + (
                    f"（待{who}决定）" if who else ""
                )
                next_task = first.task_id
        override = (overrides or {}).get((point_id, step.trigger)) if step else None
        due = self.due_of(step.trigger, override) if step else None
        state_def = self.index.states.get(state)
        return PointStatus(
            id=point_id,
            unit=unit,
            unit_name=self.index.body_label(unit),
            title=title,
            state=state,
            state_label=state_def.label if state_def else state,
            next_step=next_task,
            next_step_label=label,
            due=due,
            colour=self.colour(state, step, due, self.local_date(now)),
        )

    # --- units -------------------------------------------------------------------------

    def step_rate(self, trigger: str, points: Iterable[tuple[str, str]]) -> StepRate:
        """Reporting rate of a step over ``(unit, state)`` pairs of every point."""
        done = self.done_states[trigger]
        behind = self.behind_states[trigger]
        in_scope: dict[str, bool] = {}
        for unit, state in points:
            if state in done:
                in_scope.setdefault(unit, True)
            elif state in behind:
                in_scope[unit] = False
        order = {u: i for i, u in enumerate(self.index.proposers)}
        units = sorted(in_scope, key=lambda u: (order.get(u, len(order)), u))
        step = self.index.transitions[trigger]
        return StepRate(
            step=trigger,
            label=step.label,
            due=self.due_of(trigger),
            reported=tuple(u for u in units if in_scope[u]),
            missing=tuple(u for u in units if not in_scope[u]),
        )

    def proposals_rate(self, enrolled: Mapping[str, int]) -> StepRate | None:
        """Units that proposed at least the minimum number of points (the enrolment task)."""
        enrolment = self.definition.programme.points.enrolment
        if enrolment.task is None:
            return None
        task = self.index.tasks.get(enrolment.task)
        units = self.index.proposers
        minimum = max(enrolment.min_per_unit, 1)
        return StepRate(
            step=enrolment.task,
            label=task.label if task else enrolment.task,
            due=self.due_of(enrolment.task),
            reported=tuple(u for u in units if enrolled.get(u, 0) >= minimum),
            missing=tuple(u for u in units if enrolled.get(u, 0) < minimum),
        )
