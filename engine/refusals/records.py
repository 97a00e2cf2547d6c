"""Refusals about the trail's records: a view as of a moment before a point existed, and
corrections (撤回, 更正) of a record that cannot be corrected so."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from engine.errors import ITEM, Named, Refused
from engine.refusals.naming import minute_of, unit_words

__all__ = ["CannotCorrect", "LaterEvents", "NotYetEnrolled", "UnknownEvent"]


class NotYetEnrolled(Refused):
    """A view of the store as of ``at`` asked for a unit or a point that had no point
    enrolled yet then; ``since`` is when its (first) point was enrolled."""

    def __init__(
        self, at: datetime, since: datetime, *, unit: Named | None = None, point: str | None = None
    ) -> None:
        self.at = at
        self.since = since
        self.unit = unit
        self.point = point
        then, later = minute_of(at), minute_of(since)
        if point is not None:
            text = f"{ITEM} {point} 在 {then} 时尚未登记（登记于 {later}）"
        else:
            assert unit is not None
            text = f"{unit_words(unit)} 在 {then} 时尚未登记{ITEM}（第一个{ITEM}登记于 {later}）"
        super().__init__(text)


# --- corrections -----------------------------------------------------------------------------


class UnknownEvent(Refused):
    """A trail ``seq`` the programme has no event at (none, or another programme's)."""

    def __init__(self, seq: int, programme: str, owner: str | None = None) -> None:
        self.seq = seq
        self.programme = programme
        self.owner = owner  # the programme the event belongs to, if another one
        where = f"属于工作方案 {owner}，不属于 {programme}" if owner else "不存在"
        super().__init__(f"留痕第 {seq} 条记录{where}")


#: Why an event cannot be corrected so -> the message of a ``CannotCorrect``.
_CANNOT = {
    "enrol": f"是登记{ITEM}的记录，不能撤回：撤销{ITEM}须办理工作方案中的撤销事项",
    "engine": "是迁移工作方案定义的记录，不能撤回或更正",
    "correction": "本身是撤回或更正的记录，不能再撤回或更正：更正有误时再作一次更正（以最后一次为准），"
    "撤回有误时重新报送或重新作出决定",
    "no-document": "没有报送文件，无从换用文件",
    "not-a-decision": "不是一项决定，无从更正决定理由",
}


class CannotCorrect(Refused):
    """An event that cannot be withdrawn or amended as asked; ``why`` is a key of the
    messages (enrol, engine, correction, no-document, not-a-decision,
    withdrawn, same-document), ``by`` the correcting event when it was withdrawn already."""

    def __init__(self, seq: int, why: str, by: int | None = None) -> None:
        self.seq = seq
        self.why = why
        self.by = by
        if why == "withdrawn":
            text = f"已由第 {by} 条撤回，不能再撤回或更正"
        elif why == "same-document":
            text = "报送的正是这份文件，无须更正"
        else:
            text = _CANNOT[why]
        super().__init__(f"留痕第 {seq} 条记录{text}")


class LaterEvents(Refused):
    """Only the latest standing event of a point is withdrawn, and a programme task's record
    only while no task waiting for it is recorded: ``later`` must be withdrawn first."""

    def __init__(self, seq: int, point: str | None, later: Sequence[int]) -> None:
        self.seq = seq
        self.point = point  # None: a programme task's record, ``later`` waited for it
        self.later = tuple(later)
        listed = "、".join(f"第 {n} 条" for n in self.later)
        first = f"须先从最新的第 {self.later[-1]} 条起逐条撤回"
        super().__init__(
            f"留痕第 {seq} 条记录之后，{ITEM} {point} 还有{listed}记录：只能撤回{ITEM}最新的"
            f"一条记录，{first}"
            if point is not None
            else f"留痕第 {seq} 条记录之后，等待它完成的事项已由{listed}记录报送，{first}"
        )
