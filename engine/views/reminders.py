"""How a reminder run reads on the terminal and in JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.clock import local_minute
from engine.definition.labels import NOTICE_KIND_LABELS as KIND_LABELS
from engine.definition.loader import Definition
from engine.delivery.dispatch import Outgoing, RunResult

__all__ = ["KIND_LABELS", "outgoing_dict", "render_run", "rule_words"]

_WHY = {
    "superseded": "已有更新的提醒，不再补发",
    "closed": "该事项已无待报单位",
    "unreached": "尚无单位到达此环节",
}


def outgoing_dict(o: Outgoing) -> dict[str, Any]:
    return {
        "rule": o.rule,
        "occurrence": o.occurrence,
        "recipient": o.recipient,
        "recipient_name": o.recipient_name,
        "kind": o.kind,
        "subject": o.subject,
        "points": list(o.points),
        "cc": list(o.cc),
        "message_id": o.message_id,
    }


def rule_words(definition: Definition, rule_id: str) -> str:
    """``「报送突破点工作方案」到期前第 2 个工作日`` for the rule ``submit-plan/before-2``."""
    step_id, _slash, occasion = rule_id.rpartition("/")
    kind, _dash, number = occasion.rpartition("-")
    steps = {s.id: s.label for s in definition.index.steps()}
    steps |= {r.id: r.label for r in definition.programme.reports}
    label = f"「{steps.get(step_id, step_id)}」"
    if kind == "before" and number.isdigit():
        n = int(number)
        return f"{label}到期前第 {n} 个工作日" if n else f"{label}到期当天"
    if kind == "overdue" and number.isdigit():
        return f"{label}逾期第 {int(number)} 次催报"
    return label + occasion


def render_run(
    definition: Definition,
    result: RunResult,
    now: datetime,
    dry_run: bool,
    outbox: str | None = None,
    smtp: bool = False,
) -> str:
    """The run in Chinese: what went out (or would), what was skipped, where the mail is.

    ``outbox`` names the outbox folder; ``smtp`` says the mail went through the queue to an
    SMTP server, so the messages handed on and those still queued are counted.
    """
    index = definition.index
    verb = "将发出" if dry_run else "已发出"
    stamp = local_minute(now)
    lines = []
    if not result.sent and not result.skipped:
        lines.append(f"{stamp}：没有到时应发的提醒。")
    else:
        lines.append(f"{stamp}：{verb} {len(result.sent)} 封提醒。")
    for o in result.sent:
        label = KIND_LABELS.get(o.kind, o.kind)
        points = f"（{'、'.join(o.points)}）" if o.points else ""
        cc = f"，抄送 {'、'.join(index.body_label(c) for c in o.cc)}" if o.cc else ""
        lines.append(
            f"  {label}：{rule_words(definition, o.rule)} → {o.recipient_name}{points}{cc}"
        )
    for rule, occurrence, why in result.skipped:
        lines.append(
            f"  跳过 {rule_words(definition, rule)}（期限 {occurrence}）：{_WHY.get(why, why)}"
        )
    if dry_run:
        return "\n".join(lines)
    if smtp:
        if result.delivered or result.pending:
            queued = f"，{result.pending} 封仍在发件队列中等待重试" if result.pending else ""
            lines.append(f"SMTP 服务器已接收 {result.delivered} 封{queued}。")
    elif outbox is not None and result.sent:
        lines.append(f"邮件已写入发件箱 {outbox}。")
    return "\n".join(lines)
