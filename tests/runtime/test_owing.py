"""Who owes an occurrence: the roles of ``owed_by`` resolved through the items."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from engine.clock import SHANGHAI
from engine.definition.loader import load_definition
from engine.definition.schema import Report
from engine.runtime.owing import owed, owing_table
from engine.runtime.records import PointRow

CITY = Path(__file__).parents[1] / "programmes" / "city-tasks"
DEFINITION = load_definition(CITY)
STARTED = datetime(2021, 2, 5, 9, tzinfo=SHANGHAI)
HISTORIES = {
    "housing-1": (
        (datetime(2021, 1, 25, 9, tzinfo=SHANGHAI), "assigned"),
        (STARTED, "in-progress"),
    ),
    "transport-1": ((datetime(2021, 1, 25, 9, tzinfo=SHANGHAI), "assigned"),),
}
POINTS = [
    PointRow("city-tasks", "housing-1", "housing", "城市更新", "in-progress", 2, ("transport",)),
    PointRow("city-tasks", "transport-1", "transport", "地铁二期", "assigned", 3),
]


def report(**fields: object) -> Report:
    base = {"id": "r", "label": "报送", "every": "每月28日前", "while": ["in-progress"]}
    return Report.model_validate({**base, **fields})


def test_owner_and_co_owe_through_each_item_they_share() -> None:
    rule = report(owed_by=["owner", "co"])
    march = DEFINITION.report_occurrences["monthly-progress"][0]
    assert march.key == "2021-03"
    parties = owed(rule, march, DEFINITION.index, DEFINITION.zone, POINTS, HISTORIES)
    # transport owes March as housing-1's co-responsible unit, not for its own task.
    assert parties == [("housing", "housing-1"), ("transport", "housing-1")]


def test_named_bodies_owe_every_occurrence_and_one_pass_gives_each() -> None:
    rule = report(owed_by=["gov-office", "owner"], per="unit")
    found = DEFINITION.report_occurrences["monthly-progress"]
    table = owing_table(rule, found, DEFINITION.index, DEFINITION.zone, POINTS, HISTORIES)
    assert all(("gov-office", "") in parties for parties in table)
    assert all(("housing", "") in parties for parties in table)
    assert all(("transport", "") not in parties for parties in table)
