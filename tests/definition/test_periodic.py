"""Recurring phrases (每月X日前, 每周X, 次月, 单月/双月, 每季度, 每半年) listed occurrence by
occurrence, across a year end; relative phrases (收到通知后N个工作日内 ...) counted over
holidays; and both refused in a step's single deadline."""

from __future__ import annotations

from datetime import date, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.definition.deadlines import one_day
from engine.definition.periodic import (
    Occurrence,
    Recurrence,
    Relative,
    due_after,
    occurrences,
    parse_any,
)
from engine.definition.phrases import Conventions, Phrase
from engine.definition.workcal import WorkCalendar
from engine.errors import PhraseError

CAL = WorkCalendar()
CAL_2027 = WorkCalendar(
    extra_workdays=[date(2027, 9, 26), date(2027, 10, 9)],
    holiday_spans={(2027, "national_day"): (date(2027, 10, 1), date(2027, 10, 7))},
)


def recurrence(text: str) -> Recurrence:
    found = parse_any(text)
    assert isinstance(found, Recurrence), found
    return found


def relative(text: str) -> Relative:
    found = parse_any(text)
    assert isinstance(found, Relative), found
    return found


def listed(
    text: str, year: int, calendar: WorkCalendar = CAL, **conventions: object
) -> list[Occurrence]:
    return occurrences(recurrence(text), year, calendar, Conventions(**conventions))  # type: ignore[arg-type]


def dues(text: str, year: int, calendar: WorkCalendar = CAL, **conventions: object) -> list[str]:
    return [o.due.isoformat() for o in listed(text, year, calendar, **conventions)]


def d(text: str) -> date:
    return date.fromisoformat(text)


# -- monthly --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["每月10日前", "每月十日前", "每个月的10号前", "每月１０日"])
@pytest.mark.parametrize("year", [2021, 2024])
def test_monthly_day_is_due_on_that_day_of_every_month(text: str, year: int) -> None:
    found = listed(text, year)
    assert [o.due for o in found] == [date(year, m, 10) for m in range(1, 13)]
    assert [o.covered_first for o in found] == [date(year, m, 1) for m in range(1, 13)]
    assert found[0].window.first == date(year, 1, 1)


def test_monthly_day_31_is_each_months_last_day_in_shorter_months() -> None:
    assert dues("每月31日前", 2024)[:4] == ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"]
    assert dues("每月31日前", 2021)[1] == "2021-02-28"


def test_each_months_end() -> None:
    assert dues("每月底前", 2021)[:2] == ["2021-01-31", "2021-02-28"]
    assert dues("每月月末", 2024)[1] == "2024-02-29"


def test_each_months_last_working_day_follows_tiaoxiu() -> None:
    # January 2022: 01-31 was 春节 eve off; the last working day was Sunday 01-30 (调休).
    assert dues("每月最后一个工作日", 2022)[0] == "2022-01-30"
    # September 2024: Sunday 09-29 and Monday 09-30 were worked; 2021: Thursday 09-30.
    assert dues("每月最后一个工作日", 2024)[8] == "2024-09-30"
    assert dues("每月最后一个工作日", 2021)[8] == "2021-09-30"
    # February 2021: 02-11..02-17 off, 02-20 (Saturday) worked, 02-26 Friday the last.
    assert dues("每月最后一个工作日", 2021)[1] == "2021-02-26"


def test_each_months_first_working_day() -> None:
    # 2021-02-01 Monday; 2024-10: 10-01..10-07 off, 10-08 first.
    assert dues("每月第一个工作日", 2021)[1] == "2021-02-01"
    assert dues("每月第一个工作日", 2024)[9] == "2024-10-08"


def test_next_months_day_covers_each_month_and_runs_into_the_next_year() -> None:
    for year in (2021, 2024):
        found = listed("次月10日前", year)
        assert len(found) == 12
        assert found[0].covered_first == date(year, 1, 1)
        assert found[0].covered_last == date(year, 1, 31)
        assert found[0].window.first == date(year, 2, 1)
        assert found[0].due == date(year, 2, 10)
        december = found[-1]
        assert (december.covered_first, december.covered_last) == (
            date(year, 12, 1),
            date(year, 12, 31),
        )
        assert december.due == date(year + 1, 1, 10)


def test_reporting_the_previous_month_is_the_same_as_next_month() -> None:
    assert dues("每月10日前报送上一个月的工作情况", 2024) == dues("次月10日前", 2024)
    assert recurrence("每月10日前报送上月情况").previous


def test_a_monthly_report_that_shifts_moves_off_the_weekend() -> None:
    # 2024-02-10 is a Saturday inside 春节 (02-10..02-17); 02-18 (Sunday) was worked.
    found = listed("次月10日前", 2024, shift_to_working_day=True)
    assert found[0].due == date(2024, 2, 18)
    assert found[0].window.shifted_from == date(2024, 2, 10)
    # 2024-11-10 is a Sunday: the report on October moves to Monday 11-11.
    assert found[9].due == date(2024, 11, 11)


def test_odd_and_even_months() -> None:
    assert dues("单月10日前", 2024) == [f"2024-{m:02}-10" for m in (1, 3, 5, 7, 9, 11)]
    assert dues("双月之十日前", 2021) == [f"2021-{m:02}-10" for m in (2, 4, 6, 8, 10, 12)]
    assert recurrence("双月10日前").label == "双月"


def test_odd_months_reporting_the_month_before_cross_the_year_end() -> None:
    found = listed("单月10日前报送上月情况", 2024)
    assert [o.covered_first.month for o in found] == [2, 4, 6, 8, 10, 12]
    assert found[-1].due == date(2025, 1, 10)


# -- weekly ---------------------------------------------------------------------------------


def test_every_friday_of_2021() -> None:
    found = listed("每周五", 2021)
    # 2021-01-04 is the first Monday; the week of Monday 12-27 is due Friday 12-31.
    assert found[0].covered_first == date(2021, 1, 4)
    assert found[0].due == date(2021, 1, 8)
    assert found[-1].due == date(2021, 12, 31)
    assert len(found) == 52
    assert all(o.due.weekday() == 4 for o in found)


def test_a_weekly_report_whose_week_starts_in_december_is_due_in_january() -> None:
    found = listed("每周五前", 2024)
    assert len(found) == 53
    assert found[-1].covered_first == date(2024, 12, 30)
    assert found[-1].due == date(2025, 1, 3)


def test_the_ministry_weekly_rule_with_time_and_its_own_shift() -> None:
    text = (
        "每周二中午12时前报送上周情况，周二为节假日的，"
        "信息报送时间顺延至节假日结束后的第二个工作日中午12时前"
    )
    rule = recurrence(text)
    assert rule.previous
    assert rule.due_time == time(12, 0)
    assert rule.shift is not None
    assert rule.shift.nth == 2
    found = occurrences(rule, 2024, CAL)
    # The week of 2024-01-01 is reported on Tuesday 01-09.
    assert (found[0].covered_first, found[0].due) == (date(2024, 1, 1), date(2024, 1, 9))
    assert found[0].window.due_time == time(12, 0)
    # Tuesday 2024-02-13 fell in 春节 (02-10..02-17): Sunday 02-18 (调休) is the first
    # working day after it, Monday 02-19 the second.
    sixth = found[5]
    assert sixth.window.shifted_from == date(2024, 2, 13)
    assert sixth.due == date(2024, 2, 19)
    # Tuesday 2024-10-01: the second working day after 国庆 is 10-09.
    october = next(o for o in found if o.window.shifted_from == date(2024, 10, 1))
    assert october.due == date(2024, 10, 9)


@pytest.mark.parametrize(("text", "weekday"), [("每周一", 0), ("每星期三", 2), ("每周日", 6)])
def test_weekdays_are_read_in_every_spelling(text: str, weekday: int) -> None:
    assert {o.due.weekday() for o in listed(text, 2021)} == {weekday}


# -- quarters and halves --------------------------------------------------------------------


@pytest.mark.parametrize("text", ["每季度末", "季度末", "每季末"])
def test_each_quarters_end(text: str) -> None:
    assert dues(text, 2024) == ["2024-03-31", "2024-06-30", "2024-09-30", "2024-12-31"]


def test_quarter_last_month_day() -> None:
    assert dues("每季度最后一个月20日前", 2021) == [
        "2021-03-20",
        "2021-06-20",
        "2021-09-20",
        "2021-12-20",
    ]
    found = listed("每季度最后一个月二十日前", 2024)
    assert found[2].window.first == date(2024, 7, 1)


def test_quarter_last_month_day_written_with_de() -> None:
    # 蔡政办〔2023〕1号 writes 「每季度最后一个月的30日前」; the 2023 third quarter's falls in
    # the National Day holiday and the fourth quarter's on a Saturday (neither is shifted).
    assert dues("每季度最后一个月的30日前", 2023) == [
        "2023-03-30",
        "2023-06-30",
        "2023-09-30",
        "2023-12-30",
    ]


def test_quarter_first_month_reporting_the_previous_quarter() -> None:
    found = listed("每季度第一个月10日前报送上季度情况", 2024)
    assert [o.due.isoformat() for o in found] == [
        "2024-04-10",
        "2024-07-10",
        "2024-10-10",
        "2025-01-10",
    ]
    assert found[-1].covered_first == date(2024, 10, 1)


def test_every_half_year() -> None:
    assert dues("每半年", 2021) == ["2021-06-30", "2021-12-31"]


def test_days_after_each_quarter_ends_cross_the_year_end() -> None:
    assert dues("每季度结束后15日内", 2024) == [
        "2024-04-15",
        "2024-07-15",
        "2024-10-15",
        "2025-01-15",
    ]
    # Working days after each month: January 2021's report is due on the 5th working day
    # of February (02-01..02-05).
    assert dues("每月结束后5个工作日内", 2021)[0] == "2021-02-05"
    # September 2024's: 10-08, 10-09, 10-10, 10-11, 10-12 (a 调休 Saturday).
    assert dues("每月结束后5个工作日内", 2024)[8] == "2024-10-12"


def test_a_year_beyond_the_data_uses_the_programmes_holidays() -> None:
    # 2027: the programme lists 国庆 10-01..10-07 and 调休 Sundays/Saturdays 09-26, 10-09.
    assert dues("每月最后一个工作日", 2027, CAL_2027)[8] == "2027-09-30"
    found = listed("次月8日前", 2027, CAL_2027, shift_to_working_day=True)
    assert found[8].due == date(2027, 10, 8)  # a Friday after the holiday
    weekly = listed("每周日", 2027, CAL_2027)
    assert any(o.due == date(2027, 9, 26) for o in weekly)
    assert CAL_2027.is_working_day(date(2027, 9, 26))
    assert not CAL_2027.is_working_day(date(2027, 10, 4))


# -- relative -------------------------------------------------------------------------------


def test_working_days_after_receipt_skip_the_national_day_holiday() -> None:
    rule = relative("收到通知后5个工作日内")
    assert (rule.anchor, rule.n, rule.working) == ("收到通知", 5, True)
    # Received Friday 2024-09-27: 09-29 (Sunday, worked), 09-30, then 10-08, 10-09, 10-10.
    window = due_after(rule, date(2024, 9, 27), CAL)
    assert (window.first, window.due) == (date(2024, 9, 27), date(2024, 10, 10))
    # Received Wednesday 2021-09-29: 09-30, 10-08, 10-09 (a 调休 Saturday), 10-11, 10-12.
    assert due_after(rule, date(2021, 9, 29), CAL).due == date(2021, 10, 12)


def test_calendar_days_after_approval_do_not_shift_by_default() -> None:
    rule = relative("审定后10日内")
    assert not rule.working
    assert due_after(rule, date(2024, 9, 27), CAL).due == date(2024, 10, 7)
    shifted = due_after(rule, date(2024, 9, 27), CAL, Conventions(shift_to_working_day=True))
    assert (shifted.due, shifted.shifted_from) == (date(2024, 10, 8), date(2024, 10, 7))


def test_a_relative_phrase_with_its_own_shift() -> None:
    rule = relative("审定后10日内，遇节假日顺延")
    assert due_after(rule, date(2021, 9, 24), CAL).due == date(2021, 10, 8)


@pytest.mark.parametrize(
    ("text", "anchor", "n", "working"),
    [
        ("退回后3个工作日内", "退回", 3, True),
        ("自印发之日起30日内", "印发", 30, False),
        ("接到通知后十个工作日内", "收到通知", 10, True),
        ("收到本通知之日起15天内", "收到通知", 15, False),
        ("报送后5个工作日内", "报送", 5, True),
    ],
)
def test_relative_forms(text: str, anchor: str, n: int, working: bool) -> None:
    rule = relative(text)
    assert (rule.anchor, rule.n, rule.working) == (anchor, n, working)


def test_returned_items_over_a_year_without_data() -> None:
    rule = relative("退回后3个工作日内")
    # 2027-09-30 Thursday; 10-01..10-07 listed off; 10-08 (1), 10-09 Saturday worked (2),
    # 10-11 (3).
    assert due_after(rule, date(2027, 9, 30), CAL_2027).due == date(2027, 10, 11)


# -- in a step's deadline -------------------------------------------------------------------


def test_a_recurring_phrase_in_a_step_deadline_is_refused_naming_its_form() -> None:
    with pytest.raises(PhraseError) as caught:
        one_day("每季度末")
    assert caught.value.phrase == "每季度末"
    assert "周期性时限（每季度一次）" in caught.value.message


def test_a_relative_phrase_in_a_step_deadline_is_refused_naming_its_event() -> None:
    with pytest.raises(PhraseError, match="相对时限（自「审定」之日起 10 日）"):
        one_day("审定后10日内")


def test_any_phrase_reads_one_off_phrases_as_before() -> None:
    found = parse_any("5月10日前")
    assert isinstance(found, Phrase)
    assert found.kind == "day"


def test_an_unknown_phrase_of_any_kind_names_close_recurring_forms() -> None:
    with pytest.raises(PhraseError) as caught:
        parse_any("周五")
    assert caught.value.suggestions[0] == "每周五"
    with pytest.raises(PhraseError) as caught:
        parse_any("5个工作日内")
    assert caught.value.suggestions[0] == "收到通知后5个工作日内"
    with pytest.raises(PhraseError) as caught:
        parse_any("下月10日前")
    assert "次月10日前" in caught.value.suggestions


_ALPHABET = "0123456789一二三四五十每月周季度半年日号前后内个工作次单双末底最后第上报送收到通知审定退回起时点分:，遇节假日顺延至结束不"


@settings(deadline=None, max_examples=300)
@given(st.text(alphabet=_ALPHABET, max_size=16))
def test_any_text_parses_or_raises_a_phrase_error(text: str) -> None:
    try:
        found = parse_any(text)
    except PhraseError:
        return
    assert isinstance(found, (Phrase, Recurrence, Relative))
    if isinstance(found, Recurrence):
        listed = occurrences(found, 2024, CAL)
        assert listed
        assert all(o.window.first <= o.due for o in listed)
        assert all(o.covered_first.year == 2024 for o in listed)
