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

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from zoneinfo import ZoneInfo

from engine.definition.index import ProgrammeIndex
from engine.definition.reports import ReportOccurrence
from engine.definition.schema import ANY_STATE, CO, OWNER, Report
from engine.runtime.records import EventRow, Filed, PointRow

__all__ = [
    "ITEM_ROLES",
    "Duty",
    "History",
    "Party",
    "by_items",
    "due_moment",
    "duties",
    "histories_of",
    "item_parties",
    "moment_of",
    "owed",
    "owing_table",
    "state_histories",
]

#: A party owing an occurrence: its unit, and the item when it owes one per item ("" else).
Party = tuple[str, str]
#: An item's states in the order the trail moved it: (effective moment, state entered).
History = tuple[tuple[datetime, str], ...]


def state_histories(events: Iterable[EventRow]) -> dict[str, History]:
    """Each point's history of states from its trail events (in ``seq`` order)."""
    return histories_of(
        (e.point_id, e.dest_state, e.effective_at)
        for e in events
        if e.point_id is not None and e.dest_state is not None
    )


def histories_of(moves: Iterable[tuple[str, str, str]]) -> dict[str, History]:
    """Each point's history from its moves (point, state entered, effective_at), in order."""
    found: dict[str, list[tuple[datetime, str]]] = {}
    for point, state, at in moves:
        found.setdefault(point, []).append((moment_of(at), state))
    return {point: tuple(h) for point, h in found.items()}


@lru_cache(maxsize=65536)
def moment_of(text: str) -> datetime:
    """A stored ISO 8601 time as a datetime (the same few stamps recur across items)."""
    return datetime.fromisoformat(text)


def start_moment(occ: ReportOccurrence, zone: ZoneInfo) -> datetime:
    return datetime.combine(occ.covered_first, time(0), tzinfo=zone)


def due_moment(occ: ReportOccurrence, zone: ZoneInfo) -> datetime:
    """When the occurrence is due: its due time on the due day, else the day's end."""
    if occ.due_time is not None:
        return datetime.combine(occ.due, occ.due_time, tzinfo=zone)
    return datetime.combine(occ.due + timedelta(days=1), time(0), tzinfo=zone)


def _spans(history: History, states: frozenset[str]) -> list[tuple[datetime, datetime | None]]:
    """The stretches of ``history`` during which the item was in one of ``states``
    (adjacent ones merged; ``None``: still in it)."""
    found: list[tuple[datetime, datetime | None]] = []
    for i, (since, state) in enumerate(history):
        if state not in states:
            continue
        until = history[i + 1][0] if i + 1 < len(history) else None
        if found and found[-1][1] == since:
            since = found.pop()[0]
        found.append((since, until))
    return found


#: The roles of ``owed_by`` that name units through each item.
ITEM_ROLES = (OWNER, CO)


def by_items(report: Report) -> bool:
    """Whether ``report`` is owed through items (``owner`` or ``co`` among ``owed_by``)."""
    return any(r in ITEM_ROLES for r in report.owed_by)


def item_parties(role: str, point: PointRow) -> list[str]:
    """The units an item-dependent role of ``owed_by`` names for ``point``: its lead unit
    (``owner``) or its co-responsible units (``co``)."""
    if role == OWNER:
        return [point.unit_id]
    if role == CO:
        return list(point.co)
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
    return owing_table(report, [occ], index, zone, points, histories)[0]


def owing_table(
    report: Report,
    occurrences: Sequence[ReportOccurrence],
    index: ProgrammeIndex,
    zone: ZoneInfo,
    points: Sequence[PointRow],
    histories: Mapping[str, History],
) -> list[list[Party]]:
    """The parties owing each of ``occurrences`` (in order of their periods), in one pass
    over the items: an item's stretches in the ``while`` states give, by bisection of the
    occurrences' windows, the range of occurrences it owes."""
    return [list(t) for t in _owing_sets(report, occurrences, index, zone, points, histories)]


def _owing_sets(
    report: Report,
    occurrences: Sequence[ReportOccurrence],
    index: ProgrammeIndex,
    zone: ZoneInfo,
    points: Sequence[PointRow],
    histories: Mapping[str, History],
) -> list[dict[Party, None]]:
    """``owing_table`` as ordered sets (dicts), for set operations on them."""
    named: list[Party] = []
    for role in report.owed_by:
        if role not in ITEM_ROLES:
            named.extend((body, "") for body in index.expand([role]) if (body, "") not in named)
    table: list[dict[Party, None]] = [dict.fromkeys(named) for _ in occurrences]
    item_roles = [r for r in report.owed_by if r in ITEM_ROLES]
    if item_roles and occurrences:
        states = while_states(report, index)
        starts = [start_moment(o, zone) for o in occurrences]
        ends = [due_moment(o, zone) for o in occurrences]
        per_item = report.per == "item"
        for point in points:
            history = histories.get(point.point_id)
            if not history:
                continue
            owes: set[int] = set()
            for since, until in _spans(history, states):
                lo = bisect_right(ends, since)
                hi = len(starts) if until is None else bisect_left(starts, until)
                owes.update(range(lo, hi))
            if not owes:
                continue
            for role in item_roles:
                for unit in item_parties(role, point):
                    party = (unit, point.point_id if per_item else "")
                    for i in owes:
                        table[i].setdefault(party, None)
    return table


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
        """Parties that filed after the due moment."""
        late = {at for at in set(self.filed.values()) if moment_of(at) >= self.due_at}
        return [p for p, at in self.filed.items() if at in late] if late else []

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
    filings: Iterable[Filed],
    now: datetime,
    *,
    rule: str | None = None,
    period: str | None = None,
) -> list[Duty]:
    """The occurrences whose window has begun by ``now`` (of one ``rule``/``period`` when
    given), each with its owing and filed parties."""
    filed: dict[tuple[str, str], dict[Party, str]] = {}
    by_period = itemgetter(0, 1)
    for key, rows in groupby(sorted(filings, key=by_period), key=by_period):
        of_period = filed.setdefault(key, {})
        of_period.update(((unit, point), at) for _r, _p, unit, point, at in rows)
    today = now.astimezone(zone).date()
    found = []
    for report in reports:
        if rule is not None and report.id != rule:
            continue
        chosen = [
            o
            for o in occurrences.get(report.id, ())
            if (o.key == period if period is not None else o.first <= today)
        ]
        table = _owing_sets(report, chosen, index, zone, points, histories)
        for occ, owing in zip(chosen, table, strict=True):
            done = filed.get((report.id, occ.key), {})
            common = done.keys() & owing.keys() if done else set()
            found.append(
                Duty(
                    report,
                    occ,
                    tuple(owing),
                    done if len(common) == len(done) else {p: done[p] for p in common},
                    due_moment(occ, zone),
                    now,
                )
            )
    return found
