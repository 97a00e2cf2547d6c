"""A unit's iCalendar, subscribable by an address with a token of its own: made and revoked
by the office or an administrator, kept only as its hash, refused to every other role; the
feed answers only the current token, with that unit's deadlines."""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.runtime.gd2011 import run_sql
from tests.web.conftest import DeskSite, csrf_of

CALENDARS = "/p/gd-2011/calendars"


def _make(client: object, unit: str = "guangzhou", action: str = "make") -> object:
    token = csrf_of(client.get(CALENDARS).text)  # type: ignore[attr-defined]
    return client.post(  # type: ignore[attr-defined]
        f"/p/gd-2011/units/{unit}/calendar",
        data={"csrf_token": token, "action": action},
        follow_redirects=False,
    )


def _address(page: str) -> str:
    found = re.search(r'id="calendar-url">([^<]+)<', page)
    assert found is not None
    return found.group(1).replace("&amp;", "&")


@pytest.mark.parametrize("name", ["经信委统筹", "管理员"])
def test_a_units_calendar_is_subscribed_with_its_token(site: DeskSite, name: str) -> None:
    made = _make(site.client(name))
    assert made.status_code == 200  # type: ignore[attr-defined]
    address = _address(made.text)  # type: ignore[attr-defined]
    assert "/p/gd-2011/units/guangzhou/calendar.ics?token=" in address
    feed = site.client().get(address.removeprefix("http://testserver"))
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    assert feed.text.startswith("BEGIN:VCALENDAR")
    assert feed.text == site.desk.programme("gd-2011").export_ical("guangzhou")
    token = address.rpartition("token=")[2]
    kept = run_sql(
        str(site.folder / "docflow.db"),
        "SELECT value FROM desk_settings WHERE key = ?",
        "ical-token:gd-2011:guangzhou",
    )
    assert kept == [(hashlib.sha256(token.encode()).hexdigest(),)]  # the hash, never the token


def test_a_new_token_or_a_revocation_stops_the_old_address(site: DeskSite) -> None:
    office = site.client("经信委统筹")
    first = _address(_make(office).text).removeprefix("http://testserver")  # type: ignore[attr-defined]
    second = _address(_make(office).text).removeprefix("http://testserver")  # type: ignore[attr-defined]
    reader = site.client()
    assert reader.get(first).status_code == 404
    assert reader.get(second).status_code == 200
    revoked = _make(office, action="revoke")
    assert 'id="revoked"' in revoked.text  # type: ignore[attr-defined]
    assert reader.get(second).status_code == 404
    assert (
        "已生成"
        not in office.get(CALENDARS).text.split('id="calendar-guangzhou"')[1].split("</tr>")[0]
    )


def test_a_token_opens_only_its_own_units_calendar(site: DeskSite) -> None:
    address = _address(_make(site.client("经信委统筹")).text).removeprefix("http://testserver")  # type: ignore[attr-defined]
    other = address.replace("/units/guangzhou/", "/units/foshan/")
    reader = site.client()
    assert reader.get(other).status_code == 404
    assert reader.get(address.partition("?")[0]).status_code == 404
    assert reader.get(address.partition("?")[0] + "?token=guess").status_code == 404


@pytest.mark.parametrize("name", ["广州填报员", "审计员"])
def test_other_roles_neither_list_nor_make_calendar_tokens(site: DeskSite, name: str) -> None:
    client = site.client(name)
    assert client.get(CALENDARS).status_code == 403
    token = csrf_of(client.get("/").text)
    made = client.post(
        "/p/gd-2011/units/guangzhou/calendar",
        data={"csrf_token": token, "action": "make"},
        follow_redirects=False,
    )
    assert made.status_code == 403
    assert (
        run_sql(
            str(site.folder / "docflow.db"), "SELECT key FROM desk_settings WHERE key LIKE 'ical%'"
        )
        == []
    )


def test_making_a_token_needs_the_forms_csrf_token(site: DeskSite) -> None:
    client = site.client("经信委统筹")
    refused = client.post(
        "/p/gd-2011/units/guangzhou/calendar", data={"action": "make"}, follow_redirects=False
    )
    assert refused.status_code == 403
