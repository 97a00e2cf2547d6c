"""The words around a deadline phrase: numerals, a time of day, a year, a shifting rule.

Shared by the one-off phrases (:mod:`engine.definition.phrases`) and the recurring and
relative ones (:mod:`engine.definition.periodic`). :func:`normalise` gives the key every
pattern is matched against; :func:`split_tail` takes off what a notice writes after the day
(遇节假日顺延…, 17时前, 报送上月…), :func:`split_year` what it writes before it (2021年, 次年).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

from engine.errors import PhraseError

__all__ = [
    "BEFORE",
    "NUM",
    "Covered",
    "Shift",
    "Tail",
    "chinese_number",
    "normalise",
    "split_tail",
    "split_year",
    "time_text",
]

NUM = r"([0-9]{1,2}|[一二三四五六七八九十廿卅]{1,4})"
BEFORE = r"(前|以前|之前)?"

_FULL_WIDTH = str.maketrans("０１２３４５６７８９：（）", "0123456789:()")
_SEPARATORS = re.compile(r"——|[-‐‑–—−－~～〜至到]")
_CN_DIGITS = {c: i for i, c in enumerate("一二三四五六七八九", start=1)}
_YEAR_DIGITS = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"零": "0", "○": "0"}


def chinese_number(token: str) -> int | None:
    """An Arabic or Chinese numeral (一 .. 九十九, 廿X, 卅X) as an int, or None."""
    if token.isascii():
        return int(token) if token.isdigit() else None
    if token[0] in "廿卅":
        rest = token[1:]
        tens = 2 if token[0] == "廿" else 3
        if rest == "":
            return tens * 10
        return tens * 10 + _CN_DIGITS[rest] if rest in _CN_DIGITS else None
    match = re.fullmatch(r"([一二三四五六七八九]?)(十?)([一二三四五六七八九]?)", token)
    if match is None:
        return None
    tens_digit, ten, units = match.groups()
    if not ten:
        return _CN_DIGITS[units or tens_digit] if bool(units) != bool(tens_digit) else None
    return 10 * (_CN_DIGITS[tens_digit] if tens_digit else 1) + (_CN_DIGITS[units] if units else 0)


def normalise(text: str) -> str:
    """The phrase without spaces, with half-width digits, colon and parentheses."""
    return "".join(text.split()).translate(_FULL_WIDTH)


def unify_separators(key: str) -> str:
    """Every range sign (至, 到, ～, dashes) as ``-``; only after ``split_tail``, whose
    顺延至 the separators would otherwise break."""
    return _SEPARATORS.sub("-", key)


# -- the shifting rule -----------------------------------------------------------------------


@dataclass(frozen=True)
class Shift:
    """A phrase's own 顺延 rule: ``shift`` or not, to the ``nth`` working day after the days off.

    遇节假日顺延 is ``Shift(True, 1)``; 遇节假日顺延至节假日结束后第二个工作日 ``Shift(True, 2)``;
    遇节假日不顺延 ``Shift(False)``.
    """

    shift: bool
    nth: int = 1

    def __str__(self) -> str:
        if not self.shift:
            return "遇节假日不顺延"
        if self.nth == 1:
            return "遇节假日顺延至下一个工作日"
        return f"遇节假日顺延至节假日结束后第{'一二三四五六七八九十'[self.nth - 1]}个工作日"


_SHIFT = re.compile(
    r"[,，、;；]?\(?(?:(?:如|若)?遇|[\u4e00-\u9fff0-9]{1,6}为)?(?:法定)?(?:节假日|节日|假日|休息日)"
    r"(?:的)?[,，]?(?:则)?(?:[\u4e00-\u9fff]{0,8}?)"
    r"(不顺延|顺延(?:至(?:节假日结束后|节后|假期结束后)(?:的)?第" + NUM + r"个工作日)?)(.*?)\)?$"
)

# -- the period a recurring report covers -------------------------------------------------

Covered = str  # "current" | "previous"

_COVERED = re.compile(
    r"(?:报送|上报|报)(上一?个?月|上一?季度|上一?周|上半年|本月|当月|本季度|当季度?|本周|当周)"
    r"(?:的?[\u4e00-\u9fff]{0,10})?$"
)

# -- the time of day -------------------------------------------------------------------------

_CLOCK = re.compile(r"([0-9]{1,2}):([0-9]{2})(前|以前|之前)?$")
_HOUR = re.compile(
    r"(上午|中午|下午|晚上|晚)?" + NUM + r"[时点](?:" + NUM + r"分|(半))?(前|以前|之前)?$"
)


def time_text(moment: time | None) -> str:
    """17:00 as notices write it in tables; None (the end of the day) as 当日24时."""
    return "当日24时" if moment is None else moment.strftime("%H:%M")


@dataclass(frozen=True)
class Tail:
    """What ``split_tail`` took off a phrase's end."""

    rest: str
    due_time: time | None = None
    has_time: bool = False  # a time was written (24时 gives ``due_time`` None)
    shift: Shift | None = None
    covered: str | None = None  # the covered-period word as written (上月, 上周 ...)


def _hour(text: str, period: str | None, hour_token: str, minute: int) -> tuple[time | None, bool]:
    hour = chinese_number(hour_token)
    if hour is None:
        raise PhraseError(text, f"「{hour_token}」不是可识别的钟点")
    if period in ("下午", "晚上", "晚") and 1 <= hour < 12:
        hour += 12
    if period == "上午" and hour > 12:
        raise PhraseError(text, f"上午没有{hour}时")
    if not 0 <= hour <= 24 or not 0 <= minute <= 59 or (hour == 24 and minute):
        raise PhraseError(text, f"{hour}时{minute}分不是一天中的时刻（应在 0 时至 24 时之间）")
    return (None if hour == 24 else time(hour, minute)), True


def split_tail(text: str, key: str) -> Tail:
    """Take the shifting rule, the covered period and the time of day off ``key``'s end."""
    shift = None
    match = _SHIFT.search(key)
    if match is not None:
        nth = 1
        if match.group(2) is not None:
            found = chinese_number(match.group(2))
            if found is None or not 1 <= found <= 10:
                raise PhraseError(text, f"顺延的工作日数「{match.group(2)}」应在 1 至 10 之间")
            nth = found
        shift = Shift(not match.group(1).startswith("不"), nth)
        repeated = match.group(3)  # "...第二个工作日中午12时前": the time said again
        key = key[: match.start()].rstrip(",，、;；")
        if repeated:
            again = split_tail(text, "日" + repeated)
            if again.rest not in ("日", "日前") or not again.has_time:
                raise PhraseError(text, f"顺延规定后的「{repeated}」无法识别")
            main = split_tail(text, key)
            if main.has_time and main.due_time != again.due_time:
                raise PhraseError(text, "顺延后的时刻与到期时刻不同，请只写一个时刻")
            if not main.has_time:
                raise PhraseError(text, "只在顺延规定中写了时刻，请把时刻写在到期日之后")
    covered = None
    match = _COVERED.search(key)
    if match is not None and match.start() > 0:
        covered = match.group(1)
        key = key[: match.start()]
    due_time: time | None = None
    has_time = False
    clock = _CLOCK.search(key)
    hour = _HOUR.search(key)
    if clock is not None and clock.start() > 0:
        due_time, has_time = _hour(text, None, clock.group(1), int(clock.group(2)))
        key = key[: clock.start()] + (clock.group(3) or "")
    elif hour is not None and hour.start() > 0:
        minute = 30 if hour.group(4) else 0
        if hour.group(3) is not None:
            found = chinese_number(hour.group(3))
            if found is None:
                raise PhraseError(text, f"「{hour.group(3)}」不是可识别的分钟数")
            minute = found
        due_time, has_time = _hour(text, hour.group(1), hour.group(2), minute)
        key = key[: hour.start()] + (hour.group(5) or "")
    return Tail(key, due_time, has_time, shift, covered)


# -- the year ----------------------------------------------------------------------------

_YEAR = re.compile(r"([0-9]{4}|[〇零○一二三四五六七八九]{4})年(?:度)?")
_NEXT_YEAR = re.compile(r"(?:次|明|翌|下一?)年(?:度)?")
_KEEP_YEAR_WORD = "底末初中内"  # 2021年底: the 年 belongs to 年底


def split_year(key: str) -> tuple[int | None, bool, str]:
    """(the year written, whether 次年/明年 was written, the rest of ``key``)."""
    for pattern, is_next in ((_YEAR, False), (_NEXT_YEAR, True)):
        match = pattern.match(key)
        if match is None:
            continue
        rest = key[match.end() :]
        if rest[:1] in _KEEP_YEAR_WORD and rest:
            rest = "年" + rest
        if is_next:
            return None, True, rest
        digits = "".join(_YEAR_DIGITS.get(c, c) for c in match.group(1))
        return int(digits), False, rest
    return None, False, key
