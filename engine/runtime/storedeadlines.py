"""The due days and extensions the extension rules ask about, read from one transaction.

``engine.runtime.moves`` checks a request for or a grant of an extension against the step's
due day, today and the point's latest extension event, and counts a return's 整改期限 from
the day of the return; ``StoreDeadlines`` answers those questions from the store, reading
each table only when first asked.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from engine.clock import Clock
from engine.definition.loader import Definition
from engine.definition.periodic import Relative, due_after
from engine.runtime.corrections import withdrawn
from engine.runtime.store import EventRow, Transaction

if TYPE_CHECKING:
    from engine.runtime.progress import ProgressView

__all__ = ["StoreDeadlines"]


class StoreDeadlines:
    """``Deadlines`` for the extension rules, read from one transaction when first needed."""

    def __init__(
        self, definition: Definition, clock: Clock, tx: Transaction, effective: datetime | None
    ) -> None:
        self._definition = definition
        self._clock = clock
        self._tx = tx
        self._moment = effective
        self._overrides: dict[tuple[str, str], date] | None = None
        self._view: ProgressView | None = None

    @property
    def _progress(self) -> ProgressView:
        if self._view is None:
            from engine.runtime.progress import ProgressView

            self._view = ProgressView.of(self._definition)
        return self._view

    def due(self, point_id: str, step: str) -> date | None:
        if self._overrides is None:
            rows = self._tx.deadline_overrides(self._definition.id)
            self._overrides = {(o.point_id, o.step): o.due for o in rows}
        return self._progress.due_of(step, self._overrides.get((point_id, step)))

    def today(self) -> date:
        return self._progress.local_date(self._moment or self._clock.now())

    def last_extension(self, point_id: str) -> EventRow | None:
        transitions = self._definition.index.transitions
        events = self._tx.events(self._definition.id, point_id)
        gone = withdrawn(events)
        for event in reversed(events):
            t = transitions.get(event.trigger)
            if t is not None and t.extension is not None and event.seq not in gone:
                return event
        return None

    def counted(self, within: Relative, day: date) -> date:
        resolver = self._progress.resolver
        return due_after(within, day, resolver.calendar, resolver.conventions).due

    def rectification(self, point_id: str, step: str) -> int | None:
        """The event whose 整改期限 is the point's due day for ``step`` now (the latest due
        day override of the step, when a return set it), else None."""
        rows = self._tx.deadline_overrides(self._definition.id, point_id)
        latest = [o for o in rows if o.step == step][-1:]
        if not latest:
            return None
        seq = latest[0].event_seq
        events = self._tx.events(self._definition.id, point_id)
        return seq if any(e.seq == seq and e.extras.get("rectify") for e in events) else None
