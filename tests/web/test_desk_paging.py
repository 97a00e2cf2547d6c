"""The desk's pages at scale: the trail and a unit's list come in pages, a decision group
longer than the page is decided whole with 全部, and a page kept from an earlier request is
read again as soon as the store has a new event or a new notice, or the day changes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from engine.app.desk import TrailQuery, store_mark, trail_page
from engine.clock import FixedClock
from engine.web import routes_audit, routes_office, routes_unit
from tests.web.conftest import DeskSite, csrf_of, upload

OFFICE = "/p/gd-2011/office"


def _seqs(page: str) -> list[int]:
    return [int(s) for s in re.findall(r'<tr id="event-(\d+)">', page)]


def test_the_trail_comes_in_pages_that_keep_the_filters(
    site: DeskSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routes_audit, "PAGE", 5)
    client = site.client("审计员")
    every = [e.seq for e in site.desk.programme("gd-2011").trail() if e.unit_id == "guangzhou"]
    assert len(every) > 5
    shown: list[int] = []
    url = "/p/gd-2011/trail?unit=广州市"
    while url:
        page = client.get(url).text
        shown += _seqs(page)
        found = re.search(r'<a href="(/p/gd-2011/trail\?[^"]+)" rel="next">', page)
        url = found.group(1).replace("&amp;", "&") if found else ""
        if url:
            assert "unit=" in url  # the filter goes on to the next page
    assert shown == every


def test_a_page_of_the_trail_is_read_with_the_filters_in_the_store(site: DeskSite) -> None:
    gd = site.desk.programme("gd-2011")
    trail = gd.trail()
    screen = TrailQuery(triggers=frozenset({"screen-in"}), operator="演练")
    events, more = trail_page(gd, screen, 0, 2)
    assert [e.seq for e in events] == [e.seq for e in trail if e.trigger == "screen-in"][:2]
    assert more == events[-1].seq
    rest, end = trail_page(gd, screen, more, 100)
    assert [e.seq for e in events + rest] == [e.seq for e in trail if e.trigger == "screen-in"]
    assert end is None
    assert trail_page(gd, TrailQuery(units=frozenset()), 0, 10) == ([], None)
    assert trail_page(gd, TrailQuery(operator="无此人"), 0, 10) == ([], None)


def test_a_units_list_comes_in_pages(site: DeskSite, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(routes_unit, "PAGE", 1)
    client = site.client("广州填报员")
    first = client.get("/p/gd-2011/units/guangzhou").text
    assert "共 2 项" in first
    assert "第 1/2 页" in first
    assert 'rel="next"' in first
    second = client.get("/p/gd-2011/units/guangzhou?page=2").text
    ids = [re.findall(r'id="item-([\w-]+)"', p) for p in (first, second)]
    assert sorted(ids[0] + ids[1]) == ["guangzhou-1", "guangzhou-2"]
    beyond = client.get("/p/gd-2011/units/guangzhou?page=99").text
    assert re.findall(r'id="item-([\w-]+)"', beyond) == ids[1]  # the last page


def test_a_long_group_is_listed_in_part_and_decided_whole(
    site: DeskSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routes_office, "SHOWN", 2)
    client = site.client("经信委统筹")
    page = client.get(OFFICE).text
    group = page.split('id="queue-screen"')[1].split("</form>")[0]
    waiting = [
        p.point_id
        for p in site.desk.programme("gd-2011").snapshot().points
        if p.state == "proposed"
    ]
    assert f"（{len(waiting)} 项）" in group
    assert len(re.findall(r'name="point"', group)) == 2
    assert "下表列出前 2 项" in group
    response = client.post(
        "/p/gd-2011/decide",
        data={
            "csrf_token": csrf_of(page),
            "task": "screen",
            "outcome": "accept",
            "reason": "均符合筛选条件",
            "all": "1",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    states = {p.point_id: p.state for p in site.desk.programme("gd-2011").snapshot().points}
    assert {states[p] for p in waiting} == {"screened"}
    assert f"done={len(waiting)}" in response.headers["location"]


def test_the_office_page_follows_each_new_event(site: DeskSite) -> None:
    office = site.client("经信委统筹")
    before = office.get(OFFICE).text
    assert 'id="queue-work-plan"' not in before
    upload(site.client("广州填报员"), "guangzhou-1", b"plan")
    after = office.get(OFFICE).text
    assert "guangzhou-1" in after.split('id="queue-work-plan"')[1].split("</form>")[0]


def test_the_mark_moves_with_a_new_notice_and_pages_with_the_day(site: DeskSite) -> None:
    gd = site.desk.programme("gd-2011")
    mark = store_mark(gd)
    assert gd.store is not None
    with gd.store.transaction() as tx:
        tx.record_sent(
            "gd-2011", "submit-plan/before-5", "eic", "2011-05-10", "sent", None, gd.now()
        )
    moved = store_mark(gd)
    assert moved[:2] == mark[:2]  # no new event
    assert moved[2] == mark[2] + 1
    built: list[int] = []
    views = site.desk.views
    assert views.get(gd, "k", lambda: built.append(1) or 1) == 1
    assert views.get(gd, "k", lambda: built.append(2) or 2) == 1  # kept
    later = site.desk.programme("gd-2011")
    later.clock = FixedClock(gd.now() + timedelta(days=1))
    assert views.get(later, "k", lambda: built.append(3) or 3) == 3  # a new day
    assert built == [1, 3]
