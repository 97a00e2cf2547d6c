"""Views as of a moment: status, the 汇总表 and the report as the trail had them then.

One store runs the spring of 2011 (built once for the module; the tests only read it, those
that write work on a copy): the call for points on 03-02, the example points enrolled on
03-15 except agriculture's (03-20), screening on 04-06, approval on 04-20, zhuhai's request
for an extension on 05-06 granted to 05-20 on 05-09, guangzhou's work plans on 05-12 and a
second point of chaozhou enrolled on 05-16; the clock stands at 06-01.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from engine.errors import DefinitionChanged, OutsideTheTrail
from engine.refusals import NotYetEnrolled, UnknownPoint
from engine.runtime.pointsfile import read_points_file
from engine.runtime.service import NewPoint
from engine.views.status import render_status
from tests.runtime.gd2011 import (
    BACKENDS,
    EIC,
    EXAMPLE_POINTS,
    PROGRAMME_DIR,
    Year,
    database,
    moment,
    run_cli,
)

NOW = "2011-06-01T10:00"
LATE_UNIT = "agriculture"  # its example point is enrolled five days after the others


def spring(year: Year) -> Year:
    """The spring of 2011 as the module docstring tells it."""
    points = read_points_file(EXAMPLE_POINTS)
    year.at("2011-03-02T09:00").submit(EIC, "call-for-points")
    year.at("2011-03-15T10:00").runtime.enrol([p for p in points if p.unit != LATE_UNIT])
    year.at("2011-03-20T10:00").runtime.enrol([p for p in points if p.unit == LATE_UNIT])
    year.at("2011-04-06T10:00")
    year.decide("screen", [p for p in year.states() if p != "jiangmen-2"], reason="符合条件")
    year.decide("screen", ["jiangmen-2"], "reject", reason="与 jiangmen-1 重复")
    year.at("2011-04-20T10:00").decide("approve", year.points_in("screened"))
    year.at("2011-05-06T10:00").submit("zhuhai", "extension", ["zhuhai-1"])
    year.at("2011-05-09T10:00").decide("extension", ["zhuhai-1"], until=date(2011, 5, 20))
    year.at("2011-05-12T10:00").submit("guangzhou", "work-plan")
    year.at("2011-05-16T10:00").runtime.enrol([NewPoint("chaozhou", "潮州市新增突破点")])
    year.at(NOW)
    return year


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Year]:
    with spring(Year(tmp_path_factory.mktemp("spring"))) as year:
        yield year


@pytest.fixture
def year(template: Year) -> Year:
    """The module's store, to read (the clock back at 06-01 for each test)."""
    return template.at(NOW)


def points_at(year: Year, when: str, unit: str | None = None) -> dict[str, dict[str, Any]]:
    report = year.app.status(unit, at=moment(when))
    return {p["id"]: p for p in report["points"]}


# -- status ---------------------------------------------------------------------------------


def test_a_point_submitted_on_05_12_is_filed_at_05_13_but_not_at_05_11(year: Year) -> None:
    before = points_at(year, "2011-05-11", "guangzhou")["guangzhou-1"]
    after = points_at(year, "2011-05-13", "guangzhou")["guangzhou-1"]

    assert (before["state_label"], before["due"], before["colour"]) == (
        "已审定",
        "2011-05-10",
        "red",  # a day past 5月10日前, as the trail stood then
    )
    assert (after["state_label"], after["next_step_label"], after["due"]) == (
        "工作方案已备案",
        "报送工作职责、时间节点、负责人和政策措施",
        "2011-06-30",
    )


def test_an_extension_granted_later_does_not_move_an_earlier_deadline(year: Year) -> None:
    assert points_at(year, "2011-05-08T18:00")["zhuhai-1"]["due"] == "2011-05-10"
    assert points_at(year, "2011-05-09T10:00")["zhuhai-1"]["due"] == "2011-05-20"
    assert points_at(year, "2011-05-11")["zhuhai-1"]["colour"] != "red"
    assert points_at(year, "2011-05-11")["shenzhen-1"]["colour"] == "red"


def test_points_enrolled_later_are_absent(year: Year) -> None:
    at_0316 = points_at(year, "2011-03-16")
    at_0515 = points_at(year, "2011-05-15")
    at_0517 = points_at(year, "2011-05-17")

    assert "agriculture-1" not in at_0316
    assert at_0515["agriculture-1"]["state_label"] == "已审定"
    assert "chaozhou-2" not in at_0515
    assert at_0517["chaozhou-2"]["state_label"] == "已推荐"
    assert (len(at_0316), len(at_0515), len(at_0517)) == (51, 52, 53)


def test_states_and_rates_are_those_of_the_moment(year: Year) -> None:
    report = year.app.status(at=moment("2011-04-10"))

    states = {p["state_label"] for p in report["points"] if p["id"] != "jiangmen-2"}
    assert states == {"已初选"}
    (plan,) = [s for s in report["steps"] if s["step"] == "submit-plan"]
    assert plan["reported"] == 0
    assert report["now"] == "2011-04-10T00:00:00+08:00"
    assert report["as_of"] == report["now"]
    assert report["states_note"] is None


def test_as_of_the_clock_s_now_is_the_store_as_it_is(year: Year) -> None:
    app = year.app
    replayed, _ = app.snapshot_at(app.now())
    stored = app.snapshot(with_events=True)

    assert replayed.points == stored.points
    assert dict(replayed.overrides) == dict(stored.overrides)
    assert dict(replayed.task_done_at) == dict(stored.task_done_at)
    assert (replayed.trail, replayed.head) == (stored.trail, stored.head)
    assert dict(replayed.documents) == dict(stored.documents)
    as_of = app.status(at=app.now())
    as_now = app.status()
    assert as_of["points"] == as_now["points"]
    assert as_of["steps"] == as_now["steps"]


def test_a_moment_before_the_first_event_or_after_now_is_refused(year: Year) -> None:
    with pytest.raises(OutsideTheTrail) as early:
        year.app.status(at=moment("2011-03-02T08:59"))
    with pytest.raises(OutsideTheTrail) as late:
        year.app.status(at=moment("2011-06-01T10:01"))

    assert (early.value.earliest, early.value.later) == ("2011-03-02 09:00", False)
    assert (late.value.latest, late.value.later) == ("2011-06-01 10:00", True)
    assert early.value.exit_code == late.value.exit_code == 2
    assert "早于存储库中本方案的第一条留痕（2011-03-02 09:00）" in early.value.message


def test_a_unit_whose_points_came_later_is_refused_saying_since_when(year: Year) -> None:
    with pytest.raises(NotYetEnrolled) as refused:
        year.app.status("省农业厅", at=moment("2011-03-18"))

    assert refused.value.unit == LATE_UNIT
    assert refused.value.since == moment("2011-03-20T10:00")
    assert "第一个突破点登记于 2011-03-20 10:00" in refused.value.message


def test_a_point_enrolled_later_is_refused_saying_when_it_was(year: Year) -> None:
    with pytest.raises(NotYetEnrolled) as refused:
        year.app.status(point="chaozhou-2", at=moment("2011-05-15"))
    with pytest.raises(UnknownPoint):
        year.app.status(point="chaozhou-9", at=moment("2011-05-15"))

    assert refused.value.message == (
        "突破点 chaozhou-2 在 2011-05-15 00:00 时尚未登记（登记于 2011-05-16 10:00）"
    )
    (shown,) = year.app.status(point="chaozhou-2", at=moment("2011-05-17"))["points"]
    assert (shown["id"], shown["state_label"]) == ("chaozhou-2", "已推荐")


def test_status_now_says_the_states_are_not_that_moment_s(year: Year) -> None:
    """--now before the newest event judges colours then but shows today's states."""
    earlier = year.app.status(now=moment("2011-04-01"))
    later = year.app.status(now=moment("2011-05-20"))

    assert earlier["states_note"] == (
        "状态为存储库现状（最新留痕记于 2011-05-16 10:00），不是该时刻的状态"
    )
    heading = render_status(earlier).splitlines()[0]
    assert "截至" not in heading
    assert "期限和灯色按 2011-04-01 00:00 判断" in heading
    assert later["states_note"] is None
    assert render_status(later).splitlines()[0].endswith("：截至 2011-05-20 00:00")


# -- the 汇总表 and the report -------------------------------------------------------------------


def test_the_summary_at_a_moment_counts_what_was_submitted_by_then(year: Year) -> None:
    before = year.app.summary(at=moment("2011-05-11"))
    after = year.app.summary(at=moment("2011-05-13"))

    def plan(summary: dict[str, Any]) -> dict[str, Any]:
        (row,) = [r for r in summary["points"] if r["point"] == "guangzhou-1"]
        return dict(row["steps"]["submit-plan"])

    assert (plan(before)["submitted"], plan(before)["verdict"]) == (None, "逾期1天")
    assert (plan(after)["submitted"], plan(after)["verdict"]) == ("2011-05-12", "逾期2天")
    assert before["counts"]["points"] == after["counts"]["points"] == 52
    assert before["trail_head"]["seq"] < after["trail_head"]["seq"]
    events = year.events()
    last_by_0511 = max(e.seq for e in events if moment(e.recorded_at) <= moment("2011-05-11"))
    assert before["trail_head"]["seq"] == last_by_0511
    status = year.app.status(at=moment("2011-05-11"))
    assert {r["point"]: r["state_label"] for r in before["points"]} == {
        p["id"]: p["state_label"] for p in status["points"]
    }


def test_the_report_at_a_moment_shows_the_trail_and_states_of_then(
    year: Year, tmp_path: Path
) -> None:
    index = year.app.render(tmp_path / "report", at=moment("2011-05-11"), warn=lambda _: None)

    page = index.read_text(encoding="utf-8")
    shown = len([e for e in year.events() if moment(e.recorded_at) <= moment("2011-05-11")])
    assert f"留痕（共 {shown} 条）" in page
    assert shown < len(year.events())
    assert "状态截至 <strong>2011-05-11 00:00</strong>（按留痕重放至该时刻的状态" in page
    assert "潮州市新增突破点" not in page  # enrolled on 05-16
    submission = next(e for e in year.events() if e.trigger == "submit-plan")
    assert f'id="event-{submission.seq}"' not in page


# -- the definition pinned then ------------------------------------------------------------------


def test_after_a_later_migration_the_view_says_it_uses_the_current_definition(
    template: Year, tmp_path: Path
) -> None:
    programme = tmp_path / "gd-2011"
    shutil.copytree(PROGRAMME_DIR, programme)
    path = programme / "programme.yaml"
    old = "{id: proposed, label: 已推荐, initial: true}"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(old, old.replace("已推荐", "已推荐（待初选）")), "utf-8")
    year = Year.copy_of(template, tmp_path / "store")
    template.reopen()
    try:
        year.programme = programme
        year.reopen()
        migration = year.at("2011-05-20T10:00").runtime.migrate("状态名称按新规范调整")
        assert migration is not None
        year.at(NOW)

        then = year.app.status(at=moment("2011-05-17"))
        since = year.app.status(at=moment("2011-05-21"))
        assert then["definition_note"] == (
            "该时刻适用的定义已于 2011-05-20 10:00 迁移为现行定义"
            f"（留痕第 {migration.seq} 条）；此处按现行定义显示"
        )
        assert then["definition_note"] in render_status(then)
        assert since["definition_note"] is None
        assert {p["state_label"] for p in then["points"] if p["id"] == "chaozhou-2"} == {
            "已推荐（待初选）"
        }

        year.programme = PROGRAMME_DIR  # the definition pinned before the migration
        year.reopen()
        assert year.app.status(at=moment("2011-05-17"))["definition_note"] is None
        with pytest.raises(DefinitionChanged):
            year.app.status(at=moment("2011-05-21"))
    finally:
        year.close()


# -- both stores ----------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_replay_is_the_same_on_every_store(backend: str, tmp_path: Path) -> None:
    with database(backend, tmp_path / "db") as url, Year(tmp_path, db=url) as year:
        year.at("2011-03-15T10:00").enrol_example()
        year.at("2011-04-06T10:00").decide("screen", ["guangzhou-1"])
        year.at("2011-04-20T10:00").decide("approve", ["guangzhou-1"])
        year.at("2011-05-12T10:00").submit("guangzhou", "work-plan", ["guangzhou-1"])
        year.at(NOW)

        states = [
            points_at(year, when, "guangzhou")["guangzhou-1"]["state"]
            for when in ("2011-03-16", "2011-04-07", "2011-05-11", "2011-05-13")
        ]
        assert states == ["proposed", "screened", "approved", "plan-filed"]


def test_an_event_recorded_after_the_moment_ends_the_trail_even_if_a_later_one_is_dated_earlier(
    tmp_path: Path,
) -> None:
    """The trail is append-only: what it held at a moment is a prefix of it."""
    with Year(tmp_path) as year:
        year.at("2011-03-15T10:00").enrol_example()
        year.at("2011-04-08T10:00").decide("screen", ["guangzhou-1"])
        year.at("2011-04-06T10:00").decide("screen", ["guangzhou-2"])  # a clock set back
        year.at(NOW)

        at_0407 = points_at(year, "2011-04-07", "guangzhou")
        at_0409 = points_at(year, "2011-04-09", "guangzhou")

        assert [p["state"] for p in at_0407.values()] == ["proposed", "proposed"]
        assert [p["state"] for p in at_0409.values()] == ["screened", "screened"]


# -- the command line -----------------------------------------------------------------------


def cli(year: Year, *args: str) -> Any:
    return run_cli(args, year.env(DOCFLOW_NOW=NOW))


def test_status_at_on_the_command_line(year: Year) -> None:
    result = cli(year, "status", str(PROGRAMME_DIR), "--unit", "广州市", "--at", "2011-05-11")

    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].endswith("：截至 2011-05-11 00:00（按留痕重放至该时刻的状态）")
    (row,) = [line for line in lines if "guangzhou-1" in line]
    assert row.split()[0] == "红"
    assert "已审定" in row


def test_status_point_at_before_its_enrolment_is_refused(year: Year) -> None:
    result = cli(year, "status", str(PROGRAMME_DIR), "--point", "chaozhou-2", "--at", "2011-05-15")

    assert result.exit_code == 1
    assert "突破点 chaozhou-2 在 2011-05-15 00:00 时尚未登记" in result.stderr
    assert result.stdout == ""


def test_export_summary_at_on_the_command_line(year: Year) -> None:
    result = cli(year, "export", "summary", str(PROGRAMME_DIR), "--at", "2011-05-11")

    assert result.exit_code == 0, result.stderr
    (row,) = [line for line in result.stdout.splitlines() if ",guangzhou-1," in line]
    assert ",已审定,,逾期1天," in row


def test_render_at_on_the_command_line(year: Year, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = cli(
        year,
        "render",
        str(PROGRAMME_DIR),
        "--out",
        str(out),
        "--db",
        year.url,
        "--at",
        "2011-04-10",
    )

    assert result.exit_code == 0, result.stderr
    assert "概要（截至 2011-04-10 00:00）" in (out / "index.html").read_text(encoding="utf-8")


def test_export_ical_at_stamps_the_calendar(year: Year) -> None:
    result = cli(year, "export", "ical", str(PROGRAMME_DIR), "--at", "2011-05-11T09:30")

    assert result.exit_code == 0, result.stderr
    assert "DTSTAMP:20110511T013000Z" in result.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--at", "garbage"], "错误：--at 的值无效：'garbage' 不是 ISO 8601 时间"),
        (["--at", "2099-01-01"], "错误：--at 的值无效：'2099-01-01' 不在工作方案的时间范围内"),
        (["--at", "2011-05-01", "--now", "2011-05-02"], "错误：--at 与 --now 只能给出一个"),
        (["--at", "2011-03-01"], "查看时刻 2011-03-01 00:00 早于存储库中本方案的第一条留痕"),
        (["--at", "2011-07-01"], "请用 --at 给出 2011-03-02 09:00 至 2011-06-01 10:00 之间的时间"),
    ],
)
def test_a_bad_at_is_a_usage_error(year: Year, args: list[str], says: str) -> None:
    result = cli(year, "status", str(PROGRAMME_DIR), *args)

    assert result.exit_code == 2, result.stderr
    assert says in result.stderr
    assert result.stdout == ""


def test_render_at_needs_a_store(year: Year, tmp_path: Path) -> None:
    result = cli(
        year, "render", str(PROGRAMME_DIR), "--out", str(tmp_path / "r"), "--at", "2011-05-11"
    )

    assert result.exit_code == 2
    assert "须同时用 --db 指定存储库" in result.stderr
    assert not (tmp_path / "r").exists()


# -- as of a moment around a correction ----------------------------------------------------------


def test_a_withdrawn_submission_stands_before_its_withdrawal_and_not_after(
    template: Year, tmp_path: Path
) -> None:
    """guangzhou-1's work plan of 05-12 is withdrawn (撤回) on 05-20: as of 05-19 the trail
    still had it filed (two days late), as of 05-21 the point is back to 已审定 and late."""
    with Year.copy_of(template, tmp_path / "store") as copy:
        plan = [e for e in copy.events("guangzhou-1") if e.trigger == "submit-plan"][-1]
        withdrawal = copy.at("2011-05-20T09:00").app.correct(
            plan.seq, "误将佛山市的方案登记为广州市", withdraw=True
        )
        copy.at(NOW)

        before = points_at(copy, "2011-05-19", "guangzhou")["guangzhou-1"]
        after = points_at(copy, "2011-05-21", "guangzhou")["guangzhou-1"]
        assert before["state_label"] == "工作方案已备案"
        assert (after["state_label"], after["due"], after["colour"]) == (
            "已审定",
            "2011-05-10",
            "red",
        )
        plan_before = _plan_cell(copy.app.summary(at=moment("2011-05-19")), "guangzhou-1")
        plan_after = _plan_cell(copy.app.summary(at=moment("2011-05-21")), "guangzhou-1")
        assert (plan_before["submitted"], plan_before["verdict"]) == ("2011-05-12", "逾期2天")
        assert (plan_after["submitted"], plan_after["verdict"]) == (None, "逾期11天")
        trail = copy.app.snapshot_at(moment("2011-05-21"))[0].trail
        assert {plan.seq, withdrawal.seq} <= {e.seq for e in trail}  # both kept


def _plan_cell(summary: dict[str, Any], point: str) -> dict[str, Any]:
    (row,) = [r for r in summary["points"] if r["point"] == point]
    return dict(row["steps"]["submit-plan"])
