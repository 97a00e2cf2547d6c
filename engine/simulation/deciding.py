"""Making the simulated year's decisions, and keeping track of points that cannot move.

``Decider`` decides every decision step on its day (``engine.simulation.decisions``): the
default outcome, or the one the scenario gives a point. It names no deciding body itself:
the runtime resolves the actor the definition names (a body, ``owner``, ``inspector``)
for each point, and the timeline names the bodies recorded on the events it returns. Only
where several bodies of a group may decide is the first of them given (as the runtime
lists them). A point no body may move is recorded as stuck, for the stall report.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from engine.definition.schema import Transition
from engine.errors import Refused, ScenarioError
from engine.runtime.store import EventRow
from engine.simulation.decisions import (
    DecisionStep,
    Stuck,
    When,
    decision_steps,
    decision_text,
    no_actor_reason,
    one_decision_text,
)
from engine.simulation.lifecycle import decided_by, decision_leaving, return_of
from engine.simulation.scenario import Decision, Scenario, Where
from engine.simulation.wiring import OpenProgramme

__all__ = ["Decider", "scenario_action"]


@contextmanager
def scenario_action(where: Where | None, day: date, item: str) -> Iterator[None]:
    """A refusal of what a scenario entry asked for is reported at the entry's line, worded
    with the programme's ``item`` noun."""
    try:
        yield
    except Refused as exc:
        if where is None:
            raise exc.worded(item) from None
        message = exc.worded(item).message
        raise ScenarioError([where.diagnostic(f"{day} 无法执行：{message}")]) from None


@dataclass(frozen=True)
class _Choice:
    """An outcome the scenario gives a point's decision of ``task`` (not dated)."""

    task: str
    outcome: str
    reason: str
    where: Where


class Decider:
    """The decisions of the year, and where points are since and why they are stuck."""

    def __init__(
        self,
        programme: OpenProgramme,
        scenario: Scenario,
        units: Callable[[], Mapping[str, str]],
        say: Callable[[date, str], None],
    ) -> None:
        self.programme = programme
        self.definition = programme.definition
        self.index = self.definition.index
        self._item = self.definition.programme.programme.item
        self.units = units  # point -> unit, in enrolment order (known once enrolled)
        self.say = say
        self.steps = decision_steps(self.definition)
        self.arrived: dict[str, date] = {}  # point -> the day the driver moved it last
        self.stuck: dict[str, Stuck] = {}
        self.choices: dict[str, list[_Choice]] = defaultdict(list)
        initial = self.index.initial_state
        reject = decision_leaving(self.definition, initial, "reject")
        for out, where in scenario.placed("screened_out"):
            assert reject is not None  # checked when the scenario was loaded
            self.choices[out.point].append(_Choice(reject.task_id, "reject", out.reason, where))
        # point -> (the states a dated decision of the scenario leaves from, its day): no
        # default decision moves the point on from there before that day
        self.holds: dict[str, list[tuple[frozenset[str], date]]] = defaultdict(list)
        for d, where in scenario.placed("decisions"):
            if d.on is None:
                self.choices[d.point].append(_Choice(d.task, d.outcome, d.reason, where))
                continue
            sources = {
                s
                for t in self.index.point_tasks.get(d.task, [])
                if t.takes == "decision" and t.outcome == d.outcome
                for s in self.index.sources_of(t)
            }
            self.holds[d.point].append((frozenset(sources), d.on))
        for r, _ in scenario.placed("returns"):
            transition = return_of(self.definition, r.step)
            if transition is not None:
                self.holds[r.point].append((frozenset(transition.source), r.on))

    def has(self, when: When) -> bool:
        return any(step.when == when for step in self.steps.values())

    def moved(self, day: date, events: Iterable[EventRow]) -> None:
        """Points the year moved on ``day``: since then in their new state."""
        for e in events:
            if e.point_id is not None and e.dest_state is not None:
                self.arrived[e.point_id] = day
                self.stuck.pop(e.point_id, None)

    def done(self, point: str, on: date) -> None:
        """The scenario's dated decision (or return) of ``point`` on ``on`` was made."""
        self.holds[point] = [(s, d) for s, d in self.holds[point] if d != on]

    # --- the steps decided by default -------------------------------------------------

    def decide(self, day: date, when: When, states: Mapping[str, str]) -> None:
        """Every point whose decision step is decided ``when`` and is due on ``day``."""
        units = self.units()
        batches: dict[tuple[str, str | None, str, Where | None], list[str]] = defaultdict(list)
        by_step: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for point, unit in units.items():
            state = states.get(point)
            step = self.steps.get(state or "")
            if step is None or step.when != when or state is None:
                continue
            if when == "next-day" and day <= self.arrived.get(point, date.min):
                continue
            if any(state in s and on >= day for s, on in self.holds.get(point, ())):
                continue  # the scenario decides it, or returns it, from here later
            chosen = self._choice(point, step)
            if chosen is None:
                continue
            transition, reason, where = chosen
            bodies = self.index.actors_for(transition, unit)
            if not bodies:
                why = no_actor_reason(self.index, transition, unit)
                self.stuck[point] = Stuck(state, transition, why)
                continue
            actor = None if len(bodies) == 1 else bodies[0]
            batches[(transition.trigger, actor, reason, where)].append(point)
            by_step[state][transition.trigger].append(point)
        events: dict[str, list[EventRow]] = defaultdict(list)
        for (trigger, actor, reason, where), points in batches.items():
            transition = self.index.transitions[trigger]
            assert transition.outcome is not None
            with scenario_action(where, day, self._item):
                done = self.programme.app.decide(
                    transition.task_id, points, transition.outcome, reason, actor=actor
                )
            self.moved(day, done)
            events[trigger].extend(done)
        for state, moved in by_step.items():
            step = self.steps[state]
            order = [t.trigger for t in step.transitions]
            if step.default is not None:
                order.insert(0, step.default.trigger)
            lines = [
                (self.index.transitions[t], moved[t]) for t in dict.fromkeys(order) if t in moved
            ]
            who = decided_by(self.index, (e for t, _ in lines for e in events[t.trigger]))
            self.say(day, decision_text(self.index, who, lines))

    def _choice(
        self, point: str, step: DecisionStep
    ) -> tuple[Transition, str, Where | None] | None:
        """The scenario's outcome for the point at this step, else the default (accept)."""
        entries = self.choices.get(point, [])
        for i, entry in enumerate(entries):
            transition = step.choice(entry.task, entry.outcome)
            if transition is not None:
                del entries[i]
                return transition, entry.reason, entry.where
        if step.default is None:
            return None
        return step.default, step.default.label, None

    def actor_at(self, day: date, transition: Transition, point: str, where: Where) -> str | None:
        """The body to name for a scenario entry's decision of ``point``: none when the
        runtime resolves the only one; refused at the entry's line when no body may."""
        unit = self.units()[point]
        bodies = self.index.actors_for(transition, unit)
        if not bodies:
            why = no_actor_reason(self.index, transition, unit)
            raise ScenarioError(
                [where.diagnostic(f"{day} 无法执行：「{transition.label}」无人可办（{why}）")]
            )
        return None if len(bodies) == 1 else bodies[0]

    # --- a decision the scenario dates ------------------------------------------------

    def decide_on(self, day: date, entry: Decision, where: Where, state: str | None) -> None:
        """The scenario's decision of a point on its day (refused: at the entry's line)."""
        step = self.steps.get(state or "")
        transition = step.choice(entry.task, entry.outcome) if step else None
        if transition is None or state is None:
            label = self.index.states[state].label if state in self.index.states else "未登记"
            raise ScenarioError(
                [
                    where.diagnostic(
                        f"{day} 无法执行：{self._item} {entry.point} 当时的状态是『{label}』，"
                        f"不能作「{entry.task}」的「{entry.outcome}」决定"
                    )
                ]
            )
        actor = self.actor_at(day, transition, entry.point, where)
        assert transition.outcome is not None
        with scenario_action(where, day, self._item):
            events = self.programme.app.decide(
                transition.task_id, [entry.point], transition.outcome, entry.reason, actor=actor
            )
        self.moved(day, events)
        self.done(entry.point, day)
        who = decided_by(self.index, events)
        self.say(day, one_decision_text(who, transition, entry.point, entry.reason))

    # --- points that cannot move ------------------------------------------------------

    def dead_ends(self, states: Mapping[str, str]) -> None:
        """At the year's end: points in a non-final state nothing the year does leaves
        (a point owing a document is the scenario's: never, late, returned)."""
        final = self.index.final_states
        for point in self.units():
            state = states.get(point)
            if state is None or state in final:
                continue
            if point in self.stuck and self.stuck[point].state == state:
                continue
            self.stuck.pop(point, None)
            if any(
                t.takes == "document" and t.extension is None
                for t in self.index.transitions_from(state)
            ):
                continue  # a document is owed: the scenario's never, late or returns
            step = self.steps.get(state)
            if step is not None and step.default is not None:
                continue
            if step is not None:
                outcomes = "、".join(f"{t.label}（{t.outcome}）" for t in step.transitions)
                why = (
                    f"这一步只有「{outcomes}」，演练只代为作同意（accept）的决定：请在情景的"
                    f" decisions 中写明这些{self._item}的决定"
                )
                self.stuck[point] = Stuck(state, step.transitions[0], why, "演练不能代为决定")
            else:
                why = "定义中没有离开该状态的报送或决定，而它不是终止状态（final）"
                self.stuck[point] = Stuck(state, None, why)
