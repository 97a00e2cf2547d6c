"""Deadlines of a programme resolved to dates for a year.

Joins the programme's calendar settings to the phrase parser and the working-day calendar:
``DeadlineResolver(programme.calendar, year)`` turns every ``Deadline`` of the definition
into a ``ResolvedDeadline`` (the governing window, the original one if amended, the start).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from engine.definition.phrases import Conventions, Window, parse_phrase, resolve
from engine.definition.schema import CalendarSettings, Deadline
from engine.definition.workcal import WorkCalendar

__all__ = ["DeadlineResolver", "ResolvedDeadline", "calendar_for"]


@dataclass(frozen=True)
class ResolvedDeadline:
    phrase: str  # the governing phrase, as written
    first: date  # the first day of the window (or of ``starts`` when given)
    due: date  # the due day of the governing phrase
    original_phrase: str | None  # the phrase first set, when later amended
    original_due: date | None
    is_working_day: bool
    last_working_day: date  # the last working day on or before the due day


def calendar_for(settings: CalendarSettings) -> WorkCalendar:
    """The working-day calendar a programme's settings describe."""
    return _calendar(settings)


@lru_cache(maxsize=32)
def _calendar(settings: CalendarSettings) -> WorkCalendar:
    extra: dict[date, str] = {}
    spans: dict[tuple[int, str], tuple[date, date]] = {}
    for holiday in settings.holidays:
        spans[(holiday.first.year, holiday.key)] = (holiday.first, holiday.last)
        day = holiday.first
        while day <= holiday.last:
            extra[day] = holiday.key
            day = date.fromordinal(day.toordinal() + 1)
    return WorkCalendar(extra_holidays=extra, extra_workdays=settings.workdays, holiday_spans=spans)


class DeadlineResolver:
    """Resolves phrases for one year with one programme's conventions."""

    def __init__(self, settings: CalendarSettings, year: int) -> None:
        self.year = year
        self.calendar = calendar_for(settings)
        self.conventions = Conventions(
            month_start_last_day=settings.month_start_last_day,
            month_end_first_day=settings.month_end_first_day,
            midyear=settings.midyear,
            shift_to_working_day=settings.shift_to_working_day,
        )

    def window(self, phrase: str) -> Window:
        """The window of one phrase; raises ``PhraseError`` or ``CalendarError``."""
        return resolve(parse_phrase(phrase), self.year, self.calendar, self.conventions)

    def deadline(self, deadline: Deadline) -> ResolvedDeadline:
        governing = self.window(deadline.governing_phrase)
        first = governing.first
        if deadline.starts is not None:
            first = self.window(deadline.starts).first
        original_phrase = original_due = None
        if deadline.amendments:
            original_phrase = deadline.phrase
            original_due = self.window(deadline.phrase).due
        due = governing.due
        return ResolvedDeadline(
            phrase=deadline.governing_phrase,
            first=first,
            due=due,
            original_phrase=original_phrase,
            original_due=original_due,
            is_working_day=self.calendar.is_working_day(due),
            last_working_day=self.calendar.previous_working_day(due, inclusive=True),
        )
