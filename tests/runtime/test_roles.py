"""Lead and co-responsible units, group leads and a relation to each unit's 分管市领导.

The programme in ``roles_city/`` is a city's task breakdown: each lead unit's plan goes to
its own vice-mayor (``recipients: [leader, co]``), who reviews it (``actor: leader``); the
items file gives co-responsible units and one task led by 各县区政府.
"""

from __future__ import annotations

import email
import email.policy
import json
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from engine.delivery.noticecontext import build_notice_context
from engine.delivery.reminders import PointInfo, occurrences, reminders_for, rules
from engine.refusals import ActorNotAllowed, BadCoUnits
from engine.runtime.pointsfile import read_points_file
from engine.runtime.progress import ProgressView
from engine.runtime.service import NewPoint
from engine.runtime.trail import verify
from engine.simulation import run_simulation
from engine.views.status import render_status
from engine.views.summary import summary_table
from tests.runtime.gd2011 import Year, moment, raw_sql, run_cli

ROLES_DIR = Path(__file__).parent / "roles_city"
ITEMS = ROLES_DIR / "points-example.yaml"


@pytest.fixture
def year(tmp_path: Path) -> Iterator[Year]:
    with Year(tmp_path, ROLES_DIR) as opened:
        opened.at("2021-01-28T09:00").runtime.enrol(read_points_file(ITEMS))
        yield opened


def _rows(year: Year) -> dict[str, tuple[str, tuple[str, ...], str | None]]:
    with year.store.transaction(readonly=True) as tx:
        return {p.point_id: (p.unit_id, p.co, p.group_id) for p in tx.points(year.definition.id)}


def test_co_units_and_the_group_lead_are_stored_with_each_item(year: Year) -> None:
    assert _rows(year) == {
        "housing-1": ("housing", ("finance", "land"), None),
        "transport-1": ("transport", ("land",), None),
        "education-1": ("education", (), None),
        # 各县区政府 leads the task once in the file: one item per county, each its own.
        "county-a-1": ("county-a", ("housing",), "counties"),
        "county-b-1": ("county-b", ("housing",), "counties"),
    }
    with year.store.transaction(readonly=True) as tx:
        events = tx.events_for(year.definition.id, "enrol")
    enrolled = {e.point_id: json.loads(e.data or "{}") for e in events}
    assert enrolled["housing-1"]["co"] == ["finance", "land"]
    assert enrolled["county-a-1"]["group"] == "counties"
    assert "co" not in enrolled["education-1"]
    assert "group" not in enrolled["education-1"]
    assert verify(year.store).ok


def test_status_names_the_lead_its_group_and_the_co_units(year: Year) -> None:
    report = year.app.status(None, moment("2021-02-01T09:00"))
    housing = next(p for p in report["points"] if p["id"] == "housing-1")
    assert housing["co_names"] == ["市财政局", "市自然资源局"]
    text = render_status(report)
    assert "牵头单位" in text
    assert "责任单位" in text
    assert "东县政府（各县区政府）" in text
    line = next(row for row in text.splitlines() if row.startswith("黄  housing-1"))
    assert "市住建局" in line
    assert "市财政局、市自然资源局" in line
    # A co-responsible unit sees the items it shares; the group's members each their own.
    shared = year.app.status("land", moment("2021-02-01T09:00"))
    assert [p["id"] for p in shared["points"]] == ["housing-1", "transport-1"]
    own = year.app.status("county-b", moment("2021-02-01T09:00"))
    assert [p["id"] for p in own["points"]] == ["county-b-1"]


def test_the_summary_table_has_the_lead_and_co_columns(year: Year) -> None:
    head, rows = summary_table(year.app.summary(moment("2021-02-01T09:00")))
    assert head[:8] == [
        "序号",
        "牵头单位",
        "单位类别",
        "任务",  # the programme's own word (programme.item)
        "编号",
        "牵头单位全称",
        "责任单位",
        "当前状态",
    ]
    by_point = {row[4]: row for row in rows}
    assert by_point["housing-1"][6] == "市财政局、市自然资源局"
    assert by_point["education-1"][6] == "—"
    assert by_point["county-a-1"][1] == "东县政府（各县区政府）"


def test_a_changed_co_column_fails_the_audit(year: Year) -> None:
    year.close()
    raw_sql(year.db, "UPDATE points SET co = 'finance' WHERE point_id = 'housing-1'")
    raw_sql(year.db, "UPDATE points SET group_id = NULL WHERE point_id = 'county-a-1'")
    year.reopen()
    report = verify(year.store)
    assert not report.ok
    failures = "\n".join(report.failures)
    assert "突破点 city-2021/housing-1 的责任单位：表中为 finance，留痕为 finance、land" in failures
    assert "突破点 city-2021/county-a-1 的牵头的组：表中为 （无），留痕为 counties" in failures


def test_the_unit_s_own_vice_mayor_reviews_its_plan(year: Year) -> None:
    year.at("2021-02-01T09:00").submit("housing", "plan")
    year.submit("education", "plan")
    report = year.app.status(None, moment("2021-02-02T09:00"))
    decisions = {(d["party"], tuple(d["points"])) for d in report["decisions"]}
    assert decisions == {("vm-wang", ("housing-1",)), ("vm-li", ("education-1",))}
    housing = next(p for p in report["points"] if p["id"] == "housing-1")
    assert housing["next_step_label"] == "审核推进方案（待王副市长决定）"
    assert housing["owed_by"] == "vm-wang"
    # 李副市长 does not review 市住建局's plan; 王副市长 does, and the trail names him.
    with pytest.raises(ActorNotAllowed):
        year.decide("review", ["housing-1"], actor="vm-li")
    (event,) = year.decide("review", ["housing-1"])
    assert (event.actor, event.dest_state) == ("vm-wang", "plan-reviewed")


def test_a_review_reminder_goes_to_that_leader_only(year: Year) -> None:
    year.at("2021-02-01T09:00").submit("housing", "plan")
    result = year.app.remind(moment("2021-02-05T10:00"), dry_run=True)
    review = [o for o in result.sent if o.rule.startswith("review-accept/")]
    assert [(o.recipient, o.points, o.cc) for o in review] == [("vm-wang", ("housing-1",), ())]
    # The lead units still owing their plans are urged, their co units copied (recipients: co).
    urged = {o.recipient: o.cc for o in result.sent if o.rule.startswith("submit-plan/")}
    assert urged == {
        "transport": ("land",),
        "education": (),
        "county-a": ("housing",),
        "county-b": ("housing",),
    }


def test_the_plan_goes_to_the_unit_s_own_vice_mayor_and_its_co_units(year: Year) -> None:
    definition = year.definition
    view = ProgressView.of(definition)
    (rule,) = [r for r in rules(definition) if r.id == "submit-plan/before-0"]
    (occurrence,) = occurrences(rule, view)
    waiting = [
        PointInfo("housing-1", "housing", "推进老旧小区改造", "assigned", ("finance", "land")),
        PointInfo("education-1", "education", "新建改扩建中小学校", "assigned"),
    ]
    now = moment("2021-02-03T09:00")
    found = {r.recipient: r for r in reminders_for(occurrence, view, waiting, {})}
    housing = build_notice_context(definition, view, found["housing"], now)
    education = build_notice_context(definition, view, found["education"], now)
    assert housing.send_to == ("王副市长", "市财政局", "市自然资源局")
    assert education.send_to == ("李副市长",)
    assert found["housing"].cc == ("finance", "land")
    assert occurrence.due == date(2021, 2, 3)


def test_co_units_must_be_other_bodies_each_named_once(year: Year) -> None:
    with pytest.raises(BadCoUnits, match="就是牵头单位本身"):
        year.runtime.enrol([NewPoint("housing", "重复", co=("市住建局",))])
    with pytest.raises(BadCoUnits, match="重复列出"):
        year.runtime.enrol([NewPoint("housing", "重复", co=("land", "甲市自然资源局"))])
    assert len(_rows(year)) == 5  # nothing half-written


def test_a_group_of_co_units_stands_for_its_members_but_the_lead(year: Year) -> None:
    rows = year.runtime.enrol(
        [
            NewPoint("housing", "城市更新", co=("各县区政府", "finance")),
            NewPoint("transport", "道路整治", co=("bureaus",)),
        ]
    )
    assert [r.co for r in rows] == [("county-a", "county-b", "finance"), ("housing", "education")]


def test_a_group_entry_with_an_id_gives_each_member_its_own(year: Year) -> None:
    rows = year.runtime.enrol([NewPoint("counties", "乡村振兴", point_id="task-9")])
    assert [(r.point_id, r.unit_id, r.group_id) for r in rows] == [
        ("task-9-county-a", "county-a", "counties"),
        ("task-9-county-b", "county-b", "counties"),
    ]


def test_the_rehearsal_has_each_plan_reviewed_by_its_own_leader(tmp_path: Path) -> None:
    lines: list[str] = []
    report = run_simulation(
        ROLES_DIR, outbox=tmp_path / "outbox", db=str(tmp_path / "sim.db"), echo=lines.append
    )
    assert report.stalls == []
    assert "2021-02-01 王副市长、李副市长 审核推进方案：同意 5 个任务" in lines
    assert report.final_states == {"已办结": 5}
    with Year(tmp_path, ROLES_DIR, db=str(tmp_path / "sim.db")) as done:
        with done.store.transaction(readonly=True) as tx:
            reviews = tx.events_for(done.definition.id, "review-accept")
        assert verify(done.store).ok
    assert {e.point_id: e.actor for e in reviews} == {
        "housing-1": "vm-wang",
        "transport-1": "vm-wang",
        "education-1": "vm-li",
        "county-a-1": "vm-li",
        "county-b-1": "vm-li",
    }


def test_a_csv_items_file_separates_co_units_with_semicolons(tmp_path: Path) -> None:
    items = tmp_path / "items.csv"
    items.write_text("unit,title,co\nhousing,推进老旧小区改造,finance;市自然资源局\n", "utf-8")
    (point,) = read_points_file(items)
    assert (point.unit, point.co) == ("housing", ("finance", "市自然资源局"))


def test_the_report_names_the_lead_its_group_and_the_co_units(year: Year, tmp_path: Path) -> None:
    html = year.app.render(tmp_path / "report").read_text(encoding="utf-8")  # index.html
    row = next(line for line in html.splitlines() if 'data-point="housing-1" data-colour' in line)
    assert '市住建局<div class="small">责任单位：市财政局、市自然资源局</div>' in row
    assert "东县政府（各县区政府）" in html
    assert "<th>牵头单位</th>" in html


def test_the_command_line_enrols_one_item_with_its_co_units(tmp_path: Path) -> None:
    env = {"DOCFLOW_DB": str(tmp_path / "cli.db"), "DOCFLOW_NOW": "2021-01-28T09:00"}
    args = ["enrol", str(ROLES_DIR), "--unit", "housing", "--title", "推进老旧小区改造"]
    result = run_cli([*args, "--co", "finance", "--co", "市自然资源局", "--json"], env)
    assert result.exit_code == 0, result.stderr
    (row,) = json.loads(result.stdout)
    assert (row["id"], row["co"], row["group"]) == ("housing-1", ["finance", "land"], None)
    refused = run_cli([*args, "--co", "housing"], env)
    assert refused.exit_code != 0
    assert "单位 市住建局（housing）牵头的任务的责任单位 市住建局（housing）就是牵头单位本身" in (
        refused.stderr
    )


def test_the_xlsx_summary_puts_each_step_s_totals_under_its_columns(
    year: Year, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "汇总表.xlsx"
    year.at("2021-02-01T09:00").submit("housing", "plan")
    year.app.export_summary("xlsx", out, now=moment("2021-02-04T09:00"))
    sheet = load_workbook(out)["汇总表"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    head = next(r for r in rows if r[0] == "序号")
    totals = next(r for r in rows if r[0] == "合计")
    column = head.index("任务推进方案\n报送日期")  # the xlsx header wraps
    assert head[6] == "责任单位"
    assert totals[column] == "已报 1 / 应报 5"
    assert str(totals[column + 1]).startswith("上报率 20%")


def _with_policy(tmp_path: Path, extra: str) -> Path:
    """The roles programme copied, its reminder policy copying leaders at the last 催报."""
    folder = tmp_path / "programme"
    shutil.copytree(ROLES_DIR, folder)
    path = folder / "programme.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("leadership_at_last: false", extra), encoding="utf-8")
    return folder


def test_the_last_urge_copies_the_unit_s_own_leader_by_the_policy_s_relation(
    tmp_path: Path,
) -> None:
    folder = _with_policy(tmp_path, "leadership_at_last: true, leadership: leader")
    db, outbox = tmp_path / "docflow.db", tmp_path / "outbox"
    env = {"DOCFLOW_NOW": "2021-01-28T09:00"}
    assert (
        run_cli(["enrol", str(folder), "--db", str(db), "--from", str(ITEMS)], env).exit_code == 0
    )
    # The plans were due 2月3日; the second and last 催报 goes out on 2月9日.
    args = ["remind", str(folder), "--db", str(db), "--outbox", str(outbox)]
    assert run_cli(args, {"DOCFLOW_NOW": "2021-02-09T10:00"}).exit_code == 0
    urged = {}
    for eml in outbox.glob("*.eml"):
        message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        if message["X-Docflow-Rule"] == "submit-plan/overdue-2":
            urged[str(message["To"])] = (str(message["Cc"] or ""), message.get_body(("plain",)))
    transport = next(v for k, v in urged.items() if "交通" in k)
    education = next(v for k, v in urged.items() if "教育" in k)
    assert ("wang@city.example" in transport[0], "li@city.example" in transport[0]) == (True, False)
    assert ("li@city.example" in education[0], "wang@city.example" in education[0]) == (True, False)
    assert "抄送：甲市自然资源局，甲市人民政府王副市长。" in transport[1].get_content()


def test_a_policy_s_leadership_must_name_a_relation(tmp_path: Path) -> None:
    folder = _with_policy(tmp_path, "leadership_at_last: true, leadership: leaders")
    result = run_cli(["validate", str(folder)], {})
    assert result.exit_code != 0
    assert "末次催报抄送的 leaders 不是 relations 中的关系（已定义：leader）" in result.stderr
    assert "programme.yaml:" in result.stderr
