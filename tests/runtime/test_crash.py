"""A ``docflow`` process killed (SIGKILL) in the middle of a command: all of it or none."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.definition.loader import load_definition
from engine.runtime.store import open_store
from engine.runtime.trail import verify
from tests.runtime.gd2011 import (
    EXAMPLE_POINTS,
    PROGRAMME_DIR,
    ROOT,
    Year,
    docflow_process,
    raw_sql,
    run_cli,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL")

NOW = "2011-05-05T10:00"

# Runs ``docflow ARGS`` with one store method wrapped so that the process kills itself with
# SIGKILL right after that method returns: no exception handler, no rollback, no cleanup.
KILL_AFTER = """
import os, signal, sys
from engine.runtime import store

owner, method = sys.argv[1].split(".")
cls = getattr(store, owner)
original = getattr(cls, method)

def then_die(self, *args, **kwargs):
    result = original(self, *args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)
    return result

setattr(cls, method, then_die)
from engine.cli import main
main(sys.argv[2:])
"""


@pytest.fixture
def year(tmp_path: Path) -> Iterator[Year]:
    with Year(tmp_path / "store") as opened:
        opened.at("2011-03-02T09:00").submit("eic", "call-for-points")
        yield opened


def env(year: Year) -> dict[str, str]:
    return {"DOCFLOW_DB": str(year.db), "DOCFLOW_NOW": NOW}


def killed_after(year: Year, where: str, args: list[str]) -> int:
    """Run ``docflow ARGS`` so that it dies right after ``where`` returns; its exit status."""
    done = subprocess.run(
        [sys.executable, "-c", KILL_AFTER, where, *args],
        env={**os.environ, **env(year)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode


def enrol_args() -> list[str]:
    return ["enrol", str(PROGRAMME_DIR), "--from", str(EXAMPLE_POINTS)]


def approve_all(year: Year) -> None:
    year.at("2011-03-15T10:00").enrol_example()
    year.at("2011-04-06T10:00").decide("screen", year.points_in("proposed"))
    year.at("2011-04-20T10:00").decide("approve", year.points_in("screened"))


def test_an_enrolment_killed_after_appending_its_events_leaves_nothing(year: Year) -> None:
    before = year.snapshot()

    code = killed_after(year, "Transaction.append_events", enrol_args())

    assert code == -signal.SIGKILL
    assert year.snapshot() == before
    assert verify(year.store).ok


def test_an_enrolment_killed_before_commit_can_simply_be_run_again(year: Year) -> None:
    killed_after(year, "Transaction.add_points", enrol_args())

    result = run_cli(enrol_args(), env(year))

    assert result.exit_code == 0, result.stderr
    assert len(year.states()) == 52
    assert verify(year.store).ok


def test_a_submission_killed_after_appending_its_events_leaves_nothing(year: Year) -> None:
    approve_all(year)
    before = year.snapshot()
    args = ["submit", str(PROGRAMME_DIR), "--unit", "guangzhou", "--task", "work-plan"]

    code = killed_after(year, "Transaction.append_events", [*args, "--file", str(year.file())])

    assert code == -signal.SIGKILL
    assert year.snapshot() == before
    assert verify(year.store).ok


def test_a_decision_killed_after_moving_the_points_leaves_nothing(year: Year) -> None:
    year.at("2011-03-15T10:00").enrol_example()
    before = year.snapshot()
    args = ["decide", str(PROGRAMME_DIR), "--task", "screen", "--accept", "--reason", "同意"]

    code = killed_after(year, "Transaction.set_states", [*args, "--point", "eic-1"])

    assert code == -signal.SIGKILL
    assert year.snapshot() == before
    assert year.state("eic-1") == "proposed"


def test_a_command_killed_after_its_commit_keeps_all_of_it(year: Year) -> None:
    approve_all(year)
    args = ["submit", str(PROGRAMME_DIR), "--unit", "guangzhou", "--task", "work-plan"]

    code = killed_after(year, "Transaction.append_events", [*args, "--file", str(year.file())])
    assert code == -signal.SIGKILL
    code = killed_after(year, "Store.close", [*args, "--file", str(year.file())])

    assert code == -signal.SIGKILL
    assert year.state("guangzhou-1") == year.state("guangzhou-2") == "plan-filed"
    assert verify(year.store).ok


@pytest.mark.slow
def test_a_big_enrolment_killed_while_it_writes_holds_all_of_its_points_or_none(
    tmp_path: Path,
) -> None:
    programme = tmp_path / "gd-2011"
    shutil.copytree(PROGRAMME_DIR, programme)
    text = (programme / "programme.yaml").read_text(encoding="utf-8")
    text = text.replace("    max_per_unit: 2\n", "    max_per_unit: 1000\n")
    (programme / "programme.yaml").write_text(text, encoding="utf-8")
    units = load_definition(programme).index.proposers
    table = tmp_path / "points.csv"
    lines = ["unit,title"] + [f"{u},第{i}号突破点" for i in range(300) for u in units]
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "big.db"
    wal = Path(f"{db}-wal")
    env = {"DOCFLOW_DB": str(db), "DOCFLOW_NOW": "2011-03-15T10:00"}

    with docflow_process(["enrol", str(programme), "--from", str(table)], env) as proc:
        deadline = time.monotonic() + 30
        # Pages of the open transaction spill into the WAL once SQLite's cache is full.
        while proc.poll() is None and time.monotonic() < deadline:
            if wal.exists() and wal.stat().st_size > 1_000_000:
                break
            time.sleep(0.002)
        proc.kill()
        proc.communicate()

    (points,) = raw_sql(db, "SELECT count(*) FROM points")[0]
    (events,) = raw_sql(db, "SELECT count(*) FROM events")[0]
    assert (points, events) in ((0, 0), (len(lines) - 1, len(lines) - 1))
    with open_store(db) as store:
        assert verify(store).ok
