"""The ``docflow`` command: parse, call, print, map errors to exit codes.

This module stays thin and cheap to import: each command imports what it needs when it
runs, so ``docflow submit`` does not pay for Jinja2 or APScheduler. Every error a user can
cause is a ``DocflowError``; it is printed (in Chinese) without a traceback and becomes exit
status 1. Usage errors are click's, exit status 2.
"""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import click

from engine.errors import DocflowError

__all__ = ["main"]


class _Group(click.Group):
    """Turns every ``DocflowError`` into its message and exit status, once, at the edge."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DocflowError as exc:
            click.echo(exc.message, err=True)
            ctx.exit(exc.exit_code)


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _show_warnings(warnings: Any) -> None:
    for warning in warnings:
        click.echo(str(warning), err=True)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="docflow", prog_name="docflow")
def cli() -> None:
    """docflow：按工作方案的文件运行政府工作计划。"""


@cli.command()
@click.argument("path", type=click.Path())
@click.option("--quiet", "-q", is_flag=True, help="不显示警告，只报告错误。")
def validate(path: str, quiet: bool) -> None:
    """校验工作方案（目录或 YAML 文件），一次列出所有问题。"""
    from engine.definition.loader import load_definition

    definition = load_definition(path)
    if not quiet:
        _show_warnings(definition.warnings)
    p = definition.programme
    click.echo(
        f"{definition.file}：校验通过（{p.programme.title}，{p.programme.year} 年，"
        f"{len(p.points.states)} 个状态、{len(p.points.transitions)} 个事项、"
        f"{len(p.tasks)} 项其他任务，警告 {len(definition.warnings)} 条）"
    )


@cli.command()
@click.option("--out", type=click.Path(dir_okay=False), help="写入文件，而不是标准输出。")
def schema(out: str | None) -> None:
    """输出工作方案的 JSON Schema，供编辑器自动补全和即时校验。"""
    from engine.definition.jsonschema import programme_json_schema

    text = programme_json_schema()
    if out is None:
        click.echo(text, nl=False)
    else:
        from pathlib import Path

        Path(out).write_text(text, encoding="utf-8")
        click.echo(f"已写入 {out}", err=True)


@cli.command()
@click.argument("path", type=click.Path())
@click.option("--year", type=click.IntRange(2000, 2100), help="按另一年度的日历解析同一方案。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（日期为 YYYY-MM-DD）。")
def calendar(path: str, year: int | None, as_json: bool) -> None:
    """列出方案的每个时限：表述、起止日期、星期、是否工作日、出处。"""
    from engine.definition.loader import load_definition
    from engine.views.calendar import calendar_rows, render_calendar_table

    definition = load_definition(path)
    rows, notes = calendar_rows(definition, year)
    _show_warnings(notes)
    if as_json:
        _emit_json(rows)
    else:
        click.echo(render_calendar_table(definition, rows, year))


def main(argv: list[str] | None = None) -> NoReturn:
    """Entry point of the ``docflow`` console script."""
    try:
        cli.main(args=argv, prog_name="docflow", standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("已中断。", err=True)
        sys.exit(130)
    sys.exit(0)
