"""The reads the desk needs beyond the command line's: one trail event, a stored document
with the events that carry it and the items they are on, a page of the trail filtered in
the store, the office's dashboard read at once, and the mark of the store's state its
pages are cached by.

Each is one read-only transaction of the programme's store. A document is looked up by its
SHA-256 only (never by a path a user gave) and read at the place its hash gives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.app.live import LiveReads, OfficeRead
from engine.app.programme import Programme
from engine.errors import StoreError
from engine.runtime.snapshot import Snapshot
from engine.runtime.store import DocumentRow, EventRow, PointRow, Store

if TYPE_CHECKING:
    from engine.delivery.dispatch import RunResult

__all__ = [
    "FoundDocument",
    "OfficeRead",
    "Stuck",
    "TrailQuery",
    "find_document",
    "find_event",
    "find_point",
    "read_office",
    "store_mark",
    "stuck_items",
    "trail_page",
    "urge_by_hand",
]

_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class FoundDocument:
    row: DocumentRow
    path: Path
    events: tuple[EventRow, ...]  # the programme's events that carry it
    points: dict[str, PointRow]  # the items those events are on, by id


def _store_of(programme: Programme) -> Store:
    if programme.store is None:
        raise StoreError("未打开存储库：此操作需要存储库")
    return programme.store


def find_point(programme: Programme, point: str) -> PointRow | None:
    """Item ``point`` of this programme as stored, or None (one indexed read)."""
    with _store_of(programme).transaction(readonly=True) as tx:
        return tx.get_point(programme.id, point)


def find_event(programme: Programme, seq: int) -> EventRow | None:
    """Event ``seq`` of this programme, or None."""
    store = _store_of(programme)
    with store.transaction(readonly=True) as tx:
        found = tx.events(programme.id, after_seq=seq - 1, limit=1)
    return found[0] if found and found[0].seq == seq else None


def find_document(programme: Programme, sha256: str) -> FoundDocument | None:
    """The document with digest ``sha256`` that an event of this programme carries, or None
    (also for anything that is not a lower-case SHA-256 hex digest)."""
    if not _SHA256.fullmatch(sha256):
        return None
    store = _store_of(programme)
    with store.transaction(readonly=True) as tx:
        events = tx.events_with_document(programme.id, sha256)
        row = tx.get_document(sha256) if events else None
        ids = dict.fromkeys(e.point_id for e in events if e.point_id is not None)
        found = [tx.get_point(programme.id, point) for point in ids] if row else []
    if row is None:
        return None
    root = store.documents.root.resolve()
    path = store.documents.path_for(sha256).resolve()
    if root not in path.parents or not path.is_file():
        return None
    points = {p.point_id: p for p in found if p is not None}
    return FoundDocument(row, path, tuple(events), points)


def store_mark(programme: Programme) -> tuple[int, str, int]:
    """What the desk's pages of ``programme`` depend on in the store, cheaply read: the
    chain's head (every state, point and due day comes from an event) and the size of the
    sent-log (append-only). Pages judged on the same day with the same mark are the same."""
    store = _store_of(programme)
    with store.transaction(readonly=True) as tx:
        seq, head = tx.chain_head()
        sent = tx.sent_count(programme.id)
    return seq, head, sent


def read_office(programme: Programme, live: LiveReads | None = None) -> OfficeRead:
    """The dashboard's data in one read-only transaction: advanced from what ``live`` kept
    (the desk), or read afresh."""
    return (live or LiveReads()).office(programme)


@dataclass(frozen=True, slots=True)
class TrailQuery:
    """The trail's filters as the store applies them: ``None`` for no filter. ``units``
    and ``triggers`` are sets of ids (empty: nothing matches); ``operator`` a substring of
    the 经办人; ``since`` / ``until`` local days, both included."""

    point: str | None = None
    units: frozenset[str] | None = None
    triggers: frozenset[str] | None = None
    operator: str | None = None
    since: date | None = None
    until: date | None = None


def trail_page(
    programme: Programme, query: TrailQuery, after_seq: int = 0, limit: int = 200
) -> tuple[list[EventRow], int | None]:
    """At most ``limit`` events after ``after_seq`` matching ``query``, and the seq to go on
    after (None: no more). The store filters and limits; the exact day (in the programme's
    time zone) and the operator are checked here on the few rows it returns."""
    if (query.units is not None and not query.units) or (
        query.triggers is not None and not query.triggers
    ):
        return [], None
    zone = programme.definition.zone
    # recorded_at is ISO text with its own offset: bound it a day wider in SQL, exactly here.
    since = (query.since - timedelta(days=1)).isoformat() if query.since else None
    until = (query.until + timedelta(days=2)).isoformat() if query.until else None
    # The operator is in the JSON data: narrowed there by its text unless JSON escapes it.
    plain = (
        query.operator
        and not any(ch in query.operator for ch in '"\\')
        and query.operator.isprintable()
    )
    needle = query.operator if plain else None
    store = _store_of(programme)
    shown: list[EventRow] = []
    after = after_seq
    with store.transaction(readonly=True) as tx:
        while len(shown) < limit:
            rows = tx.events_page(
                programme.id,
                point_id=query.point,
                unit_ids=query.units,
                triggers=query.triggers,
                data_contains=needle,
                recorded_from=since,
                recorded_before=until,
                after_seq=after,
                limit=limit,
            )
            for e in rows:
                if _matches(e, query, zone):
                    shown.append(e)
                    if len(shown) == limit:
                        return shown, e.seq
            if len(rows) < limit:
                return shown, None
            after = rows[-1].seq
    return shown, None


def _matches(e: EventRow, query: TrailQuery, zone: Any) -> bool:
    if query.operator and query.operator not in str(e.extras.get("operator") or ""):
        return False
    if query.since or query.until:
        day = datetime.fromisoformat(e.recorded_at).astimezone(zone).date()
        if (query.since and day < query.since) or (query.until and day > query.until):
            return False
    return True


def urge_by_hand(programme: Programme, step: str) -> RunResult:
    """A 催报 sent now, by hand, to the units owing ``step`` past its due day, through the
    reminder code path, mail queue and sent-log of ``remind``; the programme's operator
    (the signed-in person) is recorded on its ``notify`` event."""
    programme.runtime.check_pinned()
    runner = programme.reminder_runner(programme.open_queue())
    return runner.urge_by_hand(step, programme.now(), programme.operator)


@dataclass(frozen=True, slots=True)
class Stuck:
    """An item that has stayed in its state: since which day, for how many working days."""

    point: str
    unit: str
    title: str
    state: str
    since: date
    working_days: int


def stuck_items(programme: Programme, snapshot: Snapshot, days: int) -> list[Stuck]:
    """The items (not in a final state) that entered their state more than ``days`` working
    days before today, longest first; read from the snapshot's trail (the last standing
    event that moved each item into its state: see ``_entered``)."""
    from engine.delivery.noticecontext import working_days_between
    from engine.runtime.progress import ProgressView

    view = ProgressView.of(programme.definition)
    zone = programme.definition.zone
    today = view.local_date(programme.now())
    entered = _entered(snapshot)
    final = programme.definition.index.final_states
    counted: dict[date, int] = {}  # one count per day: many items share one
    days_of: dict[str, date] = {}  # and one day per moment: a decision moves many at once
    found = []
    for p in snapshot.points:
        if p.state in final or p.point_id not in entered:
            continue
        moment = entered[p.point_id]
        since = days_of.get(moment)
        if since is None:
            since = days_of[moment] = datetime.fromisoformat(moment).astimezone(zone).date()
        if since not in counted:
            counted[since] = -working_days_between(view, today, since)
        if counted[since] > days:
            found.append(Stuck(p.point_id, p.unit_id, p.title, p.state, since, counted[since]))
    found.sort(key=lambda s: (-s.working_days, s.point))
    return found


def _entered(snapshot: Snapshot) -> dict[str, str]:
    """When each item entered the state it is in: the effective time of the last event
    that moved it, among the events that still stand. A move later withdrawn (撤回) does not
    count, nor does the 撤回 itself: the item is back in the state the move before it led to,
    since that move's day."""
    from engine.runtime.corrections import standing

    entered: dict[str, str] = {}
    for e in standing(snapshot.trail):
        if e.point_id is not None and e.dest_state is not None:
            entered[e.point_id] = e.effective_at
    return entered
