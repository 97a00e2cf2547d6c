"""The filed occurrences of recurring reports, as the trail carries them.

A report filed for one occurrence (``docflow submit --task RULE --period P``) is one
``file-report`` event per filing - the party's unit, the item (``point_id``) when the rule
is ``per: item``, the document, and in its data the rule and the period key - and a row of
the ``report_filings`` table written in the same transaction. The item's state does not
change. A 撤回 of the event takes the row out again (``engine.runtime.correcting``).

:class:`FilingReplay` is fed the events in ``seq`` order (by
:class:`~engine.runtime.replay.TableReplay`, so the audit checks the table in the pass
that checks the chain) and compares the table with them; the same replay over the events
recorded by a moment gives the filings as they stood then (``status --at``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from engine.runtime.corrections import WITHDRAW
from engine.runtime.ports import StoreTransaction
from engine.runtime.records import EventRow, FilingRow

__all__ = ["FILE_REPORT", "FilingReplay", "filings_from"]

#: The trigger of the event that files one occurrence of a recurring report.
FILE_REPORT = "file-report"

_KEY = tuple[str, str, str, str, str]  # programme, rule, period, unit, point ("" for none)


@dataclass(slots=True)
class FilingReplay:
    """The filings the trail carries, from the events fed to it."""

    rows: dict[_KEY, FilingRow] = field(default_factory=dict)
    by_seq: dict[int, list[_KEY]] = field(default_factory=dict)

    def feed(
        self,
        seq: int,
        programme: str,
        trigger: str,
        unit: str | None,
        point: str | None,
        data: dict[str, Any],
        effective_at: str,
    ) -> None:
        """Take one event (its ``data`` parsed)."""
        if trigger == FILE_REPORT:
            rule, period = data.get("rule"), data.get("period")
            if not (isinstance(rule, str) and isinstance(period, str) and unit is not None):
                return  # a changed event: the chain check reports it
            key = (programme, rule, period, unit, point or "")
            self.rows[key] = FilingRow(*key, seq, effective_at)
            self.by_seq.setdefault(seq, []).append(key)
        elif isinstance(data.get("corrects"), int) and trigger == WITHDRAW:
            for key in self.by_seq.pop(data["corrects"], []):
                self.rows.pop(key, None)

    def of(self, programme: str) -> list[FilingRow]:
        """The filings of ``programme``, in the order filed."""
        found = [r for k, r in self.rows.items() if k[0] == programme]
        return sorted(found, key=lambda r: (r.event_seq, r.point_id))

    def compare(self, programme: str, tx: StoreTransaction, findings: list[str]) -> None:
        stored = {
            (f.programme_id, f.rule, f.period, f.unit_id, f.point_id): f
            for f in tx.filings(programme)
        }
        carried = {k: v for k, v in self.rows.items() if k[0] == programme}
        for key in sorted(stored.keys() - carried.keys()):
            findings.append(
                f"报送记录表中的 {_key_words(key)}（记为第 {stored[key].event_seq} 条留痕）"
                "在留痕中没有报送事件：该行不是由命令写入的，它使该期显示为已报送"
            )
        for key in sorted(carried.keys() - stored.keys()):
            findings.append(
                f"留痕第 {carried[key].event_seq} 条记录的报送 {_key_words(key)} "
                "在报送记录表中不存在：该行被删除（该期会显示为未报送）"
            )
        for key in sorted(stored.keys() & carried.keys()):
            row, want = stored[key], carried[key]
            for column, in_table, in_trail in (
                ("留痕序号（event_seq）", row.event_seq, want.event_seq),
                ("报送时间（filed_at）", row.filed_at, want.filed_at),
            ):
                if in_table != in_trail:
                    findings.append(
                        f"报送记录 {_key_words(key)} 的{column}：表中为 {in_table}，"
                        f"留痕第 {want.event_seq} 条为 {in_trail}（表被改动）"
                    )


def _key_words(key: _KEY) -> str:
    programme, rule, period, unit, point = key
    return f"{programme}/{rule}/{period} ← {unit}" + (f"（{point}）" if point else "")


def filings_from(programme: str, events: Iterable[EventRow]) -> list[FilingRow]:
    """The filings of ``programme`` that ``events`` (its trail, or the part of it recorded
    by a moment) carry."""
    found = FilingReplay()
    for e in events:
        if e.trigger == FILE_REPORT or e.trigger == WITHDRAW:
            found.feed(
                e.seq, e.programme_id, e.trigger, e.unit_id, e.point_id, e.extras, e.effective_at
            )
    return found.of(programme)
