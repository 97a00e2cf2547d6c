"""``docflow simulate`` on a programme other than the 2011 one, written here.

A city's task programme: a review of every task by the 分管副市长 (``actor: vice-mayor``),
a work plan that the 督查室 approves after it is submitted, a return of the plan decided by
the inspection group's lead (``actor: inspector``), a check of the progress reports by the
same lead, a summary, and the 办结 at the end of the year. Variants of it stall, and the
scenarios written for it are checked against it when they load.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from engine.definition.loader import load_definition
from engine.errors import Refused, ScenarioError, YearStalled
from engine.runtime.pointsfile import read_points_file
from engine.runtime.store import open_store
from engine.runtime.trail import verify
from engine.simulation import load_scenario, point_units, render_report, run_simulation
from engine.simulation.outbox import MARKER
from tests.runtime.gd2011 import run_cli

NOTICE = """关于印发甲市2011年重点工作任务分解方案的通知

各区人民政府，市直各部门：

一、各部门于3月20日前提出重点任务，经分管领导审核后由市政府督查室分解。

二、各部门于5月10日前报送任务实施方案，由市政府督查室审定。

三、9月中旬报送工作进展情况，由检查组核查。

四、11月报送工作总结。

甲市人民政府办公室
二〇一一年三月一日
"""

SOURCE = "{document: notice, clause: 一, quote: 各部门于3月20日前提出重点任务}"

PROGRAMME = f"""
programme:
  id: city-2011
  title: 甲市2011年重点工作任务分解方案
  year: 2011
  doc_number: 甲府办〔2011〕8号
  issuer: office
  issued: 2011-03-01
  addressees: [各区人民政府, 市直各部门]
  sender_email: dcs@city.example
  documents:
    - {{id: notice, title: 关于印发甲市2011年重点工作任务分解方案的通知, issuer: office,
        text_file: notice.txt}}
bodies:
  - {{id: office, short: 市政府督查室, name: 甲市人民政府督查室, kind: office, email: dcs@city.example}}
  - {{id: vice-mayor, short: 分管副市长, name: 甲市人民政府分管副市长, kind: leadership,
      email: fg@city.example}}
  - {{id: dev, short: 市发展改革局, name: 甲市发展和改革局, kind: department, email: dev@city.example}}
  - {{id: industry, short: 市工信局, name: 甲市工业和信息化局, kind: department,
      email: industry@city.example}}
  - {{id: audit, short: 市审计局, name: 甲市审计局, kind: department, email: audit@city.example}}
groups:
  - {{id: departments, label: 市直各部门, members: [dev, industry]}}
  - {{id: approvers, label: 审定单位, members: [office, vice-mayor]}}
inspection_groups:
  - {{id: group-1, label: 核查组, lead: audit, inspects: [dev, industry]}}
phases:
  - {{id: phase-1, label: 全年, window: 3-12月, source: {SOURCE}}}
points:
  enrolment:
    proposers: [departments]
    min_per_unit: 1
    max_per_unit: 2
    task: proposals
    source: {SOURCE}
  states:
    - {{id: proposed, label: 已提出, initial: true}}
    - {{id: assigned, label: 已分解}}
    - {{id: plan-filed, label: 实施方案已报送}}
    - {{id: plan-approved, label: 实施方案已审定}}
    - {{id: progress-reported, label: 进展已报送}}
    - {{id: progress-checked, label: 进展已核查}}
    - {{id: summarised, label: 总结已报送}}
    - {{id: concluded, label: 已办结, final: true}}
    - {{id: dropped, label: 未列入, final: true}}
  transitions:
    - {{trigger: leader-accept, task: review, label: 分管领导审核（同意）, source: proposed,
        dest: assigned, actor: vice-mayor, takes: decision, outcome: accept}}
    - {{trigger: leader-reject, task: review, label: 分管领导审核（不同意）, source: proposed,
        dest: dropped, actor: vice-mayor, takes: decision, outcome: reject}}
    - trigger: submit-plan
      task: plan
      label: 报送任务实施方案
      source: assigned
      dest: plan-filed
      actor: owner
      takes: document
      document: 任务实施方案
      recipients: [office]
      phase: phase-1
      reminders: standard
      deadline:
        phrase: 5月10日前
        source: {{document: notice, clause: 二, quote: 各部门于5月10日前报送任务实施方案}}
    - {{trigger: approve-plan, task: approve-plan, label: 审定实施方案（同意）, source: plan-filed,
        dest: plan-approved, actor: APPROVER, takes: decision, outcome: accept}}
    - {{trigger: return-plan, task: plan, label: 退回实施方案, source: plan-filed, dest: assigned,
        actor: inspector, takes: decision, outcome: return}}
    - trigger: report-progress
      task: progress
      label: 报送工作进展情况
      source: plan-approved
      dest: progress-reported
      actor: owner
      takes: document
      document: 工作进展情况
      recipients: [office]
      phase: phase-1
      reminders: standard
      deadline:
        phrase: 9月中旬
        source: {{document: notice, clause: 三, quote: 9月中旬报送工作进展情况}}
    - {{trigger: check-progress, task: check, label: CHECK, source: progress-reported,
        dest: progress-checked, actor: inspector, takes: decision, outcome: CHECKED}}
    - trigger: submit-summary
      task: summary
      label: 报送工作总结
      source: progress-checked
      dest: summarised
      actor: owner
      takes: document
      document: 工作总结
      recipients: [office]
      phase: phase-1
      reminders: standard
      deadline:
        phrase: 11月
        source: {{document: notice, clause: 四, quote: 11月报送工作总结}}
    - {{trigger: conclude, task: conclude, label: 办结, source: summarised, dest: concluded,
        actor: office, takes: decision, outcome: accept}}
tasks:
  - id: proposals
    label: 提出重点任务
    level: unit
    responsible: [departments]
    recipients: [office]
    document: 重点任务建议
    phase: phase-1
    reminders: standard
    deadline:
      phrase: 3月20日前
      source: {SOURCE}
reminder_policies:
  - {{id: standard, label: 报送提醒, before: [5, 0], overdue_every: 2, overdue_times: 2, hour: 9,
      cc: [office]}}
"""

POINTS = """points:
  - {unit: dev, title: 重大项目建设}
  - {unit: 市发展改革局, title: 营商环境优化}
  - {unit: industry, title: 工业技术改造}
"""


def _programme(
    tmp_path: Path,
    *,
    approver: str = "office",
    check: str = "核查工作进展",
    checked: str = "accept",
) -> Path:
    folder = tmp_path / "city"
    folder.mkdir()
    (folder / "notice.txt").write_text(NOTICE, encoding="utf-8")
    text = PROGRAMME.replace("APPROVER", approver).replace("CHECKED", checked)
    (folder / "programme.yaml").write_text(text.replace("CHECK,", f"{check},"), encoding="utf-8")
    (folder / "points-example.yaml").write_text(POINTS, encoding="utf-8")
    return folder


def _scenario(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path


RETURN_AND_REJECT = """returns:
  - {point: dev-1, task: plan, on: 2011-05-09, reason: 缺少时间节点, resubmit_on: 2011-05-10}
decisions:
  - {point: industry-1, task: review, outcome: reject, reason: 与年度重点不符}
"""


def test_a_city_programme_plays_its_whole_year_with_every_decision(tmp_path: Path) -> None:
    folder = _programme(tmp_path)
    lines: list[str] = []
    report = run_simulation(
        folder,
        scenario_file=_scenario(tmp_path, RETURN_AND_REJECT),
        outbox=tmp_path / "outbox",
        db=str(tmp_path / "city.db"),
        echo=lines.append,
    )
    assert report.stalls == []
    assert report.final_states == {"已办结": 2, "未列入": 1}
    assert report.points == 3
    assert "2011-03-21 分管副市长 分管领导审核：同意 2 个突破点，不同意 1 个（industry-1）" in lines
    # Approved by the 督查室 the working day after the plan came in; returned by the
    # inspection group's lead before that, resubmitted, approved again.
    assert "2011-05-05 市发展改革局 报送任务实施方案（2 个突破点）" in lines
    assert "2011-05-06 市政府督查室 审定实施方案：同意 1 个突破点" in lines
    assert "2011-05-09 市审计局 退回 dev-1 的任务实施方案（缺少时间节点）" in lines
    assert "2011-05-10 市发展改革局 报送任务实施方案（1 个突破点，退回后重报）" in lines
    assert "2011-05-11 市政府督查室 审定实施方案：同意 1 个突破点" in lines
    assert "2011-09-16 市审计局 核查工作进展（2 个突破点）" in lines
    assert "2011-12-31 市政府督查室 办结（2 个突破点）" in lines
    assert "演练停滞" not in render_report(report)
    definition = load_definition(folder)
    with open_store(tmp_path / "city.db", create=False) as store:
        assert verify(store).ok
        with store.transaction(readonly=True) as tx:
            events = tx.events(definition.id)
    decided = [(e.trigger, e.point_id, e.actor) for e in events if e.dest_state and e.reason]
    assert decided == [
        ("leader-accept", "dev-1", "vice-mayor"),
        ("leader-accept", "dev-2", "vice-mayor"),
        ("leader-reject", "industry-1", "vice-mayor"),
        ("approve-plan", "dev-2", "office"),
        ("return-plan", "dev-1", "audit"),
        ("approve-plan", "dev-1", "office"),
        ("check-progress", "dev-1", "audit"),
        ("check-progress", "dev-2", "audit"),
        ("conclude", "dev-1", "office"),
        ("conclude", "dev-2", "office"),
    ]
    assert {o.recipient for o in report.sent} == {"dev"}


def test_a_dated_decision_waits_for_its_day(tmp_path: Path) -> None:
    """dev-2's plan is approved on the day the scenario gives, not the day after it came."""
    scenario = _scenario(
        tmp_path,
        "decisions:\n"
        "  - {point: dev-2, task: approve-plan, outcome: accept, on: 2011-05-20,"
        " reason: 经会议研究同意}\n",
    )
    lines: list[str] = []
    report = run_simulation(
        _programme(tmp_path), scenario_file=scenario, outbox=tmp_path / "o", echo=lines.append
    )
    assert report.stalls == []
    assert report.final_states == {"已办结": 3}
    assert "2011-05-06 市政府督查室 审定实施方案：同意 2 个突破点" in lines  # dev-1, industry-1
    assert "2011-05-20 市政府督查室 审定实施方案：同意 dev-2（经会议研究同意）" in lines


def test_a_decision_a_group_takes_is_made_by_its_first_body(tmp_path: Path) -> None:
    report = run_simulation(
        _programme(tmp_path, approver="approvers"), outbox=tmp_path / "o", db=str(tmp_path / "d.db")
    )
    assert report.stalls == []
    assert report.final_states == {"已办结": 3}
    with open_store(tmp_path / "d.db", create=False) as store, store.transaction() as tx:
        approved = tx.events_for("city-2011", "approve-plan")
    assert {e.actor for e in approved} == {"office"}
    assert len(approved) == 3


def test_a_step_the_year_cannot_decide_stalls_with_where_and_why(tmp_path: Path) -> None:
    """The progress check only rejects: nothing the driver may do leaves 进展已报送."""
    folder = _programme(tmp_path, check="核查工作进展（提出整改意见）", checked="reject")
    result = run_cli(["simulate", str(folder), "--outbox", str(tmp_path / "o"), "-q"], {})
    assert result.exit_code == YearStalled.exit_code == 8
    stall = (
        "  第5步『核查工作进展（提出整改意见）』演练不能代为决定：突破点 dev-1、dev-2、"
        "industry-1（市发展改革局、市工信局），自 9月15日起："
    )
    assert any(line.startswith(stall) for line in result.stdout.splitlines()), result.stdout
    assert "请在情景的 decisions 中写明这些突破点的决定" in result.stdout
    assert "逾期或未报送的单位：\n  无（演练停滞，后续事项无从报送，见上）" in result.stdout
    assert "逾期或未报送的单位：\n  无\n" not in result.stdout
    assert "演练停滞：1 处突破点无法继续办理" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    # The scenario gives the outcome: the year plays through.
    decided = "".join(
        f"  - {{point: {p}, task: check, outcome: reject, reason: 需整改}}\n"
        for p in ("dev-1", "dev-2", "industry-1")
    )
    report = run_simulation(
        folder, scenario_file=_scenario(tmp_path, "decisions:\n" + decided), outbox=tmp_path / "p"
    )
    assert report.stalls == []
    assert report.final_states == {"已办结": 3}
    assert json.loads(json.dumps(report.as_dict()))["stalls"] == []


def test_a_bad_scenario_reports_every_problem_with_its_line(tmp_path: Path) -> None:
    folder = _programme(tmp_path)
    path = _scenario(
        tmp_path,
        "screen_on: 2012-03-21\n"  # 1: outside the year
        "decisions:\n"
        "  - {point: dev-9, task: review, outcome: reject}\n"  # 3: unknown point
        "  - {point: dev-1, task: approve-plan, outcome: reject}\n"  # 4: no such outcome
        "  - {point: dev-2, task: sign, outcome: accept}\n"  # 5: unknown step
        "  - {point: dev-2, task: plan, outcome: return}\n"  # 6: a return: in returns
        "late:\n"
        "  - {unit: atlantis, task: plan, on: 2011-05-12}\n"  # 8: unknown unit
        "extensions:\n"  # 10: no extension in this programme
        "  - {point: dev-1, task: plan, request_on: 2011-05-01, grant_on: 2011-05-02,"
        " until: 2011-05-20}\n"
        "withdrawals:\n"  # 12: no withdrawal either
        "  - {point: dev-1, on: 2011-06-01, reason: 停止}\n",
    )
    definition = load_definition(folder)
    units = point_units(definition, read_points_file(folder / "points-example.yaml"))
    assert units == {"dev-1": "dev", "dev-2": "dev", "industry-1": "industry"}
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, definition, units)
    found = {d.line: d.message for d in caught.value.diagnostics}
    assert sorted(found) == [1, 3, 4, 5, 6, 8, 10, 12], found
    assert "不在方案年度 2011 年内" in found[1]
    assert "未知的突破点 'dev-9'" in found[3]
    assert "事项 approve-plan 没有「reject」的决定（可用：accept）" in found[4]
    assert "未知的决定事项 'sign'" in found[5]
    assert "退回写在 returns 中" in found[6]
    assert "未定义的单位 'atlantis'" in found[8]
    assert "不能申请延期" in found[10]
    assert "没有撤销突破点的事项" in found[12]
    assert f"{path}:3:" in caught.value.message
    # Through the command: exit 3, every line, nothing run.
    result = run_cli(
        ["simulate", str(folder), "--scenario", str(path), "--outbox", str(tmp_path / "o")], {}
    )
    assert result.exit_code == 3
    for line in found:
        assert f"{path}:{line}:" in result.stdout + result.stderr
    assert not (tmp_path / "o").exists()


def test_an_approval_day_for_a_programme_without_that_step_is_refused_at_load(
    tmp_path: Path,
) -> None:
    """The review's acceptance leads to a plan owed: there is no approval before it."""
    path = _scenario(tmp_path, "title: x\napprove_on: 2011-04-01\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, load_definition(_programme(tmp_path)), {})
    (problem,) = caught.value.diagnostics
    assert problem.line == 2
    assert "工作方案中没有审定" in problem.message


# --- the kept store (--db) and the outbox -------------------------------------------------


def test_a_failed_run_with_db_leaves_no_store(tmp_path: Path) -> None:
    folder = _programme(tmp_path)
    db = tmp_path / "kept" / "sim.db"
    db.parent.mkdir()
    early = _scenario(
        tmp_path,
        "returns:\n  - {point: dev-1, task: plan, on: 2011-04-01, reason: 太早, resubmit_on: 2011-05-09}\n",
    )
    with pytest.raises(ScenarioError, match="2011-04-01 无法执行"):
        run_simulation(folder, scenario_file=early, outbox=tmp_path / "o", db=str(db))
    assert list(db.parent.iterdir()) == []
    assert not (tmp_path / "o").exists()

    # The same run without the bad entry keeps the store, its documents beside it.
    report = run_simulation(folder, outbox=tmp_path / "o", db=str(db))
    assert report.store == str(db)
    assert sorted(p.name for p in db.parent.iterdir()) == ["documents", "sim.db"]
    with open_store(db, create=False) as store:
        result = verify(store)
    assert result.ok
    assert result.documents_checked > 0
    # Kept stores are new: neither an existing file nor a database URL is written into.
    with pytest.raises(Refused, match="须使用新的存储库"):
        run_simulation(folder, outbox=tmp_path / "o2", db=str(db))
    with pytest.raises(Refused, match="须是一个新的 SQLite 文件路径"):
        run_simulation(folder, outbox=tmp_path / "o3", db="postgresql+psycopg://x/y")


def test_replacing_an_earlier_simulations_mail_survives_an_interruption(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _programme(tmp_path)
    outbox = tmp_path / "outbox"
    run_simulation(folder, outbox=outbox)
    earlier = {p.name for p in outbox.glob("*.eml")}
    # The next year has a late unit: its 催报 are new files beside the same reminders.
    late = _scenario(tmp_path, "late:\n  - {unit: dev, task: plan, on: 2011-05-13}\n")
    import engine.simulation.outbox as staging

    real_move = staging.shutil.move
    moved: list[str] = []

    def interrupted_move(source: Path, target: Path) -> object:
        if any("overdue" in name for name in moved):
            raise OSError("disk full")
        moved.append(Path(source).name)
        return real_move(source, target)

    monkeypatch.setattr(staging.shutil, "move", interrupted_move)
    with pytest.raises(OSError, match="disk full"):
        run_simulation(folder, scenario_file=late, outbox=outbox)
    monkeypatch.undo()
    listed = set(json.loads((outbox / MARKER).read_text(encoding="utf-8"))["files"])
    present = {p.name for p in outbox.glob("*.eml")}
    assert present - earlier, "a new message was moved in before the interruption"
    assert present <= listed
    # The next run sees only simulated mail and replaces it.
    again = run_simulation(folder, scenario_file=late, outbox=outbox)
    assert again.replaced == len(present)
    assert {p.name for p in outbox.glob("*.eml")} == set(
        json.loads((outbox / MARKER).read_text(encoding="utf-8"))["files"]
    )
    assert re.search(r"替换了上次演练的 \d+ 封", render_report(again))
