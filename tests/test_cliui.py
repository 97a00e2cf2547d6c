"""The command line in Chinese: usage errors, help pages, failed file operations."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import cli

PROGRAMME = str(Path(__file__).resolve().parents[1] / "workflows" / "gd-2011")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), prog_name="docflow")
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["submit", PROGRAMME, "--task", "work-plan"], "错误：缺少选项 '--unit'"),
        (["submit"], "错误：缺少参数 '工作方案'"),
        (["nosuch"], "错误：没有命令 nosuch"),
        (["status", PROGRAMME, "--bogus"], "错误：没有选项 --bogus"),
        (["status", PROGRAMME, "--unitt", "x"], "（是否要用 --unit？）"),
        (["status", PROGRAMME, "--unit"], "错误：选项 --unit 后面须给出值"),
        (["validate", PROGRAMME, "extra"], "错误：多余的参数：extra"),
        (["export", "summary", PROGRAMME, "--format", "pdf"], "可选值为：xlsx、csv"),
        (["calendar", PROGRAMME, "--year", "1999"], "'--year' 的值无效：须在 2000 至 2100 之间"),
        (["calendar", PROGRAMME, "--year", "x"], "'--year' 的值无效：须为整数"),
        (["serve", PROGRAMME, "--speed", "0", "--virtual-start", "2011-05-01"], "须大于 0"),
        (["status", PROGRAMME, "--now", "5月9日"], "'5月9日' 不是 ISO 8601 时间"),
    ],
)
def test_a_usage_error_is_one_chinese_line_with_the_usage_and_exit_2(
    args: list[str], message: str
) -> None:
    code, stdout, stderr = run(*args)
    assert code == 2
    assert stdout == ""
    assert message in stderr
    first, *usage = stderr.splitlines()
    assert first.startswith("错误：")
    if usage:  # click knows the command only once the command line has been parsed that far
        assert usage[0].startswith("用法：docflow")
        assert usage[1].endswith("-h 查看帮助。")
    assert "Error" not in stderr
    assert "Usage" not in stderr


def test_help_pages_have_chinese_headings() -> None:
    code, stdout, _ = run("--help")
    assert code == 0
    assert stdout.startswith("用法：docflow [选项] 命令 [参数]...")
    assert "\n选项：\n" in stdout
    assert "\n命令：\n" in stdout
    assert "显示本帮助并退出。" in stdout
    code, stdout, _ = run("export", "summary", "-h")
    assert code == 0
    assert stdout.startswith("用法：docflow export summary [选项] 工作方案")
    assert "显示本帮助并退出。" in stdout


def every_command() -> list[list[str]]:
    from engine.cli import cli

    found = []
    for name, command in cli.commands.items():
        sub = getattr(command, "commands", None)
        if sub:
            found += [[name, s] for s in sub]
        else:
            found.append([name])
    return found


@pytest.mark.parametrize("command", every_command(), ids=" ".join)
def test_every_help_page_is_in_chinese(command: list[str]) -> None:
    """No click English left: metavars, [required], [default: ...], usage pieces."""
    code, stdout, _ = run(*command, "-h")
    assert code == 0
    for english in ("[required]", "default:", "[OPTIONS]", "COMMAND", "TEXT", "PATH", "INTEGER",
                    "FLOAT", "DIRECTORY", "FILE", "PROGRAMME", "range", "env var"):  # fmt: skip
        assert english not in stdout, english


def test_a_file_that_cannot_be_written_is_named_without_a_traceback(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "schema.json"
    code, _, stderr = run("schema", "--out", str(target))
    assert code == 1
    assert stderr == f"错误：无法读写 {target}：文件或目录不存在\n"
