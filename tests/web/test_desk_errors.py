"""What the engine refuses on a page's read is shown in its own words, never as the generic
500 page: a definition changed without ``docflow migrate``, numbers in a query that
``int`` would not take."""

from __future__ import annotations

import shutil
from pathlib import Path

from starlette.testclient import TestClient

from engine.definition.loader import load_definition
from engine.web import Desk, create_app
from tests.runtime.gd2011 import PROGRAMME_DIR
from tests.web.conftest import PASSWORD, DeskSite, post_form


def test_a_definition_changed_without_migrate_is_named_on_every_page(
    site: DeskSite, tmp_path: Path
) -> None:
    changed = tmp_path / "changed"
    shutil.copytree(PROGRAMME_DIR, changed)
    text = (changed / "programme.yaml").read_text(encoding="utf-8")
    (changed / "programme.yaml").write_text(
        text.replace("label: 工作方案已备案", "label: 工作方案已登记", 1), encoding="utf-8"
    )
    definition = load_definition(changed)
    desk = Desk(
        {definition.id: definition},
        site.desk.store,
        site.desk.clock,
        work_dir=site.desk.work_dir,
    )
    assert [pid for pid, _why in desk.warm()] == ["gd-2011"]
    client = TestClient(create_app(desk, "s" * 48), base_url="http://testserver")
    signed = post_form(client, "/login", {"name": "经信委统筹", "password": PASSWORD}, "/login")
    assert signed.status_code == 303  # type: ignore[attr-defined]
    for url in ("/p/gd-2011/office", "/p/gd-2011/units/guangzhou", "/p/gd-2011/circular"):
        page = client.get(url)
        assert page.status_code == 409, url
        assert "已有突破点按原定义运行" in page.text, url
        assert "系统内部错误" not in page.text, url


def test_digits_int_would_not_take_are_the_default(site: DeskSite) -> None:
    office = site.client("经信委统筹")
    for url in (
        "/p/gd-2011/units/guangzhou?page=²",
        "/p/gd-2011/office?stuck=²",
        "/p/gd-2011/trail?after=²",
    ):
        assert office.get(url).status_code == 200, url
