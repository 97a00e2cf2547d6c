"""Who gets which reminder of the 2011 programme, about which points, with which copies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from engine.delivery.dispatch import RunResult
from engine.delivery.reminders import occurrences, reminders_for, rules
from engine.runtime.progress import ProgressView
from engine.views.reminders import render_run

from .year2011 import WAITING_FOR_PLAN, Desk, example_ids, read_outbox, recipients

#: The autumn scenario: these points are approved and report their progress; dongguan-1 only
#: files its work plan; every other example point is screened out.
REPORTING = ("guangzhou-1", "foshan-1", "shunde-1", "shenzhen-1")
LAGGING = "dongguan-1"


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    with Desk(tmp_path) as opened:
        yield opened.standard()


@pytest.fixture
def autumn(tmp_path: Path) -> Iterator[Desk]:
    with Desk(tmp_path) as opened:
        opened.at("2011-04-28T10:00").enrol_example()
        opened.approve(*REPORTING, LAGGING)
        opened.drop(*(p for p in example_ids() if p not in (*REPORTING, LAGGING)))
        opened.through_progress(*REPORTING)
        opened.at("2011-05-05T10:00").submit("dongguan", "work-plan")
        yield opened


def of(result: RunResult, rule: str, due: str) -> dict[str, tuple[str, ...]]:
    return {o.recipient: o.points for o in result.sent if o.rule == rule and o.occurrence == due}


# --- points and units ---------------------------------------------------------------------


def test_each_waiting_unit_gets_one_message_listing_exactly_its_waiting_points(
    desk: Desk,
) -> None:
    result = desk.dry_run("2011-05-03T10:00")
    assert recipients(result, "submit-plan/before-5") == WAITING_FOR_PLAN
    assert len([o for o in result.sent if o.rule == "submit-plan/before-5"]) == 3


def test_a_unit_that_submitted_for_one_point_is_reminded_of_the_other_only(desk: Desk) -> None:
    desk.at("2011-05-04T10:00").submit("guangzhou", "work-plan", ["guangzhou-1"])
    result = desk.dry_run("2011-05-06T10:00")
    assert recipients(result, "submit-plan/before-2")["guangzhou"] == ("guangzhou-2",)


def test_a_unit_whose_points_all_moved_on_gets_nothing(desk: Desk) -> None:
    desk.at("2011-05-04T10:00").submit("guangzhou", "work-plan")
    result = desk.dry_run("2011-05-06T10:00")
    assert set(recipients(result, "submit-plan/before-2")) == {"eic", "shenzhen"}


def test_a_reminder_nobody_waits_for_is_skipped_as_closed(desk: Desk) -> None:
    desk.at("2011-05-04T10:00")
    for unit in WAITING_FOR_PLAN:
        desk.submit(unit, "work-plan")
    result = desk.dry_run("2011-05-06T10:00")
    assert recipients(result, "submit-plan/before-2") == {}
    assert ("submit-plan/before-2", "2011-05-10", "closed") in result.skipped


def test_a_unit_that_has_not_proposed_gets_the_proposals_reminder(tmp_path: Path) -> None:
    from engine.runtime.service import NewPoint

    with Desk(tmp_path) as desk:
        desk.at("2011-03-05T10:00").enrol([NewPoint("guangzhou", "汽车产业链高端化")])
        result = desk.dry_run("2011-03-11T10:00")
        proposers = desk.definition.index.proposers
    told = recipients(result, "proposals/before-5")
    assert set(told) == set(proposers) - {"guangzhou"}
    assert len(told) == 40


# --- copies -------------------------------------------------------------------------------


def copies(desk: Desk, when: str, unit: str) -> tuple[str, ...]:
    desk.send(when)
    (msg,) = [m for m in read_outbox(desk.outbox) if m.to == (unit,)]
    return msg.cc


def test_reminders_before_the_due_day_copy_nobody(desk: Desk) -> None:
    desk.send("2011-05-10T10:00")
    assert {m.rule for m in read_outbox(desk.outbox)} == {"submit-plan/before-0"}
    assert {m.cc for m in read_outbox(desk.outbox)} == {()}


def test_the_first_urge_copies_nobody(desk: Desk) -> None:
    assert copies(desk, "2011-05-12T10:00", "guangzhou") == ()


def test_urges_from_the_second_stage_copy_eic_and_dost(desk: Desk) -> None:
    assert copies(desk, "2011-05-16T10:00", "guangzhou") == ("eic", "dost")


def test_an_urge_to_eic_does_not_copy_eic_to_itself(desk: Desk) -> None:
    assert copies(desk, "2011-05-16T10:00", "eic") == ("dost",)


def test_the_last_urge_also_copies_the_units_leadership(desk: Desk) -> None:
    assert copies(desk, "2011-05-18T10:00", "guangzhou") == (
        "eic",
        "dost",
        "guangzhou:leadership",
    )


def test_the_last_urge_names_its_copies_in_the_notice(desk: Desk) -> None:
    desk.send("2011-05-18T10:00")
    (msg,) = [m for m in read_outbox(desk.outbox) if m.to == ("shenzhen",)]
    assert "抄送：广东省经济和信息化委员会，广东省科学技术厅，深圳市分管领导" in msg.text


# --- the inspection and EIC's aggregate reminders --------------------------------------------


def test_an_inspection_reminder_goes_to_the_group_lead_covering_its_units_points(
    autumn: Desk,
) -> None:
    result = autumn.dry_run("2011-10-24T10:00")
    told = recipients(result, "inspect/before-5")
    # 第一检查组 (led by eic) inspects guangzhou, foshan and shunde; 第二检查组 (dost) shenzhen.
    assert {who: set(points) for who, points in told.items()} == {
        "eic": {"guangzhou-1", "foshan-1", "shunde-1"},
        "dost": {"shenzhen-1"},
    }


def test_an_inspection_reminder_asks_the_lead_for_its_own_report_on_its_points(
    autumn: Desk,
) -> None:
    autumn.at("2011-10-20T10:00").submit("eic", "inspection", ["guangzhou-1"])
    autumn.send("2011-10-24T10:00")
    (msg,) = [
        m for m in read_outbox(autumn.outbox) if m.rule == "inspect/before-5" and m.to == ("eic",)
    ]
    assert msg.message["Subject"] == "关于按时报送检查工作书面报告的提醒"
    assert "你单位作为第一检查组组长单位，负责检查的以下突破点尚未报送检查工作书面报告" in msg.text
    assert "1. 佛山市：" in msg.text
    assert "2. 顺德区：" in msg.text
    assert "广州市：" not in msg.text
    assert "督促" not in msg.text


def test_an_overdue_inspection_lead_is_urged_for_its_own_report(autumn: Desk) -> None:
    result = autumn.dry_run("2011-11-02T10:00")

    urged = {
        o.recipient: (o.kind, set(o.points)) for o in result.sent if o.rule == "inspect/overdue-1"
    }
    assert urged == {
        "eic": ("urge", {"guangzhou-1", "foshan-1", "shunde-1"}),
        "dost": ("urge", {"shenzhen-1"}),
    }
    assert not [
        o for o in result.sent if o.kind == "progress_summary" and o.rule.startswith("inspect/")
    ]
    autumn.send("2011-11-02T10:00")
    (msg,) = [
        m for m in read_outbox(autumn.outbox) if m.rule == "inspect/overdue-1" and m.to == ("dost",)
    ]
    assert msg.message["Subject"] == "关于催报检查工作书面报告的通知"
    assert (
        "你单位作为第二检查组组长单位，仍有以下负责检查的突破点未报送检查工作书面报告" in msg.text
    )
    assert "1. 深圳市：" in msg.text


def test_a_step_nobody_has_reached_is_skipped_as_such(desk: Desk) -> None:
    result = desk.dry_run("2011-10-24T10:00")

    assert ("inspect/before-5", "2011-10-31", "unreached") in result.skipped
    text = render_run(desk.definition, result, desk.clock.now(), dry_run=True)
    assert (
        "跳过 「提交检查工作书面报告」到期前第 5 个工作日（期限 2011-10-31）：尚无单位到达此环节"
        in text
    )


def test_a_step_everyone_who_reached_it_has_done_is_skipped_as_closed(autumn: Desk) -> None:
    autumn.at("2011-10-20T10:00").submit("eic", "inspection")
    autumn.submit("dost", "inspection")
    result = autumn.dry_run("2011-10-24T10:00")

    assert ("inspect/before-5", "2011-10-31", "closed") in result.skipped
    text = render_run(autumn.definition, result, autumn.clock.now(), dry_run=True)
    assert (
        "跳过 「提交检查工作书面报告」到期前第 5 个工作日（期限 2011-10-31）：该事项已无待报单位"
        in text
    )


def test_eics_aggregate_of_the_inspection_counts_the_group_leads(autumn: Desk) -> None:
    autumn.at("2011-10-20T10:00").submit("eic", "inspection")
    result = autumn.dry_run("2011-10-24T10:00")

    (aggregate,) = [o for o in result.sent if o.rule == "aggregate-inspection/before-5"]
    assert aggregate.recipient == "eic"
    view = ProgressView(autumn.definition)
    with autumn.store.transaction(readonly=True) as tx:
        pairs = [(p.unit_id, p.state) for p in tx.points("gd-2011")]
    rate = view.step_rate("inspect", pairs)
    assert (rate.reported, rate.missing) == (("eic",), ("dost",))


def test_eics_aggregate_reminder_carries_reported_total_and_missing_units(
    autumn: Desk,
) -> None:
    view = ProgressView(autumn.definition)
    rule = next(r for r in rules(autumn.definition) if r.id == "aggregate-progress/before-5")
    (occ,) = occurrences(rule, view)
    with autumn.store.transaction(readonly=True) as tx:
        pairs = [(p.unit_id, p.state) for p in tx.points("gd-2011")]
    (reminder,) = reminders_for(occ, view, (), {}, all_points=pairs)
    assert reminder.recipient == "eic"
    assert reminder.rate is not None
    assert (len(reminder.rate.reported), reminder.rate.total) == (4, 5)
    assert reminder.rate.missing == ("dongguan",)


def test_eics_aggregate_notice_names_the_missing_units(autumn: Desk) -> None:
    autumn.send("2011-09-23T10:00")
    (msg,) = [m for m in read_outbox(autumn.outbox) if m.rule == "aggregate-progress/before-5"]
    assert msg.to == ("eic",)
    assert msg.message["Subject"] == "全省突破点工作进展情况报告报送进度汇总（截至9月23日）"
    assert "应报单位5个，已报4个，上报率80.0%；未报1个" in msg.text
    assert "1. 东莞市人民政府" in msg.text


def test_eics_aggregate_reminder_stops_once_the_report_is_submitted(autumn: Desk) -> None:
    autumn.at("2011-09-26T10:00").submit("eic", "aggregate-progress")
    result = autumn.dry_run("2011-09-30T10:00")
    assert recipients(result, "aggregate-progress/before-0") == {}
    assert ("aggregate-progress/before-0", "2011-09-30", "closed") in result.skipped


# --- extensions ---------------------------------------------------------------------------


def test_a_point_with_a_granted_extension_is_left_out_of_the_steps_reminder(desk: Desk) -> None:
    desk.at("2011-05-04T10:00").extend("guangzhou-1", date(2011, 5, 20))
    result = desk.dry_run("2011-05-10T10:00")
    assert of(result, "submit-plan/before-0", "2011-05-10")["guangzhou"] == ("guangzhou-2",)


def test_a_point_with_a_granted_extension_is_reminded_on_its_own_due_day(desk: Desk) -> None:
    desk.at("2011-05-04T10:00").extend("guangzhou-1", date(2011, 5, 20))
    assert of(desk.dry_run("2011-05-10T10:00"), "submit-plan/before-0", "2011-05-20") == {}
    result = desk.dry_run("2011-05-20T10:00")
    assert of(result, "submit-plan/before-0", "2011-05-20") == {"guangzhou": ("guangzhou-1",)}


def test_an_extended_point_is_not_urged_after_the_steps_due_day(desk: Desk) -> None:
    desk.at("2011-05-04T10:00").extend("guangzhou-1", date(2011, 5, 20))
    result = desk.dry_run("2011-05-12T10:00")
    assert of(result, "submit-plan/overdue-1", "2011-05-10")["guangzhou"] == ("guangzhou-2",)
