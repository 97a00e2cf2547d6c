"""The ``report_filings`` table: the filed occurrences of recurring reports.

One row per (programme, rule, period, unit, point): the key refuses a second filing of the
same occurrence even from concurrent runs; each row names the ``file-report`` event that
filed it (the trail carries it: :mod:`engine.runtime.filings`).
"""

from __future__ import annotations

import sqlalchemy as sa

from engine.runtime.records import Filed, FilingRow
from engine.runtime.store.schema import FILINGS
from engine.runtime.store.sql import DriverStatement, TableAccess, shaped

__all__ = ["FilingTable"]


def _select(rule: bool, period: bool, *, lean: bool = False) -> DriverStatement:
    t = FILINGS
    if lean:
        columns = (t.c.rule, t.c.period, t.c.unit_id, t.c.point_id, t.c.filed_at)
        stmt = sa.select(*columns).where(t.c.programme_id == sa.bindparam("p"))
    else:
        stmt = t.select().where(t.c.programme_id == sa.bindparam("p"))
    params = ["p"]
    if rule:
        stmt = stmt.where(t.c.rule == sa.bindparam("r"))
        params.append("r")
    if period:
        stmt = stmt.where(t.c.period == sa.bindparam("q"))
        params.append("q")
    order = (t.c.rule, t.c.period) if lean else (t.c.event_seq, t.c.point_id)
    return DriverStatement(stmt.order_by(*order), params)


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
        statement = shaped(
            ("filings", rule is not None, period is not None),
            lambda: _select(rule is not None, period is not None),
        )
        params = [programme_id] + [v for v in (rule, period) if v is not None]
        return list(map(FilingRow._make, self._fetch(statement, params)))

    def filed(
        self, programme_id: str, rule: str | None = None, period: str | None = None
    ) -> list[Filed]:
        """The same filings as (rule, period, unit, point, filed_at), by rule and period:
        the columns a view of who owes reads, for every obligation."""
        statement = shaped(
            ("filed", rule is not None, period is not None),
            lambda: _select(rule is not None, period is not None, lean=True),
        )
        params = [programme_id] + [v for v in (rule, period) if v is not None]
        return self._fetch(statement, params)

    def remove_filings(self, programme_id: str, event_seq: int) -> int:
        """Take out the filings of event ``event_seq`` (a withdrawn filing)."""
        t = FILINGS
        result = self._usable(write=True).execute(
            t.delete().where(t.c.programme_id == programme_id, t.c.event_seq == event_seq)
        )
        return int(result.rowcount)
