"""The store as it stood at a moment: the trail replayed up to it (the as-of views).

``status``, ``render`` and ``export summary`` at a moment show what the trail held then, not
today's rows judged by another clock. ``read_snapshot_at`` reads the programme's events in
``seq`` order and keeps those recorded at or before the moment. The trail is append-only, so
what it held at a moment is a prefix of it: the first event recorded after the moment ends
the prefix, even if a later one carries an earlier time (a clock set back). The prefix is fed
to the audit's replay (``engine.runtime.replay.TableReplay``), so that in the snapshot

- points enrolled later do not exist, and each point is in the state its events gave it;
- only the extensions granted by then move a deadline;
- the trail, the programme-level tasks done, the documents the trail names and the sent-log
  are those recorded by then, and the head is the programme's last event by then.

``AsOf`` says besides when the programme's trail begins and which definition was pinned at
the moment: the ``from`` of the first migration recorded after it, else the pin the store
holds now.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from engine.errors import OutsideTheTrail
from engine.runtime.chain import GENESIS_HASH
from engine.runtime.filings import filings_from
from engine.runtime.owing import state_histories
from engine.runtime.replay import ENROL_TRIGGER, TableReplay
from engine.runtime.service import MIGRATE
from engine.runtime.snapshot import Snapshot
from engine.runtime.store import EventRow

if TYPE_CHECKING:
    from engine.runtime.store import Transaction

__all__ = ["AsOf", "as_of_range", "definition_note", "read_snapshot_at"]


@dataclass(frozen=True)
class AsOf:
    """What an as-of snapshot was read for and from."""

    moment: datetime
    first: datetime | None  # when the programme's first event was recorded (None: no events)
    pinned: str | None  # the definition hash pinned at the moment
    migration: EventRow | None  # the first migration recorded after the moment, if any
    # When each unit's and each point's first point was enrolled, of those enrolled later.
    enrolled_after: Mapping[str, datetime] = field(default_factory=dict)


def _recorded(event: EventRow) -> datetime:
    return datetime.fromisoformat(event.recorded_at)


def _migrated_from(migration: EventRow) -> str | None:
    """The pin a migration replaced (None if its data does not say: a changed event, which
    the audit reports)."""
    try:
        was = migration.extras.get("from")
    except (TypeError, ValueError):
        return None
    return was if isinstance(was, str) else None


def _sent_by(recorded_at: str, moment: datetime) -> bool:
    return datetime.fromisoformat(recorded_at) <= moment


def read_snapshot_at(
    tx: Transaction,
    programme_id: str,
    location: str,
    moment: datetime,
    programme_tasks: tuple[str, ...] = (),
) -> tuple[Snapshot, AsOf]:
    """``programme_id`` as its trail stood at ``moment`` (aware), read inside ``tx``; with
    the trail, the sent-log and the documents, as ``read_snapshot(with_events=True)``."""
    events = tx.events(programme_id)
    kept = len(events)
    for i, event in enumerate(events):
        if _recorded(event) > moment:
            kept = i
            break
    trail, later = tuple(events[:kept]), events[kept:]
    found = TableReplay()
    for event in trail:
        found.feed_event(event)
    wanted = set(programme_tasks)
    done: dict[str, list[str]] = {t: [] for t in programme_tasks}
    for event in trail:
        if event.trigger in wanted:
            done[event.trigger].append(event.recorded_at)
    named = {e.document_sha256 for e in trail if e.document_sha256}
    migration = next((e for e in later if e.trigger == MIGRATE), None)
    registered = tx.get_programme(programme_id)
    pinned = registered.definition_hash if registered is not None else None
    if migration is not None:
        was = _migrated_from(migration)
        pinned = was if was is not None else pinned
    if registered is not None and pinned is not None:
        registered = replace(registered, definition_hash=pinned)
    last = trail[-1] if trail else None
    snapshot = Snapshot(
        programme_id=programme_id,
        location=location,
        registered=registered,
        points=tuple(found.point_rows(programme_id, tx.points(programme_id))),
        overrides=found.granted(programme_id),
        rectified=found.rectified(programme_id),
        task_done_at={t: tuple(v) for t, v in done.items()},
        head=(last.seq, last.hash) if last is not None else (0, GENESIS_HASH),
        events=trail,
        sent=tuple(s for s in tx.sent(programme_id) if _sent_by(s.recorded_at, moment)),
        documents={d.sha256: d for d in tx.documents() if d.sha256 in named},
        as_of=moment,
        filings=tuple(
            (f.rule, f.period, f.unit_id, f.point_id, f.filed_at)
            for f in filings_from(programme_id, trail)
        ),
        histories=state_histories(trail),
        newest_at=last.recorded_at if last is not None else None,
    )
    first = _recorded(events[0]) if events else None
    enrolled: dict[str, datetime] = {}
    for event in later:
        if event.trigger == ENROL_TRIGGER:
            for key in (event.unit_id, event.point_id):
                if key is not None:
                    enrolled.setdefault(key, _recorded(event))
    return snapshot, AsOf(moment, first, pinned, migration, enrolled)


def _minute(moment: datetime) -> str:
    return moment.isoformat(sep=" ", timespec="minutes")[:16]


def as_of_range(as_of: AsOf, now: datetime) -> None:
    """Refuse (``OutsideTheTrail``, a usage error) a moment the trail holds no state for:
    before the programme's first event, or after ``now``."""
    moment = as_of.moment
    first = as_of.first
    if first is not None and first <= moment <= now:
        return
    earliest = _minute(first) if first is not None else "—"
    raise OutsideTheTrail(_minute(moment), earliest, _minute(now), later=moment > now)


def definition_note(as_of: AsOf) -> str:
    """What a view as of a moment says when the definition pinned then is not the one it
    is shown with: a migration after the moment adopted the current one."""
    migration = as_of.migration
    if migration is None:
        return "该时刻适用的定义与现行定义不同；此处按现行定义显示"
    return (
        f"该时刻适用的定义已于 {_minute(_recorded(migration))} 迁移为现行定义"
        f"（留痕第 {migration.seq} 条）；此处按现行定义显示"
    )
