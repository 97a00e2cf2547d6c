"""Every page escapes markup in names, titles and reasons: a point's title, an account's
name, a file's name and a decision's reason are shown as text, never as HTML."""

from __future__ import annotations

from engine.app.accounts import Accounts
from tests.web.conftest import PASSWORD, DeskSite, upload

MARKUP = '<script>alert("x")</script>'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"


def test_markup_in_titles_names_file_names_and_reasons_is_escaped(site: DeskSite) -> None:
    from engine.app import NewPoint

    gd = site.desk.programme("gd-2011")
    (point,) = gd.enrol([NewPoint("zhuhai", f"标题{MARKUP}")])
    gd.decide("screen", [point.point_id], "accept", f"理由{MARKUP}")
    gd.decide("approve", [point.point_id], "accept", "同意")
    accounts = Accounts(site.desk.store, site.desk.clock)
    _, token = accounts.add(f"名字{MARKUP}", "zhuhai", "unit")
    accounts.set_password(token, PASSWORD, PASSWORD)
    unit = site.client(f"名字{MARKUP}")
    response = upload(unit, point.point_id, b"plan", f"文件{MARKUP}.pdf", unit="zhuhai")
    receipt = unit.get(response.headers["location"]).text  # type: ignore[attr-defined]
    gd.decide("work-plan", [point.point_id], "return", f"退回{MARKUP}")
    auditor = site.client("审计员")
    office = site.client("经信委统筹")
    pages = {
        "unit": unit.get("/p/gd-2011/units/zhuhai").text,
        "point": unit.get(f"/p/gd-2011/points/{point.point_id}").text,
        "receipt": receipt,
        "office": office.get("/p/gd-2011/office").text,
        "trail": auditor.get("/p/gd-2011/trail").text,
        "accounts": auditor.get("/accounts").text,
        "login": site.client().post("/login", data={"name": MARKUP}).text,
    }
    for name, page in pages.items():
        assert MARKUP not in page, name
        assert "<script" not in page, name
    assert ESCAPED in pages["unit"]  # the title and the return's reason, as text
    assert ESCAPED in pages["receipt"]  # the account's name (经办人) and the file's name
    assert ESCAPED in pages["trail"]
    assert ESCAPED in pages["accounts"]
