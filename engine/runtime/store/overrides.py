"""The ``deadline_overrides`` table: a point's due day for one step, moved by an extension."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from engine.runtime.records import DeadlineOverride
from engine.runtime.store.schema import OVERRIDES
from engine.runtime.store.sql import TableAccess

__all__ = ["OverrideTable"]


class OverrideTable(TableAccess):
    """Granted extensions (satisfies :class:`~engine.runtime.ports.OverrideRecords`)."""

    def add_deadline_override(
        self, programme_id: str, point_id: str, step: str, due: date, event_seq: int
    ) -> DeadlineOverride:
        row = DeadlineOverride(programme_id, point_id, step, due, event_seq)
        self._usable(write=True).execute(
            OVERRIDES.insert().values(
                programme_id=programme_id,
                point_id=point_id,
                step=step,
                due=due.isoformat(),
                event_seq=event_seq,
            )
        )
        return row

    def deadline_overrides(
        self, programme_id: str, point_id: str | None = None
    ) -> list[DeadlineOverride]:
        """Extensions in the order granted (the latest for a step is the one in force)."""
        t = OVERRIDES
        stmt = sa.select(t.c.programme_id, t.c.point_id, t.c.step, t.c.due, t.c.event_seq)
        stmt = stmt.where(t.c.programme_id == programme_id)
        if point_id is not None:
            stmt = stmt.where(t.c.point_id == point_id)
        rows = self._usable().execute(stmt.order_by(t.c.event_seq, t.c.point_id, t.c.step))
        return [DeadlineOverride(p, pt, s, date.fromisoformat(d), e) for p, pt, s, d, e in rows]

    def remove_deadline_overrides(self, programme_id: str, point_id: str, event_seq: int) -> int:
        """Take out the extensions granted by event ``event_seq`` (a withdrawn grant)."""
        t = OVERRIDES
        result = self._usable(write=True).execute(
            t.delete().where(
                t.c.programme_id == programme_id,
                t.c.point_id == point_id,
                t.c.event_seq == event_seq,
            )
        )
        return int(result.rowcount)
