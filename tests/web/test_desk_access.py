"""Who reads what on the desk: an item shared with co-responsible units (责任单位) is read
by them everywhere its lead unit's readers read it - its page, its receipts, its
documents, their own unit page - while only the lead unit (and the office) submit for it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pytest

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
