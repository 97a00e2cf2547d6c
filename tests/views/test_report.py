"""``docflow render``: the programme as a static HTML report, checked as text, as XML and in
a real (headless) browser."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import struct
import subprocess
import zlib
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

from engine.app import Programme
from engine.clock import FixedClock, SystemClock, aware
from engine.definition.deadlines import calendar_for
from engine.definition.loader import Definition, load_definition
from engine.runtime.service import NewPoint, Runtime
from engine.runtime.store import open_store
from engine.views.calendar import calendar_rows
from engine.views.diagram import lifecycle_dot, render_lifecycle
from engine.views.report import report_moment
from engine.views.svg_timeline import TimelineDeadline, render_timeline, timeline_svg

ROOT = Path(__file__).resolve().parents[2]
GD2011 = ROOT / "workflows" / "gd-2011"
MINIMAL = ROOT / "tests" / "definition" / "valid" / "minimal.yaml"
CHROMIUM = Path("/usr/bin/chromium")
SVG = "{http://www.w3.org/2000/svg}"
NOW = aware(datetime(2011, 6, 27, 10, 0))
HOSTILE = "<script>alert('x')</script>"

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot 未安装")


def at(text: str) -> datetime:
    return aware(datetime.fromisoformat(text))


@dataclass
class Run:
    definition: Definition
    db: Path


def run_a_spring(
    folder: Path, programme: Path = GD2011, guangzhou_title: str = "汽车产业链高端化"
) -> Run:
    """A store where, by 2011-06-27, guangzhou-1 has filed its plan (yellow: measures due
    06-30), shenzhen-1 never filed one (red), foshan-1 filed plan and measures (blue), dost-1
    was screened out and eic-1 withdrawn (grey: ended without success)."""
    folder.mkdir(parents=True, exist_ok=True)
    definition = load_definition(programme)
    clock = FixedClock(at("2011-03-02T09:00"))
    db = folder / "docflow.db"
    store = open_store(db)
    runtime = Runtime(definition, store, clock)
    files = iter(range(1, 100))

    def doc() -> Path:
        path = folder / f"doc-{next(files)}.txt"
        path.write_text(f"文件 {path.name}", encoding="utf-8")
        return path

    try:
        runtime.submit("eic", "call-for-points", doc())
        clock.moment = at("2011-03-15T10:00")
        runtime.enrol(
            [
                NewPoint("guangzhou", guangzhou_title),
                NewPoint("shenzhen", f"{HOSTILE}电子信息"),
                NewPoint("foshan", "家电产业智能化"),
                NewPoint("dost", "科技成果转化"),
                NewPoint("eic", "两化融合"),
            ]
        )
        clock.moment = at("2011-04-06T10:00")
        runtime.decide(
            "screen", ["guangzhou-1", "shenzhen-1", "foshan-1", "eic-1"], "accept", "符合要求"
        )
        runtime.decide("screen", ["dost-1"], "reject", f"与其他突破点重复{HOSTILE}")
        clock.moment = at("2011-04-20T10:00")
        runtime.decide(
            "approve", ["guangzhou-1", "shenzhen-1", "foshan-1", "eic-1"], "accept", "同意"
        )
        clock.moment = at("2011-05-09T10:00")
        runtime.submit("guangzhou", "work-plan", doc())
        runtime.submit("foshan", "work-plan", doc())
        clock.moment = at("2011-05-12T10:00")
        runtime.decide("work-plan", ["foshan-1"], "return", "缺少时间节点")
        clock.moment = at("2011-05-16T10:00")
        runtime.submit("foshan", "work-plan", doc())
        runtime.submit("foshan", "measures", doc())
        clock.moment = at("2011-06-01T10:00")
        runtime.decide("withdraw", ["eic-1"], "accept", "单位申请撤销")
    finally:
        store.close()
    return Run(definition, db)


def render_report(
    programme: Path,
    out: Path,
    db: str | None = None,
    *,
    now: datetime | None = None,
    warn: Callable[[str], None],
) -> Path:
    """The report through the application layer, as ``docflow render`` writes it."""
    clock = FixedClock(now) if now is not None else None
    with Programme.open(programme, db=db, clock=clock, with_store=db is not None) as gd:
        return gd.render(out, warn=warn)


@pytest.fixture(scope="module")
def spring(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return run_a_spring(tmp_path_factory.mktemp("spring"))


@pytest.fixture(scope="module")
def report(spring: Run, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 2011 report with the spring's store, judged at 2011-06-27 10:00."""
    out = tmp_path_factory.mktemp("report")
    warnings: list[str] = []
    index = render_report(GD2011, out, db=str(spring.db), now=NOW, warn=warnings.append)
    assert warnings == [] or shutil.which("dot") is None
    return index


@pytest.fixture(scope="module")
def html(report: Path) -> str:
    return report.read_text(encoding="utf-8")


def section(html: str, name: str) -> str:
    match = re.search(rf'<section id="{name}">(.*?)</section>', html, re.DOTALL)
    assert match, f"no section {name}"
    return match.group(1)


def svg_elements(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)


def classes(element: ElementTree.Element) -> set[str]:
    return set((element.get("class") or "").split())


# --- the timeline -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gd2011() -> Definition:
    return load_definition(GD2011)


@pytest.fixture(scope="module")
def timeline(gd2011: Definition) -> ElementTree.Element:
    return svg_elements(str(render_timeline(gd2011)))


def test_the_timeline_has_one_marker_per_deadline(
    gd2011: Definition, timeline: ElementTree.Element
) -> None:
    rows, _ = calendar_rows(gd2011)
    groups = [g for g in timeline.iter(f"{SVG}g") if "tl-deadline" in classes(g)]

    assert [g.get("data-step") for g in groups] == [r["step"] for r in rows]
    assert len(groups) == 12
    for g, row in zip(groups, rows, strict=True):
        markers = [e for e in g.iter() if "tl-marker" in classes(e)]
        assert len(markers) == 1, row["step"]
        assert g.get("data-due") == row["due"]
        label = "".join(t.text or "" for t in g.iter(f"{SVG}text") if "tl-due-label" in classes(t))
        assert row["phrase"] in label


def test_the_timeline_shades_the_2011_national_day_holiday_and_its_working_weekend(
    timeline: ElementTree.Element,
) -> None:
    days = {
        r.get("data-date"): classes(r)
        for r in timeline.iter(f"{SVG}rect")
        if "tl-day" in classes(r)
    }
    for day in range(1, 8):
        assert "tl-holiday" in days[f"2011-10-{day:02d}"], day
    # 10-08 (Saturday) and 10-09 (Sunday) were 调休 working days; 10-15 an ordinary Saturday.
    assert "tl-workday" in days["2011-10-08"]
    assert "tl-workday" in days["2011-10-09"]
    assert "tl-weekend" in days["2011-10-15"]
    assert "2011-10-10" not in days  # a Monday at work: no cell
    assert "tl-holiday" in days["2011-04-30"]  # 劳动节 04-30..05-02
    assert "tl-workday" in days["2011-12-31"]  # a Saturday worked
    names = [t.text for t in timeline.iter(f"{SVG}text") if "tl-holiday-name" in classes(t)]
    assert "国庆节" in names
    assert "劳动节" in names


def test_the_timeline_draws_phases_months_and_the_amended_deadline(
    timeline: ElementTree.Element,
) -> None:
    phases = [g.get("data-phase") for g in timeline.iter(f"{SVG}g") if "tl-phase" in classes(g)]
    assert phases == ["phase-1", "phase-2", "phase-3", "phase-4"]
    months = [t.text for t in timeline.iter(f"{SVG}text") if "tl-month" in classes(t)]
    assert months == ["2011年", *[f"{m}月" for m in range(3, 13)]]
    (plan,) = [g for g in timeline.iter(f"{SVG}g") if g.get("data-step") == "submit-plan"]
    assert [e for e in plan.iter() if "tl-marker-original" in classes(e)]
    text = "".join(plan.itertext())
    assert "5月10日前 · 5月10日" in text
    assert "原定4月底 · 4月30日" in text


def test_the_timeline_marks_today_when_given(gd2011: Definition) -> None:
    svg = str(render_timeline(gd2011, today=date(2011, 6, 27)))
    assert 'class="tl-now"' in svg
    assert "截至6月27日" in svg
    assert 'class="tl-now"' not in str(render_timeline(gd2011))


def test_the_timeline_escapes_its_text() -> None:
    svg = timeline_svg(
        [],
        [TimelineDeadline("x", HOSTILE, "5月10日前<b>", date(2011, 5, 10), date(2011, 5, 10))],
        calendar_for(load_definition(GD2011).programme.programme.calendar),
        year=2011,
        title=HOSTILE,
    )
    assert "<script" not in svg
    assert "<b>" not in svg
    tree = svg_elements(str(svg))  # still well-formed XML
    assert HOSTILE in "".join(tree.itertext())


# --- the state diagram -------------------------------------------------------------------------


def test_the_dot_text_labels_states_in_chinese_and_marks_initial_and_final(
    gd2011: Definition,
) -> None:
    dot = lifecycle_dot(gd2011)
    assert '"s_proposed" [label="已推荐\\n（初始状态）"' in dot
    assert '"s_concluded" [label="已办结\\n（终止状态）"' in dot
    assert 'peripheries="2"' in dot
    assert '"__start" -> "s_proposed"' in dot
    assert "报送突破点工作方案\\n突破点所属单位 · 5月10日前" in dot
    assert '"__any" -> "s_withdrawn"' in dot  # source "*" drawn once
    assert "延期申请（突破点所属单位）" in dot  # transitions that keep the state


@needs_dot
def test_dot_lays_out_the_life_cycle_as_svg(gd2011: Definition) -> None:
    diagram = render_lifecycle(gd2011)
    assert diagram.problem is None
    assert diagram.svg is not None
    tree = svg_elements(str(diagram.svg))
    text = "".join(tree.itertext())
    for label in (
        "已推荐",
        "初始状态",
        "已办结",
        "终止状态",
        "报送突破点工作方案",
        "省经济和信息化委",
    ):
        assert label in text
    ids = {e.get("id") for e in tree.iter()}
    assert {"lc-state-proposed", "lc-state-concluded", "lc-edge-submit-plan"} <= ids


def test_without_dot_the_report_still_renders_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    warnings: list[str] = []

    index = render_report(GD2011, tmp_path / "out", warn=warnings.append)

    page = index.read_text(encoding="utf-8")
    assert "状态图未能生成" in page
    assert "未找到 Graphviz 的 dot 命令" in page
    assert 'class="fallback lifecycle-missing"' in page
    assert len(warnings) == 1
    assert "dot" in warnings[0]
    assert not (tmp_path / "out" / "lifecycle.svg").exists()
    assert (tmp_path / "out" / "lifecycle.dot").read_text(encoding="utf-8").startswith("digraph")
    assert 'class="tl"' in page  # the timeline does not need Graphviz


def test_docflow_render_warns_on_stderr_without_dot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.cli import cli

    monkeypatch.setenv("PATH", str(tmp_path))
    result = CliRunner().invoke(cli, ["render", str(GD2011), "--out", str(tmp_path / "out")])

    assert result.exit_code == 0, result.output
    assert result.exception is None
    assert "警告" in result.stderr
    assert "Graphviz" in result.stderr
    assert (tmp_path / "out" / "index.html").is_file()


# --- the page ---------------------------------------------------------------------------------


def test_the_header_is_written_as_the_notice_has_it(html: str) -> None:
    notice = re.search(r'<header class="notice" id="notice">(.*?)</header>', html, re.DOTALL)
    assert notice
    text = notice.group(1)
    assert "关于印发全省产业转型升级突破点工作方案的通知" in text
    assert "粤经信技改〔2011〕333号" in text
    assert "广东省经济和信息化委员会" in text
    assert "二〇一一年四月二十六日" in text  # 公文 style, 〇 not 零
    assert "各地级以上市人民政府，顺德区人民政府，各省直有关部门：" in text
    assert "附件：全省产业转型升级突破点汇总表" in text
    assert "蓝艾青" in text
    assert "83135836" in text
    assert "83133364" in text


def test_the_organisation_is_shown(html: str) -> None:
    org = section(html, "organisation")
    assert "佟星副省长" in org
    assert "省经济和信息化委主要领导、省科技厅主要领导" in org
    assert "广东省经济和信息化委员会" in org  # daily work
    assert "工作小组不设办公室，日常工作由省经济和信息化委承担" in org
    for kind in ("省直部门", "地级以上市", "办事机构"):
        assert kind in org
    for n in "一二三四五六":
        assert f"第{n}检查组" in org
    assert "广州市、佛山市、顺德区" in org  # what group-1 inspects
    assert "郭秀强" in org


def test_every_step_is_a_row_with_who_what_when_and_where_from(
    gd2011: Definition, html: str
) -> None:
    steps = section(html, "steps")
    for step in gd2011.index.steps():
        assert steps.count(f'id="step-{step.id}"') == 1, step.id
    row = re.search(r'<tr id="step-report-measures".*?</tr>', steps, re.DOTALL)
    assert row
    text = row.group(0)
    assert "突破点所属单位" in text
    assert "省经济和信息化委、省科技厅" in text
    assert "突破点推进措施" in text
    assert "2011-06-01（星期三）" in text
    assert "2011-06-30（星期四）" in text
    assert "到期日是工作日" in text
    assert "到期前第5个工作日" in text  # the policy in words
    assert "6月23日（四）" in text  # its first reminder day
    assert "五、第4项" in text
    assert "6月报省经济和信息化委、省科技厅" in text
    call = re.search(r'<tr id="step-call-for-points".*?</tr>', steps, re.DOTALL)
    assert call
    assert "到期日不是工作日" in call.group(0)  # 3月初 ends on Saturday 03-05
    assert "2011-03-04" in call.group(0)


def test_amendments_show_both_deadlines_and_which_governs(html: str) -> None:
    amendments = section(html, "amendments")
    assert "报送突破点工作方案" in amendments
    assert "<s>4月底</s>" in amendments
    assert "2011-04-30" in amendments
    assert "5月10日前（现行，以此为准）" in amendments
    assert "2011-05-10" in amendments
    assert "于4月底报省经济和信息化委、科技厅备案" in amendments
    assert "于5月10日前报省经济和信息化委、科技厅" in amendments
    assert (
        "《关于印发全省产业转型升级突破点工作方案的通知》（粤经信技改〔2011〕333号）" in amendments
    )
    steps = section(html, "steps")
    plan = re.search(r'<tr id="step-submit-plan".*?</tr>', steps, re.DOTALL)
    assert plan
    assert "已改定" in plan.group(0)
    assert "原定 4月底" in plan.group(0)


def test_the_run_shows_colours_rates_late_units_and_a_verified_trail(html: str) -> None:
    run = section(html, "run")
    assert "2011-06-27 10:00" in run
    colours = dict(re.findall(r'data-point="([^"]+)" data-colour="([^"]+)"', run))
    assert colours == {
        "guangzhou-1": "yellow",
        "shenzhen-1": "red",
        "foshan-1": "blue",
        "dost-1": "grey",  # 未入选: ended, not 已办结
        "eic-1": "grey",  # 已撤销
    }
    assert "留痕校验通过：22 条留痕" in run  # the registration event and 21 after it
    rate = re.search(r'<tr class="overdue" data-step="submit-plan">.*?</tr>', run, re.DOTALL)
    assert rate
    assert "2 / 3" in rate.group(0)
    assert "67%" in rate.group(0)
    assert "深圳市" in rate.group(0)
    late = re.search(r'<table class="late">.*?</table>', run, re.DOTALL)
    assert late
    assert "深圳市" in late.group(0)
    assert "报送突破点工作方案（期限 2011-05-10）" in late.group(0)
    assert run.count('<tr id="event-') == 22
    assert "缺少时间节点" in run


def test_text_from_the_definition_and_the_store_is_escaped(tmp_path: Path) -> None:
    folder = tmp_path / "programme"
    shutil.copytree(GD2011, folder)
    yaml_file = folder / "programme.yaml"
    text = yaml_file.read_text(encoding="utf-8")
    text = text.replace("short: 广州市,", f'short: "广州市{HOSTILE}",', 1)
    text = text.replace("label: 报送突破点工作方案", f'label: "报送突破点工作方案{HOSTILE}"', 1)
    text = text.replace("label: 已推荐,", f'label: "已推荐{HOSTILE}",', 1)
    yaml_file.write_text(text, encoding="utf-8")
    run = run_a_spring(tmp_path / "store", folder, guangzhou_title=f"汽车{HOSTILE}")

    index = render_report(folder, tmp_path / "out", db=str(run.db), now=NOW, warn=lambda _m: None)

    page = index.read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
    assert f"广州市{escaped}" in page  # a unit name
    assert f"汽车{escaped}" in page  # a point title from the store
    assert f"与其他突破点重复{escaped}" in page  # a reason
    assert f"报送突破点工作方案{escaped}" in page  # a step label, in tables and the timeline
    timeline = svg_elements((tmp_path / "out" / "timeline.svg").read_text(encoding="utf-8"))
    assert f"报送突破点工作方案{HOSTILE}" in "".join(timeline.itertext())
    if shutil.which("dot"):
        diagram = (tmp_path / "out" / "lifecycle.svg").read_text(encoding="utf-8")
        assert "<script" not in diagram
        assert f"已推荐{HOSTILE}" in "".join(svg_elements(diagram).itertext())


def test_the_page_needs_no_network_and_no_script(html: str) -> None:
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()
    assert "@import" not in html
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", html)
    assert re.search(r"<style>.*</style>", html, re.DOTALL)


def test_a_broken_trail_is_reported_on_the_page(spring: Run, tmp_path: Path) -> None:
    db = tmp_path / "docflow.db"
    shutil.copy(spring.db, db)
    shutil.copytree(spring.db.parent / "documents", tmp_path / "documents")
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE events SET reason = '符合要求（改）' WHERE seq = 7")

    index = render_report(GD2011, tmp_path / "out", db=str(db), now=NOW, warn=lambda _m: None)

    run = section(index.read_text(encoding="utf-8"), "run")
    assert "留痕校验未通过：事件 #7 的内容与其哈希不符" in run
    assert '<tr id="event-7" class="failing">' in run


def test_the_moment_is_the_year_end_once_the_year_is_over(gd2011: Definition) -> None:
    moment, note = report_moment(gd2011, SystemClock())
    assert moment == aware(datetime(2011, 12, 31, 23, 59, 59))
    assert "年度" in note
    fixed = FixedClock(at("2011-05-11T09:00"), "DOCFLOW_NOW")
    assert report_moment(gd2011, fixed) == (
        at("2011-05-11T09:00"),
        "按环境变量 DOCFLOW_NOW 给出的时间计算",
    )
    assert report_moment(gd2011, FixedClock(at("2011-04-01T08:00")))[0] == at("2011-04-01T08:00")


def test_docflow_render_with_a_store(spring: Run, tmp_path: Path) -> None:
    from engine.cli import cli

    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        ["render", str(GD2011), "--out", str(out), "--db", str(spring.db)],
        env={"DOCFLOW_NOW": ""},
    )

    assert result.exit_code == 0, result.output
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "方案年度已结束" in page
    assert "2011-12-31 23:59" in page
    assert (out / "timeline.svg").is_file()


def test_docflow_render_now_judges_the_colours_at_the_given_time(
    spring: Run, tmp_path: Path
) -> None:
    from engine.cli import cli

    out = tmp_path / "out"
    args = ["render", str(GD2011), "--out", str(out), "--db", str(spring.db)]
    result = CliRunner().invoke(cli, [*args, "--now", "2011-05-11T09:00"], env={"DOCFLOW_NOW": ""})

    assert result.exit_code == 0, result.output
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "按指定的时间计算" in page
    assert "2011-05-11 09:00" in page
    bad = CliRunner().invoke(cli, [*args, "--now", "5月11日"])
    assert bad.exit_code == 2
    assert "错误：--now 的值无效：'5月11日' 不是 ISO 8601 时间" in bad.output


def test_a_programme_without_amendments_or_working_group_renders(tmp_path: Path) -> None:
    index = render_report(MINIMAL, tmp_path / "out", warn=lambda _m: None)
    page = index.read_text(encoding="utf-8")
    assert "本方案的时限未被后发文件改定" in page
    assert "试点工作方案" in page
    assert 'id="run"' not in page


# --- in a real browser -------------------------------------------------------------------------


def _chromium(
    args: list[str], profile: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        *args,
    ]
    env = {**os.environ, "LANG": "zh_CN.UTF-8"}
    return subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _png_distinct_bytes(data: bytes) -> int:
    """How many distinct byte values the decompressed image data holds (1-2 for a blank page)."""
    pos, idat = 8, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return len(set(zlib.decompress(idat)))


def _page_console(stderr: str) -> list[str]:
    """What the page wrote to the console (Chromium logs it as ``INFO:CONSOLE``)."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


@pytest.fixture
def browser_profile(tmp_path: Path) -> Iterator[Path]:
    profile = tmp_path / "profile"
    profile.mkdir()
    yield profile
    shutil.rmtree(profile, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium 不存在：跳过浏览器中的检查")
def test_the_report_opens_in_headless_chromium(
    report: Path, tmp_path: Path, browser_profile: Path
) -> None:
    url = report.resolve().as_uri()
    shot = tmp_path / "shot.png"

    shown = _chromium([f"--screenshot={shot}", "--window-size=1400,4000", url], browser_profile)

    assert shot.is_file(), shown.stderr[-2000:]
    data = shot.read_bytes()
    assert _png_size(data) == (1400, 4000)
    assert len(data) > 50_000
    assert _png_distinct_bytes(data) > 100
    assert _page_console(shown.stderr) == []

    dumped = _chromium(["--dump-dom", url], browser_profile)

    dom = dumped.stdout
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    assert _page_console(dumped.stderr) == []
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="tl"' in dom
    assert dom.count('class="tl-marker"') == 12
    assert 'data-date="2011-10-01"' in dom
    assert "国庆节" in dom
    if shutil.which("dot"):
        assert 'id="lc-state-proposed"' in dom
        for label in ("已推荐", "初始状态", "终止状态", "报送突破点工作方案", "突破点所属单位"):
            assert label in dom
    assert "留痕校验通过" in dom
    assert "二〇一一年四月二十六日" in dom
    assert "&lt;script&gt;" in dom  # the hostile title stayed text in the live DOM
    assert "<script" not in dom
