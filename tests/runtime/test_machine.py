"""The point life cycle as one shared ``transitions`` machine (engine/runtime/machine.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from transitions import Machine

from engine.definition.loader import Definition, load_definition
from engine.runtime.machine import Cursor, LifecycleMachine, MachineError, Move
from tests.runtime.gd2011 import PROGRAMME_DIR, Year, example_ids


@pytest.fixture(scope="module")
def definition() -> Definition:
    return load_definition(PROGRAMME_DIR)


@pytest.fixture
def machine(definition: Definition) -> LifecycleMachine:
    return LifecycleMachine(definition)


@pytest.fixture
def year(tmp_path: Path) -> Iterator[Year]:
    with Year(tmp_path) as opened:
        yield opened


def test_firing_a_trigger_reports_the_move_from_the_given_state(
    machine: LifecycleMachine,
) -> None:
    assert machine.fire("screen-in", "proposed") == Move("screen-in", "proposed", "screened")


def test_the_state_of_the_previous_fire_does_not_leak_into_the_next(
    machine: LifecycleMachine,
) -> None:
    machine.fire("approve", "screened")

    assert machine.fire("submit-plan", "approved").dest == "plan-filed"
    assert machine.fire("screen-out", "proposed").dest == "not-selected"


def test_firing_from_a_wrong_state_raises_machine_error(machine: LifecycleMachine) -> None:
    with pytest.raises(MachineError):
        machine.fire("approve", "proposed")


def test_firing_an_unknown_trigger_raises_machine_error(machine: LifecycleMachine) -> None:
    with pytest.raises(MachineError, match="未定义的事项 no-such-trigger"):
        machine.fire("no-such-trigger", "proposed")


def test_firing_from_an_unknown_state_raises_machine_error(machine: LifecycleMachine) -> None:
    with pytest.raises(MachineError, match="未定义的状态 archived"):
        machine.fire("withdraw", "archived")


def test_an_extension_request_leaves_the_point_where_it_is(machine: LifecycleMachine) -> None:
    assert machine.fire("request-extension", "measures-filed") == Move(
        "request-extension", "measures-filed", "measures-filed"
    )


@pytest.mark.parametrize(
    "state",
    [
        "proposed",
        "screened",
        "approved",
        "plan-filed",
        "measures-filed",
        "progress-reported",
        "inspected",
        "summarised",
    ],
)
def test_withdrawal_is_possible_from_every_state_that_is_not_final(
    machine: LifecycleMachine, state: str
) -> None:
    assert machine.fire("withdraw", state).dest == "withdrawn"


@pytest.mark.parametrize("state", ["concluded", "not-selected", "withdrawn"])
def test_nothing_fires_from_a_final_state(machine: LifecycleMachine, state: str) -> None:
    with pytest.raises(MachineError):
        machine.fire("withdraw", state)


def test_can_fire_agrees_with_the_sources_written_in_the_definition(
    machine: LifecycleMachine, definition: Definition
) -> None:
    index = definition.index
    for t in definition.programme.points.transitions:
        for state in index.states:
            assert machine.can_fire(t.trigger, state) is (state in index.sources_of(t)), (
                t.trigger,
                state,
            )


def test_the_machine_has_a_single_model_the_cursor(machine: LifecycleMachine) -> None:
    assert machine.machine.models == [machine.cursor]
    assert isinstance(machine.cursor, Cursor)


def test_no_convenience_methods_are_added_to_the_cursor(machine: LifecycleMachine) -> None:
    assert not hasattr(machine.cursor, "approve")
    assert not hasattr(machine.cursor, "is_proposed")


def test_the_runtime_fires_every_point_through_one_machine(year: Year) -> None:
    year.enrol_example()
    first = year.runtime.machine

    year.decide("screen", example_ids())

    assert year.runtime.machine is first
    assert set(year.states().values()) == {"screened"}


def test_enrolling_and_deciding_for_many_points_adds_one_model_only(
    year: Year, monkeypatch: pytest.MonkeyPatch
) -> None:
    added: list[Any] = []
    original = Machine.add_model

    def counting(self: Machine, model: Any, initial: Any = None) -> Any:
        added.append(model)
        return original(self, model, initial)

    monkeypatch.setattr(Machine, "add_model", counting)

    year.enrol_example()
    year.decide("screen", example_ids())
    year.decide("approve", example_ids())

    assert len(added) == 1
    assert isinstance(added[0], Cursor)
