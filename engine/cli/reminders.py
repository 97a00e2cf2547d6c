"""Commands that send mail: remind, serve, and the simulated year."""

from __future__ import annotations

from typing import Any

import click

from engine.cli.common import (
    _db_option,
    _documents_option,
    _emit_json,
    _json_option,
    _load,
    _open,
    _parse_time,
)
from engine.cliui import command

__all__ = ["remind", "serve", "simulate"]


def _mail_options(func: Any) -> Any:
    options = [
        click.option(
            "--outbox",
            type=click.Path(file_okay=False),
            default="outbox",
            show_default=True,
            envvar="DOCFLOW_OUTBOX",
            help="发件箱目录：每封邮件存为一个 .eml 文件（未配置 SMTP 时即为投递）。",
        ),
        click.option(
            "--smtp-host", envvar="DOCFLOW_SMTP_HOST", help="SMTP 服务器（不给则只写入发件箱）。"
        ),
        click.option("--smtp-port", type=int, envvar="DOCFLOW_SMTP_PORT", help="SMTP 端口。"),
        click.option(
            "--smtp-security",
            type=click.Choice(["none", "starttls", "ssl"]),
            default="none",
            envvar="DOCFLOW_SMTP_SECURITY",
            show_default=True,
            help="SMTP 加密方式。",
        ),
        click.option(
            "--smtp-user",
            envvar="DOCFLOW_SMTP_USER",
            help="SMTP 用户名；密码只从环境变量 DOCFLOW_SMTP_PASSWORD 读取。",
        ),
        _desk_url_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _checked_desk_url(_ctx: Any, _param: Any, value: str | None) -> str | None:
    from engine.app import check_desk_url
    from engine.errors import MailError

    try:
        return check_desk_url(value)
    except MailError as exc:
        raise click.BadParameter(str(exc)) from None


_desk_url_option = click.option(
    "--desk-url",
    envvar="DOCFLOW_DESK_URL",
    callback=_checked_desk_url,
    help="工作督办平台（docflow web）的网址，如 https://dubang.example.gov.cn："
    "每封提醒和催报附上收件单位的网上报送页面。",
)


def _smtp(host: str | None, port: int | None, security: str, user: str | None) -> Any:
    return {"host": host, "port": port, "security": security, "user": user} if host else None


@command()
@click.argument("programme", type=click.Path())
@click.option("--now", "now", help="按这个时间计算应发的提醒（ISO 8601，默认为当前时间）。")
@click.option("--dry-run", is_flag=True, help="只列出将要发出的提醒，不发送、不记录。")
@_db_option
@_documents_option
@_mail_options
@_json_option
def remind(
    programme: str,
    now: str | None,
    dry_run: bool,
    db: str,
    documents: str | None,
    outbox: str,
    smtp_host: str | None,
    smtp_port: int | None,
    smtp_security: str,
    smtp_user: str | None,
    desk_url: str | None,
    as_json: bool,
) -> None:
    """发出到时应发的临近提醒和催报（与 serve 使用同一套逻辑）。"""
    from engine.app import MailSettings
    from engine.views.reminders import outgoing_dict, render_run

    mail = MailSettings(outbox, smtp_host, smtp_port, smtp_security, smtp_user, desk_url)
    with _open(programme, db, documents, now=now, mail=mail, readonly=dry_run) as gd:
        moment = gd.now()
        result = gd.remind(moment, dry_run=dry_run)
    smtp = smtp_host is not None
    if as_json:
        _emit_json(
            {
                "now": moment.isoformat(),
                "dry_run": dry_run,
                "messages": [outgoing_dict(o) for o in result.sent],
                "skipped": [{"rule": r, "occurrence": o, "why": w} for r, o, w in result.skipped],
                "problems": result.problems,
                "outbox": outbox,
                "smtp_delivered": result.delivered if smtp else None,
                "smtp_pending": result.pending if smtp else None,
            }
        )
    else:
        click.echo(render_run(gd.definition, result, moment, dry_run, outbox=outbox, smtp=smtp))
    for problem in result.problems:
        click.echo(problem, err=True)


@command()
@click.argument("programme", type=click.Path())
@_db_option
@_documents_option
@_mail_options
@click.option(
    "--sweep-seconds",
    type=click.FloatRange(min=0, min_open=True),
    default=3600.0,
    show_default=True,
    help="每隔多少秒巡检一次（补发延期后的提醒、重试未发出的邮件）；0.2 至 86400。",
)
@click.option(
    "--speed",
    type=click.FloatRange(min=0, min_open=True),
    help="演练用：时钟加速倍数（如 86400 即一秒一天）；0.001 至 1000000。",
)
@click.option("--virtual-start", help="演练用：加速时钟的起点（ISO 8601，方案年度内的时间）。")
@click.option(
    "--real-start",
    help="演练用：加速时钟对应的真实起点（默认为现在；重启时须沿用；须在 400 天之内）。",
)
@click.option(
    "--checkpoint-key",
    "checkpoint_key",
    type=click.Path(dir_okay=False),
    help="签发检查点用的私钥文件（与 --checkpoints 同时给出）：启动时和每天 23:30 签发一次。",
)
@click.option(
    "--checkpoints",
    type=click.Path(dir_okay=False),
    help="检查点追加到这个文件（与 --checkpoint-key 同时给出）；应放在存储库之外。",
)
def serve(
    programme: str,
    db: str,
    documents: str | None,
    outbox: str,
    smtp_host: str | None,
    smtp_port: int | None,
    smtp_security: str,
    smtp_user: str | None,
    desk_url: str | None,
    sweep_seconds: float,
    speed: float | None,
    virtual_start: str | None,
    real_start: str | None,
    checkpoint_key: str | None = None,
    checkpoints: str | None = None,
) -> None:
    """常驻运行：按时发出临近提醒和催报（APScheduler，任务存于同一数据库）。"""
    import logging
    from pathlib import Path

    from engine.serve.scheduler import ServeConfig
    from engine.serve.scheduler import serve as run_service

    if (checkpoint_key is None) != (checkpoints is None):
        raise click.UsageError("--checkpoint-key 与 --checkpoints 须同时给出（或都不给出）")
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # docflow's own log lines are in Chinese; APScheduler's routine ones ("Added job ...",
    # "Running job ...") would only drown them. Its warnings and errors still show.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    from engine.errors import BadServeSetting
    from engine.serve import bounds

    definition = _load(programme)  # a broken programme is refused before the start
    zone = definition.zone
    clock_spec = None
    try:
        bounds.check_sweep(sweep_seconds)
        if speed is not None or virtual_start is not None:
            if speed is None or virtual_start is None:
                raise click.UsageError("--speed 与 --virtual-start 须同时给出")
            from datetime import datetime

            bounds.check_speed(speed)
            virtual = bounds.check_virtual_start(
                _parse_time(virtual_start, "--virtual-start", zone),
                definition.programme.programme.year,
                zone,
            )
            now = datetime.now(zone)
            real = _parse_time(real_start, "--real-start", zone) or now
            clock_spec = bounds.check_clock(real, virtual, speed, now).spec()
    except BadServeSetting as exc:
        raise click.BadParameter(exc.detail, param_hint=exc.option) from None
    config = ServeConfig(
        programme=str(Path(programme).absolute()),
        db=db if "://" in db else str(Path(db).absolute()),
        documents=str(Path(documents).absolute()) if documents else None,
        outbox=str(Path(outbox).absolute()),
        smtp=_smtp(smtp_host, smtp_port, smtp_security, smtp_user),
        desk_url=desk_url,
        clock=clock_spec,
        sweep_seconds=sweep_seconds,
        checkpoint_key=str(Path(checkpoint_key).absolute()) if checkpoint_key else None,
        checkpoints=str(Path(checkpoints).absolute()) if checkpoints else None,
    )
    run_service(config)


@command()
@click.argument("programme", type=click.Path())
@click.option(
    "--points",
    "points_file",
    type=click.Path(dir_okay=False),
    help="要登记的突破点（默认为方案目录中的 points-example.yaml）。",
)
@click.option(
    "--scenario",
    "scenario_file",
    type=click.Path(dir_okay=False),
    help="情景文件（默认为方案目录中的 scenario-example.yaml）。",
)
@click.option(
    "--outbox",
    type=click.Path(file_okay=False),
    default="outbox",
    show_default=True,
    help="提醒和催报写入的发件箱目录。",
)
@click.option(
    "--db",
    help="保留演练存储库的 SQLite 文件路径（须尚不存在；全年演练成功后才移到该处）。"
    "默认在临时目录中新建，演练结束即删除。",
)
@click.option("--quiet", "-q", is_flag=True, help="不逐日列出时间线，只显示总结。")
@_desk_url_option
@_json_option
def simulate(
    programme: str,
    points_file: str | None,
    scenario_file: str | None,
    outbox: str,
    db: str | None,
    quiet: bool,
    desk_url: str | None,
    as_json: bool,
) -> None:
    """在虚拟时钟上演练一整年：登记、报送、各项决定、提醒和催报都按真实流程运行。

    每项决定由工作方案中该事项的 actor 作出，默认同意。

    突破点无法继续办理时，总结中列出停在哪一步、哪些单位、为什么，退出码 8。
    """
    from engine.simulation import render_report, run_simulation

    report = run_simulation(
        programme,
        points_file=points_file,
        scenario_file=scenario_file,
        outbox=outbox,
        db=db,
        echo=None if (quiet or as_json) else click.echo,
        desk_url=desk_url,
    )
    if as_json:
        _emit_json(report.as_dict())
    else:
        click.echo(render_report(report))
    if report.stalls:
        from engine.errors import YearStalled

        raise YearStalled(report.stalls)
