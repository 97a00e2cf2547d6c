"""The point life cycle as one shared ``transitions`` machine (engine/runtime/machine.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from transitions import Machine

from engine.definition.loader import Definition, load_definition
from engine.refusals import (
    ActorNotAllowed,
    InputNotAllowed,
    MissingInput,
    NotTheOwner,
    WrongState,
)
from engine.runtime.machine import Attempt, Cursor, LifecycleMachine, MachineError
from engine.runtime.store import PointRow
from tests.runtime.gd2011 import EIC, GOVERNMENT, PROGRAMME_DIR, Year, example_ids


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


def point(state: str, unit: str = "guangzhou", point_id: str = "guangzhou-1") -> PointRow:
    return PointRow("gd-2011", point_id, unit, "智能制造", state, 1)


def decision(state: str, **kw: Any) -> Attempt:
    kw.setdefault("decision", "accept")
    kw.setdefault("reason", "经研究")
    return Attempt(point(state), **kw)


def document(state: str, actor: str = "guangzhou") -> Attempt:
    return Attempt(point(state), actor, "ab" * 32)


def test_firing_a_trigger_drafts_the_move_from_the_points_state(
    machine: LifecycleMachine,
) -> None:
    draft = machine.fire("screen-in", decision("proposed"))

    assert (draft.trigger, draft.source_state, draft.dest_state) == (
        "screen-in",
        "proposed",
        "screened",
    )
    assert (draft.actor, draft.point_id, draft.reason) == (EIC, "guangzhou-1", "经研究")


def test_the_state_of_the_previous_fire_does_not_leak_into_the_next(
    machine: LifecycleMachine,
) -> None:
    machine.fire("approve", decision("screened"))

    assert machine.fire("submit-plan", document("approved")).dest_state == "plan-filed"
    assert machine.fire("screen-out", decision("proposed")).dest_state == "not-selected"


def test_firing_from_a_wrong_state_is_refused_with_the_states_it_leaves_from(
    machine: LifecycleMachine,
) -> None:
    with pytest.raises(WrongState) as refused:
        machine.fire("approve", decision("proposed"))

    assert (refused.value.state, refused.value.allowed_states) == ("proposed", ("screened",))
    assert refused.value.state.label == "已推荐"


def test_firing_an_unknown_trigger_raises_machine_error(machine: LifecycleMachine) -> None:
    with pytest.raises(MachineError, match="未定义的事项 no-such-trigger"):
        machine.fire("no-such-trigger", decision("proposed"))


def test_firing_from_an_unknown_state_is_refused(machine: LifecycleMachine) -> None:
    with pytest.raises(WrongState) as refused:
        machine.fire("withdraw", decision("archived"))

    assert refused.value.state == "archived"


def test_a_decision_without_a_reason_fails_the_machines_condition(
    machine: LifecycleMachine,
) -> None:
    with pytest.raises(MissingInput) as refused:
        machine.fire("screen-in", decision("proposed", reason=" "))

    assert refused.value.what == "reason"
    assert machine.cursor.state == "proposed"


def test_a_submission_without_a_document_fails_the_machines_condition(
    machine: LifecycleMachine,
) -> None:
    with pytest.raises(MissingInput) as refused:
        machine.fire("submit-plan", Attempt(point("approved"), "guangzhou"))

    assert refused.value.what == "file"


def test_an_actor_the_step_does_not_allow_fails_the_machines_condition(
    machine: LifecycleMachine,
) -> None:
    with pytest.raises(ActorNotAllowed) as refused:
        machine.fire("approve", decision("screened", actor="guangzhou"))

    assert (refused.value.actor, refused.value.allowed) == ("guangzhou", (GOVERNMENT,))


def test_a_unit_filing_for_another_units_point_is_refused(machine: LifecycleMachine) -> None:
    with pytest.raises(NotTheOwner) as refused:
        machine.fire("submit-plan", document("approved", actor="shenzhen"))

    assert (refused.value.actor, refused.value.owner) == ("shenzhen", "guangzhou")


def test_the_inspection_is_filed_by_the_lead_of_the_group_that_visits_the_unit(
    machine: LifecycleMachine,
) -> None:
    assert machine.fire("inspect", document("progress-reported", actor=EIC)).actor == EIC
    with pytest.raises(NotTheOwner):
        machine.fire("inspect", document("progress-reported", actor="guangzhou"))


def test_a_new_due_date_on_an_ordinary_decision_is_refused(machine: LifecycleMachine) -> None:
    with pytest.raises(InputNotAllowed) as refused:
        machine.fire("approve", decision("screened", until=date(2011, 6, 1)))

    assert refused.value.what == "until"


def test_an_extension_request_leaves_the_point_where_it_is(machine: LifecycleMachine) -> None:
    class Open:
        def due(self, point_id: str, step: str) -> date | None:
            return date(2011, 6, 30)

        def today(self) -> date:
            return date(2011, 6, 1)

        def last_extension(self, point_id: str) -> None:
            return None

    attempt = Attempt(point("measures-filed"), "guangzhou", "cd" * 32, deadlines=Open())
    draft = machine.fire("request-extension", attempt)

    assert (draft.source_state, draft.dest_state) == ("measures-filed", "measures-filed")
    assert draft.data == {"step": "report-progress", "due": "2011-06-30"}


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
    assert machine.fire("withdraw", decision(state)).dest_state == "withdrawn"


@pytest.mark.parametrize("state", ["concluded", "not-selected", "withdrawn"])
def test_nothing_fires_from_a_final_state(machine: LifecycleMachine, state: str) -> None:
    with pytest.raises(WrongState):
        machine.fire("withdraw", decision(state))


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


def test_every_transition_carries_the_engines_conditions_and_drafts_in_after(
    machine: LifecycleMachine,
) -> None:
    for event in machine.machine.events.values():
        for transitions in event.transitions.values():
            for t in transitions:
                assert len(t.conditions) >= 2, event.name
                assert len(t.after) == 1, event.name


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
