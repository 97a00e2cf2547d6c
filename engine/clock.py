"""The clock, injected everywhere time is read.

Logic never calls ``datetime.now()``; it asks a ``Clock``. ``SystemClock`` reads the real
time, ``FixedClock`` is set by hand (tests, ``--now``), and ``VirtualClock`` is advanced by
the simulated year. Every datetime is timezone-aware.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo

__all__ = ["SHANGHAI", "Clock", "FixedClock", "SystemClock", "VirtualClock", "aware"]

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime: ...


def aware(moment: datetime, zone: tzinfo = SHANGHAI) -> datetime:
    """Give a naive datetime the programme's zone; leave an aware one as it is."""
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


class SystemClock:
    """The real time, in the given zone."""

    def __init__(self, zone: tzinfo = SHANGHAI) -> None:
        self.zone = zone

    def now(self) -> datetime:
        return datetime.now(self.zone)


class FixedClock:
    """A clock that always says the same moment."""

    def __init__(self, moment: datetime) -> None:
        self.moment = aware(moment)

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
