"""The ``report_filings`` table: the filed occurrences of recurring reports.

One row per (programme, rule, period, unit, point): the key refuses a second filing of the
same occurrence even from concurrent runs; each row names the ``file-report`` event that
filed it (the trail carries it: :mod:`engine.runtime.filings`).
"""

from __future__ import annotations

from engine.runtime.records import FilingRow
from engine.runtime.store.schema import FILINGS
from engine.runtime.store.sql import TableAccess

__all__ = ["FilingTable"]


class FilingTable(TableAccess):
    """Filed occurrences (satisfies :class:`~engine.runtime.ports.FilingRecords`)."""

    def add_filing(self, row: FilingRow) -> bool:
        """Record ``row``; False (and nothing written) when that occurrence is filed."""
        return self._insert_if_absent(
            FILINGS,
            {
                "programme_id": row.programme_id,
                "rule": row.rule,
                "period": row.period,
                "unit_id": row.unit_id,
                "point_id": row.point_id,
                "event_seq": row.event_seq,
                "filed_at": row.filed_at,
            },
        )

    def filings(
        self, programme_id: str, rule: str | None = None, period: str | None = None
    ) -> list[FilingRow]:
        """The filed occurrences of ``programme_id`` (of one rule, one period), in the
        order filed."""
        t = FILINGS
        stmt = t.select().where(t.c.programme_id == programme_id)
        if rule is not None:
            stmt = stmt.where(t.c.rule == rule)
        if period is not None:
            stmt = stmt.where(t.c.period == period)
        stmt = stmt.order_by(t.c.event_seq, t.c.point_id)
        return [FilingRow(*r) for r in self._usable().execute(stmt)]

    def remove_filings(self, programme_id: str, event_seq: int) -> int:
        """Take out the filings of event ``event_seq`` (a withdrawn filing)."""
        t = FILINGS
        result = self._usable(write=True).execute(
            t.delete().where(t.c.programme_id == programme_id, t.c.event_seq == event_seq)
        )
        return int(result.rowcount)
