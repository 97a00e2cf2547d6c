"""Deadline phrases: parsing the closed set and resolving it against the 2011 calendar."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.definition.phrases import (
    ACCEPTED_FORMS,
    Conventions,
    Phrase,
    Window,
    parse_phrase,
    resolve,
    resolve_text,
)
from engine.definition.workcal import WorkCalendar
from engine.errors import CalendarError, PhraseError

CAL = WorkCalendar()


def window(text: str, year: int = 2011, conventions: Conventions | None = None) -> Window:
    return resolve_text(text, year, CAL, conventions or Conventions())


def span(first: str, due: str) -> Window:
    return Window(date.fromisoformat(first), date.fromisoformat(due))


# -- the 2011 programme's phrases ---------------------------------------------------------


def test_5_10_before_is_due_on_the_10th_inclusive() -> None:
    assert window("5月10日前") == span("2011-05-10", "2011-05-10")


def test_mid_september_is_the_11th_to_the_20th() -> None:
    assert window("9月中旬") == span("2011-09-11", "2011-09-20")


def test_after_national_day_starts_on_the_tiaoxiu_saturday_10_08() -> None:
    assert window("国庆节后").first == date(2011, 10, 8)


def test_after_national_day_is_due_at_the_end_of_that_month() -> None:
    assert window("国庆节后").due == date(2011, 10, 31)


def test_before_year_end_is_due_on_12_31() -> None:
    assert window("年底前") == span("2011-12-01", "2011-12-31")


def test_end_of_april_is_the_25th_to_the_30th() -> None:
    assert window("4月底") == span("2011-04-25", "2011-04-30")


def test_early_march_is_the_1st_to_the_5th() -> None:
    assert window("3月初") == span("2011-03-01", "2011-03-05")


def test_chinese_month_november_is_the_whole_month() -> None:
    assert window("十一月") == span("2011-11-01", "2011-11-30")


def test_month_range_with_one_month_sign_covers_both_months() -> None:
    assert window("4-9月") == span("2011-04-01", "2011-09-30")


def test_month_range_with_two_month_signs_covers_both_months() -> None:
    assert window("3月-4月") == span("2011-03-01", "2011-04-30")


def test_chinese_numeral_day_twenty_six_is_read() -> None:
    assert window("四月二十六日") == span("2011-04-26", "2011-04-26")


def test_end_of_september_before_is_due_on_the_30th() -> None:
    assert window("9月底前") == span("2011-09-25", "2011-09-30")


def test_october_end_before_is_due_on_the_31st() -> None:
    assert window("10月底前").due == date(2011, 10, 31)


# -- the other forms ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "first", "due"),
    [
        ("3月上旬", "2011-03-01", "2011-03-10"),
        ("3月下旬", "2011-03-21", "2011-03-31"),
        ("2月下旬", "2011-02-21", "2011-02-28"),
        ("4月末", "2011-04-25", "2011-04-30"),
        ("6月", "2011-06-01", "2011-06-30"),
        ("6月份", "2011-06-01", "2011-06-30"),
        ("年初", "2011-01-01", "2011-01-31"),
        ("年底", "2011-12-01", "2011-12-31"),
        ("年末前", "2011-12-01", "2011-12-31"),
        ("5月10日以前", "2011-05-10", "2011-05-10"),
        ("5月10号之前", "2011-05-10", "2011-05-10"),
        ("十二月三十一日", "2011-12-31", "2011-12-31"),
        ("十月廿六日", "2011-10-26", "2011-10-26"),
        ("１０月８日", "2011-10-08", "2011-10-08"),
    ],
)
def test_each_accepted_form_resolves_to_its_window(text: str, first: str, due: str) -> None:
    assert window(text) == span(first, due)


@pytest.mark.parametrize("separator", ["-", "－", "~", "～", "〜", "—", "——", "–", "至", "到"])
def test_month_ranges_accept_every_usual_separator(separator: str) -> None:
    assert window(f"4{separator}9月") == span("2011-04-01", "2011-09-30")
    assert window(f"4月{separator}9月") == span("2011-04-01", "2011-09-30")


def test_whitespace_around_and_inside_a_phrase_is_ignored() -> None:
    phrase = parse_phrase("  5月 10日前 \n")
    assert phrase.text == "5月 10日前"
    assert resolve(phrase, 2011, CAL) == span("2011-05-10", "2011-05-10")


def test_parse_gives_a_structured_phrase() -> None:
    assert parse_phrase("9月中旬") == Phrase("9月中旬", "month_part", month=9, part="mid")
    assert parse_phrase("国庆后") == Phrase("国庆后", "holiday", holiday="national_day")
    assert parse_phrase("5月10日前").before


def test_after_spring_festival_starts_on_the_first_working_day_after_the_block() -> None:
    assert window("春节后") == span("2011-02-09", "2011-02-28")


def test_after_mid_autumn_starts_the_day_after_09_12() -> None:
    assert window("中秋节后").first == date(2011, 9, 13)


def test_before_a_holiday_is_the_last_working_day_before_it() -> None:
    assert window("国庆节前") == span("2011-09-30", "2011-09-30")
    assert window("五一前") == span("2011-04-29", "2011-04-29")


def test_before_new_year_means_the_new_year_closing_the_programme_year() -> None:
    assert window("元旦前") == span("2011-12-31", "2011-12-31")


def test_after_new_year_means_the_new_year_opening_the_programme_year() -> None:
    assert window("元旦后").first == date(2011, 1, 4)


def test_2012_national_day_resolves_with_2012_data() -> None:
    assert window("国庆节后", year=2012) == span("2012-10-08", "2012-10-31")


def test_holiday_after_days_sets_the_due_day_in_working_days() -> None:
    conventions = Conventions(holiday_after_days=2)
    assert window("国庆节后", conventions=conventions) == span("2011-10-08", "2011-10-10")


# -- conventions ---------------------------------------------------------------------------


def test_month_start_and_end_are_configurable() -> None:
    conventions = Conventions(month_start_last_day=10, month_end_first_day=21)
    assert window("3月初", conventions=conventions) == span("2011-03-01", "2011-03-10")
    assert window("4月底", conventions=conventions) == span("2011-04-21", "2011-04-30")


def test_year_start_and_end_are_configurable() -> None:
    conventions = Conventions(year_start_months=2, year_end_first_month=11)
    assert window("年初", conventions=conventions) == span("2011-01-01", "2011-02-28")
    assert window("年底", conventions=conventions) == span("2011-11-01", "2011-12-31")


def test_midyear_without_a_setting_asks_the_administrator_to_set_it() -> None:
    with pytest.raises(PhraseError, match=r"calendar\.midyear") as caught:
        window("年中")
    assert caught.value.phrase == "年中"


def test_midyear_resolves_as_the_configured_phrase() -> None:
    conventions = Conventions(midyear="7月上旬")
    assert window("年中", conventions=conventions) == span("2011-07-01", "2011-07-10")


def test_midyear_cannot_be_defined_as_itself() -> None:
    with pytest.raises(PhraseError, match="年中"):
        Conventions(midyear="年中")


def test_an_invalid_midyear_setting_is_a_phrase_error() -> None:
    with pytest.raises(PhraseError, match="年中间"):
        Conventions(midyear="年中间")


def test_month_start_after_month_end_is_rejected() -> None:
    with pytest.raises(CalendarError, match="月初"):
        Conventions(month_start_last_day=20, month_end_first_day=15)


def test_due_days_do_not_shift_by_default() -> None:
    # 2011-04-30 is inside 劳动节.
    assert window("4月底") == span("2011-04-25", "2011-04-30")


def test_shifting_moves_a_holiday_due_day_to_the_next_working_day() -> None:
    result = window("4月底", conventions=Conventions(shift_to_working_day=True))
    assert result == Window(date(2011, 4, 25), date(2011, 5, 3), shifted_from=date(2011, 4, 30))


def test_shifting_leaves_a_working_due_day_alone() -> None:
    # 2011-12-31 is a Saturday but a 调休 working day.
    result = window("年底前", conventions=Conventions(shift_to_working_day=True))
    assert result == span("2011-12-01", "2011-12-31")


# -- years without data --------------------------------------------------------------------


def test_2027_month_phrases_resolve_without_holiday_data() -> None:
    assert window("9月中旬", year=2027) == span("2027-09-11", "2027-09-20")


def test_2027_after_national_day_raises_calendar_error_without_settings() -> None:
    with pytest.raises(CalendarError, match=r"calendar\.holidays"):
        window("国庆节后", year=2027)


def test_2027_after_national_day_uses_holiday_spans_from_the_settings() -> None:
    cal = WorkCalendar(
        holiday_spans={(2027, "national_day"): (date(2027, 10, 1), date(2027, 10, 7))}
    )
    assert resolve_text("国庆节后", 2027, cal) == span("2027-10-08", "2027-10-31")


# -- errors -------------------------------------------------------------------------------


def test_an_unknown_phrase_names_itself_and_lists_the_accepted_forms() -> None:
    with pytest.raises(PhraseError) as caught:
        parse_phrase("下个月")
    assert caught.value.phrase == "下个月"
    assert "「下个月」" in caught.value.message
    assert caught.value.accepted == ACCEPTED_FORMS
    assert "X月上旬/中旬/下旬" in caught.value.message
    assert "国庆节后" in caught.value.message


def test_month_13_is_rejected() -> None:
    with pytest.raises(PhraseError, match=r"「13月」.*1 至 12"):
        parse_phrase("13月")


def test_february_30_is_rejected_naming_the_phrase() -> None:
    with pytest.raises(PhraseError, match=r"「2月30日」.*2月没有30日"):
        parse_phrase("2月30日")


def test_april_31_is_rejected() -> None:
    with pytest.raises(PhraseError, match="4月没有31日"):
        parse_phrase("4月31日")


def test_february_29_parses_but_fails_in_a_common_year() -> None:
    phrase = parse_phrase("2月29日")
    assert resolve(phrase, 2012, CAL) == span("2012-02-29", "2012-02-29")
    with pytest.raises(PhraseError, match="2011 年没有 2月29日"):
        resolve(phrase, 2011, CAL)


def test_a_month_range_running_backwards_is_rejected() -> None:
    with pytest.raises(PhraseError, match="晚于"):
        parse_phrase("9-4月")


def test_month_before_is_rejected_as_ambiguous() -> None:
    with pytest.raises(PhraseError, match="6月底前"):
        parse_phrase("6月前")


@pytest.mark.parametrize("text", ["", "   ", "二六日", "十十月", "5月10", "明年3月", "2011年5月"])
def test_malformed_phrases_are_phrase_errors(text: str) -> None:
    with pytest.raises(PhraseError):
        parse_phrase(text)


# -- properties ---------------------------------------------------------------------------

_ALPHABET = (
    "0123456789０５一二三四五六七八九十廿卅月日号初上中下旬底末前后以之份年-至到～ 国庆节春元旦"
)


@settings(deadline=None)
@given(st.text())
def test_parse_returns_a_phrase_or_raises_phrase_error_for_any_text(text: str) -> None:
    try:
        result = parse_phrase(text)
    except PhraseError:
        return
    assert isinstance(result, Phrase)


@settings(deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=12))
def test_parse_never_fails_otherwise_on_near_miss_text(text: str) -> None:
    try:
        result = parse_phrase(text)
    except PhraseError:
        return
    assert isinstance(result, Phrase)


_CN_NUMERALS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"]


@st.composite
def valid_phrases(draw: st.DrawFn) -> str:
    month = draw(st.integers(min_value=1, max_value=12))
    month_text = draw(st.sampled_from([str(month), _CN_NUMERALS[month - 1]]))
    form = draw(st.sampled_from(["day", "start", "part", "end", "month", "range", "year"]))
    if form == "day":
        day = draw(st.integers(min_value=1, max_value=28))
        return f"{month_text}月{day}日" + draw(st.sampled_from(["", "前", "之前"]))
    if form == "start":
        return f"{month_text}月初"
    if form == "part":
        return f"{month_text}月" + draw(st.sampled_from(["上旬", "中旬", "下旬"]))
    if form == "end":
        return f"{month_text}月" + draw(st.sampled_from(["底", "末", "底前", "末前"]))
    if form == "month":
        return f"{month_text}月"
    if form == "range":
        end = draw(st.integers(min_value=month, max_value=12))
        return f"{month}" + draw(st.sampled_from(["-", "月-", "月至"])) + f"{end}月"
    return draw(
        st.sampled_from(["年初", "年底", "年底前", "年末前", "国庆节后", "春节后", "中秋节后"])
    )


@settings(deadline=None)
@given(text=valid_phrases(), year=st.integers(min_value=2008, max_value=2026))
def test_valid_phrases_resolve_to_an_ordered_window_inside_the_year(text: str, year: int) -> None:
    result = resolve_text(text, year, CAL)
    assert result.first <= result.due
    assert result.first.year == year
    assert result.due.year == year
    assert result.shifted_from is None


@settings(deadline=None)
@given(text=valid_phrases(), year=st.integers(min_value=2008, max_value=2026))
def test_shifted_due_days_are_working_days_not_before_the_unshifted_ones(
    text: str, year: int
) -> None:
    plain = resolve_text(text, year, CAL)
    shifted = resolve_text(text, year, CAL, Conventions(shift_to_working_day=True))
    assert CAL.is_working_day(shifted.due)
    assert shifted.due >= plain.due
    assert (shifted.shifted_from is not None) == (shifted.due != plain.due)
