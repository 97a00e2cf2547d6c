"""The report's run section as an auditor reads it: the overview, points that ended without
success kept apart, late submissions and tasks, the notification record, the trail in words
with its documents linked, and the page at a phone's width."""

from __future__ import annotations

import hashlib
import re
import shutil
import sqlite3
from contextlib import closing
from datetime import date
from pathlib import Path
from urllib.parse import unquote

import pytest

from engine.app import Programme
from engine.app.mail import MailSettings
from engine.clock import FixedClock
from engine.runtime.service import Runtime
from engine.runtime.store import open_store
from tests.views.test_report import (
    CHROMIUM,
    GD2011,
    NOW,
    Run,
    _chromium,
    at,
    browser_profile,  # noqa: F401 - a fixture
    render_report,
    run_a_spring,
    section,
)


@pytest.fixture(scope="module")
def spring(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The spring of test_report, then the reminders of 06-27 sent to an outbox."""
    run = run_a_spring(tmp_path_factory.mktemp("spring"))
    outbox = run.db.parent / "outbox"
    with Programme.open(
        GD2011, db=str(run.db), clock=FixedClock(NOW), mail=MailSettings(str(outbox))
    ) as gd:
        assert gd.remind().sent
    return run


@pytest.fixture(scope="module")
def out(spring: Run, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    render_report(GD2011, folder, db=str(spring.db), now=NOW, warn=lambda _m: None)
    return folder


@pytest.fixture(scope="module")
def page(out: Path) -> str:
    return (out / "index.html").read_text(encoding="utf-8")


# --- the overview ----------------------------------------------------------------------------


def test_the_overview_comes_first_with_counts_by_state_and_colour(page: str) -> None:
    assert page.index('<section id="overview"') < page.index('<section id="documents">')
    overview = page[page.index('<section id="overview"') : page.index('<section id="documents">')]
    states = (
        ("已审定", 1),
        ("工作方案已备案", 1),
        ("推进措施已报送", 1),
        ("未入选", 1),
        ("已撤销", 1),
    )
    for label, count in states:
        assert re.search(rf"{label} <strong>{count}</strong> 个", overview), label
    colours = dict(re.findall(r'data-colour="(\w+)">.*?<strong>(\d+)</strong>', overview))
    assert colours == {"green": "0", "grey": "2", "blue": "1", "yellow": "1", "red": "1"}
    assert "已终止（未办结）" in overview
    assert "各事项上报率" in overview


def test_points_that_ended_without_success_are_not_counted_as_concluded(page: str) -> None:
    run = section(page, "run")
    assert re.search(
        r'data-point="eic-1" data-colour="grey"><td><span class="light grey">灰灯', run
    )
    assert "已办结 0 个" in run


def test_a_submission_after_its_due_day_is_marked_with_the_days_late(page: str) -> None:
    overview = page[page.index('<section id="overview"') : page.index('<section id="documents">')]
    row = re.search(r'<tr data-point="foshan-1">.*?</tr>', overview, re.DOTALL)
    assert row
    # Returned on 05-12, sent again on 05-16 for 05-10.
    assert "2011-05-16" in row.group(0)
    assert "逾期6天" in row.group(0)
    unsent = re.search(r'<tr data-point="shenzhen-1">.*?</tr>', overview, re.DOTALL)
    assert unsent
    assert "未报送" in unsent.group(0)
    assert "逾期48天" in unsent.group(0)  # 05-10 to 06-27
    points = section(page, "run")
    assert "突破点工作方案：2011-05-16 报送，逾期6天" in points


def test_units_late_say_by_how_many_days(page: str) -> None:
    late = re.search(r'<table class="late">.*?</table>', section(page, "run"), re.DOTALL)
    assert late
    assert "报送突破点工作方案（期限 2011-05-10）逾期48天" in late.group(0)


def test_a_programme_task_finished_late_is_marked(tmp_path: Path) -> None:
    definition = Programme.open(GD2011, with_store=False).definition
    db = tmp_path / "docflow.db"
    store = open_store(db)
    (tmp_path / "call.txt").write_text("征集通知", encoding="utf-8")
    try:
        Runtime(definition, store, FixedClock(at("2011-03-10T09:00"))).submit(
            "eic", "call-for-points", tmp_path / "call.txt"
        )
    finally:
        store.close()
    with Programme.open(GD2011, db=str(db), clock=FixedClock(at("2011-03-20T09:00"))) as gd:
        due = next(t["due"] for t in gd.status()["tasks"] if t["task"] == "call-for-points")
        index = gd.render(tmp_path / "out", warn=lambda _m: None)
    days = (date(2011, 3, 10) - date.fromisoformat(due)).days
    assert days > 0
    page = index.read_text(encoding="utf-8")
    assert re.search(rf'<tr data-task="call-for-points">.*?逾期{days}天', page, re.DOTALL)
    assert f'已完成（2011-03-10） <span class="late-days">逾期{days}天</span>' in page


# --- the notification record -----------------------------------------------------------------


def test_every_logged_reminder_is_listed_with_recipient_cc_due_day_and_status(
    spring: Run, page: str
) -> None:
    with closing(sqlite3.connect(spring.db)) as conn:
        sent = conn.execute(
            "SELECT rule, unit_id, occurrence, status FROM sent_log WHERE unit_id != '*'"
        ).fetchall()
        skipped_markers = conn.execute(
            "SELECT count(*) FROM sent_log WHERE unit_id = '*' AND status = 'skipped'"
        ).fetchone()[0]
    assert sent
    table = re.search(r'<table class="notifications">.*?</table>', page, re.DOTALL)
    assert table
    rows = re.findall(r'<tr data-status="(\w+)">(.*?)</tr>', table.group(0), re.DOTALL)
    assert len(rows) == len(sent) + skipped_markers
    shenzhen = [r for s, r in rows if "深圳市" in r]
    assert shenzhen, "the late unit got its 催报"
    assert any("催报" in r and "2011-05-10" in r for r in shenzhen)
    assert any("已发出" in r for r in shenzhen)
    assert "@" in table.group(0)  # the Message-ID of each message


def test_copies_follow_the_programme_s_reminder_rules(page: str) -> None:
    from engine.definition.loader import load_definition
    from engine.delivery.reminders import rules

    definition = load_definition(GD2011)
    copied = [r for r in rules(definition) if r.kind == "overdue" and r.policy.cc]
    assert copied
    table = re.search(r'<table class="notifications">.*?</table>', page, re.DOTALL)
    assert table
    checked: list[str] = []
    for r in copied:
        stage = f"第{r.offset}次催报"
        for row in re.findall(rf"<td>{stage}</td>.*?</tr>", table.group(0), re.DOTALL):
            _stage, _occurrence, to, cc_cell = re.findall(r"<td[^>]*>(.*?)</td>", row)[:4]
            if to != "—":  # a message, not an occurrence that was skipped as a whole
                assert (cc_cell != "—") == (r.offset >= r.policy.copy_from_stage), row
                checked.append(cc_cell)
    assert checked, "no 催报 message was listed"


# --- the trail in words ----------------------------------------------------------------------


def test_the_trail_names_documents_by_file_name_and_links_a_verified_copy(
    spring: Run, out: Path, page: str
) -> None:
    trail = page[page.index('<h3 id="trail">') :]
    links = re.findall(
        r'<a href="(documents/[0-9a-f]{64}/[^"]+)" title="SHA-256 ([0-9a-f]{64})">([^<]+)</a>',
        trail,
    )
    assert len(links) == 5  # the call and four submissions (foshan's plan twice)
    for href, sha, name in links:
        copy = out / unquote(href)
        assert copy.is_file()
        assert hashlib.sha256(copy.read_bytes()).hexdigest() == sha
        assert name.startswith("doc-")
        assert name.endswith(".txt")
        assert copy.name == name


def test_the_trail_is_in_words_not_json(page: str) -> None:
    trail = page[page.index('<h3 id="trail">') :]
    assert '{"title"' not in trail
    assert "{&#34;title" not in trail
    assert "题目：两化融合" in trail
    assert "不同意" in trail  # the screening out of dost-1, as a word
    assert "已推荐 → 已初选" in trail


def test_a_document_path_outside_the_documents_folder_is_not_followed(
    spring: Run, tmp_path: Path
) -> None:
    db = tmp_path / "docflow.db"
    shutil.copy(spring.db, db)
    shutil.copytree(spring.db.parent / "documents", tmp_path / "documents")
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE documents SET stored_at = '../../../../../../etc/hostname'")

    index = render_report(GD2011, tmp_path / "out", db=str(db), now=NOW, warn=lambda _m: None)

    page = index.read_text(encoding="utf-8")
    assert "存放路径越出文件目录，未复制" in page
    assert not (tmp_path / "out" / "documents").exists()


# --- a phone's width -------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium 不存在：跳过浏览器中的检查")
def test_at_390_px_the_page_does_not_scroll_sideways(
    out: Path,
    browser_profile: Path,  # noqa: F811 - the fixture
) -> None:
    """Tables scroll inside their own boxes; the page itself stays 390 px wide. The report is
    shown in a 390 px frame of a probe page whose script writes the report's scroll width into
    the DOM (the report itself has no script)."""
    probe = out / "probe-390.html"
    script = (
        "<script>addEventListener('load', () => { const f = document.getElementById('page');"
        " const d = f.contentDocument.documentElement;"
        " document.body.setAttribute('data-width', d.scrollWidth + 'x' + d.clientWidth);"
        " document.body.setAttribute('data-tables',"
        " f.contentDocument.querySelectorAll('div.scroll > table').length); });</script>"
    )
    probe.write_text(
        '<!DOCTYPE html><html><body style="margin:0">'
        '<iframe id="page" src="index.html" style="width:390px;height:844px;border:0"></iframe>'
        f"{script}</body></html>",
        encoding="utf-8",
    )
    try:
        shown = _chromium(
            [
                "--allow-file-access-from-files",
                "--virtual-time-budget=5000",
                "--dump-dom",
                probe.as_uri(),
            ],
            browser_profile,
        )
    finally:
        probe.unlink()
    found = re.search(r'data-width="(\d+)x(\d+)"', shown.stdout)
    assert found, shown.stderr[-2000:]
    scroll, inner = int(found.group(1)), int(found.group(2))
    assert 360 <= inner <= 390  # 390 less a vertical scroll bar
    assert scroll <= inner
    tables = re.search(r'data-tables="(\d+)"', shown.stdout)
    assert tables
    assert int(tables.group(1)) >= 10
