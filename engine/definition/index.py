"""Look-ups over a loaded programme: bodies, groups expanded to bodies, states, steps.

The ``Programme`` model is the definition as written; ``ProgrammeIndex`` answers the
questions the checks, the engine and the reminders ask of it ("which bodies are in
``cities``?", "which transitions leave ``approved``?") without mutating anything.
It is tolerant of dangling references so that the checks can use it to report them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

from engine.definition.schema import (
    ANY_STATE,
    CO,
    INSPECTOR,
    LEAD,
    OWNER,
    Body,
    Deadline,
    Group,
    InspectionGroup,
    Programme,
    Relation,
    ReminderPolicy,
    Report,
    State,
    Task,
    Transition,
)
from engine.errors import Named

__all__ = ["LeadershipCopy", "ProgrammeIndex", "Step"]


@dataclass(frozen=True)
class LeadershipCopy:
    """The leader a last 催报 copies: the short name (the address's display name), the name
    the notice's 抄送 line shows, and the address."""

    short: str
    name: str
    email: str | None


@dataclass(frozen=True)
class Step:
    """Something with a deadline that somebody owes: a point transition or a task."""

    id: str
    label: str
    kind: str  # "transition" or "task"
    deadline: Deadline | None
    phase: str | None
    phase_exception: str | None
    reminders: str | None
    path: tuple[str | int, ...]  # where it is written in the YAML
    transition: Transition | None = None
    task: Task | None = None


class ProgrammeIndex:
    def __init__(self, programme: Programme) -> None:
        self.programme = programme
        self._expanded: dict[str, list[str]] = {}
        # Asked once per point by every view (100,000 points, a few states and moves): the
        # definition does not change, so each answer is worked out once.
        self._sources: dict[int, tuple[Transition, tuple[str, ...]]] = {}
        self._from: dict[str, tuple[Transition, ...]] = {}
        self._pending: dict[str, Transition | None] = {}

    # --- bodies and groups -------------------------------------------------------------

    @cached_property
    def bodies(self) -> dict[str, Body]:
        return {b.id: b for b in self.programme.bodies}

    @cached_property
    def groups(self) -> dict[str, Group]:
        return {g.id: g for g in self.programme.groups}

    @cached_property
    def inspection_groups(self) -> dict[str, InspectionGroup]:
        return {g.id: g for g in self.programme.inspection_groups}

    @cached_property
    def relations(self) -> dict[str, Relation]:
        return {r.id: r for r in self.programme.relations}

    def expand(self, ids: tuple[str, ...] | list[str]) -> list[str]:
        """Body ids named directly or through (nested) groups, in order, without repeats."""
        seen: dict[str, None] = {}
        stack: set[str] = set()

        def walk(name: str) -> None:
            if name in self.bodies:
                seen.setdefault(name, None)
            elif name in self.groups and name not in stack:
                stack.add(name)
                for member in self.groups[name].members:
                    walk(member)
                stack.discard(name)

        for name in ids:
            walk(name)
        return list(seen)

    @cached_property
    def proposers(self) -> list[str]:
        """Every unit that may propose points, in the order the definition lists them."""
        return self.expand(self.programme.points.enrolment.proposers)

    @cached_property
    def inspector_of(self) -> dict[str, str]:
        """Unit id -> lead body of the inspection group that visits it."""
        result: dict[str, str] = {}
        for group in self.programme.inspection_groups:
            for unit in self.expand(group.inspects):
                result.setdefault(unit, group.lead)
        return result

    def body_label(self, body_id: str) -> str:
        body = self.bodies.get(body_id)
        return body.short if body else body_id

    def leadership_of(self, relation: str | None, unit: str) -> LeadershipCopy:
        """Whom a last 催报 to ``unit`` copies: the body the policy's ``leadership`` relation
        pairs with the unit, else (no relation, or no pair for the unit) the unit's own
        leadership at its ``leadership_email`` (``email`` None: nobody can be copied)."""
        pairs = self.relations[relation].pairs if relation in self.relations else {}
        if unit in pairs:
            leader = self.bodies[pairs[unit]]
            return LeadershipCopy(leader.short, leader.name, leader.email)
        body = self.bodies.get(unit)
        generic = f"{self.body_label(unit)}分管领导"
        return LeadershipCopy(generic, generic, body.leadership_email if body else None)

    def named_body(self, body_id: str) -> Named:
        """The body's id carrying its short name, for messages."""
        return Named(body_id, self.body_label(body_id))

    @cached_property
    def body_names(self) -> dict[str, tuple[str, str]]:
        """Body id -> (short name, full name)."""
        return {b.id: (b.short, b.name) for b in self.programme.bodies}

    @cached_property
    def _body_by_name(self) -> dict[str, str]:
        """Every id, short and full name -> body id; a name two bodies share is left out."""
        found: dict[str, set[str]] = {}
        for body in self.programme.bodies:
            for name in (body.short, body.name):
                found.setdefault(name.strip(), set()).add(body.id)
        names = {name: next(iter(ids)) for name, ids in found.items() if len(ids) == 1}
        names.update({b.id: b.id for b in self.programme.bodies})  # an id wins over a name
        return names

    def resolve_body(self, name: str) -> str | None:
        """The id of the body named by its id, short name or full name; ``None`` if none.

        ``resolve_body("广州市")`` and ``resolve_body("广州市人民政府")`` are ``"guangzhou"``.
        Only exact names resolve: a near miss is for ``engine.hints`` to suggest, not to guess.
        """
        return self._body_by_name.get(name.strip())

    def actors_for(self, transition: Transition, point_unit: str) -> list[str]:
        """The bodies that may fire ``transition`` for a point of ``point_unit``."""
        return self.bodies_acting(transition.actor, point_unit)

    def bodies_acting(
        self, actor: str, point_unit: str, co: tuple[str, ...] | list[str] = ()
    ) -> list[str]:
        """The bodies an ``actor`` or recipient of the definition stands for on a point led
        by ``point_unit`` with co-responsible units ``co``: ``owner``/``lead`` the lead unit,
        ``co`` the co-responsible units, ``inspector`` the lead of the inspection group that
        visits the lead unit, a relation's id the body it pairs with the lead unit, a body or
        a group its bodies - the one place that reads it."""
        if actor in (OWNER, LEAD):
            return [point_unit]
        if actor == CO:
            return list(co)
        if actor == INSPECTOR:
            lead = self.inspector_of.get(point_unit)
            return [lead] if lead else []
        relation = self.relations.get(actor)
        if relation is not None:  # validate keeps relation ids apart from bodies' and groups'
            paired = relation.pairs.get(point_unit)
            return [paired] if paired else []
        return self._bodies_of(actor)

    def recipients_of(
        self, names: tuple[str, ...] | list[str], point_unit: str, co: tuple[str, ...] = ()
    ) -> list[str]:
        """The bodies a step's ``recipients`` stand for on one point, in order, no repeats."""
        found: dict[str, None] = {}
        for name in names:
            for body in self.bodies_acting(name, point_unit, co):
                found.setdefault(body, None)
        return list(found)

    def acting_bodies(self, actor: str) -> list[str]:
        """Every body ``actor`` stands for on the point of some proposer, in order."""
        found: dict[str, None] = {}
        for unit in self.proposers:
            for body in self.bodies_acting(actor, unit):
                found.setdefault(body, None)
        return list(found)

    def _bodies_of(self, actor: str) -> list[str]:
        """``expand([actor])``, remembered: it is asked once per point moved."""
        found = self._expanded.get(actor)
        if found is None:
            found = self._expanded[actor] = self.expand([actor])
        return list(found)

    def units_acted_for(self, transition: Transition, actor: str) -> set[str] | None:
        """The units whose points ``actor`` may fire ``transition`` for; ``None``: all units.

        The inverse of ``actors_for``: ``point_unit in units_acted_for(t, a)`` exactly when
        ``a in actors_for(t, point_unit)`` (an empty set when ``actor`` may fire it for none).
        """
        if transition.actor in (OWNER, LEAD):
            return {actor}
        if transition.actor == INSPECTOR:
            return {u for u, lead in self.inspector_of.items() if lead == actor}
        relation = self.relations.get(transition.actor)
        if relation is not None:
            return {u for u, paired in relation.pairs.items() if paired == actor}
        return None if actor in self.expand([transition.actor]) else set()

    # --- life cycle -------------------------------------------------------------------

    @cached_property
    def states(self) -> dict[str, State]:
        return {s.id: s for s in self.programme.points.states}

    @cached_property
    def initial_state(self) -> str:
        return next(s.id for s in self.programme.points.states if s.initial)

    @cached_property
    def final_states(self) -> set[str]:
        return {s.id for s in self.programme.points.states if s.final}

    def sources_of(self, transition: Transition) -> tuple[str, ...]:
        """The states a transition leaves from, with ``*`` expanded to every non-final state."""
        kept = self._sources.get(id(transition))
        if kept is not None and kept[0] is transition:
            return kept[1]
        if ANY_STATE in transition.source:
            found = tuple(s.id for s in self.programme.points.states if not s.final)
        else:
            found = tuple(transition.source)
        self._sources[id(transition)] = (transition, found)
        return found

    def named_state(self, state_id: str) -> Named:
        state = self.states.get(state_id)
        return Named(state_id, state.label if state else state_id)

    @cached_property
    def transitions(self) -> dict[str, Transition]:
        return {t.trigger: t for t in self.programme.points.transitions}

    def transitions_from(self, state: str) -> tuple[Transition, ...]:
        found = self._from.get(state)
        if found is None:
            transitions = self.programme.points.transitions
            found = self._from[state] = tuple(t for t in transitions if state in self.sources_of(t))
        return found

    @cached_property
    def point_tasks(self) -> dict[str, list[Transition]]:
        """Task name (``--task``) -> the transitions that carry it out."""
        result: dict[str, list[Transition]] = {}
        for t in self.programme.points.transitions:
            result.setdefault(t.task_id, []).append(t)
        return result

    def pending_step(self, state: str) -> Transition | None:
        """The step a point in ``state`` owes next: its document transition with a deadline."""
        if state not in self._pending:
            self._pending[state] = next(
                (
                    t
                    for t in self.transitions_from(state)
                    if t.takes == "document" and t.deadline is not None and t.extension is None
                ),
                None,
            )
        return self._pending[state]

    # --- tasks, steps, policies -------------------------------------------------------

    @cached_property
    def tasks(self) -> dict[str, Task]:
        return {t.id: t for t in self.programme.tasks}

    @cached_property
    def policies(self) -> dict[str, ReminderPolicy]:
        return {p.id: p for p in self.programme.reminder_policies}

    @cached_property
    def reports(self) -> dict[str, Report]:
        """The recurring reports by id."""
        return {r.id: r for r in self.programme.reports}

    def steps(self) -> Iterator[Step]:
        """Every point transition and task, with where it is written."""
        for i, t in enumerate(self.programme.points.transitions):
            yield Step(
                id=t.trigger,
                label=t.label,
                kind="transition",
                deadline=t.deadline,
                phase=t.phase,
                phase_exception=t.phase_exception,
                reminders=t.reminders,
                path=("points", "transitions", i),
                transition=t,
            )
        for i, task in enumerate(self.programme.tasks):
            yield Step(
                id=task.id,
                label=task.label,
                kind="task",
                deadline=task.deadline,
                phase=task.phase,
                phase_exception=task.phase_exception,
                reminders=task.reminders,
                path=("tasks", i),
                task=task,
            )

    @cached_property
    def documents(self) -> dict[str, object]:
        return {d.id: d for d in self.programme.programme.documents}
