"""Two ``docflow`` processes writing at the same time: nothing lost, the chain stays whole."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.runtime.trail import verify
from tests.runtime.gd2011 import PROGRAMME_DIR, Year, docflow_process, example_ids, raw_sql

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes")

NOW = "2011-05-05T10:00"


@pytest.fixture
def year(tmp_path: Path) -> Iterator[Year]:
    with Year(tmp_path / "store") as opened:
        opened.at("2011-03-15T10:00").enrol_example()
        opened.at("2011-04-06T10:00").decide("screen", example_ids())
        opened.at("2011-04-20T10:00").decide("approve", example_ids())
        yield opened


def submit_together(year: Year, task: str, units: list[str]) -> list[tuple[int, str, str]]:
    """Start one ``docflow submit`` per unit at once; wait for all; (exit, stdout, stderr)."""
    env = {"DOCFLOW_DB": str(year.db), "DOCFLOW_NOW": NOW}
    procs = [
        docflow_process(
            [
                *("submit", str(PROGRAMME_DIR), "--unit", unit, "--task", task),
                "--file",
                str(year.file(f"{unit} {task} 报告")),
            ],
            env,
        )
        for unit in units
    ]
    results = []
    for proc in procs:
        with proc:
            out, err = proc.communicate(timeout=60)
        results.append((proc.returncode, out, err))
    return results


def test_simultaneous_submissions_of_two_units_lose_no_event(year: Year) -> None:
    rounds = [
        ("work-plan", ["guangzhou", "shenzhen"]),
        ("work-plan", ["foshan", "dongguan"]),
        ("measures", ["guangzhou", "shenzhen"]),
        ("measures", ["foshan", "dongguan"]),
        ("progress", ["guangzhou", "shenzhen"]),
    ]
    first_new = len(year.events()) + 1

    for task, units in rounds:
        for code, _, err in submit_together(year, task, units):
            assert code == 0, err

    seqs = [seq for (seq,) in raw_sql(year.db, "SELECT seq FROM events ORDER BY seq")]
    assert seqs == list(range(1, len(seqs) + 1))
    assert len(seqs) - first_new + 1 == 2 * 2 * len(rounds)  # two points per unit
    assert raw_sql(year.db, "SELECT seq FROM trail_head") == [(seqs[-1],)]
    states = year.states()
    assert {states[f"{u}-{n}"] for u in ("guangzhou", "shenzhen") for n in (1, 2)} == {
        "progress-reported"
    }
    assert {states[f"{u}-{n}"] for u in ("foshan", "dongguan") for n in (1, 2)} == {
        "measures-filed"
    }
    assert verify(year.store).ok


def test_of_two_bodies_racing_for_one_programme_task_exactly_one_records_it(year: Year) -> None:
    results = submit_together(year, "call-for-points", ["eic", "dost"])

    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 1]
    (refusal,) = [err for code, _, err in results if code == 1]
    assert "已经报送过，不能重复报送" in refusal
    assert raw_sql(year.db, "SELECT count(*) FROM events WHERE trigger = 'call-for-points'") == [
        (1,)
    ]
    assert verify(year.store).ok
