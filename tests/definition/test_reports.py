"""Recurring report rules: their occurrences in the programme year and the checks at load."""

from __future__ import annotations

import shutil
from datetime import date, time
from pathlib import Path

import pytest

from engine.definition.deadlines import calendar_for
from engine.definition.loader import load_definition
from engine.definition.reports import expand, find_occurrence, span_day
from engine.definition.schema import CalendarSettings, Report
from engine.errors import DefinitionError

CITY = Path(__file__).parents[1] / "programmes" / "city-tasks"
CAL = calendar_for(CalendarSettings())


def rule(every: str, **extra: object) -> Report:
    return Report.model_validate(
        {"id": "r", "label": "报送", "owed_by": ["owner"], "every": every, **extra}
    )


def test_monthly_occurrences_cover_each_month_with_its_due_day() -> None:
    found = expand(rule("每月28日前"), 2021, CAL)
    assert [o.key for o in found] == [f"2021-{m:02d}" for m in range(1, 13)]
    march = found[2]
    assert (march.label, march.covered_first, march.covered_last) == (
        "2021年3月",
        date(2021, 3, 1),
        date(2021, 3, 31),
    )
    assert (march.first, march.due) == (date(2021, 3, 1), date(2021, 3, 28))
    assert found[1].due == date(2021, 2, 28)


def test_next_month_reports_fall_due_in_the_next_year_for_december() -> None:
    found = expand(rule("次月10日前"), 2021, CAL)
    december = found[-1]
    assert (december.key, december.label) == ("2021-12", "2021年12月")
    assert december.covered_first == date(2021, 12, 1)
    assert december.due == date(2022, 1, 10)


def test_quarter_half_year_and_week_keys_and_labels() -> None:
    quarters = expand(rule("每季度末"), 2021, CAL)
    assert [(o.key, o.label, o.due) for o in quarters[:2]] == [
        ("2021-Q1", "第一季度", date(2021, 3, 31)),
        ("2021-Q2", "第二季度", date(2021, 6, 30)),
    ]
    halves = expand(rule("每半年"), 2022, CAL)
    assert [(o.key, o.label) for o in halves] == [("2022-H1", "上半年"), ("2022-H2", "下半年")]
    weeks = expand(rule("每周二中午12时前"), 2021, CAL)
    # 2021-01-04 is the first Monday of 2021 and ISO week 1.
    assert (weeks[0].key, weeks[0].label, weeks[0].due) == ("2021-W01", "第1周", date(2021, 1, 5))
    assert weeks[4].key == "2021-W05"
    assert weeks[0].due_time == time(12, 0)


def test_from_until_and_except_leave_periods_out() -> None:
    found = expand(
        rule("每月28日前", **{"from": "2021年3月", "until": "11月", "except": [8]}), 2021, CAL
    )
    assert [o.key for o in found] == [
        "2021-03",
        "2021-04",
        "2021-05",
        "2021-06",
        "2021-07",
        "2021-09",
        "2021-10",
        "2021-11",
    ]
    by_quarter = expand(rule("每月28日前", **{"from": "第二季度", "until": "2021-Q2"}), 2021, CAL)
    assert [o.key for o in by_quarter] == ["2021-04", "2021-05", "2021-06"]
    assert span_day("2021-W05", 2021, CAL) == (date(2021, 2, 1), date(2021, 2, 7))


def test_a_period_is_found_by_its_key_or_first_day() -> None:
    found = expand(rule("每季度末"), 2021, CAL)
    assert find_occurrence("2021-Q2", found) is found[1]
    assert find_occurrence("2021-04-01", found) is found[1]
    assert find_occurrence("2021-04-02", found) is None
    assert find_occurrence("2022-Q1", found) is None


def _load_changed(tmp_path: Path, old: str, new: str) -> list[tuple[int, str]]:
    text = (CITY / "programme.yaml").read_text(encoding="utf-8")
    assert old in text
    shutil.copy(CITY / "source.txt", tmp_path / "source.txt")
    (tmp_path / "programme.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_definition(tmp_path)
    return [(d.line, d.message) for d in info.value.diagnostics if d.severity == "error"]


def _line_of(text: str) -> int:
    """The line where ``text`` first begins in the test programme."""
    whole = (CITY / "programme.yaml").read_text(encoding="utf-8")
    return whole[: whole.index(text)].count("\n") + 1


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("every: 每月28日前", "every: 5月10日前", "须是周期性表述"),
        ("every: 每月28日前", "every: 每月32日前", "一个月没有32日"),
        ("owed_by: [owner]", "owed_by: [nobody]", "未定义的报送单位 nobody"),
        (
            "while: [plan-filed, in-progress]",
            "while: [plan-filed, waiting]",
            "未定义的状态 waiting",
        ),
        (
            "recipients: [gov-office]\n    reminders",
            "recipients: [mayor]\n    reminders",
            "未定义的单位或组 mayor",
        ),
        (
            "reminders: monthly\n    source: {document: notice, clause: 二, quote: 各",
            "reminders: weekly\n    source: {document: notice, clause: 二, quote: 各",
            "未定义的提醒规则 weekly",
        ),
        ("until: 2021年12月", "until: 2021年2月", "早于第一个"),
        ("until: 2021年12月", "until: 2021年13月", "没有13月"),
        ("from: 2021年3月", "from: 0000-03", "没有这个期间"),
        ("until: 2021年12月", "until: 9999-Q4", "没有这个期间"),
        ("except: [1, 2]", "except: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]", "except 除去了"),
        ("id: monthly-summary", "id: file-plan", "与事项同名"),
    ],
)
def test_bad_rules_are_refused_at_their_line(
    tmp_path: Path, old: str, new: str, words: str
) -> None:
    errors = _load_changed(tmp_path, old, new)
    assert len(errors) == 1, errors
    line, message = errors[0]
    assert words in message
    assert line == _line_of(old)


def test_a_span_with_no_occurrence_is_refused_at_every(tmp_path: Path) -> None:
    old = "from: 2021年3月\n    until: 2021年12月\n    every: 每月28日前"
    errors = _load_changed(
        tmp_path, old, old.replace("12月", "5月").replace("每月28日前", "每半年")
    )
    assert len(errors) == 1
    assert "一期也没有" in errors[0][1]
    assert errors[0][0] == _line_of(old) + 2


def test_while_is_only_for_owner(tmp_path: Path) -> None:
    errors = _load_changed(
        tmp_path, "owed_by: [gov-office]", "owed_by: [gov-office]\n    while: [in-progress]"
    )
    assert len(errors) == 1
    assert "while 只用于 owner" in errors[0][1]
    assert errors[0][0] == _line_of("owed_by: [gov-office]") + 1


def test_the_test_programme_validates_with_its_occurrences() -> None:
    definition = load_definition(CITY)
    assert len(definition.report_occurrences["monthly-progress"]) == 10
    summary = definition.report_occurrences["monthly-summary"]
    assert summary[0].key == "2021-03"
    assert summary[-1].due == date(2022, 1, 10)


PANJIN = Path(__file__).parents[2] / "workflows" / "panjin-2021"


def _panjin_changed(tmp_path: Path, old: str, new: str) -> Path:
    shutil.copytree(PANJIN, tmp_path / "panjin")
    path = tmp_path / "panjin" / "programme.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return tmp_path / "panjin"


def test_a_relation_owes_no_report_but_may_receive_one_owed_per_item(tmp_path: Path) -> None:
    folder = _panjin_changed(tmp_path / "a", "owed_by: [owner]", "owed_by: [leader]")
    with pytest.raises(DefinitionError) as info:
        load_definition(folder)
    (error,) = [d for d in info.value.diagnostics if d.severity == "error"]
    assert "leader 是关系（relations）" in error.message
    # The monthly report to each lead unit's own 分管市领导 as well as to 督考办.
    folder = _panjin_changed(tmp_path / "b", "recipients: [dukao]", "recipients: [dukao, leader]")
    assert load_definition(folder).programme.reports[0].recipients == ("dukao", "leader")
