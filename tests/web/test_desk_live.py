"""The desk reads the store from nothing once per programme and process (at its start),
then advances what it keeps by the new events: a submission through one browser shows on
another's dashboard, and another process's write (the CLI, ``serve``) is seen too."""

from __future__ import annotations

from pathlib import Path

from engine.app import Programme
from engine.clock import FixedClock
from tests.runtime.gd2011 import PROGRAMME_DIR
from tests.web.conftest import NOW, DeskSite, upload


def test_warming_reads_each_programme_once_and_pages_only_advance(site: DeskSite) -> None:
    assert site.desk.warm() == []
    live = site.desk.live("gd-2011")
    assert (live.reads, live.advances) == (1, 0)
    office = site.client("经信委统筹")
    before = office.get("/p/gd-2011/office").text
    unit = site.client("广州填报员")
    assert upload(unit, "guangzhou-1", b"plan").status_code == 303
    after = office.get("/p/gd-2011/office").text
    assert after != before
    assert "guangzhou-1" in after  # now waiting for the office's decision
    assert (live.reads, live.advances) == (1, 1)


def test_a_write_by_another_process_is_seen_on_the_next_page(site: DeskSite) -> None:
    site.desk.warm()
    unit = site.client("广州填报员")
    assert "工作方案已备案" not in unit.get("/p/gd-2011/units/guangzhou").text
    plan = site.folder / "plan.txt"
    plan.write_text("纸质工作方案", encoding="utf-8")
    with Programme.open(
        PROGRAMME_DIR,
        db=str(site.folder / "docflow.db"),
        documents=site.folder / "documents",
        clock=FixedClock(NOW),
        operator="命令行",
    ) as other:  # another process: the command line on the same store
        other.submit("guangzhou", "work-plan", plan, ["guangzhou-1"])
    assert "工作方案已备案" in unit.get("/p/gd-2011/units/guangzhou").text
    live = site.desk.live("gd-2011")
    assert (live.reads, live.advances) == (1, 1)


def test_warming_names_a_programme_it_cannot_read(site: DeskSite, tmp_path: Path) -> None:
    site.desk.store.close()
    failed = site.desk.warm()
    assert [pid for pid, _why in failed] == ["gd-2011"]
    assert "已关闭" in failed[0][1].message
