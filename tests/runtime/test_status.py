"""``docflow status``: each point's state, next step, due day and colour; 上报率 per step."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.refusals import UnknownUnit
from engine.runtime.service import NewPoint
from engine.views.status import render_status
from tests.runtime.gd2011 import (
    EIC,
    PROGRAMME_DIR,
    Year,
    example_ids,
    moment,
    run_cli,
)


def enrol_and_approve(year: Year) -> Year:
    year.at("2011-03-02T09:00").submit(EIC, "call-for-points")
    year.at("2011-03-15T10:00").enrol_example()
    ids = example_ids()
    year.at("2011-04-06T10:00")
    year.decide("screen", [i for i in ids if i not in ("jiangmen-2", "shunde-2")])
    year.decide("screen", ["jiangmen-2"], "reject", reason="与 jiangmen-1 重复")
    year.at("2011-04-20T10:00").decide("approve", year.points_in("screened"))
    return year


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Year:
    """jiangmen-2 screened out, shunde-2 still proposed, every other point approved."""
    year = enrol_and_approve(Year(tmp_path_factory.mktemp("approved")))
    year.close()
    return year


@pytest.fixture
def year(template: Year, tmp_path: Path) -> Iterator[Year]:
    with Year.copy_of(template, tmp_path / "store") as copy:
        yield copy


def status(year: Year, now: str, unit: str | None = None) -> dict[str, Any]:
    return year.app.status(unit, moment(now))


def point(report: dict[str, Any], point_id: str) -> dict[str, Any]:
    (found,) = [p for p in report["points"] if p["id"] == point_id]
    return found


def step(report: dict[str, Any], step_id: str) -> dict[str, Any]:
    (found,) = [s for s in report["steps"] if s["step"] == step_id]
    return found


def test_every_point_is_shown_with_its_unit_title_state_next_step_due_day_and_colour(
    year: Year,
) -> None:
    report = status(year, "2011-05-06")

    assert len(report["points"]) == 52
    assert point(report, "guangzhou-1") == {
        "id": "guangzhou-1",
        "unit": "guangzhou",
        "unit_name": "广州市",
        "co": [],
        "co_names": [],
        "group": None,
        "group_name": None,
        "title": "汽车产业链高端化",
        "state": "approved",
        "state_label": "已审定",
        "next_step": "work-plan",
        "next_step_label": "报送突破点工作方案",
        "due": "2011-05-10",
        "rectify": False,
        "colour": "yellow",
        "owed_by": "guangzhou",
    }


def test_a_point_waiting_for_a_decision_names_the_deciding_body_and_has_no_due_day(
    year: Year,
) -> None:
    shown = point(status(year, "2011-05-06"), "shunde-2")

    assert (shown["state"], shown["next_step"]) == ("proposed", "screen")
    assert shown["next_step_label"] == "初步筛选（待省经济和信息化委决定）"
    assert (shown["due"], shown["colour"]) == (None, "blue")


def test_a_summary_waiting_for_review_shows_its_acceptance_as_the_next_step(year: Year) -> None:
    year.at("2011-05-05T10:00").submit("dost", "work-plan")
    year.at("2011-06-20T10:00").submit("dost", "measures")
    year.at("2011-09-15T10:00").submit("dost", "progress")
    year.at("2011-10-12T10:00").submit(EIC, "inspection", ["dost-1"])
    year.at("2011-11-15T10:00").submit("dost", "summary")

    shown = point(status(year, "2011-11-16"), "dost-1")

    assert (shown["state"], shown["next_step"]) == ("summarised", "summary")
    assert shown["next_step_label"] == "总结审核通过，突破点办结（待省经济和信息化委决定）"


@pytest.mark.parametrize(
    ("today", "colour"),
    [
        ("2011-04-29", "blue"),  # 5 working days on (the May Day holiday skipped) is 05-09
        ("2011-05-03", "yellow"),  # 5 working days on is 05-10, the due day
        ("2011-05-10T23:59", "yellow"),  # the due day itself
        ("2011-05-11", "red"),  # the day after
    ],
)
def test_a_point_turns_yellow_within_five_working_days_and_red_once_overdue(
    year: Year, today: str, colour: str
) -> None:
    assert point(status(year, today), "zhuhai-1")["colour"] == colour


def test_a_point_in_a_final_state_is_green(year: Year) -> None:
    report = status(year, "2011-05-11")

    assert point(report, "jiangmen-2")["colour"] == "green"


def test_overdue_is_judged_on_the_beijing_day(year: Year) -> None:
    # 17:00 UTC on 05-10 is 01:00 on 05-11 in Beijing.
    report = status(year, "2011-05-10T17:00:00+00:00")

    assert point(report, "zhuhai-1")["colour"] == "red"


def test_the_colours_are_counted(year: Year) -> None:
    year.at("2011-05-05T10:00").submit("guangzhou", "work-plan")

    report = status(year, "2011-05-06")

    assert report["colours"] == {"blue": 3, "yellow": 48, "green": 1}


def test_the_warning_window_is_the_policys_warn_days(tmp_path: Path) -> None:
    programme = tmp_path / "gd-2011"
    shutil.copytree(PROGRAMME_DIR, programme)
    text = (programme / "programme.yaml").read_text(encoding="utf-8")
    marker = "    warn_days: 5             # 到期前 5 个工作日内亮黄灯"
    assert text.count(marker) == 1
    text = text.replace(marker, "    warn_days: 2")
    (programme / "programme.yaml").write_text(text, encoding="utf-8")
    with Year(tmp_path / "store", programme) as year:
        enrol_and_approve(year)
        colours = [
            point(status(year, today), "zhuhai-1")["colour"]
            for today in ("2011-05-05", "2011-05-06", "2011-05-10", "2011-05-11")
        ]

    assert colours == ["blue", "yellow", "yellow", "red"]


def test_each_steps_reporting_rate_names_the_units_that_have_not_reported(year: Year) -> None:
    year.at("2011-05-05T10:00")
    for unit in ("guangzhou", "shenzhen", "zhuhai"):
        year.submit(unit, "work-plan")

    plan = step(status(year, "2011-05-06"), "submit-plan")

    assert (plan["label"], plan["due"]) == ("报送突破点工作方案", "2011-05-10")
    assert (plan["reported"], plan["total"], plan["rate"]) == (3, 41, round(3 / 41, 4))
    assert "guangzhou" not in plan["missing"]
    assert plan["missing"][:2] == ["ndrc", "eic"]
    assert plan["missing_names"][:2] == ["省发展改革委", "省经济和信息化委"]


def test_a_unit_has_reported_only_when_all_its_points_have(year: Year) -> None:
    year.at("2011-05-05T10:00").submit("guangzhou", "work-plan", ["guangzhou-1"])

    plan = step(status(year, "2011-05-06"), "submit-plan")

    assert "guangzhou" in plan["missing"]


def test_the_proposals_rate_counts_units_that_proposed_a_point(tmp_path: Path) -> None:
    with Year(tmp_path) as year:
        year.at("2011-03-15T10:00")
        year.runtime.enrol([NewPoint("guangzhou", "广州一"), NewPoint("eic", "经信一")])
        proposals = step(status(year, "2011-03-16"), "proposals")

    assert (proposals["reported"], proposals["total"]) == (2, 41)
    assert "shunde" in proposals["missing"]


def test_the_rates_of_later_steps_are_listed_in_the_order_of_their_due_days(year: Year) -> None:
    steps = [s["step"] for s in status(year, "2011-05-06")["steps"]]

    assert steps == [
        "proposals",
        "submit-plan",
        "report-measures",
        "report-progress",
        "inspect",
        "submit-summary",
    ]


def test_programme_tasks_are_listed_with_their_due_days_and_whether_done(year: Year) -> None:
    tasks = {t["task"]: t for t in status(year, "2011-05-06")["tasks"]}

    assert tasks["call-for-points"]["done"] is True
    assert tasks["call-for-points"]["done_at"] == "2011-03-02T09:00:00+08:00"
    assert tasks["aggregate-progress"] == {
        "task": "aggregate-progress",
        "label": "汇总工作进展情况并报告省委、省政府",
        "due": "2011-09-30",
        "done": False,
        "done_at": None,
    }


def test_the_status_of_one_unit_shows_only_its_points(year: Year) -> None:
    report = status(year, "2011-05-06", "shenzhen")

    assert [p["id"] for p in report["points"]] == ["shenzhen-1", "shenzhen-2"]


def test_the_status_of_an_unknown_unit_is_refused(year: Year) -> None:
    with pytest.raises(UnknownUnit) as refused:
        status(year, "2011-05-06", "atlantis")
    assert refused.value.unit == "atlantis"


def test_the_table_shows_colours_and_the_units_missing_a_step(year: Year) -> None:
    text = render_status(status(year, "2011-05-11"))

    assert "红  zhuhai-1" in text
    assert "报送突破点工作方案（期限 2011-05-10）：0/41，0%；未报：省发展改革委" in text


def test_status_json_on_the_command_line_gives_the_same_report(year: Year) -> None:
    env = {"DOCFLOW_DB": str(year.db), "DOCFLOW_NOW": "2011-05-06T12:00"}
    year.close()

    result = run_cli(["status", str(PROGRAMME_DIR), "--json"], env)

    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    year.reopen()
    assert report == json.loads(
        json.dumps(status(year, "2011-05-06T12:00"), ensure_ascii=False, default=str)
    )


def test_status_now_on_the_command_line_sets_the_day_judged(year: Year) -> None:
    env = {"DOCFLOW_DB": str(year.db), "DOCFLOW_NOW": "2011-04-01T12:00"}

    result = run_cli(["status", str(PROGRAMME_DIR), "--json", "--now", "2011-05-11"], env)

    assert result.exit_code == 0, result.stderr
    shown = point(json.loads(result.stdout), "zhuhai-1")
    assert (shown["due"], shown["colour"]) == ("2011-05-10", "red")
