"""Contract: programmes and their units."""

from __future__ import annotations

import pytest

from engine.errors import StoreError
from engine.runtime.ports import StorePort
from engine.runtime.store import ProgrammeRow
from tests.runtime.conftest import AT, PROGRAMME


def test_programme_round_trip(enrolled: StorePort) -> None:
    with enrolled.transaction() as tx:
        row = tx.get_programme(PROGRAMME)
        assert row is not None
        assert (row.title, row.year, row.enrolled_at) == (
            "优化营商环境工作方案",
            2025,
            "2025-03-03T09:30:00+08:00",
        )
        assert tx.get_programme("other") is None


def test_programmes_are_listed_by_id(store: StorePort) -> None:
    with store.transaction() as tx:
        tx.put_programme("b", "乙方案", 2026, "b" * 64, AT)
        tx.put_programme("a", "甲方案", 2025, "a" * 64, AT)
    with store.transaction(readonly=True) as tx:
        assert tx.programmes() == [
            ProgrammeRow("a", "甲方案", 2025, "a" * 64, "2025-03-03T09:30:00+08:00"),
            ProgrammeRow("b", "乙方案", 2026, "b" * 64, "2025-03-03T09:30:00+08:00"),
        ]


def test_enrolling_a_programme_twice_is_refused(enrolled: StorePort) -> None:
    with pytest.raises(StoreError, match="已经登记"), enrolled.transaction() as tx:
        tx.put_programme(PROGRAMME, "again", 2025, "b" * 64, AT)


def test_set_definition_hash_replaces_the_stored_hash(enrolled: StorePort) -> None:
    with enrolled.transaction() as tx:
        tx.set_definition_hash(PROGRAMME, "c" * 64)
        assert tx.get_programme(PROGRAMME) == tx.programmes()[0]
        assert tx.programmes()[0].definition_hash == "c" * 64


def test_set_definition_hash_of_an_unknown_programme_is_refused(store: StorePort) -> None:
    with pytest.raises(StoreError, match="尚未登记"), store.transaction() as tx:
        tx.set_definition_hash("nowhere", "c" * 64)


def test_ensure_units_adds_only_unknown_units(enrolled: StorePort) -> None:
    with enrolled.transaction() as tx:
        assert tx.ensure_units(PROGRAMME, ["发改委", "财政局", "财政局"]) == 1
        assert tx.units(PROGRAMME) == sorted(["发改委", "市场监管局", "财政局"])
        assert tx.units("other") == []
