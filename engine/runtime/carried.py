"""Two tables the trail carries rather than derives: the sent-log and the programme pin.

No move of a point says which notices went out or which definition a programme runs under,
yet both steer what the engine does: a sent-log row stops a reminder from going out, and the
pin decides which definition may run. So each write of them is backed by an event appended
in the same transaction:

- ``notify`` (one per reminder occurrence processed): the rule, the occurrence, its step and
  kind, and every sent-log row the transaction inserted - each recipient with its status,
  Message-ID and copies, and the occurrence's marker (recipient ``*``);
- ``register-programme`` (the programme first seen, or its pin taken over from an older
  form): the pin (``definition_hash``); ``migrate-definition`` carries the new one as ``to``.

:class:`CarriedReplay` is fed the events in ``seq`` order (by
:class:`~engine.runtime.replay.TableReplay`) and compares the two tables with them: a row
the trail does not carry (inserted behind the engine's back), a carried row missing
(deleted), a column that differs; each finding in Chinese names the row and the column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.runtime.ports import StoreTransaction
from engine.runtime.records import EventDraft

__all__ = [
    "MARKER",
    "NOTIFY",
    "REGISTER",
    "CarriedReplay",
    "Notice",
    "notify_draft",
    "register_draft",
]

#: The trigger of the event that carries an occurrence's sent-log rows.
NOTIFY = "notify"
#: The trigger of the event that carries a programme's pin when it is registered.
REGISTER = "register-programme"
#: The trigger of a migration (``engine.runtime.service.MIGRATE``): it carries the pin as ``to``.
MIGRATE_TRIGGER = "migrate-definition"
#: The sent-log recipient that marks an occurrence as processed.
MARKER = "*"

_SENT_KEY = tuple[str, str, str, str]  # programme, rule, unit, occurrence


@dataclass(frozen=True, slots=True)
class Notice:
    """One sent-log row of an occurrence, as its event carries it."""

    unit: str
    status: str  # sent / skipped / queued
    message_id: str | None = None
    cc: tuple[str, ...] = ()

    def as_data(self) -> dict[str, Any]:
        found: dict[str, Any] = {"unit": self.unit, "status": self.status}
        if self.message_id is not None:
            found["message_id"] = self.message_id
        if self.cc:
            found["cc"] = list(self.cc)
        return found


def notify_draft(
    programme_id: str,
    actor: str,
    *,
    rule: str,
    occurrence: str,
    step: str,
    kind: str,
    notices: Sequence[Notice],
    why: str | None = None,
    operator: str | None = None,
) -> EventDraft:
    """The ``notify`` event of the sent-log rows one transaction inserted for an occurrence
    (``notices``, the marker among them); ``why`` says why nothing was sent (skipped);
    ``operator``: the person who sent it by hand (经办人)."""
    data: dict[str, Any] = {
        "rule": rule,
        "occurrence": occurrence,
        "step": step,
        "kind": kind,
        "notices": [n.as_data() for n in notices],
    }
    if why is not None:
        data["why"] = why
    if operator is not None:
        data["operator"] = operator
    return EventDraft(programme_id=programme_id, trigger=NOTIFY, actor=actor, data=data)


def register_draft(
    programme_id: str,
    actor: str,
    definition_hash: str,
    operator: str | None = None,
    replaces: str | None = None,
) -> EventDraft:
    """The ``register-programme`` event carrying the pin (``replaces``: an older pin of the
    same definition, taken over)."""
    data: dict[str, Any] = {"definition_hash": definition_hash}
    if replaces is not None:
        data["replaces"] = replaces
    if operator is not None:
        data["operator"] = operator
    return EventDraft(programme_id=programme_id, trigger=REGISTER, actor=actor, data=data)


@dataclass(frozen=True, slots=True)
class _Carried:
    status: str
    message_id: str | None
    recorded_at: str
    seq: int


@dataclass(slots=True)
class CarriedReplay:
    """The sent-log and the pins the trail carries, from the events fed to it."""

    sent: dict[_SENT_KEY, _Carried] = field(default_factory=dict)
    pins: dict[str, tuple[str, int]] = field(default_factory=dict)  # programme -> hash, seq

    def feed(
        self, seq: int, programme: str, trigger: str, data: dict[str, Any], recorded_at: str
    ) -> None:
        """Take one programme-level event (its ``data`` parsed)."""
        if trigger == NOTIFY:
            rule, occurrence = data.get("rule"), data.get("occurrence")
            notices = data.get("notices")
            if not (isinstance(rule, str) and isinstance(occurrence, str)):
                return
            for notice in notices if isinstance(notices, list) else ():
                if isinstance(notice, dict) and isinstance(notice.get("unit"), str):
                    key = (programme, rule, notice["unit"], occurrence)
                    self.sent[key] = _Carried(
                        str(notice.get("status")), notice.get("message_id"), recorded_at, seq
                    )
        elif trigger == REGISTER:
            pin = data.get("definition_hash")
            if isinstance(pin, str):
                self.pins[programme] = (pin, seq)
        elif trigger == MIGRATE_TRIGGER:
            pin = data.get("to")
            if isinstance(pin, str):
                self.pins[programme] = (pin, seq)

    # --- comparing -------------------------------------------------------------------

    def compare_sent(self, programme: str, tx: StoreTransaction, findings: list[str]) -> None:
        stored = {(s.programme_id, s.rule, s.unit_id, s.occurrence): s for s in tx.sent(programme)}
        carried = {k: v for k, v in self.sent.items() if k[0] == programme}
        for key in sorted(stored.keys() - carried.keys()):
            row = stored[key]
            findings.append(
                f"发送记录表中的 {_key_words(key)}（状态 {row.status}）在留痕中没有发送事件："
                "该行不是由提醒程序写入的"
                + ("，它使该次提醒不再发送" if row.status != "skipped" or key[2] == MARKER else "")
            )
        for key in sorted(carried.keys() - stored.keys()):
            findings.append(
                f"留痕第 {carried[key].seq} 条记录的发送 {_key_words(key)} 在发送记录表中不存在："
                "该行被删除（下次提醒时会再次发送）"
            )
        for key in sorted(stored.keys() & carried.keys()):
            row, want = stored[key], carried[key]
            for column, in_table, in_trail in (
                ("状态（status）", row.status, want.status),
                ("Message-ID（message_id）", row.message_id, want.message_id),
                ("记录时间（recorded_at）", row.recorded_at, want.recorded_at),
            ):
                if in_table != in_trail:
                    findings.append(
                        f"发送记录 {_key_words(key)} 的{column}：表中为 {in_table or '空'}，"
                        f"留痕第 {want.seq} 条为 {in_trail or '空'}（表被改动）"
                    )

    def compare_pin(self, programme: str, definition_hash: str | None, findings: list[str]) -> None:
        """``definition_hash``: the programmes row's pin, None when there is no row."""
        carried = self.pins.get(programme)
        if definition_hash is None:
            if carried is not None:
                findings.append(
                    f"留痕第 {carried[1]} 条登记的工作方案 {programme} 在工作方案表中不存在："
                    "该行被删除"
                )
            return
        if carried is None:
            findings.append(
                f"工作方案表中的 {programme} 的定义哈希（definition_hash）为 "
                f"{definition_hash}，留痕中没有登记或迁移事件记录它：该行不是由命令写入的"
            )
        elif carried[0] != definition_hash:
            findings.append(
                f"工作方案 {programme} 的定义哈希（definition_hash）：表中为 {definition_hash}，"
                f"留痕第 {carried[1]} 条为 {carried[0]}（表被改动）"
            )


def _key_words(key: _SENT_KEY) -> str:
    programme, rule, unit, occurrence = key
    who = "（该次提醒已处理的标记）" if unit == MARKER else f" → {unit}"
    return f"{programme}/{rule}/{occurrence}{who}"
