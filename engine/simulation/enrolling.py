"""Late enrolment in a scenario (``late_enrolment: {unit: day}``): what is checked at load.

A unit listed there enrols its points on its own day instead of the rehearsal's enrolment
day, so that it is reminded and urged for the enrolment while it has none, and owes every
later step of its points only from then on (they are screened and approved on the first
working days after it). Its day must come after the enrolment day, and nothing the
scenario writes for one of its points may be dated before it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from engine.simulation.scenario_fields import Problem, ScenarioContext

__all__ = ["late_enrolment_problems"]

_POINT_ENTRIES = ("screened_out", "returns", "extensions", "withdrawals", "decisions")


def late_enrolment_problems(s: Any, context: ScenarioContext, first: date) -> Iterator[Problem]:
    """``s`` is the ``Scenario`` (``engine.simulation.scenario``, which calls this). A late day not after the enrolment day ``first``; a point's entry dated before its
    unit's late enrolment."""
    late = s.late_enrolment
    for unit, day in late.items():
        if day <= first:
            yield (
                ("late_enrolment", unit),
                f"单位 {unit} 的登记日期 {day} 不晚于演练登记突破点的日期（{first}）：不是逾期登记",
                False,
            )
    if not late:
        return
    for key in _POINT_ENTRIES:
        for i, entry in enumerate(getattr(s, key)):
            if entry is None:
                continue
            owner = context.points.get(entry.point)
            enrolled = late.get(owner) if owner is not None else None
            days = [getattr(entry, name, None) for name in ("on", "request_on")]
            early = [d for d in days if isinstance(d, date) and enrolled and d <= enrolled]
            if enrolled is not None and early:
                yield (
                    (key, i),
                    f"{context.item} {entry.point} 所属单位 {owner} 于 {enrolled} 才登记（late_enrolment），"
                    f"日期 {early[0]} 应晚于此",
                    False,
                )
