"""A programme about 任务 says 任务 everywhere, never the 2011 programme's 突破点.

The programme is the minimal test programme (tests/definition/valid/) with ``item: 任务``,
its units a city's bureaus (``kind: city_department``) and no 发文字号. Every place a user
reads is driven through its front end: validate, enrol, status, log, a refusal, a reminder
e-mail, the HTML report, the 汇总表 (csv and xlsx), the iCalendar file and the rehearsal.
"""

from __future__ import annotations

import email
import email.policy
import shutil
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

import engine
from engine.definition.loader import load_definition
from engine.errors import ITEM, DocflowError
from engine.refusals import UnknownPoint
from tests.runtime.gd2011 import run_cli

VALID = Path(__file__).parents[1] / "definition" / "valid"
HARD_WIRED = "突破点"


def _programme_text() -> str:
    text = (VALID / "minimal.yaml").read_text(encoding="utf-8")
    for old, new in (
        ("  doc_number: 粤测〔2011〕1号\n", "  item: 任务\n"),
        (
            "name: 甲市人民政府, kind: city}",
            "name: 测试市住房和城乡建设局, kind: city_department, email: a@example.invalid}",
        ),
        (
            "name: 乙市人民政府, kind: city}",
            "name: 测试市交通运输局, kind: city_department, email: b@example.invalid}",
        ),
    ):
        assert old in text
        text = text.replace(old, new)
    return text


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "tasks"
    target.mkdir()
    (target / "programme.yaml").write_text(_programme_text(), encoding="utf-8")
    shutil.copy(VALID / "source.txt", target / "source.txt")
    return target


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "DOCFLOW_DB": str(tmp_path / "docflow.db"),
        "DOCFLOW_NOW": "2011-03-24T09:00:00+08:00",
        "DOCFLOW_OPERATOR": "测试",
    }


def _says_tasks(text: str) -> None:
    assert "任务" in text
    assert HARD_WIRED not in text
    assert "（（" not in text
    assert "（）" not in text
    assert "〔〕" not in text


def test_the_definition_carries_its_word_and_its_units_kinds(folder: Path) -> None:
    definition = load_definition(folder)
    assert definition.programme.programme.item == "任务"
    assert {b.kind for b in definition.programme.bodies} == {"office", "city_department"}


def test_validate_enrol_status_log_and_a_refusal_say_tasks(
    folder: Path, env: dict[str, str]
) -> None:
    checked = run_cli(["validate", str(folder)], env)
    assert checked.exit_code == 0, checked.stderr
    enrolled = run_cli(
        ["enrol", str(folder), "--unit", "city-a", "--title", "老旧小区改造", "--at", "2011-03-10"],
        env,
    )
    assert enrolled.exit_code == 0, enrolled.stderr
    assert enrolled.stdout.strip() == "已登记 1 个任务：city-a-1"
    status = run_cli(["status", str(folder)], env)
    assert status.exit_code == 0, status.stderr
    _says_tasks(status.stdout)
    assert status.stdout.splitlines()[2].split()[3] == "任务"  # the table's heading
    log = run_cli(["log", str(folder)], env)
    _says_tasks(log.stdout)
    assert "登记任务" in log.stdout
    refused = run_cli(["status", str(folder), "--point", "city-a-9"], env)
    assert refused.exit_code == 1
    assert refused.stderr.startswith("未登记的任务 city-a-9")
    _says_tasks(refused.stderr)
    # A points file's problems, reported before any store is touched, use the word too.
    bad = folder / "points.yaml"
    bad.write_text("points:\n  - {unit: city-a}\n", encoding="utf-8")
    from_file = run_cli(["enrol", str(folder), "--from", str(bad)], env)
    assert from_file.exit_code == 1
    assert "每个任务须有 unit" in from_file.stderr
    _says_tasks(from_file.stderr)


def test_a_refusal_is_worded_at_the_edge_and_reads_the_default_until_then() -> None:
    refusal = UnknownPoint("x-1")
    assert ITEM in refusal._message  # built deep, where no definition is at hand
    assert refusal.message == "未登记的突破点 x-1"
    assert str(refusal.worded("项目")) == "未登记的项目 x-1"
    assert isinstance(refusal, DocflowError)


def test_reminder_report_summary_and_calendar_say_tasks(folder: Path, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    clock = engine.FixedClock(datetime(2011, 5, 6, 9, 0))
    mail = engine.MailSettings(str(outbox))
    db = str(tmp_path / "docflow.db")
    with engine.Programme.open(folder, db=db, clock=clock, mail=mail, create=True) as tasks:
        tasks.enrol(
            [engine.NewPoint("city-a", "老旧小区改造"), engine.NewPoint("city-b", "公交线网优化")],
            at=datetime(2011, 3, 10, 10, 0),
        )
        tasks.decide("review", ["city-a-1", "city-b-1"], "accept", "同意", at=clock.now())
        result = tasks.remind()
        page = tasks.render(tmp_path / "report").read_text(encoding="utf-8")
        csv = tasks.export_summary("csv")
        xlsx = tmp_path / "汇总表.xlsx"
        tasks.export_summary("xlsx", xlsx)
        ical = tasks.export_ical().replace("\r\n ", "")
    assert sorted(o.recipient for o in result.sent) == ["city-a", "city-b"]
    for file in sorted(outbox.glob("*.eml")):
        message = email.message_from_bytes(file.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        for part in ("plain", "html"):
            body = message.get_body((part,))
            assert body is not None
            text = body.get_content()
            assert "你单位以下任务尚未报送" in text
            _says_tasks(text)
    _says_tasks(page)
    assert "<h2>任务的办理流程（状态图）</h2>" in page
    assert "市直部门" in page
    assert "省直部门" not in page
    _says_tasks(csv)
    head = csv.removeprefix("\ufeff").splitlines()[0]
    assert head.split(",")[:4] == ["序号", "单位", "单位类别", "任务"]
    assert ",市直部门," in csv
    from openpyxl import load_workbook

    book = load_workbook(xlsx)
    cells = [str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value]
    assert "任务" in cells
    assert "市直部门" in cells
    assert "试点任务汇总表（2011年）" in cells
    assert not [c for c in cells if HARD_WIRED in c]
    assert HARD_WIRED not in ical


def test_the_rehearsal_says_tasks(folder: Path, tmp_path: Path) -> None:
    points = folder / "points.yaml"
    points.write_text(
        "points:\n  - {unit: city-a, title: 老旧小区改造}\n  - {unit: city-b, title: 公交线网优化}\n",
        encoding="utf-8",
    )
    env = {"DOCFLOW_OPERATOR": "测试"}
    run = run_cli(
        ["simulate", str(folder), "--points", str(points), "--outbox", str(tmp_path / "out")], env
    )
    assert run.exit_code in (0, 8), run.stderr
    _says_tasks(run.stdout)
    assert "登记任务 2 个" in run.stdout
    for file in sorted((tmp_path / "out").glob("*.eml")):
        assert HARD_WIRED not in file.read_bytes().decode("utf-8", "replace")


def test_a_bad_item_noun_is_refused_at_its_line(tmp_path: Path) -> None:
    for n, noun in enumerate(("任 务", "任务。", "一个非常非常长的名词")):
        target = tmp_path / f"bad-{n}"
        target.mkdir()
        text = _programme_text().replace("  item: 任务\n", f"  item: {noun}\n")
        (target / "programme.yaml").write_text(text, encoding="utf-8")
        shutil.copy(VALID / "source.txt", target / "source.txt")
        checked = run_cli(["validate", str(target)], {})
        assert checked.exit_code == 3
        assert "programme.yaml:7:" in checked.stderr + checked.stdout
        assert "不超过 8 个字的名词" in checked.stderr + checked.stdout


def test_a_doc_number_in_brackets_is_refused(tmp_path: Path) -> None:
    text = (
        (VALID / "minimal.yaml")
        .read_text(encoding="utf-8")
        .replace("doc_number: 粤测〔2011〕1号", "doc_number: （原文未载发文字号）")
    )
    target = tmp_path / "bracketed"
    target.mkdir()
    (target / "programme.yaml").write_text(text, encoding="utf-8")
    shutil.copy(VALID / "source.txt", target / "source.txt")
    checked = run_cli(["validate", str(target)], {})
    assert checked.exit_code == 3
    out = checked.stderr + checked.stdout
    assert "programme.yaml:7:" in out
    assert "不要加括号" in out
    assert "删去 doc_number" in out


def test_a_scenario_s_problems_say_tasks(folder: Path, tmp_path: Path) -> None:
    points = folder / "points.yaml"
    points.write_text("points:\n  - {unit: city-a, title: 老旧小区改造}\n", encoding="utf-8")
    scenario = folder / "scenario.yaml"
    scenario.write_text("screened_out: [city-a-1, city-a-1]\n", encoding="utf-8")
    args = ["simulate", str(folder), "--points", str(points), "--scenario", str(scenario)]
    run = run_cli([*args, "--outbox", str(tmp_path / "out")], {"DOCFLOW_OPERATOR": "测试"})
    assert run.exit_code == 3
    assert "scenario.yaml:1:" in run.stderr
    assert "任务 city-a-1 重复列出" in run.stderr
    assert HARD_WIRED not in run.stderr
