"""The ``events`` and ``trail_head`` tables: the append-only, hash-chained trail.

Appending takes the head of the chain (locking its row), seals the new rows with
:func:`engine.runtime.chain.chain_rows`, inserts them on the driver path and moves the head.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from engine.runtime.chain import canonical_json, chain_rows
from engine.runtime.corrections import WITHDRAW
from engine.runtime.records import EventDraft, EventRow, iso_timestamp
from engine.runtime.store.schema import EVENT_COLUMNS, EVENTS, HEAD
from engine.runtime.store.sql import DriverStatement, TableAccess

__all__ = ["EventTables"]

_INSERT = DriverStatement(
    EVENTS.insert().values({name: sa.bindparam(name) for name in EVENT_COLUMNS}), EVENT_COLUMNS
)
_HEAD = sa.select(HEAD.c.seq, HEAD.c.hash).where(HEAD.c.id == 1)
# A programme task's records and the programme's withdrawals, in one indexed query.
_TASK_RECORDS = sa.select(EVENTS.c.seq, EVENTS.c.trigger, EVENTS.c.data).where(
    EVENTS.c.programme_id == sa.bindparam("p"),
    EVENTS.c.trigger.in_([sa.bindparam("t"), sa.bindparam("w")]),
)
# Each point's moves, for the state histories recurring reports are owed by.
_MOVES = DriverStatement(
    sa.select(EVENTS.c.point_id, EVENTS.c.dest_state, EVENTS.c.effective_at)
    .where(
        EVENTS.c.programme_id == sa.bindparam("p"),
        EVENTS.c.point_id.is_not(None),
        EVENTS.c.dest_state.is_not(None),
    )
    .order_by(EVENTS.c.seq),
    ["p"],
)
_VALUES = sa.select(*(EVENTS.c[name] for name in EVENT_COLUMNS)).order_by(EVENTS.c.seq)


class EventTables(TableAccess):
    """The trail (satisfies :class:`~engine.runtime.ports.EventRecords`)."""

    def chain_head(self, *, for_update: bool = False) -> tuple[int, str]:
        """``(seq, hash)`` of the newest event; ``(0, GENESIS_HASH)`` for an empty trail."""
        stmt = _HEAD.with_for_update() if for_update else _HEAD
        seq, head = self._usable().execute(stmt).one()
        return int(seq), str(head)

    def append_events(self, drafts: Iterable[EventDraft], at: datetime) -> list[EventRow]:
        """Append events to the chain, recorded at ``at``; return them as stored."""
        self._usable(write=True)
        recorded = iso_timestamp(at)
        contents = [
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
            for d in drafts
        ]
        if not contents:
            return []
        last_seq, last_hash = self.chain_head(for_update=True)
        rows = chain_rows(contents, last_seq, last_hash)
        self._write_many(_INSERT, rows)
        self._conn.execute(
            HEAD.update().where(HEAD.c.id == 1).values(seq=rows[-1][0], hash=rows[-1][-1])
        )
        return [EventRow(*r) for r in rows]

    def events(
        self,
        programme_id: str | None = None,
        point_id: str | None = None,
        *,
        after_seq: int = 0,
        limit: int | None = None,
    ) -> list[EventRow]:
        """Events in seq order, optionally of one programme / point, after a given seq."""
        stmt = EVENTS.select().where(EVENTS.c.seq > after_seq)
        if programme_id is not None:
            stmt = stmt.where(EVENTS.c.programme_id == programme_id)
        if point_id is not None:
            stmt = stmt.where(EVENTS.c.point_id == point_id)
        stmt = stmt.order_by(EVENTS.c.seq).limit(limit)
        return [EventRow(*r) for r in self._usable().execute(stmt)]

    def events_page(
        self,
        programme_id: str,
        *,
        point_id: str | None = None,
        unit_ids: Iterable[str] | None = None,
        triggers: Iterable[str] | None = None,
        data_contains: str | None = None,
        recorded_from: str | None = None,
        recorded_before: str | None = None,
        after_seq: int = 0,
        limit: int = 200,
    ) -> list[EventRow]:
        """At most ``limit`` events of a programme after ``after_seq``, in seq order, that
        match every filter given (in SQL: a page of the trail, never the whole of it).
        ``data_contains`` is a substring of the event's JSON data; ``recorded_from`` /
        ``recorded_before`` bound ``recorded_at`` as text (ISO times)."""
        e = EVENTS.c
        stmt = EVENTS.select().where(e.programme_id == programme_id, e.seq > after_seq)
        if point_id is not None:
            stmt = stmt.where(e.point_id == point_id)
        if unit_ids is not None:
            stmt = stmt.where(e.unit_id.in_(sorted(set(unit_ids))))
        if triggers is not None:
            stmt = stmt.where(e.trigger.in_(sorted(set(triggers))))
        if data_contains:
            stmt = stmt.where(e.data.contains(data_contains, autoescape=True))
        if recorded_from is not None:
            stmt = stmt.where(e.recorded_at >= recorded_from)
        if recorded_before is not None:
            stmt = stmt.where(e.recorded_at < recorded_before)
        stmt = stmt.order_by(e.seq).limit(limit)
        return [EventRow(*r) for r in self._usable().execute(stmt)]

    def state_moves(self, programme_id: str) -> list[tuple[str, str, str]]:
        """(point, state entered, effective_at) of every move of a point, in seq order."""
        return [tuple(r) for r in self._fetch(_MOVES, (programme_id,))]

    def events_with_document(self, programme_id: str, sha256: str) -> list[EventRow]:
        """Events of a programme that carry the document with this digest."""
        stmt = EVENTS.select().where(
            EVENTS.c.programme_id == programme_id, EVENTS.c.document_sha256 == sha256
        )
        return [EventRow(*r) for r in self._usable().execute(stmt.order_by(EVENTS.c.seq))]

    def events_for(self, programme_id: str, trigger: str) -> list[EventRow]:
        """Events of a programme with one trigger (e.g. a programme-level task), in order."""
        stmt = EVENTS.select().where(
            EVENTS.c.programme_id == programme_id, EVENTS.c.trigger == trigger
        )
        return [EventRow(*r) for r in self._usable().execute(stmt.order_by(EVENTS.c.seq))]

    def task_done(self, programme_id: str, task_id: str) -> bool:
        """Whether a programme-level task has been recorded (an event with its id) and
        that record still stands (not withdrawn: ``engine.runtime.corrections``)."""
        params = {"p": programme_id, "t": task_id, "w": WITHDRAW}
        done: set[int] = set()
        gone: set[object] = set()
        for seq, trigger, data in self._usable().execute(_TASK_RECORDS, params):
            if trigger == task_id:
                done.add(seq)
            elif data is not None:  # a withdrawal (rare): which record it withdrew
                gone.add(json.loads(data).get("corrects"))
        return bool(done - gone)

    def last_event(self) -> EventRow | None:
        stmt = EVENTS.select().order_by(EVENTS.c.seq.desc()).limit(1)
        found = self._usable().execute(stmt).first()
        return EventRow(*found) if found else None

    def iter_event_values(self, batch: int = 10_000) -> Iterator[tuple[Any, ...]]:
        """Every event as a plain tuple of column values, in seq order, read in batches."""
        conn = self._usable()
        after = -1
        while True:
            rows = conn.execute(_VALUES.where(EVENTS.c.seq > after).limit(batch)).all()
            for row in rows:
                yield tuple(row)
            if len(rows) < batch:
                return
            after = rows[-1][0]
