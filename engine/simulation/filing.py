"""The parties of the simulated year filing their recurring reports.

Each occurrence of each ``reports:`` rule is filed by every party owing it on its filing
day: the scenario's ``default_lead_days`` working days before the due day, not before the
covered period begins (每月28日前 for March: 03-24; 次月10日前 for March: 04-07). The
scenario's ``reports:`` entries (``engine.simulation.scenario_reports``) make a party file
an occurrence late, on the day given, or never. Filing goes through the application layer
(``submit --period``) like any other submission.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from engine.definition.loader import Definition
from engine.definition.reports import find_occurrence
from engine.runtime.owing import Duty, by_items
from engine.simulation.deciding import scenario_action
from engine.simulation.scenario import Scenario
from engine.simulation.scenario_reports import ReportException
from engine.simulation.wiring import OpenProgramme
from engine.views.recurring import occurrence_duties

__all__ = ["ReportFiler"]


class ReportFiler:
    """Files, day by day, the occurrences owed (``file_due``)."""

    def __init__(
        self,
        programme: OpenProgramme,
        scenario: Scenario,
        draft: Callable[[date, str, str, list[str]], Path],
        say: Callable[[date, str], None],
    ) -> None:
        self.programme = programme
        self.definition = programme.definition
        self.scenario = scenario
        self.draft = draft
        self.say = say
        calendar = programme.runner.view.calendar
        self.by_day: dict[date, list[tuple[str, str]]] = defaultdict(list)  # rule, period
        for report in self.definition.programme.reports:
            for occ in self.definition.report_occurrences.get(report.id, ()):
                day = calendar.working_days_before(occ.due, scenario.default_lead_days)
                self.by_day[max(day, occ.covered_first)].append((report.id, occ.key))
        # The scenario's entries with each period as its key (an entry may name the
        # period's first day instead: checked when the scenario loaded).
        self.entries = [
            entry.model_copy(update={"period": _key_of(self.definition, entry)})
            for entry in scenario.reports
        ]
        self.late: dict[date, list[int]] = defaultdict(list)
        for i, entry in enumerate(self.entries):
            if entry.on is not None:
                self.late[entry.on].append(i)

    @property
    def last_day(self) -> date | None:
        """The last day a filing is planned (December's may fall in the next year)."""
        days = [*self.by_day, *self.late]
        return max(days) if days else None

    def file_due(self, day: date, now: datetime) -> None:
        planned = self.by_day.get(day, [])
        late = self.late.get(day, [])
        if not planned and not late:
            return
        # The day's duties from one read: a filing changes only its own party's duty, and
        # ``done`` keeps a party named twice (a late entry repeated) from filing again.
        snapshot = self.programme.app.snapshot()
        duties: dict[tuple[str, str], Duty] = {}
        done: set[tuple[str, str, str, str]] = set()

        def duty_of(rule: str, period: str) -> Duty:
            if (rule, period) not in duties:
                (duties[(rule, period)],) = occurrence_duties(
                    self.definition, snapshot, now, rule=rule, period=period
                )[:1]
            return duties[(rule, period)]

        def owing(duty: Duty) -> list[tuple[str, str]]:
            key = (duty.report.id, duty.occurrence.key)
            return [p for p in duty.missing if (*key, *p) not in done]

        for rule, period in planned:
            duty = duty_of(rule, period)
            parties = [
                p
                for p in owing(duty)
                if not any(e.matches(rule, duty.occurrence.key, *p) for e in self.entries)
            ]
            self._file(day, duty, parties, None)
            done |= {(rule, period, *p) for p in parties}
        for i in late:
            entry = self.entries[i]
            duty = duty_of(entry.report, entry.period)
            parties = [
                p for p in owing(duty) if entry.matches(entry.report, duty.occurrence.key, *p)
            ]
            self._file(day, duty, parties, i)
            done |= {(entry.report, entry.period, *p) for p in parties}

    def _file(
        self, day: date, duty: Duty, parties: list[tuple[str, str]], entry: int | None
    ) -> None:
        if not parties:
            return
        report = duty.report
        occ = duty.occurrence
        by_unit: dict[str, list[str]] = defaultdict(list)
        for unit, point in parties:
            by_unit[unit].append(point)
        where = self.scenario.where("reports", entry) if entry is not None else None
        per_item = by_items(report) and report.per == "item"
        for unit, points in by_unit.items():
            items = [p for p in points if p] if per_item else []
            file = self.draft(day, unit, f"{report.document or report.label}（{occ.label}）", items)
            with scenario_action(where, day, self.definition.programme.programme.item):
                self.programme.app.submit(unit, report.id, file, items, period=occ.key)
        late = "（逾期）" if entry is not None else ""
        who = "、".join(self.definition.index.body_label(u) for u in list(by_unit)[:3])
        more = f"等 {len(by_unit)} 个单位" if len(by_unit) > 3 else ""
        self.say(day, f"{who}{more} {report.label}（{occ.label}）{late}")


def _key_of(definition: Definition, entry: ReportException) -> str:
    """The key of the period a scenario entry names (by its key or its first day)."""
    found = find_occurrence(entry.period, definition.report_occurrences.get(entry.report, []))
    return found.key if found is not None else entry.period
