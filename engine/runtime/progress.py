"""Who owes what, by when: the pure view of a programme's points at a moment.

Shared by ``docflow status``, the reminders (``serve``, ``remind``, ``simulate``) and the
reports. It reads point states (and extensions) and the definition; it writes nothing.

Vocabulary, for a step S (a document transition with a deadline):
- a point *waits for* S when its state is one S leaves from (S is open for it);
- a point is *behind* S when S is still ahead of it on the forward path (it waits for S or
  for a step before S) - a returned submission puts a point behind again;
- a point *has done* S when its state lies after S on the forward path;
- a point is *out of scope* when it is in neither set (not selected, withdrawn).
The forward path follows document steps and accepting decisions, never ``*`` sources
(withdrawal) nor rejecting or returning decisions.

Who must act now (``next_move`` and ``acting``): on a point, the actor of the move open
from its state - its pending document step, else the first forward decision - resolved for
the point's unit: ``owner`` is the unit, ``inspector`` the lead of the inspection group that
inspects the unit, a body id that body. A point waiting for a body's decision (已推荐 waits
for 省经济和信息化委's 初步筛选, 已初选 for 省政府's 审定) is that body's pending decision
(``pending_decisions``), never a unit's 未报.

A step S is owed, for a point, by the party that acts on S for the point's unit (the unit
itself, or the inspection lead): while the point waits for S, or while it is behind S on a
submission that same party owes (a unit that never filed its progress also owes its
summary). A point held up by somebody else - a decision, another party's report - owes S to
nobody yet. A party has *reported* S when it has done S on some point and owes it on none;
the 上报率 of S counts the parties that owe or have done it (``step_rate``): for an
inspection report, the group leads, not the inspected units.
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Literal

from engine.definition.deadlines import DeadlineResolver, ResolvedDeadline
from engine.definition.loader import Definition
from engine.definition.schema import ANY_STATE, INSPECTOR, OWNER, Transition

__all__ = [
    "Colour",
    "Duty",
    "PendingDecision",
    "PointStatus",
    "ProgressView",
    "Standing",
    "StepRate",
]

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
    owed_by: str | None = None  # the body that must act next (None: nothing is open)


@dataclass(frozen=True, slots=True)
class Standing:
    """Who holds up a step S for a point that has not done it.

    ``owes``: ``party`` owes S now (the point waits for S, or for an earlier submission of
    the same party); ``decision``: the point waits for ``party``'s decision ``move``;
    ``held``: it waits for another party's submission ``move`` first; ``none``: S is not
    ahead of the point (done, not selected, withdrawn).
    """

    kind: Literal["owes", "decision", "held", "none"]
    party: str | None = None
    move: Transition | None = None


@dataclass(frozen=True, slots=True)
class PendingDecision:
    """Points waiting for one body's decision of one kind (初步筛选, 审定 ...)."""

    party: str  # the deciding body
    step: str  # the decision's task id
    label: str  # the decision's label without its outcome: 初步筛选, 省政府审定
    due: date | None  # the decision's own deadline, if the definition gives one
    overdue: bool
    points: tuple[str, ...]
    units: tuple[str, ...]  # the points' units, in order, without repeats


@dataclass(frozen=True, slots=True)
class Duty:
    """A document step a body owes on other units' points (an inspection lead's report)."""

    party: str
    step: str  # trigger
    label: str
    role: str  # 第五检查组组长单位; empty for a body named as the actor itself
    covers: tuple[str, ...]  # the units it answers for
    due: date | None  # the earliest due day of the points it owes (None: owes none now)
    colour: Colour  # green once it reported on every point that reached the step
    points: tuple[str, ...]  # the points it still owes the step on
    done: int  # the points it has reported on


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
        self._moves: dict[str, Transition | None] = {}
        # Asked once per point and step by every view; the answers depend on the
        # definition alone, so each is worked out once (a few units, states and steps).
        self._acting: dict[tuple[str, str, str], str | None] = {}
        self._standing: dict[tuple[str, str, str], Standing] = {}
        self._warn_limit: dict[tuple[date, int], date] = {}

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
        key = (today, self.warn_days(step.reminders))
        limit = self._warn_limit.get(key)
        if limit is None:  # the same day and warning for every point of a step
            limit = self._warn_limit[key] = self.calendar.working_days_after(*key)
        return "yellow" if due <= limit else "blue"

    def next_move(self, state: str) -> Transition | None:
        """The move open from ``state``: its pending document step, else the first forward
        decision (a summary waits to be accepted, not to be returned); None when final."""
        if state not in self._moves:
            self._moves[state] = self._next_move(state)
        return self._moves[state]

    def _next_move(self, state: str) -> Transition | None:
        step = self.index.pending_step(state)
        if step is not None:
            return step
        upcoming = sorted(
            (
                t
                for t in self.index.transitions_from(state)
                if t.extension is None and ANY_STATE not in t.source
            ),
            key=lambda t: t.takes == "decision" and t.outcome != "accept",
        )
        return upcoming[0] if upcoming else None

    def acting(self, transition: Transition, unit: str) -> str | None:
        """The body that acts on ``transition`` for a point of ``unit``."""
        key = (transition.trigger, transition.actor, unit)
        if key not in self._acting:
            bodies = self.index.bodies_acting(transition.actor, unit)
            self._acting[key] = bodies[0] if bodies else None
        return self._acting[key]

    def owed_by(self, state: str, unit: str) -> str | None:
        """Who must act now on a point of ``unit`` in ``state`` (None: nothing is open)."""
        move = self.next_move(state)
        return self.acting(move, unit) if move is not None else None

    @staticmethod
    def move_label(transition: Transition) -> str:
        """A move's label without its outcome: 初步筛选（入选） is 初步筛选."""
        return re.sub(r"（[^（）]*）$", "", transition.label)

    def point_status(
        self,
        point_id: str,
        unit: str,
        title: str,
        state: str,
        now: datetime,
        overrides: Mapping[tuple[str, str], date] | None = None,
    ) -> PointStatus:
        """One point as its unit sees it: the colour is what the unit owes; a step another
        body owes (a decision, an inspection lead's report) leaves the point blue and names
        that body in the next step's label."""
        step = self.index.pending_step(state)
        move = self.next_move(state)
        who = self.acting(move, unit) if move is not None else None
        label = None
        next_task = None
        if move is not None:
            next_task = move.task_id
            if step is not None:
                label = step.label
                if who is not None and who != unit:
                    label += f"（待{self.index.body_label(who)}报送）"
            else:
                decider = (
                    ""
                    if move.actor in (OWNER, INSPECTOR) or who is None
                    else self.index.body_label(who)
                )
                label = self.move_label(move) + (f"（待{decider}决定）" if decider else "")
        override = (overrides or {}).get((point_id, step.trigger)) if step else None
        due = self.due_of(step.trigger, override) if step else None
        owes = step if step is not None and who == unit else None
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
            colour=self.colour(state, owes, due, self.local_date(now)),
            owed_by=who,
        )

    # --- units -------------------------------------------------------------------------

    def standing(self, trigger: str, unit: str, state: str) -> Standing:
        """Who holds up step ``trigger`` for a point of ``unit`` in ``state``."""
        key = (trigger, unit, state)
        found = self._standing.get(key)
        if found is None:
            found = self._standing[key] = self._standing_of(trigger, unit, state)
        return found

    def _standing_of(self, trigger: str, unit: str, state: str) -> Standing:
        step = self.index.transitions[trigger]
        if state not in self.behind_states[trigger]:
            return Standing("none")
        party = self.acting(step, unit)
        if state in self.index.sources_of(step):
            return Standing("owes", party, step)
        move = self.next_move(state)
        if move is None:
            return Standing("none")
        actor = self.acting(move, unit)
        if move.takes == "decision":
            return Standing("decision", actor, move)
        if actor == party:
            return Standing("owes", party, move)
        return Standing("held", actor, move)

    @cached_property
    def _party_order(self) -> dict[str, int]:
        order = {u: i for i, u in enumerate(self.index.proposers)}
        for body in self.index.bodies:
            order.setdefault(body, len(order))
        return order

    def step_rate(
        self, trigger: str, points: Iterable[tuple[str, str]], *, per_unit: bool = False
    ) -> StepRate:
        """Reporting rate of a step over ``(unit, state)`` pairs of every point: the parties
        that owe it now or have done it (see the module's docstring). ``per_unit`` counts
        the units those parties answer for instead (an inspection lead's coverage)."""
        step = self.index.transitions[trigger]
        done = self.done_states[trigger]
        in_scope: dict[str, bool] = {}
        for unit, state in points:
            party = self.acting(step, unit)
            if party is None:
                continue
            key = unit if per_unit else party
            if state in done:
                in_scope.setdefault(key, True)
            elif self.standing(trigger, unit, state).kind == "owes":
                in_scope[key] = False
        order = self._party_order
        parties = sorted(in_scope, key=lambda u: (order.get(u, len(order)), u))
        return StepRate(
            step=trigger,
            label=step.label,
            due=self.due_of(trigger),
            reported=tuple(u for u in parties if in_scope[u]),
            missing=tuple(u for u in parties if not in_scope[u]),
        )

    def reached(self, trigger: str, states: Iterable[str]) -> bool:
        """Whether any point has reached the step: waits for it or has done it."""
        step = self.index.transitions[trigger]
        open_or_done = set(self.index.sources_of(step)) | self.done_states.get(trigger, set())
        return any(state in open_or_done for state in states)

    def pending_decisions(
        self, points: Iterable[tuple[str, str, str]], now: datetime
    ) -> list[PendingDecision]:
        """Points (``(point, unit, state)``) waiting for a body's decision, by body and
        decision; overdue when the decision has a deadline of its own and it has passed."""
        today = self.local_date(now)
        found: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
        moves: dict[tuple[str, str], Transition] = {}
        for point, unit, state in points:
            move = self.next_move(state)
            if move is None or move.takes != "decision":
                continue
            party = self.acting(move, unit)
            if party is None:
                continue
            key = (party, move.task_id)
            moves.setdefault(key, move)
            found[key].append((point, unit))
        result = []
        order = self._party_order
        for key in sorted(found, key=lambda k: (order.get(k[0], len(order)), k)):
            move = moves[key]
            due = self.due_of(move.trigger)
            result.append(
                PendingDecision(
                    party=key[0],
                    step=move.task_id,
                    label=self.move_label(move),
                    due=due,
                    overdue=due is not None and today > due,
                    points=tuple(p for p, _ in found[key]),
                    units=tuple(dict.fromkeys(u for _, u in found[key])),
                )
            )
        return result

    def duties(
        self,
        points: Iterable[tuple[str, str, str]],
        now: datetime,
        overrides: Mapping[tuple[str, str], date] | None = None,
    ) -> list[Duty]:
        """Document steps bodies owe on other units' points (``(point, unit, state)``): for
        each step and party, the units it answers for, the points it still owes the step
        on, the earliest due day and its colour: green once it has reported on every point
        that reached the step, blue while none has reached it."""
        today = self.local_date(now)
        rows = list(points)
        result: list[Duty] = []
        order = self._party_order
        for step in self.steps:
            if step.actor == OWNER:
                continue
            sources = set(self.index.sources_of(step))
            done_states = self.done_states[step.trigger]
            covers: dict[str, list[str]] = defaultdict(list)
            waiting: dict[str, list[str]] = defaultdict(list)
            done: dict[str, int] = defaultdict(int)
            dues: dict[str, list[date]] = defaultdict(list)
            for point, unit, state in rows:
                party = self.acting(step, unit)
                if party is None:
                    continue
                if unit not in covers[party]:
                    covers[party].append(unit)
                if state in done_states:
                    done[party] += 1
                elif state in sources:
                    waiting[party].append(point)
                    due = self.due_of(step.trigger, (overrides or {}).get((point, step.trigger)))
                    if due is not None:
                        dues[party].append(due)
            for party in sorted(
                covers, key=lambda u: (self._lead_order.get(u, 0), order.get(u, len(order)), u)
            ):
                due = min(dues[party]) if dues[party] else None
                if waiting[party]:
                    colour = self.colour("", step, due, today)
                else:
                    colour = "green" if done[party] else "blue"
                result.append(
                    Duty(
                        party=party,
                        step=step.trigger,
                        label=step.label,
                        role=self._role(step, party),
                        covers=self._covers(step, party, covers[party]),
                        due=due if waiting[party] else self.due_of(step.trigger),
                        colour=colour,
                        points=tuple(waiting[party]),
                        done=done[party],
                    )
                )
        return result

    @cached_property
    def _lead_order(self) -> dict[str, int]:
        """Inspection leads in the order of their groups."""
        leads: dict[str, int] = {}
        for group in self.definition.programme.inspection_groups:
            leads.setdefault(group.lead, len(leads))
        return leads

    def _role(self, step: Transition, party: str) -> str:
        if step.actor != INSPECTOR:
            return ""
        groups = [g.label for g in self.definition.programme.inspection_groups if g.lead == party]
        return "、".join(groups) + "组长单位" if groups else ""

    def _covers(self, step: Transition, party: str, seen: list[str]) -> tuple[str, ...]:
        if step.actor != INSPECTOR:
            return tuple(seen)
        return tuple(u for u, lead in self.index.inspector_of.items() if lead == party)

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
