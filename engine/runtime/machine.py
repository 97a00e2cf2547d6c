"""The point life cycle compiled into one ``transitions`` machine per programme.

transitions is used as one shared machine, not a machine per point: ``Machine.add_model``
costs time that grows with the number of models already added (pytransitions issue #434),
so enrolling 100,000 points that way is quadratic. Here the machine has a single model, a
``Cursor``: to fire a trigger for a point the cursor is put in the point's state, the
trigger is fired through ``cursor.trigger(name)`` (``model_override=True``, so transitions
adds nothing but ``trigger`` to the model), and the state it lands in is read back. The cost
per point is constant, and the point's state lives in the store, not in a Python object.

The machine has no conditions and no callbacks, so where a trigger leads from a state never
changes: each ``(trigger, state)`` is fired through transitions once, and the move it made
is remembered. A bulk run of a million transitions then pays transitions' dispatch (about
15 µs a trigger) a few dozen times, not a million times. A refused trigger is not
remembered: it is checked and fired again, and raises ``MachineError`` each time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from transitions import Machine, MachineError

if TYPE_CHECKING:
    from engine.definition.loader import Definition

__all__ = ["Cursor", "LifecycleMachine", "Move"]


class Cursor:
    """The single model of a programme's machine; it holds one point's state at a time."""

    state: str

    def __init__(self, state: str) -> None:
        self.state = state

    def trigger(self, name: str) -> bool:  # replaced by transitions (model_override=True)
        raise RuntimeError("the lifecycle machine binds this method")


@dataclass(frozen=True, slots=True)
class Move:
    trigger: str
    source: str
    dest: str


class LifecycleMachine:
    """Fires the programme's triggers for points, one state at a time."""

    def __init__(self, definition: Definition) -> None:
        index = definition.index
        lifecycle = definition.programme.points
        self.states = [s.id for s in lifecycle.states]
        self.initial = index.initial_state
        self.cursor = Cursor(self.initial)
        transitions = [
            {
                "trigger": t.trigger,
                "source": index.sources_of(t),
                # An extension leaves the state as it is: an internal transition.
                "dest": t.dest,
            }
            for t in lifecycle.transitions
        ]
        self._moves: dict[tuple[str, str], Move] = {}  # moves already made, see above
        self.machine = Machine(
            model=self.cursor,
            states=self.states,
            transitions=transitions,
            initial=self.initial,
            auto_transitions=False,
            model_override=True,
            ignore_invalid_triggers=False,
        )

    def can_fire(self, trigger: str, state: str) -> bool:
        return bool(self.machine.get_transitions(trigger=trigger, source=state))

    def fire(self, trigger: str, state: str) -> Move:
        """The state a point in ``state`` reaches by ``trigger``; ``MachineError`` if none."""
        move = self._moves.get((trigger, state))
        if move is not None:  # fired before, so trigger and state are known and allowed
            return move
        # transitions itself raises AttributeError / ValueError for these two.
        if trigger not in self.machine.events:
            raise MachineError(f"未定义的事项 {trigger}")
        if state not in self.machine.states:
            raise MachineError(f"未定义的状态 {state}")
        cursor = self.cursor
        cursor.state = state
        cursor.trigger(trigger)
        move = Move(trigger, state, cursor.state)
        self._moves[(trigger, state)] = move
        return move


__all__ += ["MachineError"]
