"""Dates written the way 公文 write them.

GB/T 9704-1999 had the 成文日期 in Chinese numerals, the year digit by digit with 〇
(U+3007) for zero: 二〇一一年四月二十六日. GB/T 9704-2012, which replaced it on 2012-07-01,
writes Arabic numerals without zero padding: 2012年5月18日. ``style="auto"`` follows the
project's rule: documents dated before 2012 in Chinese numerals, from 2012 on in Arabic ones
(the year is what decides; see ``ARABIC_FROM_YEAR``).

::

    format_date(date(2011, 4, 26))            -> "二〇一一年四月二十六日"
    format_date(date(2012, 5, 18))            -> "2012年5月18日"
    format_date(date(2011, 4, 26), "arabic")  -> "2011年4月26日"
    format_month_day(date(2011, 5, 10))       -> "五月十日"
    chinese_number(26)                        -> "二十六"
"""

from __future__ import annotations

from datetime import date
from typing import Literal, get_args

__all__ = [
    "ARABIC_FROM_YEAR",
    "DateStyle",
    "chinese_number",
    "chinese_year",
    "format_date",
    "format_month_day",
    "resolve_style",
]

DateStyle = Literal["auto", "chinese", "arabic"]

#: From this year on ``style="auto"`` writes Arabic numerals.
ARABIC_FROM_YEAR = 2012

# 〇 is U+3007 IDEOGRAPHIC NUMBER ZERO: neither 零 nor the circle ○ (U+25CB).
_DIGITS = "〇一二三四五六七八九"
_STYLES: tuple[str, ...] = get_args(DateStyle)


def chinese_number(n: int) -> str:
    """Write 1..99 in Chinese numerals as dates do: 一, 十, 十一, 二十, 二十六, 三十一."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"chinese_number() expects an int, not {type(n).__name__}")
    if not 1 <= n <= 99:
        raise ValueError(f"chinese_number() covers 1..99, not {n}")
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS[ones]
    head = "" if tens == 1 else _DIGITS[tens]
    return head + "十" + (_DIGITS[ones] if ones else "")


def chinese_year(year: int) -> str:
    """Write a year digit by digit: 2011 -> 二〇一一, 2020 -> 二〇二〇."""
    if isinstance(year, bool) or not isinstance(year, int) or year < 1:
        raise ValueError(f"not a year: {year!r}")
    return "".join(_DIGITS[int(c)] for c in str(year))


def resolve_style(d: date, style: str = "auto") -> Literal["chinese", "arabic"]:
    """The concrete style ``format_date`` uses for ``d``."""
    if style not in _STYLES:
        raise ValueError(f"unknown date style {style!r}; expected one of {', '.join(_STYLES)}")
    if style == "auto":
        return "chinese" if d.year < ARABIC_FROM_YEAR else "arabic"
    return "chinese" if style == "chinese" else "arabic"


def _check_date(d: object) -> date:
    if not isinstance(d, date):
        raise TypeError(f"expected a date, not {type(d).__name__}")
    return d


def format_date(d: date, style: DateStyle = "auto") -> str:
    """Write ``d`` as a 公文 date.

    ``"chinese"``: 二〇一一年四月二十六日; ``"arabic"``: 2012年5月18日; ``"auto"``: by the year.
    A ``datetime`` is accepted and written as its date.
    """
    d = _check_date(d)
    if resolve_style(d, style) == "chinese":
        return f"{chinese_year(d.year)}年{chinese_number(d.month)}月{chinese_number(d.day)}日"
    return f"{d.year}年{d.month}月{d.day}日"


def format_month_day(d: date, style: DateStyle = "auto") -> str:
    """五月十日 (``"chinese"``) or 5月10日 (``"arabic"``); ``"auto"`` decides by the year."""
    d = _check_date(d)
    if resolve_style(d, style) == "chinese":
        return f"{chinese_number(d.month)}月{chinese_number(d.day)}日"
    return f"{d.month}月{d.day}日"
