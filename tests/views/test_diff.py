"""``docflow diff``: what changed between two programme definitions, in words."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from engine.views.diff import diff_programmes, render_diff_html, render_diff_text
from engine.views.roll import roll_programme
from tests.runtime.gd2011 import PROGRAMME_DIR, run_cli


@pytest.fixture(scope="module")
def rolled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("diff") / "gd-2012"
    roll_programme(PROGRAMME_DIR, 2012, out)
    return out


def _texts(result: dict[str, Any], key: str | None = None) -> list[str]:
    return [
        c["text"]
        for s in result["sections"]
        if key is None or s["key"] == key
        for c in s["changes"]
    ]


def _copy(tmp_path: Path, replace: dict[str, str]) -> Path:
    folder = tmp_path / "changed"
    shutil.copytree(PROGRAMME_DIR, folder)
    file = folder / "programme.yaml"
    text = file.read_text(encoding="utf-8")
    for old, new in replace.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    file.write_text(text, encoding="utf-8")
    return folder


def test_a_file_against_itself_has_no_change() -> None:
    result = diff_programmes(PROGRAMME_DIR, PROGRAMME_DIR)
    assert result["changed"] is False
    assert result["count"] == 0
    assert result["sections"] == []
    assert "没有变化" in render_diff_text(result)
    assert "没有变化" in render_diff_html(result)


def test_comments_only_is_no_change(tmp_path: Path) -> None:
    changed = _copy(tmp_path, {"# 「月初」为 1-5 日": "# 「月初」指 1-5 日"})
    result = diff_programmes(PROGRAMME_DIR, changed)
    assert result["changed"] is False
    assert result["identical_files"] is False
    assert "注释或排版" in render_diff_text(result)


def test_rolled_year_shows_year_doc_number_and_moved_dates(rolled: Path) -> None:
    result = diff_programmes(PROGRAMME_DIR, rolled)
    assert result["changed"] is True
    header = " ".join(_texts(result, "header"))
    assert "年度 2011 → 2012" in header
    assert "发文字号 粤经信技改〔2011〕333号 → 粤经信技改〔2012〕333号" in header
    assert "成文日期 2011-04-26 → 2012-04-26" in header
    assert "待确认项：增加 programme.doc_number" in header
    steps = _texts(result, "steps")
    assert (
        "事项 submit-plan（报送突破点工作方案）：时限表述未变（5月10日前），"
        "日期 2011-05-10 → 2012-05-10"
    ) in steps
    measures = next(t for t in steps if t.startswith("事项 report-measures"))
    assert "2012-06-30 为星期六，非工作日" in measures
    assert any("日期 2011-12-31 → 2012-12-31" in t for t in steps)
    # Nothing else moved: no bodies, states or policies changed.
    assert {s["key"] for s in result["sections"]} == {"header", "phases", "steps"}
    text = render_diff_text(result)
    assert "一、方案信息" in text
    json.dumps(result)


def test_changes_in_every_part_are_described(tmp_path: Path) -> None:
    changed = _copy(
        tmp_path,
        {
            "short: 省旅游局,": "short: 省旅游局<b>,",
            "email: szf@gd2011.example}": "email: szf-new@gd2011.example}",
            "  - {id: shunde,": (
                "  - {id: test-office, short: 测试办, name: 测试办公室, kind: office}\n"
                "  - {id: shunde,"
            ),
            "    members: [eic, dost]\n": "    members: [eic, dost, ndrc]\n",
            "{id: screened, label: 已初选}": "{id: screened, label: 已初步筛选}",
            "        phrase: 6月\n": "        phrase: 6月底前\n",
            "    hour: 9                  # 北京时间 9 时发送": "    hour: 10",
            "    window: 11月\n": "    window: 11月-12月\n",
            "    recipients: [provincial-government]\n    document: 检查工作汇总报告\n"
            "    waits_for: [inspection]\n    phase: phase-3\n    reminders: coordinator": (
                "    recipients: [provincial-government, dost]\n    document: 检查工作汇总报告\n"
                "    waits_for: [inspection]\n    phase: phase-3\n    reminders: standard"
            ),
        },
    )
    result = diff_programmes(PROGRAMME_DIR, changed)
    texts = _texts(result)
    assert (
        "单位 tourism（省旅游局<b>）更名：省旅游局（广东省旅游局）→ 省旅游局<b>（广东省旅游局）"
        in texts
    )
    assert any("电子邮箱 szf@gd2011.example → szf-new@gd2011.example" in t for t in texts)
    assert "新增单位 test-office（测试办公室，办事机构）" in texts
    assert any(
        t.startswith("单位组 coordinators") and "增加 省发展改革委（ndrc）" in t for t in texts
    )
    assert "状态 screened（已初步筛选）：名称 已初选 → 已初步筛选" in texts
    measures = next(t for t in texts if t.startswith("事项 report-measures"))
    assert "时限表述 6月 → 6月底前，日期未变（2011-06-30）" in measures
    assert any("发送时刻（时） 9 → 10" in t for t in texts)
    phase = next(t for t in texts if t.startswith("阶段 phase-4"))
    assert "时段表述 11月 → 11月-12月" in phase
    assert "日期 2011-11-01～2011-11-30 → 2011-11-01～2011-12-31" in phase
    task = next(t for t in texts if t.startswith("事项 aggregate-inspection"))
    assert "报送对象增加 省科技厅（dost）" in task
    assert "提醒规则 coordinator → standard" in task
    page = render_diff_html(result)
    assert "省旅游局&lt;b&gt;" in page
    assert "<b>" not in page


def test_removed_and_added_steps(tmp_path: Path) -> None:
    changed = _copy(tmp_path, {"  - id: province-report\n": "  - id: province-summary\n"})
    # the meeting waits for the old id: keep the definition valid
    file = changed / "programme.yaml"
    text = file.read_text(encoding="utf-8")
    file.write_text(
        text.replace("waits_for: [province-report]", "waits_for: [province-summary]"),
        encoding="utf-8",
    )
    texts = _texts(diff_programmes(PROGRAMME_DIR, changed), "steps")
    assert "删除事项 province-report（撰写全省转型升级突破点情况报告）" in texts
    assert (
        "新增事项 province-summary（撰写全省转型升级突破点情况报告，时限 11月（2011-11-30））"
        in texts
    )
    assert any("须等待 province-report → province-summary" in t for t in texts)


def test_cli_diff_writes_html(rolled: Path, tmp_path: Path) -> None:
    page = tmp_path / "diff.html"
    result = run_cli(["diff", str(PROGRAMME_DIR), str(rolled), "--html", str(page)], {})
    assert result.exit_code == 0, result.stderr
    assert "年度 2011 → 2012" in result.stdout
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "日期 2011-05-10 → 2012-05-10" in html
    as_json = run_cli(["diff", str(PROGRAMME_DIR), str(PROGRAMME_DIR), "--json"], {})
    assert json.loads(as_json.stdout)["changed"] is False


def test_a_unit_moved_to_another_vice_mayor_is_one_sentence(tmp_path: Path) -> None:
    city = Path(__file__).parents[1] / "runtime" / "roles_city"
    folder = tmp_path / "city"
    shutil.copytree(city, folder)
    file = folder / "programme.yaml"
    text = file.read_text(encoding="utf-8")
    file.write_text(text.replace("education: vm-li,", "education: vm-wang,", 1), "utf-8")
    assert _texts(diff_programmes(city, folder), "groups") == [
        "关系 leader（分管市领导）：市教育局 李副市长 → 王副市长"
    ]
