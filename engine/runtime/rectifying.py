"""Which due day overrides are a return's 整改期限 rather than a granted extension.

Both are rows of the overrides table (``engine.runtime.store.overrides``): the latest row
of a (point, step) is the due day in force. A row is a 整改期限 when the event it names is
a return decision whose data is marked ``rectify`` (``engine.runtime.moves``); the trail,
not a column, says so, so that the audit's replay answers for it as for every other row.
The resubmission that ends a 整改期限 takes its row out; ``judged_by`` still knows, from
the trail, which 整改期限 that resubmission answered (its lateness is judged by it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING

from engine.runtime.records import DeadlineOverride, EventRow

if TYPE_CHECKING:
    from engine.definition.loader import Definition
    from engine.runtime.ports import StoreTransaction

__all__ = ["judged_by", "rectified", "return_triggers"]


def return_triggers(definition: Definition) -> tuple[str, ...]:
    """The triggers of the programme's return decisions."""
    return tuple(
        t.trigger
        for t in definition.programme.points.transitions
        if t.takes == "decision" and t.outcome == "return"
    )


def rectified(
    tx: StoreTransaction,
    programme_id: str,
    returns: tuple[str, ...],
    overrides: Sequence[DeadlineOverride] | None = None,
) -> frozenset[tuple[str, str]]:
    """The (point, step) whose due day in force is a 整改期限 (``returns``: the triggers of
    the programme's return decisions; ``overrides``: the programme's extended due days,
    when the caller has just read them in ``tx``)."""
    marked = {
        e.seq for t in returns for e in tx.events_for(programme_id, t) if e.extras.get("rectify")
    }
    if not marked:
        return frozenset()
    latest: dict[tuple[str, str], int] = {}
    rows = tx.deadline_overrides(programme_id) if overrides is None else overrides
    for o in rows:  # in the order granted
        latest[(o.point_id, o.step)] = o.event_seq
    return frozenset(k for k, seq in latest.items() if seq in marked)


def judged_by(events: Iterable[EventRow]) -> dict[tuple[str, str], date]:
    """(point, step) -> the 整改期限 the point's standing submission of ``step`` answered:
    the one its return set, when that submission ended it (``ends`` in its data). A later
    submission of the step that ended none is judged by the step's own due day again."""
    set_by: dict[int, date] = {}
    found: dict[tuple[str, str], date] = {}
    for e in events:
        if e.point_id is None:
            continue
        # Most events carry neither key: read their JSON only when it may hold one.
        text = e.data
        data = e.extras if text and ('"rectify"' in text or '"ends"' in text) else {}
        until = data.get("until")
        if data.get("rectify") is True and isinstance(until, str):
            set_by[e.seq] = date.fromisoformat(until)
            continue
        ends = data.get("ends")
        if isinstance(ends, int) and ends in set_by:
            found[(e.point_id, e.trigger)] = set_by[ends]
        elif e.source_state != e.dest_state or e.document_sha256 is not None:
            found.pop((e.point_id, e.trigger), None)
    return found
