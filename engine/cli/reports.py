"""Commands that write reports for auditors: render, export summary, export ical."""

from __future__ import annotations

import click

from engine.cli.common import _at_option, _db_option, _documents_option, _open, _parse_at
from engine.cliui import command, group

__all__ = ["export", "render"]

_checkpoint_key = click.option(
    "--checkpoint-key",
    "checkpoint_key",
    type=click.Path(dir_okay=False),
    help="同时附上用这个私钥签发的检查点（签署所据的留痕链头；私钥应保管在存储库之外）。",
)


@command()
@click.argument("programme", type=click.Path())
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False),
    help="报告输出目录（生成 index.html）。",
)
@click.option("--db", help="同时报告存储库中的运行情况（突破点状态、上报率、留痕及其校验结果）。")
@click.option("--now", "now", help="按这个时间判断到期情况（ISO 8601，默认为当前时间）。")
@_at_option
@_documents_option
@_checkpoint_key
def render(
    programme: str,
    out: str,
    db: str | None,
    now: str | None,
    at: str | None,
    documents: str | None,
    checkpoint_key: str | None,
) -> None:
    """把工作方案生成可离线打开的 HTML 报告（时间轴、状态图、逐条事项及出处）。"""
    if at is not None and db is None:
        raise click.UsageError("--at 报告存储库在该时刻的状态，须同时用 --db 指定存储库")
    if checkpoint_key is not None and db is None:
        raise click.UsageError("--checkpoint-key 须与 --db 一起使用：检查点签署存储库的留痕链头")
    with _open(
        programme, db, documents, now=now, with_store=db is not None, at=at, readonly=True
    ) as gd:
        index = gd.render(out, at=_parse_at(gd.definition, at, now), checkpoint_key=checkpoint_key)
    click.echo(f"已生成报告：{index}")


@group()
def export() -> None:
    """导出汇总表、日历。"""


@export.command("summary")
@click.argument("programme", type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["xlsx", "csv"]),
    default="csv",
    show_default=True,
    help="导出格式。",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    help="输出文件（xlsx 必须给出；csv 默认输出到标准输出）。",
)
@click.option("--now", "now", help="统计时间：按这个时间判断是否逾期（ISO 8601，默认为当前时间）。")
@_at_option
@_db_option
@_documents_option
@_checkpoint_key
def export_summary(
    programme: str,
    fmt: str,
    out: str | None,
    now: str | None,
    at: str | None,
    db: str,
    documents: str | None,
    checkpoint_key: str | None,
) -> None:
    """导出《全省产业转型升级突破点汇总表》（xlsx 可直接按 A4 横向打印）。"""
    if fmt == "xlsx" and not out:
        raise click.UsageError("xlsx 格式须用 --out 指定输出文件")
    with _open(programme, db, documents, now=now, at=at, readonly=True) as gd:
        text = gd.export_summary(
            fmt, out, at=_parse_at(gd.definition, at, now), checkpoint_key=checkpoint_key
        )
    if out is None and text is not None:
        click.echo(text, nl=False)
    elif out is not None:
        click.echo(f"已导出：{out}", err=True)


@export.command("ical")
@click.argument("programme", type=click.Path())
@click.option("--unit", help="只导出这个单位要办的事项。")
@click.option("--out", type=click.Path(dir_okay=False), help="输出文件（默认输出到标准输出）。")
@click.option(
    "--at",
    "at",
    help="日历的生成时刻（DTSTAMP，ISO 8601）；日历只含定义中的时限，与留痕无关。",
)
@click.option("--db", help="同时记下这个存储库的留痕链头（序号与哈希），说明日历所据的数据。")
@_documents_option
@_checkpoint_key
def export_ical(
    programme: str,
    unit: str | None,
    out: str | None,
    at: str | None,
    db: str | None,
    documents: str | None,
    checkpoint_key: str | None,
) -> None:
    """把各项时限导出为 iCalendar 日历，可在日历软件中订阅。"""
    if checkpoint_key is not None and db is None:
        raise click.UsageError("--checkpoint-key 须与 --db 一起使用：检查点签署存储库的留痕链头")
    with _open(programme, db, documents, with_store=db is not None, at=at, readonly=True) as gd:
        text = gd.export_ical(
            unit, out, at=_parse_at(gd.definition, at, None), checkpoint_key=checkpoint_key
        )
    if out is None:
        click.echo(text, nl=False)
    else:
        click.echo(f"已导出：{out}", err=True)
