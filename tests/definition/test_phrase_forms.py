"""One-off phrases beyond the 2011 programme's: a written year, 次年, quarters and halves, a
time of day, a phrase's own 顺延 rule, and the closest forms offered for an unknown phrase.

Dates are checked against chinesecalendar's working days (2021 and 2024) and, for 2027, a
year it has no data for, against a programme's own holiday list.
"""

from __future__ import annotations

from datetime import date, time

import pytest

from engine.definition.deadlines import one_day
from engine.definition.phrases import (
    Conventions,
    Shift,
    Window,
    parse_phrase,
    resolve,
    resolve_text,
)
from engine.definition.workcal import WorkCalendar
from engine.errors import PhraseError

CAL = WorkCalendar()
# 2027: chinesecalendar has no data; a programme lists National Day and one 调休 Saturday.
CAL_2027 = WorkCalendar(
    extra_workdays=[date(2027, 10, 9)],
    holiday_spans={(2027, "national_day"): (date(2027, 10, 1), date(2027, 10, 7))},
)


def window(text: str, year: int, **conventions: object) -> Window:
    return resolve_text(text, year, CAL, Conventions(**conventions))  # type: ignore[arg-type]


def span(first: str, due: str, **extra: object) -> Window:
    return Window(date.fromisoformat(first), date.fromisoformat(due), **extra)  # type: ignore[arg-type]


# -- a written year -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "year", "first", "due"),
    [
        ("2021年2月3日前", 2021, "2021-02-03", "2021-02-03"),
        ("2021年2月3日", 2021, "2021-02-03", "2021-02-03"),
        ("二〇二一年二月三日前", 2021, "2021-02-03", "2021-02-03"),
        ("2022年10月底前", 2022, "2022-10-25", "2022-10-31"),
        ("2024年10月底前", 2024, "2024-10-25", "2024-10-31"),
        ("２０２４年９月中旬", 2024, "2024-09-11", "2024-09-20"),
        ("2021年底前", 2021, "2021-12-01", "2021-12-31"),
        ("2024年第一季度", 2024, "2024-01-01", "2024-03-31"),
        ("2024年上半年", 2024, "2024-01-01", "2024-06-30"),
    ],
)
def test_a_written_year_equal_to_the_programmes_resolves_in_it(
    text: str, year: int, first: str, due: str
) -> None:
    assert window(text, year) == span(first, due)


def test_a_written_year_may_be_the_next_one() -> None:
    # A 2021 programme's annual report due early the next year.
    assert window("2022年1月10日前", 2021) == span("2022-01-10", "2022-01-10")


@pytest.mark.parametrize(("text", "year"), [("2022年10月底前", 2020), ("2021年2月3日前", 2024)])
def test_a_year_neither_the_programmes_nor_the_next_names_both(text: str, year: int) -> None:
    with pytest.raises(PhraseError) as caught:
        window(text, year)
    message = caught.value.message
    assert f"「{text}」" in message
    assert "与方案年度" in message
    assert caught.value.phrase == text


def test_the_year_mismatch_message_names_the_programme_year() -> None:
    with pytest.raises(PhraseError, match=r"写明的年份 2020 年与方案年度 2024 年不符"):
        window("2020年5月10日前", 2024)


@pytest.mark.parametrize(
    ("text", "year", "first", "due"),
    [
        ("次年1月10日前", 2021, "2022-01-10", "2022-01-10"),
        ("次年一月十日前", 2024, "2025-01-10", "2025-01-10"),
        ("次年1月底前", 2021, "2022-01-25", "2022-01-31"),
        ("明年2月底前", 2024, "2025-02-25", "2025-02-28"),
        ("次年底前", 2024, "2025-12-01", "2025-12-31"),
        ("次年第一季度", 2021, "2022-01-01", "2022-03-31"),
    ],
)
def test_next_year_phrases_are_due_in_the_next_year(
    text: str, year: int, first: str, due: str
) -> None:
    phrase = parse_phrase(text)
    assert phrase.next_year
    assert resolve(phrase, year, CAL) == span(first, due)


def test_a_whole_month_with_a_year_is_refused_with_what_to_write() -> None:
    with pytest.raises(PhraseError, match="2021年5月底前"):
        parse_phrase("2021年5月")


# -- quarters and halves --------------------------------------------------------------------


@pytest.mark.parametrize("year", [2021, 2024])
@pytest.mark.parametrize(
    ("text", "first", "due"),
    [
        ("第一季度", "01-01", "03-31"),
        ("一季度", "01-01", "03-31"),
        ("1季度", "01-01", "03-31"),
        ("第二季度", "04-01", "06-30"),
        ("3季度", "07-01", "09-30"),
        ("第四季度", "10-01", "12-31"),
        ("一季度末", "03-25", "03-31"),
        ("第三季度末", "09-25", "09-30"),
        ("四季度末前", "12-25", "12-31"),
        ("上半年", "01-01", "06-30"),
        ("下半年", "07-01", "12-31"),
        ("上半年末", "06-25", "06-30"),
        ("年内", "01-01", "12-31"),
    ],
)
def test_quarters_and_halves(text: str, first: str, due: str, year: int) -> None:
    assert window(text, year) == span(f"{year}-{first}", f"{year}-{due}")


def test_a_quarters_end_follows_the_month_end_convention() -> None:
    assert window("一季度末", 2024, month_end_first_day=21) == span("2024-03-21", "2024-03-31")


def test_midyear_is_still_set_by_the_administrator() -> None:
    with pytest.raises(PhraseError, match=r"calendar\.midyear"):
        window("年中", 2024)
    assert window("年中", 2024, midyear="上半年") == span("2024-01-01", "2024-06-30")


def test_a_fifth_quarter_is_not_a_phrase() -> None:
    with pytest.raises(PhraseError):
        parse_phrase("第五季度")


# -- a time of day --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("5月10日17时前", time(17, 0)),
        ("五月十日十七时前", time(17, 0)),
        ("5月10日中午12时前", time(12, 0)),
        ("5月10日下午5时前", time(17, 0)),
        ("5月10日下午5点半前", time(17, 30)),
        ("5月10日17:00前", time(17, 0)),
        ("5月10日１７：３０前", time(17, 30)),
        ("5月10日上午9时30分前", time(9, 30)),
        ("2024年5月10日17时前", time(17, 0)),
    ],
)
def test_a_time_of_day_becomes_the_windows_due_time(text: str, moment: time) -> None:
    assert window(text, 2024) == span("2024-05-10", "2024-05-10", due_time=moment)


def test_without_a_time_the_due_time_is_the_end_of_the_day() -> None:
    assert window("5月10日前", 2024).due_time is None
    phrase = parse_phrase("5月10日24时前")
    assert phrase.has_time
    assert phrase.due_time is None


@pytest.mark.parametrize("text", ["5月10日25时前", "5月10日17:75前", "5月10日上午15时前"])
def test_impossible_times_are_refused(text: str) -> None:
    with pytest.raises(PhraseError):
        parse_phrase(text)


def test_a_time_alone_asks_for_the_day() -> None:
    with pytest.raises(PhraseError):
        parse_phrase("17时前")


def test_a_step_deadline_refuses_a_time_of_day() -> None:
    with pytest.raises(PhraseError, match="整日计算"):
        one_day("5月10日17时前")
    assert one_day("5月10日前").kind == "day"


# -- a day of the week in brackets ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "year", "due"),
    [
        ("5月10日（星期五）前", 2024, "2024-05-10"),
        ("5月10日(周一)前", 2021, "2021-05-10"),
        ("2月7日（星期日）", 2021, "2021-02-07"),  # a 调休 Sunday, worked
        ("5月10日（星期五）17时前", 2024, "2024-05-10"),
    ],
)
def test_a_written_weekday_that_matches_is_accepted(text: str, year: int, due: str) -> None:
    assert window(text, year).due == date.fromisoformat(due)


def test_a_written_weekday_that_does_not_match_names_the_real_one() -> None:
    with pytest.raises(PhraseError, match=r"2021-05-10 是星期一，表述中注明的是星期五"):
        window("5月10日（星期五）前", 2021)


def test_a_weekday_needs_a_single_day() -> None:
    with pytest.raises(PhraseError, match="具体某一天"):
        parse_phrase("5月底（星期五）前")


def test_a_step_deadline_lists_the_one_off_forms_and_the_closest_of_any_kind() -> None:
    with pytest.raises(PhraseError) as caught:
        one_day("周五")
    assert caught.value.suggestions[0] == "每周五"
    assert "每月X日前" not in caught.value.accepted
    assert "X月X日前" in caught.value.accepted


# -- a phrase's own shifting rule -----------------------------------------------------------


def test_a_phrase_that_shifts_moves_onto_a_tiaoxiu_sunday() -> None:
    # 2021-02-06 is a Saturday; 2021-02-07, a Sunday, was worked for 春节.
    assert window("2月6日前，遇节假日顺延", 2021) == span(
        "2021-02-06", "2021-02-07", shifted_from=date(2021, 2, 6)
    )
    # 2024-02-03 is a Saturday; 2024-02-04, a Sunday, was worked.
    assert window("2月3日前（遇节假日顺延）", 2024) == span(
        "2024-02-03", "2024-02-04", shifted_from=date(2024, 2, 3)
    )


def test_a_due_day_on_a_tiaoxiu_sunday_does_not_shift() -> None:
    assert window("2月7日前，遇节假日顺延", 2021) == span("2021-02-07", "2021-02-07")
    assert CAL.is_working_day(date(2021, 2, 7))


def test_shifting_to_the_nth_working_day_after_the_holiday() -> None:
    # 2021 劳动节: 05-01..05-05; the first working day after is 05-06, the second 05-07.
    assert window("5月1日前，遇节假日顺延至节假日结束后第二个工作日", 2021) == span(
        "2021-05-01", "2021-05-07", shifted_from=date(2021, 5, 1)
    )
    # 2024 劳动节: 05-01..05-05; 05-06 Monday is the first, 05-07 the second.
    assert window("5月1日前，遇节假日顺延至节假日结束后第2个工作日", 2024).due == date(2024, 5, 7)


def test_a_phrases_no_shift_beats_the_programmes_setting() -> None:
    plain = window("5月1日前，遇节假日不顺延", 2024, shift_to_working_day=True)
    assert plain == span("2024-05-01", "2024-05-01")
    assert parse_phrase("5月1日前，遇节假日不顺延").shift == Shift(False)


def test_the_conventions_may_shift_to_the_nth_working_day() -> None:
    shifted = window("10月1日前", 2024, shift_to_working_day=True, shift_working_days=2)
    # 2024 国庆: 10-01..10-07; 10-08 first, 10-09 second.
    assert shifted == span("2024-10-01", "2024-10-09", shifted_from=date(2024, 10, 1))


def test_the_number_of_days_to_shift_is_bounded() -> None:
    with pytest.raises(PhraseError, match="1 至 10"):
        parse_phrase("5月1日前，遇节假日顺延至节假日结束后第十五个工作日")


def test_a_year_without_data_uses_the_programmes_holidays() -> None:
    shifted = resolve_text("10月1日前，遇节假日顺延至节假日结束后第二个工作日", 2027, CAL_2027)
    # 10-08 (Friday) is the first working day after the listed holiday, 10-09 (a Saturday
    # the programme lists as worked) the second.
    assert shifted == span("2027-10-01", "2027-10-09", shifted_from=date(2027, 10, 1))
    assert resolve_text("2027年第四季度", 2027, CAL_2027) == span("2027-10-01", "2027-12-31")
    assert resolve_text("国庆节后", 2027, CAL_2027).first == date(2027, 10, 8)


# -- the closest forms ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "closest"),
    [
        ("5.10前", "5月10日前"),
        ("5月10前", "5月10日前"),
        ("2021-05-10", "2021年5月10日"),
        ("Q1", "第一季度"),
        ("5月10日下班前", "5月10日17时前"),
        ("5月10日前报送", "5月10日前"),
    ],
)
def test_an_unknown_phrase_names_the_closest_forms_first(text: str, closest: str) -> None:
    with pytest.raises(PhraseError) as caught:
        parse_phrase(text)
    assert caught.value.suggestions[0] == closest
    assert f"最接近的写法：「{closest}」" in caught.value.message
    # Each suggestion is itself accepted.
    for suggestion in caught.value.suggestions:
        parse_phrase(suggestion)


def test_a_similar_but_unknown_phrase_gets_close_examples() -> None:
    with pytest.raises(PhraseError) as caught:
        parse_phrase("五月上半月")
    assert "五月上旬" in caught.value.suggestions


def test_a_known_form_with_a_bad_day_gets_no_guesses() -> None:
    with pytest.raises(PhraseError) as caught:
        parse_phrase("2月30日")
    assert caught.value.suggestions == ()
