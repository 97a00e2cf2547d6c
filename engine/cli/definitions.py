"""Commands on programme definitions: validate, schema, calendar, roll, diff."""

from __future__ import annotations

import click

from engine.cli.common import (
    _checked_text,
    _emit_json,
    _json_option,
    _load,
    _show,
    _show_warnings,
    _today,
)
from engine.cliui import command

__all__ = ["calendar", "diff", "roll", "schema", "validate"]


@command()
@click.argument("path", type=click.Path())
@click.option("--quiet", "-q", is_flag=True, help="不显示警告，只报告错误。")
def validate(path: str, quiet: bool) -> None:
    """校验工作方案（目录或 YAML 文件），一次列出所有问题（含通知模板）。"""
    from engine.delivery.templatecheck import check_programme_templates

    definition = _load(path, extra_checks=[check_programme_templates])
    if not quiet:
        _show_warnings(definition.warnings)
    p = definition.programme
    click.echo(
        f"{definition.file}：校验通过（{p.programme.title}，{p.programme.year} 年，"
        f"{len(p.points.states)} 个状态、{len(p.points.transitions)} 个事项、"
        f"{len(p.tasks)} 项其他任务，警告 {len(definition.warnings)} 条）"
    )


@command()
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


@command()
@click.argument("path", type=click.Path(), required=False)
@click.option("--year", type=click.IntRange(2000, 2100), help="按另一年度的日历解析同一方案。")
@click.option(
    "--phrase",
    metavar="表述",
    help="只看一条时间表述的含义（起止、到期日和时刻、周期性时限的每一期），不必给出方案。",
)
@click.option(
    "--from",
    "anchor",
    metavar="YYYY-MM-DD",
    help="相对时限（如「收到通知后5个工作日内」）的起算日：事件发生的日期。",
)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（日期为 YYYY-MM-DD）。")
def calendar(
    path: str | None, year: int | None, phrase: str | None, anchor: str | None, as_json: bool
) -> None:
    """列出方案的每个时限：表述、起止日期、星期、是否工作日、出处。

    用 --phrase 试写一条时间表述，不必给出方案；年度依次取 --year、方案年度、表述中写明的年份、当前年度。
    """
    if phrase is not None:
        _calendar_phrase(path, year, phrase, anchor, as_json)
        return
    if path is None:
        raise click.UsageError("请给出工作方案目录或 YAML 文件，或用 --phrase 给出一条时间表述")
    if anchor is not None:
        raise click.BadParameter("--from 只与 --phrase 一起使用", param_hint="--from")
    from engine.views.calendar import calendar_rows, render_calendar_table, report_rows

    definition = _load(path)
    rows, notes = calendar_rows(definition, year)
    rows = sorted([*rows, *report_rows(definition, year)], key=lambda r: (r["due"], r["first"]))
    _show_warnings(notes)
    if as_json:
        _emit_json(rows)
    else:
        click.echo(render_calendar_table(definition, rows, year))


def _calendar_phrase(
    path: str | None, year: int | None, text: str, anchor: str | None, as_json: bool
) -> None:
    """``docflow calendar --phrase``: one phrase, on a programme's calendar or the default."""
    from datetime import date

    from engine.definition.deadlines import calendar_for, conventions_for
    from engine.definition.periodic import Relative, parse_any
    from engine.definition.phrases import Conventions, Phrase
    from engine.definition.workcal import WorkCalendar
    from engine.views.calendar import phrase_report, render_phrase_report

    text = _checked_text(text, "--phrase") or ""
    start = None
    if anchor is not None:
        try:
            start = date.fromisoformat(anchor.strip())
        except ValueError:
            raise click.BadParameter(
                f"{anchor!r} 不是日期（应写成 YYYY-MM-DD，如 2024-09-27）", param_hint="--from"
            ) from None
    found = parse_any(text)
    if start is not None and not isinstance(found, Relative):
        raise click.BadParameter(
            "--from 只用于相对时限（如「收到通知后5个工作日内」）", param_hint="--from"
        )
    if path is not None:
        from engine.definition.loader import load_definition

        header = load_definition(path).programme.programme
        calendar = calendar_for(header.calendar)
        conventions = conventions_for(header.calendar)
        year = year or header.year
    else:
        calendar, conventions = WorkCalendar(), Conventions()
        if year is None and isinstance(found, Phrase) and found.year is not None:
            year = found.year
        if year is None:
            year = (start or _today()).year
    report = phrase_report(text, year, calendar, conventions, start)
    _show_warnings(report["notes"])
    if as_json:
        _emit_json(report)
        return
    click.echo(render_phrase_report(report))
    if isinstance(found, Relative) and start is None:
        click.echo("用 --from YYYY-MM-DD 给出事件发生的日期，即可算出到期日。")


@command()
@click.argument("programme", type=click.Path())
@click.option("--year", required=True, type=click.IntRange(2000, 2100), help="新方案的年度。")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="新方案目录。")
@_json_option
def roll(programme: str, year: int, out: str, as_json: bool) -> None:
    """以本年度方案为底稿生成下一年度方案，并报告各时限按新年度日历如何变化。"""
    from engine.views.roll import render_roll_report, roll_programme

    report = roll_programme(programme, year, out)
    _show(report, as_json, render_roll_report)


@command()
@click.argument("old", type=click.Path())
@click.argument("new", type=click.Path())
@click.option("--html", "html_out", type=click.Path(dir_okay=False), help="另存为 HTML 文件。")
@_json_option
def diff(old: str, new: str, html_out: str | None, as_json: bool) -> None:
    """比较两个工作方案定义：单位、状态、事项、时限（表述和日期）、提醒规则。"""
    from engine.views.diff import diff_programmes, render_diff_html, render_diff_text

    result = diff_programmes(old, new)
    if html_out:
        from pathlib import Path

        Path(html_out).write_text(render_diff_html(result), encoding="utf-8")
    _show(result, as_json, render_diff_text)
