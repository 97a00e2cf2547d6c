"""Running the 2011 programme through ``Runtime``: enrolment, decisions, documents, tasks."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from engine.refusals import (
    ActorNotAllowed,
    AlreadySubmitted,
    BadNewDeadline,
    ExtendedStepDone,
    ExtensionTooLate,
    InputNotAllowed,
    InTheFuture,
    NoExtensionRequest,
    NotAnInspector,
    TaskAlreadyDone,
    TooManyPoints,
    WaitingFor,
    WrongCommand,
)
from engine.runtime.pointsfile import read_points_file
from engine.runtime.service import NewPoint
from tests.runtime.gd2011 import (
    EIC,
    EXAMPLE_POINTS,
    GENERAL_OFFICE,
    GOVERNMENT,
    POINT_COUNT,
    PROGRAMME_ID,
    Year,
    example_ids,
    moment,
)


@pytest.fixture
def year(tmp_path: Path) -> Iterator[Year]:
    with Year(tmp_path) as opened:
        yield opened


def enrol(year: Year) -> Year:
    """Call for points sent, the 52 example points enrolled in mid-March."""
    year.at("2011-03-02T09:00").submit(EIC, "call-for-points")
    year.at("2011-03-15T10:00").enrol_example()
    return year


def approve(year: Year) -> Year:
    """Every point screened in and approved, except jiangmen-2 (screened out)."""
    ids = example_ids()
    year.at("2011-04-06T10:00")
    year.decide("screen", [i for i in ids if i != "jiangmen-2"], reason="符合条件")
    year.decide("screen", ["jiangmen-2"], "reject", reason="与 jiangmen-1 重复")
    year.at("2011-04-20T10:00").decide("approve", year.points_in("screened"))
    return year


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Year]:
    """Stores built once for the module; each test works on its own copy."""
    enrolled = enrol(Year(tmp_path_factory.mktemp("enrolled")))
    enrolled.close()
    approved = approve(Year.copy_of(enrolled, tmp_path_factory.mktemp("approved")))
    approved.close()
    return {"enrolled": enrolled, "approved": approved}


@pytest.fixture
def enrolled(templates: dict[str, Year], tmp_path: Path) -> Iterator[Year]:
    with Year.copy_of(templates["enrolled"], tmp_path / "store") as year:
        yield year


@pytest.fixture
def approved(templates: dict[str, Year], tmp_path: Path) -> Iterator[Year]:
    with Year.copy_of(templates["approved"], tmp_path / "store") as year:
        yield year


def carry(year: Year, task: str, when: str, units: list[str] | None = None) -> None:
    """Every unit (or those given) submits one document for ``task`` at ``when``."""
    year.at(when)
    before = {"work-plan": "approved", "measures": "plan-filed", "progress": "measures-filed"}
    for unit in units if units is not None else year.units_in(before[task]):
        year.submit(unit, task)


def due_of(year: Year, point: str, now: str) -> str | None:
    report = year.app.status(now=moment(now))
    (row,) = [p for p in report["points"] if p["id"] == point]
    return row["due"]


# -- enrolment ---------------------------------------------------------------------------


def test_the_52_example_points_are_enrolled_in_the_initial_state(enrolled: Year) -> None:
    states = enrolled.states()

    assert list(states) == example_ids()
    assert len(states) == POINT_COUNT
    assert set(states.values()) == {"proposed"}


def test_each_enrolled_point_has_an_enrol_event_by_its_unit(enrolled: Year) -> None:
    events = [e for e in enrolled.events() if e.trigger == "enrol"]

    assert [e.point_id for e in events] == example_ids()
    assert all(e.actor == e.unit_id and e.dest_state == "proposed" for e in events)
    assert events[0].extras == {"title": "珠江三角洲产业结构优化升级示范工程"}


def test_a_csv_file_enrols_the_same_points_as_the_yaml_file(tmp_path: Path) -> None:
    table = tmp_path / "points.csv"
    with table.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["unit", "title", "id", "file"])
        for p in read_points_file(EXAMPLE_POINTS):
            writer.writerow([p.unit, p.title, "", ""])
    rows = {}
    for name, source in (("yaml", EXAMPLE_POINTS), ("csv", table)):
        with Year(tmp_path / name) as year:
            year.runtime.enrol(read_points_file(source))
            with year.store.transaction(readonly=True) as tx:
                rows[name] = [
                    (p.point_id, p.unit_id, p.title, p.state) for p in tx.points(PROGRAMME_ID)
                ]

    assert rows["csv"] == rows["yaml"]
    assert len(rows["csv"]) == POINT_COUNT


def test_an_enrolment_document_is_kept_with_the_enrol_event(year: Year) -> None:
    letter = year.file("广州市推荐材料")

    (row,) = year.runtime.enrol([NewPoint("guangzhou", "汽车产业链高端化", letter)])

    (event,) = year.events(row.point_id)
    assert event.document_sha256 is not None
    assert year.store.documents.read_bytes(event.document_sha256) == letter.read_bytes()


def test_enrolment_gives_each_unit_at_most_two_points(year: Year) -> None:
    year.runtime.enrol([NewPoint("guangzhou", "一"), NewPoint("guangzhou", "二")])

    with pytest.raises(TooManyPoints) as refused:
        year.runtime.enrol([NewPoint("guangzhou", "三")])
    assert (refused.value.unit, refused.value.limit, refused.value.count) == ("guangzhou", 2, 3)


def test_an_explicit_point_id_is_kept(year: Year) -> None:
    (row,) = year.runtime.enrol([NewPoint("shunde", "家电产业智能化升级", point_id="SD-01")])

    assert row.point_id == "SD-01"
    assert year.state("SD-01") == "proposed"


# -- screening and approval --------------------------------------------------------------


def test_screening_in_moves_points_to_screened_on_behalf_of_the_eic(enrolled: Year) -> None:
    (event,) = enrolled.decide("screen", ["eic-1"], reason="基础较好")

    assert enrolled.state("eic-1") == "screened"
    assert (event.actor, event.trigger, event.reason) == (EIC, "screen-in", "基础较好")


def test_screening_out_makes_a_point_not_selected(enrolled: Year) -> None:
    enrolled.decide("screen", ["jiangmen-2"], "reject", reason="与 jiangmen-1 重复")

    assert enrolled.state("jiangmen-2") == "not-selected"
    assert enrolled.events("jiangmen-2")[-1].decision == "reject"


def test_the_provincial_government_approves_screened_points(approved: Year) -> None:
    states = approved.states()

    assert states.pop("jiangmen-2") == "not-selected"
    assert set(states.values()) == {"approved"}
    assert {e.actor for e in approved.events() if e.trigger == "approve"} == {GOVERNMENT}


def test_the_government_can_also_turn_a_screened_point_down(enrolled: Year) -> None:
    enrolled.decide("screen", ["zhuhai-1"])

    enrolled.decide("approve", ["zhuhai-1"], "reject", reason="暂缓")

    assert enrolled.state("zhuhai-1") == "not-selected"


# -- documents ---------------------------------------------------------------------------


def test_one_document_of_a_unit_covers_all_its_waiting_points(approved: Year) -> None:
    events = approved.at("2011-05-05T10:00").submit("guangzhou", "work-plan")

    assert [e.point_id for e in events] == ["guangzhou-1", "guangzhou-2"]
    assert len({e.document_sha256 for e in events}) == 1
    assert approved.state("guangzhou-1") == approved.state("guangzhou-2") == "plan-filed"


def test_naming_a_point_limits_the_document_to_that_point(approved: Year) -> None:
    (event,) = approved.at("2011-05-05T10:00").submit("guangzhou", "work-plan", ["guangzhou-2"])

    assert event.point_id == "guangzhou-2"
    assert approved.state("guangzhou-1") == "approved"


def test_a_document_is_stored_under_its_digest(approved: Year) -> None:
    plan = approved.file("深圳市突破点工作方案")

    (first, _) = approved.at("2011-05-05T10:00").submit("shenzhen", "work-plan", file=plan)

    assert first.document_sha256 is not None
    assert approved.store.documents.read_bytes(first.document_sha256) == plan.read_bytes()


def test_every_step_with_documents_leads_a_point_to_concluded(approved: Year) -> None:
    carry(approved, "work-plan", "2011-05-05T10:00", ["dost"])
    carry(approved, "measures", "2011-06-20T10:00", ["dost"])
    carry(approved, "progress", "2011-09-15T10:00", ["dost"])
    approved.at("2011-10-12T10:00").submit(EIC, "inspection")  # group-1 inspects dost
    approved.at("2011-11-15T10:00").submit("dost", "summary")

    approved.decide("summary", ["dost-1", "dost-2"], reason="总结审核通过")

    assert approved.state("dost-1") == approved.state("dost-2") == "concluded"
    triggers = [e.trigger for e in approved.events("dost-1")]
    assert triggers == [
        "enrol",
        "screen-in",
        "approve",
        "submit-plan",
        "report-measures",
        "report-progress",
        "inspect",
        "submit-summary",
        "conclude",
    ]


def test_a_returned_work_plan_puts_the_point_back_to_approved_with_the_reason(
    approved: Year,
) -> None:
    approved.at("2011-05-05T10:00").submit("zhuhai", "work-plan")

    (event,) = approved.decide("work-plan", ["zhuhai-1"], "return", reason="缺少时间节点")

    assert approved.state("zhuhai-1") == "approved"
    assert (event.trigger, event.source_state, event.dest_state) == (
        "return-plan",
        "plan-filed",
        "approved",
    )
    assert (event.decision, event.reason) == ("return", "缺少时间节点")


def test_a_returned_point_takes_a_new_document(approved: Year) -> None:
    approved.at("2011-05-05T10:00").submit("zhuhai", "work-plan")
    approved.decide("work-plan", ["zhuhai-1"], "return", reason="缺少时间节点")

    (event,) = approved.at("2011-05-09T10:00").submit("zhuhai", "work-plan")

    assert event.trigger == "submit-plan"
    assert approved.state("zhuhai-1") == "plan-filed"


def test_the_same_document_again_after_a_return_is_refused_as_a_duplicate(
    approved: Year,
) -> None:
    plan = approved.file("珠海市工作方案")
    approved.at("2011-05-05T10:00").submit("zhuhai", "work-plan", file=plan)
    approved.decide("work-plan", ["zhuhai-1"], "return", reason="缺少时间节点")

    with pytest.raises(AlreadySubmitted) as refused:
        approved.submit("zhuhai", "work-plan", file=plan)
    assert (refused.value.point, refused.value.step) == ("zhuhai-1", "submit-plan")


def test_a_returned_point_returns_the_unit_to_the_missing_list(approved: Year) -> None:
    approved.at("2011-05-05T10:00").submit("zhuhai", "work-plan")
    approved.decide("work-plan", ["zhuhai-1"], "return", reason="缺少时间节点")

    report = approved.app.status(now=moment("2011-05-06"))

    (plan,) = [s for s in report["steps"] if s["step"] == "submit-plan"]
    assert "zhuhai" in plan["missing"]


# -- extensions and withdrawal -----------------------------------------------------------


def test_an_extension_request_records_the_step_and_its_due_date(approved: Year) -> None:
    (event,) = approved.at("2011-05-06T10:00").submit("zhuhai", "extension")

    assert (event.trigger, event.source_state, event.dest_state) == (
        "request-extension",
        "approved",
        "approved",
    )
    assert facts(event.extras) == {"step": "submit-plan", "due": "2011-05-10"}


def test_an_extension_is_requested_only_before_the_due_date(approved: Year) -> None:
    with pytest.raises(ExtensionTooLate) as refused:
        approved.at("2011-05-11T09:00").submit("zhuhai", "extension")
    assert (refused.value.point, refused.value.step) == ("zhuhai-1", "submit-plan")


def test_the_due_date_is_a_beijing_day_whatever_offset_the_clock_has(approved: Year) -> None:
    # 2011-05-10 17:00 UTC is already 2011-05-11 01:00 in Beijing: past the due day.
    approved.clock.moment = moment("2011-05-10T17:00:00+00:00")

    with pytest.raises(ExtensionTooLate) as refused:
        approved.submit("zhuhai", "extension")
    assert refused.value.due == date(2011, 5, 10)


def test_a_granted_extension_sets_a_new_due_date_for_that_point_only(approved: Year) -> None:
    approved.at("2011-05-06T10:00").submit("guangzhou", "extension", ["guangzhou-1"])

    (event,) = approved.decide(
        "extension", ["guangzhou-1"], reason="情况属实", until=date(2011, 5, 20)
    )

    assert event.trigger == "grant-extension"
    assert event.extras["until"] == "2011-05-20"
    assert event.extras["previous_due"] == "2011-05-10"
    assert due_of(approved, "guangzhou-1", "2011-05-12") == "2011-05-20"
    assert due_of(approved, "guangzhou-2", "2011-05-12") == "2011-05-10"


def test_an_extended_point_is_not_overdue_before_its_new_due_date(approved: Year) -> None:
    approved.at("2011-05-06T10:00").submit("guangzhou", "extension", ["guangzhou-1"])
    approved.decide("extension", ["guangzhou-1"], reason="情况属实", until=date(2011, 6, 10))

    report = approved.app.status(now=moment("2011-05-12"))

    colours = {p["id"]: p["colour"] for p in report["points"]}
    assert (colours["guangzhou-1"], colours["guangzhou-2"]) == ("blue", "red")


def test_a_refused_extension_keeps_the_due_date(approved: Year) -> None:
    approved.at("2011-05-06T10:00").submit("zhuhai", "extension")

    (event,) = approved.decide("extension", ["zhuhai-1"], "reject", reason="理由不充分")

    assert event.trigger == "refuse-extension"
    assert due_of(approved, "zhuhai-1", "2011-05-12") == "2011-05-10"


def test_a_grant_needs_a_pending_request(approved: Year) -> None:
    with pytest.raises(NoExtensionRequest) as refused:
        approved.decide("extension", ["zhuhai-1"], until=date(2011, 5, 20))
    assert refused.value.point == "zhuhai-1"


def test_one_request_is_granted_once(approved: Year) -> None:
    approved.at("2011-05-06T10:00").submit("zhuhai", "extension")
    approved.decide("extension", ["zhuhai-1"], until=date(2011, 5, 20))

    with pytest.raises(NoExtensionRequest) as refused:
        approved.decide("extension", ["zhuhai-1"], until=date(2011, 5, 30))
    assert refused.value.point == "zhuhai-1"


def test_an_extension_is_not_granted_for_a_step_the_point_has_since_done(approved: Year) -> None:
    approved.at("2011-05-06T10:00").submit("zhuhai", "extension")
    approved.submit("zhuhai", "work-plan")

    with pytest.raises(ExtendedStepDone) as refused:
        approved.decide("extension", ["zhuhai-1"], until=date(2011, 5, 20))
    assert (refused.value.point, refused.value.step) == ("zhuhai-1", "submit-plan")
    assert refused.value.step.label == "报送突破点工作方案"


def test_a_new_due_date_must_be_later_than_the_current_one(approved: Year) -> None:
    approved.at("2011-05-06T10:00").submit("zhuhai", "extension")

    with pytest.raises(BadNewDeadline) as refused:
        approved.decide("extension", ["zhuhai-1"], until=date(2011, 5, 9))
    assert (refused.value.until, refused.value.current) == (date(2011, 5, 9), date(2011, 5, 10))


def test_withdrawal_takes_a_point_out_of_the_programme(approved: Year) -> None:
    (event,) = approved.decide("withdraw", ["shanwei-1"], reason="项目取消")

    assert approved.state("shanwei-1") == "withdrawn"
    assert (event.trigger, event.actor) == ("withdraw", EIC)
    report = approved.app.status(now=moment("2011-05-06"))
    (plan,) = [s for s in report["steps"] if s["step"] == "submit-plan"]
    assert "shanwei" not in plan["missing"]
    assert plan["total"] == 40  # 41 units with points, shanwei has none left in scope


# -- inspection --------------------------------------------------------------------------


def test_an_inspection_lead_covers_the_points_of_the_units_it_inspects(approved: Year) -> None:
    carry(approved, "work-plan", "2011-05-05T10:00")
    carry(approved, "measures", "2011-06-20T10:00")
    carry(approved, "progress", "2011-09-15T10:00")

    events = approved.at("2011-10-12T10:00").submit("land", "inspection")  # group-5 lead

    inspected = {"zhanjiang", "maoming", "yangjiang", "environment", "transport", "agriculture"}
    assert {e.unit_id for e in events} == inspected
    assert {e.actor for e in events} == {"land"}
    assert approved.state("transport-2") == "inspected"
    assert approved.state("land-1") == "progress-reported"  # land is inspected by group-6


def test_a_body_that_leads_no_inspection_group_cannot_report_an_inspection(
    approved: Year,
) -> None:
    with pytest.raises(NotAnInspector) as refused:
        approved.submit("guangzhou", "inspection")
    assert (refused.value.actor, refused.value.step) == ("guangzhou", "inspect")


# -- programme-level tasks ---------------------------------------------------------------


def test_a_programme_task_is_recorded_once_for_the_whole_programme(year: Year) -> None:
    (event,) = year.at("2011-03-02T09:00").submit("dost", "call-for-points")

    assert (event.trigger, event.point_id, event.actor) == ("call-for-points", None, "dost")
    with pytest.raises(TaskAlreadyDone) as refused:
        year.submit(EIC, "call-for-points")
    assert refused.value.task == "call-for-points"


def test_a_programme_task_is_submitted_by_its_responsible_body_only(approved: Year) -> None:
    with pytest.raises(ActorNotAllowed) as refused:
        approved.submit("dost", "aggregate-progress")
    assert refused.value.actor == "dost"
    assert (refused.value.step, refused.value.allowed) == ("aggregate-progress", (EIC,))


def test_a_programme_task_takes_no_point(approved: Year) -> None:
    with pytest.raises(InputNotAllowed) as refused:
        approved.submit(EIC, "aggregate-progress", ["eic-1"])
    assert (refused.value.what, refused.value.step) == ("points", "aggregate-progress")


def test_aggregate_progress_waits_for_every_progress_report_before_the_deadline(
    approved: Year,
) -> None:
    carry(approved, "work-plan", "2011-05-05T10:00")
    carry(approved, "measures", "2011-06-20T10:00")
    carry(approved, "progress", "2011-09-15T10:00", approved.units_in("measures-filed")[:-1])

    with pytest.raises(WaitingFor) as refused:
        approved.submit(EIC, "aggregate-progress")
    assert (refused.value.waits_for, refused.value.missing) == ("report-progress", ("shunde",))
    assert refused.value.missing[0].label == "顺德区"


def test_aggregate_progress_goes_ahead_once_every_unit_reported(approved: Year) -> None:
    carry(approved, "work-plan", "2011-05-05T10:00")
    carry(approved, "measures", "2011-06-20T10:00")
    carry(approved, "progress", "2011-09-15T10:00")

    (event,) = approved.submit(EIC, "aggregate-progress")

    assert event.trigger == "aggregate-progress"
    assert facts(event.extras) == {}
    assert "file" in event.extras  # the document's name travels with the event


def test_aggregate_progress_after_the_deadline_records_the_missing_units(approved: Year) -> None:
    carry(approved, "work-plan", "2011-05-05T10:00")
    carry(approved, "measures", "2011-06-20T10:00")
    late = ["shunde", "yunfu"]
    units = [u for u in approved.units_in("measures-filed") if u not in late]
    carry(approved, "progress", "2011-09-15T10:00", units)

    (event,) = approved.at("2011-09-21T10:00").submit(EIC, "aggregate-progress")

    assert facts(event.extras) == {"missing": ["yunfu", "shunde"]}


def test_the_inspection_notice_waits_for_the_aggregated_progress(approved: Year) -> None:
    approved.at("2011-10-08T10:00")

    with pytest.raises(WaitingFor) as refused:
        approved.submit(GENERAL_OFFICE, "inspection-notice")
    assert (refused.value.waits_for, refused.value.missing) == ("aggregate-progress", ())


def test_the_meeting_waits_for_the_province_report(approved: Year) -> None:
    approved.at("2011-12-20T10:00")

    with pytest.raises(WaitingFor) as refused:
        approved.submit(GENERAL_OFFICE, "meeting")
    assert refused.value.waits_for.label == "撰写全省转型升级突破点情况报告"


def test_deciding_a_programme_task_points_to_submit(approved: Year) -> None:
    with pytest.raises(WrongCommand) as refused:
        approved.decide("meeting", ["eic-1"])
    assert (refused.value.task, refused.value.needs) == ("meeting", "submit")


def test_proposals_are_made_by_enrolment_not_by_submission(approved: Year) -> None:
    with pytest.raises(WrongCommand) as refused:
        approved.submit("guangzhou", "proposals")
    assert (refused.value.task, refused.value.needs) == ("proposals", "enrol")


# -- times -------------------------------------------------------------------------------


def test_an_effective_time_is_recorded_beside_the_recording_time(approved: Year) -> None:
    approved.at("2011-05-12T10:00")

    (event,) = approved.runtime.submit(
        "zhuhai", "work-plan", approved.file(), (), moment("2011-05-09T16:30")
    )

    assert event.effective_at == "2011-05-09T16:30:00+08:00"
    assert event.recorded_at == "2011-05-12T10:00:00+08:00"


def test_an_effective_time_in_the_future_is_refused(approved: Year) -> None:
    approved.at("2011-05-05T10:00")

    with pytest.raises(InTheFuture):
        approved.runtime.submit(
            "zhuhai", "work-plan", approved.file(), (), moment("2011-05-06T10:00")
        )


def facts(data: dict[str, object]) -> dict[str, object]:
    """An event's data less what every event with a document carries (its file name) and the
    operator, which the CLI adds."""
    return {k: v for k, v in data.items() if k not in ("file", "operator")}
