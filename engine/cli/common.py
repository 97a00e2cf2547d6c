"""What every docflow command shares: the store options, the clock, JSON output, and the
programme opened through the application layer."""

from __future__ import annotations

import json
from typing import Any

import click

__all__ = [
    "_db_option",
    "_documents_option",
    "_emit_json",
    "_json_option",
    "_open",
    "_operator_option",
    "_parse_time",
    "_show",
    "_show_warnings",
]


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


def _parse_time(value: str | None, option: str, zone: Any = None) -> Any:
    """An ISO 8601 time from the command line; naive times are in the programme's zone."""
    if value is None:
        return None
    from engine.clock import SHANGHAI, parse_moment
    from engine.errors import BadMoment

    try:
        return parse_moment(value, option, zone or SHANGHAI)
    except BadMoment as exc:
        raise click.BadParameter(exc.detail, param_hint=exc.origin) from None


def _open(
    programme: str,
    db: str | None = None,
    documents: str | None = None,
    *,
    now: str | None = None,
    create: bool = False,
    mail: Any = None,
    with_store: bool = True,
    operator: str | None = None,
) -> Any:
    """The programme opened through the application layer, on the one clock of this
    command: ``--now``, else ``DOCFLOW_NOW``, else the real time (a bad value of either is
    the same usage error in every command, reported before the store opens)."""
    import os

    from engine.app import Programme
    from engine.clock import choose_clock
    from engine.definition.loader import load_definition
    from engine.errors import BadMoment

    definition = load_definition(programme)
    try:
        clock = choose_clock(now, os.environ.get("DOCFLOW_NOW"), definition.zone)
    except BadMoment as exc:
        raise click.BadParameter(exc.detail, param_hint=exc.origin) from None
    return Programme.open(
        definition,
        db=db,
        documents=documents,
        clock=clock,
        create=create,
        mail=mail,
        with_store=with_store,
        operator=_operator(operator),
    )


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
