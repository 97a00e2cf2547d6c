"""Several processes on one SQLite store: serialised appends, and crashes mid-transaction.
These stores are written through the store alone (points without enrolment events), so
the audit runs on the chain and the documents only (``tables=False``); the replay of the
tables is tested in ``tests/runtime/test_tampering.py``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path

import pytest

from engine.runtime.store import Store, open_store
from engine.runtime.trail import verify
from tests.runtime.conftest import AT, PROGRAMME, draft

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses POSIX signals")

# Each worker opens its own store, says it is ready, waits for the start signal, then appends
# one event per transaction (reading the chain head first) so that the two processes
# interleave and contend for the write lock.
APPEND_WORKER = """
import sys, time
from datetime import datetime
from pathlib import Path
from engine.clock import SHANGHAI
from engine.runtime.store import EventDraft, open_store

db, name, start, count = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
at = datetime(2025, 3, 3, 9, 30, tzinfo=SHANGHAI)
with open_store(db) as store:
    Path(db + "." + name + ".ready").touch()
    while not start.exists():
        time.sleep(0.002)
    for i in range(count):
        with store.transaction() as tx:
            head = tx.chain_head()
            time.sleep(0.0005)  # widen the read-then-write window a racing writer could use
            (row,) = tx.append_events([EventDraft(sys.argv[5], "tick", name, reason=str(i))], at)
            assert row.seq == head[0] + 1
        time.sleep(0.001)  # give the other process a chance at the lock
"""

# Commits a small transaction, then fills a big one and waits to be killed inside it.
CRASH_WORKER = """
import sys, time
from datetime import datetime
from pathlib import Path
from engine.clock import SHANGHAI
from engine.runtime.store import EventDraft, open_store

db, marker, programme = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
at = datetime(2025, 3, 3, 9, 30, tzinfo=SHANGHAI)
store = open_store(db)
with store.transaction() as tx:
    tx.append_events([EventDraft(programme, "kept", "w", reason=str(i)) for i in range(10)], at)
with store.transaction() as tx:
    for batch in range(30):
        tx.append_events(
            [EventDraft(programme, "lost", "w", reason="x" * 200) for _ in range(1000)], at
        )
        tx.set_states(programme, {"1": "lost-%d" % batch})
    marker.touch()
    time.sleep(120)
"""


def _wait_for(paths: list[Path], procs: list[subprocess.Popen[bytes]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not all(p.exists() for p in paths):
        for proc in procs:
            if proc.poll() is not None:
                _, err = proc.communicate()
                pytest.fail(f"worker exited early ({proc.returncode}): {err.decode()}")
        if time.monotonic() > deadline:
            pytest.fail(f"workers not ready after {timeout} s")
        time.sleep(0.01)


@contextmanager
def _workers(*commands: list[str]) -> Iterator[list[subprocess.Popen[bytes]]]:
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for cmd in commands
    ]
    try:
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()


def test_two_processes_appending_concurrently_leave_one_gapless_verified_chain(
    enrolled: Store, db_path: Path, tmp_path: Path
) -> None:
    enrolled.close()
    start = tmp_path / "start"
    commands = [
        [sys.executable, "-c", APPEND_WORKER, str(db_path), name, str(start), "200", PROGRAMME]
        for name in ("甲", "乙")
    ]
    with _workers(*commands) as procs:
        _wait_for([Path(f"{db_path}.{n}.ready") for n in ("甲", "乙")], procs, timeout=30)
        start.touch()
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err.decode()

    with open_store(str(db_path)) as store:
        with store.transaction(readonly=True) as tx:
            events = tx.events()
        assert [e.seq for e in events] == list(range(1, 401))
        actors = [e.actor for e in events]
        switches = sum(a != b for a, b in pairwise(actors))
        assert switches >= 2  # the processes really did take turns
        for name in ("甲", "乙"):  # each process's own events kept their order
            mine = [int(e.reason or "") for e in events if e.actor == name]
            assert mine == list(range(200))
        report = verify(store, tables=False)
        assert report.ok, report.first_failure
        assert report.events_checked == 400


def test_process_killed_inside_a_transaction_leaves_none_of_it(
    enrolled: Store, db_path: Path, tmp_path: Path
) -> None:
    enrolled.close()
    marker = tmp_path / "inside"
    command = [sys.executable, "-c", CRASH_WORKER, str(db_path), str(marker), PROGRAMME]
    with _workers(command) as (proc,):
        _wait_for([marker], [proc], timeout=60)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL

    with open_store(str(db_path)) as store:
        with store.transaction(readonly=True) as tx:
            assert {e.trigger for e in tx.events()} == {"kept"}
            assert tx.chain_head()[0] == 10
            point = tx.get_point(PROGRAMME, "1")
            assert point is not None
            assert point.state == "draft"
        report = verify(store, tables=False)
        assert report.ok, report.first_failure
        assert report.events_checked == 10
        with store.transaction() as tx:  # and the chain goes on from where it was
            (row,) = tx.append_events([draft(1)], AT)
        assert row.seq == 11
        assert verify(store, tables=False).ok
