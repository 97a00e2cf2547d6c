"""A programme's state kept in a process that serves it again and again (the desk).

Every page of the desk is a view of the whole programme: the office's dashboard judges every
item, a unit's page the duties and rates around its own. Read from nothing, that is the whole
trail and every point, for each new submission. ``LiveReads`` keeps the last snapshot (with
its trail) and the rows the views built from it: a read takes only what the store gained
since (``engine.runtime.advance``), and the views build rows again only for the items the new
events touched (``engine.views.memo``). What it serves is what a fresh read would give; the
tests compare the two after every kind of event.

One ``LiveReads`` per programme and process; its reads take a lock, so that concurrent
requests advance the snapshot once and share it. Each process keeps its own: several desks
on one PostgreSQL store see each other's writes through the store.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from engine.errors import StoreError
from engine.runtime.advance import advance_snapshot, point_positions
from engine.runtime.snapshot import Snapshot, read_inputs, read_snapshot
from engine.runtime.store import EventRow
from engine.views.memo import RowMemo

if TYPE_CHECKING:
    from engine.app.programme import Programme

__all__ = ["LiveReads", "OfficeRead"]


@dataclass(frozen=True, slots=True)
class OfficeRead:
    """The office's dashboard from one read of the store: the snapshot with its trail and
    sent-log, the status table's and the 汇总表's data built from it, at ``now``."""

    snapshot: Snapshot
    status: dict[str, Any]
    summary: dict[str, Any]
    now: datetime


class LiveReads:
    """One programme's snapshot and view rows, kept and advanced (see the module)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._status = RowMemo()
        self._summary = RowMemo()
        self._trails: dict[str, list[EventRow]] = {}  # each point's events, in order
        self._positions: dict[str, int] = {}  # each point's place in the snapshot's points
        self.reads = 0  # snapshots read from nothing (the first, or the chain was not ours)
        self.advances = 0  # snapshots advanced by the events since

    def snapshot(self, programme: Programme) -> Snapshot:
        """The programme as the store holds it now, with its trail and sent-log."""
        with self._lock:
            return self._current(programme)

    def office(self, programme: Programme) -> OfficeRead:
        """The dashboard's data: status and 汇总表 of every item, at the programme's now."""
        from engine.views.recurring import occurrence_duties
        from engine.views.status import build_status
        from engine.views.summary import build_summary

        programme.runtime.check_pinned()
        with self._lock:
            snapshot = self._current(programme)
            now = programme.now()
            definition = programme.definition
            periods = occurrence_duties(definition, snapshot, now)  # for both tables
            return OfficeRead(
                snapshot,
                build_status(definition, snapshot, now, memo=self._status, periods=periods),
                build_summary(definition, snapshot, now, memo=self._summary, periods=periods),
                now,
            )

    def status(self, programme: Programme, unit: str | None = None) -> dict[str, Any]:
        """``Programme.status`` at the programme's now (all items, or ``unit``'s)."""
        from engine.views.status import build_status

        programme.runtime.check_pinned()
        if unit is not None:
            unit = programme.resolve_unit(unit)
        with self._lock:
            snapshot = self._current(programme)
            return build_status(
                programme.definition, snapshot, programme.now(), unit, memo=self._status
            )

    def items(self, programme: Programme, unit: str) -> list[dict[str, Any]]:
        """The status rows of ``unit``'s items (as lead or co-responsible unit) at the
        programme's now: a unit's page, without the whole programme's rates and duties."""
        from engine.views.status import status_rows

        programme.runtime.check_pinned()
        unit = programme.resolve_unit(unit)
        with self._lock:
            snapshot = self._current(programme)
            return status_rows(
                programme.definition, snapshot, programme.now(), unit, memo=self._status
            )

    def trails(self, points: Iterable[str]) -> dict[str, tuple[EventRow, ...]]:
        """Each of ``points``' events in order, as the snapshot last read holds them (the
        history a page shows beside the rows it read just before)."""
        with self._lock:
            return {p: tuple(self._trails.get(p, ())) for p in points}

    def _current(self, programme: Programme) -> Snapshot:
        store = programme.store
        if store is None:
            raise StoreError("未打开存储库：此操作需要存储库")
        inputs = read_inputs(programme.definition)
        with store.transaction(readonly=True) as tx:
            found = None
            if self._snapshot is not None and self._snapshot.programme_id == programme.id:
                found = advance_snapshot(tx, self._snapshot, *inputs, self._positions)
            if found is None:
                found = read_snapshot(tx, programme.id, store.location, *inputs, with_events=True)
                self.reads += 1
                self._trails = {}
                self._index(found.trail)
                self._positions = point_positions(found.points)
            elif found is not self._snapshot:
                self.advances += 1
                kept = self._snapshot.trail if self._snapshot is not None else ()
                self._index(found.trail[len(kept) :])
        if len(self._positions) != len(found.points):  # items enrolled: the store's order
            self._positions = point_positions(found.points)  # (the rest keep their places)
        self._snapshot = found
        return found

    def _index(self, events: Iterable[EventRow]) -> None:
        for e in events:
            if e.point_id is not None:
                self._trails.setdefault(e.point_id, []).append(e)
