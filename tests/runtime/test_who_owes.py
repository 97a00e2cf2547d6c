"""Who owes is who must act, in a 2011 year: a point waiting for the province's decision is
the province's, the inspection report is the group lead's, and 上报率, 缺报名单, the report's
逾期未报的单位 and the 汇总表 say so."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.views.status import render_status
from tests.runtime.gd2011 import EIC, PROGRAMME_DIR, Year, example_ids, moment

#: Points the province has not decided yet in the spring: eic has not screened yunfu-1; the
#: provincial government has not approved zhanjiang-1 and maoming-1.
UNSCREENED = ("yunfu-1",)
UNAPPROVED = ("zhanjiang-1", "maoming-1")
#: Units all of whose points wait for the province.
WAITING_UNITS = {"yunfu", "zhanjiang", "maoming"}

#: The autumn: these points report their progress; the group leads report on them.
INSPECTED = ("zhanjiang-1", "maoming-1", "guangzhou-1")


@pytest.fixture(scope="module")
def spring_template(tmp_path_factory: pytest.TempPathFactory) -> Year:
    year = Year(tmp_path_factory.mktemp("spring"))
    year.at("2011-03-02T09:00").submit(EIC, "call-for-points")
    year.at("2011-03-15T10:00").enrol_example()
    year.at("2011-04-06T10:00").decide("screen", [i for i in example_ids() if i not in UNSCREENED])
    approved = [p for p in year.points_in("screened") if p not in UNAPPROVED]
    year.at("2011-04-20T10:00").decide("approve", approved)
    year.at("2011-05-05T10:00").submit("guangzhou", "work-plan")
    year.close()
    return year


@pytest.fixture
def spring(spring_template: Year, tmp_path: Path) -> Iterator[Year]:
    with Year.copy_of(spring_template, tmp_path / "store") as copy:
        yield copy


@pytest.fixture(scope="module")
def autumn_template(tmp_path_factory: pytest.TempPathFactory) -> Year:
    year = Year(tmp_path_factory.mktemp("autumn"))
    year.at("2011-03-15T10:00").enrol_example()
    year.at("2011-04-06T10:00").decide("screen", list(INSPECTED))
    year.decide("screen", [p for p in example_ids() if p not in INSPECTED], "reject", "未入选")
    year.at("2011-04-20T10:00").decide("approve", list(INSPECTED))
    for task, when in (
        ("work-plan", "2011-05-05T10:00"),
        ("measures", "2011-06-10T10:00"),
        ("progress", "2011-09-15T10:00"),
    ):
        year.at(when)
        for point in INSPECTED:
            year.submit(point.rpartition("-")[0], task, [point])
    year.close()
    return year


@pytest.fixture
def autumn(autumn_template: Year, tmp_path: Path) -> Iterator[Year]:
    with Year.copy_of(autumn_template, tmp_path / "store") as copy:
        yield copy


def status(year: Year, now: str, unit: str | None = None) -> dict[str, Any]:
    return year.app.status(unit, moment(now))


def step(report: dict[str, Any], step_id: str) -> dict[str, Any]:
    (found,) = [s for s in report["steps"] if s["step"] == step_id]
    return found


def shown(report: dict[str, Any], point_id: str) -> dict[str, Any]:
    (found,) = [p for p in report["points"] if p["id"] == point_id]
    return found


# --- the province's decisions ------------------------------------------------------------------


def test_no_unit_whose_points_wait_for_the_province_is_counted_in_any_rate(spring: Year) -> None:
    report = status(spring, "2011-07-05")

    for rate in report["steps"][1:]:  # proposals: every unit proposed
        assert WAITING_UNITS.isdisjoint(rate["missing"]), rate["step"]
    plan = step(report, "submit-plan")
    owing = set(spring.units_in("approved", "plan-filed"))
    assert set(plan["missing"]) | {"guangzhou"} == owing
    assert plan["total"] == len(owing) == 38


def test_the_provinces_pending_decisions_are_its_own_and_shown_as_such(spring: Year) -> None:
    report = status(spring, "2011-05-12")

    assert [(d["party"], d["label"], d["points"], d["overdue"]) for d in report["decisions"]] == [
        (EIC, "初步筛选", ["yunfu-1"], False),
        ("provincial-government", "省政府审定", list(UNAPPROVED), False),
    ]
    zhanjiang = shown(report, "zhanjiang-1")
    assert (zhanjiang["colour"], zhanjiang["owed_by"]) == ("blue", "provincial-government")
    text = render_status(report)
    assert "待决定：\n  省经济和信息化委 初步筛选：待决定 1 个突破点，涉及 云浮市" in text
    assert "  省政府 省政府审定：待决定 2 个突破点，涉及 湛江市、茂名市" in text
    assert "湛江市" not in text.split("上报率：")[1].split("待决定：")[0]


def test_a_unit_sees_no_decision_of_the_province_as_its_own_duty(spring: Year) -> None:
    report = status(spring, "2011-05-12", "zhanjiang")

    assert report["decisions"] == []
    assert report["colours"] == {"blue": 1}
    assert shown(report, "zhanjiang-1")["next_step_label"] == "省政府审定（待省政府决定）"


def test_the_status_of_the_government_shows_the_approvals_it_owes(spring: Year) -> None:
    report = status(spring, "2011-05-12", "provincial-government")

    assert report["points"] == []
    assert [(d["label"], d["points"]) for d in report["decisions"]] == [
        ("省政府审定", list(UNAPPROVED))
    ]


def test_the_summary_table_shows_the_wait_as_the_provinces_not_the_units_lateness(
    spring: Year,
) -> None:
    summary = spring.app.summary(moment("2011-07-05"))

    for row in summary["points"]:
        if row["point"] not in (*UNSCREENED, *UNAPPROVED):
            continue
        for trigger, cell in row["steps"].items():
            assert cell["overdue"] is None, (row["point"], trigger)
            assert not cell["verdict"].startswith("逾期"), (row["point"], trigger)
    row = next(r for r in summary["points"] if r["point"] == "zhanjiang-1")
    assert row["steps"]["submit-plan"]["verdict"] == "待省政府决定"
    row = next(r for r in summary["points"] if r["point"] == "yunfu-1")
    assert row["steps"]["submit-plan"]["verdict"] == "待省经济和信息化委决定"
    plan = summary["totals"]["submit-plan"]
    assert (plan["owed"], plan["waiting_decision"]) == (49, 3)


def test_the_reports_late_units_never_name_a_unit_waiting_for_the_province(
    spring: Year, tmp_path: Path
) -> None:
    spring.at("2011-07-05T10:00")
    page = spring.app.render(tmp_path / "out", warn=lambda _m: None).read_text(encoding="utf-8")

    late = re.search(r'<table class="late">.*?</table>', page, re.DOTALL)
    assert late
    assert "报送突破点工作方案（期限 2011-05-10）" in late.group(0)
    assert "深圳市" in late.group(0)  # its work plan is late: its own
    for name in ("湛江市", "茂名市", "云浮市"):
        assert name not in late.group(0)
    decisions = re.search(r'<table class="decisions">.*?</table>', page, re.DOTALL)
    assert decisions
    assert "湛江市、茂名市" in decisions.group(0)


# --- the inspection report ---------------------------------------------------------------------


def test_the_inspection_report_is_owed_by_the_group_leads(autumn: Year) -> None:
    inspect = step(status(autumn, "2011-11-02"), "inspect")

    assert (inspect["reported"], inspect["total"], inspect["missing"]) == (0, 2, [EIC, "land"])


def test_the_inspected_unit_is_not_red_for_the_leads_report(autumn: Year) -> None:
    report = status(autumn, "2011-11-02", "zhanjiang")

    point = shown(report, "zhanjiang-1")
    assert point["colour"] == "blue"
    assert point["next_step_label"] == "提交检查工作书面报告（待省国土资源厅报送）"
    assert "red" not in report["colours"]
    assert report["duties"] == []


def test_the_status_of_the_lead_shows_its_inspection_report(autumn: Year) -> None:
    report = status(autumn, "2011-11-02", "land")

    (duty,) = report["duties"]
    assert duty["role"] == "第五检查组组长单位"
    assert (duty["step"], duty["due"], duty["colour"]) == ("inspect", "2011-10-31", "red")
    assert duty["points"] == ["zhanjiang-1", "maoming-1"]
    assert duty["covers"] == [
        "zhanjiang",
        "maoming",
        "yangjiang",
        "environment",
        "transport",
        "agriculture",
    ]
    assert (
        "  红灯 第五检查组组长单位 省国土资源厅：提交检查工作书面报告（期限 2011-10-31），"
        "负责 湛江市、茂名市、阳江市、省环保厅、省交通厅、省农业厅；待报送 2 个突破点"
    ) in render_status(report)


def test_a_lead_that_reported_has_its_duty_green(autumn: Year) -> None:
    autumn.at("2011-10-20T10:00").submit("land", "inspection")

    (duty,) = status(autumn, "2011-11-02", "land")["duties"]
    assert (duty["colour"], duty["points"], duty["done"]) == ("green", [], 2)
    assert step(status(autumn, "2011-11-02"), "inspect")["missing"] == [EIC]


def test_the_summary_table_names_the_lead_beside_the_inspected_points_lateness(
    autumn: Year,
) -> None:
    summary = autumn.app.summary(moment("2011-11-02"))

    row = next(r for r in summary["points"] if r["point"] == "zhanjiang-1")
    assert row["steps"]["inspect"]["verdict"] == "逾期2天（省国土资源厅报送）"


def test_a_step_nobody_has_reached_says_so(spring: Year) -> None:
    report = status(spring, "2011-05-12")

    assert step(report, "inspect")["total"] == 0
    assert "提交检查工作书面报告（期限 2011-10-31）：尚无单位到达此环节" in render_status(report)


def test_the_reports_overview_puts_a_late_inspection_on_its_lead(
    autumn: Year, tmp_path: Path
) -> None:
    autumn.at("2011-11-02T10:00")
    page = autumn.app.render(tmp_path / "out", warn=lambda _m: None).read_text(encoding="utf-8")

    row = re.search(r'<tr data-point="zhanjiang-1"><td>([^<]*)</td>[^\n]*?检查工作书面报告', page)
    assert row
    assert row.group(1) == "省国土资源厅"
    late = re.search(r'<table class="late">.*?</table>', page, re.DOTALL)
    assert late
    assert "省国土资源厅" in late.group(0)
    assert "湛江市" not in late.group(0)
    duties = re.search(r'<table class="duties">.*?</table>', page, re.DOTALL)
    assert duties
    assert "第五检查组组长单位 省国土资源厅" in duties.group(0)


def test_a_decision_past_its_own_deadline_is_the_provinces_delay(tmp_path: Path) -> None:
    programme = tmp_path / "programme"
    shutil.copytree(PROGRAMME_DIR, programme)
    path = programme / "programme.yaml"
    text = path.read_text(encoding="utf-8")
    approve = text.index("- trigger: approve\n")
    at = text.index("      outcome: accept\n", approve) + len("      outcome: accept\n")
    deadline = (
        "      deadline:\n        phrase: 4月底\n        source: {document: programme, clause:"
        " 五、第1、2项, quote: 由省经济和信息化委汇总报省政府审定后发布}\n"
    )
    path.write_text(text[:at] + deadline + text[at:], encoding="utf-8")
    with Year(tmp_path / "store", programme) as year:
        year.at("2011-03-15T10:00").enrol_example()
        year.at("2011-04-06T10:00").decide("screen", ["zhanjiang-1"])

        report = status(year, "2011-05-03")
        summary = year.app.summary(moment("2011-05-03"))

    (decision,) = [d for d in report["decisions"] if d["party"] == "provincial-government"]
    assert (decision["due"], decision["overdue"], decision["points"]) == (
        "2011-04-30",
        True,
        ["zhanjiang-1"],
    )
    assert "省政府 省政府审定（期限 2011-04-30）：逾期待决定 1 个突破点" in render_status(report)
    row = next(r for r in summary["points"] if r["point"] == "zhanjiang-1")
    assert row["steps"]["submit-plan"]["verdict"] == "逾期待省政府决定"
    assert row["steps"]["submit-plan"]["overdue"] is None
