"""Who reads what on the desk, and what its lists count: an item shared with co-responsible
units (责任单位) is read by them everywhere its lead unit's readers read it - its page, its
receipts, its documents, their own unit page - while only the lead unit (and the office)
submit for it; the office's list of stuck items counts no move that was withdrawn (撤回);
the live report is made once per head even when first asked for by several at once."""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from engine.app import Programme
from engine.app.desk import stuck_items
from engine.clock import FixedClock
from tests.web.conftest import PASSWORD, DeskSite, csrf_of, upload

PID = "gd-2011"
PLAN = "珠深共建产业园工作方案".encode()


@dataclass
class Shared:
    """An item led by 珠海市 with 深圳市 as its 责任单位, its work plan filed by 珠海市."""

    site: DeskSite
    point: str
    receipt: str
    sha: str


def _card(page: str, point: str) -> str:
    """The card of item ``point`` on a unit page."""
    return page.split(f'id="item-{point}"')[1].split("</section>")[0]


def _account(site: DeskSite, name: str, body: str, role: str) -> None:
    _, token = site.desk.accounts.add(name, body, role)
    site.desk.accounts.set_password(token, PASSWORD, PASSWORD)


@pytest.fixture
def shared(site: DeskSite) -> Shared:
    from engine.app import NewPoint

    gd = site.desk.programme(PID)
    (point,) = gd.enrol([NewPoint("zhuhai", "珠深共建产业园", co=("shenzhen",))])
    gd.decide("screen", [point.point_id], "accept", "符合筛选条件")
    gd.decide("approve", [point.point_id], "accept", "省政府审定同意")
    _account(site, "珠海填报员", "zhuhai", "unit")
    _account(site, "深圳填报员", "shenzhen", "unit")
    response = upload(site.client("珠海填报员"), point.point_id, PLAN, unit="zhuhai")
    assert response.status_code == 303  # type: ignore[attr-defined]
    receipt = response.headers["location"]  # type: ignore[attr-defined]
    return Shared(site, point.point_id, receipt, hashlib.sha256(PLAN).hexdigest())


def test_a_co_unit_opens_the_shared_items_page_receipt_and_document(shared: Shared) -> None:
    client = shared.site.client("深圳填报员")
    page = client.get(f"/p/{PID}/points/{shared.point}")
    assert page.status_code == 200
    assert "牵头单位 珠海市，责任单位 深圳市" in page.text
    receipt = client.get(shared.receipt)
    assert receipt.status_code == 200
    assert shared.sha in receipt.text
    document = client.get(f"/p/{PID}/documents/{shared.sha}")
    assert document.status_code == 200
    assert document.content == PLAN


def test_a_third_unit_is_refused_the_shared_items_page_receipt_and_document(
    shared: Shared,
) -> None:
    client = shared.site.client("佛山填报员")
    for path in (
        f"/p/{PID}/points/{shared.point}",
        shared.receipt,
        f"/p/{PID}/documents/{shared.sha}",
    ):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "珠深共建产业园" not in response.text
        assert "Traceback" not in response.text


def test_a_co_unit_cannot_submit_for_the_shared_item(shared: Shared) -> None:
    before = len(shared.site.desk.programme(PID).trail(shared.point))
    client = shared.site.client("深圳填报员")
    token = csrf_of(client.get("/p/gd-2011/units/shenzhen").text)
    response = client.post(
        f"/p/{PID}/points/{shared.point}/submit",
        data={"csrf_token": token, "task": "measures"},
        files={"file": ("具体措施.pdf", b"measures")},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert len(shared.site.desk.programme(PID).trail(shared.point)) == before


def test_the_co_units_page_lists_the_shared_item_with_its_lead_and_no_upload_form(
    shared: Shared,
) -> None:
    page = shared.site.client("深圳填报员").get("/p/gd-2011/units/shenzhen").text
    card = _card(page, shared.point)
    assert "责任单位（牵头单位：珠海市，由牵头单位报送）" in card
    assert 'type="file"' not in card
    assert f'href="{shared.receipt}"' in card  # the lead's last filing, readable here


def test_the_lead_units_page_names_the_co_unit_beside_its_upload_form(shared: Shared) -> None:
    page = shared.site.client("珠海填报员").get("/p/gd-2011/units/zhuhai").text
    card = _card(page, shared.point)
    assert "<dt>责任单位</dt><dd" in card
    assert "深圳市" in card
    assert 'type="file"' in card


def test_the_office_files_the_shared_item_on_its_lead_units_page_only(shared: Shared) -> None:
    client = shared.site.client("经信委统筹")
    on_co = client.get("/p/gd-2011/units/shenzhen").text
    assert 'type="file"' not in _card(on_co, shared.point)
    on_lead = client.get("/p/gd-2011/units/zhuhai").text
    assert 'type="file"' in _card(on_lead, shared.point)


def test_an_inspector_of_the_co_unit_alone_does_not_read_the_shared_item(shared: Shared) -> None:
    site = shared.site
    _account(site, "科技厅检查组", "dost", "inspector")  # inspects 深圳市, not 珠海市
    _account(site, "发改委检查组", "ndrc", "inspector")  # inspects 珠海市
    other = site.client("科技厅检查组")
    listed = other.get("/p/gd-2011/units/shenzhen")
    assert listed.status_code == 200
    assert "深圳市：应报事项" in listed.text
    assert shared.point not in listed.text
    assert other.get(f"/p/{PID}/points/{shared.point}").status_code == 403
    assert other.get(shared.receipt).status_code == 403
    lead = site.client("发改委检查组")
    assert lead.get(f"/p/{PID}/points/{shared.point}").status_code == 200
    assert lead.get(f"/p/{PID}/documents/{shared.sha}").content == PLAN


def _at(site: DeskSite, moment: str) -> None:
    site.desk.clock = FixedClock(datetime.fromisoformat(f"{moment}+08:00"))


def _stuck_row(site: DeskSite, point: str, days: int) -> list[str] | None:
    """The office's row for ``point`` among the items stuck past ``days`` working days."""
    page = site.client("经信委统筹").get(f"/p/{PID}/office?stuck={days}").text
    for row in re.findall(r"<tr><td><a href=\"/p/gd-2011/points/[^<]*</a>.*?</tr>", page):
        if f">{point}</a>" in row:
            return re.findall(r"<td>([^<]*)</td>", row)
    return None


def _withdrawn_plan(site: DeskSite) -> None:
    """广州市's first work plan filed on 5月9日 (Monday) and withdrawn on 5月11日, so that
    the item is back in 已审定 as it was since 5月6日."""
    plan = site.folder / "工作方案.pdf"
    plan.write_bytes(b"plan")
    _at(site, "2011-05-09T09:00:00")
    (filed,) = site.desk.programme(PID).submit("guangzhou", "work-plan", plan, ["guangzhou-1"])
    _at(site, "2011-05-11T09:00:00")
    site.desk.programme(PID).correct(filed.seq, "误报：报送了上一年度的方案", withdraw=True)
    _at(site, "2011-05-12T10:00:00")


def test_a_withdrawn_move_does_not_restart_the_days_an_item_is_stuck(site: DeskSite) -> None:
    _withdrawn_plan(site)
    gd = site.desk.programme(PID)
    assert next(p for p in gd.snapshot().points if p.point_id == "guangzhou-1").state == "approved"
    stuck = {s.point: s for s in stuck_items(gd, gd.snapshot(with_events=True), 3)}
    assert stuck["guangzhou-1"].since == date(2011, 5, 6)
    assert stuck["guangzhou-1"].working_days == 4
    row = _stuck_row(site, "guangzhou-1", 3)
    assert row is not None
    assert row[-2:] == ["2011-05-06", "4"]


def test_a_move_made_again_after_its_withdrawal_counts_from_its_own_day(site: DeskSite) -> None:
    _withdrawn_plan(site)
    plan = site.folder / "工作方案.pdf"
    _at(site, "2011-05-11T15:00:00")
    site.desk.programme(PID).submit("guangzhou", "work-plan", plan, ["guangzhou-1"])
    _at(site, "2011-05-12T10:00:00")
    assert _stuck_row(site, "guangzhou-1", 3) is None
    row = _stuck_row(site, "guangzhou-1", 0)
    assert row is not None
    assert row[-2:] == ["2011-05-11", "1"]


#: Requests asking for the report at once.
AT_ONCE = 4


def test_concurrent_first_requests_for_the_report_all_get_it_complete(
    site: DeskSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered_into: list[Path] = []
    all_rendered = threading.Barrier(AT_ONCE, timeout=60)
    render = Programme.render

    def render_then_wait(self: Programme, out: Any, **kwargs: Any) -> Path:
        index = render(self, out, **kwargs)
        rendered_into.append(Path(out))
        all_rendered.wait()  # every request has its copy before any is put in place
        return index

    monkeypatch.setattr(Programme, "render", render_then_wait)
    clients = [site.client("审计员") for _ in range(AT_ONCE)]
    got: list[Any] = [None] * AT_ONCE

    def ask(n: int) -> None:
        try:
            got[n] = clients[n].get(f"/p/{PID}/report/index.html")
        except Exception as exc:  # the test reports it below
            got[n] = exc

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(AT_ONCE)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    heads = site.desk.work_dir / "report" / PID
    (folder,) = heads.iterdir()  # one head's report, no copy left beside it
    assert re.fullmatch(r"\d{4}-\d\d-\d\d-\d+-\d+", folder.name)  # day, head, sent-log
    served = (folder / "index.html").read_text(encoding="utf-8")
    assert served.rstrip().endswith("</html>")
    assert not [r for r in got if not hasattr(r, "status_code")], got  # nothing raised
    assert [r.status_code for r in got] == [200] * AT_ONCE
    assert all(r.text == served for r in got)
    assert len(set(rendered_into)) == AT_ONCE
    assert folder not in rendered_into  # each rendered a copy of its own
    again = clients[0].get(f"/p/{PID}/report/lifecycle.dot")
    assert again.status_code == 200
    assert len(rendered_into) == AT_ONCE  # made once for this head, then served
