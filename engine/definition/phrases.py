"""Deadline phrases of Chinese government notices: parsing and resolving to a window.

A notice sets its schedule in a small, closed set of phrases ("3月初", "9月中旬", "5月10日前",
"国庆节后", "年底前" ...). :func:`parse_phrase` reads a one-off one into a :class:`Phrase`;
:func:`resolve` turns it, for a programme's year and a
:class:`~engine.definition.workcal.WorkCalendar`, into a :class:`Window`: the first day work
is expected, the due day (inclusive) and its time. Recurring phrases (每月10日前) and
relative ones (收到通知后5个工作日内) are read by :mod:`engine.definition.periodic`; this table
is the authority for the one-off phrases, that module's for the other two kinds.

Conventions
-----------
Where no official definition exists the window is a documented default that a programme may
change through :class:`Conventions` (sources: /work/shared/DOMAIN.md, "Date phrases").

==========================  ==========================================  ==========================
phrase                      window (first .. due, inclusive)            setting / note
==========================  ==========================================  ==========================
X月X日, X月X日前/以前/之前  X-X .. X-X                                  "前" is inclusive: 民法典
                                                                        is silent on it and
                                                                        notices often say "含X日"
X月初                       day 1 .. day 5                              ``month_start_last_day``;
                                                                        no official definition
X月上旬 / 中旬 / 下旬       1..10 / 11..20 / 21..month end              common definition
X月底, X月末 (+前)          day 25 .. month end; "月底前" due month end ``month_end_first_day``
X月, X月份                  day 1 .. month end ("6月报" due 06-30)      convention
X-Y月, X月-Y月 (至/到/～)   X-01 .. last day of Y                       X <= Y
年初                        01-01 .. 01-31                              ``year_start_months``
年中                        the phrase set as ``midyear``               no authoritative
                                                                        definition: the
                                                                        administrator must set
                                                                        ``calendar.midyear``
年底, 年末 (+前)            12-01 .. 12-31                              ``year_end_first_month``
年内, 全年                  01-01 .. 12-31
第一季度, 一季度, 1季度     the quarter (Q1 01-01 .. 03-31 ... Q4       common usage, no statute
                            10-01 .. 12-31), due its last day
一季度末, 第一季度末 (+前)  day 25 .. last day of the quarter's last    ``month_end_first_day``
                            month                                       (as 月底)
上半年 / 下半年             01-01 .. 06-30 / 07-01 .. 12-31             common usage
上半年末                    06-25 .. 06-30                              as 月底
<节日>后                    first working day after the holiday block   ``holiday_after_days``
                            .. last day of that day's month             (None = month end)
<节日>前                    last working day before the block, both     single-day window
==========================  ==========================================  ==========================

Before the phrase (any form above):

* a year, ``2021年`` / ``二〇二一年`` (2021年底前, 2022年10月底前): it must be the programme's
  year or the next (an annual report due early the next year); another year is a
  ``PhraseError`` naming the phrase and the programme's year. A whole month with a year
  ("2011年5月") reads like a date of issue and is refused with what to write instead.
* ``次年`` / ``明年`` / ``翌年`` (次年1月10日前, 次年1月底前): the same phrase in the next year.

After it:

* a time of day, ``17时前``, ``中午12时前``, ``下午5点半前``, ``17:00前``: ``Window.due_time``
  (None, the default, is the end of the day: 24时). A step's deadline takes none (see
  :mod:`engine.definition.deadlines`).
* a day of the week in brackets, ``5月10日（星期五）前``: checked against the day resolved, a
  mismatch is a ``PhraseError`` (a wrong day or year in the notice).
* a shifting rule, ``遇节假日顺延``, ``遇节假日顺延至节假日结束后第N个工作日`` (N = 1..10),
  ``遇节假日不顺延``, ``周二为节假日的，顺延至…``: the phrase's own :class:`Shift`, which beats
  the programme's setting.

Holidays: 国庆节/国庆, 春节, 劳动节/五一, 元旦, 清明节/清明, 端午节/端午, 中秋节/中秋; the block is
:meth:`WorkCalendar.holiday_span` (the whole contiguous run of days off, so 2011 国庆节后 starts
on 10-08, a 调休 Saturday). 元旦 is read inside the programme year: "元旦后" is after the holiday
opening the year, "元旦前" before the one closing it (1 January of the next year).

Shifting (顺延): 民法典 第二百零三条 moves the end of a civil-law period that falls on a
statutory holiday to the day after the holiday ends, but administrative reporting notices
often say "遇节假日不顺延". Due days therefore do not shift by default; with
``shift_to_working_day=True``, or a phrase's own 顺延, a due day that is not a working day
(a holiday or a weekend not worked) moves to the ``shift_working_days``-th (or the phrase's
Nth) working day on or after it - N = 1 is the next working day, possibly in the next
year - and ``Window.shifted_from`` keeps the original.

Numerals may be Arabic (half- or full-width) or Chinese (一 .. 十二, 二十六, 三十一, 廿六, 卅一).
An unknown phrase's ``PhraseError`` names the closest accepted forms
(``suggestions``, :mod:`engine.definition.suggest`) after listing them all.
"""

from __future__ import annotations

import calendar as _pycalendar
import re
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from typing import Literal

from engine.definition.phraseforms import ACCEPTED_FORMS, EXAMPLES
from engine.definition.phrasetext import (
    BEFORE,
    NUM,
    Shift,
    chinese_number,
    normalise,
    split_tail,
    split_year,
    unify_separators,
)
from engine.definition.suggest import closest_forms
from engine.definition.workcal import HOLIDAY_ALIASES, HOLIDAY_NAMES, WorkCalendar, weekday_name
from engine.errors import CalendarError, PhraseError

__all__ = [
    "ACCEPTED_FORMS",
    "DEFAULT_CONVENTIONS",
    "EXAMPLES",
    "UNKNOWN",
    "Conventions",
    "Phrase",
    "PhraseKind",
    "Shift",
    "Window",
    "apply_shift",
    "parse_phrase",
    "phrase_year",
    "resolve",
    "resolve_text",
]

PhraseKind = Literal[
    "day",  # X月X日 (before: X月X日前)
    "month_start",  # X月初
    "month_part",  # X月上旬/中旬/下旬 (part: early/mid/late)
    "month_end",  # X月底, X月末 (before: X月底前)
    "months",  # X月, X-Y月 (month .. end_month)
    "year_start",  # 年初
    "midyear",  # 年中
    "year_end",  # 年底, 年末 (before: 年底前)
    "year_whole",  # 年内
    "quarter",  # 第一季度 (quarter 1-4)
    "quarter_end",  # 一季度末
    "half",  # 上半年 / 下半年 (half 1-2)
    "half_end",  # 上半年末
    "holiday",  # <holiday>后 / <holiday>前 (before)
]
Part = Literal["early", "mid", "late"]


@dataclass(frozen=True)
class Phrase:
    """A parsed one-off deadline phrase.

    ``month``/``end_month`` are 1-12 (``end_month`` only for ``months``; equal to ``month``
    for a single month), ``day`` only for ``day``, ``part`` only for ``month_part``,
    ``quarter`` (1-4) for ``quarter``/``quarter_end``, ``half`` (1-2) for ``half``/``half_end``,
    ``holiday`` (a key of ``HOLIDAY_NAMES``) only for ``holiday``. ``before`` records a
    trailing 前/以前/之前 (for a holiday it chooses 前 over 后). ``year`` is a year written in
    the phrase (2021年…), ``next_year`` a written 次年/明年; ``due_time`` a time of day (None:
    the end of the day; ``has_time`` tells a written 24时 from no time at all); ``shift`` the
    phrase's own 顺延 rule. ``text`` is the phrase as written, trimmed.
    """

    text: str
    kind: PhraseKind
    month: int | None = None
    end_month: int | None = None
    day: int | None = None
    part: Part | None = None
    holiday: str | None = None
    before: bool = False
    quarter: int | None = None
    half: int | None = None
    year: int | None = None
    next_year: bool = False
    due_time: time | None = None
    has_time: bool = False
    shift: Shift | None = None
    weekday: int | None = None  # a written （星期五）, 0 = Monday; checked when resolved

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Window:
    """The days a phrase covers in one year: ``first`` .. ``due``, both inclusive.

    ``due_time`` is the time of day the due day ends at (None: the end of the day, 24时);
    ``shifted_from`` is the due day before 顺延 moved it, or None when it did not move.
    """

    first: date
    due: date
    shifted_from: date | None = None
    due_time: time | None = None


@dataclass(frozen=True)
class Conventions:
    """How phrases without an official definition resolve; see the module docstring."""

    month_start_last_day: int = 5  # 月初 = days 1..5
    month_end_first_day: int = 25  # 月底/月末 = day 25 .. month end
    year_start_months: int = 1  # 年初 = the first N months (01-01..01-31)
    year_end_first_month: int = 12  # 年底 = from the 1st of this month to 12-31
    midyear: str | None = None  # 年中 = this phrase (e.g. "6月", "7月上旬"); None: must be set
    shift_to_working_day: bool = False  # 顺延 a due day that is not a working day
    # <节日>后: due N working days after the first day; None: the last day of that month
    holiday_after_days: int | None = None
    # 顺延 (by ``shift_to_working_day``) to the Nth working day after the days off; not a
    # programme setting: a notice that says so writes it in the phrase (…第二个工作日)
    shift_working_days: int = 1

    def __post_init__(self) -> None:
        problems = []
        if not 1 <= self.month_start_last_day <= 28:
            problems.append("「月初」的最后一天应在 1 至 28 日之间")
        if not 1 <= self.month_end_first_day <= 28:
            problems.append("「月底」的第一天应在 1 至 28 日之间")
        if self.month_start_last_day >= self.month_end_first_day:
            problems.append("「月初」应早于「月底」")
        if not 1 <= self.year_start_months <= 12:
            problems.append("「年初」的月数应在 1 至 12 之间")
        if not 1 <= self.year_end_first_month <= 12:
            problems.append("「年底」的起始月份应在 1 至 12 之间")
        if self.holiday_after_days is not None and self.holiday_after_days < 0:
            problems.append("节后的工作日数不能为负数")
        if not 1 <= self.shift_working_days <= 10:
            problems.append("顺延的工作日数应在 1 至 10 之间")
        if problems:
            raise CalendarError("时间表述约定设置有误：" + "；".join(problems))
        if self.midyear is not None and parse_phrase(self.midyear).kind == "midyear":
            raise PhraseError(self.midyear, "calendar.midyear 不能再写成「年中」，请写具体时间")


# -- parsing ---------------------------------------------------------------------------------

_HOLIDAY_WORDS = sorted(
    (name for name in HOLIDAY_ALIASES if not name.isascii()), key=len, reverse=True
)
_QUARTER = r"第?([1-4一二三四])季度?"

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("day", rf"{NUM}月{NUM}[日号]{BEFORE}"),
        ("month_start", rf"{NUM}月初{BEFORE}"),
        ("month_part", rf"{NUM}月([上中下])旬{BEFORE}"),
        ("month_end", rf"{NUM}月[底末]{BEFORE}"),
        ("month_before", rf"{NUM}月份?(?:前|以前|之前)"),
        ("months", rf"{NUM}(?:月份?)?-{NUM}月份?"),
        ("months", rf"{NUM}月份?"),
        ("year_start", r"年初"),
        ("midyear", r"年中"),
        ("year_end", rf"年[底末]{BEFORE}"),
        ("year_whole", r"(?:年内|全年)"),
        ("quarter_end", rf"{_QUARTER}[末底]{BEFORE}"),
        ("quarter", rf"{_QUARTER}(?:内)?"),
        ("half_end", rf"([上下])半年[末底]{BEFORE}"),
        ("half", r"([上下])半年(?:内)?"),
        ("holiday", rf"({'|'.join(map(re.escape, _HOLIDAY_WORDS))})(后|以后|之后|前|以前|之前)"),
    )
)
_PARTS: dict[str, Part] = {"上": "early", "中": "mid", "下": "late"}
_LEAP_YEAR = 2000  # for "does this day exist in this month at all" (2月29日 does)
_WHOLE_MONTHS = ("months", "month_before")  # refused after a written year (see below)
_WEEKDAY_NUMBERS = {c: i for i, c in enumerate("一二三四五六日")} | {"天": 6}
_WEEKDAY_NOTE = re.compile(r"\((?:星期|周|礼拜)([一二三四五六日天])\)")


#: The reason of a ``PhraseError`` for a text that is no accepted form at all.
UNKNOWN = "不是可识别的时间表述"


def _fail(text: str, reason: str) -> PhraseError:
    return PhraseError(text, reason, accepted=ACCEPTED_FORMS)


def suggest(text: str) -> tuple[str, ...]:
    """The accepted one-off forms closest to ``text`` (each of them parses)."""
    return closest_forms(text, EXAMPLES, _parses)


def _parses(text: str) -> bool:
    try:
        _parse(text, text)
    except PhraseError:
        return False
    return True


def _month(text: str, token: str) -> int:
    value = chinese_number(token)
    if value is None:
        raise PhraseError(text, f"「{token}」不是可识别的数字", accepted=ACCEPTED_FORMS)
    if not 1 <= value <= 12:
        raise PhraseError(text, f"月份应为 1 至 12，「{token}」不是", accepted=ACCEPTED_FORMS)
    return value


def parse_phrase(text: str, *, suggesting: bool = True) -> Phrase:
    """Read one one-off deadline phrase; raise ``PhraseError`` (listing ``ACCEPTED_FORMS``
    and, when ``suggesting``, the closest of them) otherwise."""
    original = text.strip()
    try:
        return _parse(original, original)
    except PhraseError as exc:
        if exc.reason != UNKNOWN or exc.suggestions or not suggesting:
            raise
        raise PhraseError(
            exc.phrase, exc.reason, accepted=exc.accepted, suggestions=suggest(original)
        ) from None


def _parse(original: str, text: str) -> Phrase:
    """``parse_phrase`` without suggestions (which call it on their candidates)."""
    key = normalise(text)
    if not key:
        raise PhraseError(original, "时间表述为空", accepted=ACCEPTED_FORMS)
    weekday = None
    note = _WEEKDAY_NOTE.search(key)
    if note is not None:  # 5月10日（星期五）前: checked against the day when resolved
        weekday = _WEEKDAY_NUMBERS[note.group(1)]
        key = key[: note.start()] + key[note.end() :]
    tail = split_tail(original, key)
    if tail.covered is not None:
        raise PhraseError(
            original,
            f"「报送{tail.covered}」只用于周期性的报送（如「每月10日前报送上月情况」）",
            accepted=ACCEPTED_FORMS,
        )
    year, next_year, rest = split_year(tail.rest)
    phrase = _parse_core(original, unify_separators(rest))
    if (year is not None or next_year) and phrase.kind in _WHOLE_MONTHS:
        month = phrase.month
        written = f"{year}年" if year is not None else "次年"
        raise PhraseError(
            original,
            f"写明年份的整月像是落款日期而不是时限，请写成「{written}{month}月底前」"
            f"或「{written}{month}月X日前」",
            accepted=ACCEPTED_FORMS,
        )
    if tail.has_time and phrase.kind == "holiday" and not phrase.before:
        raise PhraseError(original, "「节后」是一段时间，不能加时刻", accepted=ACCEPTED_FORMS)
    if weekday is not None and phrase.kind != "day":
        raise PhraseError(original, "只有具体某一天（X月X日）才能注明星期", accepted=ACCEPTED_FORMS)
    return replace(
        phrase,
        weekday=weekday,
        year=year,
        next_year=next_year,
        due_time=tail.due_time,
        has_time=tail.has_time,
        shift=tail.shift,
    )


def _parse_core(original: str, key: str) -> Phrase:
    if not key:
        raise PhraseError(original, "只有时刻或顺延规定，缺少日期", accepted=ACCEPTED_FORMS)
    for kind, pattern in _PATTERNS:
        match = pattern.fullmatch(key)
        if match is None:
            continue
        groups = match.groups()
        if kind == "day":
            month = _month(original, groups[0])
            day = chinese_number(groups[1])
            if day is None:
                raise _fail(original, f"「{groups[1]}」不是可识别的数字")
            if not 1 <= day <= _pycalendar.monthrange(_LEAP_YEAR, month)[1]:
                raise PhraseError(original, f"{month}月没有{day}日", accepted=ACCEPTED_FORMS)
            return Phrase(original, "day", month=month, day=day, before=bool(groups[2]))
        if kind == "month_start":
            month = _month(original, groups[0])
            return Phrase(original, "month_start", month=month, before=bool(groups[1]))
        if kind == "month_part":
            month = _month(original, groups[0])
            part = _PARTS[groups[1]]
            return Phrase(original, "month_part", month=month, part=part, before=bool(groups[2]))
        if kind == "month_end":
            month = _month(original, groups[0])
            return Phrase(original, "month_end", month=month, before=bool(groups[1]))
        if kind == "month_before":
            month = _month(original, groups[0])
            raise PhraseError(
                original,
                f"「{month}月前」含义不明确（{month}月1日前还是{month}月底前），"
                f"请写成「{month}月底前」或「{month}月X日前」",
                accepted=ACCEPTED_FORMS,
                suggestions=(f"{month}月底前", f"{month}月1日前"),
            )
        if kind == "months":
            month = _month(original, groups[0])
            end = _month(original, groups[1]) if len(groups) > 1 else month
            if end < month:
                raise PhraseError(
                    original,
                    f"起始月份 {month} 晚于结束月份 {end}（不能跨年）",
                    accepted=ACCEPTED_FORMS,
                )
            return Phrase(original, "months", month=month, end_month=end)
        if kind in ("year_start", "midyear", "year_whole"):
            return Phrase(original, kind)  # type: ignore[arg-type]
        if kind == "year_end":
            return Phrase(original, "year_end", before=bool(groups[0]))
        if kind in ("quarter", "quarter_end"):
            quarter = chinese_number(groups[0])
            return Phrase(original, kind, quarter=quarter)  # type: ignore[arg-type]
        if kind in ("half", "half_end"):
            return Phrase(original, kind, half=1 if groups[0] == "上" else 2)  # type: ignore[arg-type]
        if kind == "holiday":
            holiday = HOLIDAY_ALIASES[groups[0]]
            return Phrase(original, "holiday", holiday=holiday, before="前" in groups[1])
    raise PhraseError(original, UNKNOWN, accepted=ACCEPTED_FORMS)


# -- resolving -------------------------------------------------------------------------------

#: The defaults of the module docstring's table.
DEFAULT_CONVENTIONS = Conventions()


def _month_end(year: int, month: int) -> date:
    return date(year, month, _pycalendar.monthrange(year, month)[1])


def phrase_year(phrase: Phrase, year: int) -> int:
    """The year ``phrase`` falls in for a programme of ``year``: its own written year
    (which must be ``year`` or the next), the next for 次年, else ``year``."""
    if phrase.next_year:
        return year + 1
    if phrase.year is None:
        return year
    if phrase.year not in (year, year + 1):
        raise PhraseError(
            phrase.text,
            f"写明的年份 {phrase.year} 年与方案年度 {year} 年不符"
            f"（只能是本年度 {year} 年或次年 {year + 1} 年）",
        )
    return phrase.year


def _window(
    phrase: Phrase, year: int, calendar: WorkCalendar, conventions: Conventions
) -> tuple[date, date]:
    month = phrase.month or 1
    if phrase.kind == "day":
        assert phrase.day is not None
        try:
            day = date(year, month, phrase.day)
        except ValueError:
            raise PhraseError(phrase.text, f"{year} 年没有 {month}月{phrase.day}日") from None
        return day, day
    if phrase.kind == "month_start":
        return date(year, month, 1), date(year, month, conventions.month_start_last_day)
    if phrase.kind == "month_part":
        start, stop = {"early": (1, 10), "mid": (11, 20), "late": (21, None)}[
            phrase.part or "early"
        ]
        last = date(year, month, stop) if stop else _month_end(year, month)
        return date(year, month, start), last
    if phrase.kind == "month_end":
        return date(year, month, conventions.month_end_first_day), _month_end(year, month)
    if phrase.kind == "months":
        return date(year, month, 1), _month_end(year, phrase.end_month or month)
    if phrase.kind == "year_start":
        return date(year, 1, 1), _month_end(year, conventions.year_start_months)
    if phrase.kind == "year_end":
        return date(year, conventions.year_end_first_month, 1), date(year, 12, 31)
    if phrase.kind == "year_whole":
        return date(year, 1, 1), date(year, 12, 31)
    if phrase.kind in ("quarter", "quarter_end", "half", "half_end"):
        months = 3 if phrase.kind.startswith("quarter") else 6
        number = (phrase.quarter if months == 3 else phrase.half) or 1
        first_month = (number - 1) * months + 1
        last = _month_end(year, first_month + months - 1)
        if phrase.kind.endswith("_end"):
            return date(last.year, last.month, conventions.month_end_first_day), last
        return date(year, first_month, 1), last
    if phrase.kind == "midyear":
        if conventions.midyear is None:
            raise PhraseError(
                phrase.text,
                "「年中」没有权威定义，请管理员在工作方案的日历设置中用 calendar.midyear "
                "指定其含义，如「6月」或「7月上旬」",
            )
        inner = parse_phrase(conventions.midyear)
        if inner.kind == "midyear":
            raise PhraseError(conventions.midyear, "calendar.midyear 不能再写成「年中」")
        return _window(inner, phrase_year(inner, year), calendar, conventions)
    assert phrase.kind == "holiday"
    assert phrase.holiday is not None
    key = phrase.holiday
    if phrase.before:
        # 元旦前 is the New Year that closes the programme year.
        span_year = year + 1 if key == "new_years_day" else year
        first_off, _ = calendar.holiday_span(span_year, key)
        day = calendar.previous_working_day(first_off - timedelta(days=1))
        return day, day
    _, last_off = calendar.holiday_span(year, key)
    first = calendar.next_working_day(last_off + timedelta(days=1))
    if conventions.holiday_after_days is None:
        return first, _month_end(first.year, first.month)
    return first, calendar.working_days_after(first, conventions.holiday_after_days)


def apply_shift(
    first: date,
    due: date,
    calendar: WorkCalendar,
    conventions: Conventions,
    shift: Shift | None = None,
    due_time: time | None = None,
) -> Window:
    """The window ``first`` .. ``due`` after 顺延: the phrase's own ``shift`` where it has
    one, else the conventions'. A due day that is not a working day moves to the Nth working
    day after the days off (N = 1: the next working day)."""
    moves = conventions.shift_to_working_day if shift is None else shift.shift
    nth = conventions.shift_working_days if shift is None or not shift.shift else shift.nth
    if moves and not calendar.is_working_day(due):
        moved = calendar.working_days_after(due, nth - 1)
        return Window(first, moved, shifted_from=due, due_time=due_time)
    return Window(first, due, due_time=due_time)


def resolve(
    phrase: Phrase,
    year: int,
    calendar: WorkCalendar,
    conventions: Conventions = DEFAULT_CONVENTIONS,
) -> Window:
    """The window ``phrase`` covers for a programme of ``year`` (see the module docstring).

    Raises ``PhraseError`` for a day the year lacks (2月29日 in a common year), for a written
    year that is neither ``year`` nor the next, or for 年中 without ``conventions.midyear``;
    ``CalendarError`` for a holiday the calendar has no dates for.
    """
    first, due = _window(phrase, phrase_year(phrase, year), calendar, conventions)
    if phrase.weekday is not None and due.weekday() != phrase.weekday:
        raise PhraseError(
            phrase.text,
            f"{due.isoformat()} 是{weekday_name(due)}，表述中注明的是"
            f"星期{'一二三四五六日'[phrase.weekday]}：请核对日期或年份",
        )
    return apply_shift(first, due, calendar, conventions, phrase.shift, phrase.due_time)


def resolve_text(
    text: str,
    year: int,
    calendar: WorkCalendar,
    conventions: Conventions = DEFAULT_CONVENTIONS,
) -> Window:
    """``resolve(parse_phrase(text), ...)``."""
    return resolve(parse_phrase(text), year, calendar, conventions)


# Every holiday the parser knows has a Chinese name (keeps the two tables in step).
assert set(HOLIDAY_ALIASES.values()) == set(HOLIDAY_NAMES)
