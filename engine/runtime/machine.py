"""The point life cycle compiled into one ``transitions`` machine per programme.

Every move of a point is fired through this machine. Its transitions carry the engine's
checks as ``conditions`` (the input the step takes is given, the actor may take it, the
extension rules hold; see ``engine.runtime.moves``) and draft the trail event in an
``after`` callback; a point in a state the step does not leave from - a final state leaves
to none - is refused by transitions itself (``MachineError``), turned into ``WrongState``.

transitions is used as one shared machine, not a machine per point: ``Machine.add_model``
costs time that grows with the number of models already added (pytransitions issue #434),
so enrolling 100,000 points that way is quadratic. The machine has a single model, a
``Cursor``: to move a point, the cursor is put in the point's state and the trigger is
fired through ``cursor.trigger(name, attempt)`` (``model_override=True``, so transitions
adds nothing but ``trigger`` to the model). The ``Attempt`` - the point, who acts, the
document or decision - is the argument every condition and callback receives; the refusal
a failed condition leaves on it, or the event drafted, is what ``fire`` returns or raises.
The cost per point is constant, and the point's state lives in the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from transitions import Machine, MachineError

from engine.refusals import WrongState
from engine.runtime.attempt import Attempt, Deadlines
from engine.runtime.moves import MoveRules

if TYPE_CHECKING:
    from engine.definition.loader import Definition
    from engine.runtime.store import EventDraft

__all__ = ["Attempt", "Cursor", "Deadlines", "LifecycleMachine", "MachineError"]


class Cursor:
    """The single model of a programme's machine; it holds one point's state at a time."""

    state: str

    def __init__(self, state: str) -> None:
        self.state = state

    def trigger(self, name: str, *args: Any) -> bool:  # replaced by transitions
        raise RuntimeError("the lifecycle machine binds this method")


class LifecycleMachine:
    """Fires the programme's triggers for points through one transitions machine."""

    def __init__(self, definition: Definition) -> None:
        index = definition.index
        self.index = index
        self.rules = MoveRules(definition)
        self.states = [s.id for s in definition.programme.points.states]
        self.initial = index.initial_state
        self.cursor = Cursor(self.initial)
        self._sources = {
            t.trigger: frozenset(index.sources_of(t))
            for t in definition.programme.points.transitions
        }
        self.machine = Machine(
            model=self.cursor,
            states=self.states,
            transitions=self.rules.transitions(),
            initial=self.initial,
            auto_transitions=False,
            model_override=True,
            ignore_invalid_triggers=False,
        )

    def can_fire(self, trigger: str, state: str) -> bool:
        """Whether ``trigger`` leaves from ``state`` (the conditions aside)."""
        sources = self._sources.get(trigger)
        return sources is not None and state in sources

    def fire(self, trigger: str, attempt: Attempt) -> EventDraft:
        """Move ``attempt.point`` by ``trigger``: the event drafted, or the refusal raised."""
        transition = self.index.transitions.get(trigger)
        if transition is None:
            raise MachineError(f"未定义的事项 {trigger}")
        point = attempt.point
        cursor = self.cursor
        cursor.state = point.state
        try:
            if point.state not in self.machine.states:
                raise MachineError(f"未定义的状态 {point.state}")
            moved = cursor.trigger(trigger, attempt)
        except MachineError:
            index = self.index
            raise WrongState(
                self.rules.named_point(point),
                index.named_state(point.state),
                self.rules.named_step(transition),
                [index.named_state(s) for s in self.states if s in self._sources[trigger]],
            ) from None
        if not moved:
            assert attempt.refusal is not None, "a condition failed without saying why"
            raise attempt.refusal
        assert attempt.draft is not None
        return attempt.draft
