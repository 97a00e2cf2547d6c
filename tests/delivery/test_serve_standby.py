"""Two ``docflow serve`` on one store: one is active, the other waits and takes over.

The active one holds the store's lock (a flock beside the SQLite file, an advisory lock on
PostgreSQL); the second logs that it is a standby and retries every
``LOCK_RETRY_SECONDS``. Killed with SIGKILL, the active one's lock is released by the
kernel or the server, and the standby takes over within that interval plus its start-up.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from engine.clock import SHANGHAI, ScaledClock
from engine.serve.scheduler import LOCK_RETRY_SECONDS
from tests.runtime.gd2011 import BACKENDS, Year, postgres_database

from .serve_process import Service, serve_args, wait_for
from .serve_process import services as services  # the fixture
from .serve_reference import reference
from .year2011 import APPROVED, PROGRAMME_DIR, moment, read_outbox

pytestmark = pytest.mark.slow

SPEED = 86400.0
VIRTUAL_START = "2011-04-30T21:00"  # two and a half days before the first reminder (5-03)
TAKEOVER_BOUND = LOCK_RETRY_SECONDS + 8.0  # the retry interval and a start-up, generously


def standard(year: Year) -> None:
    """The standard desk of the delivery tests, on any store."""
    year.at("2011-04-28T10:00").enrol_example()
    year.decide("screen", APPROVED)
    year.decide("approve", APPROVED)
    year.at("2011-05-02T10:00").submit("foshan", "work-plan")


def outbox_files(outbox: Path) -> int:
    return len(list(outbox.glob("*.eml")))


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_standby_takes_over_after_the_active_serve_is_killed_and_nothing_is_sent_twice(
    backend: str, tmp_path: Path, services: Callable[..., Service]
) -> None:
    with ExitStack() as stack:
        if backend == "postgresql":
            url = stack.enter_context(postgres_database())
        else:
            url = str(tmp_path / "store" / "docflow.db")
        with Year(tmp_path / "store", db=url) as year:
            standard(year)
        _takeover(year, tmp_path, services)


def _takeover(year: Year, tmp_path: Path, services: Callable[..., Service]) -> None:
    desk = SimpleNamespace(
        programme=PROGRAMME_DIR, url=year.url, documents=year.documents, outbox=tmp_path / "out"
    )
    real_start = datetime.now(SHANGHAI)
    clock = ScaledClock(real_start, moment(VIRTUAL_START), SPEED)
    args = serve_args(
        desk, real_start=real_start, virtual_start=VIRTUAL_START, speed=SPEED, sweep=0.5
    )

    active = services(args, "active")
    active.wait_ready()
    standby = services(args, "standby")
    wait_for(lambda: "本进程待命" in standby.output(), 15, standby)
    assert "另一个 docflow serve 正在为工作方案 gd-2011 发送提醒" in standby.log()
    assert "已登记" not in standby.output()

    wait_for(lambda: outbox_files(desk.outbox) >= 1, 15, active)  # 5-03's first reminder
    active.kill()
    killed = time.monotonic()
    standby.wait_ready(timeout=TAKEOVER_BOUND + 5)
    assert time.monotonic() - killed < TAKEOVER_BOUND, standby.describe()
    assert "已取得运行锁" in standby.log()

    wait_for(lambda: outbox_files(desk.outbox) >= 6, 20, standby)  # 5-03 and 5-06
    stopped = clock.now()
    assert standby.terminate() == 0, standby.describe()
    assert stopped < moment("2011-05-10T09:00"), "stopped too late: the next reminder was due"

    sent = Counter(m.key for m in read_outbox(desk.outbox))
    assert set(sent.values()) == {1}
    assert sorted(sent) == reference(tmp_path / "reference", stopped)
