"""撤回 and 更正: a mistaken record is corrected by a correcting event; the trail keeps both."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from engine.definition.loader import load_definition
from engine.errors import TrailBroken
from engine.refusals import (
    AlreadySubmitted,
    CannotCorrect,
    LaterEvents,
    MissingInput,
    NoExtensionRequest,
    UnknownEvent,
)
from engine.runtime.correcting import Corrections
from engine.runtime.corrections import AMEND, WITHDRAW, standing
from engine.runtime.replay import replay
from engine.runtime.service import NewPoint, Runtime
from engine.runtime.trail import verify
from tests.runtime.gd2011 import EIC, PROGRAMME_ID, Year, raw_sql


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Year:
    """The example points approved; 广州 and 佛山 filed their work plans on 05-09."""
    year = Year(tmp_path_factory.mktemp("template"))
    year.approved_spring()
    year.at("2011-05-09T10:00").submit("guangzhou", "work-plan", ["guangzhou-1"])
    year.submit("foshan", "work-plan", ["foshan-1"])
    year.close()
    return year


@pytest.fixture
def year(template: Year, tmp_path: Path) -> Iterator[Year]:
    with Year.copy_of(template, tmp_path / "store") as copy:
        copy.at("2011-05-10T09:00")
        yield copy


def corrections(year: Year) -> Corrections:
    return Corrections(year.runtime)


def last_seq(year: Year, point: str) -> int:
    return year.events(point)[-1].seq


def test_withdrawing_a_submission_puts_the_point_back(year: Year) -> None:
    plan = last_seq(year, "guangzhou-1")
    event = corrections(year).withdraw(plan, "误将佛山市的方案登记为广州市的")
    assert year.state("guangzhou-1") == "approved"
    assert (event.trigger, event.source_state, event.dest_state) == (
        WITHDRAW,
        "plan-filed",
        "approved",
    )
    assert event.extras["corrects"] == plan
    assert event.actor == EIC  # the issuer, unless another body is named
    trail = year.events("guangzhou-1")
    assert [e.seq for e in trail[-2:]] == [plan, event.seq]  # both kept
    assert plan not in [e.seq for e in standing(trail)]
    assert verify(year.store).ok


def test_a_withdrawn_submission_may_be_submitted_again_with_the_same_file(year: Year) -> None:
    (plan,) = [e for e in year.events("guangzhou-1") if e.trigger == "submit-plan"]
    stored = year.store.documents.path_for(plan.document_sha256 or "")
    corrections(year).withdraw(plan.seq, "登记时间有误")
    again = year.file(stored.read_text(encoding="utf-8"))
    (event,) = year.submit("guangzhou", "work-plan", ["guangzhou-1"], file=again)
    assert event.document_sha256 == plan.document_sha256
    assert year.state("guangzhou-1") == "plan-filed"


def test_a_standing_submission_of_the_same_file_is_still_refused(year: Year) -> None:
    (plan,) = [e for e in year.events("guangzhou-1") if e.trigger == "submit-plan"]
    text = year.store.documents.path_for(plan.document_sha256 or "").read_text(encoding="utf-8")
    year.decide("work-plan", ["guangzhou-1"], "return", "内容不全")
    with pytest.raises(AlreadySubmitted):
        year.submit("guangzhou", "work-plan", ["guangzhou-1"], file=year.file(text))


def test_withdrawing_a_decision_puts_the_point_back(year: Year) -> None:
    (returned,) = year.decide("work-plan", ["foshan-1"], "return", "误退")
    assert year.state("foshan-1") == "approved"
    corrections(year).withdraw(returned.seq, "退回有误")
    assert year.state("foshan-1") == "plan-filed"
    assert verify(year.store).ok


def test_withdrawing_a_grant_takes_its_extension_out(year: Year) -> None:
    year.at("2011-05-05T10:00")
    (request,) = year.submit("shenzhen", "extension", ["shenzhen-1"])
    (grant,) = year.decide("extension", ["shenzhen-1"], reason="同意", until=date(2011, 5, 20))
    year.at("2011-05-10T09:00")
    with year.store.transaction(readonly=True) as tx:
        assert [o.due for o in tx.deadline_overrides(PROGRAMME_ID, "shenzhen-1")] == [
            date(2011, 5, 20)
        ]
    corrections(year).withdraw(grant.seq, "批准延期的决定尚未作出，误录")
    with year.store.transaction(readonly=True) as tx:
        assert tx.deadline_overrides(PROGRAMME_ID, "shenzhen-1") == []
    status = year.app.status(now=year.clock.now())
    (shenzhen,) = [p for p in status["points"] if p["id"] == "shenzhen-1"]
    assert shenzhen["due"] == "2011-05-10"
    assert verify(year.store).ok
    # The request is pending again: it may now be granted (or refused) for real.
    (again,) = year.decide("extension", ["shenzhen-1"], reason="同意", until=date(2011, 5, 25))
    assert again.extras["request"] == request.seq


def test_a_withdrawn_request_cannot_be_granted(year: Year) -> None:
    year.at("2011-05-05T10:00")
    (request,) = year.submit("shenzhen", "extension", ["shenzhen-1"])
    corrections(year).withdraw(request.seq, "误报")
    with pytest.raises(NoExtensionRequest):
        year.decide("extension", ["shenzhen-1"], reason="同意", until=date(2011, 5, 20))


def test_only_the_latest_event_of_a_point_is_withdrawn(year: Year) -> None:
    events = year.events("guangzhou-1")
    approve, plan = events[-2].seq, events[-1].seq
    with pytest.raises(LaterEvents) as refused:
        corrections(year).withdraw(approve, "审定有误")
    assert refused.value.later == (plan,)
    assert f"须先从最新的第 {plan} 条起逐条撤回" in refused.value.message
    corrections(year).withdraw(plan, "方案误录")
    corrections(year).withdraw(approve, "审定有误")
    assert year.state("guangzhou-1") == "screened"
    assert verify(year.store).ok


def test_an_enrolment_is_not_withdrawn(year: Year) -> None:
    seq = next(e.seq for e in year.events() if e.trigger == "enrol")
    before = year.snapshot()
    with pytest.raises(CannotCorrect, match="撤销突破点须办理工作方案中的撤销事项"):
        corrections(year).withdraw(seq, "误录")
    assert year.snapshot() == before


def test_a_programme_tasks_record_is_withdrawn_and_may_be_recorded_again(year: Year) -> None:
    call = next(e for e in year.events() if e.trigger == "call-for-points")
    event = corrections(year).withdraw(call.seq, "通知尚未印发")
    assert (event.point_id, event.source_state, event.dest_state) == (None, None, None)
    with year.store.transaction(readonly=True) as tx:
        assert not tx.task_done(PROGRAMME_ID, "call-for-points")
    (task,) = [t for t in year.app.status()["tasks"] if t["task"] == "call-for-points"]
    assert not task["done"]
    (again,) = year.submit(EIC, "call-for-points")
    assert again.trigger == "call-for-points"
    assert verify(year.store).ok


def test_a_programme_task_waited_for_is_withdrawn_only_after_what_waits(year: Year) -> None:
    year.at("2011-09-25T10:00")
    (aggregate,) = year.submit(EIC, "aggregate-progress")
    (notice,) = year.submit("general-office", "inspection-notice")
    with pytest.raises(LaterEvents) as refused:
        corrections(year).withdraw(aggregate.seq, "汇总有误")
    assert refused.value.message == (
        f"留痕第 {aggregate.seq} 条记录之后，等待它完成的事项已由第 {notice.seq} 条记录报送，"
        f"须先从最新的第 {notice.seq} 条起逐条撤回"
    )
    corrections(year).withdraw(notice.seq, "通知误发")
    corrections(year).withdraw(aggregate.seq, "汇总有误")
    with year.store.transaction(readonly=True) as tx:
        assert not tx.task_done(PROGRAMME_ID, "aggregate-progress")


def test_a_correction_is_not_itself_withdrawn_nor_a_withdrawn_event_again(year: Year) -> None:
    plan = last_seq(year, "guangzhou-1")
    event = corrections(year).withdraw(plan, "误录")
    with pytest.raises(CannotCorrect, match="本身是撤回或更正的记录"):
        corrections(year).withdraw(event.seq, "撤回有误")
    with pytest.raises(CannotCorrect, match=f"已由第 {event.seq} 条撤回"):
        corrections(year).withdraw(plan, "再撤回")


@pytest.mark.parametrize("seq", [0, 10_000])
def test_an_unknown_seq_is_refused(year: Year, seq: int) -> None:
    with pytest.raises(UnknownEvent, match=f"留痕第 {seq} 条记录不存在"):
        corrections(year).withdraw(seq, "误录")


def test_another_programmes_event_is_refused(year: Year, tmp_path: Path) -> None:
    folder = tmp_path / "gd-2011-b"
    shutil.copytree(year.programme, folder)
    yaml = folder / "programme.yaml"
    text = yaml.read_text(encoding="utf-8").replace("  id: gd-2011\n", "  id: gd-2011-b\n", 1)
    yaml.write_text(text, encoding="utf-8")
    other = Runtime(load_definition(folder), year.store, year.clock)
    other.enrol([NewPoint("guangzhou", "另一方案的突破点")])
    with pytest.raises(UnknownEvent, match="属于工作方案 gd-2011，不属于 gd-2011-b"):
        Corrections(other).withdraw(last_seq(year, "guangzhou-1"), "误录")


def test_a_reason_is_required(year: Year) -> None:
    with pytest.raises(MissingInput, match="撤回或更正记录须说明理由"):
        corrections(year).withdraw(last_seq(year, "guangzhou-1"), "  ")
    approve = year.events("foshan-1")[-2]
    with pytest.raises(MissingInput, match="更正后的决定理由不能为空"):
        corrections(year).amend(approve.seq, "理由录错", decision_reason=" ")


# --- 更正 ------------------------------------------------------------------------------


def test_correcting_a_document_keeps_the_state_and_replaces_the_file(year: Year) -> None:
    plan = last_seq(year, "guangzhou-1")
    right = year.file("广州市突破点工作方案（正式稿）", name="广州市突破点工作方案.pdf")
    event = corrections(year).amend(plan, "报错了草稿", file=right)
    assert year.state("guangzhou-1") == "plan-filed"
    assert event.trigger == AMEND
    assert (event.source_state, event.dest_state) == (None, None)
    assert event.extras == {"corrects": plan, "file": "广州市突破点工作方案.pdf"}
    (now,) = [e for e in standing(year.events("guangzhou-1")) if e.seq == plan]
    assert now.document_sha256 == event.document_sha256
    assert now.extras["file"] == "广州市突破点工作方案.pdf"
    assert verify(year.store).ok
    with pytest.raises(CannotCorrect, match="报送的正是这份文件"):
        corrections(year).amend(plan, "再更正", file=right)


def test_correcting_a_decisions_reason(year: Year) -> None:
    approve, plan = year.events("foshan-1")[-2:]
    assert approve.trigger == "approve"
    corrections(year).amend(
        approve.seq, "理由录错", decision_reason="省政府第 5 次常务会议审定同意"
    )
    (now,) = [e for e in standing(year.events("foshan-1")) if e.seq == approve.seq]
    assert now.reason == "省政府第 5 次常务会议审定同意"
    with pytest.raises(CannotCorrect, match="不是一项决定"):
        corrections(year).amend(plan.seq, "x", decision_reason="y")
    with pytest.raises(CannotCorrect, match="没有报送文件"):
        corrections(year).amend(approve.seq, "x", file=year.file())


def test_a_programme_tasks_document_may_be_corrected(year: Year) -> None:
    call = next(e for e in year.events() if e.trigger == "call-for-points")
    event = corrections(year).amend(call.seq, "附件漏了", file=year.file())
    assert event.point_id is None
    assert verify(year.store).ok


# --- the audit ---------------------------------------------------------------------------


def test_the_audit_replays_a_withdrawal_and_catches_the_state_put_back(year: Year) -> None:
    corrections(year).withdraw(last_seq(year, "guangzhou-1"), "误录")
    assert verify(year.store).ok
    raw_sql(year.db, "UPDATE points SET state = 'plan-filed' WHERE point_id = 'guangzhou-1'")
    report = verify(year.store)
    assert report.failures == (
        "突破点 gd-2011/guangzhou-1 的状态：表中为 plan-filed，留痕为 approved（表被改动）",
    )
    with pytest.raises(TrailBroken):
        report.raise_if_broken()


def test_the_audit_catches_the_extension_of_a_withdrawn_grant_put_back(year: Year) -> None:
    year.at("2011-05-05T10:00")
    year.submit("shenzhen", "extension", ["shenzhen-1"])
    (grant,) = year.decide("extension", ["shenzhen-1"], reason="同意", until=date(2011, 5, 20))
    event = corrections(year).withdraw(grant.seq, "误录")
    assert verify(year.store).ok
    raw_sql(
        year.db,
        "INSERT INTO deadline_overrides VALUES (?, ?, ?, ?, ?)",
        PROGRAMME_ID,
        "shenzhen-1",
        "submit-plan",
        grant.seq,
        "2011-05-20",
    )
    assert verify(year.store).failures == (
        f"期限延长记录（突破点 gd-2011/shenzhen-1 的「submit-plan」延期至 2011-05-20）所依据的"
        f"第 {grant.seq} 条留痕已由第 {event.seq} 条撤回：该行应已删除",
    )


def test_the_audit_catches_a_withdrawal_event_changed(year: Year) -> None:
    event = corrections(year).withdraw(last_seq(year, "guangzhou-1"), "误录")
    raw_sql(year.db, "UPDATE events SET dest_state = 'screened' WHERE seq = ?", event.seq)
    report = verify(year.store)
    assert report.failing_seq == event.seq
    assert "该事件写入后被改动" in (report.first_failure or "")


def test_the_replay_puts_a_withdrawn_point_back(year: Year) -> None:
    corrections(year).withdraw(last_seq(year, "guangzhou-1"), "误录")
    with year.store.transaction(readonly=True) as tx:
        tables = replay(tx.iter_event_values())
    assert tables.points[(PROGRAMME_ID, "guangzhou-1")].state == "approved"


def test_withdrawing_every_record_newest_first_brings_a_point_back_to_its_enrolment(
    year: Year,
) -> None:
    year.at("2011-05-05T10:00")
    year.submit("shenzhen", "extension", ["shenzhen-1"])
    year.decide("extension", ["shenzhen-1"], reason="同意", until=date(2011, 5, 20))
    year.submit("shenzhen", "work-plan", ["shenzhen-1"])
    year.decide("work-plan", ["shenzhen-1"], "return", "内容不全")
    year.submit("shenzhen", "work-plan", ["shenzhen-1"])
    states = [e.source_state for e in year.events("shenzhen-1")[1:]]
    for expected in reversed(states):
        latest = standing(year.events("shenzhen-1"))[-1]
        corrections(year).withdraw(latest.seq, "逐条撤回")
        assert year.state("shenzhen-1") == expected
    assert year.state("shenzhen-1") == "proposed"
    with year.store.transaction(readonly=True) as tx:
        assert tx.deadline_overrides(PROGRAMME_ID, "shenzhen-1") == []
    assert [e.trigger for e in standing(year.events("shenzhen-1"))] == ["enrol"]
    assert verify(year.store).ok
