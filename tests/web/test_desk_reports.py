"""Recurring reports on the desk: a unit sees each period it owes with its due day and light
and files it through its page, the receipt names the report and the period, the office's
dashboard and 通报 show each period's 上报率 and 缺报名单; another unit, a period not begun
and one the programme does not have are refused in words.

The programme is panjin-2021 (每月28日前 from February: 报送各项工作任务进展情况, owed by
each task's lead unit while the task is under way), its example tasks enrolled on
2021-01-26, seen on Monday 2021-04-26: February and March late, April due in two days.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from engine.app import Programme
from engine.clock import VirtualClock
from engine.runtime.pointsfile import read_points_file
from engine.runtime.store import EventRow
from tests.runtime.gd2011 import BACKENDS
from tests.web.conftest import DeskSite, csrf_of, desk_site

PANJIN = Path(__file__).parents[2] / "workflows" / "panjin-2021"
ENROLLED = datetime.fromisoformat("2021-01-26T10:00:00+08:00")
SEEN = datetime.fromisoformat("2021-04-26T10:00:00+08:00")
RULE = "monthly-progress"
LABEL = "报送各项工作任务进展情况"
NDRC = "/p/panjin-2021/units/ndrc"
FILE_ROUTE = f"{NDRC}/reports/{RULE}"
#: name -> (body, role)
PEOPLE = {
    "发改委填报员": ("ndrc", "unit"),
    "工信局填报员": ("industry", "unit"),
    "财政局填报员": ("finance", "unit"),
    "督考办统筹": ("dukao", "coordinator"),
    "审计员": ("dukao", "auditor"),
}


@contextmanager
def panjin_site(folder: Path, programme: Path, store_url: str) -> Iterator[DeskSite]:
    """The desk on ``programme`` (panjin-2021 or a variant of it), its example tasks
    enrolled on 01-26 and the clock at 04-26, with the accounts of ``PEOPLE``."""
    clock = VirtualClock(ENROLLED)
    gd = Programme.open(
        programme, db=store_url, documents=folder / "documents", clock=clock, create=True
    )
    try:
        gd.enrol(read_points_file(PANJIN / "points-example.yaml"))
        clock.set(SEEN)
        yield desk_site(gd, folder, PEOPLE)
    finally:
        gd.close()


@pytest.fixture
def panjin(tmp_path: Path, store_url: str) -> Iterator[DeskSite]:
    with panjin_site(tmp_path, PANJIN, store_url) as site:
        yield site


def file_period(
    client: TestClient,
    period: str,
    content: bytes = "四月份进展情况".encode(),
    name: str = "进展情况.docx",
    url: str = FILE_ROUTE,
    page: str = NDRC,
) -> object:
    """The filing form of ``page`` sent for ``period`` with ``content``."""
    token = csrf_of(client.get(page).text)
    return client.post(
        url,
        data={"csrf_token": token, "period": period},
        files={"file": (name, content)},
        follow_redirects=False,
    )


def card(page: str, period: str) -> str:
    """The unit page's card of ``period``."""
    found = re.search(
        rf'<div class="card item period [^"]*" id="period-{RULE}-{period}">.*?</div>', page, re.S
    )
    assert found is not None, f"no card for {period}"
    return found.group(0)


def rate_row(page: str, period: str) -> str:
    """The office's row of ``period``."""
    found = re.search(rf'<tr id="rate-{RULE}-{period}">.*?</tr>', page, re.S)
    assert found is not None, f"no row for {period}"
    return found.group(0)


def filings(site: DeskSite, unit: str) -> list[EventRow]:
    """The trail's report filings of ``unit``."""
    trail = site.desk.programme("panjin-2021").trail()
    return [e for e in trail if e.unit_id == unit and e.trigger == "file-report"]


def trail_length(site: DeskSite) -> int:
    return len(site.desk.programme("panjin-2021").trail())


def test_a_unit_sees_each_period_it_owes_with_its_due_day_and_light(panjin: DeskSite) -> None:
    page = panjin.client("发改委填报员").get(NDRC).text
    assert "周期性报送" in page
    assert f"{LABEL}（每月28日前）" in page
    april, march = card(page, "2021-04"), card(page, "2021-03")
    assert "lamp-yellow" in april  # two working days off: the monthly policy warns at three
    assert "2021年4月28日" in april
    assert "还有 2 天" in april
    assert "待报" in april
    assert "lamp-red" in march
    assert "已逾期 29 天" in march
    assert "逾期未报" in march
    assert "2021年2月" in card(page, "2021-02")
    assert "2021-05" not in page  # May has not begun
    assert page.index(f"period-{RULE}-2021-04") < page.index(f"period-{RULE}-2021-03")
    assert page.count(f'action="{FILE_ROUTE}"') == 3  # a form for each period not filed
    assert 'name="period" value="2021-04"' in april


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_unit_files_a_period_and_its_receipt_names_the_report_and_period(
    panjin: DeskSite,
) -> None:
    client = panjin.client("发改委填报员")
    response = file_period(client, "2021-04")
    assert response.status_code == 303  # type: ignore[attr-defined]
    receipt = client.get(response.headers["location"])  # type: ignore[attr-defined]
    assert receipt.status_code == 200
    assert re.search(rf'<td id="report">{LABEL}</td>', receipt.text)
    assert '<td id="period">2021年4月</td>' in receipt.text
    assert "市发展改革委" in receipt.text
    assert "发改委填报员（市发展改革委）" in receipt.text
    assert "file-report" not in receipt.text
    (event,) = filings(panjin, "ndrc")
    assert event.extras["period"] == "2021-04"
    april = card(client.get(NDRC).text, "2021-04")
    assert "lamp-green" in april
    assert "已报送「进展情况.docx」" in april
    assert f'href="/p/panjin-2021/receipts/{event.seq}"' in april
    assert "<form" not in april  # filed: no form for it any more


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_office_sees_the_rate_rise_and_the_unit_leave_the_missing_list(
    panjin: DeskSite,
) -> None:
    office = panjin.client("督考办统筹")
    before = rate_row(office.get("/p/panjin-2021/office").text, "2021-03")
    assert "0/15" in before
    assert "市发展改革委" in before
    assert "（未到期）" in rate_row(office.get("/p/panjin-2021/office").text, "2021-04")
    response = file_period(panjin.client("发改委填报员"), "2021-03")
    assert response.status_code == 303  # type: ignore[attr-defined]
    page = office.get("/p/panjin-2021/office").text
    after = rate_row(page, "2021-03")
    assert "1/15" in after
    assert "6.7%" in after
    assert "市发展改革委" not in after
    assert "市工业和信息化局" in after
    assert "其中逾期报送 1 个" in after
    assert "市发展改革委" in rate_row(page, "2021-02")  # February still owed
    circular = office.get("/p/panjin-2021/circular").text
    assert "2021年3月（报送期限：2021年3月28日）应报 15 份，已报 1 份，上报率 6.7%" in circular
    assert "2021年4月（报送期限" not in circular  # not due yet
    assert "请缺报单位高度重视" in circular


def test_another_unit_is_refused_on_the_filing_route(panjin: DeskSite) -> None:
    before = trail_length(panjin)
    industry = panjin.client("工信局填报员")
    response = file_period(industry, "2021-04", page="/p/panjin-2021/units/industry")
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert "只能报送本单位" in response.text  # type: ignore[attr-defined]
    assert panjin.client("审计员").get(NDRC).status_code == 200  # reads, may not file:
    assert 'action="' + FILE_ROUTE not in panjin.client("审计员").get(NDRC).text
    auditor = file_period(panjin.client("审计员"), "2021-04")
    assert auditor.status_code == 403  # type: ignore[attr-defined]
    assert trail_length(panjin) == before


def test_the_office_records_a_paper_copy_for_the_unit(panjin: DeskSite) -> None:
    office = panjin.client("督考办统筹")
    page = office.get(NDRC).text
    assert "登记收到的纸质工作任务进展情况" in card(page, "2021-03")
    response = file_period(office, "2021-03")
    assert response.status_code == 303  # type: ignore[attr-defined]
    (event,) = filings(panjin, "ndrc")
    assert event.extras["operator"] == "督考办统筹（市政府督考办）"
    assert "lamp-green" in card(office.get(NDRC).text, "2021-03")


@pytest.mark.parametrize(
    ("period", "status", "words"),
    [
        ("2021-06", 409, "尚未开始的期间不能报送"),
        ("2021-01", 404, f"{LABEL}没有报送期「2021-01」"),  # the reports begin in February
        ("2020-12", 404, "没有报送期"),
        ("<b>x</b>", 404, "没有报送期「&lt;b&gt;x&lt;/b&gt;」"),
    ],
)
def test_a_period_not_begun_or_unknown_is_refused_in_words(
    panjin: DeskSite, period: str, status: int, words: str
) -> None:
    before = trail_length(panjin)
    response = file_period(panjin.client("发改委填报员"), period)
    assert response.status_code == status  # type: ignore[attr-defined]
    assert words in response.text  # type: ignore[attr-defined]
    assert "Traceback" not in response.text  # type: ignore[attr-defined]
    assert trail_length(panjin) == before
    assert not list((panjin.folder / "work").iterdir())


def test_a_period_filed_already_or_not_owed_or_an_unknown_report_is_refused(
    panjin: DeskSite,
) -> None:
    client = panjin.client("发改委填报员")
    assert file_period(client, "2021-04").status_code == 303  # type: ignore[attr-defined]
    again = file_period(client, "2021-04", content=b"another")
    assert again.status_code == 409  # type: ignore[attr-defined]
    assert "重复报送" in again.text  # type: ignore[attr-defined]
    unknown = file_period(client, "2021-04", url=f"{NDRC}/reports/weekly")
    assert unknown.status_code == 404  # type: ignore[attr-defined]
    assert "没有编号为 weekly 的周期性报送" in unknown.text  # type: ignore[attr-defined]
    office = panjin.client("督考办统筹")  # dukao leads no task: it owes no report
    not_owed = file_period(
        office,
        "2021-04",
        url=f"/p/panjin-2021/units/dukao/reports/{RULE}",
        page="/p/panjin-2021/units/dukao",
    )
    assert not_owed.status_code == 409  # type: ignore[attr-defined]
    assert "不须报送" in not_owed.text  # type: ignore[attr-defined]


def test_markup_in_the_uploaded_file_name_is_shown_as_text(panjin: DeskSite) -> None:
    client = panjin.client("发改委填报员")
    response = file_period(client, "2021-04", name="进展&lt;b&gt;<script>'x'.docx")
    assert response.status_code == 303  # type: ignore[attr-defined]
    receipt = client.get(response.headers["location"]).text  # type: ignore[attr-defined]
    page = client.get(NDRC).text
    for shown in (receipt, page):
        assert "<script" not in shown
        assert "&lt;b&gt;" not in shown.replace("&amp;lt;b&amp;gt;", "")
        assert "进展&amp;lt;b&amp;gt;script&#39;x&#39;.docx" in shown


def test_a_co_responsible_unit_sees_the_periods_it_owes_where_the_rule_says_so(
    tmp_path: Path, store_url: str
) -> None:
    """A variant of the rule owed per task by its lead and its co-responsible units: 市财政局
    owes April for 市发展改革委's tasks it shares, and files them all at once."""
    variant = tmp_path / "panjin-co"
    shutil.copytree(PANJIN, variant)
    text = (variant / "programme.yaml").read_text(encoding="utf-8")
    shared = text.replace("owed_by: [owner]\n    per: unit", "owed_by: [owner, co]\n    per: item")
    assert shared != text
    (variant / "programme.yaml").write_text(shared, encoding="utf-8")
    (tmp_path / "site").mkdir()
    with panjin_site(tmp_path / "site", variant, store_url) as site:
        finance = site.client("财政局填报员")
        unit = "/p/panjin-2021/units/finance"
        april = card(finance.get(unit).text, "2021-04")
        assert "涉及任务" in april
        assert "ndrc-1" in april  # 市发展改革委 leads it, 市财政局 shares it
        assert "finance-1" in april  # and its own
        response = file_period(finance, "2021-04", url=f"{unit}/reports/{RULE}", page=unit)
        assert response.status_code == 303  # type: ignore[attr-defined]
        filed = card(finance.get(unit).text, "2021-04")
        assert "lamp-green" in filed
        shared_items = re.search(r'<dd class="points">(.*?)</dd>', april)
        assert shared_items is not None
        assert filed.count(">回执</a>") == len(shared_items.group(1).split("、"))  # one each
        ndrc = card(site.client("发改委填报员").get(NDRC).text, "2021-04")
        assert "lamp-green" not in ndrc  # the lead unit's own reports are still owed


def test_a_body_that_owes_no_report_sees_no_such_section(panjin: DeskSite) -> None:
    page = panjin.client("督考办统筹").get("/p/panjin-2021/units/dukao").text
    assert page.count("<h1>") == 1
    assert "周期性报送" not in page
