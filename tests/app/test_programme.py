"""The application layer: the public API, the README's Python example, one clock for all."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import engine
from tests.runtime.gd2011 import PROGRAMME_DIR, Year, run_cli

ROOT = Path(__file__).resolve().parents[2]


def readme_python_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Embedding the engine in Python", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found is not None, "the README shows no Python example"
    return found.group(1)


def test_the_public_api_lists_only_names_that_resolve() -> None:
    for name in engine.__all__:
        assert getattr(engine, name) is not None
    assert engine.Programme.__module__ == "engine.app.programme"
    with pytest.raises(AttributeError):
        _ = engine.no_such_name  # type: ignore[attr-defined]


def test_the_readme_python_example_runs_as_written(tmp_path: Path) -> None:
    code = readme_python_example()
    assert len(code.strip().splitlines()) <= 15
    (tmp_path / "workflows").symlink_to(ROOT / "workflows")
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "guangzhou-1",
        "工作方案已备案",
        "报送工作职责、时间节点、负责人和政策措施",
        "2011-06-30",
    ]


@pytest.mark.parametrize(
    "command",
    [
        ["status", str(PROGRAMME_DIR)],
        ["render", str(PROGRAMME_DIR), "--out", "{out}", "--db", "{db}"],
        ["render", str(PROGRAMME_DIR), "--out", "{out}"],
        ["export", "summary", str(PROGRAMME_DIR)],
        ["export", "ical", str(PROGRAMME_DIR)],
        ["remind", str(PROGRAMME_DIR), "--dry-run"],
        ["log", str(PROGRAMME_DIR)],
    ],
)
def test_a_bad_docflow_now_is_the_same_usage_error_in_every_command(
    command: list[str], tmp_path: Path
) -> None:
    with Year(tmp_path) as year:
        year.at("2011-03-10T09:00").enrol_example()
    args = [a.format(out=tmp_path / "out", db=year.db) for a in command]
    result = run_cli(args, {"DOCFLOW_DB": str(year.db), "DOCFLOW_NOW": "garbage"})
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("错误：DOCFLOW_NOW 的值无效：'garbage' 不是 ISO 8601 时间")
    assert not (tmp_path / "out").exists()


def test_the_clock_is_read_in_the_programmes_zone(tmp_path: Path) -> None:
    """A naive --now is the programme's local time, whatever the machine's zone."""
    with Year(tmp_path) as year:
        year.at("2011-03-10T09:00").enrol_example()
    result = run_cli(
        ["status", str(PROGRAMME_DIR), "--now", "2011-05-09T23:30", "--json"],
        {"DOCFLOW_DB": str(year.db), "TZ": "UTC"},
    )
    assert result.exit_code == 0, result.stderr
    assert '"now": "2011-05-09T23:30:00+08:00"' in result.stdout
