"""``docflow simulate`` with returns that set a 整改期限 and a unit that enrols late.

One module-scoped rehearsal of the 2011 programme with its example points and a scenario
written here: guangzhou-1's work plan is returned with a 整改期限 and resubmitted before it
by default; foshan-1's is returned with an earlier one and resubmitted after it (so urged
by it); 汕尾 enrols its points a month late and 河源 after the approval, so both are urged
for the enrolment and their points are screened and approved after they enrol.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from engine.definition.loader import load_definition
from engine.errors import ScenarioError
from engine.runtime.store import EventRow, open_store
from engine.runtime.trail import verify
from engine.simulation import SimulationReport, load_scenario, render_report, run_simulation
from tests.delivery.test_simulate import PROGRAMME, _point_units

SCENARIO = """\
title: 退回整改与逾期登记
returns:
  - {point: guangzhou-1, task: work-plan, on: 2011-05-06, reason: 缺少年度目标, until: 2011-05-20}
  - point: foshan-1
    task: work-plan
    on: 2011-05-06
    reason: 缺少时间节点
    until: 2011-05-13
    resubmit_on: 2011-05-18
late_enrolment:
  shanwei: 2011-04-15
  heyuan: 2011-05-03
"""


@dataclass
class Rehearsal:
    report: SimulationReport
    lines: list[str]
    events: list[EventRow]
    db: Path


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory: pytest.TempPathFactory) -> Rehearsal:
    base = tmp_path_factory.mktemp("rectify")
    scenario = base / "scenario.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    lines: list[str] = []
    report = run_simulation(
        str(PROGRAMME),
        points_file=PROGRAMME / "points-example.yaml",
        scenario_file=scenario,
        outbox=base / "outbox",
        db=str(base / "sim.db"),
        echo=lines.append,
    )
    with open_store(base / "sim.db", create=False) as store:
        with store.transaction(readonly=True) as tx:
            events = tx.events("gd-2011")
    return Rehearsal(report, lines, events, base / "sim.db")


def sent_to(rehearsal: Rehearsal, unit: str, rule: str) -> list[tuple[str, str, tuple[str, ...]]]:
    return [
        (o.send_at.date().isoformat(), o.occurrence, o.points)
        for o in rehearsal.report.sent
        if o.recipient == unit and o.rule == rule
    ]


def test_the_trail_verifies_and_nothing_stalls(rehearsal: Rehearsal) -> None:
    with open_store(rehearsal.db, create=False) as store:
        assert verify(store).ok
    assert rehearsal.report.stalls == []


def test_a_return_with_until_is_resubmitted_before_it_by_default(rehearsal: Rehearsal) -> None:
    [ret] = [
        e for e in rehearsal.events if e.trigger == "return-plan" and e.point_id == "guangzhou-1"
    ]
    assert ret.extras["until"] == "2011-05-20"
    again = [e for e in rehearsal.events if e.extras.get("ends") == ret.seq]
    # Three working days (the default lead) before Friday 05-20: Tuesday 05-17.
    assert [e.effective_at[:10] for e in again] == ["2011-05-17"]
    assert any(
        "退回 guangzhou-1 的突破点工作方案（缺少年度目标，整改期限 5月20日）" in line
        for line in rehearsal.lines
    )
    # Reminded by the 整改期限 (after the step's own 05-10 one), never urged.
    assert sent_to(rehearsal, "guangzhou", "submit-plan/before-5") == [
        ("2011-05-03", "2011-05-10", ("guangzhou-1", "guangzhou-2")),
        ("2011-05-13", "2011-05-20", ("guangzhou-1",)),
    ]
    urged = [o for o in rehearsal.report.sent if o.recipient == "guangzhou" and o.kind == "urge"]
    assert [o for o in urged if o.occurrence == "2011-05-20"] == []
    # The timeline says the resubmission answered a 整改期限, not an extension.
    [resubmitted] = [
        line for line in rehearsal.lines if line.startswith("2011-05-17") and "广州市" in line
    ]
    assert "整改期限 5月20日" in resubmitted
    assert "延期" not in resubmitted


def test_a_resubmission_after_the_deadline_is_urged_and_reported_late(rehearsal: Rehearsal) -> None:
    # 05-13 is a Friday: the first 催报 two working days after it, on 05-17.
    assert sent_to(rehearsal, "foshan", "submit-plan/overdue-1") == [
        ("2011-05-17", "2011-05-13", ("foshan-1",))
    ]
    text = render_report(rehearsal.report)
    assert "退回整改：" in text
    assert "guangzhou-1 突破点工作方案：5月6日退回，整改期限 5月20日，5月17日重报" in text
    assert "foshan-1 突破点工作方案：5月6日退回，整改期限 5月13日，5月18日重报（逾期）" in text
    [plan] = [s for s in rehearsal.report.steps if s.step == "submit-plan"]
    late = {u.unit: (u.due, u.submitted) for u in plan.late}
    assert late.get("foshan") == (date(2011, 5, 13), date(2011, 5, 18))
    assert "guangzhou" not in late
    urge = "2011-05-17 催报通知 1 封（报送突破点工作方案，第 1 次催报，整改期限 5月13日）：佛山市"
    assert urge in rehearsal.lines


def test_late_units_are_urged_to_enrol_and_owe_their_later_steps(rehearsal: Rehearsal) -> None:
    enrolled = {
        e.unit_id: e.effective_at[:10]
        for e in rehearsal.events
        if e.trigger == "enrol" and e.unit_id in ("shanwei", "heyuan")
    }
    assert enrolled == {"shanwei": "2011-04-15", "heyuan": "2011-05-03"}
    urged = {o.recipient for o in rehearsal.report.sent if o.rule.startswith("proposals/overdue")}
    assert {"shanwei", "heyuan"} <= urged
    # Screened and approved after they enrolled, then they submit their work plans.
    heyuan = [e for e in rehearsal.events if e.unit_id == "heyuan" and e.point_id]
    triggers = [e.trigger for e in heyuan]
    assert triggers[: triggers.index("submit-plan") + 1][-3:] == [
        "screen-in",
        "approve",
        "submit-plan",
    ]
    text = render_report(rehearsal.report)
    [proposals] = [s for s in rehearsal.report.steps if s.step == "proposals"]
    assert {u.unit: u.submitted for u in proposals.late} == {
        "shanwei": date(2011, 4, 15),
        "heyuan": date(2011, 5, 3),
    }
    assert "汕尾市（4月15日报送）" in text
    assert any("逾期登记" in line and "汕尾" in line for line in rehearsal.lines)


BAD = {
    "until-before-return": (
        "returns:\n  - {point: guangzhou-1, task: work-plan, on: 2011-05-06, reason: x, until: 2011-05-06}\n",
        2,
        "整改期限 until 应晚于退回日期 on",
    ),
    "late-not-late": ("late_enrolment:\n  shanwei: 2011-03-01\n", 2, "不是逾期登记"),
    "late-no-points": (
        "late_enrolment:\n  provincial-government: 2011-04-01\n",
        2,
        "没有要登记的突破点",
    ),
    "late-not-a-map": ("late_enrolment: [shanwei]\n", 1, "late_enrolment 应是映射"),
    "entry-before-late": (
        "late_enrolment:\n  shanwei: 2011-04-15\nwithdrawals:\n  - {point: shanwei-1, on: 2011-04-01, reason: x}\n",
        4,
        "才登记（late_enrolment）",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_entry_is_reported_at_its_line(name: str, tmp_path: Path) -> None:
    text, line, message = BAD[name]
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, load_definition(PROGRAMME), _point_units())
    diagnostics = caught.value.diagnostics
    assert any(d.line == line and message in d.message for d in diagnostics), caught.value.message
