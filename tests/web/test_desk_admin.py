"""Account administration on the web, for the administrator only: the list, a new account
with its one-time link shown once, disabling one (its session ends), each recorded."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import PASSWORD, DeskSite, csrf_of, post_form


def _manage(client: object, data: dict[str, object]) -> object:
    return post_form(client, "/accounts/manage", data, "/accounts")  # type: ignore[arg-type]


def test_the_administrator_adds_an_account_whose_link_sets_its_password(site: DeskSite) -> None:
    admin = site.client("管理员")
    page = _manage(
        admin, {"action": "add", "name": "深圳填报员", "body": "shenzhen", "role": "unit"}
    )
    assert page.status_code == 200  # type: ignore[attr-defined]
    found = re.search(r'id="made-link">http://testserver(/set-password\?token=[^<]+)<', page.text)  # type: ignore[attr-defined]
    assert found is not None
    link = found.group(1)
    person = site.client()
    done = post_form(
        person,
        "/set-password",
        {"token": link.partition("=")[2], "password": PASSWORD, "again": PASSWORD},
        link,
    )
    assert done.status_code in (200, 303)  # type: ignore[attr-defined]
    signed = site.client("深圳填报员")
    assert signed.get("/p/gd-2011/units/shenzhen").status_code == 200
    assert signed.get("/p/gd-2011/units/guangzhou").status_code == 403
    record = admin.get("/accounts").text.split('id="account-record"')[1]
    assert re.search(r"<td>新建</td><td>深圳填报员</td><td>管理员（省经济和信息化委）</td>", record)


def test_the_administrator_disables_an_account_and_its_session_ends(site: DeskSite) -> None:
    unit = site.client("广州填报员")
    assert unit.get("/p/gd-2011/units/guangzhou").status_code == 200
    admin = site.client("管理员")
    target = next(a for a in site.desk.accounts.all() if a.name == "广州填报员")
    done = _manage(admin, {"action": "disable", "id": str(target.id)})
    assert done.status_code == 303  # type: ignore[attr-defined]
    assert unit.get("/p/gd-2011/units/guangzhou").status_code == 403  # signed out
    again = site.client()
    refused = post_form(again, "/login", {"name": "广州填报员", "password": PASSWORD}, "/login")
    assert refused.status_code != 303  # type: ignore[attr-defined]
    record = admin.get("/accounts").text.split('id="account-record"')[1]
    assert re.search(r"<td>停用</td><td>广州填报员</td><td>管理员（省经济和信息化委）</td>", record)


def test_a_name_taken_or_a_body_unknown_is_refused_in_chinese(site: DeskSite) -> None:
    admin = site.client("管理员")
    taken = _manage(
        admin, {"action": "add", "name": "广州填报员", "body": "guangzhou", "role": "unit"}
    )
    assert taken.status_code == 409  # type: ignore[attr-defined]
    assert "广州填报员" in taken.text  # type: ignore[attr-defined]
    unknown = _manage(admin, {"action": "add", "name": "某人", "body": "<b>x</b>", "role": "unit"})
    assert unknown.status_code == 400  # type: ignore[attr-defined]
    assert "&lt;b&gt;x&lt;/b&gt;" in unknown.text  # type: ignore[attr-defined]
    assert "<b>x</b>" not in unknown.text  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["审计员", "经信委统筹", "广州填报员"])
def test_only_the_administrator_manages_accounts(site: DeskSite, name: str) -> None:
    client = site.client(name)
    token = csrf_of(client.get("/").text)
    response = client.post(
        "/accounts/manage",
        data={
            "csrf_token": token,
            "action": "add",
            "name": "冒名",
            "body": "eic",
            "role": "administrator",
        },
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert all(a.name != "冒名" for a in site.desk.accounts.all())
    if name == "审计员":  # reads the list, without the forms
        page = client.get("/accounts").text
        assert 'id="add-account"' not in page
        assert "停用</button>" not in page
