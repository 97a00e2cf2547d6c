"""The ``programmes`` and ``units`` tables: which programmes are enrolled, pinned by hash."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from engine.errors import StoreError
from engine.runtime.records import ProgrammeRow, iso_timestamp
from engine.runtime.store.schema import PROGRAMMES, UNITS
from engine.runtime.store.sql import TableAccess

__all__ = ["ProgrammeTables"]


class ProgrammeTables(TableAccess):
    """Programmes and their units (satisfies :class:`~engine.runtime.ports.ProgrammeRecords`)."""

    def get_programme(self, programme_id: str) -> ProgrammeRow | None:
        stmt = PROGRAMMES.select().where(PROGRAMMES.c.id == programme_id)
        found = self._usable().execute(stmt).first()
        return ProgrammeRow(*found) if found else None

    def programmes(self) -> list[ProgrammeRow]:
        rows = self._usable().execute(PROGRAMMES.select().order_by(PROGRAMMES.c.id))
        return [ProgrammeRow(*r) for r in rows]

    def put_programme(
        self, programme_id: str, title: str, year: int, definition_hash: str, at: datetime
    ) -> ProgrammeRow:
        """Enrol a new programme (an existing id is a :class:`StoreError`)."""
        conn = self._usable(write=True)
        if self.get_programme(programme_id) is not None:
            raise StoreError(f"工作方案 {programme_id} 已经登记，不能重复登记")
        row = ProgrammeRow(programme_id, title, year, definition_hash, iso_timestamp(at))
        conn.execute(
            PROGRAMMES.insert().values(
                id=row.id,
                title=row.title,
                year=row.year,
                definition_hash=row.definition_hash,
                enrolled_at=row.enrolled_at,
            )
        )
        return row

    def set_definition_hash(self, programme_id: str, definition_hash: str) -> None:
        conn = self._usable(write=True)
        stmt = PROGRAMMES.update().where(PROGRAMMES.c.id == programme_id)
        if conn.execute(stmt.values(definition_hash=definition_hash)).rowcount != 1:
            raise StoreError(f"工作方案 {programme_id} 尚未登记")

    def ensure_units(self, programme_id: str, unit_ids: Iterable[str]) -> int:
        """Register the units not yet known; return how many were added."""
        conn = self._usable(write=True)
        known = set(self.units(programme_id))
        new = [u for u in dict.fromkeys(unit_ids) if u not in known]
        if new:
            conn.execute(
                UNITS.insert(), [{"programme_id": programme_id, "unit_id": u} for u in new]
            )
        return len(new)

    def units(self, programme_id: str) -> list[str]:
        stmt = sa.select(UNITS.c.unit_id).where(UNITS.c.programme_id == programme_id)
        return list(self._usable().scalars(stmt.order_by(UNITS.c.unit_id)))
