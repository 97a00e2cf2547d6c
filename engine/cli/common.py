"""What every docflow command shares: the store options, the clock, JSON output, and the
programme opened through the application layer.

Times from the command line are checked against the programme's span (from the start of its
year to ``SPAN_YEARS_AFTER`` years later): year 9999 or year 1 with a +14:00 offset is a
usage error in Chinese, never an overflow deeper down."""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

import click

__all__ = [
    "SPAN_YEARS_AFTER",
    "_at_option",
    "_checked_text",
    "_db_option",
    "_documents_option",
    "_emit_json",
    "_json_option",
    "_load",
    "_max_file_size_option",
    "_open",
    "_operator_option",
    "_parse_at",
    "_parse_time",
    "_show",
    "_show_warnings",
    "_today",
]

#: How many years after its own a programme's times may still be given (``status --now``
#: on an old programme's store).
SPAN_YEARS_AFTER = 50


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
_max_file_size_option = click.option(
    "--max-file-size",
    "max_file_size",
    type=float,
    envvar="DOCFLOW_MAX_UPLOAD_MB",
    help="报送文件的大小上限，单位 MB（默认 100；也可用环境变量 DOCFLOW_MAX_UPLOAD_MB）。",
)


def _file_size_limit(megabytes: float | None) -> int | None:
    """``--max-file-size`` in bytes; a value that is not a positive finite number is a
    usage error."""
    if megabytes is None:
        return None
    if not math.isfinite(megabytes) or megabytes <= 0 or megabytes > 1 << 20:
        raise click.BadParameter(
            f"{megabytes!r} 不是可用的大小（应为大于 0、不超过 1048576 的 MB 数）",
            param_hint="--max-file-size",
        )
    return max(1, int(megabytes * (1 << 20)))


def _checked_text(value: str | None, option: str) -> str | None:
    """A text typed on the command line, refused (naming ``option``) if it holds a control,
    bidirectional or invisible character."""
    if value is None:
        return None
    from engine.runtime.userinput import check_text

    return check_text(value, option)


def _span(zone: Any, year: int) -> tuple[datetime, datetime]:
    return (
        datetime(year, 1, 1, tzinfo=zone),
        datetime(year + SPAN_YEARS_AFTER, 12, 31, 23, 59, 59, tzinfo=zone),
    )


def _within_span(moment: datetime, origin: str, text: str, zone: Any, year: int) -> datetime:
    """``moment`` if it lies in the programme's span; else ``MomentOutOfRange`` (aware
    datetimes compare without converting, so no offset can overflow here)."""
    from engine.errors import MomentOutOfRange

    earliest, latest = _span(zone, year)
    if not earliest <= moment <= latest:
        raise MomentOutOfRange(origin, text, earliest.date().isoformat(), latest.date().isoformat())
    return moment


def _parse_time(value: str | None, option: str, zone: Any = None, year: int | None = None) -> Any:
    """An ISO 8601 time from the command line; naive times are in the programme's zone.
    With the programme's ``year`` it must lie in the programme's span."""
    if value is None:
        return None
    from engine.clock import SHANGHAI, parse_moment
    from engine.errors import BadMoment

    zone = zone or SHANGHAI
    try:
        moment = parse_moment(value, option, zone)
        if year is not None:
            _within_span(moment, option, value, zone, year)
        return moment
    except BadMoment as exc:
        raise click.BadParameter(exc.detail, param_hint=exc.origin) from None


_at_option = click.option(
    "--at",
    "at",
    help="查看这个时刻的状态：留痕按当时已记录的事件重放，期限和灯色也按该时刻判断"
    "（ISO 8601；不能与 --now 同用）。",
)


def _parse_at(definition: Any, at: str | None, now: str | None) -> Any:
    """``--at`` as a moment in the programme's zone and span (a usage error otherwise, as
    ``--now``); ``--at`` and ``--now`` together are a usage error."""
    if at is None:
        return None
    if now is not None:
        raise click.UsageError(
            "--at 与 --now 只能给出一个：--at 显示该时刻的状态，"
            "--now 显示存储库现状并按该时刻判断期限和灯色"
        )
    return _parse_time(at, "--at", definition.zone, definition.programme.programme.year)


def _load(path: str, **options: Any) -> Any:
    """The programme's definition (``load_definition``'s options), its item noun kept for
    wording this command's errors (``engine.cliui.remember_item``)."""
    from engine.cliui import remember_item
    from engine.definition.loader import load_definition

    definition = load_definition(path, **options)
    remember_item(definition.programme.programme.item)
    return definition


def _open(
    programme: Any,
    db: str | None = None,
    documents: str | None = None,
    *,
    now: str | None = None,
    create: bool = False,
    mail: Any = None,
    with_store: bool = True,
    operator: str | None = None,
    max_file_size: float | None = None,
    at: str | None = None,
    readonly: bool = False,
    may_create: bool = False,
) -> Any:
    """The programme opened through the application layer, on the one clock of this
    command: ``--now``, else ``DOCFLOW_NOW``, else the real time (a bad value of either, or
    one outside the programme's span, is the same usage error in every command, reported
    before the store opens; so is a bad ``at``, see ``_parse_at``). Only with ``create`` may
    the store be new; ``may_create`` says that the command could start one (the hint then
    names how). With ``readonly`` the store is only read. ``programme`` is a path, or a
    definition the command loaded already with ``_load``."""
    import os

    from engine.app import Programme
    from engine.clock import FixedClock, choose_clock
    from engine.definition.loader import Definition
    from engine.errors import BadMoment, StoreMissing

    limit = _file_size_limit(max_file_size)
    definition = programme if isinstance(programme, Definition) else _load(programme)
    zone = definition.zone
    environment = os.environ.get("DOCFLOW_NOW")
    try:
        clock = choose_clock(now, environment, zone)
        if isinstance(clock, FixedClock):
            text = now if now is not None else str(environment)
            year = definition.programme.programme.year
            _within_span(clock.moment, clock.origin, text, zone, year)
    except BadMoment as exc:
        raise click.BadParameter(exc.detail, param_hint=exc.origin) from None
    _parse_at(definition, at, now)
    try:
        opened = Programme.open(
            definition,
            db=db,
            documents=documents,
            clock=clock,
            create=create,
            mail=mail,
            with_store=with_store,
            operator=_operator(operator),
            readonly=readonly,
        )
    except StoreMissing as exc:
        if not may_create:
            raise
        raise exc.creatable() from None
    if limit is not None and opened.store is not None:
        opened.store.documents.max_size = limit
    return opened


def _today(zone: Any = None) -> Any:
    """Today in ``zone`` (the programme's; Asia/Shanghai without one) on the clock a command
    without ``--now`` uses: ``DOCFLOW_NOW``, else the real time."""
    import os

    from engine.clock import SHANGHAI, choose_clock
    from engine.errors import BadMoment

    zone = zone or SHANGHAI
    try:
        return choose_clock(None, os.environ.get("DOCFLOW_NOW"), zone).now().astimezone(zone).date()
    except BadMoment as exc:
        raise click.BadParameter(exc.detail, param_hint=exc.origin) from None


def _operator(given: str | None) -> str:
    """Who keys the command in (经办人): ``--operator`` or ``DOCFLOW_OPERATOR``, else the
    system account the command runs under."""
    if given and given.strip():
        return given.strip()
    import getpass

    try:
        account = getpass.getuser()
    except (KeyError, OSError):  # no user name for this uid (some containers)
        account = "未知"
    return f"系统账户 {account}"


_operator_option = click.option(
    "--operator",
    envvar="DOCFLOW_OPERATOR",
    help="经办人：记入留痕的每条事件（也可用环境变量 DOCFLOW_OPERATOR；默认为系统账户）。",
)
