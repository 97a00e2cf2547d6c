"""Recurring reports expanded into their occurrences for the programme year.

A ``reports:`` rule (:class:`~engine.definition.schema.Report`) repeats the recurring phrase
of its ``every`` (:mod:`engine.definition.periodic`). :func:`expand` lists its occurrences:
those whose covered period begins in the programme year, within ``from``..``until`` and not
in an ``except`` month; each has a period key (``2021-03``, ``2021-Q1``, ``2021-H1``,
``2021-W05``: ISO weeks), a Chinese label (2021年3月, 第一季度, 上半年, 第5周), the first and
last day it covers, and its window with the due day and time. Due days may fall in the next
year (次月10日前: the report on December is due 01-10).

``from`` and ``until`` name a covered period: ``2021年3月``, ``3月``, a period key, a date
(the period that contains it), or a one-off phrase (``第二季度``, ``上半年``: its window).
An occurrence is in the span when its covered period begins on or after the first day
``from`` names and on or before the last day ``until`` names.

:func:`find_occurrence` reads what ``--period`` takes: a period key or the covered period's
first day (``2021-03-01``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta

from engine.definition.periodic import Period, Recurrence, occurrences, parse_any
from engine.definition.phrases import DEFAULT_CONVENTIONS, Conventions, Phrase, resolve
from engine.definition.schema import FIRST_DAY, LAST_DAY, Report
from engine.definition.workcal import WorkCalendar
from engine.errors import CalendarError, PhraseError

__all__ = [
    "ReportOccurrence",
    "expand",
    "find_occurrence",
    "period_key",
    "period_label",
    "recurrence_of",
    "safe_expand",
    "span_day",
]

_QUARTERS = "一二三四"


@dataclass(frozen=True, slots=True)
class ReportOccurrence:
    """One occurrence of a report rule: the period it covers and when it is due."""

    rule: str
    key: str  # 2021-03, 2021-Q1, 2021-H1, 2021-W05
    label: str  # 2021年3月, 第一季度, 上半年, 第5周
    covered_first: date
    covered_last: date
    first: date  # the window's first day
    due: date
    due_time: time | None = None

    @property
    def due_text(self) -> str:
        """The due day (and time) as a report writes it."""
        day = f"{self.due.year}年{self.due.month}月{self.due.day}日"
        if self.due_time is None:
            return day
        minutes = f"{self.due_time.minute}分" if self.due_time.minute else ""
        return f"{day}{self.due_time.hour}时{minutes}前"


def period_key(period: Period, first: date) -> str:
    """The key of the covered period beginning on ``first``."""
    if period == "week":
        iso = first.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    if period == "quarter":
        return f"{first.year}-Q{(first.month - 1) // 3 + 1}"
    if period == "half_year":
        return f"{first.year}-H{1 if first.month <= 6 else 2}"
    return f"{first.year}-{first.month:02d}"


def period_label(period: Period, first: date, year: int) -> str:
    """The Chinese label of the covered period beginning on ``first``; the year is written
    where it is not the programme's ``year`` (or for a month, always: 2021年3月)."""
    prefix = "" if first.year == year else f"{first.year}年"
    if period == "week":
        iso = first.isocalendar()
        return f"{'' if iso.year == year else f'{iso.year}年'}第{iso.week}周"
    if period == "quarter":
        return f"{prefix}第{_QUARTERS[(first.month - 1) // 3]}季度"
    if period == "half_year":
        return f"{prefix}{'上' if first.month <= 6 else '下'}半年"
    return f"{first.year}年{first.month}月"


def recurrence_of(report: Report) -> Recurrence:
    """The recurring phrase of ``report.every``; ``PhraseError`` when it is not one."""
    found = parse_any(report.every)
    if not isinstance(found, Recurrence):
        raise PhraseError(
            report.every,
            "周期性报送的时限须是周期性表述，如「每月28日前」「次月10日前」「每季度末」"
            "「每周五」；一次性的时限请写在 tasks 或步骤的 deadline 中",
        )
    return found


_MONTH = re.compile(r"^(?:([0-9]{4})年)?([0-9]{1,2})月(?:份)?$")
_KEY = re.compile(r"^([0-9]{4})-(?:([0-9]{2})|Q([1-4])|H([12])|W([0-9]{2}))$")


def _key_span(text: str) -> tuple[date, date] | None:
    """The days a period key or a date names."""
    match = _KEY.fullmatch(text)
    if match is not None:
        year = int(match.group(1))
        month, quarter, half, week = match.group(2, 3, 4, 5)
        if month is not None:
            return _months(year, int(month), 1)
        if quarter is not None:
            return _months(year, 3 * int(quarter) - 2, 3)
        if half is not None:
            return _months(year, 1 if half == "1" else 7, 6)
        try:
            monday = date.fromisocalendar(year, int(week), 1)
        except ValueError:
            return None
        return monday, monday + timedelta(days=6)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return (day, day) if FIRST_DAY <= day <= LAST_DAY else None


def _months(year: int, month: int, count: int) -> tuple[date, date] | None:
    if not 1 <= month <= 12 or not FIRST_DAY.year <= year <= LAST_DAY.year:
        return None
    first = date(year, month, 1)
    index = year * 12 + month - 1 + count
    return first, date(index // 12, index % 12 + 1, 1) - timedelta(days=1)


def span_day(
    text: str,
    year: int,
    calendar: WorkCalendar,
    conventions: Conventions = DEFAULT_CONVENTIONS,
) -> tuple[date, date]:
    """The first and last day ``text`` (a ``from`` or ``until`` value) names; raises
    ``PhraseError`` (or ``CalendarError``) when it names none."""
    text = text.strip()
    month = _MONTH.fullmatch(text)
    if month is not None:
        found = _months(int(month.group(1) or year), int(month.group(2)), 1)
        if found is None:
            raise PhraseError(text, f"没有{month.group(2)}月")
        return found
    keyed = _key_span(text)
    if keyed is not None:
        return keyed
    if _KEY.fullmatch(text) or re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise PhraseError(
            text,
            f"没有这个期间：请写 {FIRST_DAY.year} 至 {LAST_DAY.year} 年间存在的期间或日期，"
            "如「2021-03」「2021-Q2」「2021年3月」",
        )
    phrase = parse_any(text)
    if not isinstance(phrase, Phrase):
        raise PhraseError(
            text, "报送期的起止应是一个期间或日期，如「2021年3月」「2021-03」「第二季度」"
        )
    window = resolve(phrase, year, calendar, conventions)
    return window.first, window.due


def expand(
    report: Report,
    year: int,
    calendar: WorkCalendar,
    conventions: Conventions = DEFAULT_CONVENTIONS,
) -> list[ReportOccurrence]:
    """Every occurrence of ``report`` in ``year``, in order; raises ``PhraseError`` or
    ``CalendarError`` for an ``every``, ``from`` or ``until`` that does not resolve."""
    recurrence = recurrence_of(report)
    start = span_day(report.from_, year, calendar, conventions)[0] if report.from_ else None
    end = span_day(report.until, year, calendar, conventions)[1] if report.until else None
    found = []
    for occ in occurrences(recurrence, year, calendar, conventions):
        if start is not None and occ.covered_first < start:
            continue
        if end is not None and occ.covered_first > end:
            continue
        if occ.covered_first.month in report.except_:
            continue
        found.append(
            ReportOccurrence(
                rule=report.id,
                key=period_key(recurrence.period, occ.covered_first),
                label=period_label(recurrence.period, occ.covered_first, year),
                covered_first=occ.covered_first,
                covered_last=occ.covered_last,
                first=occ.window.first,
                due=occ.window.due,
                due_time=occ.window.due_time,
            )
        )
    return found


def find_occurrence(text: str, found: list[ReportOccurrence]) -> ReportOccurrence | None:
    """The occurrence ``text`` names among ``found``: its period key (2021-03, 2021-Q1,
    2021-H1, 2021-W05) or the first day of its covered period (2021-03-01)."""
    text = text.strip()
    for occ in found:
        if text == occ.key or text == occ.covered_first.isoformat():
            return occ
    return None


def safe_expand(
    report: Report,
    year: int,
    calendar: WorkCalendar,
    conventions: Conventions = DEFAULT_CONVENTIONS,
) -> list[ReportOccurrence]:
    """``expand``, or no occurrence for a rule that does not resolve (the checks report
    it at load; nothing at runtime reads an unchecked definition)."""
    try:
        return expand(report, year, calendar, conventions)
    except (PhraseError, CalendarError):
        return []
