"""Commands that record and read the trail: enrol, submit, decide, migrate, status, log, audit."""

from __future__ import annotations

from typing import Any

import click

from engine.cli.common import (
    _at_option,
    _checked_text,
    _db_option,
    _documents_option,
    _emit_json,
    _json_option,
    _load,
    _max_file_size_option,
    _open,
    _operator_option,
    _parse_at,
    _parse_time,
    _show,
)
from engine.cliui import command, group

__all__ = ["audit", "decide", "enrol", "log", "migrate", "status", "submit"]


def _report_events(definition: Any, events: Any, as_json: bool, verb: str) -> None:
    if as_json:
        _emit_json([_event_dict(e) for e in events])
        return
    from engine.views.status import event_line

    for e in events:
        click.echo(event_line(definition, e, verb))


def _year(gd: Any) -> int:
    """The programme's year: times given for it must lie in its span."""
    return int(gd.definition.programme.programme.year)


def _checked_all(values: tuple[str, ...], option: str) -> tuple[str, ...]:
    for value in values:
        _checked_text(value, option)
    return values


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


@command()
@click.argument("programme", type=click.Path())
@click.option("--unit", help="牵头单位（bodies 中的 id），或组的 id（每个成员各登记一个）。")
@click.option("--title", help="突破点名称。")
@click.option("--id", "point_id", help="突破点编号（默认：单位 id-序号）。")
@click.option("--file", "file", type=click.Path(), help="推荐材料。")
@click.option("--co", "co", multiple=True, help="责任单位（可重复）。")
@click.option("--from", "from_file", type=click.Path(), help="批量登记：YAML 或 CSV 文件。")
@click.option("--at", "at", help="材料实际收到的时间（ISO 8601）。")
@_operator_option
@_db_option
@_documents_option
@_max_file_size_option
@_json_option
def enrol(
    programme: str,
    unit: str | None,
    title: str | None,
    point_id: str | None,
    file: str | None,
    co: tuple[str, ...],
    from_file: str | None,
    at: str | None,
    db: str,
    documents: str | None,
    operator: str | None,
    max_file_size: float | None,
    as_json: bool,
) -> None:
    """登记突破点（单个，或用 --from 批量登记）。"""
    from pathlib import Path

    from engine.app import NewPoint
    from engine.runtime.userinput import check_point_id

    _checked_text(unit, "--unit")
    _checked_text(title, "--title")
    if point_id is not None:
        check_point_id(point_id, "--id")

    for name in co:
        _checked_text(name, "--co")
    if from_file and (unit or title or point_id or file or co):
        raise click.UsageError("--from 不能与 --unit、--title、--id、--file、--co 同时使用")
    definition = _load(programme)  # a points file's problems are worded with its noun
    if from_file:
        from engine.runtime.pointsfile import read_points_file

        points = read_points_file(Path(from_file))
    elif unit and title:
        points = [NewPoint(unit, title, Path(file) if file else None, point_id, co)]
    else:
        raise click.UsageError("请给出 --unit 和 --title，或用 --from 指定批量登记文件")
    _checked_text(operator, "--operator")
    with _open(
        definition, db, documents, create=True, max_file_size=max_file_size, operator=operator
    ) as gd:
        rows = gd.enrol(points, _parse_time(at, "--at", gd.definition.zone, _year(gd)))
    if as_json:
        _emit_json(
            [
                {
                    "id": r.point_id,
                    "unit": r.unit_id,
                    "co": list(r.co),
                    "group": r.group_id,
                    "title": r.title,
                    "state": r.state,
                }
                for r in rows
            ]
        )
    else:
        click.echo(
            f"已登记 {len(rows)} 个{definition.programme.programme.item}："
            + "、".join(r.point_id for r in rows[:10])
            + ("……" if len(rows) > 10 else "")
        )


@command()
@click.argument("programme", type=click.Path())
@click.option("--unit", required=True, help="报送单位（bodies 中的 id）。")
@click.option("--task", required=True, help="事项（如 work-plan、progress）。")
@click.option("--file", "file", required=True, type=click.Path(), help="报送的文件。")
@click.option("--point", "points", multiple=True, help="只就这些突破点报送（可重复）。")
@click.option(
    "--period",
    help="周期性报送的报送期：2021-03、2021-Q1、2021-H1、2021-W05，或所报期间的第一天。",
)
@click.option("--at", "at", help="文件实际收到的时间（ISO 8601）。")
@_operator_option
@click.option(
    "--create",
    is_flag=True,
    help="存储库或其中的本方案尚不存在时新建（方案的第一条记录是一份报送时使用，"
    "如征集突破点的通知）；不加此项时，存储库须已存在。",
)
@_db_option
@_documents_option
@_max_file_size_option
@_json_option
def submit(
    programme: str,
    unit: str,
    task: str,
    file: str,
    points: tuple[str, ...],
    period: str | None,
    at: str | None,
    create: bool,
    db: str,
    documents: str | None,
    operator: str | None,
    max_file_size: float | None,
    as_json: bool,
) -> None:
    """登记一份报送文件；未指明突破点时，覆盖该单位所有等待此事项的突破点。"""
    from pathlib import Path

    _checked_text(unit, "--unit")
    _checked_text(task, "--task")
    _checked_all(points, "--point")
    _checked_text(period, "--period")
    _checked_text(operator, "--operator")
    with _open(
        programme,
        db,
        documents,
        create=create,
        max_file_size=max_file_size,
        operator=operator,
        may_create=True,
    ) as gd:
        moment = _parse_time(at, "--at", gd.definition.zone, _year(gd))
        events = gd.submit(unit, task, Path(file), points, moment, period)
    _report_events(gd.definition, events, as_json, "已报送")


@command()
@click.argument("programme", type=click.Path())
@click.option("--task", required=True, help="事项（如 screen、approve、work-plan）。")
@click.option("--point", "points", multiple=True, required=True, help="突破点（可重复）。")
@click.option("--accept", "accept", is_flag=True, help="同意。")
@click.option("--reject", "reject", is_flag=True, help="不同意。")
@click.option("--return", "return_", is_flag=True, help="退回。")
@click.option("--reason", required=True, help="理由。")
@click.option("--by", "actor", help="作出决定的单位（事项可由多个单位决定时须给出）。")
@click.option("--until", help="批准延期时的新期限，或退回时的整改期限（YYYY-MM-DD）。")
@click.option("--at", "at", help="决定实际作出的时间（ISO 8601）。")
@_operator_option
@_db_option
@_documents_option
@_json_option
def decide(
    programme: str,
    task: str,
    points: tuple[str, ...],
    accept: bool,
    reject: bool,
    return_: bool,
    reason: str,
    actor: str | None,
    until: str | None,
    at: str | None,
    db: str,
    documents: str | None,
    operator: str | None,
    as_json: bool,
) -> None:
    """记录一项决定：同意、不同意或退回。"""
    outcome = _one_outcome(accept=accept, reject=reject, return_=return_)
    _checked_text(task, "--task")
    _checked_all(points, "--point")
    _checked_text(reason, "--reason")
    _checked_text(actor, "--by")
    _checked_text(operator, "--operator")
    with _open(programme, db, documents, operator=operator) as gd:
        zone, year = gd.definition.zone, _year(gd)
        until_date = _parse_time(until, "--until", zone, year).date() if until else None
        events = gd.decide(
            task, points, outcome, reason, actor, until_date, _parse_time(at, "--at", zone, year)
        )
    _report_events(gd.definition, events, as_json, "已决定")


def _one_outcome(*, accept: bool, reject: bool, return_: bool) -> str:
    """The one outcome flag given; none or several is a usage error (never "the last wins")."""
    given = [
        (flag, outcome)
        for flag, outcome, on in (
            ("--accept", "accept", accept),
            ("--reject", "reject", reject),
            ("--return", "return", return_),
        )
        if on
    ]
    if not given:
        raise click.UsageError("请给出 --accept、--reject 或 --return 之一")
    if len(given) > 1:
        flags = "、".join(flag for flag, _ in given)
        raise click.UsageError(f"{flags} 互相矛盾：一项决定只能有一个结果，请只给出其中之一")
    return given[0][1]


@command()
@click.argument("programme", type=click.Path())
@click.option("--reason", required=True, help="迁移理由（记入留痕）。")
@click.option("--by", "actor", help="作出迁移的单位（默认为发文机关）。")
@_operator_option
@_db_option
@_documents_option
def migrate(
    programme: str,
    reason: str,
    actor: str | None,
    db: str,
    documents: str | None,
    operator: str | None,
) -> None:
    """工作方案定义改动后，让已登记的突破点改按新定义运行（记入留痕）。"""
    _checked_text(reason, "--reason")
    _checked_text(actor, "--by")
    _checked_text(operator, "--operator")
    with _open(programme, db, documents, operator=operator) as gd:
        event = gd.migrate(reason, actor)
    if event is None:
        click.echo("定义未改动，无需迁移。")
    else:
        click.echo(f"已迁移（留痕第 {event.seq} 条）。")


@command()
@click.argument("programme", type=click.Path())
@click.option("--unit", help="只看这个单位。")
@click.option("--point", help="只看这个突破点。")
@click.option("--now", "now", help="按这个时间判断到期情况（ISO 8601，默认为当前时间）。")
@_at_option
@_db_option
@_documents_option
@_json_option
def status(
    programme: str,
    unit: str | None,
    point: str | None,
    now: str | None,
    at: str | None,
    db: str,
    documents: str | None,
    as_json: bool,
) -> None:
    """每个突破点的状态、下一步、期限和红黄蓝绿灯，以及各事项的上报率。"""
    from engine.views.status import render_status

    _checked_text(unit, "--unit")
    _checked_text(point, "--point")
    with _open(programme, db, documents, now=now, at=at, readonly=True) as gd:
        report = gd.status(unit, at=_parse_at(gd.definition, at, now), point=point)
    _show(report, as_json, render_status)


@command()
@click.argument("programme", type=click.Path())
@click.option("--point", help="只看这个突破点。")
@_db_option
@_documents_option
@_json_option
def log(programme: str, point: str | None, db: str, documents: str | None, as_json: bool) -> None:
    """按时间顺序列出留痕。"""
    from engine.views.status import render_log

    _checked_text(point, "--point")
    with _open(programme, db, documents, readonly=True) as gd:
        events = gd.trail(point)
    if as_json:
        from engine.runtime.corrections import corrections

        fixes = corrections(events)
        rows = [_event_dict(e) for e in events]
        for row in rows:
            row["corrected_by"] = [f.seq for f in fixes.get(row["seq"], [])]
        _emit_json(rows)
    else:
        click.echo(render_log(gd.definition, events))


@group()
def audit() -> None:
    """审计：校验留痕，签发和核对检查点。"""


_KEY_NEEDED = (
    "请用 --key 或环境变量 DOCFLOW_AUDIT_KEY 给出签名用的私钥文件"
    "（没有密钥时可用 docflow audit keygen --out 文件 生成）"
)


@audit.command()
@_db_option
@_documents_option
@click.option(
    "--checkpoints",
    type=click.Path(dir_okay=False),
    help="同时核对这个检查点文件中的每个检查点（签名，以及留痕中是否仍有所记的事件）。",
)
@click.option(
    "--public-key",
    "public_key",
    type=click.Path(dir_okay=False),
    envvar="DOCFLOW_AUDIT_PUBLIC_KEY",
    help="签发检查点的公钥文件（也可用环境变量 DOCFLOW_AUDIT_PUBLIC_KEY；"
    "未给出时取 DOCFLOW_AUDIT_KEY 私钥的公钥）。",
)
@_json_option
def verify(
    db: str,
    documents: str | None,
    checkpoints: str | None,
    public_key: str | None,
    as_json: bool,
) -> None:
    """重新计算留痕链和每份存档文件的哈希，报告第一处不符；给出 --checkpoints 时还核对每个检查点。"""
    import os

    from engine.app import verify_store

    if checkpoints is None:
        if (
            public_key is not None
            and click.get_current_context().get_parameter_source("public_key")
            != click.core.ParameterSource.ENVIRONMENT
        ):
            raise click.UsageError("--public-key 只与 --checkpoints 一起使用")
        _show_verified(verify_store(db, documents), None, as_json)
        return
    key = public_key or os.environ.get("DOCFLOW_AUDIT_KEY") or None
    if key is None:
        raise click.UsageError(
            "核对检查点需要签发它们的公钥：请用 --public-key 或环境变量 "
            "DOCFLOW_AUDIT_PUBLIC_KEY 给出公钥文件"
        )
    report = verify_store(db, documents, checkpoints, key)
    _show_verified(report.trail, report, as_json)


def _show_verified(trail: Any, audited: Any, as_json: bool) -> None:
    """The audit's outcome: JSON (exit 1 when it failed), or words (the error's exit)."""
    if as_json:
        data: dict[str, Any] = {
            "ok": trail.ok,
            "events_checked": trail.events_checked,
            "documents_checked": trail.documents_checked,
            "first_failure": trail.first_failure,
            "failing_seq": trail.failing_seq,
            "failing_document": trail.failing_document,
        }
        if audited is not None:
            marks = audited.checkpoints
            data["ok"] = audited.ok
            data["checkpoints"] = {
                "file": marks.path,
                "ok": marks.ok,
                "checked": marks.checked,
                "vouched_seq": marks.vouched_seq,
                "events_after_last_checkpoint": marks.unvouched,
                "summary": marks.summary(),
                "failures": [
                    {"line": f.line, "kind": f.kind, "seq": f.seq, "at": f.at, "message": f.message}
                    for f in marks.failures
                ],
            }
        _emit_json(data)
        if not data["ok"]:
            raise SystemExit(1)
        return
    if audited is not None:
        audited.raise_if_broken()
    if trail.ok:
        click.echo(
            f"留痕校验通过：{trail.events_checked} 条留痕、{trail.documents_checked} 份文件均与哈希相符。"
        )
    trail.raise_if_broken()
    if audited is not None:
        click.echo(audited.checkpoints.summary() + "。")


@audit.command()
@click.option(
    "--key",
    type=click.Path(dir_okay=False),
    envvar="DOCFLOW_AUDIT_KEY",
    help="签名用的私钥文件（也可用环境变量 DOCFLOW_AUDIT_KEY）；应保管在存储库之外。",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    help="把检查点追加到这个检查点文件（每行一个）；未给出时输出到标准输出。",
)
@_db_option
@_documents_option
def checkpoint(key: str | None, out: str | None, db: str, documents: str | None) -> None:
    """签发检查点：用私钥签署留痕链头（序号与哈希）、存储库、工作方案和时间。"""
    import os

    from engine.app import checkpoint_store
    from engine.clock import choose_clock
    from engine.errors import BadMoment

    if not key:
        raise click.UsageError(_KEY_NEEDED)
    try:
        clock = choose_clock(None, os.environ.get("DOCFLOW_NOW"))
    except BadMoment as exc:
        raise click.BadParameter(exc.detail, param_hint=exc.origin) from None
    signed = checkpoint_store(key, out, db=db, documents=documents, clock=clock)
    mark = signed.checkpoint
    said = (
        f"已签发检查点：留痕第 {mark.seq} 条（哈希 {mark.hash[:12]}…），{mark.moment}，"
        f"签名密钥 {signed.key[:20]}…"
    )
    if out is None:
        click.echo(signed.line())
        click.echo(said + "。", err=True)
    else:
        click.echo(f"{said}，已追加到 {out}。")


@audit.command()
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False),
    help="私钥写入这个文件，公钥写入同名加 .pub 的文件（权限均为 0600，不覆盖已有文件）。",
)
def keygen(out: str) -> None:
    """生成签发检查点用的密钥对（Ed25519）。"""
    from engine.app import generate_audit_keys

    made = generate_audit_keys(out)
    click.echo(
        f"已生成密钥对：私钥 {made.private}，公钥 {made.public}（权限 0600），"
        f"指纹 {made.fingerprint}。\n"
        "私钥请保管在存储库之外，只交给签发检查点的人；公钥交给审计人员，用于核对检查点。"
    )
