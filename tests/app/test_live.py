"""The desk's kept reads: after every kind of event, what ``LiveReads`` serves (a snapshot
advanced by the new events, rows rebuilt only for the points they touched) equals what a
fresh read of the store gives, field by field, on SQLite and on PostgreSQL."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from engine.app.desk import read_office
from engine.app.live import LiveReads
from engine.runtime.advance import advance_snapshot
from engine.runtime.snapshot import Snapshot, read_inputs, read_snapshot
from engine.runtime.store import open_store
from tests.runtime.gd2011 import BACKENDS, PROGRAMME_ID, Year, database

Step = Callable[[Year], Any]


@pytest.fixture(params=BACKENDS)
def year(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Year]:
    with database(request.param, tmp_path) as url, Year(tmp_path, db=url) as year:
        year.approved_spring()
        yield year


def fresh(year: Year) -> Snapshot:
    with year.store.transaction(readonly=True) as tx:
        return read_snapshot(
            tx, PROGRAMME_ID, year.store.location, *read_inputs(year.definition), with_events=True
        )


def same(kept: Snapshot, read: Snapshot) -> None:
    for field in dataclasses.fields(Snapshot):
        assert getattr(kept, field.name) == getattr(read, field.name), field.name


def withdraw_last(year: Year, point: str) -> Any:
    seq = year.events(point)[-1].seq
    return year.app.correct(seq, "录入有误", withdraw=True)


#: One of every kind of event a programme records, in an order the 2011 year allows.
STEPS: list[tuple[str, Step]] = [
    (
        "a work plan",
        lambda y: y.at("2011-05-05T10:00").submit("guangzhou", "work-plan", ["guangzhou-1"]),
    ),
    (
        "plans of two units",
        lambda y: (
            y.submit("foshan", "work-plan", ["foshan-1"]),
            y.submit("shenzhen", "work-plan", ["shenzhen-2"]),
        ),
    ),
    (
        "a return with a reason",
        lambda y: y.decide("work-plan", ["foshan-1"], "return", "请补充负责人"),
    ),
    ("the resubmission", lambda y: y.submit("foshan", "work-plan", ["foshan-1"])),
    ("an extension request", lambda y: y.submit("shenzhen", "extension", ["shenzhen-1"])),
    (
        "its grant",
        lambda y: y.decide("extension", ["shenzhen-1"], reason="同意", until=date(2011, 5, 20)),
    ),
    ("a withdrawn submission", lambda y: withdraw_last(y, "shenzhen-2")),
    ("a new day, reminders sent", lambda y: y.at("2011-05-09T09:00").app.remind()),
    ("the day after the due day", lambda y: y.at("2011-05-11T09:00")),
]


def test_the_kept_reads_equal_a_fresh_read_after_every_kind_of_event(year: Year) -> None:
    live = LiveReads()
    gd = year.app
    live.office(gd)
    for name, step in STEPS:
        step(year)
        gd = year.app
        kept = live.office(gd)
        read = read_office(gd)  # a new LiveReads: everything read and built afresh
        same(kept.snapshot, fresh(year))
        assert kept.status == read.status, name
        assert kept.summary == read.summary, name
        assert live.status(gd, "foshan") == gd.status(unit="foshan"), name
        assert live.items(gd, "foshan") == gd.status(unit="foshan")["points"], name
        ids = [p.point_id for p in kept.snapshot.points]
        assert live.trails(ids) == {p: tuple(gd.trail(p)) for p in ids}, name
    assert live.reads == 1  # every later read advanced the first one
    assert live.advances == len([s for s in STEPS if s[0] != "the day after the due day"])


def test_nothing_new_gives_the_same_snapshot(year: Year) -> None:
    live = LiveReads()
    first = live.snapshot(year.app)
    assert live.snapshot(year.app) is first
    year.at("2011-05-05T10:00").submit("guangzhou", "work-plan", ["guangzhou-1"])
    assert live.snapshot(year.app) is not first


def test_a_point_enrolled_since_is_read_in_its_place(year: Year) -> None:
    from engine.runtime.pointsfile import read_points_file

    live = LiveReads()
    live.snapshot(year.app)
    late = year.folder / "late.yaml"
    late.write_text(
        "points:\n  - id: chaozhou-2\n    unit: chaozhou\n    title: 补报的突破点\n",
        encoding="utf-8",
    )
    year.at("2011-05-05T10:00").runtime.enrol(read_points_file(late))
    same(live.snapshot(year.app), fresh(year))


def test_a_snapshot_from_another_store_is_not_advanced(year: Year, tmp_path: Path) -> None:
    """A store whose chain does not hold the kept snapshot's last event (restored from an
    older copy, another store at the address) is read afresh, never patched."""
    year.at("2011-05-05T10:00").submit("guangzhou", "work-plan", ["guangzhou-1"])
    kept = fresh(year)
    with Year(tmp_path / "other") as other:
        other.approved_spring()
        other.at("2011-05-05T10:00").submit("foshan", "work-plan", ["foshan-1"])
        other.submit("shenzhen", "work-plan", ["shenzhen-2"])
        store = open_store(str(other.db), other.documents)
        try:
            with store.transaction(readonly=True) as tx:
                assert advance_snapshot(tx, kept, *read_inputs(other.definition)) is None
        finally:
            store.close()


def test_a_snapshot_without_its_trail_is_not_advanced(year: Year) -> None:
    without = year.app.snapshot()
    with year.store.transaction(readonly=True) as tx:
        assert advance_snapshot(tx, without) is None
