"""``rectify_within`` (整改期限) on a return transition: what validate accepts and refuses."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from engine.definition.loader import load_definition
from engine.definition.periodic import due_after, rectify_period
from engine.definition.workcal import WorkCalendar
from engine.errors import DefinitionError, PhraseError
from tests.runtime.test_rectify import RETURN_PLAN, rectifying_programme


@pytest.mark.parametrize(
    ("text", "n", "working"),
    [("5个工作日内", 5, True), ("10日内", 10, False), ("退回后三个工作日内", 3, True)],
)
def test_the_forms_a_return_may_give(text: str, n: int, working: bool) -> None:
    found = rectify_period(text)
    assert (found.n, found.working, found.text) == (n, working, text)


@pytest.mark.parametrize("text", ["收到通知后5个工作日内", "5月10日前", "尽快"])
def test_a_phrase_not_counted_from_the_return_is_refused(text: str) -> None:
    with pytest.raises(PhraseError, match="整改期限应从退回之日起算"):
        rectify_period(text)


def test_counted_over_a_holiday_by_the_working_day_calendar() -> None:
    # 2011-09-30 (Friday) + 3 working days: 国庆 1-7 October off, 10-08 (Saturday) and
    # 10-09 (Sunday) 调休 working days, so the third is 10-10.
    window = due_after(rectify_period("3个工作日内"), date(2011, 9, 30), WorkCalendar())
    assert window.due == date(2011, 10, 10)


def test_validate_accepts_it_on_a_return(tmp_path: Path) -> None:
    definition = load_definition(rectifying_programme(tmp_path, "10日内"))
    assert definition.index.transitions["return-plan"].rectify_within == "10日内"


def errors_for(folder: Path) -> list[str]:
    with pytest.raises(DefinitionError) as info:
        load_definition(folder)
    return [f"{d.line}: {d.message}" for d in info.value.diagnostics if d.severity == "error"]


def test_validate_refuses_a_phrase_not_counted_from_the_return(tmp_path: Path) -> None:
    folder = rectifying_programme(tmp_path, "6月底前")
    [error] = errors_for(folder)
    lines = (folder / "programme.yaml").read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines, 1) if "rectify_within" in line)
    assert error.startswith(f"{at}: ")
    assert "整改期限应从退回之日起算" in error
    assert "请改写 rectify_within" in error


def test_validate_refuses_it_on_a_decision_that_is_no_return(tmp_path: Path) -> None:
    folder = rectifying_programme(tmp_path)
    path = folder / "programme.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace(f"{RETURN_PLAN}      rectify_within: 5个工作日内\n", RETURN_PLAN)
    approve = (
        "      outcome: accept\n      source_clause: {document: programme, clause: 五、第1、2项"
    )
    assert text.count(approve) == 1
    text = text.replace(
        approve, approve.replace("accept\n", "accept\n      rectify_within: 5日内\n")
    )
    path.write_text(text, encoding="utf-8")
    [error] = errors_for(folder)
    assert "不是退回的决定（outcome: return），不能规定整改期限" in error
