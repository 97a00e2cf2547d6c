"""The working-day calendar: official holidays, 调休 working days, and fallbacks.

Official data comes from the ``chinesecalendar`` package (import ``chinese_calendar``), which
carries the State Council's holiday arrangements, 调休 working days included, for 2004-2026 and
raises ``NotImplementedError`` outside that range. A new release is needed every year, so a
programme may list its own holidays and working days under its calendar settings:

* ``extra_holidays`` (date -> name): days off; ``holiday_name`` returns the name, in its
  canonical Chinese form when it spells a known holiday (``national_day``, 国庆 -> 国庆节).
* ``extra_workdays``: days worked (调休), weekends included.
* ``holiday_spans`` ((year, key) -> (first, last)): the block of a named holiday; every day
  in it counts as a day off named after the holiday (unless ``extra_holidays`` names it).

Extras override the package where both speak about a day. For a year the package has no data
for, a day is a working day when it is Monday-Friday, minus ``extra_holidays``, plus
``extra_workdays``; :meth:`WorkCalendar.is_working_day` never raises for such a year.

Holiday blocks
--------------
``holiday_span(year, key)`` returns the contiguous block of days off that contains the holiday:
the package lists the holiday's days by name (it sometimes omits a weekend day inside the
block, e.g. 2011-06-05 inside 端午节 06-04..06-06), and the block is grown over every adjacent
day that is not a working day. When two holidays touch, the whole block is returned: 2012
National Day is 09-30..10-07 (09-30 is 中秋节), 2023 National Day is 09-29..10-06. That block is
what "after the holiday" means to a reporting unit.

Which of a year's blocks is meant: 元旦 is the block holding 1 January of that year (it may
begin on 30 or 31 December of the year before); 春节 is the block in January/February; every
other holiday is the earliest block of that name in the year. A holiday that fell on the same
day as another (中秋节 2020 on 1 October) gives the block of the one the package names.

Every method is pure; working days are computed once per year and cached.
"""

from __future__ import annotations

import calendar as _pycalendar
from collections.abc import Iterable, Mapping
from datetime import date, timedelta

import chinese_calendar

from engine.errors import CalendarError

__all__ = [
    "HOLIDAY_ALIASES",
    "HOLIDAY_NAMES",
    "WorkCalendar",
    "holiday_key",
    "weekday_name",
]


def weekday_name(day: date) -> str:
    """星期一 .. 星期日, as notices and reports write the day of the week."""
    return "星期" + "一二三四五六日"[day.weekday()]


#: Holiday keys and their Chinese names as written in notices.
HOLIDAY_NAMES: dict[str, str] = {
    "new_years_day": "元旦",
    "spring_festival": "春节",
    "tomb_sweeping_day": "清明节",
    "labour_day": "劳动节",
    "dragon_boat_festival": "端午节",
    "national_day": "国庆节",
    "mid_autumn_festival": "中秋节",
}

#: Every spelling of a holiday that maps to its key (Chinese short forms, English names).
HOLIDAY_ALIASES: dict[str, str] = {
    **{name: key for key, name in HOLIDAY_NAMES.items()},
    **{key: key for key in HOLIDAY_NAMES},
    **{h.value: h.name for h in chinese_calendar.Holiday if h.name in HOLIDAY_NAMES},
    "国庆": "national_day",
    "五一": "labour_day",
    "五一劳动节": "labour_day",
    "清明": "tomb_sweeping_day",
    "端午": "dragon_boat_festival",
    "中秋": "mid_autumn_festival",
}

_OFFICIAL_HOLIDAYS: Mapping[date, str] = chinese_calendar.holidays
_OFFICIAL_WORKDAYS: Mapping[date, str] = chinese_calendar.workdays
_FIRST_YEAR = min(_OFFICIAL_HOLIDAYS).year
_LAST_YEAR = max(_OFFICIAL_HOLIDAYS).year

# Longest run of days off (or of days scanned) before a search gives up; no real calendar
# comes close, so hitting it means the settings declare (almost) everything a holiday.
_MAX_SCAN = 400
_ONE_DAY = timedelta(days=1)
# Holidays that fell on the same day as another, so that the package lists only the other:
# 中秋节 2020 was 10-01 and the whole block is named National Day.
_COINCIDING: dict[tuple[int, str], str] = {(2020, "mid_autumn_festival"): "national_day"}
_MAX_SPAN = 31  # a holiday block given in the settings is at most this many days past its first


def holiday_key(name: str) -> str | None:
    """The key (e.g. ``national_day``) of a holiday spelt ``name`` (国庆节, 国庆, ...), or None."""
    return HOLIDAY_ALIASES.get(name.strip())


def _official_chinese(english: str) -> str:
    try:
        holiday = chinese_calendar.Holiday(english)
    except ValueError:
        return english
    return HOLIDAY_NAMES.get(holiday.name, holiday.chinese)


class WorkCalendar:
    """Working days of the People's Republic of China, with a programme's own additions."""

    def __init__(
        self,
        extra_holidays: Mapping[date, str] | None = None,
        extra_workdays: Iterable[date] = (),
        holiday_spans: Mapping[tuple[int, str], tuple[date, date]] | None = None,
    ) -> None:
        self._extra_holidays: dict[date, str] = dict(extra_holidays or {})
        self._extra_workdays: frozenset[date] = frozenset(extra_workdays)
        self._spans: dict[tuple[int, str], tuple[date, date]] = {}
        for (year, key), (first, last) in (holiday_spans or {}).items():
            if key not in HOLIDAY_NAMES:
                raise CalendarError(
                    f"日历设置中的节日「{key}」无法识别，可用的节日：" + "、".join(HOLIDAY_NAMES)
                )
            if not first <= last <= first + timedelta(days=_MAX_SPAN):
                raise CalendarError(
                    f"日历设置中 {year} 年{HOLIDAY_NAMES[key]}的起止日期"
                    f"（{first.isoformat()} 至 {last.isoformat()}）不合理"
                )
            self._spans[(year, key)] = (first, last)
            # Every day of a listed block is a day off, named after the holiday.
            for offset in range((last - first).days + 1):
                self._extra_holidays.setdefault(first + timedelta(days=offset), HOLIDAY_NAMES[key])
        both = sorted(self._extra_workdays & self._extra_holidays.keys())
        if both:
            days = "、".join(d.isoformat() for d in both)
            raise CalendarError(f"日历设置自相矛盾：{days} 既列为节假日又列为工作日")
        self._working: dict[int, frozenset[date]] = {}
        self._found_spans: dict[tuple[int, str], tuple[date, date]] = {}

    # -- single days ---------------------------------------------------------------------

    @staticmethod
    def has_official_data(year: int) -> bool:
        """Whether the installed ``chinesecalendar`` has the State Council's data for ``year``."""
        return _FIRST_YEAR <= year <= _LAST_YEAR

    @classmethod
    def years_without_data(cls, years: Iterable[int]) -> list[int]:
        """The years among ``years`` (sorted, once each) the package has no official data for.

        Extras given to a calendar do not count: the list is meant for a warning that the
        programme relies on its own holiday settings for those years.
        """
        return sorted({y for y in years if not cls.has_official_data(y)})

    def _working_days(self, year: int) -> frozenset[date]:
        cached = self._working.get(year)
        if cached is not None:
            return cached
        official = self.has_official_data(year)
        days: set[date] = set()
        for month in range(1, 13):
            for day in range(1, _pycalendar.monthrange(year, month)[1] + 1):
                d = date(year, month, day)
                if d in self._extra_workdays:
                    days.add(d)
                elif d in self._extra_holidays:
                    continue
                elif official:
                    if d in _OFFICIAL_WORKDAYS or (d.weekday() < 5 and d not in _OFFICIAL_HOLIDAYS):
                        days.add(d)
                elif d.weekday() < 5:
                    days.add(d)
        result = frozenset(days)
        self._working[year] = result
        return result

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` is a working day (调休 aware); never raises for a year without data."""
        return d in self._working_days(d.year)

    def _named_day(self, d: date) -> str | None:
        """The Chinese holiday name listed for ``d`` itself (extras first, then the package)."""
        if d in self._extra_holidays:
            name = self._extra_holidays[d]
            key = holiday_key(name)
            return HOLIDAY_NAMES[key] if key is not None else name
        if d in self._extra_workdays or not self.has_official_data(d.year):
            return None
        english = _OFFICIAL_HOLIDAYS.get(d)
        if english is None or d in _OFFICIAL_WORKDAYS:
            return None
        return _official_chinese(english)

    def _block(self, d: date) -> tuple[date, date]:
        """The contiguous run of days off around the day off ``d``."""
        first = last = d
        for _ in range(_MAX_SCAN):
            if self.is_working_day(first - _ONE_DAY):
                break
            first -= _ONE_DAY
        else:
            raise CalendarError(
                f"{d.isoformat()} 前后连续 {_MAX_SCAN} 天都不是工作日，请检查日历设置"
            )
        for _ in range(_MAX_SCAN):
            if self.is_working_day(last + _ONE_DAY):
                break
            last += _ONE_DAY
        else:
            raise CalendarError(
                f"{d.isoformat()} 前后连续 {_MAX_SCAN} 天都不是工作日，请检查日历设置"
            )
        return first, last

    def holiday_name(self, d: date) -> str | None:
        """The Chinese name (国庆节, 春节, 中秋节 ...) of the holiday ``d`` is a day off of.

        A day listed as a holiday (by the package or ``extra_holidays``) gives its own name; a
        day off inside the same contiguous block of days off (a weekend the package leaves out)
        gives the name of the nearest listed day, the earlier one on a tie. A working day or an
        ordinary weekend gives None.
        """
        if self.is_working_day(d):
            return None
        own = self._named_day(d)
        if own is not None:
            return own
        first, last = self._block(d)
        for distance in range(1, max((d - first).days, (last - d).days) + 1):
            for candidate in (d - timedelta(days=distance), d + timedelta(days=distance)):
                if first <= candidate <= last:
                    name = self._named_day(candidate)
                    if name is not None:
                        return name
        return None

    # -- holiday blocks ------------------------------------------------------------------

    def holiday_span(self, year: int, key: str) -> tuple[date, date]:
        """First and last day of the block of days off holding holiday ``key`` in ``year``.

        ``key`` is one of :data:`HOLIDAY_NAMES`. ``holiday_spans`` given to the calendar win;
        otherwise the block is found from the days named after the holiday (in the package
        or in ``extra_holidays``) and grown over adjacent days off (see the module docstring).
        Raises ``CalendarError`` when neither source knows the holiday for that year.
        """
        if key not in HOLIDAY_NAMES:
            raise CalendarError(f"未知的节日「{key}」，可用的节日：" + "、".join(HOLIDAY_NAMES))
        if (year, key) in self._spans:
            return self._spans[(year, key)]
        found = self._found_spans.get((year, key))
        if found is None:
            found = self._find_span(year, key)
            self._found_spans[(year, key)] = found
        return found

    def _find_span(self, year: int, key: str) -> tuple[date, date]:
        months = {"new_years_day": (1,), "spring_festival": (1, 2)}.get(key, tuple(range(1, 13)))
        for month in months:
            for day in range(1, _pycalendar.monthrange(year, month)[1] + 1):
                d = date(year, month, day)
                name = self._named_day(d)
                if name is not None and holiday_key(name) == key and not self.is_working_day(d):
                    return self._block(d)
        chinese = HOLIDAY_NAMES[key]
        if not self.has_official_data(year):
            raise CalendarError(
                f"chinesecalendar 没有 {year} 年的节假日数据，无法确定{year}年{chinese}的放假日期；"
                f"请在工作方案的日历设置 calendar.holidays 中列出该节日"
                f"（key: {key}，first、last 为放假起止日期）"
            )
        merged_into = _COINCIDING.get((year, key))
        if merged_into is not None:
            return self.holiday_span(year, merged_into)
        raise CalendarError(
            f"{year} 年的节假日数据中没有{chinese}的放假安排"
            f"（2008 年以前清明节、端午节、中秋节不放假）"
        )

    # -- working-day arithmetic ----------------------------------------------------------

    def _walk(self, d: date, step: timedelta) -> date:
        for _ in range(_MAX_SCAN):
            if self.is_working_day(d):
                return d
            try:
                d += step
            except OverflowError:
                break
        raise CalendarError(f"从 {d.isoformat()} 起找不到工作日，请检查日历设置")

    def next_working_day(self, d: date, inclusive: bool = True) -> date:
        """The first working day on or after ``d`` (strictly after when not ``inclusive``)."""
        return self._walk(d if inclusive else d + _ONE_DAY, _ONE_DAY)

    def previous_working_day(self, d: date, inclusive: bool = True) -> date:
        """The last working day on or before ``d`` (strictly before when not ``inclusive``)."""
        return self._walk(d if inclusive else d - _ONE_DAY, -_ONE_DAY)

    def working_days_before(self, d: date, n: int) -> date:
        """The date ``n`` working days before ``d``.

        Counting starts from the last working day on or before ``d``: ``n == 0`` gives that
        day itself, ``n == 1`` the working day before it, and so on. Example (2011): from
        10-08 (a 调休 Saturday) ``n=0`` gives 10-08 and ``n=1`` gives 09-30. ``n`` must not be
        negative (``ValueError``).
        """
        if n < 0:
            raise ValueError(f"n must not be negative, got {n}")
        result = self.previous_working_day(d)
        for _ in range(n):
            result = self.previous_working_day(result, inclusive=False)
        return result

    def working_days_after(self, d: date, n: int) -> date:
        """The date ``n`` working days after ``d``.

        Counting starts from the first working day on or after ``d``: ``n == 0`` gives that
        day itself, ``n == 1`` the working day after it, and so on. Example (2011): from
        10-01 ``n=0`` gives 10-08 and ``n=1`` gives 10-09 (both 调休 weekend days). ``n``
        must not be negative (``ValueError``).
        """
        if n < 0:
            raise ValueError(f"n must not be negative, got {n}")
        result = self.next_working_day(d)
        for _ in range(n):
            result = self.next_working_day(result, inclusive=False)
        return result
