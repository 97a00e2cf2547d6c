"""The bounds of the reminder service's numbers and times, checked before it starts.

A value outside them is a usage error (``BadServeSetting``, exit 2) naming the option and
the bounds, never an ``OverflowError`` later: a clock running 1e308 times faster, a sweep
every NaN seconds or a rehearsal that starts in the year 9999 cannot be scheduled.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, tzinfo

from engine.clock import ScaledClock
from engine.errors import BadServeSetting

__all__ = [
    "REAL_START_AHEAD",
    "REAL_START_BEHIND",
    "SPEED_MAX",
    "SPEED_MIN",
    "SWEEP_MAX",
    "SWEEP_MIN",
    "check_clock",
    "check_speed",
    "check_sweep",
    "check_virtual_start",
]

SPEED_MIN = 0.001  # slower than that, the year would not fit in a lifetime
SPEED_MAX = 1e6  # 11.6 days a second: every job still gets its own moment
SWEEP_MIN = 0.2  # seconds; APScheduler's interval cannot be shorter usefully
SWEEP_MAX = 86400.0  # a day: queued mail is retried at least daily
REAL_START_BEHIND = timedelta(days=400)  # a rehearsal restarted within about a year
REAL_START_AHEAD = timedelta(days=1)  # a clock slightly ahead of this machine's


def _finite(option: str, value: float) -> None:
    if not math.isfinite(value):
        raise BadServeSetting(option, value, "须为有限的数字")


def check_speed(value: float) -> float:
    """``--speed``: a finite factor between ``SPEED_MIN`` and ``SPEED_MAX``."""
    _finite("--speed", value)
    if not SPEED_MIN <= value <= SPEED_MAX:
        raise BadServeSetting("--speed", value, f"须在 {SPEED_MIN:g} 至 {SPEED_MAX:g} 之间")
    return value


def check_sweep(value: float) -> float:
    """``--sweep-seconds``: finite, between ``SWEEP_MIN`` and ``SWEEP_MAX`` seconds."""
    _finite("--sweep-seconds", value)
    if not SWEEP_MIN <= value <= SWEEP_MAX:
        raise BadServeSetting(
            "--sweep-seconds", value, f"须在 {SWEEP_MIN:g} 至 {SWEEP_MAX:g} 秒之间"
        )
    return value


def check_virtual_start(moment: datetime, year: int, zone: tzinfo) -> datetime:
    """``--virtual-start``: a moment of the programme's year, in its zone."""
    first = datetime(year, 1, 1, tzinfo=zone)
    local = _local(moment, zone)
    if local is None or not first <= local < first.replace(year=year + 1):
        raise BadServeSetting(
            "--virtual-start", moment.isoformat(), f"须为方案年度（{year} 年）内的时间"
        )
    return moment


def check_clock(real: datetime, virtual: datetime, speed: float, now: datetime) -> ScaledClock:
    """``--real-start`` near this machine's time, and the rehearsal's clock computable now
    and throughout the programme's year."""
    if not now - REAL_START_BEHIND <= real <= now + REAL_START_AHEAD:
        raise BadServeSetting(
            "--real-start",
            real.isoformat(),
            f"须在现在之前 {REAL_START_BEHIND.days} 天至之后 {REAL_START_AHEAD.days} 天之间",
        )
    clock = ScaledClock(real, virtual, speed)
    try:
        clock.now()
        clock.to_real(virtual + timedelta(days=366))
    except (OverflowError, ValueError):
        raise BadServeSetting(
            "--speed", speed, "按此倍数推算的演练时钟超出可表示的时间范围"
        ) from None
    return clock


def _local(moment: datetime, zone: tzinfo) -> datetime | None:
    try:
        return moment.astimezone(zone)
    except (OverflowError, ValueError):  # 9999-12-31T23:59-01:00 is in no year of this zone
        return None
