"""Look-ups on the definition index: bodies by any of their names, who acts for a point."""

from __future__ import annotations

import pytest

from engine.definition.loader import Definition, load_definition
from engine.definition.schema import Transition
from tests.runtime.gd2011 import EIC, GOVERNMENT, PROGRAMME_DIR


@pytest.fixture(scope="module")
def definition() -> Definition:
    return load_definition(PROGRAMME_DIR)


def step(definition: Definition, trigger: str) -> Transition:
    return definition.index.transitions[trigger]


@pytest.mark.parametrize("name", ["guangzhou", "广州市", "广州市人民政府", " 广州市 "])
def test_a_body_is_found_by_its_id_short_name_or_full_name(
    definition: Definition, name: str
) -> None:
    assert definition.index.resolve_body(name) == "guangzhou"


@pytest.mark.parametrize("name", ["广州", "Guangzhou", "atlantis", ""])
def test_only_exact_names_resolve(definition: Definition, name: str) -> None:
    assert definition.index.resolve_body(name) is None


def test_a_district_is_found_by_its_full_name(definition: Definition) -> None:
    assert definition.index.resolve_body("佛山市顺德区人民政府") == "shunde"


def test_the_owner_acts_for_its_own_point(definition: Definition) -> None:
    assert definition.index.actors_for(step(definition, "submit-plan"), "zhuhai") == ["zhuhai"]


def test_the_inspection_is_filed_by_the_lead_of_the_group_visiting_the_unit(
    definition: Definition,
) -> None:
    inspect = step(definition, "inspect")

    assert definition.index.actors_for(inspect, "guangzhou") == [EIC]
    assert definition.index.actors_for(inspect, "shenzhen") == ["dost"]


def test_a_named_body_acts_for_every_point(definition: Definition) -> None:
    approve = step(definition, "approve")

    assert definition.index.actors_for(approve, "guangzhou") == [GOVERNMENT]
    assert definition.index.actors_for(approve, "shunde") == [GOVERNMENT]


@pytest.mark.parametrize("trigger", ["submit-plan", "inspect", "approve", "screen-in"])
def test_units_acted_for_is_the_inverse_of_actors_for(definition: Definition, trigger: str) -> None:
    index = definition.index
    t = step(definition, trigger)
    for actor in index.bodies:
        units = index.units_acted_for(t, actor)
        for unit in index.proposers:
            assert (units is None or unit in units) is (actor in index.actors_for(t, unit)), (
                actor,
                unit,
            )
