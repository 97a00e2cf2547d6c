"""The reminder rules of the 2011 programme and the days they go out on."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from engine.clock import SHANGHAI
from engine.delivery.reminders import Rule, occurrences, rules
from engine.runtime.progress import ProgressView

from .year2011 import PLAN_DUE, Desk, definition


def rule_ids(step: str) -> list[str]:
    return [r.id for r in rules(definition()) if r.step == step]


def rule(rule_id: str) -> Rule:
    return next(r for r in rules(definition()) if r.id == rule_id)


def send_day(rule_id: str, due: date = PLAN_DUE) -> date:
    view = ProgressView(definition())
    (occ,) = [o for o in occurrences(rule(rule_id), view, [due]) if o.due == due]
    return occ.send_at.date()


@pytest.mark.parametrize(
    "step", ["submit-plan", "report-measures", "report-progress", "submit-summary", "proposals"]
)
def test_standard_steps_have_before_5_2_0_and_three_urges(step: str) -> None:
    assert rule_ids(step) == [
        f"{step}/before-5",
        f"{step}/before-2",
        f"{step}/before-0",
        f"{step}/overdue-1",
        f"{step}/overdue-2",
        f"{step}/overdue-3",
    ]


@pytest.mark.parametrize("step", ["aggregate-progress", "aggregate-inspection", "province-report"])
def test_eic_tasks_follow_the_coordinator_policy(step: str) -> None:
    assert rule_ids(step) == [
        f"{step}/before-5",
        f"{step}/before-0",
        f"{step}/overdue-1",
        f"{step}/overdue-2",
    ]
    assert {rule(r).notice for r in rule_ids(step)} == {"progress_summary"}


def test_the_inspection_lead_is_reminded_and_urged_for_its_own_report_on_the_same_days() -> None:
    step = "inspect"
    assert rule_ids(step) == [
        f"{step}/before-5",
        f"{step}/before-0",
        f"{step}/overdue-1",
        f"{step}/overdue-2",
    ]
    assert [rule(r).notice for r in rule_ids(step)] == ["reminder", "reminder", "urge", "urge"]


def test_steps_without_a_reminder_policy_have_no_rules() -> None:
    steps = {r.step for r in rules(definition())}
    assert steps.isdisjoint({"call-for-points", "inspection-notice", "meeting", "approve"})


def test_the_programme_has_46_rules() -> None:
    assert len(rules(definition())) == 5 * 6 + 4 * 4


def test_the_schedule_is_the_same_for_no_points_and_for_52_points(tmp_path: Path) -> None:
    with Desk(tmp_path / "empty") as empty, Desk(tmp_path / "full") as full:
        full.standard()
        with (
            empty.store.transaction(readonly=True) as a,
            full.store.transaction(readonly=True) as b,
        ):
            before = [(o.rule.id, o.due, o.send_at) for o in empty.runner().schedule(a)]
            after = [(o.rule.id, o.due, o.send_at) for o in full.runner().schedule(b)]
    assert before == after
    assert len(after) == 46


@pytest.mark.parametrize(
    ("rule_id", "day"),
    [
        ("submit-plan/before-5", date(2011, 5, 3)),
        ("submit-plan/before-2", date(2011, 5, 6)),
        ("submit-plan/before-0", date(2011, 5, 10)),
    ],
)
def test_work_plan_reminders_go_out_on_may_3_6_and_10(rule_id: str, day: date) -> None:
    assert send_day(rule_id) == day


@pytest.mark.parametrize(
    ("rule_id", "day"),
    [
        ("submit-plan/overdue-1", date(2011, 5, 12)),
        ("submit-plan/overdue-2", date(2011, 5, 16)),
        ("submit-plan/overdue-3", date(2011, 5, 18)),
    ],
)
def test_work_plan_urges_go_out_every_two_working_days_after_may_10(
    rule_id: str, day: date
) -> None:
    assert send_day(rule_id) == day


def test_every_reminder_goes_out_at_nine_beijing_time_on_a_working_day() -> None:
    view = ProgressView(definition())
    found = [o for r in rules(definition()) for o in occurrences(r, view)]
    assert len(found) == 46
    for occ in found:
        assert occ.send_at.tzinfo == SHANGHAI
        assert occ.send_at.utcoffset() == timedelta(hours=8)
        assert (occ.send_at.hour, occ.send_at.minute) == (9, 0)
        assert view.calendar.is_working_day(occ.send_at.date()), occ


def test_a_reminder_due_on_a_sunday_goes_out_the_friday_before() -> None:
    # 提出突破点: 3月中旬 ends on Sunday 2011-03-20.
    assert send_day("proposals/before-0", date(2011, 3, 20)) == date(2011, 3, 18)


def test_an_urge_after_national_day_goes_out_on_the_working_sunday() -> None:
    # Due Friday 9-30; 10-1..7 are holidays, 10-8 (Saturday) and 10-9 (Sunday) working days.
    assert send_day("aggregate-progress/overdue-1", date(2011, 9, 30)) == date(2011, 10, 9)


def test_an_extended_due_day_has_its_own_occurrence_of_each_rule() -> None:
    view = ProgressView(definition())
    found = occurrences(rule("submit-plan/before-2"), view, [date(2011, 5, 20)])
    assert [(o.due, o.send_at.date()) for o in found] == [
        (PLAN_DUE, date(2011, 5, 6)),
        (date(2011, 5, 20), date(2011, 5, 18)),
    ]


def test_an_occurrence_is_named_by_its_due_day() -> None:
    view = ProgressView(definition())
    (occ,) = occurrences(rule("submit-plan/overdue-1"), view)
    assert occ.key == "2011-05-10"
