"""The clock, injected everywhere time is read.

Logic never calls ``datetime.now()``; it asks a ``Clock``. ``SystemClock`` reads the real
time, ``FixedClock`` is set by hand (tests, ``--now``), and ``VirtualClock`` is advanced by
the simulated year. Every datetime is timezone-aware.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo

from engine.errors import BadMoment

__all__ = [
    "SHANGHAI",
    "Clock",
    "FixedClock",
    "ScaledClock",
    "SystemClock",
    "VirtualClock",
    "aware",
    "choose_clock",
    "local_minute",
    "parse_moment",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the default zone; a programme names its own


class Clock(Protocol):
    def now(self) -> datetime: ...


def aware(moment: datetime, zone: tzinfo = SHANGHAI) -> datetime:
    """Give a naive datetime the programme's zone; leave an aware one as it is."""
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def local_minute(moment: datetime, zone: tzinfo = SHANGHAI) -> str:
    """``2011-05-09 09:00``: a moment as the people reading a run's output write it."""
    return aware(moment, zone).astimezone(zone).strftime("%Y-%m-%d %H:%M")


class SystemClock:
    """The real time, in the given zone."""

    def __init__(self, zone: tzinfo = SHANGHAI) -> None:
        self.zone = zone

    def now(self) -> datetime:
        return datetime.now(self.zone)


class FixedClock:
    """A clock that always says the same moment; ``origin`` says who fixed it (``--now``,
    ``DOCFLOW_NOW``), for the reports that state how their moment was chosen."""

    def __init__(self, moment: datetime, origin: str = "--now", zone: tzinfo = SHANGHAI) -> None:
        self.moment = aware(moment, zone)
        self.origin = origin

    def now(self) -> datetime:
        return self.moment


class VirtualClock:
    """A clock moved forward by the caller (the simulated year)."""

    def __init__(self, start: datetime) -> None:
        self.moment = aware(start)

    def now(self) -> datetime:
        return self.moment

    def advance(self, delta: timedelta) -> None:
        if delta < timedelta(0):
            raise ValueError("a virtual clock does not run backwards")
        self.moment = self.moment + delta

    def set(self, moment: datetime) -> None:
        moment = aware(moment)
        if moment < self.moment:
            raise ValueError("a virtual clock does not run backwards")
        self.moment = moment


class ScaledClock:
    """A clock that runs ``speed`` times faster than real time from a fixed pair of epochs.

    ``now() = virtual_epoch + (real now - real_epoch) * speed``. The same epochs and speed
    always give the same mapping, so a service restarted on a compressed clock finds its
    scheduled jobs where it left them. ``to_real`` maps a virtual moment back to the real
    moment at which a scheduler must fire it. With speed 1 and equal epochs it is the real
    clock.
    """

    def __init__(self, real_epoch: datetime, virtual_epoch: datetime, speed: float) -> None:
        if speed <= 0:
            raise ValueError("a clock's speed must be positive")
        self.real_epoch = aware(real_epoch)
        self.virtual_epoch = aware(virtual_epoch)
        self.speed = speed

    def now(self) -> datetime:
        elapsed = datetime.now(self.real_epoch.tzinfo) - self.real_epoch
        return self.virtual_epoch + elapsed * self.speed

    def to_real(self, moment: datetime) -> datetime:
        return self.real_epoch + (aware(moment) - self.virtual_epoch) / self.speed

    @classmethod
    def from_spec(cls, spec: Mapping[str, object]) -> ScaledClock:
        """The clock ``spec()`` describes."""
        return cls(
            datetime.fromisoformat(str(spec["real_epoch"])),
            datetime.fromisoformat(str(spec["virtual_epoch"])),
            float(str(spec["speed"])),
        )

    def spec(self) -> dict[str, object]:
        """Plain data to rebuild this clock in a scheduled job."""
        return {
            "real_epoch": self.real_epoch.isoformat(),
            "virtual_epoch": self.virtual_epoch.isoformat(),
            "speed": self.speed,
        }


def parse_moment(text: str, origin: str, zone: tzinfo = SHANGHAI) -> datetime:
    """An ISO 8601 time given by a user (``--now``, ``DOCFLOW_NOW`` ...); naive times are in
    ``zone``. A bad value raises ``BadMoment`` naming where it came from."""
    try:
        return aware(datetime.fromisoformat(text.strip()), zone)
    except ValueError:
        raise BadMoment(origin, text) from None


def choose_clock(
    now: str | None, environment: str | None, zone: tzinfo = SHANGHAI
) -> SystemClock | FixedClock:
    """The clock of one command: fixed by ``--now``, else by ``DOCFLOW_NOW``, else real."""
    if now is not None:
        return FixedClock(parse_moment(now, "--now", zone), "--now", zone)
    if environment:
        return FixedClock(parse_moment(environment, "DOCFLOW_NOW", zone), "DOCFLOW_NOW", zone)
    return SystemClock(zone)
