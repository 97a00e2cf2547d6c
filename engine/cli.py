"""The ``docflow`` command: parse, call, print, map errors to exit codes.

This module stays thin and cheap to import: each command imports what it needs when it
runs, so ``docflow submit`` does not pay for Jinja2 or APScheduler. Every error a user can
cause is a ``DocflowError``; it is printed (in Chinese) without a traceback and becomes exit
status 1. Usage errors keep click's exit status 2 and are worded in Chinese by
``engine.cliui``.
"""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import click

from engine.cliui import Group

__all__ = ["main"]


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _show(data: Any, as_json: bool, render: Any) -> None:
    """``data`` as JSON, or as ``render`` words it for people."""
    if as_json:
        _emit_json(data)
    else:
        click.echo(render(data))


def _show_warnings(warnings: Any) -> None:
    for warning in warnings:
        click.echo(str(warning), err=True)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    package_name="docflow",
    prog_name="docflow",
    message="%(prog)s %(version)s",
    help="显示版本并退出。",
)
def cli() -> None:
    """docflow：按工作方案的文件运行政府工作计划。"""


@cli.command()
@click.argument("path", type=click.Path())
@click.option("--quiet", "-q", is_flag=True, help="不显示警告，只报告错误。")
def validate(path: str, quiet: bool) -> None:
    """校验工作方案（目录或 YAML 文件），一次列出所有问题（含通知模板）。"""
    from engine.definition.loader import load_definition
    from engine.delivery.templatecheck import check_programme_templates

    definition = load_definition(path, extra_checks=[check_programme_templates])
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


# --- commands that use the store ---------------------------------------------------------

_db_option = click.option(
    "--db",
    envvar="DOCFLOW_DB",
    default="docflow.db",
    show_default=True,
    help="存储库：SQLite 文件路径或数据库 URL（也可用环境变量 DOCFLOW_DB）。",
)
_documents_option = click.option(
    "--documents",
    type=click.Path(file_okay=False),
    envvar="DOCFLOW_DOCUMENTS",
    help="报送文件的存放目录（默认为存储库旁的 documents/）。",
)
_json_option = click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")


def _parse_time(value: str | None, option: str) -> Any:
    """An ISO 8601 time from the command line; naive times are Beijing time."""
    if value is None:
        return None
    from datetime import datetime

    from engine.clock import aware

    try:
        return aware(datetime.fromisoformat(value))
    except ValueError:
        raise click.BadParameter(
            f"{value!r} 不是 ISO 8601 时间（如 2011-05-09 或 2011-05-09T16:30）", param_hint=option
        ) from None


def _clock() -> Any:
    """The real clock, or a fixed one from DOCFLOW_NOW (rehearsals and tests)."""
    import os

    from engine.clock import FixedClock, SystemClock

    fixed = os.environ.get("DOCFLOW_NOW")
    if fixed:
        return FixedClock(_parse_time(fixed, "DOCFLOW_NOW"))
    return SystemClock()


class _Session:
    """A loaded programme, its store and the clock, for one command."""

    def __init__(
        self, programme: str, db: str, documents: str | None, *, create: bool = True
    ) -> None:
        from engine.definition.loader import load_definition
        from engine.runtime.service import Runtime
        from engine.runtime.store import open_store

        self.definition = load_definition(programme)
        self.store = open_store(db, documents, create=create)
        self.runtime = Runtime(self.definition, self.store, _clock())
        if not create:
            self.runtime.require_registered()

    def __enter__(self) -> _Session:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.store.close()


def _report_events(events: Any, as_json: bool, verb: str) -> None:
    if as_json:
        _emit_json([_event_dict(e) for e in events])
        return
    for e in events:
        target = f"突破点 {e.point_id}" if e.point_id else f"单位 {e.unit_id or e.actor}"
        move = (
            f"{e.source_state} → {e.dest_state}" if e.source_state != e.dest_state else "状态不变"
        )
        click.echo(f"#{e.seq} {verb} {e.trigger}：{target}，{move}")


def _event_dict(e: Any) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "programme": e.programme_id,
        "point": e.point_id,
        "unit": e.unit_id,
        "trigger": e.trigger,
        "from": e.source_state,
        "to": e.dest_state,
        "actor": e.actor,
        "document_sha256": e.document_sha256,
        "decision": e.decision,
        "reason": e.reason,
        "data": e.extras,
        "recorded_at": e.recorded_at,
        "effective_at": e.effective_at,
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    }


@cli.command()
@click.argument("programme", type=click.Path())
@click.option("--unit", help="提出突破点的单位（bodies 中的 id）。")
@click.option("--title", help="突破点名称。")
@click.option("--id", "point_id", help="突破点编号（默认：单位 id-序号）。")
@click.option("--file", "file", type=click.Path(), help="推荐材料。")
@click.option("--from", "from_file", type=click.Path(), help="批量登记：YAML 或 CSV 文件。")
@click.option("--at", "at", help="材料实际收到的时间（ISO 8601）。")
@_db_option
@_documents_option
@_json_option
def enrol(
    programme: str,
    unit: str | None,
    title: str | None,
    point_id: str | None,
    file: str | None,
    from_file: str | None,
    at: str | None,
    db: str,
    documents: str | None,
    as_json: bool,
) -> None:
    """登记突破点（单个，或用 --from 批量登记）。"""
    from pathlib import Path

    from engine.runtime.service import NewPoint

    if from_file and (unit or title or point_id or file):
        raise click.UsageError("--from 不能与 --unit、--title、--id、--file 同时使用")
    if from_file:
        from engine.runtime.pointsfile import read_points_file

        points = read_points_file(Path(from_file))
    elif unit and title:
        points = [NewPoint(unit, title, Path(file) if file else None, point_id)]
    else:
        raise click.UsageError("请给出 --unit 和 --title，或用 --from 指定批量登记文件")
    with _Session(programme, db, documents) as session:
        rows = session.runtime.enrol(points, _parse_time(at, "--at"))
    if as_json:
        _emit_json(
            [
                {"id": r.point_id, "unit": r.unit_id, "title": r.title, "state": r.state}
                for r in rows
            ]
        )
    else:
        click.echo(
            f"已登记 {len(rows)} 个突破点："
            + "、".join(r.point_id for r in rows[:10])
            + ("……" if len(rows) > 10 else "")
        )


@cli.command()
@click.argument("programme", type=click.Path())
@click.option("--unit", required=True, help="报送单位（bodies 中的 id）。")
@click.option("--task", required=True, help="事项（如 work-plan、progress）。")
@click.option("--file", "file", required=True, type=click.Path(), help="报送的文件。")
@click.option("--point", "points", multiple=True, help="只就这些突破点报送（可重复）。")
@click.option("--at", "at", help="文件实际收到的时间（ISO 8601）。")
@_db_option
@_documents_option
@_json_option
def submit(
    programme: str,
    unit: str,
    task: str,
    file: str,
    points: tuple[str, ...],
    at: str | None,
    db: str,
    documents: str | None,
    as_json: bool,
) -> None:
    """登记一份报送文件；未指明突破点时，覆盖该单位所有等待此事项的突破点。"""
    from pathlib import Path

    with _Session(programme, db, documents) as session:
        events = session.runtime.submit(unit, task, Path(file), points, _parse_time(at, "--at"))
    _report_events(events, as_json, "已报送")


@cli.command()
@click.argument("programme", type=click.Path())
@click.option("--task", required=True, help="事项（如 screen、approve、work-plan）。")
@click.option("--point", "points", multiple=True, required=True, help="突破点（可重复）。")
@click.option("--accept", "outcome", flag_value="accept", help="同意。")
@click.option("--reject", "outcome", flag_value="reject", help="不同意。")
@click.option("--return", "outcome", flag_value="return", help="退回。")
@click.option("--reason", required=True, help="理由。")
@click.option("--by", "actor", help="作出决定的单位（事项可由多个单位决定时须给出）。")
@click.option("--until", help="批准延期时的新期限（YYYY-MM-DD）。")
@click.option("--at", "at", help="决定实际作出的时间（ISO 8601）。")
@_db_option
@_documents_option
@_json_option
def decide(
    programme: str,
    task: str,
    points: tuple[str, ...],
    outcome: str | None,
    reason: str,
    actor: str | None,
    until: str | None,
    at: str | None,
    db: str,
    documents: str | None,
    as_json: bool,
) -> None:
    """记录一项决定：同意、不同意或退回。"""
    if outcome is None:
        raise click.UsageError("请给出 --accept、--reject 或 --return 之一")
    until_date = _parse_time(until, "--until").date() if until else None
    with _Session(programme, db, documents) as session:
        events = session.runtime.decide(
            task, points, outcome, reason, actor, until_date, _parse_time(at, "--at")
        )
    _report_events(events, as_json, "已决定")


@cli.command()
@click.argument("programme", type=click.Path())
@click.option("--reason", required=True, help="迁移理由（记入留痕）。")
@click.option("--by", "actor", help="作出迁移的单位（默认为发文机关）。")
@_db_option
@_documents_option
def migrate(programme: str, reason: str, actor: str | None, db: str, documents: str | None) -> None:
    """工作方案定义改动后，让已登记的突破点改按新定义运行（记入留痕）。"""
    with _Session(programme, db, documents) as session:
        event = session.runtime.migrate(reason, actor)
    if event is None:
        click.echo("定义未改动，无需迁移。")
    else:
        click.echo(f"已迁移（留痕第 {event.seq} 条）。")


@cli.command()
@click.argument("programme", type=click.Path())
@click.option("--unit", help="只看这个单位。")
@click.option("--now", "now", help="按这个时间判断到期情况（ISO 8601，默认为当前时间）。")
@_db_option
@_documents_option
@_json_option
def status(
    programme: str, unit: str | None, now: str | None, db: str, documents: str | None, as_json: bool
) -> None:
    """每个突破点的状态、下一步、期限和红黄蓝绿灯，以及各事项的上报率。"""
    from engine.views.status import build_status, render_status

    given = _parse_time(now, "--now")  # a bad --now is a usage error, before the store opens
    with _Session(programme, db, documents, create=False) as session:
        moment = given or session.runtime.clock.now()
        report = build_status(session.runtime, moment, unit)
    _show(report, as_json, render_status)


@cli.command()
@click.argument("programme", type=click.Path())
@click.option("--point", help="只看这个突破点。")
@_db_option
@_documents_option
@_json_option
def log(programme: str, point: str | None, db: str, documents: str | None, as_json: bool) -> None:
    """按时间顺序列出留痕。"""
    from engine.definition.loader import load_definition
    from engine.runtime.store import open_store
    from engine.views.status import render_log

    definition = load_definition(programme)
    with open_store(db, documents, create=False) as store, store.transaction(readonly=True) as tx:
        if point is not None and tx.get_point(definition.id, point) is None:
            from engine.errors import Refused

            raise Refused(f"未登记的突破点 {point}")
        events = tx.events(definition.id, point)
    if as_json:
        _emit_json([_event_dict(e) for e in events])
    else:
        click.echo(render_log(definition, events))


@cli.group()
def audit() -> None:
    """审计。"""


@audit.command()
@_db_option
@_documents_option
@_json_option
def verify(db: str, documents: str | None, as_json: bool) -> None:
    """重新计算留痕链和每份存档文件的哈希，报告第一处不符。"""
    from engine.runtime.store import open_store
    from engine.runtime.trail import verify as verify_trail

    with open_store(db, documents, create=False) as store:
        report = verify_trail(store)
    if as_json:
        _emit_json(
            {
                "ok": report.ok,
                "events_checked": report.events_checked,
                "documents_checked": report.documents_checked,
                "first_failure": report.first_failure,
                "failing_seq": report.failing_seq,
                "failing_document": report.failing_document,
            }
        )
        if not report.ok:
            raise SystemExit(1)
        return
    if report.ok:
        click.echo(
            f"留痕校验通过：{report.events_checked} 条留痕、{report.documents_checked} 份文件均与哈希相符。"
        )
    report.raise_if_broken()


# --- reminders ---------------------------------------------------------------------------


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
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _smtp(host: str | None, port: int | None, security: str, user: str | None) -> Any:
    return {"host": host, "port": port, "security": security, "user": user} if host else None


@cli.command()
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
    as_json: bool,
) -> None:
    """发出到时应发的临近提醒和催报（与 serve 使用同一套逻辑）。"""
    from engine.delivery.dispatch import ReminderRunner
    from engine.views.reminders import outgoing_dict, render_run

    given = _parse_time(now, "--now")
    with _Session(programme, db, documents, create=False) as session:
        session.runtime.check_pinned()
        clock = session.runtime.clock
        moment = given or clock.now()
        from engine.delivery.jobs import make_queue

        queue = None
        if not dry_run:
            queue = make_queue(outbox, _smtp(smtp_host, smtp_port, smtp_security, smtp_user), clock)
        runner = ReminderRunner(session.definition, session.store, clock, queue)
        if not dry_run:
            runner.refuse_out_of_season(moment)
        result = runner.run(moment, dry_run=dry_run)
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
        click.echo(render_run(result, moment, dry_run, outbox=outbox, smtp=smtp))
    for problem in result.problems:
        click.echo(problem, err=True)


@cli.command()
@click.argument("programme", type=click.Path())
@_db_option
@_documents_option
@_mail_options
@click.option(
    "--sweep-seconds",
    type=click.FloatRange(min=0, min_open=True),
    default=3600.0,
    show_default=True,
    help="每隔多少秒巡检一次（补发延期后的提醒、重试未发出的邮件）。",
)
@click.option(
    "--speed",
    type=click.FloatRange(min=0, min_open=True),
    help="演练用：时钟加速倍数（如 86400 即一秒一天）。",
)
@click.option("--virtual-start", help="演练用：加速时钟的起点（ISO 8601，方案年度内的时间）。")
@click.option("--real-start", help="演练用：加速时钟对应的真实起点（默认为现在；重启时须沿用）。")
def serve(
    programme: str,
    db: str,
    documents: str | None,
    outbox: str,
    smtp_host: str | None,
    smtp_port: int | None,
    smtp_security: str,
    smtp_user: str | None,
    sweep_seconds: float,
    speed: float | None,
    virtual_start: str | None,
    real_start: str | None,
) -> None:
    """常驻运行：按时发出临近提醒和催报（APScheduler，任务存于同一数据库）。"""
    import logging
    from pathlib import Path

    from engine.delivery.scheduler import ServeConfig
    from engine.delivery.scheduler import serve as run_service

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # docflow's own log lines are in Chinese; APScheduler's routine ones ("Added job ...",
    # "Running job ...") would only drown them. Its warnings and errors still show.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    clock_spec = None
    if speed is not None or virtual_start is not None:
        if speed is None or virtual_start is None:
            raise click.UsageError("--speed 与 --virtual-start 须同时给出")
        from datetime import datetime

        from engine.clock import SHANGHAI

        real = _parse_time(real_start, "--real-start") or datetime.now(SHANGHAI)
        clock_spec = {
            "real_epoch": real.isoformat(),
            "virtual_epoch": _parse_time(virtual_start, "--virtual-start").isoformat(),
            "speed": speed,
        }
    config = ServeConfig(
        programme=str(Path(programme).absolute()),
        db=db if "://" in db else str(Path(db).absolute()),
        documents=str(Path(documents).absolute()) if documents else None,
        outbox=str(Path(outbox).absolute()),
        smtp=_smtp(smtp_host, smtp_port, smtp_security, smtp_user),
        clock=clock_spec,
        sweep_seconds=sweep_seconds,
    )
    run_service(config)


@cli.command()
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
@click.option("--db", help="演练用的存储库（默认在临时目录中新建，演练结束即删除）。")
@click.option("--quiet", "-q", is_flag=True, help="不逐日列出时间线，只显示总结。")
@_json_option
def simulate(
    programme: str,
    points_file: str | None,
    scenario_file: str | None,
    outbox: str,
    db: str | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """在虚拟时钟上演练一整年：登记、筛选、审定、报送、提醒和催报都按真实流程运行。"""
    from engine.simulation import render_report, run_simulation

    report = run_simulation(
        programme,
        points_file=points_file,
        scenario_file=scenario_file,
        outbox=outbox,
        db=db,
        echo=None if (quiet or as_json) else click.echo,
    )
    if as_json:
        _emit_json(report.as_dict())
    else:
        click.echo(render_report(report))


# --- views for auditors and next year's administrators -------------------------------------


@cli.command()
@click.argument("programme", type=click.Path())
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False),
    help="报告输出目录（生成 index.html）。",
)
@click.option("--db", help="同时报告存储库中的运行情况（突破点状态、上报率、留痕及其校验结果）。")
@click.option("--now", "now", help="按这个时间判断到期情况（ISO 8601，默认为当前时间）。")
@_documents_option
def render(
    programme: str, out: str, db: str | None, now: str | None, documents: str | None
) -> None:
    """把工作方案生成可离线打开的 HTML 报告（时间轴、状态图、逐条事项及出处）。"""
    from engine.views.report import render_report

    moment = _parse_time(now, "--now")
    index = render_report(programme, out, db=db, documents=documents, now=moment)
    click.echo(f"已生成报告：{index}")


@cli.group()
def export() -> None:
    """导出汇总表、日历。"""


@export.command("summary")
@click.argument("programme", type=click.Path())
@click.option(
    "--format", "fmt", type=click.Choice(["xlsx", "csv"]), default="csv", show_default=True
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    help="输出文件（xlsx 必须给出；csv 默认输出到标准输出）。",
)
@_db_option
@_documents_option
def export_summary(
    programme: str, fmt: str, out: str | None, db: str, documents: str | None
) -> None:
    """导出《全省产业转型升级突破点汇总表》。"""
    from engine.views.exports import export_summary as run_export

    if fmt == "xlsx" and not out:
        raise click.UsageError("xlsx 格式须用 --out 指定输出文件")
    text = run_export(programme, fmt, out, db=db, documents=documents)
    if out is None and text is not None:
        click.echo(text, nl=False)
    elif out is not None:
        click.echo(f"已导出：{out}", err=True)


@export.command("ical")
@click.argument("programme", type=click.Path())
@click.option("--unit", help="只导出这个单位要办的事项。")
@click.option("--out", type=click.Path(dir_okay=False), help="输出文件（默认输出到标准输出）。")
def export_ical(programme: str, unit: str | None, out: str | None) -> None:
    """把各项时限导出为 iCalendar 日历，可在日历软件中订阅。"""
    from engine.views.exports import export_ical as run_export

    text = run_export(programme, unit=unit, out=out)
    if out is None:
        click.echo(text, nl=False)
    else:
        click.echo(f"已导出：{out}", err=True)


@cli.command()
@click.argument("programme", type=click.Path())
@click.option("--year", required=True, type=click.IntRange(2000, 2100), help="新方案的年度。")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="新方案目录。")
@_json_option
def roll(programme: str, year: int, out: str, as_json: bool) -> None:
    """以本年度方案为底稿生成下一年度方案，并报告各时限按新年度日历如何变化。"""
    from engine.views.roll import render_roll_report, roll_programme

    report = roll_programme(programme, year, out)
    _show(report, as_json, render_roll_report)


@cli.command()
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


def main(argv: list[str] | None = None) -> NoReturn:
    """Entry point of the ``docflow`` console script."""
    import atexit
    import gc

    # A command ends with the interpreter: the collector need not walk every object the
    # loaded programme and its libraries made (about 70 ms of a 0.4 s ``docflow submit``).
    atexit.register(gc.freeze)
    cli.main(args=argv, prog_name="docflow")
    sys.exit(0)  # not reached: the group's main always exits
