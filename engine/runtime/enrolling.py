"""The points an enrolment names, as the runtime enrols them: units resolved to body ids.

An entry's ``unit`` is its lead unit (牵头单位), named by id, short or full name; or a group
(id or label, e.g. ``counties`` / 各县区政府): then the entry stands for one point per member
of the group, each led by that member, with the same title and co-responsible units, the
group recorded in the enrolment event. A member's point takes the id given with the group
followed by the member's id (``task-7-county-a``), else the id a point gets by default. The
co-responsible units (``co``, 责任单位) are bodies other than the lead, each named once, or
groups (各县区政府配合): a group stands for its members, the lead itself left out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.definition.index import ProgrammeIndex
from engine.refusals import BadCoUnits
from engine.runtime.userinput import check_text

__all__ = ["NewPoint", "resolve_points"]


@dataclass(frozen=True, slots=True)
class NewPoint:
    """A point to enrol: its lead unit, title, document, id, co-responsible units, group."""

    unit: str
    title: str
    file: Path | None = None
    point_id: str | None = None
    co: tuple[str, ...] = ()
    group: str | None = None  # the group the entry named, whose member ``unit`` is


def resolve_points(
    index: ProgrammeIndex, points: Sequence[NewPoint], resolve_unit: Callable[[str], str]
) -> list[NewPoint]:
    """``points`` with every unit and co-responsible unit a body id, groups expanded."""
    groups = {g.id: g.id for g in index.programme.groups}
    groups.update({g.label: g.id for g in index.programme.groups if g.label not in groups})
    found: list[NewPoint] = []
    for p in points:
        name = p.unit.strip()
        group = groups.get(name) if name not in index.bodies else None
        # NewPoint(...) directly: dataclasses.replace costs ~5 µs a point (100,000 points).
        if group is None:
            unit = resolve_unit(p.unit)
            co = _co(index, unit, p.co, resolve_unit, groups)
            found.append(NewPoint(unit, p.title, p.file, p.point_id, co, p.group))
            continue
        for member in index.expand([group]):
            point_id = f"{p.point_id}-{member}" if p.point_id else None
            co = _co(index, member, p.co, resolve_unit, groups)
            found.append(NewPoint(member, p.title, p.file, point_id, co, group))
    return found


def _co(
    index: ProgrammeIndex,
    lead: str,
    names: tuple[str, ...],
    resolve_unit: Callable[[str], str],
    groups: dict[str, str],
) -> tuple[str, ...]:
    """The co-responsible units ``names`` as body ids: others than ``lead``, each once; a
    group's members (not the lead, not one named already)."""
    co: list[str] = []
    for name in names:
        check_text(name, "责任单位")
        group = groups.get(name.strip()) if name.strip() not in index.bodies else None
        if group is not None:
            co.extend(m for m in index.expand([group]) if m != lead and m not in co)
            continue
        body = resolve_unit(name)
        if body == lead:
            raise BadCoUnits(index.named_body(lead), index.named_body(body), "就是牵头单位本身")
        if body in co:
            raise BadCoUnits(index.named_body(lead), index.named_body(body), "重复列出")
        co.append(body)
    return tuple(co)
