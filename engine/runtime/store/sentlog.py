"""The ``sent_log`` table: one row per notice key, so that no notice goes out twice.

The key is (programme, rule, unit, occurrence). :meth:`SentLogTable.record_sent` inserts a
key only if it is absent and says whether this call did; with every write transaction
holding the store's write lock, exactly one of several concurrent runs wins each key.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from engine.runtime.records import SENT_STATUSES, SentRow, iso_timestamp
from engine.runtime.store.schema import SENT
from engine.runtime.store.sql import TableAccess

__all__ = ["SentLogTable"]


class SentLogTable(TableAccess):
    """The send log (satisfies :class:`~engine.runtime.ports.SentLog`)."""

    def record_sent(
        self,
        programme_id: str,
        rule: str,
        unit_id: str,
        occurrence: str,
        status: str,
        message_id: str | None,
        at: datetime,
    ) -> bool:
        """Log one notice; False (and nothing written) when that key is already logged.

        ``unit_id`` is required for the key: use ``"*"`` for a notice to the whole programme.
        """
        if status not in SENT_STATUSES:
            raise ValueError(f"unknown send status {status!r}")
        values = {
            "programme_id": programme_id,
            "rule": rule,
            "unit_id": unit_id,
            "occurrence": occurrence,
            "status": status,
            "message_id": message_id,
            "recorded_at": iso_timestamp(at),
        }
        return self._insert_if_absent(SENT, values)

    def get_sent(
        self, programme_id: str, rule: str, unit_id: str, occurrence: str
    ) -> SentRow | None:
        t = SENT
        stmt = t.select().where(
            t.c.programme_id == programme_id,
            t.c.rule == rule,
            t.c.unit_id == unit_id,
            t.c.occurrence == occurrence,
        )
        found = self._usable().execute(stmt).first()
        return SentRow(*found) if found else None

    def sent(self, programme_id: str) -> list[SentRow]:
        t = SENT
        stmt = t.select().where(t.c.programme_id == programme_id)
        stmt = stmt.order_by(t.c.recorded_at, t.c.rule, t.c.unit_id, t.c.occurrence)
        return [SentRow(*r) for r in self._usable().execute(stmt)]

    def sent_count(self, programme_id: str) -> int:
        """How many notices of a programme are logged (the log only grows)."""
        stmt = sa.select(sa.func.count()).select_from(SENT)
        stmt = stmt.where(SENT.c.programme_id == programme_id)
        return int(self._usable().execute(stmt).scalar_one())
