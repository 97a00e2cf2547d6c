"""The refusals of filing an occurrence of a recurring report (``submit --period``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from engine.errors import ITEM, Named, Refused
from engine.refusals.naming import step_words, unit_words

__all__ = [
    "AlreadyFiled",
    "NoPeriodGiven",
    "NotOwed",
    "PeriodNotBegun",
    "PeriodNotTaken",
    "PointsNotTaken",
    "UnknownPeriod",
]


class NoPeriodGiven(Refused):
    """A recurring report filed without saying which period it covers."""

    def __init__(self, report: Named, first: str, last: str) -> None:
        self.report = report
        super().__init__(
            f"{step_words(report)}每期各报一次，须指明报送期（{first} 至 {last}，"
            f"如 {first}，或所报期间的第一天）"
        )


class PeriodNotTaken(Refused):
    """A period given for a step or task that is not a recurring report."""

    def __init__(self, task: Named) -> None:
        self.task = task
        super().__init__(f"{step_words(task)}不是周期性报送，不按报送期报送：请去掉报送期")


class UnknownPeriod(Refused):
    """``period`` names no occurrence of ``report`` in the programme year."""

    def __init__(self, report: Named, period: str, keys: Sequence[str]) -> None:
        self.report = report
        self.period = period
        self.keys = tuple(keys)
        shown = "、".join(keys[:12]) + ("……" if len(keys) > 12 else "")
        super().__init__(
            f"{step_words(report)}没有报送期「{period}」：本年度的报送期为 {shown}"
            "（也可写所报期间的第一天，如 2021-03-01）"
        )


class PeriodNotBegun(Refused):
    """A report on a period that has not begun yet."""

    def __init__(self, report: Named, label: str, first: date) -> None:
        self.report = report
        self.label = label
        self.first = first
        super().__init__(
            f"{step_words(report)}的报送期 {label} 自 {first.isoformat()} 开始，"
            "尚未开始的期间不能报送"
        )


class NotOwed(Refused):
    """``unit`` (for ``point``) does not owe this occurrence. ``named``: the bodies the rule
    names (who owes it, when it names bodies); ``states``: the states during which an item
    owes it (when it is owed by items' units)."""

    def __init__(
        self,
        report: Named,
        label: str,
        unit: Named,
        point: str | None,
        named: Sequence[Named] = (),
        states: Sequence[Named] = (),
    ) -> None:
        self.report = report
        self.label = label
        self.unit = unit
        self.point = point
        self.named = tuple(named)
        self.states = tuple(states)
        whose = f" 的 {point} " if point else ""
        why = []
        if self.states:
            why.append(
                f"{ITEM}在该期内处于{'、'.join(s.label for s in self.states)}时，由其牵头单位报送"
            )
        if self.named:
            why.append(f"须报送的单位为 {'、'.join(n.label for n in self.named)}")
        super().__init__(
            f"{unit_words(unit)}{whose}不须报送 {label} 的{step_words(report)}："
            + "；".join(why or ["该期没有须报送的单位"])
        )


class PointsNotTaken(Refused):
    """Items named for a report filed once per unit or by named bodies."""

    def __init__(self, report: Named) -> None:
        self.report = report
        super().__init__(
            f"{step_words(report)}每个单位每期报送一份，不针对单个{ITEM}，不能指明{ITEM}"
        )


class AlreadyFiled(Refused):
    """The occurrence was filed already by this party (trail ``seq``)."""

    def __init__(
        self, report: Named, label: str, unit: Named, point: str | None, seq: int, at: str
    ) -> None:
        self.report = report
        self.label = label
        self.unit = unit
        self.point = point
        self.seq = seq
        whose = f"就 {point} " if point else ""
        super().__init__(
            f"重复报送：{unit_words(unit)} 已于 {at[:16].replace('T', ' ')} {whose}报送过 "
            f"{label} 的{step_words(report)}（留痕第 {seq} 条）；如需换用文件，请更正该条记录"
        )
