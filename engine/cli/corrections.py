"""The correct command: 撤回 or 更正 a record keyed in by mistake (a correcting event)."""

from __future__ import annotations

import click

from engine.cli.common import (
    _checked_text,
    _db_option,
    _documents_option,
    _emit_json,
    _json_option,
    _max_file_size_option,
    _open,
    _operator_option,
)
from engine.cliui import command

__all__ = ["correct"]


@command()
@click.argument("programme", type=click.Path())
@click.option("--event", "seq", type=int, required=True, help="要撤回或更正的记录（留痕序号）。")
@click.option("--withdraw", is_flag=True, help="撤回这条报送或决定：突破点回到此前的状态。")
@click.option("--file", "file", type=click.Path(), help="更正报送的文件：换为这份文件。")
@click.option("--decision-reason", help="更正决定的理由：改为这段文字。")
@click.option("--reason", required=True, help="撤回或更正的理由（记入留痕）。")
@click.option("--by", "actor", help="作出更正的单位（默认为发文机关）。")
@_operator_option
@_db_option
@_documents_option
@_max_file_size_option
@_json_option
def correct(
    programme: str,
    seq: int,
    withdraw: bool,
    file: str | None,
    decision_reason: str | None,
    reason: str,
    actor: str | None,
    operator: str | None,
    db: str,
    documents: str | None,
    max_file_size: float | None,
    as_json: bool,
) -> None:
    """撤回或更正一条误录的记录：原记录保留在留痕中，另记一条更正记录。"""
    _one_kind(withdraw=withdraw, file=file, decision_reason=decision_reason)
    _checked_text(decision_reason, "--decision-reason")
    _checked_text(reason, "--reason")
    _checked_text(actor, "--by")
    _checked_text(operator, "--operator")
    with _open(programme, db, documents, operator=operator, max_file_size=max_file_size) as gd:
        event = gd.correct(
            seq,
            reason,
            withdraw=withdraw,
            file=file,
            decision_reason=decision_reason,
            actor=actor,
        )
    if as_json:
        from engine.cli.records import _event_dict

        _emit_json(_event_dict(event))
        return
    from engine.views.corrections import correction_words
    from engine.views.status import event_line

    line = event_line(gd.definition, event, "已记录")
    click.echo(f"{line}（{correction_words(event)}）")


def _one_kind(*, withdraw: bool, file: str | None, decision_reason: str | None) -> None:
    """Exactly one of --withdraw, --file, --decision-reason; none or more is a usage error."""
    given = [
        flag
        for flag, on in (
            ("--withdraw", withdraw),
            ("--file", file is not None),
            ("--decision-reason", decision_reason is not None),
        )
        if on
    ]
    if not given:
        raise click.UsageError("请给出 --withdraw、--file 或 --decision-reason 之一")
    if len(given) > 1:
        raise click.UsageError(
            f"{'、'.join(given)} 互相矛盾：一次只能撤回记录、换用文件或更正决定理由中的一项"
        )
