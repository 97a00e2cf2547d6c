"""``docflow roll``: next year's programme from this year's, with what moved."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from engine.definition.loader import load_definition
from engine.errors import DocflowError, Refused
from engine.views.roll import render_roll_report, roll_programme
from tests.runtime.gd2011 import PROGRAMME_DIR, run_cli

VALID = Path(__file__).resolve().parents[1] / "definition" / "valid"
UNCONFIRMED_2011 = {
    "programme.issued",
    "programme.doc_number",
    "programme.documents.1.issued",
    "programme.documents.1.doc_number",
}


@pytest.fixture(scope="module")
def rolled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("roll") / "gd-2012"
    return out, roll_programme(PROGRAMME_DIR, 2012, out)


def _confirm_all(folder: Path) -> None:
    """What the administrator does once every value is checked: drop the unconfirmed list."""
    file = folder / "programme.yaml"
    text = file.read_text(encoding="utf-8")
    head, _, _ = text.partition("\nunconfirmed:")
    file.write_text(head.rstrip() + "\n", encoding="utf-8")


def _unconfirmed_warnings(folder: Path) -> list[str]:
    return [w.message for w in load_definition(folder).warnings if "待确认" in w.message]


def test_new_folder_holds_the_programme_and_the_notice(rolled: tuple[Path, dict[str, Any]]) -> None:
    out, report = rolled
    assert sorted(p.name for p in out.iterdir()) == ["notice.txt", "programme.yaml"]
    assert (out / "notice.txt").read_bytes() == (PROGRAMME_DIR / "notice.txt").read_bytes()
    assert [c["file"] for c in report["copied"]] == ["notice.txt"]
    assert "points-example.yaml" in {n["file"] for n in report["not_copied"]}


def test_year_id_and_unconfirmed_values(rolled: tuple[Path, dict[str, Any]]) -> None:
    out, report = rolled
    definition = load_definition(out)
    header = definition.programme.programme
    assert (header.id, header.year) == ("gd-2012", 2012)
    assert header.issued == date(2012, 4, 26)
    assert header.doc_number == "粤经信技改〔2012〕333号"
    cover = header.documents[1]
    assert (cover.issued, cover.doc_number) == (date(2012, 4, 26), "粤经信技改〔2012〕333号")
    assert set(definition.programme.unconfirmed) == UNCONFIRMED_2011
    assert {u["path"] for u in report["unconfirmed"]} == UNCONFIRMED_2011
    assert (report["from"], report["to"]) == (
        {"id": "gd-2011", "year": 2011},
        {"id": "gd-2012", "year": 2012},
    )
    # Deadline phrases are kept as written.
    old = load_definition(PROGRAMME_DIR).programme
    assert [t.deadline for t in definition.programme.points.transitions] == [
        t.deadline for t in old.points.transitions
    ]


def test_comments_and_layout_are_kept(rolled: tuple[Path, dict[str, Any]]) -> None:
    out, _ = rolled
    old = (PROGRAMME_DIR / "programme.yaml").read_text(encoding="utf-8").splitlines()
    new = (out / "programme.yaml").read_text(encoding="utf-8").splitlines()
    comments = [line for line in old if line.lstrip().startswith("#") and "schema" not in line]
    assert comments
    for line in comments:
        assert line in new
    assert "  issued: 2012-04-26  # 待确认" in new
    assert "  doc_number: 粤经信技改〔2012〕333号  # 待确认" in new
    # Only the edited lines differ (and roll's own notes are added).
    changed = [(a, b) for a, b in zip(old[1:], new[3:], strict=False) if a != b]
    assert len(changed) == 6  # id, year, 2 x doc_number, 2 x issued


def test_validates_with_a_warning_per_unconfirmed_value_until_removed(
    rolled: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    out, report = rolled
    assert report["validation"]["ok"]
    warnings = _unconfirmed_warnings(out)
    assert len(warnings) == len(UNCONFIRMED_2011)
    for path in UNCONFIRMED_2011:
        assert any(path in w for w in warnings)
    copy = tmp_path / "confirmed"
    shutil.copytree(out, copy)
    _confirm_all(copy)
    assert _unconfirmed_warnings(copy) == []
    assert load_definition(copy).programme.unconfirmed == ()


def test_report_lists_every_deadline_old_and_new(rolled: tuple[Path, dict[str, Any]]) -> None:
    _, report = rolled
    deadlines = {d["step"]: d for d in report["deadlines"]}
    assert len(deadlines) == 12
    plan = deadlines["submit-plan"]
    assert (plan["phrase"], plan["old"]["due"], plan["new"]["due"]) == (
        "5月10日前",
        "2011-05-10",
        "2012-05-10",
    )
    assert (plan["old"]["weekday"], plan["new"]["weekday"]) == ("星期二", "星期四")
    measures = deadlines["report-measures"]
    assert (measures["old"]["due"], measures["new"]["due"]) == ("2011-06-30", "2012-06-30")
    assert measures["new"]["weekday"] == "星期六"
    assert measures["new"]["is_working_day"] is False
    assert any("2012-06-30 是星期六" in m for m in measures["moved"])
    meeting = deadlines["meeting"]
    assert (meeting["old"]["due"], meeting["new"]["due"]) == ("2011-12-31", "2012-12-31")
    text = render_roll_report(report)
    assert "2012-06-30 星期六" in text
    assert "2011-05-10 星期二" in text
    assert "待确认" in text
    json.dumps(report)


def test_refuses_a_non_empty_out_folder(tmp_path: Path) -> None:
    out = tmp_path / "busy"
    out.mkdir()
    (out / "x.txt").write_text("x", encoding="utf-8")
    with pytest.raises(Refused, match="不为空"):
        roll_programme(PROGRAMME_DIR, 2012, out)
    assert sorted(p.name for p in out.iterdir()) == ["x.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    roll_programme(PROGRAMME_DIR, 2012, empty)
    assert (empty / "programme.yaml").is_file()


def test_a_folder_that_cannot_be_written_gets_a_message_and_no_half_written_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import engine.views.roll as roll

    def full_disk(*_args: Any, **_kwargs: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(roll.shutil, "copyfile", full_disk)  # dies copying notice.txt
    out = tmp_path / "gd-2012"
    with pytest.raises(Refused, match=r"无法写入新方案目录 .*：磁盘空间不足（未写入任何文件）"):
        roll_programme(PROGRAMME_DIR, 2012, out)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()

    blocked = tmp_path / "a-file"
    blocked.write_text("x", encoding="utf-8")
    result = run_cli(
        ["roll", str(PROGRAMME_DIR), "--year", "2012", "--out", str(blocked / "x")], {}
    )
    assert result.exit_code == 1
    assert "无法创建新方案目录" in result.stderr
    assert f"{blocked} 是文件，不是目录" in result.stderr
    assert "Traceback" not in result.stderr


def test_refuses_the_same_year(tmp_path: Path) -> None:
    with pytest.raises(Refused, match="相同"):
        roll_programme(PROGRAMME_DIR, 2011, tmp_path / "same")


def test_rolling_a_rolled_programme_keeps_one_list(
    rolled: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    out, _ = rolled
    report = roll_programme(out, 2013, tmp_path / "gd-2013")
    text = (tmp_path / "gd-2013" / "programme.yaml").read_text(encoding="utf-8")
    assert text.count("unconfirmed:") == 1
    assert text.count("本文件由 docflow roll") == 1
    definition = load_definition(tmp_path / "gd-2013")
    assert definition.id == "gd-2013"
    assert set(definition.programme.unconfirmed) == UNCONFIRMED_2011
    assert report["validation"]["ok"]


def _write_minimal(folder: Path, replace: dict[str, str]) -> Path:
    folder.mkdir()
    text = (VALID / "minimal.yaml").read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    (folder / "programme.yaml").write_text(text, encoding="utf-8")
    shutil.copy(VALID / "source.txt", folder / "source.txt")
    load_definition(folder)
    return folder


def test_calendar_dates_quoted_values_and_titles_move_too(tmp_path: Path) -> None:
    source = _write_minimal(
        tmp_path / "mini",
        {
            "  doc_number: 粤测〔2011〕1号\n": '  doc_number: "粤测〔2011〕1号"\n',
            "  sender_email: test@example.invalid\n": (
                "  sender_email: test@example.invalid\n"
                "  calendar:\n"
                "    holidays:\n"
                "      - {key: national_day, first: 2011-10-01, last: 2011-10-07}\n"
                "    workdays: [2011-10-08, 2011-10-09]  # 调休\n"
            ),
            "      title: 关于开展试点工作的通知\n": "      title: 关于开展2011年试点工作的通知\n",
        },
    )
    report = roll_programme(source, 2012, tmp_path / "mini-2012")
    assert {(u["path"], u["new"]) for u in report["unconfirmed"]} == {
        ("programme.doc_number", "粤测〔2012〕1号"),
        ("programme.issued", "2012-03-01"),
        ("programme.documents.0.title", "关于开展2012年试点工作的通知"),
        ("programme.calendar.holidays.0.first", "2012-10-01"),
        ("programme.calendar.holidays.0.last", "2012-10-07"),
        ("programme.calendar.workdays.0", "2012-10-08"),
        ("programme.calendar.workdays.1", "2012-10-09"),
    }
    text = (tmp_path / "mini-2012" / "programme.yaml").read_text(encoding="utf-8")
    assert '  doc_number: "粤测〔2012〕1号"  # 待确认' in text
    assert "    workdays: [2012-10-08, 2012-10-09]  # 调休  # 待确认" in text
    assert report["to"]["id"] == "mini-2012"


def test_29_february_moves_to_28_february(tmp_path: Path) -> None:
    source = _write_minimal(
        tmp_path / "leap",
        {"  year: 2011\n": "  year: 2012\n", "  issued: 2011-03-01\n": "  issued: 2012-02-29\n"},
    )
    report = roll_programme(source, 2013, tmp_path / "leap-2013")
    (issued,) = [u for u in report["unconfirmed"] if u["path"] == "programme.issued"]
    assert issued["new"] == "2013-02-28"
    assert "2 月 29 日" in issued["note"]


def test_a_value_written_over_two_lines_is_refused(tmp_path: Path) -> None:
    source = _write_minimal(
        tmp_path / "folded",
        {"  doc_number: 粤测〔2011〕1号\n": "  doc_number: 粤测〔2011〕1号\n    补\n"},
    )
    with pytest.raises(DocflowError, match="写在一行内"):
        roll_programme(source, 2012, tmp_path / "folded-2012")
    assert not (tmp_path / "folded-2012").exists()


def test_cli_roll(tmp_path: Path) -> None:
    out = tmp_path / "gd-2012"
    result = run_cli(["roll", str(PROGRAMME_DIR), "--year", "2012", "--out", str(out)], {})
    assert result.exit_code == 0, result.stderr
    assert "2012-06-30 星期六" in result.stdout
    again = run_cli(["roll", str(PROGRAMME_DIR), "--year", "2012", "--out", str(out)], {})
    assert again.exit_code == 1
    assert "不为空" in again.stderr
    assert load_definition(out).id == "gd-2012"
    as_json = run_cli(
        ["roll", str(PROGRAMME_DIR), "--year", "2012", "--out", str(tmp_path / "j"), "--json"], {}
    )
    assert as_json.exit_code == 0, as_json.stderr
    assert json.loads(as_json.stdout)["to"] == {"id": "gd-2012", "year": 2012}
