"""The one-off phrase forms as users see them: the list every ``PhraseError`` shows, and one
written example of each form, from which the closest to an unknown phrase are chosen.

Kept beside :mod:`engine.definition.phrases`, whose table they follow; the recurring and
relative forms are listed in :mod:`engine.definition.periodic`.
"""

from __future__ import annotations

__all__ = ["ACCEPTED_FORMS", "EXAMPLES"]

#: The accepted forms, as examples; shown to the user by every parsing ``PhraseError``.
ACCEPTED_FORMS: tuple[str, ...] = (
    "X月X日",
    "X月X日前",
    "X月初",
    "X月上旬/中旬/下旬",
    "X月底/X月末",
    "X月底前",
    "X月",
    "X-Y月",
    "X月-Y月",
    "年初",
    "年中",
    "年底/年末",
    "年底前",
    "年内",
    "第一季度/一季度",
    "一季度末",
    "上半年/下半年",
    "国庆节后",
    "春节后",
    "劳动节后/五一后",
    "元旦后",
    "清明节后",
    "端午节后",
    "中秋节后",
    "国庆节前（其他节日同）",
    "2021年2月3日前（写明年份）",
    "次年1月10日前",
    "5月10日17时前/中午12时前/17:00前",
    "5月10日前，遇节假日顺延（至节假日结束后第N个工作日）/不顺延",
)

#: One written example of every one-off form, for "the closest accepted forms".
EXAMPLES: tuple[str, ...] = (
    "5月10日",
    "5月10日前",
    "3月初",
    "9月上旬",
    "9月中旬",
    "9月下旬",
    "4月底",
    "10月底前",
    "6月",
    "3-4月",
    "年初",
    "年中",
    "年底前",
    "年内",
    "国庆节后",
    "春节后",
    "国庆节前",
    "2021年2月3日前",
    "2022年10月底前",
    "次年1月10日前",
    "次年1月底前",
    "第一季度",
    "一季度末",
    "上半年",
    "下半年",
    "5月10日17时前",
    "5月10日中午12时前",
    "5月10日17:00前",
    "5月10日前，遇节假日顺延",
    "5月10日前，遇节假日顺延至节假日结束后第二个工作日",
)
