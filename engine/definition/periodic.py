"""Recurring and relative deadline phrases, and reading any phrase a notice writes.

A one-off phrase (:mod:`engine.definition.phrases`) names one window in the programme's
year. Two more kinds of phrase set deadlines in notices:

* a :class:`Recurrence` repeats in every period of the year ("每月10日前", "每周二中午12时前
  报送上周情况", "每季度末"); :func:`occurrences` lists each of them for a year;
* a :class:`Relative` counts from an event of the item ("收到通知后5个工作日内", "审定后10日内");
  :func:`due_after` gives the due day from the day of the event.

:func:`parse_any` reads a phrase of any of the three kinds, and names the closest accepted
forms of all of them when it reads none. Conventions (see also the table in
:mod:`engine.definition.phrases`):

====================================  =============================================================
phrase                                each occurrence
====================================  =============================================================
每月X日(前)                           due day X of each month (31 in a 30-day month: its last day)
每月底(前)/每月月末                   due each month's last day
每月最后一个工作日                    due each month's last working day (调休 aware)
每月第N个工作日                       due each month's Nth working day
次月X日(前), 每月X日前报送上月…       the report of each month, due day X of the month after
单月/双月(之)X日(前)                  due day X of each odd / even month
每周X(前), 每星期X                    due that weekday of each week (Monday .. Sunday)
每季度末, 季度末                      due each quarter's last day
每季度最后一个月X日(前)               due day X of each quarter's third month
每季度第一个月X日(前)                 due day X of each quarter's first month
每半年                                due 06-30 and 12-31
每月/每季度/每半年结束后N(个工作)日内  due N days (working days) after each period ends
====================================  =============================================================

A trailing "报送上月/上周/上季度…" makes each occurrence cover the period before the one it is
due in; 次月 and 结束后 do the same. The occurrences of a year are those whose covered period
begins in it: the report on December that 次月10日前 sets is due 01-10 of the next year, and a
weekly report is the year's when its week's Monday is. Each occurrence's window runs from the
first day of the period it is due in to the due day (for 结束后: from the day after the
covered period). A time of day and a shifting rule may follow as on one-off phrases.

Relative phrases: ``[自]<event>[之日][起|后]N[个工作日|日|天][内|前]``. The day of the event
does not count (民法典 第二百零一条: 开始的当日不计入): N 个工作日 ends on the Nth working day after
it, N 日 on the Nth calendar day after it, which may then shift like any due day.
"""

from __future__ import annotations

import calendar as _pycalendar
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from functools import lru_cache
from typing import Literal

from engine.definition.phrases import (
    ACCEPTED_FORMS,
    DEFAULT_CONVENTIONS,
    EXAMPLES,
    UNKNOWN,
    Conventions,
    Phrase,
    Window,
    apply_shift,
    parse_phrase,
)
from engine.definition.phrasetext import (
    BEFORE,
    NUM,
    Shift,
    chinese_number,
    normalise,
    split_tail,
)
from engine.definition.suggest import closest_forms
from engine.definition.workcal import WorkCalendar
from engine.errors import PhraseError

__all__ = [
    "ALL_FORMS",
    "ANCHORS",
    "RECTIFY_ANCHORS",
    "Occurrence",
    "Period",
    "Recurrence",
    "Relative",
    "due_after",
    "occurrences",
    "parse_any",
    "rectify_period",
]

Period = Literal["week", "month", "two_month", "quarter", "half_year"]
DayRule = Literal["day", "last_day", "last_working_day", "nth_working_day", "after_end"]

RECURRING_FORMS: tuple[str, ...] = (
    "每月X日前",
    "每月底前",
    "每月最后一个工作日",
    "每月第N个工作日",
    "次月X日前",
    "每月X日前报送上月情况",
    "单月/双月X日前",
    "每周X（前）",
    "每季度末",
    "每季度最后一个月X日前",
    "每季度第一个月X日前",
    "每半年",
    "每季度结束后N日内",
)
RELATIVE_FORMS: tuple[str, ...] = (
    "收到通知后N个工作日内",
    "审定后N日内",
    "退回后N个工作日内",
    "自印发之日起N日内",
)
#: Every form ``parse_any`` reads.
ALL_FORMS: tuple[str, ...] = ACCEPTED_FORMS + RECURRING_FORMS + RELATIVE_FORMS

_EXAMPLES: tuple[str, ...] = (
    *EXAMPLES,
    "每月10日前",
    "每月底前",
    "每月最后一个工作日",
    "每月第一个工作日",
    "次月10日前",
    "每月10日前报送上月情况",
    "单月10日前",
    "双月10日前",
    "每周五",
    "每周二中午12时前",
    "每周一前报送上周情况",
    "每季度末",
    "每季度最后一个月20日前",
    "每季度第一个月10日前",
    "每半年",
    "每季度结束后15日内",
    "收到通知后5个工作日内",
    "审定后10日内",
    "退回后3个工作日内",
    "自印发之日起30日内",
)

_PERIOD_LABELS = {
    "week": "每周",
    "month": "每月",
    "two_month": "隔月",
    "quarter": "每季度",
    "half_year": "每半年",
}


@dataclass(frozen=True)
class Recurrence:
    """A deadline that repeats in every ``period`` of a year.

    ``rule`` says which day of the period is due: ``day`` (``day`` of the month, or the
    weekday 1-7 for a week; in a quarter of its ``month_of_period``-th month), ``last_day``,
    ``last_working_day``, ``nth_working_day`` (the ``day``-th), ``after_end`` (``day``
    days, working days when ``working``, after the covered period ends). ``parity`` picks
    the odd or even months of ``two_month``. ``previous`` is True when each occurrence
    covers the period before the one it is due in (次月, 报送上月, 结束后).
    """

    text: str
    period: Period
    rule: DayRule
    day: int | None = None
    month_of_period: int = 1
    parity: Literal["odd", "even"] | None = None
    previous: bool = False
    working: bool = False
    due_time: time | None = None
    has_time: bool = False
    shift: Shift | None = None

    def __str__(self) -> str:
        return self.text

    @property
    def label(self) -> str:
        """每月, 每周 ... as a report names the period."""
        if self.period == "two_month":
            return "单月" if self.parity == "odd" else "双月"
        return _PERIOD_LABELS[self.period]


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a recurrence: the period it covers and its window."""

    covered_first: date
    covered_last: date
    window: Window

    @property
    def due(self) -> date:
        return self.window.due


_ANCHOR_WORDS: tuple[tuple[str, str], ...] = (
    ("收到本通知", "收到通知"),
    ("接到本通知", "收到通知"),
    ("收到通知", "收到通知"),
    ("接到通知", "收到通知"),
    ("收到", "收到通知"),
    ("接到", "收到通知"),
    ("本通知印发", "印发"),
    ("通知印发", "印发"),
    ("印发", "印发"),
    ("下发", "印发"),
    ("发布", "印发"),
    ("审定", "审定"),
    ("审核通过", "审定"),
    ("批复", "审定"),
    ("批准", "审定"),
    ("被退回", "退回"),
    ("退回", "退回"),
    ("报送", "报送"),
    ("提交", "报送"),
    ("上报", "报送"),
    ("受理", "受理"),
    ("决定", "决定"),
)
#: The events a relative phrase may count from, by the word the report uses.
ANCHORS: tuple[str, ...] = tuple(dict.fromkeys(label for _, label in _ANCHOR_WORDS))


@dataclass(frozen=True)
class Relative:
    """A deadline counted from an event of the item: ``n`` days (working days when
    ``working``) after the ``anchor`` (one of :data:`ANCHORS`)."""

    text: str
    anchor: str
    n: int
    working: bool
    due_time: time | None = None
    has_time: bool = False
    shift: Shift | None = None

    def __str__(self) -> str:
        return self.text

    @property
    def unit(self) -> str:
        return "个工作日" if self.working else "日"


# -- parsing ---------------------------------------------------------------------------------

_DAY = rf"{NUM}[日号]{BEFORE}"
_WEEKDAYS = {c: i for i, c in enumerate("一二三四五六", start=1)} | {"日": 7, "天": 7}
_WEEKDAYS |= {str(i): i for i in range(1, 8)}
_AFTER_END = (
    r"(?:结束后|后)([0-9]{1,3}|[一二三四五六七八九十廿卅]{1,4})(个工作日|日|天)(?:内|以内|之内)?"
)

_RECURRING: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("month_day", rf"每(?:个)?月(?:的)?{_DAY}"),
        ("month_last", rf"每(?:个)?月(?:月)?[底末]{BEFORE}"),
        ("month_last_working", rf"每(?:个)?月(?:的)?最后一个工作日{BEFORE}"),
        ("month_nth_working", rf"每(?:个)?月(?:的)?第{NUM}个工作日{BEFORE}"),
        ("next_month_day", rf"次月(?:的)?{_DAY}"),
        ("two_month_day", rf"每?([单双])月(?:之|的)?{_DAY}"),
        ("week_day", r"每(?:周|星期|礼拜)([一二三四五六日天1-7])(?:前|以前|之前)?"),
        ("quarter_end", rf"每?季度?[末底]{BEFORE}"),
        ("quarter_month_day", rf"每季度?(?:的)?(最后一个月|第一个月|首月|末月)(?:的)?{_DAY}"),
        ("half_end", rf"每半年(?:末|底)?{BEFORE}"),
        ("after_end", rf"每(个?月|季度?|半年){_AFTER_END}"),
    )
)
_RELATIVE = re.compile(
    r"(?:自|从|在)?("
    + "|".join(re.escape(word) for word, _ in _ANCHOR_WORDS)
    + r")(?:本通知)?(?:之日|当日|后)?(?:起|后|以后|之后)?"
    r"([0-9]{1,3}|[一二三四五六七八九十廿卅百]{1,4})(个工作日|工作日|日|天|个自然日|自然日)"
    r"(?:内|以内|之内|前|以前|之前)?"
)


def _count(text: str, token: str, what: str) -> int:
    value = chinese_number(token) if not token.isdigit() else int(token)
    if value is None or value < 1:
        raise PhraseError(text, f"{what}「{token}」应是不小于 1 的数")
    return value


def _day_of_month(text: str, token: str) -> int:
    day = _count(text, token, "日期")
    if day > 31:
        raise PhraseError(text, f"一个月没有{day}日")
    return day


def _recurrence(original: str, key: str) -> Recurrence | None:
    tail = split_tail(original, key)
    previous = tail.covered is not None and tail.covered.startswith("上")
    found = _recurrence_core(original, tail.rest, previous)
    if found is None:
        return None
    return replace(found, due_time=tail.due_time, has_time=tail.has_time, shift=tail.shift)


def _recurrence_core(original: str, key: str, previous: bool) -> Recurrence | None:
    for name, pattern in _RECURRING:
        match = pattern.fullmatch(key)
        if match is None:
            continue
        groups = match.groups()
        if name == "month_day":
            day = _day_of_month(original, groups[0])
            return Recurrence(original, "month", "day", day, previous=previous)
        if name == "month_last":
            return Recurrence(original, "month", "last_day", previous=previous)
        if name == "month_last_working":
            return Recurrence(original, "month", "last_working_day", previous=previous)
        if name == "month_nth_working":
            nth = _count(original, groups[0], "工作日序数")
            if nth > 20:
                raise PhraseError(original, f"一个月没有第{nth}个工作日")
            return Recurrence(original, "month", "nth_working_day", nth, previous=previous)
        if name == "next_month_day":
            day = _day_of_month(original, groups[0])
            return Recurrence(original, "month", "day", day, previous=True)
        if name == "two_month_day":
            day = _day_of_month(original, groups[1])
            parity: Literal["odd", "even"] = "odd" if groups[0] == "单" else "even"
            return Recurrence(original, "two_month", "day", day, parity=parity, previous=previous)
        if name == "week_day":
            weekday = _WEEKDAYS[groups[0]]
            return Recurrence(original, "week", "day", weekday, previous=previous)
        if name == "quarter_end":
            return Recurrence(original, "quarter", "last_day", previous=previous)
        if name == "quarter_month_day":
            which = 1 if groups[0] in ("第一个月", "首月") else 3
            day = _day_of_month(original, groups[1])
            return Recurrence(original, "quarter", "day", day, which, previous=previous)
        if name == "half_end":
            return Recurrence(original, "half_year", "last_day", previous=previous)
        assert name == "after_end"
        period: Period = (
            "month" if "月" in groups[0] else "quarter" if "季" in groups[0] else "half_year"
        )
        n = _count(original, groups[1], "天数")
        return Recurrence(
            original, period, "after_end", n, previous=True, working="工作日" in groups[2]
        )
    return None


def _relative(original: str, key: str) -> Relative | None:
    tail = split_tail(original, key)
    match = _RELATIVE.fullmatch(tail.rest)
    if match is None:
        return None
    anchor = dict(_ANCHOR_WORDS)[match.group(1)]
    token = match.group(2)
    n = int(token) if token.isdigit() else _chinese_hundreds(original, token)
    if n < 1:
        raise PhraseError(original, "天数应不小于 1")
    return Relative(
        original,
        anchor,
        n,
        "工作日" in match.group(3),
        due_time=tail.due_time,
        has_time=tail.has_time,
        shift=tail.shift,
    )


def _chinese_hundreds(text: str, token: str) -> int:
    if token.endswith("百") and chinese_number(token[:-1] or "一") is not None:
        return 100 * (chinese_number(token[:-1] or "一") or 1)
    value = chinese_number(token)
    if value is None:
        raise PhraseError(text, f"「{token}」不是可识别的数字")
    return value


@lru_cache(maxsize=1024)
def parse_any(text: str) -> Phrase | Recurrence | Relative:
    """Read a phrase of any kind; raise ``PhraseError`` naming the closest accepted forms.

    Pure and cached (a programme's few phrases are read again at every resolution)."""
    original = text.strip()
    try:
        return parse_phrase(original, suggesting=False)
    except PhraseError as exc:
        first = exc
    key = normalise(original)
    found = _recurrence(original, key) or _relative(original, key) if key else None
    if found is not None:
        return found
    if first.reason == UNKNOWN:
        raise PhraseError(
            original, first.reason, accepted=ALL_FORMS, suggestions=_suggest(original)
        ) from None
    raise first


def _parses(text: str) -> bool:
    key = normalise(text)
    try:
        parse_phrase(text, suggesting=False)
        return True
    except PhraseError:
        pass
    try:
        return bool(_recurrence(text, key) or _relative(text, key))
    except PhraseError:
        return False


def _suggest(text: str) -> tuple[str, ...]:
    return closest_forms(text, _EXAMPLES, _parses)


# -- resolving -------------------------------------------------------------------------------


def _month_end(year: int, month: int) -> date:
    return date(year, month, _pycalendar.monthrange(year, month)[1])


def _add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


_MONTHS = {"month": 1, "two_month": 1, "quarter": 3, "half_year": 6}


def _periods(recurrence: Recurrence, year: int) -> Iterator[tuple[date, date]]:
    """The covered periods that begin in ``year``, first and last day each."""
    if recurrence.period == "week":
        monday = date(year, 1, 1)
        monday += timedelta(days=(7 - monday.weekday()) % 7)
        while monday.year == year:
            yield monday, monday + timedelta(days=6)
            monday += timedelta(days=7)
        return
    months = _MONTHS[recurrence.period]
    for start in range(1, 13, months):
        first = date(year, start, 1)
        if recurrence.parity is not None:
            due_month = _add_months(first, 1 if recurrence.previous else 0).month
            if (due_month % 2 == 1) != (recurrence.parity == "odd"):
                continue
        last = _add_months(first, months) - timedelta(days=1)
        yield first, last


def _due_day(recurrence: Recurrence, first: date, last: date, calendar: WorkCalendar) -> date:
    """The due day inside the period ``first`` .. ``last`` it is due in."""
    rule = recurrence.rule
    if rule == "last_day":
        return last
    if rule == "last_working_day":
        return calendar.previous_working_day(last)
    if rule == "nth_working_day":
        return calendar.working_days_after(first, (recurrence.day or 1) - 1)
    assert rule == "day"
    assert recurrence.day is not None
    if recurrence.period == "week":
        return first + timedelta(days=recurrence.day - 1)
    month = _add_months(first, recurrence.month_of_period - 1)
    return min(
        date(month.year, month.month, 1) + timedelta(days=recurrence.day - 1),
        _month_end(month.year, month.month),
    )


def occurrences(
    recurrence: Recurrence,
    year: int,
    calendar: WorkCalendar,
    conventions: Conventions = DEFAULT_CONVENTIONS,
) -> list[Occurrence]:
    """Every occurrence whose covered period begins in ``year``, in order (see the module
    docstring); due days may fall into the next year."""
    found = []
    for covered_first, covered_last in _periods(recurrence, year):
        if recurrence.rule == "after_end":
            start = covered_last + timedelta(days=1)
            due = _count_from(covered_last, recurrence.day or 1, recurrence.working, calendar)
        else:
            start, end = covered_first, covered_last
            if recurrence.previous:
                start = end + timedelta(days=1)
                end = start + (covered_last - covered_first)
                if recurrence.period != "week":
                    end = _add_months(start, _MONTHS[recurrence.period]) - timedelta(days=1)
            due = _due_day(recurrence, start, end, calendar)
        window = apply_shift(
            start, due, calendar, conventions, recurrence.shift, recurrence.due_time
        )
        found.append(Occurrence(covered_first, covered_last, window))
    return found


def _count_from(anchor: date, n: int, working: bool, calendar: WorkCalendar) -> date:
    if working:
        return calendar.working_days_after(anchor + timedelta(days=1), n - 1)
    return anchor + timedelta(days=n)


def due_after(
    relative: Relative,
    anchor_day: date,
    calendar: WorkCalendar,
    conventions: Conventions = DEFAULT_CONVENTIONS,
) -> Window:
    """The window of ``relative`` when its event happened on ``anchor_day``: from that day
    to the Nth (working) day after it, then shifted like any due day."""
    due = _count_from(anchor_day, relative.n, relative.working, calendar)
    return apply_shift(anchor_day, due, calendar, conventions, relative.shift, relative.due_time)


#: The events a 整改期限 (``rectify_within`` of a return) may be counted from.
RECTIFY_ANCHORS = ("退回", "决定")


def rectify_period(text: str) -> Relative:
    """A return's ``rectify_within`` (5个工作日内, 10日内, 退回后5个工作日内): a relative
    phrase counted from the return day; ``PhraseError`` for anything else."""
    original = text.strip()
    found: Relative | None = None
    for candidate in (original, "退回后" + original):
        key = normalise(candidate)
        try:
            found = _relative(candidate, key) if key else None
        except PhraseError as exc:
            raise PhraseError(original, exc.reason) from None
        if found is not None:
            break
    if found is None or found.anchor not in RECTIFY_ANCHORS:
        raise PhraseError(
            original,
            "整改期限应从退回之日起算，写作「5个工作日内」「10日内」或「退回后5个工作日内」",
        )
    return replace(found, text=original)
