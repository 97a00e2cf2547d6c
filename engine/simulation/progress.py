"""What a simulated year shows while it runs: the timeline, echoed day by day, and a
one-line progress bar on a terminal."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TextIO

__all__ = ["Echo", "ProgressBar", "Timeline", "TimelineEntry"]

Echo = Callable[[str], Any]


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    day: date
    text: str

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {self.text}"


class ProgressBar:
    """A one-line progress bar on stderr: only on a terminal, only once a second has passed."""

    def __init__(self, first: date, last: date, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.first = first
        self.span = max((last - first).days, 1)
        self.started = time.perf_counter()
        self.visible = False

    def update(self, day: date) -> None:
        if not self.enabled or time.perf_counter() - self.started < 1.0:
            return
        done = min(max((day - self.first).days / self.span, 0.0), 1.0)
        bar = "#" * int(done * 30)
        self.stream.write(f"\r演练进度 [{bar:<30}] {day.isoformat()}")
        self.stream.flush()
        self.visible = True

    def clear(self) -> None:
        if self.visible:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.visible = False


class Timeline:
    """The year's events in words, kept for the report and echoed as they happen."""

    def __init__(self, echo: Echo | None, bar: ProgressBar) -> None:
        self.echo = echo
        self.bar = bar
        self.entries: list[TimelineEntry] = []

    def say(self, day: date, text: str) -> None:
        entry = TimelineEntry(day, text)
        self.entries.append(entry)
        if self.echo is not None:
            self.bar.clear()
            self.echo(str(entry))

    def close(self) -> None:
        self.bar.clear()
