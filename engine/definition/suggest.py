"""The accepted phrases closest to one docflow cannot read.

Two sources, rule-based guesses first: rewrites of the usual slips ("5.10前" for 5月10日前,
"5月10前" without 日, "周五" without 每, "Q1", "下班前", a trailing 报送, ...), each kept only
when the rewritten text parses; then the examples of every form that ``difflib`` finds
closest to the text. The caller passes the parser (``parses``), so this module knows no
form itself.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence

__all__ = ["closest_forms"]

_MAX = 4

_CN = "一二三四"


def _quarter(match: re.Match[str]) -> str:
    return f"第{_CN[int(match.group(1)) - 1]}季度{match.group(2)}"


def _date(match: re.Match[str]) -> str:
    year, month, day, rest = match.groups()
    return f"{year}年{int(month)}月{int(day)}日{rest}"


def _month_day(match: re.Match[str]) -> str:
    month, day, rest = match.groups()
    return f"{int(month)}月{int(day)}日{rest}"


# (pattern, replacement) applied to the text without spaces; the result must parse.
_REWRITES: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"^([0-9]{4})[-./]([0-9]{1,2})[-./]([0-9]{1,2})(.*)$", _date),
        (r"^([0-9]{1,2})[./]([0-9]{1,2})(.*)$", _month_day),
        (
            r"^(.*?[0-9一二三四五六七八九十]月)([0-9]{1,2}|[一二三四五六七八九十廿卅]{1,4})"
            r"(前|以前|之前)?$",
            r"\1\2日\3",
        ),
        (r"^(.*?)号(.*)$", r"\1日\2"),
        (r"^(.*?)([上下])半月(.*)$", r"\1\2旬\3"),
        (r"^(?:周|星期|礼拜)([一二三四五六日天])(.*)$", r"每周\1\2"),
        (r"^每(?:礼拜|星期)([一二三四五六日天])(.*)$", r"每周\1\2"),
        (r"^[Qq]([1-4])(.*)$", _quarter),
        (r"^(.*?)下班前$", r"\g<1>17时前"),
        (r"^(.*?)(?:报送|上报|报出|完成|提交)$", r"\1"),
        (r"^([0-9]{1,2}|[一二三四五六七八九十廿卅]{1,4})[日号](前|以前|之前)?$", r"每月\1日\2"),
        (r"^([0-9]{1,3})(个工作日|日|天)(内|以内|之内)?$", r"收到通知后\1\2内"),
        (r"^(?:下一?|来)年(.*)$", r"次年\1"),
        (r"^(.*)季度(?:末|底)前?$", r"\1季度末"),
        (r"^每季度?$", r"每季度末"),
        (r"^半年$", r"上半年"),
    )
)
_MONTH = re.compile(r"([0-9]{1,2}|[一二三四五六七八九十]{1,3})月")


def closest_forms(
    text: str, examples: Sequence[str], parses: Callable[[str], bool]
) -> tuple[str, ...]:
    """Up to four accepted phrases close to ``text``: rewrites that parse, then examples."""
    key = "".join(text.split())
    found: list[str] = []
    for pattern, replacement in _REWRITES:
        candidate = pattern.sub(replacement, key, count=1)
        if candidate != key and candidate not in found and parses(candidate):
            found.append(candidate)
    month = _MONTH.search(key)
    for example in difflib.get_close_matches(key, examples, n=_MAX, cutoff=0.4):
        if month is not None:  # the example in the text's own month: 五月上半月 -> 五月上旬
            own = _MONTH.sub(month.group(0), example, count=1)
            example = own if parses(own) else example
        if example not in found:
            found.append(example)
    return tuple(found[:_MAX])
