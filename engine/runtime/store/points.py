"""The ``points`` table: breakthrough points, their units and current states.

Enrolment, decisions and submissions touch many points at once, so adding, reading and
moving points runs on the driver path (:class:`~engine.runtime.store.sql.DriverStatement`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

import sqlalchemy as sa

from engine.errors import ITEM, StoreError
from engine.runtime.records import PointRow
from engine.runtime.store.schema import POINT_COLUMNS, POINTS
from engine.runtime.store.sql import (
    IN_CHUNK,
    DriverStatement,
    TableAccess,
    bind_names,
    in_list,
    shaped,
)

__all__ = ["PointTable"]

_COLUMNS = [POINTS.c[name] for name in POINT_COLUMNS]
_INSERT = DriverStatement(
    POINTS.insert().values({name: sa.bindparam(name) for name in POINT_COLUMNS}), POINT_COLUMNS
)
_GET = DriverStatement(
    sa.select(*_COLUMNS).where(
        POINTS.c.programme_id == sa.bindparam("programme_id"),
        POINTS.c.point_id == sa.bindparam("point_id"),
    ),
    ("programme_id", "point_id"),
)
_SET_STATE = DriverStatement(
    POINTS.update()
    .where(
        POINTS.c.programme_id == sa.bindparam("b_programme"),
        POINTS.c.point_id == sa.bindparam("b_point"),
    )
    .values(state=sa.bindparam("b_state")),
    ("b_state", "b_programme", "b_point"),
)


def _select_points(unit: bool, units: int, state: bool) -> DriverStatement:
    """Points of a programme, optionally of one unit, of ``units`` units, in one state."""
    where = [POINTS.c.programme_id == sa.bindparam("programme_id")]
    params = ["programme_id"]
    if unit:
        where.append(POINTS.c.unit_id == sa.bindparam("unit_id"))
        params.append("unit_id")
    if units:
        names = bind_names("unit_", units)
        where.append(in_list(POINTS.c.unit_id, names))
        params.extend(names)
    if state:
        where.append(POINTS.c.state == sa.bindparam("state"))
        params.append("state")
    stmt = sa.select(*_COLUMNS).where(*where).order_by(POINTS.c.created_seq, POINTS.c.point_id)
    return DriverStatement(stmt, params)


def _select_known_ids(count: int) -> DriverStatement:
    names = bind_names("point_", count)
    stmt = sa.select(POINTS.c.point_id).where(
        POINTS.c.programme_id == sa.bindparam("programme_id"), in_list(POINTS.c.point_id, names)
    )
    return DriverStatement(stmt, ["programme_id", *names])


def _point(row: tuple[Any, ...]) -> PointRow:
    """A stored row as a point: ``co`` is kept as comma-separated ids (ids hold no comma)."""
    programme_id, point_id, unit_id, title, state, created_seq, co, group_id = row
    co_units = tuple(co.split(",")) if co else ()
    return PointRow(programme_id, point_id, unit_id, title, state, created_seq, co_units, group_id)


class PointTable(TableAccess):
    """Points and their states (satisfies :class:`~engine.runtime.ports.PointRecords`)."""

    def add_points(self, points: Iterable[PointRow]) -> None:
        rows = [
            (
                p.programme_id,
                p.point_id,
                p.unit_id,
                p.title,
                p.state,
                p.created_seq,
                ",".join(p.co) if p.co else None,
                p.group_id,
            )
            for p in points
        ]
        self._usable(write=True)
        if rows:
            self._write_many(_INSERT, rows)

    def get_point(self, programme_id: str, point_id: str) -> PointRow | None:
        # Called once per point named in a decision: straight to the driver's cursor.
        found = self._fetch(_GET, (programme_id, point_id))
        return _point(found[0]) if found else None

    def points(
        self,
        programme_id: str,
        unit: str | None = None,
        state: str | None = None,
        *,
        units: Iterable[str] | None = None,
    ) -> list[PointRow]:
        """Points in enrolment order, optionally of one unit, of several, or in one state."""
        # A unit's points for every submission, all of them for an inspection: many rows,
        # so read through the driver's cursor (SQLAlchemy's row processing doubles the cost).
        params: list[str] = [programme_id]
        if unit is not None:
            params.append(unit)
        wanted: list[str] = []
        if units is not None:
            wanted = sorted(set(units))
            if not wanted:
                return []
            params.extend(wanted)
        if state is not None:
            params.append(state)
        shape = (unit is not None, len(wanted), state is not None)
        stmt = shaped(("points", *shape), partial(_select_points, *shape))
        return [_point(r) for r in self._fetch(stmt, params)]

    def count_points_by_unit(self, programme_id: str) -> dict[str, int]:
        """How many points each unit has enrolled in a programme."""
        stmt = (
            sa.select(POINTS.c.unit_id, sa.func.count())
            .where(POINTS.c.programme_id == programme_id)
            .group_by(POINTS.c.unit_id)
        )
        return {unit: int(n) for unit, n in self._usable().execute(stmt)}

    def point_ids(self, programme_id: str, candidates: Iterable[str]) -> set[str]:
        """Which of ``candidates`` are already point ids of the programme."""
        wanted = list(dict.fromkeys(candidates))
        found: set[str] = set()
        for start in range(0, len(wanted), IN_CHUNK):
            chunk = wanted[start : start + IN_CHUNK]
            size = len(chunk)
            stmt = shaped(("point_ids", size), partial(_select_known_ids, size))
            found.update(row[0] for row in self._fetch(stmt, (programme_id, *chunk)))
        return found

    def set_states(self, programme_id: str, states: Mapping[str, str]) -> None:
        """Set the state of several points; every point must exist."""
        conn = self._usable(write=True)
        if not states:
            return
        rows = [(s, programme_id, p) for p, s in states.items()]
        if conn.dialect.supports_sane_multi_rowcount:
            # Update, count the rows hit (one per existing point: the key is unique), and
            # undo it all if a point is missing - cheaper than looking every point up first.
            savepoint = conn.begin_nested()
            if self._write_many(_SET_STATE, rows) == len(rows):
                savepoint.commit()
                return
            savepoint.rollback()
        known = self.point_ids(programme_id, states)
        missing = [p for p in states if p not in known]
        if missing:
            raise StoreError(f"工作方案 {programme_id} 中没有{ITEM}：{'、'.join(missing[:10])}")
        self._write_many(_SET_STATE, rows)
