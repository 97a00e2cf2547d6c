"""Who owes each occurrence of a recurring report, and who has filed it.

Each occurrence (``engine.definition.reports``) is its own obligation. Its owing parties:

- a body or group named in ``owed_by`` owes every occurrence (its members each), one report
  per period, whatever the items do;
- ``owner`` (an item's lead unit) owes for each item that was in one of the rule's
  ``while`` states - by default any state that is not final - at some moment between the
  start of the covered period's first day and the end of the due day (its due time when the
  phrase gives one). The states come from the item's history in the trail (each move's
  effective time), so an item enrolled in April does not owe March's report due 03-28, and
  one finished in May still owes May's. ``per: item`` makes it one report per item;
  ``per: unit`` one per unit covering all its items that owe.

:func:`item_parties` is the one place that says which units an item-dependent role names.

An occurrence is *filed* by a party when the ``report_filings`` table holds its row, *late*
once its due moment has passed with the party not filed (or filed after it), *open* before.
上报率 is filed / owing; 缺报名单 the owing parties not filed once it is due.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from engine.definition.index import ProgrammeIndex
from engine.definition.reports import ReportOccurrence
from engine.definition.schema import ANY_STATE, OWNER, Report
from engine.runtime.records import EventRow, FilingRow, PointRow

__all__ = [
    "Duty",
    "History",
    "Party",
    "due_moment",
    "duties",
    "item_parties",
    "owed",
    "state_histories",
]

#: A party owing an occurrence: its unit, and the item when it owes one per item ("" else).
Party = tuple[str, str]
#: An item's states in the order the trail moved it: (effective moment, state entered).
History = tuple[tuple[datetime, str], ...]


def state_histories(events: Iterable[EventRow]) -> dict[str, History]:
    """Each point's history of states from its trail events (in ``seq`` order)."""
    found: dict[str, list[tuple[datetime, str]]] = {}
    for e in events:
        if e.point_id is None or e.dest_state is None:
            continue
        found.setdefault(e.point_id, []).append(
            (datetime.fromisoformat(e.effective_at), e.dest_state)
        )
    return {point: tuple(h) for point, h in found.items()}


def start_moment(occ: ReportOccurrence, zone: ZoneInfo) -> datetime:
    return datetime.combine(occ.covered_first, time(0), tzinfo=zone)


def due_moment(occ: ReportOccurrence, zone: ZoneInfo) -> datetime:
    """When the occurrence is due: its due time on the due day, else the day's end."""
    if occ.due_time is not None:
        return datetime.combine(occ.due, occ.due_time, tzinfo=zone)
    return datetime.combine(occ.due + timedelta(days=1), time(0), tzinfo=zone)


def _was_in(history: History, states: frozenset[str], start: datetime, end: datetime) -> bool:
    """Whether ``history`` had the item in one of ``states`` at a moment of ``start``..``end``."""
    for i, (since, state) in enumerate(history):
        until = history[i + 1][0] if i + 1 < len(history) else None
        if state in states and since < end and (until is None or until > start):
            return True
    return False


def item_parties(role: str, point: PointRow) -> list[str]:
    """The units an item-dependent role of ``owed_by`` names for ``point``."""
    if role == OWNER:
        return [point.unit_id]
    return []


def while_states(report: Report, index: ProgrammeIndex) -> frozenset[str]:
    """The states during which an item owes ``report`` (default: every non-final one)."""
    final = index.final_states
    if not report.while_ or ANY_STATE in report.while_:
        return frozenset(s for s in index.states if s not in final) | frozenset(report.while_)
    return frozenset(report.while_)


def owed(
    report: Report,
    occ: ReportOccurrence,
    index: ProgrammeIndex,
    zone: ZoneInfo,
    points: Sequence[PointRow],
    histories: Mapping[str, History],
) -> list[Party]:
    """The parties owing ``occ`` of ``report``, in order (named bodies, then by item)."""
    found: dict[Party, None] = {}
    for role in report.owed_by:
        if role == OWNER:
            continue
        for body in index.expand([role]):
            found.setdefault((body, ""), None)
    item_roles = [r for r in report.owed_by if r == OWNER]
    if not item_roles:
        return list(found)
    states = while_states(report, index)
    start, end = start_moment(occ, zone), due_moment(occ, zone)
    for point in points:
        history = histories.get(point.point_id)
        if not history or not _was_in(history, states, start, end):
            continue
        for role in item_roles:
            for unit in item_parties(role, point):
                found.setdefault((unit, point.point_id if report.per == "item" else ""), None)
    return list(found)


@dataclass(frozen=True)
class Duty:
    """One occurrence of a report rule at a moment: who owes it and who has filed it."""

    report: Report
    occurrence: ReportOccurrence
    owing: tuple[Party, ...]
    filed: Mapping[Party, str]  # party -> filed_at (ISO), of the owing parties
    due_at: datetime
    now: datetime

    @property
    def is_due(self) -> bool:
        return self.now >= self.due_at

    @property
    def missing(self) -> list[Party]:
        """Owing parties that have not filed."""
        return [p for p in self.owing if p not in self.filed]

    @property
    def late(self) -> list[Party]:
        """Parties overdue now: due passed and not filed."""
        return self.missing if self.is_due else []

    @property
    def filed_late(self) -> list[Party]:
        return [p for p, at in self.filed.items() if datetime.fromisoformat(at) >= self.due_at]

    @property
    def rate(self) -> tuple[int, int]:
        """(filed, owing): the 上报率 of this occurrence."""
        return len(self.filed), len(self.owing)

    def missing_units(self) -> list[str]:
        """The 缺报名单: units with an owing party not filed once due, in order."""
        return list(dict.fromkeys(unit for unit, _ in self.late))


def duties(
    reports: Sequence[Report],
    occurrences: Mapping[str, Sequence[ReportOccurrence]],
    index: ProgrammeIndex,
    zone: ZoneInfo,
    points: Sequence[PointRow],
    histories: Mapping[str, History],
    filings: Iterable[FilingRow],
    now: datetime,
    *,
    rule: str | None = None,
    period: str | None = None,
) -> list[Duty]:
    """The occurrences whose window has begun by ``now`` (of one ``rule``/``period`` when
    given), each with its owing and filed parties."""
    filed: dict[tuple[str, str], dict[Party, str]] = {}
    for f in filings:
        filed.setdefault((f.rule, f.period), {})[(f.unit_id, f.point_id)] = f.filed_at
    today = now.astimezone(zone).date()
    found = []
    for report in reports:
        if rule is not None and report.id != rule:
            continue
        for occ in occurrences.get(report.id, ()):
            if occ.first > today and period is None:
                continue
            if period is not None and occ.key != period:
                continue
            owing = tuple(owed(report, occ, index, zone, points, histories))
            done = filed.get((report.id, occ.key), {})
            found.append(
                Duty(
                    report,
                    occ,
                    owing,
                    {p: done[p] for p in owing if p in done},
                    due_moment(occ, zone),
                    now,
                )
            )
    return found
