"""``docflow simulate``: the example year of the 2011 programme, end to end.

One module-scoped run of the shipped example (points-example.yaml, scenario-example.yaml)
keeps its store (``db``) so that every message in the outbox can be checked against the
trail: who was waiting for what at the moment the message went out.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from engine.cli import cli
from engine.definition.loader import Definition, load_definition
from engine.errors import DefinitionError, Refused, ScenarioError
from engine.runtime.store import EventRow, open_store
from engine.runtime.trail import verify
from engine.simulation import (
    SimulationReport,
    load_scenario,
    point_units,
    render_report,
    run_simulation,
)

ROOT = Path(__file__).resolve().parents[2]
PROGRAMME = ROOT / "workflows" / "gd-2011"
SCENARIO = PROGRAMME / "scenario-example.yaml"

# What scenario-example.yaml sets up.
WITHDRAWN = "foshan-2"
WITHDRAWN_ON = date(2011, 8, 15)
EXTENDED = "shenzhen-2"
EXTENDED_UNTIL = date(2011, 7, 15)
NEVER_UNIT = "meizhou"
RETURNED = "guangzhou-1"
LATE = {
    "submit-plan": {"shanwei": date(2011, 5, 13)},
    "report-measures": {"jieyang": date(2011, 7, 7)},
    "report-progress": {"meizhou": None},
    "inspect": {"land": date(2011, 11, 3)},
    "submit-summary": {"zhanjiang": date(2011, 12, 5)},
}


@dataclass
class Year:
    report: SimulationReport
    outbox: Path
    db: Path
    lines: list[str]
    definition: Definition
    events: list[EventRow]

    def messages(self) -> list[EmailMessage]:
        found = []
        for path in sorted(self.outbox.glob("*.eml")):
            msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(msg, EmailMessage)
            found.append(msg)
        return found


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Year:
    base = tmp_path_factory.mktemp("simulate")
    lines: list[str] = []
    report = run_simulation(
        str(PROGRAMME), outbox=base / "outbox", db=str(base / "sim.db"), echo=lines.append
    )
    definition = load_definition(PROGRAMME)
    with open_store(base / "sim.db", create=False) as store, store.transaction(readonly=True) as tx:
        events = tx.events(definition.id)
    return Year(report, base / "outbox", base / "sim.db", lines, definition, events)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _states_at(year: Year, moment: datetime) -> dict[str, str]:
    """Every point's state at ``moment``, replayed from the trail."""
    states: dict[str, str] = {}
    for e in year.events:
        if _at(e.recorded_at) > moment:
            break
        if e.point_id is not None and e.dest_state is not None:
            states[e.point_id] = e.dest_state
    return states


def _body_by_email(definition: Definition) -> dict[str, str]:
    return {b.email: b.id for b in definition.programme.bodies if b.email}


# --- the example year ---------------------------------------------------------------------


def test_example_year_runs(year: Year) -> None:
    report = year.report
    assert report.points == 52
    assert report.units == 41
    assert report.first_day == date(2011, 3, 19)
    assert report.last_day == date(2011, 12, 31)
    assert report.final_states == {"推进措施已报送": 1, "已办结": 50, "已撤销": 1}
    assert report.problems == []
    assert report.sent, "the year sends reminders"
    assert report.outbox_files == len(report.sent) == len(list(year.outbox.glob("*.eml")))
    assert report.outbox == str(year.outbox.absolute())
    # The timeline was echoed as it ran, day by day, in order.
    assert year.lines == [str(e) for e in report.timeline]
    days = [e.day for e in report.timeline]
    assert days == sorted(days)
    assert year.lines[0] == "2011-03-04 省经济和信息化委 发出推荐转型升级突破点通知"
    assert "2011-03-19 登记突破点 52 个（41 个单位提出）" in year.lines
    assert any(
        re.fullmatch(r"2011-05-03 临近提醒 \d+ 封（报送突破点工作方案，期限 5月10日）", line)
        for line in year.lines
    )


def test_trail_of_the_simulated_year_verifies(year: Year) -> None:
    with open_store(year.db, create=False) as store:
        result = verify(store)
    assert result.ok
    assert result.events_checked >= len(year.events) > 0


def test_outbox_messages_parse_with_chinese_subjects(year: Year) -> None:
    messages = year.messages()
    assert len(messages) == len(year.report.sent)
    ids = {o.message_id for o in year.report.sent}
    for msg in messages:
        subject = str(msg["Subject"])
        assert "=?" not in subject
        assert re.search(r"[\u4e00-\u9fff]", subject), subject
        assert msg["X-Docflow-Programme"] == "gd-2011"
        assert msg["X-Docflow-Rule"]
        assert str(msg["Message-ID"]).strip() in ids
        assert msg["Date"].datetime.tzinfo is not None
        body = msg.get_body(("plain",))
        assert body is not None
        assert "粤经信技改〔2011〕333号" in body.get_content()


def test_no_message_about_a_step_the_recipient_had_done(year: Year) -> None:
    """Each reminder or 催报: the recipient still had a point waiting for that step."""
    index = year.definition.index
    by_email = _body_by_email(year.definition)
    units = _point_units()
    checked = 0
    for msg in year.messages():
        rule = str(msg["X-Docflow-Rule"])
        step = rule.split("/")[0]
        sent_at = msg["Date"].datetime
        recipient = by_email[msg["To"].addresses[0].addr_spec]
        if step in index.tasks and index.tasks[step].level == "programme":
            done = [e for e in year.events if e.trigger == step]
            assert not done or _at(done[0].recorded_at) > sent_at, (rule, sent_at)
            checked += 1
            continue
        transition = index.transitions[step]
        sources = set(index.sources_of(transition))
        states = _states_at(year, sent_at)
        if transition.actor == "inspector":
            mine = [p for p in states if index.inspector_of.get(units[p]) == recipient]
        else:
            mine = [p for p in states if units[p] == recipient]
        waiting = [p for p in mine if states[p] in sources]
        assert waiting, f"{rule} → {recipient} at {sent_at}: nothing waiting"
        checked += 1
    assert checked == len(year.report.sent)


def test_listed_points_were_waiting_when_the_message_went_out(year: Year) -> None:
    index = year.definition.index
    for o in year.report.sent:
        step = o.rule.split("/")[0]
        if step not in index.transitions:
            continue
        sources = set(index.sources_of(index.transitions[step]))
        states = _states_at(year, o.send_at)
        assert o.points
        for point in o.points:
            assert states[point] in sources, (o.rule, o.recipient, point, states[point])


def test_withdrawn_point_gets_no_reminders_after_withdrawal(year: Year) -> None:
    after = [o for o in year.report.sent if o.send_at.date() >= WITHDRAWN_ON]
    assert not [o for o in after if WITHDRAWN in o.points]
    # Its unit is still reminded about its other point.
    foshan = [o for o in after if o.recipient == "foshan"]
    assert foshan
    assert all(o.points == ("foshan-1",) for o in foshan)
    before = [o for o in year.report.sent if WITHDRAWN in o.points]
    assert before
    assert all(o.send_at.date() < WITHDRAWN_ON for o in before)


def test_extended_point_gets_no_urge_before_its_new_date(year: Year) -> None:
    about = [o for o in year.report.sent if EXTENDED in o.points]
    urges = [o for o in about if o.kind == "urge"]
    assert not [o for o in urges if o.send_at.date() <= EXTENDED_UNTIL]
    # It was reminded of its own (extended) due day instead.
    assert any(
        o.rule == "report-measures/before-5" and o.occurrence == EXTENDED_UNTIL.isoformat()
        for o in about
    )
    # Submitted after the original due day, within the extension: not late.
    measures = next(s for s in year.report.steps if s.step == "report-measures")
    assert "shenzhen" not in {u.unit for u in measures.late}
    assert any("延期至 7月15日" in line and "深圳市" in line for line in year.lines)


def test_never_reporting_unit_gets_the_last_stage_urge_with_leadership_copied(year: Year) -> None:
    last = [
        msg
        for msg in year.messages()
        if msg["X-Docflow-Rule"] == "report-progress/overdue-3"
        and msg["To"].addresses[0].addr_spec == "meizhou@gd2011.example"
    ]
    assert len(last) == 1
    cc = {a.addr_spec for a in last[0]["Cc"].addresses}
    assert cc == {"eic@gd2011.example", "dost@gd2011.example", "meizhou-leader@gd2011.example"}
    assert "第三次催报" in str(last[0]["Subject"])
    stages = sorted(
        o.rule for o in year.report.sent if o.recipient == NEVER_UNIT and o.kind == "urge"
    )
    assert stages == [
        "report-progress/overdue-1",
        "report-progress/overdue-2",
        "report-progress/overdue-3",
    ]


def test_returned_work_plan_is_reminded_and_resubmitted(year: Year) -> None:
    assert any(f"退回 {RETURNED} 的突破点工作方案" in line for line in year.lines)
    reminded = [
        o
        for o in year.report.sent
        if o.recipient == "guangzhou" and o.rule == "submit-plan/before-2"
    ]
    assert [o.points for o in reminded] == [(RETURNED,)]
    returned = [e for e in year.events if e.trigger == "return-plan"]
    assert [e.point_id for e in returned] == [RETURNED]
    resubmitted = [
        e
        for e in year.events
        if e.trigger == "submit-plan" and e.point_id == RETURNED and e.seq > returned[0].seq
    ]
    assert len(resubmitted) == 1


def test_summary_is_consistent_with_the_scenario(year: Year) -> None:
    report = year.report
    late = {s.step: {u.unit: u.submitted for u in s.late} for s in report.steps if s.step in LATE}
    assert late == LATE
    rates = {s.step: (s.reported, s.total) for s in report.steps}
    assert rates["proposals"] == (41, 41)
    assert rates["submit-plan"] == (41, 41)
    assert rates["report-progress"] == (40, 41)
    assert rates["submit-summary"] == (40, 41)
    # The inspection report is owed by the six group leads: meizhou's point, which never
    # reached the inspection, counts against nobody there.
    assert rates["inspect"] == (6, 6)
    progress = next(s for s in report.steps if s.step == "report-progress")
    assert progress.missing == ("梅州市",)
    # Units urged: each late unit, as often as its lateness allows; the late inspection
    # lead for its own report.
    urged = Counter(o.recipient for o in report.sent if o.kind == "urge")
    assert urged == {"shanwei": 1, "jieyang": 2, "meizhou": 3, "land": 1, "zhanjiang": 1}
    by_kind = report.messages_by_kind()
    assert sum(by_kind.values()) == len(report.sent)
    assert set(by_kind) == {"临近提醒", "催报通知", "汇总提醒"}
    assert by_kind["催报通知"] == 8
    # The programme-level tasks were all done; the ones waiting for a late step, late.
    done = {t.task: t.done for t in report.tasks}
    assert done["call-for-points"] == date(2011, 3, 4)
    assert done["inspection-notice"] == date(2011, 10, 8)
    assert done["aggregate-inspection"] == date(2011, 11, 1)
    # eic aggregated the groups' reports while one lead had not reported: that lead is
    # recorded as missing, not the units it inspects.
    missing = {t.task: t.missing for t in report.tasks}
    assert missing["aggregate-inspection"] == ("land",)
    assert missing["province-report"] == ("meizhou", "zhanjiang")
    assert done["meeting"] == date(2011, 12, 31)
    text = render_report(report)
    assert f"发出邮件 {len(report.sent)} 封：临近提醒" in text
    assert "报送工作进展情况（期限 9月20日）：梅州市（未报送）" in text
    assert f"发件箱：{report.outbox}（{len(report.sent)} 封 .eml）" in text
    data = report.as_dict()
    json.dumps(data, ensure_ascii=False)
    assert data["messages"]["total"] == len(report.sent)


# --- refusals ---------------------------------------------------------------------------


def test_outbox_with_mail_in_it_is_refused(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    (outbox / "old.eml").write_text("x", encoding="utf-8")
    with pytest.raises(Refused, match=re.escape("已有 1 封不是演练生成的邮件（.eml，如 old.eml）")):
        run_simulation(str(PROGRAMME), outbox=outbox)


def test_running_again_replaces_the_earlier_simulations_mail_and_only_that(
    tmp_path: Path,
) -> None:
    outbox = tmp_path / "outbox"
    first = run_simulation(str(PROGRAMME), outbox=outbox)
    names = sorted(p.name for p in outbox.glob("*.eml"))
    assert len(names) == first.outbox_files > 0

    again = run_simulation(str(PROGRAMME), outbox=outbox)
    assert again.replaced == first.outbox_files
    assert sorted(p.name for p in outbox.glob("*.eml")) == names
    assert f"替换了上次演练的 {again.replaced} 封" in render_report(again)

    # Mail that no simulation wrote: refused, and nothing in the outbox is touched.
    (outbox / "real.eml").write_text("x", encoding="utf-8")
    before = {p: p.stat().st_mtime_ns for p in outbox.glob("*.eml")}
    with pytest.raises(Refused, match="已有 1 封不是演练生成的邮件"):
        run_simulation(str(PROGRAMME), outbox=outbox)
    assert {p: p.stat().st_mtime_ns for p in outbox.glob("*.eml")} == before


def test_outbox_that_is_a_file_is_refused(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    outbox.write_text("x", encoding="utf-8")
    with pytest.raises(Refused, match="不是目录"):
        run_simulation(str(PROGRAMME), outbox=outbox)


def test_store_that_already_runs_the_programme_is_refused(year: Year, tmp_path: Path) -> None:
    with pytest.raises(Refused, match="须使用新的存储库"):
        run_simulation(str(PROGRAMME), outbox=tmp_path / "o", db=str(year.db))


# --- scenario files ---------------------------------------------------------------------

BAD_SCENARIOS = {
    "unknown-key": ("title: x\nlate_units: []\n", 2, "未知的键 late_units"),
    "bad-date": ("enrol_on: 3月19日\n", 1, "enrol_on 应是日期"),
    "other-year": (
        "late:\n  - {unit: shanwei, task: work-plan, on: 2012-05-13}\n",
        2,
        "不在方案年度",
    ),
    "unknown-unit": (
        "never:\n  - {unit: atlantis, task: progress}\n",
        2,
        "未定义的单位 'atlantis'",
    ),
    "unknown-task": ("never:\n  - {unit: meizhou, task: report}\n", 2, "未知的事项 'report'"),
    "unknown-point": (
        "withdrawals:\n  - {point: meizhou-7, on: 2011-08-01, reason: x}\n",
        2,
        "未知的突破点 'meizhou-7'",
    ),
    "missing-field": ("returns:\n  - {point: guangzhou-1, task: work-plan}\n", 2, "缺少 on"),
    "not-a-list": ("late: shanwei\n", 1, "late 应是列表"),
    "lead-days": ("default_lead_days: many\n", 1, "default_lead_days 应是"),
    "late-request": (
        "extensions:\n"
        "  - point: shenzhen-2\n"
        "    task: measures\n"
        "    request_on: 2011-07-01\n"
        "    grant_on: 2011-07-02\n"
        "    until: 2011-07-15\n",
        4,
        "延期申请须在到期（2011-06-30）前提出",
    ),
    "wrong-actor": (
        "late:\n  - {unit: provincial-government, task: summary, on: 2011-12-01}\n",
        2,
        "不报送",
    ),
    "late-and-never": (
        "late:\n  - {unit: meizhou, task: progress, on: 2011-09-30}\n"
        "never:\n  - {unit: meizhou, task: progress}\n",
        2,
        "已列在 never 中",
    ),
    "before-enrolment": (
        "enrol_on: 2011-03-19\nwithdrawals:\n  - {point: foshan-2, on: 2011-03-01, reason: x}\n",
        3,
        "早于登记突破点的日期",
    ),
    "not-an-inspector": (
        "late:\n  - {unit: meizhou, task: inspection, on: 2011-11-01}\n",
        2,
        "应是检查组组长单位",
    ),
    "not-a-programme-task": ("task_days:\n  bogus: 2011-05-01\n", 2, "bogus 不是全省层面事项"),
    "resubmit-before-return": (
        "returns:\n  - point: guangzhou-1\n    task: work-plan\n    on: 2011-05-06\n"
        "    reason: x\n    resubmit_on: 2011-05-06\n",
        6,
        "resubmit_on 应晚于退回日期 on",
    ),
    "yaml-syntax": ("late: [\n", 2, "YAML 语法错误"),
    "top-level-list": ("- a\n- b\n", 1, "顶层应是映射"),
}


def _points() -> list[Any]:
    from engine.runtime.pointsfile import read_points_file

    return read_points_file(PROGRAMME / "points-example.yaml")


def _point_units() -> dict[str, str]:
    points = _points()
    return point_units(load_definition(PROGRAMME), points)


@pytest.mark.parametrize("name", sorted(BAD_SCENARIOS))
def test_bad_scenario_is_reported_at_its_line(name: str, tmp_path: Path) -> None:
    text, line, message = BAD_SCENARIOS[name]
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, load_definition(PROGRAMME), _point_units())
    error = caught.value
    assert isinstance(error, DefinitionError)
    assert any(d.line == line and message in d.message for d in error.diagnostics), error.message
    assert f"{path}:{line}:" in error.message


def test_every_problem_of_a_scenario_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "many.yaml"
    path.write_text(
        "default_lead_days: -1\nnever:\n  - {unit: atlantis, task: progress}\nbogus: 1\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, load_definition(PROGRAMME), _point_units())
    assert [d.line for d in caught.value.diagnostics] == [1, 3, 4]
    assert "情景文件有 3 处错误" in caught.value.message


def test_contradicting_entries_are_reported_beside_a_wrong_one(tmp_path: Path) -> None:
    path = tmp_path / "mixed.yaml"
    path.write_text(
        "late:\n  - {unit: meizhou, task: progress, on: 2011-09-30}\n"
        "never:\n  - {unit: meizhou, task: progress}\n  - {unit: atlantis, task: progress}\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, load_definition(PROGRAMME), _point_units())
    found = [(d.line, d.message) for d in caught.value.diagnostics]
    assert [line for line, _ in found] == [2, 5]
    assert "已列在 never 中（第 4 行）" in found[0][1]
    assert "未定义的单位 'atlantis'" in found[1][1]


def test_scenario_error_carries_every_diagnostic_in_the_error_tree(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text("enrol_on: x\nbogus: 1\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, load_definition(PROGRAMME), _point_units())
    error = caught.value
    assert isinstance(error, DefinitionError)
    assert [(d.file, d.line, d.column) for d in error.diagnostics] == [
        (str(path), 1, 11),
        (str(path), 2, 1),
    ]
    assert error.path == f"{path}:1:11"
    assert error.reason == error.message


def test_a_loaded_scenario_is_frozen_and_knows_where_its_entries_are() -> None:
    from pydantic import ValidationError

    scenario = load_scenario(SCENARIO, load_definition(PROGRAMME), _point_units())
    with pytest.raises(ValidationError):
        scenario.title = "x"  # type: ignore[misc]
    lines = SCENARIO.read_text(encoding="utf-8").splitlines()
    where = scenario.where("withdrawals", 0)
    assert where.file == str(SCENARIO)
    assert lines[where.line - 1].strip() == f"- point: {WITHDRAWN}"
    assert scenario.file == str(SCENARIO)


def test_example_scenario_and_comment_only_file_load(tmp_path: Path) -> None:
    definition = load_definition(PROGRAMME)
    scenario = load_scenario(SCENARIO, definition, _point_units())
    assert [w.point for w in scenario.withdrawals] == [WITHDRAWN]
    assert [(n.unit, n.step) for n in scenario.never] == [(NEVER_UNIT, "report-progress")]
    empty = tmp_path / "empty.yaml"
    empty.write_text("# 全部按期\n", encoding="utf-8")
    assert load_scenario(empty, definition, _point_units()).late == ()


def test_action_the_engine_refuses_names_the_scenario_line(tmp_path: Path) -> None:
    path = tmp_path / "early-return.yaml"
    path.write_text(
        "returns:\n"
        "  - {point: guangzhou-1, task: work-plan, on: 2011-04-28, reason: 太早,"
        " resubmit_on: 2011-05-09}\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match=rf"{re.escape(str(path))}:2:5: 2011-04-28 无法执行"):
        run_simulation(str(PROGRAMME), scenario_file=path, outbox=tmp_path / "o")
    assert not (tmp_path / "o").exists(), "a failed run leaves no mail behind"


# --- the command ------------------------------------------------------------------------


def _small_points(tmp_path: Path) -> Path:
    path = tmp_path / "points.yaml"
    path.write_text(
        "points:\n"
        "  - {unit: guangzhou, title: 汽车产业链高端化}\n"
        "  - {unit: guangzhou, title: 汽车零部件配套提升}\n"
        "  - {unit: meizhou, title: 稀土新材料产业发展}\n",
        encoding="utf-8",
    )
    return path


def test_cli_runs_a_small_year_and_prints_timeline_and_summary(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "screened_out:\n"
        "  - {point: guangzhou-2, reason: 与 guangzhou-1 内容重复}\n"
        "never:\n"
        "  - {unit: meizhou, task: summary}\n"
        "late:\n"
        "  - {unit: eic, task: aggregate-progress, on: 2011-10-10}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        cli,
        [
            "simulate",
            str(PROGRAMME),
            "--points",
            str(_small_points(tmp_path)),
            "--scenario",
            str(scenario),
            "--outbox",
            str(tmp_path / "outbox"),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "2011-03-19 登记突破点 3 个（2 个单位提出）" in lines
    assert (
        "2011-03-21 省经济和信息化委 初步筛选：入选 2 个突破点，未入选 1 个（guangzhou-2）" in lines
    )
    assert "2011-05-05 广州市 报送突破点工作方案（1 个突破点）" in lines
    # Units that proposed nothing are urged for the enrolment task.
    assert any(line.startswith("2011-03-21 临近提醒 39 封（提出突破点") for line in lines)
    # A programme-level task done late: its responsible body was urged first.
    assert any(
        line.startswith("2011-10-09 汇总提醒 1 封（汇总工作进展情况并报告省委、省政府，第 1 次催报")
        for line in lines
    )
    assert "2011-10-10 省经济和信息化委 汇总工作进展情况并报告省委、省政府（逾期）" in lines
    # 国庆节后: the inspection notice waits for the late aggregate, then goes out at once.
    assert "2011-10-10 省政府办公厅 以省政府办公厅名义发出检查工作通知" in lines
    assert "报送突破点工作总结（期限 11月30日）：梅州市（未报送）" in result.output
    assert "未入选 1" in result.output
    assert "演练结束" in result.output
    assert len(list((tmp_path / "outbox").glob("*.eml"))) > 0


def test_cli_json_and_quiet(tmp_path: Path) -> None:
    args = ["simulate", str(PROGRAMME), "--points", str(_small_points(tmp_path))]
    result = CliRunner().invoke(cli, [*args, "--outbox", str(tmp_path / "a"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["points"] == 3
    assert data["messages"]["total"] == len(list((tmp_path / "a").glob("*.eml")))
    quiet = CliRunner().invoke(cli, [*args, "--outbox", str(tmp_path / "b"), "-q"])
    assert quiet.exit_code == 0
    assert not re.search(r"^2011-\d\d-\d\d ", quiet.output, re.MULTILINE)
    assert "演练结束" in quiet.output


@pytest.mark.parametrize("name", ["unknown-unit", "yaml-syntax", "missing-field"])
def test_cli_bad_scenario_exits_with_its_code_without_traceback(name: str, tmp_path: Path) -> None:
    text, line, message = BAD_SCENARIOS[name]
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        ["simulate", str(PROGRAMME), "--scenario", str(path), "--outbox", str(tmp_path / "o")],
    )
    assert result.exit_code == ScenarioError.exit_code == 3
    assert f"{path}:{line}:" in result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_cli_missing_scenario_file_exits_1(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "simulate",
            str(PROGRAMME),
            "--scenario",
            str(tmp_path / "none.yaml"),
            "--outbox",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 1
    assert "情景文件不存在" in result.output
    assert "Traceback" not in result.output


# --- decisions by another body than the province ------------------------------------------


def _programme_with_actor(tmp_path: Path, trigger: str, actor: str) -> Path:
    """A copy of the 2011 programme in which ``trigger`` is decided by ``actor``."""
    import shutil

    folder = tmp_path / "programme"
    shutil.copytree(PROGRAMME, folder)
    path = folder / "programme.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index(f"- trigger: {trigger}\n")
    at = text.index("actor: eic", start)
    path.write_text(text[:at] + f"actor: {actor}" + text[at + len("actor: eic") :], "utf-8")
    return folder


def test_a_return_decided_by_the_inspector_names_the_inspection_groups_lead(
    tmp_path: Path,
) -> None:
    folder = _programme_with_actor(tmp_path, "return-plan", "inspector")
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "returns:\n"
        "  - {point: guangzhou-1, task: work-plan, on: 2011-05-06, reason: 缺少年度目标,"
        " resubmit_on: 2011-05-09}\n",
        encoding="utf-8",
    )
    lines: list[str] = []
    report = run_simulation(
        folder,
        points_file=_small_points(tmp_path),
        scenario_file=scenario,
        outbox=tmp_path / "outbox",
        db=str(tmp_path / "sim.db"),
        echo=lines.append,
    )
    definition = load_definition(folder)
    lead = definition.index.inspector_of["guangzhou"]
    name = definition.index.body_label(lead)
    assert f"2011-05-06 {name} 退回 guangzhou-1 的突破点工作方案（缺少年度目标）" in lines
    with open_store(tmp_path / "sim.db", create=False) as store, store.transaction() as tx:
        returned = tx.events_for(definition.id, "return-plan")
    assert [(e.point_id, e.actor) for e in returned] == [("guangzhou-1", lead)]
    assert report.problems == []


def test_a_conclusion_decided_by_each_owner_names_the_owners(tmp_path: Path) -> None:
    folder = _programme_with_actor(tmp_path, "conclude", "owner")
    lines: list[str] = []
    run_simulation(
        folder, points_file=_small_points(tmp_path), outbox=tmp_path / "o", echo=lines.append
    )
    assert "2011-12-31 广州市、梅州市 总结审核通过，突破点办结（3 个突破点）" in lines
