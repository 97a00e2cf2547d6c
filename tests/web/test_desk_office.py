"""The coordinating office: the queue of decisions, a return with its reason recorded as
the signed-in person, bulk decisions, and the status matrix with 上报率 and 缺报名单."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.runtime.gd2011 import BACKENDS
from tests.web.conftest import DeskSite, csrf_of, upload

OFFICE = "/p/gd-2011/office"


def _decide(site: DeskSite, data: dict[str, object]) -> object:
    client = site.client("经信委统筹")
    token = csrf_of(client.get(OFFICE).text)
    return client.post(
        "/p/gd-2011/decide", data={**data, "csrf_token": token}, follow_redirects=False
    )


def test_the_queue_lists_the_points_waiting_on_a_decision(site: DeskSite) -> None:
    upload(site.client("广州填报员"), "guangzhou-1", b"plan")
    page = site.client("经信委统筹").get(OFFICE).text
    assert re.findall(r'id="queue-([^"]+)"', page) == ["screen", "withdraw", "work-plan"]
    work_plan = page.split('id="queue-work-plan"')[1].split("</form>")[0]
    assert "guangzhou-1" in work_plan
    assert "guangzhou-2" not in work_plan  # not submitted: nothing to decide yet
    assert '<option value="return">退回</option>' in work_plan


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_return_is_recorded_with_its_reason_and_the_person(site: DeskSite) -> None:
    upload(site.client("广州填报员"), "guangzhou-1", b"plan")
    response = _decide(
        site,
        {
            "task": "work-plan",
            "outcome": "return",
            "reason": "缺少时间节点",
            "point": "guangzhou-1",
        },
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    last = site.desk.programme("gd-2011").trail("guangzhou-1")[-1]
    assert (last.trigger, last.decision, last.reason) == ("return-plan", "return", "缺少时间节点")
    assert last.extras["operator"] == "经信委统筹（省经济和信息化委）"


def test_many_points_are_decided_at_once(site: DeskSite) -> None:
    points = ["ndrc-1", "eic-1", "eic-2"]
    response = _decide(
        site, {"task": "screen", "outcome": "accept", "reason": "符合条件", "point": points}
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    states = {p.point_id: p.state for p in site.desk.programme("gd-2011").snapshot().points}
    assert [states[p] for p in points] == ["screened"] * 3


def test_a_decision_without_a_reason_or_points_is_refused(site: DeskSite) -> None:
    no_reason = _decide(
        site, {"task": "screen", "outcome": "accept", "reason": " ", "point": "eic-1"}
    )
    assert no_reason.status_code == 400  # type: ignore[attr-defined]
    assert "请写明决定的理由" in no_reason.text  # type: ignore[attr-defined]
    no_points = _decide(site, {"task": "screen", "outcome": "accept", "reason": "同意"})
    assert no_points.status_code == 400  # type: ignore[attr-defined]


def test_a_decision_the_engine_refuses_is_shown_in_chinese(site: DeskSite) -> None:
    response = _decide(
        site, {"task": "work-plan", "outcome": "return", "reason": "退回", "point": "guangzhou-2"}
    )
    assert response.status_code == 409  # type: ignore[attr-defined]
    assert "guangzhou-2" in response.text  # type: ignore[attr-defined]
    assert "Traceback" not in response.text  # type: ignore[attr-defined]


def test_the_matrix_shows_each_unit_by_step_with_rates_and_missing_units(site: DeskSite) -> None:
    upload(site.client("广州填报员"), "guangzhou-1", b"plan")
    page = site.client("经信委统筹").get(OFFICE).text
    matrix = page.split('id="matrix"')[1].split("</table>")[0]
    rows = dict(re.findall(r'units/([\w-]+)">[^<]+</a></th>\s*<td class="cell (\w+)"', matrix))
    assert matrix.split("<th>")[2].startswith("报送突破点工作方案")  # the first step
    assert rows["guangzhou"] == "yellow"  # guangzhou-2 still owes it, four days off
    assert rows["foshan"] == "yellow"
    assert rows["ndrc"] == "none"  # not approved yet: it owes no work plan
    assert len(rows) == len({p.unit_id for p in site.desk.programme("gd-2011").snapshot().points})
    assert "上报率与缺报名单" in page
    plan_row = re.search(r"<tr><td>报送突破点工作方案</td>.*?</tr>", page, re.S)
    assert plan_row is not None
    assert "0/2" in plan_row.group(0)  # by unit: 广州市 still owes guangzhou-2
    assert "广州市" in plan_row.group(0)
    assert "佛山市" in plan_row.group(0)


def test_an_auditor_reads_the_matrix_but_has_no_queue(site: DeskSite) -> None:
    page = site.client("审计员").get(OFFICE).text
    assert 'id="matrix"' in page
    assert 'id="queue-' not in page
    refused = site.client("审计员").post("/p/gd-2011/decide", data={"task": "screen"})
    assert refused.status_code == 403


def test_an_extension_is_requested_by_the_unit_and_granted_by_the_office(site: DeskSite) -> None:
    unit = site.client("广州填报员")
    page = unit.get("/p/gd-2011/units/guangzhou").text
    assert "申请延期" in page
    token = csrf_of(page)
    asked = unit.post(
        "/p/gd-2011/points/guangzhou-1/submit",
        data={"csrf_token": token, "task": "extension"},
        files={"file": ("延期申请.pdf", "因市政府常务会议审议，申请延至5月20日".encode())},
        follow_redirects=False,
    )
    assert asked.status_code == 303
    office = site.client("经信委统筹").get(OFFICE).text
    extension = office.split('id="queue-extension"')[1].split("</form>")[0]
    assert "guangzhou-1" in extension
    assert "guangzhou-2" not in extension  # it asked for nothing
    assert 'name="until"' in extension
    granted = _decide(
        site,
        {
            "task": "extension",
            "outcome": "accept",
            "reason": "同意延期",
            "until": "2011-05-20",
            "point": "guangzhou-1",
        },
    )
    assert granted.status_code == 303  # type: ignore[attr-defined]
    item = unit.get("/p/gd-2011/units/guangzhou").text.split('id="item-guangzhou-1"')[1]
    assert "2011-05-20（" in item.split("</section>")[0]
    assert 'id="queue-extension"' not in site.client("经信委统筹").get(OFFICE).text


def test_a_new_due_day_that_is_not_a_date_is_refused(site: DeskSite) -> None:
    response = _decide(
        site,
        {
            "task": "extension",
            "outcome": "accept",
            "reason": "同意",
            "until": "五月",
            "point": "guangzhou-1",
        },
    )
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "不是日期" in response.text  # type: ignore[attr-defined]


def test_a_reason_with_an_invisible_character_is_refused(site: DeskSite) -> None:
    response = _decide(
        site,
        {"task": "screen", "outcome": "accept", "reason": "同意\u202e", "point": "eic-1"},
    )
    assert response.status_code == 409  # type: ignore[attr-defined]
    assert "理由" in response.text  # type: ignore[attr-defined]
    assert site.desk.programme("gd-2011").trail("eic-1")[-1].trigger == "enrol"


def test_the_office_reads_who_was_reminded_when(site: DeskSite, tmp_path: Path) -> None:
    from engine.app import MailSettings, Programme

    assert "尚未发出提醒或催报" in site.client("经信委统筹").get(OFFICE).text
    gd = Programme(
        site.desk.definitions["gd-2011"],
        site.desk.store,
        site.desk.clock,
        MailSettings(outbox=str(tmp_path / "outbox")),
    )
    result = gd.remind()
    logged = gd.snapshot(with_events=True).sent
    assert [s.unit_id for s in logged if s.status == "sent" and s.unit_id != "*"], result
    # every row but the markers that an occurrence was processed
    shown = [s for s in logged if not (s.unit_id == "*" and s.status == "sent")]
    page = site.client("经信委统筹").get(OFFICE).text
    record = page.split('id="notices"')[1].split("</table>")[0]
    assert "报送突破点工作方案" in record
    assert "广州市" in record
    assert record.count("<tr>") == len(shown) + 1  # the heading row and one row per notice
