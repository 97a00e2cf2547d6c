"""What the store holds about one programme, read in one read-only transaction.

Views never open a store: the application layer reads a ``Snapshot`` and hands it to them
with the definition and the moment to judge at. A snapshot is plain data; it does not change
when the store does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from engine.runtime.corrections import WITHDRAW, withdrawn
from engine.runtime.owing import History, histories_of, state_histories
from engine.runtime.records import DocumentRow, Filed, SentRow
from engine.runtime.rectifying import rectified, return_triggers
from engine.runtime.store import EventRow, PointRow, ProgrammeRow

if TYPE_CHECKING:
    from engine.definition.loader import Definition
    from engine.runtime.store import Transaction

__all__ = ["Snapshot", "read_inputs", "read_snapshot", "tasks_done"]


@dataclass(frozen=True)
class Snapshot:
    """A programme's runtime state at one moment of the store."""

    programme_id: str
    location: str  # the store, as its users name it (path or URL without password)
    registered: ProgrammeRow | None
    points: tuple[PointRow, ...]
    overrides: Mapping[tuple[str, str], date]  # (point, step) -> granted due day
    task_done_at: Mapping[str, tuple[str, ...]]  # programme-level task -> recorded_at of its events
    head: tuple[int, str]  # the chain head: last seq and its hash
    events: tuple[EventRow, ...] | None = None  # the whole trail, when asked for
    # Read with the trail: the sent-log of the programme (every notice logged, in the order
    # logged) and the documents its events name, by SHA-256.
    sent: tuple[SentRow, ...] = ()
    documents: Mapping[str, DocumentRow] = field(default_factory=dict)
    # When the newest event shown was recorded (None: none); ``as_of``: the moment the trail
    # was replayed to (``engine.runtime.asof``), None for the store as it is now.
    newest_at: str | None = None
    as_of: datetime | None = None
    # The (point, step) of ``overrides`` whose due day is a return's 整改期限, not an extension.
    rectified: frozenset[tuple[str, str]] = frozenset()
    # Read for recurring reports: the filed occurrences, and each point's states in the
    # order the trail moved it (``engine.runtime.owing``).
    filings: tuple[Filed, ...] = ()
    histories: Mapping[str, History] = field(default_factory=dict)

    @property
    def trail(self) -> tuple[EventRow, ...]:
        if self.events is None:
            raise ValueError("this snapshot was read without the trail")
        return self.events


def read_snapshot(
    tx: Transaction,
    programme_id: str,
    location: str,
    programme_tasks: tuple[str, ...] = (),
    returns: tuple[str, ...] = (),
    with_reports: bool = False,
    *,
    with_events: bool = False,
) -> Snapshot:
    """Read everything a view needs about ``programme_id`` inside ``tx``; ``with_events``
    adds the trail, the sent-log and the documents the trail names; ``returns`` are the
    triggers of the programme's return decisions (whose 整改期限 ``rectified`` names);
    ``with_reports`` the filed occurrences of recurring reports and the points' histories."""
    events = tuple(tx.events(programme_id)) if with_events else None
    filings: tuple[Filed, ...] = ()
    histories: dict[str, History] = {}
    if with_reports:
        filings = tuple(tx.filed(programme_id))
        histories = (
            state_histories(events)
            if events is not None
            else histories_of(tx.state_moves(programme_id))
        )
    sent: tuple[SentRow, ...] = ()
    documents: dict[str, DocumentRow] = {}
    if events is not None:
        sent = tuple(tx.sent(programme_id))
        named = {e.document_sha256 for e in events if e.document_sha256}
        documents = {d.sha256: d for d in tx.documents() if d.sha256 in named}
        task_done_at = tasks_done(events, programme_tasks)
    else:
        gone = withdrawn(tx.events_for(programme_id, WITHDRAW)) if programme_tasks else {}
        task_done_at = {
            t: tuple(e.recorded_at for e in tx.events_for(programme_id, t) if e.seq not in gone)
            for t in programme_tasks
        }
    newest = tx.last_event()
    extended = tx.deadline_overrides(programme_id)
    return Snapshot(
        programme_id=programme_id,
        location=location,
        registered=tx.get_programme(programme_id),
        points=tuple(tx.points(programme_id)),
        overrides={(o.point_id, o.step): o.due for o in extended},
        task_done_at=task_done_at,
        head=tx.chain_head(),
        events=events,
        sent=sent,
        documents=documents,
        newest_at=newest.recorded_at if newest is not None else None,
        rectified=rectified(tx, programme_id, returns, extended),
        filings=filings,
        histories=histories,
    )


def tasks_done(
    events: tuple[EventRow, ...], programme_tasks: tuple[str, ...]
) -> dict[str, tuple[str, ...]]:
    """Each programme-level task -> when its events (not withdrawn) were recorded."""
    wanted = set(programme_tasks)
    if not wanted:
        return {}
    gone = withdrawn(events)
    done: dict[str, list[str]] = {t: [] for t in programme_tasks}
    for e in events:
        if e.trigger in wanted and e.seq not in gone:
            done[e.trigger].append(e.recorded_at)
    return {t: tuple(v) for t, v in done.items()}


def read_inputs(definition: Definition) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """What ``read_snapshot`` is told of a definition: its programme-level tasks, its
    return decisions' triggers and whether it has recurring reports."""
    tasks = tuple(t.id for t in definition.programme.tasks if t.level == "programme")
    return tasks, return_triggers(definition), bool(definition.programme.reports)
