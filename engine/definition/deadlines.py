"""Deadlines of a programme resolved to dates for a year.

Joins the programme's calendar settings to the phrase parser and the working-day calendar:
``DeadlineResolver(programme.calendar, year)`` turns every ``Deadline`` of the definition
into a ``ResolvedDeadline`` (the governing window, the original one if amended, the start).

A step's deadline is one day of the year: a recurring phrase (每月10日前), a relative one
(收到通知后5个工作日内) or a time of day (17时前) is refused here with a message naming the
form, since the runtime counts single due days (whole days: a point is overdue the day after
its due day). ``docflow calendar --phrase`` shows what such phrases mean all the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from engine.definition.periodic import Recurrence, parse_any
from engine.definition.phrases import (
    ACCEPTED_FORMS,
    UNKNOWN,
    Conventions,
    Phrase,
    Window,
    resolve,
)
from engine.definition.schema import CalendarSettings, Deadline
from engine.definition.workcal import WorkCalendar
from engine.errors import PhraseError

__all__ = ["DeadlineResolver", "ResolvedDeadline", "calendar_for", "conventions_for", "one_day"]


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


def conventions_for(settings: CalendarSettings) -> Conventions:
    """The phrase conventions a programme's calendar settings set."""
    return Conventions(
        month_start_last_day=settings.month_start_last_day,
        month_end_first_day=settings.month_end_first_day,
        midyear=settings.midyear,
        shift_to_working_day=settings.shift_to_working_day,
    )


def one_day(text: str) -> Phrase:
    """``text`` read as the deadline of one step: a one-off phrase without a time of day;
    a recurring or relative phrase, or a time, is a ``PhraseError`` naming what it is."""
    try:
        found = parse_any(text)
    except PhraseError as exc:
        if exc.reason != UNKNOWN:
            raise
        # The forms a step may use, and the closest phrases of any kind (a recurring one
        # is then refused with what it is).
        raise PhraseError(
            exc.phrase, exc.reason, accepted=ACCEPTED_FORMS, suggestions=exc.suggestions
        ) from None
    if isinstance(found, Recurrence):
        raise PhraseError(
            found.text,
            f"这是周期性时限（{found.label}一次），单个事项的时限只能是一次性的日期，"
            "如「5月10日前」；周期性报送请按期分别列为事项",
        )
    if not isinstance(found, Phrase):
        raise PhraseError(
            found.text,
            f"这是相对时限（自「{found.anchor}」之日起 {found.n} {found.unit}），"
            "事项的时限须是一年中确定的日期，如「5月10日前」；相对时限暂不能用于事项",
        )
    if found.has_time:
        raise PhraseError(
            found.text,
            "事项的到期按整日计算（到期日次日起为逾期），不能带时刻；请去掉时刻，"
            "如需要可在通知正文中写明当日几时前",
        )
    return found


class DeadlineResolver:
    """Resolves phrases for one year with one programme's conventions."""

    def __init__(self, settings: CalendarSettings, year: int) -> None:
        self.year = year
        self.calendar = calendar_for(settings)
        self.conventions = conventions_for(settings)

    def window(self, phrase: str) -> Window:
        """The window of one phrase read by ``one_day``; raises ``PhraseError`` or
        ``CalendarError``."""
        return resolve(one_day(phrase), self.year, self.calendar, self.conventions)

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
