from __future__ import annotations

from datetime import date, datetime

import pytest

from engine.delivery.gongwen import (
    chinese_number,
    chinese_year,
    format_date,
    format_month_day,
    resolve_style,
)


def test_date_of_the_2011_notice_is_written_in_chinese_numerals() -> None:
    assert format_date(date(2011, 4, 26)) == "二〇一一年四月二十六日"


def test_tenth_of_october_writes_ten_as_shi() -> None:
    assert format_date(date(2011, 10, 10)) == "二〇一一年十月十日"


def test_last_day_of_2011_is_still_chinese() -> None:
    assert format_date(date(2011, 12, 31)) == "二〇一一年十二月三十一日"


def test_dates_from_2012_are_arabic_without_zero_padding() -> None:
    assert format_date(date(2012, 5, 18)) == "2012年5月18日"


def test_auto_switches_to_arabic_on_new_years_day_2012() -> None:
    assert format_date(date(2012, 1, 1)) == "2012年1月1日"


def test_chinese_style_writes_2020_with_ideographic_zero() -> None:
    assert format_date(date(2020, 1, 1), "chinese") == "二〇二〇年一月一日"


def test_auto_style_writes_2020_in_arabic() -> None:
    assert format_date(date(2020, 1, 1)) == "2020年1月1日"


def test_arabic_style_can_be_forced_before_2012() -> None:
    assert format_date(date(2011, 4, 26), "arabic") == "2011年4月26日"


def test_zero_is_u3007_never_ling_or_circle() -> None:
    written = format_date(date(2011, 4, 26), "chinese")
    assert "\u3007" in written
    assert "零" not in written
    assert "○" not in written


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "一"),
        (9, "九"),
        (10, "十"),
        (11, "十一"),
        (19, "十九"),
        (20, "二十"),
        (26, "二十六"),
        (30, "三十"),
        (31, "三十一"),
        (99, "九十九"),
    ],
)
def test_chinese_number(n: int, expected: str) -> None:
    assert chinese_number(n) == expected


@pytest.mark.parametrize("n", [0, 100, -3])
def test_chinese_number_refuses_numbers_outside_1_to_99(n: int) -> None:
    with pytest.raises(ValueError, match=r"1\.\.99"):
        chinese_number(n)


def test_chinese_year_writes_digit_by_digit() -> None:
    assert chinese_year(2011) == "二〇一一"
    assert chinese_year(2000) == "二〇〇〇"


def test_month_day_in_chinese_before_2012() -> None:
    assert format_month_day(date(2011, 5, 10)) == "五月十日"


def test_month_day_in_arabic_from_2012() -> None:
    assert format_month_day(date(2012, 5, 10)) == "5月10日"


def test_month_day_style_can_be_forced() -> None:
    assert format_month_day(date(2011, 5, 10), "arabic") == "5月10日"


def test_unknown_style_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown date style"):
        format_date(date(2011, 4, 26), "roman")  # type: ignore[arg-type]


def test_a_datetime_is_written_as_its_date() -> None:
    assert format_date(datetime(2011, 4, 26, 15, 30)) == "二〇一一年四月二十六日"


def test_something_that_is_not_a_date_is_refused() -> None:
    with pytest.raises(TypeError):
        format_date("2011-04-26")  # type: ignore[arg-type]


def test_resolve_style_tells_which_style_auto_picks() -> None:
    assert resolve_style(date(2011, 12, 31)) == "chinese"
    assert resolve_style(date(2012, 1, 1)) == "arabic"
