"""A unit's page: what it owes by due day with lights and days left, each item's history
with returns and their reasons, uploads through the application layer with a receipt, and
never another unit's items."""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.runtime.gd2011 import BACKENDS
from tests.web.conftest import DeskSite, csrf_of, upload

GZ = "/p/gd-2011/units/guangzhou"


def test_the_unit_page_lists_what_the_unit_owes_with_lights_and_days_left(site: DeskSite) -> None:
    page = site.client("广州填报员").get(GZ).text
    assert "广州市：应报事项" in page
    assert page.count('class="card item lamp-yellow"') == 2  # 5月10日前 is four days off
    assert "汽车产业链高端化" in page
    assert "还有 4 天" in page
    assert "报送突破点工作方案" in page
    assert page.count('name="task" value="work-plan"') == 2  # an upload form for each
    assert page.count('name="task" value="extension"') == 2  # and an extension request
    assert "佛山市" not in page


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_upload_is_submitted_as_the_signed_in_person_with_a_receipt(site: DeskSite) -> None:
    client = site.client("广州填报员")
    content = "广州市汽车产业链工作方案".encode()
    response = upload(client, "guangzhou-1", content, "广州市工作方案.pdf")
    assert response.status_code == 303  # type: ignore[attr-defined]
    receipt = client.get(response.headers["location"])  # type: ignore[attr-defined]
    assert receipt.status_code == 200
    assert hashlib.sha256(content).hexdigest() in receipt.text
    assert "报送回执" in receipt.text
    assert "2011-05-06 10:00" in receipt.text
    assert "广州填报员（广州市）" in receipt.text
    events = site.desk.programme("gd-2011").trail("guangzhou-1")
    assert events[-1].trigger == "submit-plan"
    assert events[-1].extras["operator"] == "广州填报员（广州市）"
    assert events[-1].document_sha256 == hashlib.sha256(content).hexdigest()
    page = client.get(GZ).text
    assert 'class="card item lamp-blue" id="item-guangzhou-1"' in page  # the light turned
    assert "工作方案已备案" in page


def test_the_item_history_shows_a_return_and_its_reason(site: DeskSite) -> None:
    upload(site.client("广州填报员"), "guangzhou-1", b"v1")
    site.desk.programme("gd-2011").decide("work-plan", ["guangzhou-1"], "return", "缺少年度目标")
    client = site.client("广州填报员")
    page = client.get(GZ).text
    assert "缺少年度目标" in page
    history = client.get("/p/gd-2011/points/guangzhou-1").text
    assert "退回工作方案" in history
    assert "理由：" in history
    again = upload(client, "guangzhou-1", b"v2")
    assert again.status_code == 303  # type: ignore[attr-defined]


def test_an_upload_over_the_limit_is_refused_and_nothing_is_recorded(site: DeskSite) -> None:
    client = site.client("广州填报员")
    before = len(site.desk.programme("gd-2011").trail())
    response = upload(client, "guangzhou-1", b"x" * (site.desk.max_upload + 70_000))
    assert response.status_code == 413  # type: ignore[attr-defined]
    assert "超过 1 MB 的上限" in response.text  # type: ignore[attr-defined]
    assert len(site.desk.programme("gd-2011").trail()) == before
    assert not list((site.folder / "work").iterdir())


def test_an_upload_just_over_the_limit_is_refused_by_the_store(site: DeskSite) -> None:
    client = site.client("广州填报员")
    response = upload(client, "guangzhou-1", b"x" * (site.desk.max_upload + 1))
    assert response.status_code in (409, 413)  # type: ignore[attr-defined]
    assert "上限" in response.text  # type: ignore[attr-defined]
    assert site.desk.programme("gd-2011").trail("guangzhou-1")[-1].trigger != "submit-plan"


def test_a_step_the_point_does_not_wait_for_is_refused_in_chinese(site: DeskSite) -> None:
    client = site.client("广州填报员")
    token = csrf_of(client.get(GZ).text)
    response = client.post(
        "/p/gd-2011/points/guangzhou-1/submit",
        data={"csrf_token": token, "task": "summary"},
        files={"file": ("总结.pdf", b"x")},
    )
    assert response.status_code == 409
    assert "Traceback" not in response.text
    assert re.search(r'class="problem"[^>]*>[^<]*[\u4e00-\u9fff]', response.text)


def test_a_file_name_with_folders_keeps_only_its_own_name(site: DeskSite) -> None:
    client = site.client("广州填报员")
    response = upload(client, "guangzhou-1", b"plan", "../../etc/工作方案.pdf")
    receipt = client.get(response.headers["location"])  # type: ignore[attr-defined]
    assert "工作方案.pdf" in receipt.text
    assert "../" not in receipt.text


OTHER_UNIT_ROUTES = [
    ("get", "/p/gd-2011/units/foshan"),
    ("get", "/p/gd-2011/points/foshan-1"),
    ("post", "/p/gd-2011/points/foshan-1/submit"),
    ("get", "/p/gd-2011/office"),
    ("post", "/p/gd-2011/decide"),
    ("get", "/p/gd-2011/trail"),
    ("get", "/p/gd-2011/verify"),
    ("get", "/p/gd-2011/report/index.html"),
    ("get", "/accounts"),
]


@pytest.mark.parametrize(("method", "path"), OTHER_UNIT_ROUTES)
def test_a_unit_is_refused_every_route_of_another_units_items(
    site: DeskSite, method: str, path: str
) -> None:
    client = site.client("广州填报员")
    token = csrf_of(client.get(GZ).text)
    if method == "post":
        response = client.post(
            path, data={"csrf_token": token, "task": "work-plan"}, files={"file": ("a.pdf", b"a")}
        )
    else:
        response = client.get(path)
    assert response.status_code == 403, path
    assert "foshan-1" not in response.text


def test_a_unit_is_refused_another_units_receipt_and_document(site: DeskSite) -> None:
    foshan = site.client("佛山填报员")
    response = upload(foshan, "foshan-1", b"foshan plan", unit="foshan")
    receipt = response.headers["location"]  # type: ignore[attr-defined]
    sha = hashlib.sha256(b"foshan plan").hexdigest()
    guangzhou = site.client("广州填报员")
    assert guangzhou.get(receipt).status_code == 403
    assert guangzhou.get(f"/p/gd-2011/documents/{sha}").status_code == 403
    assert foshan.get(f"/p/gd-2011/documents/{sha}").content == b"foshan plan"


def test_the_office_records_a_document_received_on_paper_as_its_own_operator(
    site: DeskSite,
) -> None:
    client = site.client("经信委统筹")
    page = client.get(GZ).text
    assert "登记收到的纸质突破点工作方案" in page
    assert "申请延期" not in page  # the unit asks for its own extensions
    response = client.post(
        "/p/gd-2011/points/guangzhou-1/submit",
        data={"csrf_token": csrf_of(page), "task": "work-plan"},
        files={"file": ("纸质来文扫描件.pdf", b"scan")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    last = site.desk.programme("gd-2011").trail("guangzhou-1")[-1]
    assert (last.trigger, last.unit_id) == ("submit-plan", "guangzhou")
    assert last.extras["operator"] == "经信委统筹（省经济和信息化委）"


def test_an_auditor_cannot_submit_for_a_unit(site: DeskSite) -> None:
    client = site.client("审计员")
    page = client.get(GZ).text
    assert 'type="file"' not in page
    response = client.post(
        "/p/gd-2011/points/guangzhou-1/submit",
        data={"csrf_token": csrf_of(page), "task": "work-plan"},
        files={"file": ("a.pdf", b"a")},
    )
    assert response.status_code == 403


def test_an_inspection_lead_reads_the_units_it_inspects_and_no_other(site: DeskSite) -> None:
    index = site.desk.definitions["gd-2011"].index
    lead = index.inspector_of["guangzhou"]
    others = [u for u, body in index.inspector_of.items() if body != lead][:3]
    assert others
    _, token = site.desk.accounts.add("检查组组长", lead, "inspector")
    site.desk.accounts.set_password(token, "a long new password", "a long new password")
    client = site.client()
    login = client.get("/login").text
    client.post(
        "/login",
        data={
            "csrf_token": csrf_of(login),
            "name": "检查组组长",
            "password": "a long new password",
        },
    )
    listed = client.get("/p/gd-2011/").text
    assert 'href="/p/gd-2011/units/guangzhou"' in listed
    assert client.get(GZ).status_code == 200
    assert 'type="file"' not in client.get(GZ).text  # it reads, the unit submits
    for unit in others:
        assert client.get(f"/p/gd-2011/units/{unit}").status_code == 403


def test_a_co_responsible_unit_reads_the_item_it_shares_and_no_one_else_does(
    site: DeskSite,
) -> None:
    from engine.app import NewPoint

    gd = site.desk.programme("gd-2011")
    (shared,) = gd.enrol([NewPoint("zhuhai", "珠佛共建产业园", co=("foshan",))])
    foshan = site.client("佛山填报员")
    assert shared.point_id in foshan.get("/p/gd-2011/units/foshan").text
    assert foshan.get(f"/p/gd-2011/points/{shared.point_id}").status_code == 200
    guangzhou = site.client("广州填报员")
    assert guangzhou.get(f"/p/gd-2011/points/{shared.point_id}").status_code == 403
