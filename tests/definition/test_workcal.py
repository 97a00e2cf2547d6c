"""The working-day calendar, checked against the 2011 facts in DOMAIN.md and chinesecalendar."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.definition.workcal import HOLIDAY_NAMES, WorkCalendar, holiday_key
from engine.errors import CalendarError


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


# -- official data -----------------------------------------------------------------------


def test_years_2004_to_2026_have_official_data(cal: WorkCalendar) -> None:
    assert cal.has_official_data(2004)
    assert cal.has_official_data(2011)
    assert cal.has_official_data(2026)


def test_years_outside_the_package_have_no_official_data(cal: WorkCalendar) -> None:
    assert not cal.has_official_data(2003)
    assert not cal.has_official_data(2027)


def test_years_without_data_lists_each_missing_year_once_in_order(cal: WorkCalendar) -> None:
    assert cal.years_without_data([2028, 2011, 2027, 2028, 2003]) == [2003, 2027, 2028]


def test_2011_04_30_is_a_labour_day_holiday(cal: WorkCalendar) -> None:
    assert not cal.is_working_day(date(2011, 4, 30))
    assert cal.holiday_name(date(2011, 4, 30)) == "劳动节"


def test_2011_labour_day_block_is_04_30_to_05_02(cal: WorkCalendar) -> None:
    assert cal.holiday_span(2011, "labour_day") == (date(2011, 4, 30), date(2011, 5, 2))


def test_2011_mid_autumn_takes_09_10_to_09_12(cal: WorkCalendar) -> None:
    assert cal.holiday_span(2011, "mid_autumn_festival") == (date(2011, 9, 10), date(2011, 9, 12))
    assert cal.holiday_name(date(2011, 9, 12)) == "中秋节"
    assert not cal.is_working_day(date(2011, 9, 12))


def test_2011_national_day_block_is_10_01_to_10_07(cal: WorkCalendar) -> None:
    assert cal.holiday_span(2011, "national_day") == (date(2011, 10, 1), date(2011, 10, 7))
    assert all(not cal.is_working_day(date(2011, 10, d)) for d in range(1, 8))


def test_2011_10_08_saturday_and_10_09_sunday_were_working_days(cal: WorkCalendar) -> None:
    assert date(2011, 10, 8).weekday() == 5
    assert cal.is_working_day(date(2011, 10, 8))
    assert cal.is_working_day(date(2011, 10, 9))


def test_2011_12_31_saturday_was_a_working_day(cal: WorkCalendar) -> None:
    assert date(2011, 12, 31).weekday() == 5
    assert cal.is_working_day(date(2011, 12, 31))


def test_an_ordinary_weekday_is_a_working_day_with_no_holiday_name(cal: WorkCalendar) -> None:
    assert cal.is_working_day(date(2011, 5, 10))
    assert cal.holiday_name(date(2011, 5, 10)) is None


def test_an_ordinary_weekend_is_not_a_working_day_and_has_no_holiday_name(
    cal: WorkCalendar,
) -> None:
    assert not cal.is_working_day(date(2011, 5, 14))
    assert cal.holiday_name(date(2011, 5, 14)) is None


def test_a_tiaoxiu_working_day_has_no_holiday_name(cal: WorkCalendar) -> None:
    assert cal.holiday_name(date(2011, 10, 8)) is None


def test_holiday_names_come_back_in_chinese(cal: WorkCalendar) -> None:
    assert cal.holiday_name(date(2011, 10, 1)) == "国庆节"
    assert cal.holiday_name(date(2011, 2, 3)) == "春节"
    assert cal.holiday_name(date(2011, 1, 1)) == "元旦"
    assert cal.holiday_name(date(2011, 4, 5)) == "清明节"
    assert cal.holiday_name(date(2011, 6, 6)) == "端午节"


def test_a_weekend_inside_a_holiday_block_takes_the_holiday_name(cal: WorkCalendar) -> None:
    # The package lists 2011-06-04 and 06-06 for 端午节 but not Sunday 06-05.
    assert cal.holiday_name(date(2011, 6, 5)) == "端午节"
    assert cal.holiday_span(2011, "dragon_boat_festival") == (date(2011, 6, 4), date(2011, 6, 6))


def test_2011_spring_festival_block_is_02_02_to_02_08(cal: WorkCalendar) -> None:
    assert cal.holiday_span(2011, "spring_festival") == (date(2011, 2, 2), date(2011, 2, 8))


def test_2012_national_day_uses_2012_data_merged_with_mid_autumn(cal: WorkCalendar) -> None:
    assert cal.holiday_span(2012, "national_day") == (date(2012, 9, 30), date(2012, 10, 7))


def test_2023_national_day_returns_the_whole_block_merged_with_mid_autumn(
    cal: WorkCalendar,
) -> None:
    assert cal.holiday_span(2023, "national_day") == (date(2023, 9, 29), date(2023, 10, 6))


def test_new_years_day_is_the_block_holding_1_january(cal: WorkCalendar) -> None:
    assert cal.holiday_span(2024, "new_years_day") == (date(2023, 12, 30), date(2024, 1, 1))
    assert cal.holiday_span(2011, "new_years_day") == (date(2011, 1, 1), date(2011, 1, 3))


def test_an_unknown_holiday_key_is_a_calendar_error(cal: WorkCalendar) -> None:
    with pytest.raises(CalendarError, match="christmas"):
        cal.holiday_span(2011, "christmas")


def test_holiday_key_accepts_chinese_short_forms() -> None:
    assert holiday_key("国庆") == "national_day"
    assert holiday_key("五一") == "labour_day"
    assert holiday_key("中秋") == "mid_autumn_festival"
    assert holiday_key("圣诞节") is None


# -- years without data --------------------------------------------------------------------


def test_2027_falls_back_to_monday_to_friday_without_raising(cal: WorkCalendar) -> None:
    assert cal.is_working_day(date(2027, 10, 1))  # a Friday, no data
    assert not cal.is_working_day(date(2027, 10, 2))  # a Saturday


def test_2027_has_no_holiday_names_without_settings(cal: WorkCalendar) -> None:
    assert cal.holiday_name(date(2027, 10, 1)) is None


def test_extra_holidays_and_workdays_apply_to_a_year_without_data() -> None:
    cal = WorkCalendar(
        extra_holidays={date(2027, 10, 1): "国庆节"}, extra_workdays=[date(2027, 10, 9)]
    )
    assert not cal.is_working_day(date(2027, 10, 1))
    assert cal.holiday_name(date(2027, 10, 1)) == "国庆节"
    assert cal.is_working_day(date(2027, 10, 9))  # a Saturday


def test_extras_override_the_package() -> None:
    cal = WorkCalendar(
        extra_holidays={date(2011, 5, 10): "调整"}, extra_workdays=[date(2011, 10, 3)]
    )
    assert not cal.is_working_day(date(2011, 5, 10))
    assert cal.is_working_day(date(2011, 10, 3))


def test_holiday_span_for_a_year_without_data_raises_calendar_error_in_chinese(
    cal: WorkCalendar,
) -> None:
    with pytest.raises(CalendarError, match=r"2027.*calendar\.holidays") as caught:
        cal.holiday_span(2027, "national_day")
    assert "没有 2027 年的节假日数据" in caught.value.message


def test_holiday_spans_give_a_year_without_data_its_holiday() -> None:
    span = (date(2027, 10, 1), date(2027, 10, 7))
    cal = WorkCalendar(holiday_spans={(2027, "national_day"): span})
    assert cal.holiday_span(2027, "national_day") == span


def test_days_inside_holiday_spans_are_days_off_named_after_the_holiday() -> None:
    cal = WorkCalendar(
        holiday_spans={(2027, "national_day"): (date(2027, 10, 1), date(2027, 10, 7))}
    )
    assert not cal.is_working_day(date(2027, 10, 4))  # a Monday
    assert cal.holiday_name(date(2027, 10, 4)) == "国庆节"


def test_extra_holidays_named_after_a_holiday_give_its_span() -> None:
    days = {date(2027, 10, d): "国庆" for d in range(1, 8)}
    cal = WorkCalendar(extra_holidays=days)
    assert cal.holiday_span(2027, "national_day") == (date(2027, 10, 1), date(2027, 10, 7))


def test_a_day_listed_both_as_holiday_and_workday_is_rejected() -> None:
    with pytest.raises(CalendarError, match="2027-10-01"):
        WorkCalendar(
            extra_holidays={date(2027, 10, 1): "国庆节"}, extra_workdays=[date(2027, 10, 1)]
        )


def test_a_holiday_span_ending_before_it_starts_is_rejected() -> None:
    with pytest.raises(CalendarError, match="国庆节"):
        WorkCalendar(holiday_spans={(2027, "national_day"): (date(2027, 10, 7), date(2027, 10, 1))})


def test_a_holiday_span_with_an_unknown_key_is_rejected() -> None:
    with pytest.raises(CalendarError, match="christmas"):
        WorkCalendar(holiday_spans={(2027, "christmas"): (date(2027, 12, 25), date(2027, 12, 25))})


# -- working-day arithmetic around 2011-10-08 ---------------------------------------------


def test_next_working_day_after_national_day_2011_is_the_saturday_10_08(cal: WorkCalendar) -> None:
    assert cal.next_working_day(date(2011, 10, 1)) == date(2011, 10, 8)


def test_next_working_day_is_inclusive_by_default(cal: WorkCalendar) -> None:
    assert cal.next_working_day(date(2011, 10, 8)) == date(2011, 10, 8)


def test_next_working_day_not_inclusive_skips_the_day_itself(cal: WorkCalendar) -> None:
    assert cal.next_working_day(date(2011, 10, 8), inclusive=False) == date(2011, 10, 9)


def test_previous_working_day_before_national_day_2011_is_09_30(cal: WorkCalendar) -> None:
    assert cal.previous_working_day(date(2011, 10, 7)) == date(2011, 9, 30)
    assert cal.previous_working_day(date(2011, 10, 8), inclusive=False) == date(2011, 9, 30)


def test_working_days_after_zero_is_the_first_working_day_on_or_after(cal: WorkCalendar) -> None:
    assert cal.working_days_after(date(2011, 10, 1), 0) == date(2011, 10, 8)


def test_working_days_after_counts_tiaoxiu_weekend_days(cal: WorkCalendar) -> None:
    assert cal.working_days_after(date(2011, 10, 1), 1) == date(2011, 10, 9)
    assert cal.working_days_after(date(2011, 10, 1), 2) == date(2011, 10, 10)


def test_working_days_before_zero_is_the_last_working_day_on_or_before(cal: WorkCalendar) -> None:
    assert cal.working_days_before(date(2011, 10, 7), 0) == date(2011, 9, 30)
    assert cal.working_days_before(date(2011, 10, 8), 0) == date(2011, 10, 8)


def test_working_days_before_steps_back_over_the_holiday(cal: WorkCalendar) -> None:
    assert cal.working_days_before(date(2011, 10, 8), 1) == date(2011, 9, 30)
    assert cal.working_days_before(date(2011, 10, 10), 2) == date(2011, 10, 8)


def test_negative_working_day_counts_are_rejected(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="negative"):
        cal.working_days_after(date(2011, 10, 1), -1)
    with pytest.raises(ValueError, match="negative"):
        cal.working_days_before(date(2011, 10, 1), -1)


def test_arithmetic_crosses_into_a_year_without_data(cal: WorkCalendar) -> None:
    # 2026-12-31 is a Thursday; 2027-01-01 (no data) is a Friday, 01-04 a Monday.
    assert cal.working_days_after(date(2026, 12, 31), 1) == date(2027, 1, 1)
    assert cal.working_days_after(date(2026, 12, 31), 2) == date(2027, 1, 4)


# -- properties ---------------------------------------------------------------------------

_SHARED = WorkCalendar()
_days = st.dates(min_value=date(2003, 1, 1), max_value=date(2028, 12, 31))


@settings(deadline=None)
@given(d=_days, n=st.integers(min_value=0, max_value=30))
def test_working_days_after_lands_on_a_working_day_not_before_the_start(d: date, n: int) -> None:
    cal = _SHARED
    result = cal.working_days_after(d, n)
    assert cal.is_working_day(result)
    assert result >= d
    working = sum(cal.is_working_day(d + timedelta(days=i)) for i in range((result - d).days + 1))
    assert working == n + 1


@settings(deadline=None)
@given(d=_days, n=st.integers(min_value=0, max_value=30))
def test_working_days_before_undoes_working_days_after(d: date, n: int) -> None:
    cal = _SHARED
    start = cal.next_working_day(d)
    assert cal.working_days_before(cal.working_days_after(start, n), n) == start


@settings(deadline=None)
@given(year=st.integers(min_value=2008, max_value=2026), key=st.sampled_from(sorted(HOLIDAY_NAMES)))
def test_every_official_holiday_span_is_a_block_of_days_off_between_working_days(
    year: int, key: str
) -> None:
    cal = _SHARED
    first, last = cal.holiday_span(year, key)
    assert first <= last
    assert cal.is_working_day(first - timedelta(days=1))
    assert cal.is_working_day(last + timedelta(days=1))
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    assert not any(cal.is_working_day(d) for d in days)


def test_mid_autumn_2020_shares_the_national_day_block_it_fell_in(cal: WorkCalendar) -> None:
    assert cal.holiday_span(2020, "mid_autumn_festival") == (date(2020, 10, 1), date(2020, 10, 8))


def test_traditional_festivals_before_2008_have_no_span(cal: WorkCalendar) -> None:
    with pytest.raises(CalendarError, match="2008 年以前"):
        cal.holiday_span(2007, "dragon_boat_festival")


def test_extra_holiday_names_given_as_keys_come_back_in_chinese() -> None:
    cal = WorkCalendar(extra_holidays={date(2027, 10, 1): "national_day", date(2027, 5, 3): "五一"})
    assert cal.holiday_name(date(2027, 10, 1)) == "国庆节"
    assert cal.holiday_name(date(2027, 5, 3)) == "劳动节"
