"""Contract: points, read by unit, units or state, counted, and moved in bulk."""

from __future__ import annotations

import pytest

from engine.errors import StoreError
from engine.runtime.ports import StorePort
from engine.runtime.store import PointRow
from tests.runtime.conftest import PROGRAMME


def test_a_point_is_read_back_as_added(enrolled: StorePort) -> None:
    with enrolled.transaction(readonly=True) as tx:
        assert tx.get_point(PROGRAMME, "3") == PointRow(
            PROGRAMME, "3", "市场监管局", "企业注销便利化", "submitted", None
        )
        assert tx.get_point(PROGRAMME, "99") is None
        assert tx.get_point("other", "1") is None


def test_points_can_be_filtered_by_unit_and_state(enrolled: StorePort) -> None:
    with enrolled.transaction() as tx:
        assert [p.point_id for p in tx.points(PROGRAMME, unit="发改委")] == ["1", "2"]
        assert [p.point_id for p in tx.points(PROGRAMME, state="submitted")] == ["3"]
        assert tx.points(PROGRAMME, unit="发改委", state="submitted") == []


def test_points_can_be_filtered_by_several_units(enrolled: StorePort) -> None:
    with enrolled.transaction() as tx:
        assert [p.point_id for p in tx.points(PROGRAMME, units=["市场监管局", "发改委"])] == [
            "1",
            "2",
            "3",
        ]
        assert [p.point_id for p in tx.points(PROGRAMME, units={"市场监管局"})] == ["3"]
        assert tx.points(PROGRAMME, units=[]) == []
        assert [p.point_id for p in tx.points(PROGRAMME, units=["发改委"], state="draft")] == [
            "1",
            "2",
        ]


def test_points_come_in_enrolment_order_then_by_id(enrolled: StorePort) -> None:
    with enrolled.transaction() as tx:
        tx.add_points(
            [
                PointRow(PROGRAMME, "b", "发改委", "后登记", "draft", 2),
                PointRow(PROGRAMME, "a", "发改委", "先登记", "draft", 1),
            ]
        )
        order = [p.point_id for p in tx.points(PROGRAMME, unit="发改委")]
    # SQL sorts NULL first on SQLite and last on PostgreSQL: compare the numbered ones.
    assert [p for p in order if p in ("a", "b")] == ["a", "b"]
    assert [p for p in order if p in ("1", "2")] == ["1", "2"]


def test_points_are_counted_by_unit(enrolled: StorePort) -> None:
    with enrolled.transaction(readonly=True) as tx:
        assert tx.count_points_by_unit(PROGRAMME) == {"发改委": 2, "市场监管局": 1}
        assert tx.count_points_by_unit("other") == {}


def test_point_ids_names_the_known_ones_among_many_candidates(enrolled: StorePort) -> None:
    candidates = [f"x{i}" for i in range(1200)] + ["3", "1", "1"]  # more than one IN chunk
    with enrolled.transaction(readonly=True) as tx:
        assert tx.point_ids(PROGRAMME, candidates) == {"1", "3"}
        assert tx.point_ids(PROGRAMME, []) == set()


def test_set_states_updates_several_points_at_once(enrolled: StorePort) -> None:
    with enrolled.transaction() as tx:
        tx.set_states(PROGRAMME, {"1": "submitted", "3": "accepted"})
        tx.set_states(PROGRAMME, {})
    with enrolled.transaction() as tx:
        states = {p.point_id: p.state for p in tx.points(PROGRAMME)}
    assert states == {"1": "submitted", "2": "draft", "3": "accepted"}


def test_set_states_with_an_unknown_point_changes_nothing(enrolled: StorePort) -> None:
    with pytest.raises(StoreError, match="没有突破点：99"), enrolled.transaction() as tx:
        tx.set_states(PROGRAMME, {"1": "accepted", "99": "accepted"})
    with enrolled.transaction() as tx:
        point = tx.get_point(PROGRAMME, "1")
    assert point is not None
    assert point.state == "draft"


def test_a_point_of_an_unregistered_unit_is_refused(enrolled: StorePort) -> None:
    with pytest.raises(StoreError, match="违反了数据约束"), enrolled.transaction() as tx:
        tx.add_points([PointRow(PROGRAMME, "9", "不存在的单位", "标题", "draft")])


def test_a_point_keeps_its_co_units_and_the_group_that_led_it(enrolled: StorePort) -> None:
    shared = PointRow(PROGRAMME, "4", "发改委", "联合审批", "draft", None, ("财政局", "市场监管局"))
    grouped = PointRow(PROGRAMME, "5", "发改委", "各区推进", "draft", None, (), "各区")
    with enrolled.transaction() as tx:
        tx.add_points([shared, grouped])
    with enrolled.transaction(readonly=True) as tx:
        assert tx.get_point(PROGRAMME, "4") == shared
        assert tx.get_point(PROGRAMME, "5") == grouped
        by_unit = {p.point_id: p for p in tx.points(PROGRAMME, unit="发改委")}
        assert by_unit["4"].co == ("财政局", "市场监管局")
        assert by_unit["5"].group_id == "各区"
        assert by_unit["1"].co == ()
        assert by_unit["1"].group_id is None
