"""A snapshot brought up to date with what the store gained since it was read.

A page served again and again (the office's dashboard, a unit's items) reads the whole
programme each time the store changes: at 100,000 items that is the trail's 300,000 events
and every point, for one new submission. The store only ever grows: events are appended to
the chain, the sent-log is appended to, and every point, due day and filing changes by an
event. So ``advance_snapshot`` reads only the events after the last one a snapshot holds,
re-reads the points those events name, and takes the small tables (extensions, the
sent-log, filings) again when something changed them; everything else is carried over.

It trusts nothing it holds without checking: the last event of the old snapshot must still
be in the store with the same hash (the chain it extends), or it gives up and the caller
reads the snapshot afresh (a store restored from a backup, another store at the same
address). The result is equal, field by field, to ``read_snapshot`` of the same state
(tested after every kind of event a programme records).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from engine.runtime.corrections import WITHDRAW
from engine.runtime.filings import FILE_REPORT
from engine.runtime.owing import History, state_histories
from engine.runtime.rectifying import rectified
from engine.runtime.snapshot import Snapshot, tasks_done
from engine.runtime.store import EventRow, PointRow

if TYPE_CHECKING:
    from engine.runtime.store import Transaction

__all__ = ["advance_snapshot", "point_positions"]

#: Points named by the new events above which one read of every point is cheaper than
#: reading each (an enrolment, a decision on thousands of items at once).
POINT_READS = 2_000


def advance_snapshot(
    tx: Transaction,
    previous: Snapshot,
    programme_tasks: tuple[str, ...] = (),
    returns: tuple[str, ...] = (),
    with_reports: bool = False,
    positions: Mapping[str, int] | None = None,
) -> Snapshot | None:
    """``previous`` (read with the trail) brought up to the state ``tx`` sees, or None when
    it cannot be: read without the trail, replayed to a past moment, or not a prefix of
    this store's chain. ``previous`` itself when nothing changed. ``positions``: each
    point's place in ``previous.points``, when the caller keeps it (else worked out)."""
    if previous.events is None or previous.as_of is not None:
        return None
    pid = previous.programme_id
    head = tx.chain_head()
    sent_count = tx.sent_count(pid)
    if head == previous.head and sent_count == len(previous.sent):
        return previous
    if head[0] < previous.head[0]:
        return None  # the chain is shorter than the one read: not the same store
    last = previous.events[-1] if previous.events else None
    # Read by the chain's own order (its primary key), every programme's, and keep this
    # one's: the few events at the chain's end, never a pass over the programme's index.
    if last is not None:
        again = tx.events(after_seq=last.seq - 1, limit=1)
        if not again or again[0].hash != last.hash:
            return None
    after = tx.events(after_seq=previous.head[0])  # the chain's head when it was read
    new = tuple(e for e in after if e.programme_id == pid)
    events = previous.events + new
    points = _points(tx, previous.points, new, pid, positions)
    if points is None:
        points = tuple(tx.points(pid))
    sent = previous.sent if sent_count == len(previous.sent) else tuple(tx.sent(pid))
    documents = dict(previous.documents)
    for sha in {e.document_sha256 for e in new if e.document_sha256} - documents.keys():
        found = tx.get_document(sha)
        if found is not None:
            documents[sha] = found
    filings = previous.filings
    histories = previous.histories
    if with_reports and new:
        if any(e.trigger in (FILE_REPORT, WITHDRAW) for e in new):
            filings = tuple(tx.filed(pid))
        histories = _histories(previous.histories, new)
    newest = tx.last_event()
    tasks = set(programme_tasks)
    extended = tx.deadline_overrides(pid)
    overrides = {(o.point_id, o.step): o.due for o in extended}
    # A 整改期限 is set by a return, ended or moved by what changes the due days in force.
    marks = overrides != previous.overrides or any(
        e.trigger in returns or e.trigger == WITHDRAW for e in new
    )
    return replace(
        previous,
        registered=tx.get_programme(pid),
        points=points,
        overrides=overrides,
        task_done_at=tasks_done(events, programme_tasks)
        if any(e.trigger in tasks or e.trigger == WITHDRAW for e in new)
        else previous.task_done_at,
        head=head,
        events=events,
        sent=sent,
        documents=documents,
        newest_at=newest.recorded_at if newest is not None else None,
        rectified=rectified(tx, pid, returns, extended) if marks else previous.rectified,
        filings=filings,
        histories=histories,
    )


def _points(
    tx: Transaction,
    points: tuple[PointRow, ...],
    new: tuple[EventRow, ...],
    pid: str,
    positions: Mapping[str, int] | None,
) -> tuple[PointRow, ...] | None:
    """``points`` with those the new events name read again, or None when a new point
    appeared or so many changed that one read of all of them is the cheaper way."""
    named = {e.point_id for e in new if e.point_id is not None}
    if not named:
        return points
    if len(named) > POINT_READS:
        return None
    position = positions if positions is not None else point_positions(points)
    if not named <= position.keys():
        return None  # enrolled since: its place in the enrolment order is the store's
    changed = list(points)
    for point_id in named:
        found = tx.get_point(pid, point_id)
        if found is None:
            return None
        changed[position[point_id]] = found
    return tuple(changed)


def point_positions(points: tuple[PointRow, ...]) -> dict[str, int]:
    """Each point's place in ``points``."""
    return {p.point_id: n for n, p in enumerate(points)}


def _histories(histories: Mapping[str, History], new: tuple[EventRow, ...]) -> dict[str, History]:
    """Each point's history of states with the new events' moves added at its end."""
    found = dict(histories)
    for point_id, added in state_histories(new).items():
        found[point_id] = found.get(point_id, ()) + added
    return found
