"""A compressed year: ``docflow serve`` at a million times real speed sends every reminder.

At that speed one real second is 11.6 days of 2011, so jobs fire faster than the service
can load the definition and store for each: every job sends what was due at its own
occurrence's scheduled time, and the sweep goes through the times still unprocessed in
order. What it sends is compared with ``docflow remind`` run at each send time.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from engine.clock import SHANGHAI, ScaledClock

from .serve_process import Service, serve_args, wait_for
from .serve_process import services as services  # the fixture
from .serve_reference import reference
from .year2011 import Desk, moment, read_outbox

pytestmark = pytest.mark.slow

SPEED = 1e6
VIRTUAL_START = "2011-04-30T21:00"
STARTUP = 2.5  # real seconds
YEAR_END = moment("2011-12-09T00:00")  # the day after the last reminder (12-08)


def test_a_year_at_a_million_times_real_speed_sends_what_remind_at_each_time_sends(
    tmp_path: Path, services: Callable[..., Service]
) -> None:
    expected = reference(tmp_path / "reference", YEAR_END)
    assert len(expected) == 36  # the whole year's reminders for this desk, to 12-08
    with Desk(tmp_path / "desk") as desk:
        desk.standard()
    # The clock starts once the service is up: its start-up takes a real second or so,
    # which is 11 days at this speed (a late start-up run sends only the newest per step).
    real_start = datetime.now(SHANGHAI) + timedelta(seconds=STARTUP)
    clock = ScaledClock(real_start, moment(VIRTUAL_START), SPEED)
    args = serve_args(
        desk, real_start=real_start, virtual_start=VIRTUAL_START, speed=SPEED, sweep=0.5
    )
    service = services(args, "year")
    service.wait_ready()

    def through() -> bool:
        return clock.now() > YEAR_END and len(list(desk.outbox.glob("*.eml"))) >= len(expected)

    wait_for(through, 60, service)
    time.sleep(1.0)  # a sweep more: anything sent twice would show now
    assert service.terminate() == 0, service.describe()

    sent = Counter(m.key for m in read_outbox(desk.outbox))
    assert sorted(sent) == expected
    assert set(sent.values()) == {1}
    # Nothing dropped as superseded once running (at the start-up run, the proposals' long
    # past occurrences are: they are in no reference either, every proposer has enrolled).
    assert "只发最新的一次" not in service.log().partition("启动时补发")[2]
    assert "Traceback" not in service.log()
