"""A store held in memory: the ports of :mod:`engine.runtime.ports` without a database.

It keeps the same rules as the SQL store, so that the contract suite
(``tests/runtime/contract/``) runs unchanged against it: the same chain and hashes (sealed by
:mod:`engine.runtime.chain`), the same orders, the same refusals (a missing unit, document,
point or event is a constraint violation), all-or-nothing transactions and read-only ones
that refuse every write.

A write transaction holds the database's writer lock (waiting at most ``busy_timeout``
seconds, as the SQL store waits for its write lock) and works on a copy of the tables that
replaces them on commit; a read-only transaction reads the tables as they were when it
began. Several :class:`MemoryStore` handles on one :class:`MemoryDatabase` behave like
several processes on one SQL store. Nothing survives the process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, cast

from engine.errors import ITEM, ConcurrentWrite, StoreError
from engine.runtime import ports
from engine.runtime.chain import GENESIS_HASH, canonical_json, chain_rows
from engine.runtime.corrections import WITHDRAW, withdrawn
from engine.runtime.documents import DocumentFolder, StoredDocument
from engine.runtime.records import (
    SENT_STATUSES,
    DeadlineOverride,
    DocumentRow,
    EventDraft,
    EventRow,
    Filed,
    FilingRow,
    PointRow,
    ProgrammeRow,
    SentRow,
    iso_timestamp,
)

__all__ = ["MemoryDatabase", "MemoryStore", "MemoryTransaction"]

_IN_MEMORY = "内存存储库"


@dataclass(slots=True)
class _Tables:
    """Every table; rows are frozen, so a copy needs only new containers."""

    programmes: dict[str, ProgrammeRow] = field(default_factory=dict)
    units: set[tuple[str, str]] = field(default_factory=set)
    points: dict[tuple[str, str], PointRow] = field(default_factory=dict)
    events: list[EventRow] = field(default_factory=list)
    head: tuple[int, str] = (0, GENESIS_HASH)
    documents: dict[str, DocumentRow] = field(default_factory=dict)
    overrides: dict[tuple[str, str, str, int], DeadlineOverride] = field(default_factory=dict)
    sent: dict[tuple[str, str, str, str], SentRow] = field(default_factory=dict)
    filings: dict[tuple[str, str, str, str, str], FilingRow] = field(default_factory=dict)

    def copy(self) -> _Tables:
        return _Tables(
            dict(self.programmes),
            set(self.units),
            dict(self.points),
            list(self.events),
            self.head,
            dict(self.documents),
            dict(self.overrides),
            dict(self.sent),
            dict(self.filings),
        )


class MemoryDatabase:
    """The tables several :class:`MemoryStore` handles share, and the writers' lock."""

    def __init__(self) -> None:
        self.tables = _Tables()
        self.writer = threading.Lock()


class MemoryStore:
    """An open in-memory store (satisfies :class:`~engine.runtime.ports.StorePort`)."""

    def __init__(
        self,
        documents_dir: str | os.PathLike[str],
        database: MemoryDatabase | None = None,
        *,
        busy_timeout: float = 30.0,
    ) -> None:
        self.location = _IN_MEMORY
        self.documents = DocumentFolder(documents_dir)
        self.database = database if database is not None else MemoryDatabase()
        self.busy_timeout = busy_timeout
        self._closed = False
        self._local = threading.local()

    def __repr__(self) -> str:
        return f"MemoryStore({str(self.documents.root)!r})"

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Refuse further transactions (the tables stay with the database). Idempotent."""
        self._closed = True

    @property
    def closed(self) -> bool:
        return self._closed

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[MemoryTransaction]:
        """One transaction: committed when the block ends, discarded when it raises."""
        if self._closed:
            raise StoreError(f"存储库 {self.location} 已关闭")
        if getattr(self._local, "active", False):
            raise RuntimeError("store transactions do not nest; pass the open one along")
        self._local.active = True
        try:
            if readonly:
                tx = MemoryTransaction(self.database.tables, self.location, writable=False)
                try:
                    yield tx
                finally:
                    tx._end()
                return
            if not self.database.writer.acquire(timeout=self.busy_timeout):
                raise ConcurrentWrite(
                    f"存储库 {self.location} 正被另一个进程写入，等待 {self.busy_timeout:g} "
                    "秒后仍未释放。请稍后重试。"
                )
            try:
                tx = MemoryTransaction(self.database.tables.copy(), self.location, writable=True)
                try:
                    yield tx
                finally:
                    tx._end()
                self.database.tables = tx._tables
            finally:
                self.database.writer.release()
        finally:
            self._local.active = False


class MemoryTransaction:
    """The operations inside :meth:`MemoryStore.transaction` (every record port)."""

    def __init__(self, tables: _Tables, location: str, *, writable: bool) -> None:
        self._tables = tables
        self._location = location
        self._writable = writable
        self._closed = False

    def _end(self) -> None:
        self._closed = True

    def _read(self) -> _Tables:
        if self._closed:
            raise RuntimeError("this transaction has ended")
        return self._tables

    def _write(self) -> _Tables:
        tables = self._read()
        if not self._writable:
            raise RuntimeError("write attempted in a read-only transaction")
        return tables

    def _violation(self, what: str) -> StoreError:
        return StoreError(f"写入存储库 {self._location} 被拒绝，违反了数据约束：{what}")

    def _require_programme(self, tables: _Tables, programme_id: str) -> None:
        if programme_id not in tables.programmes:
            raise self._violation(f"工作方案 {programme_id} 不存在")

    # -- programmes and units --------------------------------------------------------------

    def get_programme(self, programme_id: str) -> ProgrammeRow | None:
        return self._read().programmes.get(programme_id)

    def programmes(self) -> list[ProgrammeRow]:
        return sorted(self._read().programmes.values(), key=lambda p: p.id)

    def put_programme(
        self, programme_id: str, title: str, year: int, definition_hash: str, at: datetime
    ) -> ProgrammeRow:
        tables = self._write()
        if programme_id in tables.programmes:
            raise StoreError(f"工作方案 {programme_id} 已经登记，不能重复登记")
        row = ProgrammeRow(programme_id, title, year, definition_hash, iso_timestamp(at))
        tables.programmes[programme_id] = row
        return row

    def set_definition_hash(self, programme_id: str, definition_hash: str) -> None:
        tables = self._write()
        row = tables.programmes.get(programme_id)
        if row is None:
            raise StoreError(f"工作方案 {programme_id} 尚未登记")
        tables.programmes[programme_id] = replace(row, definition_hash=definition_hash)

    def ensure_units(self, programme_id: str, unit_ids: Iterable[str]) -> int:
        tables = self._write()
        new = [u for u in dict.fromkeys(unit_ids) if (programme_id, u) not in tables.units]
        if new:
            self._require_programme(tables, programme_id)
            tables.units.update((programme_id, u) for u in new)
        return len(new)

    def units(self, programme_id: str) -> list[str]:
        return sorted(u for p, u in self._read().units if p == programme_id)

    # -- points ----------------------------------------------------------------------------

    def add_points(self, points: Iterable[PointRow]) -> None:
        tables = self._write()
        for point in points:
            key = (point.programme_id, point.point_id)
            if (point.programme_id, point.unit_id) not in tables.units:
                raise self._violation(f"单位 {point.unit_id} 未登记")
            if key in tables.points:
                raise self._violation(f"{ITEM} {point.point_id} 已存在")
            tables.points[key] = point

    def get_point(self, programme_id: str, point_id: str) -> PointRow | None:
        return self._read().points.get((programme_id, point_id))

    def points(
        self,
        programme_id: str,
        unit: str | None = None,
        state: str | None = None,
        *,
        units: Iterable[str] | None = None,
    ) -> list[PointRow]:
        wanted = None if units is None else set(units)
        found = [
            p
            for p in self._read().points.values()
            if p.programme_id == programme_id
            and (unit is None or p.unit_id == unit)
            and (wanted is None or p.unit_id in wanted)
            and (state is None or p.state == state)
        ]
        # Enrolment order, points without a creating event first (as SQLite sorts NULL).
        return sorted(
            found, key=lambda p: (p.created_seq is not None, p.created_seq or 0, p.point_id)
        )

    def count_points_by_unit(self, programme_id: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for p in self._read().points.values():
            if p.programme_id == programme_id:
                counts[p.unit_id] = counts.get(p.unit_id, 0) + 1
        return counts

    def point_ids(self, programme_id: str, candidates: Iterable[str]) -> set[str]:
        points = self._read().points
        return {c for c in candidates if (programme_id, c) in points}

    def set_states(self, programme_id: str, states: Mapping[str, str]) -> None:
        tables = self._write()
        missing = [p for p in states if (programme_id, p) not in tables.points]
        if missing:
            raise StoreError(f"工作方案 {programme_id} 中没有{ITEM}：{'、'.join(missing[:10])}")
        for point_id, state in states.items():
            key = (programme_id, point_id)
            tables.points[key] = replace(tables.points[key], state=state)

    # -- the trail -------------------------------------------------------------------------

    def chain_head(self, *, for_update: bool = False) -> tuple[int, str]:
        return self._read().head

    def append_events(self, drafts: Iterable[EventDraft], at: datetime) -> list[EventRow]:
        tables = self._write()
        recorded = iso_timestamp(at)
        contents = []
        for d in drafts:
            self._require_programme(tables, d.programme_id)
            if d.document_sha256 is not None and d.document_sha256 not in tables.documents:
                raise self._violation(f"文件 {d.document_sha256} 未登记")
            contents.append(
                (
                    d.programme_id,
                    d.point_id,
                    d.unit_id,
                    d.trigger,
                    d.source_state,
                    d.dest_state,
                    d.actor,
                    d.document_sha256,
                    d.decision,
                    d.reason,
                    None if d.data is None else canonical_json(d.data),
                    recorded,
                    recorded if d.effective_at is None else iso_timestamp(d.effective_at),
                )
            )
        if not contents:
            return []
        rows = [EventRow(*r) for r in chain_rows(contents, *tables.head)]
        tables.events.extend(rows)
        tables.head = (rows[-1].seq, rows[-1].hash)
        return rows

    def events(
        self,
        programme_id: str | None = None,
        point_id: str | None = None,
        *,
        after_seq: int = 0,
        limit: int | None = None,
    ) -> list[EventRow]:
        found = [
            e
            for e in self._read().events
            if e.seq > after_seq
            and (programme_id is None or e.programme_id == programme_id)
            and (point_id is None or e.point_id == point_id)
        ]
        return found if limit is None else found[:limit]

    def state_moves(self, programme_id: str) -> list[tuple[str, str, str]]:
        return [
            (e.point_id, e.dest_state, e.effective_at)
            for e in self._read().events
            if e.programme_id == programme_id and e.point_id is not None and e.dest_state
        ]

    def events_with_document(self, programme_id: str, sha256: str) -> list[EventRow]:
        return [
            e
            for e in self._read().events
            if e.programme_id == programme_id and e.document_sha256 == sha256
        ]

    def events_for(self, programme_id: str, trigger: str) -> list[EventRow]:
        return [
            e
            for e in self._read().events
            if e.programme_id == programme_id and e.trigger == trigger
        ]

    def task_done(self, programme_id: str, task_id: str) -> bool:
        done = {e.seq for e in self.events_for(programme_id, task_id)}
        return bool(done) and bool(done - withdrawn(self.events_for(programme_id, WITHDRAW)).keys())

    def last_event(self) -> EventRow | None:
        events = self._read().events
        return events[-1] if events else None

    def iter_event_values(self, batch: int = 10_000) -> Iterator[tuple[Any, ...]]:
        for event in list(self._read().events):
            yield tuple(getattr(event, name) for name in EventRow.__slots__)

    # -- documents -------------------------------------------------------------------------

    def put_document(self, stored: StoredDocument, at: datetime) -> bool:
        tables = self._write()
        if stored.sha256 in tables.documents:
            return False
        tables.documents[stored.sha256] = DocumentRow(
            stored.sha256, stored.size, stored.original_name, stored.relpath, iso_timestamp(at)
        )
        return True

    def get_document(self, sha256: str) -> DocumentRow | None:
        return self._read().documents.get(sha256)

    def documents(self) -> list[DocumentRow]:
        return sorted(self._read().documents.values(), key=lambda d: (d.first_seen_at, d.sha256))

    # -- deadline extensions ---------------------------------------------------------------

    def add_deadline_override(
        self, programme_id: str, point_id: str, step: str, due: date, event_seq: int
    ) -> DeadlineOverride:
        tables = self._write()
        key = (programme_id, point_id, step, event_seq)
        if (programme_id, point_id) not in tables.points:
            raise self._violation(f"{ITEM} {point_id} 不存在")
        if not 0 < event_seq <= tables.head[0]:
            raise self._violation(f"事件 #{event_seq} 不存在")
        if key in tables.overrides:
            raise self._violation(f"{ITEM} {point_id} 的 {step} 已按事件 #{event_seq} 延期")
        row = DeadlineOverride(programme_id, point_id, step, due, event_seq)
        tables.overrides[key] = row
        return row

    def deadline_overrides(
        self, programme_id: str, point_id: str | None = None
    ) -> list[DeadlineOverride]:
        found = [
            o
            for o in self._read().overrides.values()
            if o.programme_id == programme_id and (point_id is None or o.point_id == point_id)
        ]
        return sorted(found, key=lambda o: (o.event_seq, o.point_id, o.step))

    def remove_deadline_overrides(self, programme_id: str, point_id: str, event_seq: int) -> int:
        tables = self._write()
        keys = [
            k
            for k in tables.overrides
            if k[0] == programme_id and k[1] == point_id and k[3] == event_seq
        ]
        for key in keys:
            del tables.overrides[key]
        return len(keys)

    # -- the send log ----------------------------------------------------------------------

    def record_sent(
        self,
        programme_id: str,
        rule: str,
        unit_id: str,
        occurrence: str,
        status: str,
        message_id: str | None,
        at: datetime,
    ) -> bool:
        if status not in SENT_STATUSES:
            raise ValueError(f"unknown send status {status!r}")
        tables = self._write()
        row = SentRow(
            programme_id, rule, unit_id, occurrence, status, message_id, iso_timestamp(at)
        )
        key = (programme_id, rule, unit_id, occurrence)
        if key in tables.sent:
            return False
        self._require_programme(tables, programme_id)
        tables.sent[key] = row
        return True

    def get_sent(
        self, programme_id: str, rule: str, unit_id: str, occurrence: str
    ) -> SentRow | None:
        return self._read().sent.get((programme_id, rule, unit_id, occurrence))

    def sent(self, programme_id: str) -> list[SentRow]:
        found = [s for s in self._read().sent.values() if s.programme_id == programme_id]
        return sorted(found, key=lambda s: (s.recorded_at, s.rule, s.unit_id, s.occurrence))

    # -- filed occurrences of recurring reports ----------------------------------------------

    def add_filing(self, row: FilingRow) -> bool:
        tables = self._write()
        key = (row.programme_id, row.rule, row.period, row.unit_id, row.point_id)
        if key in tables.filings:
            return False
        self._require_programme(tables, row.programme_id)
        if not 1 <= row.event_seq <= tables.head[0]:  # the trail has no gaps
            raise self._violation(f"留痕第 {row.event_seq} 条不存在")
        tables.filings[key] = row
        return True

    def filings(
        self, programme_id: str, rule: str | None = None, period: str | None = None
    ) -> list[FilingRow]:
        found = [
            f
            for f in self._read().filings.values()
            if f.programme_id == programme_id
            and (rule is None or f.rule == rule)
            and (period is None or f.period == period)
        ]
        return sorted(found, key=lambda f: (f.event_seq, f.point_id))

    def filed(
        self, programme_id: str, rule: str | None = None, period: str | None = None
    ) -> list[Filed]:
        rows = [
            (f.rule, f.period, f.unit_id, f.point_id, f.filed_at)
            for f in self.filings(programme_id, rule, period)
        ]
        return sorted(rows, key=lambda r: (r[0], r[1]))

    def remove_filings(self, programme_id: str, event_seq: int) -> int:
        tables = self._write()
        keys = [
            k
            for k, f in tables.filings.items()
            if f.programme_id == programme_id and f.event_seq == event_seq
        ]
        for key in keys:
            del tables.filings[key]
        return len(keys)


# Structural checks (mypy): the in-memory store offers the same ports as the SQL one.
_transaction: ports.StoreTransaction = cast(MemoryTransaction, None)
_store: ports.StorePort = cast(MemoryStore, None)
