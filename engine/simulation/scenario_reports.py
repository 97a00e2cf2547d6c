"""The scenario's entries on recurring reports: a party that misses or files late.

By default every party files each occurrence it owes on time (``engine.simulation.filing``).
``reports:`` in a scenario lists the exceptions, each checked against the definition when
the scenario loads (reported at its line like every other entry)::

    reports:
      - {report: monthly-progress, period: 2021-03, unit: housing}              # never filed
      - {report: monthly-progress, period: 2021-05, unit: housing, on: 2021-06-03}  # late
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, PlainValidator, ValidationInfo, model_validator

from engine.definition.reports import find_occurrence
from engine.definition.schema import CO, OWNER
from engine.simulation.scenario_fields import PointId, Text, UnitId, context_of, fail

__all__ = ["ReportException"]


def _period(value: object) -> str:
    """A period key; YAML reads ``2021-03-01`` as a date, which names the same period."""
    if isinstance(value, str | date) and str(value).strip():
        return str(value).strip()
    fail("报送期应写成 2021-03、2021-Q1、2021-H1、2021-W05 或所报期间的第一天")


class ReportException(BaseModel):
    """``unit`` files ``period`` of ``report`` on ``on`` (late), or never when ``on`` is
    not given; ``point`` narrows a ``per: item`` report to one item."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    report: Text
    period: Annotated[str, PlainValidator(_period)]
    unit: UnitId
    point: PointId | None = None
    on: date | None = None

    @model_validator(mode="after")
    def _known(self, info: ValidationInfo) -> ReportException:
        context = context_of(info)
        if context is None:
            return self
        definition = context.definition
        rules = definition.index.reports
        rule = rules.get(self.report)
        if rule is None:
            known = "、".join(rules) or "（本方案没有周期性报送）"
            fail((("report",), f"未定义的周期性报送 {self.report}（已定义：{known}）", False))
        found = definition.report_occurrences.get(rule.id, [])
        occurrence = find_occurrence(self.period, found)
        if occurrence is None:
            keys = "、".join(o.key for o in found[:12])
            fail((("period",), f"「{rule.label}」没有报送期 {self.period}（可用：{keys}）", False))
        named = context.index.expand([r for r in rule.owed_by if r not in (OWNER, CO)])
        owners = set(context.points.values()) if OWNER in rule.owed_by else set()
        if CO in rule.owed_by:  # any unit may share an item
            owners |= set(context.index.bodies)
        if self.unit not in named and self.unit not in owners:
            fail((("unit",), f"单位 {self.unit} 不报送「{rule.label}」", False))
        if self.point is not None and (
            rule.per != "item" or context.points.get(self.point) != self.unit
        ):
            fail(
                (
                    ("point",),
                    f"「{rule.label}」不按 {self.point} 分别报送，或 {self.point} 不是单位 "
                    f"{self.unit} 的",
                    False,
                )
            )
        if self.on is not None and self.on < occurrence.covered_first:
            fail((("on",), f"报送日 {self.on} 早于报送期 {occurrence.label} 的开始", False))
        return self

    def matches(self, rule: str, period: str, unit: str, point: str) -> bool:
        return (
            self.report == rule
            and self.period == period
            and self.unit == unit
            and (self.point is None or self.point == point)
        )
