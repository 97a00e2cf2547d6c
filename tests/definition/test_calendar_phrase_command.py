"""``docflow calendar --phrase``: an administrator tries a phrase before writing it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from engine.cli import cli

REPO = Path(__file__).resolve().parents[2]
GD2011 = REPO / "workflows" / "gd-2011"
VALID = Path(__file__).parent / "valid"


def run(*args: str, now: str | None = "2024-06-01T10:00") -> Result:
    env = {"DOCFLOW_NOW": now} if now else {"DOCFLOW_NOW": ""}
    return CliRunner().invoke(cli, ["calendar", *args], env=env)


def report(*args: str, now: str | None = "2024-06-01T10:00") -> dict[str, Any]:
    result = run(*args, "--json", now=now)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_a_one_off_phrase_resolves_in_the_clocks_year() -> None:
    data = report("--phrase", "5月1日前，遇节假日顺延")
    assert data["kind"] == "one-off"
    assert data["year"] == 2024
    window = data["window"]
    # 2024 劳动节 05-01..05-05: shifted to Monday 05-06.
    assert (window["due"], window["shifted_from"]) == ("2024-05-06", "2024-05-01")
    assert window["weekday"] == "星期一"
    assert window["is_working_day"] is True
    assert data["shift"] == "遇节假日顺延至下一个工作日"


def test_the_text_names_the_window_due_day_weekday_and_time() -> None:
    result = run("--phrase", "2月4日17时前", "--year", "2024")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "时间表述：2月4日17时前"
    assert "类型：一次性时限（2024 年）" in lines
    assert "起止：2024-02-04 至 2024-02-04" in lines
    # 2024-02-04 was a Sunday worked for 春节.
    assert "到期：2024-02-04（星期日，工作日），17:00 前" in lines


def test_a_written_year_is_the_year_without_year_option() -> None:
    data = report("--phrase", "2021年2月7日前")
    assert data["year"] == 2021
    assert data["window"]["due"] == "2021-02-07"
    assert data["window"]["is_working_day"] is True  # a 调休 Sunday


def test_a_written_year_that_is_not_the_years_is_refused() -> None:
    result = run("--phrase", "2021年2月7日前", "--year", "2024")
    assert result.exit_code == 1
    assert "写明的年份 2021 年与方案年度 2024 年不符" in result.stderr
    assert "Traceback" not in result.output


def test_every_occurrence_of_a_monthly_report_across_the_year_end() -> None:
    data = report("--phrase", "次月10日前", "--year", "2021")
    assert data["kind"] == "recurring"
    assert data["covers"] == "上一期"
    dues = [o["due"] for o in data["occurrences"]]
    assert dues[0] == "2021-02-10"
    assert dues[-1] == "2022-01-10"
    assert len(dues) == 12
    assert data["occurrences"][-1]["covered_first"] == "2021-12-01"


def test_the_occurrence_table_lists_each_period() -> None:
    result = run("--phrase", "每季度末", "--year", "2024")
    assert result.exit_code == 0, result.output
    assert "类型：周期性时限（每季度一次，报本期），2024 年共 4 期" in result.stdout
    assert "2024-07-01～2024-09-30" in result.stdout
    last = result.stdout.splitlines()[-1].split()
    assert last[:6] == ["4", "2024-10-01～2024-12-31", "2024-10-01", "2024-12-31", "星期二", "是"]


def test_a_relative_phrase_from_a_day() -> None:
    data = report("--phrase", "收到通知后5个工作日内", "--from", "2024-09-27")
    assert data["kind"] == "relative"
    assert data["anchor"] == "收到通知"
    assert data["window"]["due"] == "2024-10-10"
    assert data["from"] == {"date": "2024-09-27", "weekday": "星期五", "is_working_day": True}


def test_a_relative_phrase_without_a_day_says_how_to_give_it() -> None:
    result = run("--phrase", "退回后3个工作日内")
    assert result.exit_code == 0, result.output
    assert "自「退回」之日起 3 个工作日" in result.stdout
    assert "--from" in result.stdout


@pytest.mark.parametrize(
    ("args", "what"),
    [
        (("--phrase", "5月10日前", "--from", "2024-05-01"), "只用于相对时限"),
        (("--phrase", "审定后10日内", "--from", "2024-13-01"), "不是日期"),
        ((), "--phrase"),
    ],
)
def test_usage_errors(args: tuple[str, ...], what: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert what in result.output
    assert "Traceback" not in result.output


def test_an_unknown_phrase_names_the_closest_forms() -> None:
    result = run("--phrase", "周二12时前")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "最接近的写法：「每周二12时前」" in result.stderr


def test_a_programmes_own_holidays_serve_a_year_without_data(tmp_path: Path) -> None:
    text = (VALID / "minimal.yaml").read_text(encoding="utf-8")
    calendar = (
        "  calendar:\n"
        "    holidays:\n"
        "      - {key: national_day, first: 2027-10-01, last: 2027-10-07}\n"
        "    workdays: [2027-10-09]\n"
    )
    text = text.replace("  documents:\n", calendar + "  documents:\n", 1)
    (tmp_path / "programme.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "source.txt").write_bytes((VALID / "source.txt").read_bytes())
    result = run(str(tmp_path), "--phrase", "10月1日前，遇节假日顺延至节假日结束后第二个工作日",
                 "--year", "2027", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["window"]["due"] == "2027-10-09"  # the listed 调休 Saturday
    assert data["window"]["weekday"] == "星期六"
    assert "节假日数据不含 2027 年" in result.stderr
    # Without the programme, the same phrase knows no holiday: 10-01 is a Friday.
    bare = report("--phrase", "10月1日前，遇节假日顺延", "--year", "2027")
    assert bare["window"]["due"] == "2027-10-01"


def test_the_programmes_year_is_the_default_with_a_programme() -> None:
    data = report(str(GD2011), "--phrase", "国庆节后")
    assert data["year"] == 2011
    assert data["window"]["first"] == "2011-10-08"


def test_in_a_real_process() -> None:
    env = {**os.environ, "DOCFLOW_NOW": "2024-06-01T10:00"}
    done = subprocess.run(
        [sys.executable, "-m", "engine", "calendar", "--phrase", "每周五", "--year", "2021"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "2021 年共 52 期" in done.stdout
    assert "2021-12-27～2022-01-02" in done.stdout
