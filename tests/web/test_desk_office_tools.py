"""The office's tools past a due day: a 催报 sent by hand through the reminder code path and
sent-log, the items stuck in a state, the 通报 as a printable 公文; and an inspection lead
submitting its own report on its page. Each refuses the roles it is not for."""

from __future__ import annotations

import re
from datetime import datetime
from email import message_from_bytes, policy

import pytest

from engine.clock import FixedClock
from tests.web.conftest import PASSWORD, DeskSite, csrf_of

OFFICE = "/p/gd-2011/office"
LATER = datetime.fromisoformat("2011-05-12T10:00:00+08:00")  # the work plans' 5月10日 passed


@pytest.fixture
def late(site: DeskSite) -> DeskSite:
    site.desk.clock = FixedClock(LATER)
    return site


def _urge(client: object, step: str = "submit-plan") -> object:
    token = csrf_of(client.get(OFFICE).text)  # type: ignore[attr-defined]
    return client.post(  # type: ignore[attr-defined]
        "/p/gd-2011/urge", data={"csrf_token": token, "step": step}, follow_redirects=False
    )


def test_the_office_urges_by_hand_the_units_that_owe_a_step(late: DeskSite) -> None:
    client = late.client("经信委统筹")
    page = client.get(OFFICE).text
    assert 'name="step" value="submit-plan"><button type="submit">立即催报' in page
    response = _urge(client)
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"].endswith("urged=2")  # type: ignore[attr-defined]
    outbox = late.desk.work_dir / "outbox"
    mails = [
        message_from_bytes(p.read_bytes(), policy=policy.default) for p in outbox.glob("*.eml")
    ]
    assert sorted(str(m["X-Docflow-Rule"]) for m in mails) == ["submit-plan/by-hand"] * 2
    assert all("催报" in str(m["Subject"]) for m in mails)
    gd = late.desk.programme("gd-2011")
    sent = [s for s in gd.snapshot(with_events=True).sent if s.rule == "submit-plan/by-hand"]
    assert sorted(s.unit_id for s in sent if s.unit_id != "*") == ["foshan", "guangzhou"]
    notify = [e for e in gd.trail() if e.trigger == "notify"][-1]
    assert notify.extras["rule"] == "submit-plan/by-hand"
    assert notify.extras["operator"] == "经信委统筹（省经济和信息化委）"
    record = client.get(OFFICE).text.split('id="notices"')[1]
    assert "统筹办公室人工催报" in record
    assert 'id="urged">已发出催报 2 封' in client.get(OFFICE + "?urged=2").text


def test_urging_again_at_the_same_moment_sends_nothing_twice(late: DeskSite) -> None:
    client = late.client("经信委统筹")
    _urge(client)
    again = _urge(client)
    assert again.headers["location"].endswith("urged=0")  # type: ignore[attr-defined]
    assert len(list((late.desk.work_dir / "outbox").glob("*.eml"))) == 2


def test_a_step_without_a_passed_due_day_has_no_urge_button_and_sends_nothing(
    site: DeskSite,
) -> None:
    client = site.client("经信委统筹")
    assert "立即催报" not in client.get(OFFICE).text  # 5月6日: nothing is overdue yet
    response = _urge(client)
    assert response.headers["location"].endswith("urged=0")  # type: ignore[attr-defined]
    unknown = _urge(client, "no-such-step")
    assert unknown.status_code == 409  # type: ignore[attr-defined]
    assert "没有催报规则" in unknown.text  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["广州填报员", "审计员"])
def test_only_the_office_urges(late: DeskSite, name: str) -> None:
    client = late.client(name)
    token = csrf_of(
        client.get("/p/gd-2011/").text
        if name == "审计员"
        else client.get("/p/gd-2011/units/guangzhou").text
    )
    response = client.post(
        "/p/gd-2011/urge",
        data={"csrf_token": token, "step": "submit-plan"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert not (late.desk.work_dir / "outbox").exists()


def test_items_stuck_in_a_state_are_listed_past_n_working_days(late: DeskSite) -> None:
    client = late.client("经信委统筹")
    # Everything entered its state on 5月6日 (Friday): 4 working days by 5月12日.
    listed = client.get(OFFICE + "?stuck=3").text.split('id="stuck-items"')[1].split("</table>")[0]
    rows = re.findall(r"<tr><td><a href=\"/p/gd-2011/points/([\w-]+)\">", listed)
    assert len(rows) == 52
    assert "<td>2011-05-06</td><td>4</td>" in listed
    none = client.get(OFFICE + "?stuck=4").text
    assert 'id="stuck-items"' not in none
    assert "没有在同一状态停留超过 4 个工作日的事项" in none


def test_the_circular_is_a_printable_document_of_the_current_state(late: DeskSite) -> None:
    page = late.client("经信委统筹").get("/p/gd-2011/circular").text
    article = page.split('id="circular"')[1].split("</article>")[0]
    assert "关于全省产业转型升级突破点工作情况的通报</h1>" in article
    assert "各地级以上市人民政府，顺德区人民政府，各省直有关部门：" in article
    assert "现将截至2011年5月12日各单位有关材料报送情况通报如下" in article
    plan = article.split('id="step-submit-plan"')[1].split("</p>")[0]
    assert "（报送期限：2011年5月10日）" in plan
    assert "应报 2 个单位，已报 0 个，上报率 0.0%" in plan
    assert "缺报单位（2 个）：广州市、佛山市。" in plan
    assert "请缺报单位高度重视，抓紧补报" in article
    assert "广东省经济和信息化委员会<br>二〇一一年五月十二日" in article
    assert late.client("审计员").get("/p/gd-2011/circular").status_code == 200
    assert late.client("广州填报员").get("/p/gd-2011/circular").status_code == 403


def _through_progress(site: DeskSite, point: str, unit: str) -> None:
    gd = site.desk.programme("gd-2011")
    for task in ("work-plan", "measures", "progress"):
        document = site.folder / f"{task}.txt"
        document.write_text(f"{point} {task}", encoding="utf-8")
        gd.submit(unit, task, document, [point])


@pytest.fixture
def lead(site: DeskSite) -> DeskSite:
    _, token = site.desk.accounts.add("检查组长", "eic", "inspector")  # 第一检查组 leads guangzhou
    site.desk.accounts.set_password(token, PASSWORD, PASSWORD)
    _through_progress(site, "guangzhou-1", "guangzhou")
    return site


def test_an_inspection_lead_submits_its_report_on_its_page(lead: DeskSite) -> None:
    client = lead.client("检查组长")
    page = client.get("/p/gd-2011/").text
    duty = page.split('id="duty-inspect"')[1].split("</section>")[0]
    assert "广州市" in duty
    assert "（1 项）" in duty
    response = client.post(
        "/p/gd-2011/inspections",
        data={"csrf_token": csrf_of(page), "step": "inspect"},
        files={"file": ("检查报告.pdf", b"inspection report")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    receipt = client.get(response.headers["location"]).text
    assert "检查组长（省经济和信息化委）" in receipt
    last = lead.desk.programme("gd-2011").trail("guangzhou-1")[-1]
    assert (last.trigger, last.actor) == ("inspect", "eic")
    assert last.extras["operator"] == "检查组长（省经济和信息化委）"
    assert 'id="duty-inspect"' not in client.get("/p/gd-2011/").text  # nothing left to report


def test_only_an_inspection_lead_submits_inspection_reports(lead: DeskSite) -> None:
    unit = lead.client("广州填报员")
    token = csrf_of(unit.get("/p/gd-2011/units/guangzhou").text)
    response = unit.post(
        "/p/gd-2011/inspections",
        data={"csrf_token": token, "step": "inspect"},
        files={"file": ("检查报告.pdf", b"x")},
        follow_redirects=False,
    )
    assert response.status_code == 403
    client = lead.client("检查组长")
    other = client.post(
        "/p/gd-2011/inspections",
        data={"csrf_token": csrf_of(client.get("/p/gd-2011/").text), "step": "submit-plan"},
        files={"file": ("工作方案.pdf", b"x")},
        follow_redirects=False,
    )
    assert other.status_code == 409
    assert lead.desk.programme("gd-2011").trail("guangzhou-1")[-1].trigger == "report-progress"
