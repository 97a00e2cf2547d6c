"""The tables the trail answers for, replayed from the trail and compared with the store.

The chain proves that no event was changed unseen; the tables beside it (each point's unit,
title and state, the granted extensions, the documents' places) are what the commands read,
so a row changed in them would change what ``status`` shows and who is reminded while the
chain still verifies. ``TableReplay`` is fed every event in ``seq`` order (by the audit, in
the same pass that checks the chain) and works out what those tables must hold:

- a point exists from its enrolment event (``enrol``: unit, title, co-responsible units,
  the group that led it, initial state, and the event's ``seq`` as ``created_seq``), and is in the state of its latest event that moved it;
- a granted extension is an event whose data names ``step`` and ``until``; the overrides
  table must hold exactly those, each with the event that granted it (unless a 撤回 withdrew it, ``engine.runtime.corrections``; a 撤回 moves its point
  back like any move); a return's 整改期限 is carried so too (marked ``rectify``), and the
  submission that ends it names it (``ends``): its row is gone until that submission is
  withdrawn;
- every unit in the units table enrolled a point;
- a document is stored at the place its content hash gives (never elsewhere: a changed
  ``stored_at`` could make the audit read a file outside the documents folder), under the
  name the event that first recorded it carries (``file`` in its data);
- the sent-log and each programme's pin are carried by events (``notify``,
  ``register-programme``, ``migrate-definition``: :mod:`engine.runtime.carried`), and the
  filed occurrences of recurring reports by ``file-report`` events
  (:mod:`engine.runtime.filings`).

``findings`` lists every difference in Chinese: which row, which column, what the trail
says and what the table says. The same replay, fed only the events recorded by a moment,
gives the rows as they stood then (``point_rows``, ``granted``: ``engine.runtime.asof``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass, field
from datetime import date
from typing import Any

from engine.runtime.carried import CarriedReplay
from engine.runtime.chain import CONTENT_COLUMNS
from engine.runtime.corrections import WITHDRAW
from engine.runtime.documents import DocumentFolder
from engine.runtime.filings import FILE_REPORT, FilingReplay
from engine.runtime.ports import StoreTransaction
from engine.runtime.records import EventRow, PointRow

__all__ = ["ENROL_TRIGGER", "TableReplay", "event_values"]

#: The trigger of an enrolment event (``engine.runtime.service.ENROL``).
ENROL_TRIGGER = "enrol"

_COLUMN = {name: i + 1 for i, name in enumerate(CONTENT_COLUMNS)}  # +1: seq comes first
_PROGRAMME = _COLUMN["programme_id"]
_POINT = _COLUMN["point_id"]
_UNIT = _COLUMN["unit_id"]
_TRIGGER = _COLUMN["trigger"]
_DEST = _COLUMN["dest_state"]
_DATA = _COLUMN["data"]
_DOCUMENT = _COLUMN["document_sha256"]
_RECORDED = _COLUMN["recorded_at"]
_EFFECTIVE = _COLUMN["effective_at"]


@dataclass(slots=True)
class _Point:
    unit: str | None
    title: str | None
    state: str | None
    created_seq: int
    co: tuple[str, ...] = ()
    group: str | None = None


@dataclass(slots=True)
class TableReplay:
    """What the tables must hold, from the events fed to it."""

    points: dict[tuple[str, str], _Point] = field(default_factory=dict)
    grants: dict[int, tuple[str, str, str, str]] = field(default_factory=dict)  # seq -> row
    units: dict[str, set[str]] = field(default_factory=dict)
    names: dict[str, tuple[str, int]] = field(default_factory=dict)  # sha -> first name, seq
    withdrawn: dict[int, int] = field(default_factory=dict)  # withdrawn seq -> by seq
    rectifying: set[int] = field(default_factory=set)  # grants that are a return's 整改期限
    ended: dict[int, tuple[int, tuple[str, str, str, str]]] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)
    carried: CarriedReplay = field(default_factory=CarriedReplay)
    filings: FilingReplay = field(default_factory=FilingReplay)

    def feed(self, row: Sequence[Any]) -> None:
        """Take one event row (``seq``, content columns, ``prev_hash``, ``hash``)."""
        programme, point = row[_PROGRAMME], row[_POINT]
        document = row[_DOCUMENT]
        if document is not None and document not in self.names:
            name = _data(row[_DATA]).get("file")
            if isinstance(name, str):  # the event that first recorded it; the table keeps it
                self.names[document] = (name, row[0])
        if row[_TRIGGER] in (FILE_REPORT, WITHDRAW):
            self.filings.feed(
                row[0],
                programme,
                row[_TRIGGER],
                row[_UNIT],
                point,
                _data(row[_DATA]),
                row[_EFFECTIVE],
            )
        if point is None:
            self.carried.feed(row[0], programme, row[_TRIGGER], _data(row[_DATA]), row[_RECORDED])
            return
        data = _data(row[_DATA])
        key = (programme, point)
        if row[_TRIGGER] == ENROL_TRIGGER:
            title, co, group = data.get("title"), data.get("co"), data.get("group")
            self.points[key] = _Point(
                row[_UNIT],
                title if isinstance(title, str) else None,
                row[_DEST],
                row[0],
                tuple(str(u) for u in co) if isinstance(co, list) else (),
                group if isinstance(group, str) else None,
            )
            self.units.setdefault(programme, set()).add(row[_UNIT])
            return
        known = self.points.get(key)
        if known is not None and row[_DEST] is not None:
            known.state = row[_DEST]
        if row[_TRIGGER] == WITHDRAW and isinstance(data.get("corrects"), int):
            corrected = data["corrects"]
            self.withdrawn[corrected] = row[0]
            self.grants.pop(corrected, None)
            back = self.ended.pop(corrected, None)
            if back is not None:  # a withdrawn resubmission: the 整改期限 it ended is back
                self.grants[back[0]] = back[1]
            return
        ends = data.get("ends")
        if isinstance(ends, int) and ends in self.grants:
            self.ended[row[0]] = (ends, self.grants.pop(ends))
        step, until = data.get("step"), data.get("until")
        if isinstance(step, str) and isinstance(until, str):
            self.grants[row[0]] = (programme, point, step, until)
            if data.get("rectify") is True:
                self.rectifying.add(row[0])

    def feed_event(self, event: EventRow) -> None:
        """Take one event as the store's ports return it."""
        self.feed(event_values(event))

    # --- the rows as replayed ----------------------------------------------------------

    def point_rows(self, programme: str, stored: Iterable[PointRow] = ()) -> list[PointRow]:
        """The points of ``programme`` as the events fed so far make them, in the store's
        order (by enrolment event, then id); a title or state the trail does not carry is
        taken from ``stored``."""
        known = {p.point_id: p for p in stored}
        rows = []
        for (p, point_id), v in self.points.items():
            if p != programme:
                continue
            row = known.get(point_id)
            rows.append(
                PointRow(
                    programme,
                    point_id,
                    v.unit if v.unit is not None else (row.unit_id if row else ""),
                    v.title if v.title is not None else (row.title if row else ""),
                    v.state if v.state is not None else (row.state if row else ""),
                    v.created_seq,
                    v.co,
                    v.group,
                )
            )
        return sorted(rows, key=lambda r: (r.created_seq or 0, r.point_id))

    def granted(self, programme: str) -> dict[tuple[str, str], date]:
        """(point, step) -> due day of the extensions of ``programme`` granted by the events
        fed so far; the latest grant of a step is the one in force."""
        found: dict[tuple[str, str], date] = {}
        for _, (p, point, step, until) in sorted(self.grants.items()):
            if p != programme:
                continue
            try:
                found[(point, step)] = date.fromisoformat(until)
            except ValueError:
                continue  # not a day: the chain check reports the changed event
        return found

    def rectified(self, programme: str) -> frozenset[tuple[str, str]]:
        """The (point, step) of ``programme`` whose due day in force is a 整改期限."""
        latest: dict[tuple[str, str], int] = {}
        for seq, (p, point, step, _) in sorted(self.grants.items()):
            if p == programme:
                latest[(point, step)] = seq
        return frozenset(k for k, seq in latest.items() if seq in self.rectifying)

    # --- comparing -------------------------------------------------------------------

    def compare(self, tx: StoreTransaction, folder: DocumentFolder) -> list[str]:
        """Every difference between the tables in ``tx`` and the replayed trail."""
        pins = {p.id: p.definition_hash for p in tx.programmes()}
        programmes = set(pins) | {p for p, _ in self.points} | set(self.carried.pins)
        for programme in sorted(programmes):
            self._compare_points(programme, tx)
            self._compare_overrides(programme, tx)
            self._compare_units(programme, tx)
            self.carried.compare_pin(programme, pins.get(programme), self.findings)
            self.carried.compare_sent(programme, tx, self.findings)
            self.filings.compare(programme, tx, self.findings)
        self._compare_documents(tx, folder)
        return self.findings

    def _compare_points(self, programme: str, tx: StoreTransaction) -> None:
        stored = {p.point_id: p for p in tx.points(programme)}
        expected = {point: v for (p, point), v in self.points.items() if p == programme}
        for point_id in sorted(stored.keys() - expected.keys()):
            self.findings.append(
                f"突破点表中的 {programme}/{point_id} 在留痕中没有登记事件：该行不是由命令写入的"
            )
        for point_id in sorted(expected.keys() - stored.keys()):
            self.findings.append(
                f"留痕中登记过的突破点 {programme}/{point_id} 在突破点表中不存在：该行被删除"
            )
        for point_id in sorted(expected.keys() & stored.keys()):
            row, want = stored[point_id], expected[point_id]
            for column, in_table, in_trail in (
                ("所属单位", row.unit_id, want.unit),
                ("名称", row.title, want.title),
                ("状态", row.state, want.state),
                ("登记事件", row.created_seq, want.created_seq),
                ("责任单位", "、".join(row.co) or "（无）", "、".join(want.co) or "（无）"),
                ("牵头的组", row.group_id or "（无）", want.group or "（无）"),
            ):
                if in_trail is not None and in_table != in_trail:
                    self.findings.append(
                        f"突破点 {programme}/{point_id} 的{column}：表中为 {in_table}，"
                        f"留痕为 {in_trail}（表被改动）"
                    )

    def _compare_overrides(self, programme: str, tx: StoreTransaction) -> None:
        stored = tx.deadline_overrides(programme)
        granted = {seq: g for seq, g in self.grants.items() if g[0] == programme}
        seen: set[int] = set()
        for o in stored:
            grant = granted.get(o.event_seq)
            where = f"突破点 {programme}/{o.point_id} 的「{o.step}」延期至 {o.due.isoformat()}"
            if grant is None:
                by = self.withdrawn.get(o.event_seq)
                self.findings.append(
                    f"期限延长记录（{where}，记为第 {o.event_seq} 条留痕）在留痕中没有批准延期的事件"
                    if by is None
                    else f"期限延长记录（{where}）所依据的第 {o.event_seq} 条留痕已由第 {by} 条"
                    "撤回：该行应已删除"
                )
                continue
            seen.add(o.event_seq)
            if (grant[1], grant[2], grant[3]) != (o.point_id, o.step, o.due.isoformat()):
                self.findings.append(
                    f"期限延长记录与留痕第 {o.event_seq} 条不符：表中为 {where}，留痕为 "
                    f"突破点 {grant[1]} 的「{grant[2]}」延期至 {grant[3]}"
                )
        for seq in sorted(granted.keys() - seen):
            _, point, step, until = granted[seq]
            self.findings.append(
                f"留痕第 {seq} 条批准的延期（突破点 {programme}/{point} 的「{step}」延期至 "
                f"{until}）在期限延长表中不存在：该行被删除"
            )

    def _compare_units(self, programme: str, tx: StoreTransaction) -> None:
        enrolled = self.units.get(programme, set())
        for unit in sorted(set(tx.units(programme)) - enrolled):
            self.findings.append(f"单位表中的 {programme}/{unit} 在留痕中没有登记过突破点")

    def _compare_documents(self, tx: StoreTransaction, folder: DocumentFolder) -> None:
        for doc in tx.documents():
            recorded = self.names.get(doc.sha256)
            if recorded is not None and recorded[0] != doc.original_name:
                self.findings.append(
                    f"文件 {doc.sha256} 的原文件名：表中为 {doc.original_name}，"
                    f"留痕第 {recorded[1]} 条记为 {recorded[0]}（表被改动）"
                )
            expected = folder.relpath_for(doc.sha256)
            if doc.stored_at != expected:
                self.findings.append(
                    f"文件 {doc.sha256} 的存放位置记为 {doc.stored_at!r}，"
                    f"而按其内容哈希应为 {expected!r}（文件表被改动）"
                )


def _data(text: str | bytes | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {}  # the chain check reports a changed event; nothing to replay from it
    return value if isinstance(value, dict) else {}


def event_values(event: EventRow) -> tuple[Any, ...]:
    """``event`` as the plain row ``feed`` takes (``seq``, content columns, hashes)."""
    return astuple(event)


def replay(rows: Iterable[Sequence[Any]]) -> TableReplay:
    """A replay fed with ``rows`` (for tests and tools that have the events at hand)."""
    found = TableReplay()
    for row in rows:
        found.feed(row)
    return found
