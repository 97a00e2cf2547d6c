"""The auditor's view: the trail filtered by item, unit, step, operator and dates, each
event's document downloaded by its hash (a path is never taken), ``audit verify`` on
demand, the report served, and the accounts with their sign-ins."""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.web.conftest import NOW, DeskSite, csrf_of, upload


@pytest.fixture
def returned(site: DeskSite) -> DeskSite:
    """广州市's work plan submitted and returned, 佛山市's submitted."""
    upload(site.client("广州填报员"), "guangzhou-1", b"guangzhou v1")
    upload(site.client("佛山填报员"), "foshan-1", b"foshan v1", unit="foshan")
    site.desk.programme("gd-2011").decide("work-plan", ["guangzhou-1"], "return", "缺少时间节点")
    return site


def _seqs(page: str) -> list[int]:
    return [int(s) for s in re.findall(r'<tr id="event-(\d+)">', page)]


def test_the_trail_is_filtered_by_each_field(returned: DeskSite) -> None:
    client = returned.client("审计员")
    everything = _seqs(client.get("/p/gd-2011/trail").text)
    assert len(everything) == len(returned.desk.programme("gd-2011").trail())
    by_point = client.get("/p/gd-2011/trail?point=guangzhou-1").text
    assert len(_seqs(by_point)) == 5  # enrolled, screened, approved, submitted, returned
    by_operator = client.get("/p/gd-2011/trail", params={"operator": "广州填报员"}).text
    assert len(_seqs(by_operator)) == 1
    assert "广州填报员（广州市）" in by_operator
    by_unit = _seqs(client.get("/p/gd-2011/trail", params={"unit": "佛山市"}).text)
    assert by_unit == _seqs(client.get("/p/gd-2011/trail?unit=foshan").text)
    assert len(_seqs(client.get("/p/gd-2011/trail?step=submit-plan").text)) == 2
    assert len(_seqs(client.get("/p/gd-2011/trail", params={"step": "退回工作方案"}).text)) == 1
    assert _seqs(client.get("/p/gd-2011/trail?since=2011-05-07").text) == []
    assert len(_seqs(client.get("/p/gd-2011/trail?until=2011-05-06").text)) == len(everything)


def test_a_date_that_is_not_one_is_refused_in_chinese(returned: DeskSite) -> None:
    response = returned.client("审计员").get("/p/gd-2011/trail?since=yesterday")
    assert response.status_code == 400
    assert "不是日期" in response.text


def test_each_events_document_downloads_by_its_hash(returned: DeskSite) -> None:
    client = returned.client("审计员")
    page = client.get("/p/gd-2011/trail?step=submit-plan").text
    digest = hashlib.sha256(b"guangzhou v1").hexdigest()
    assert digest in page
    response = client.get(f"/p/gd-2011/documents/{digest}")
    assert response.content == b"guangzhou v1"
    assert response.headers["x-content-sha256"] == digest
    assert response.headers["content-disposition"].startswith("attachment;")


@pytest.mark.parametrize(
    "name",
    [
        "..%2F..%2Fdocflow.db",
        "%2E%2E%2Fdocflow.db",
        "ab" * 32 + "%2F..",
        "AB" * 32,
        hashlib.sha256(b"never submitted").hexdigest(),
    ],
)
def test_a_download_names_a_document_only_by_its_hash(returned: DeskSite, name: str) -> None:
    response = returned.client("审计员").get(f"/p/gd-2011/documents/{name}")
    assert response.status_code == 404
    assert b"SQLite" not in response.content


def test_audit_verify_runs_on_demand(returned: DeskSite) -> None:
    client = returned.client("审计员")
    token = csrf_of(client.get("/p/gd-2011/verify").text)
    page = client.post("/p/gd-2011/verify", data={"csrf_token": token}).text
    events = len(returned.desk.programme("gd-2011").trail())
    with returned.desk.store.transaction(readonly=True) as tx:
        documents = len(tx.documents())
    assert f"校验通过：核对了 {events} 条留痕、{documents} 份文件" in page


def test_audit_verify_reports_a_changed_document(returned: DeskSite) -> None:
    digest = hashlib.sha256(b"foshan v1").hexdigest()
    returned.desk.store.documents.path_for(digest).write_bytes(b"tampered")
    client = returned.client("审计员")
    token = csrf_of(client.get("/p/gd-2011/verify").text)
    page = client.post("/p/gd-2011/verify", data={"csrf_token": token}).text
    assert "校验未通过" in page
    assert digest[:12] in page


def test_the_report_is_served_live(returned: DeskSite) -> None:
    client = returned.client("审计员")
    response = client.get("/p/gd-2011/report/", follow_redirects=True)
    assert response.status_code == 200
    assert "全省产业转型升级突破点工作方案" in response.text
    assert "缺少时间节点" in response.text
    assert client.get("/p/gd-2011/report/..%2F..%2Fdocflow.db").status_code == 404


def test_the_report_is_judged_again_on_a_new_day_and_old_copies_go(returned: DeskSite) -> None:
    from datetime import timedelta

    client = returned.client("审计员")
    clock = returned.desk.clock
    start = clock.moment  # type: ignore[attr-defined]
    folders = returned.desk.work_dir / "report" / "gd-2011"
    for days in range(4):
        clock.moment = start + timedelta(days=days)  # type: ignore[attr-defined]
        page = client.get("/p/gd-2011/report/index.html")
        assert page.status_code == 200
        day = (start + timedelta(days=days)).date().isoformat()
        assert any(f.name.startswith(day) for f in folders.iterdir())
    assert len([f for f in folders.iterdir() if not f.name.startswith(".")]) == 2


def test_the_auditor_lists_accounts_and_sign_ins(returned: DeskSite) -> None:
    returned.client().post("/login", data={"name": "审计员", "password": "x"})  # no token: 403
    client = returned.client("审计员")
    page = client.get("/accounts").text
    assert "广州填报员" in page
    assert "报送单位" in page
    assert "成功" in page
    assert "$argon2" not in page


def test_the_status_as_of_a_moment_replays_the_trail(returned: DeskSite) -> None:
    from datetime import timedelta

    from engine.app import Programme
    from engine.clock import FixedClock

    later = Programme(
        returned.desk.definitions["gd-2011"],
        returned.desk.store,
        FixedClock(NOW + timedelta(hours=1)),
        operator="演练",
    )
    plan = returned.folder / "plan.pdf"
    plan.write_bytes(b"guangzhou-2 plan")
    later.submit("guangzhou", "work-plan", plan, ["guangzhou-2"])  # at 11:00
    client = returned.client("审计员")
    before = client.get("/p/gd-2011/as-of", params={"at": "2011-05-06T10:00"}).text
    assert "按留痕重放至 2011-05-06 10:00" in before
    row = before.split("<td>guangzhou-2</td>")[1].split("</tr>")[0]
    assert "已审定" in row  # the 11:00 work plan is not there yet
    now = later.status(point="guangzhou-2")["points"][0]["state_label"]
    assert now == "工作方案已备案"
    bad = client.get("/p/gd-2011/as-of", params={"at": "昨天"})
    assert bad.status_code == 400
    assert "昨天" in bad.text
    early = client.get("/p/gd-2011/as-of", params={"at": "2010-01-01"})
    assert early.status_code == 400
    assert "Traceback" not in early.text


def test_the_summary_table_downloads_as_csv_and_xlsx(returned: DeskSite) -> None:
    client = returned.client("经信委统筹")
    csv = client.get("/p/gd-2011/summary.csv")
    assert csv.status_code == 200
    text = csv.content.decode("utf-8-sig")
    assert "guangzhou-1" in text
    disposition = csv.headers["content-disposition"]
    assert disposition.startswith("attachment; filename*=utf-8''gd-2011-")
    xlsx = client.get("/p/gd-2011/summary.xlsx")
    assert xlsx.content[:2] == b"PK"  # a zip: the xlsx container
    assert client.get("/p/gd-2011/summary.pdf").status_code == 404
    assert returned.client("广州填报员").get("/p/gd-2011/summary.csv").status_code == 403
    assert not list((returned.folder / "work").glob("summary-*"))
