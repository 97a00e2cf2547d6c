"""Corrections in words: how the log and the report mark a corrected record and word the
correcting event (see :mod:`engine.runtime.corrections`)."""

from __future__ import annotations

from collections.abc import Iterable

from engine.runtime.corrections import AMEND, WITHDRAW, corrected_seq, corrections
from engine.runtime.records import EventRow

__all__ = ["correction_marks", "correction_words"]


def _when(event: EventRow) -> str:
    return event.recorded_at[:16].replace("T", " ")


def correction_words(event: EventRow) -> str | None:
    """What a correcting event did, e.g. ``撤回第 57 条记录``; ``None`` for another event."""
    seq = corrected_seq(event)
    if seq is None:
        return None
    if event.trigger == WITHDRAW:
        return f"撤回第 {seq} 条记录"
    extras = event.extras
    if isinstance(extras.get("decision_reason"), str):
        return f"更正第 {seq} 条记录的决定理由为「{extras['decision_reason']}」"
    name = extras.get("file")
    return f"更正第 {seq} 条记录的文件" + (f"为 {name}" if isinstance(name, str) else "")


def correction_marks(events: Iterable[EventRow]) -> dict[int, str]:
    """Corrected ``seq`` -> its mark, e.g. ``（已于 2011-05-10 09:00 由第 61 条撤回：误录）``."""
    marks = {}
    for seq, fixes in corrections(events).items():
        parts = []
        for fix in fixes:
            what = "撤回" if fix.trigger == WITHDRAW else "更正"
            if fix.trigger == AMEND and isinstance(fix.extras.get("file"), str):
                what = f"更正（文件换为 {fix.extras['file']}）"
            elif fix.trigger == AMEND and "decision_reason" in fix.extras:
                what = f"更正（决定理由改为「{fix.extras['decision_reason']}」）"
            reason = f"：{fix.reason}" if fix.reason else ""
            parts.append(f"已于 {_when(fix)} 由第 {fix.seq} 条{what}{reason}")
        marks[seq] = "（" + "；".join(parts) + "）"
    return marks
