"""Signing in and out of the desk: the session cookie, CSRF tokens on every form, the
throttle, the set-password page, and pages refused to those not signed in."""

from __future__ import annotations

from engine.app.accounts import MAX_FAILURES
from tests.web.conftest import PASSWORD, DeskSite, csrf_of, post_form


def test_signing_in_sets_a_signed_httponly_samesite_cookie(site: DeskSite) -> None:
    client = site.client()
    response = post_form(client, "/login", {"name": "广州填报员", "password": PASSWORD}, "/login")
    assert response.status_code == 303  # type: ignore[attr-defined]
    cookie = response.headers["set-cookie"]  # type: ignore[attr-defined]
    assert "docflow_desk=" in cookie
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    assert client.get("/p/gd-2011/", follow_redirects=True).url.path == "/p/gd-2011/units/guangzhou"


def test_a_wrong_password_is_refused_in_chinese_and_recorded(site: DeskSite) -> None:
    client = site.client()
    response = post_form(client, "/login", {"name": "广州填报员", "password": "nope"}, "/login")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "账户名或密码不正确" in response.text  # type: ignore[attr-defined]
    assert site.desk.accounts.logins()[0].success is False


def test_sign_ins_are_throttled_per_account(site: DeskSite) -> None:
    client = site.client()
    for _ in range(MAX_FAILURES):
        post_form(client, "/login", {"name": "佛山填报员", "password": "nope"}, "/login")
    response = post_form(client, "/login", {"name": "佛山填报员", "password": PASSWORD}, "/login")
    assert response.status_code == 429  # type: ignore[attr-defined]
    assert "登录失败次数过多" in response.text  # type: ignore[attr-defined]
    assert client.get("/p/gd-2011/units/foshan").status_code == 403


def test_a_form_without_its_csrf_token_is_refused(site: DeskSite) -> None:
    client = site.client("经信委统筹")
    refused = client.post(
        "/p/gd-2011/decide",
        data={"task": "screen", "outcome": "accept", "reason": "同意", "point": "eic-1"},
    )
    assert refused.status_code == 403
    assert "CSRF" in refused.text
    assert "表单已失效" in refused.text
    forged = client.post(
        "/p/gd-2011/decide",
        data={"csrf_token": "forged", "task": "screen", "outcome": "accept", "reason": "同意"},
    )
    assert forged.status_code == 403
    assert client.get("/p/gd-2011/trail?point=eic-1").text.count("初步筛选") == 0


def test_the_sign_in_form_also_needs_its_token(site: DeskSite) -> None:
    client = site.client()
    response = client.post("/login", data={"name": "广州填报员", "password": PASSWORD})
    assert response.status_code == 403


def test_a_token_from_another_session_is_refused(site: DeskSite) -> None:
    other = site.client("佛山填报员")
    token = csrf_of(other.get("/p/gd-2011/units/foshan").text)
    client = site.client("经信委统筹")
    response = client.post(
        "/p/gd-2011/decide",
        data={
            "csrf_token": token,
            "task": "screen",
            "outcome": "accept",
            "reason": "同意",
            "point": "eic-1",
        },
    )
    assert response.status_code == 403


def test_signing_out_ends_the_session(site: DeskSite) -> None:
    client = site.client("广州填报员")
    assert post_form(client, "/logout", {}, "/p/gd-2011/units/guangzhou").status_code == 303  # type: ignore[attr-defined]
    assert client.get("/p/gd-2011/units/guangzhou").status_code == 403
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"


def test_pages_need_a_signed_in_account(site: DeskSite) -> None:
    client = site.client()
    for path in (
        "/p/gd-2011/units/guangzhou",
        "/p/gd-2011/points/guangzhou-1",
        "/p/gd-2011/office",
        "/p/gd-2011/trail",
        "/p/gd-2011/verify",
        "/accounts",
    ):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "请先登录" in response.text


def test_the_set_password_link_works_once(site: DeskSite) -> None:
    _, token = site.desk.accounts.add("新同事", "zhuhai", "unit")
    client = site.client()
    page = f"/set-password?token={token}"
    assert client.get(page).status_code == 200
    form = {"token": token, "password": "a long new password", "again": "a long new password"}
    done = post_form(client, "/set-password", form, page)
    assert done.status_code == 303  # type: ignore[attr-defined]
    assert client.get("/p/gd-2011/", follow_redirects=True).url.path == "/p/gd-2011/units/zhuhai"
    again = site.client().get(page)
    assert again.status_code == 404
    assert "已使用、已过期或不存在" in again.text


def test_every_response_refuses_framing_and_referrers(site: DeskSite) -> None:
    response = site.client().get("/login")
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_the_stylesheet_is_served_from_the_package(site: DeskSite) -> None:
    response = site.client().get("/static/desk.css")
    assert response.status_code == 200
    assert "@media print" in response.text
    assert "max-width: 600px" in response.text
