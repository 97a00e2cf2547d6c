"""Filing one occurrence of a recurring report: ``submit --task RULE --period P``.

Called by :meth:`engine.runtime.service.Runtime.submit` for a task that names a
``reports:`` rule; one store transaction like every command. The period is read against the
rule's occurrences (a key such as ``2021-03`` or the covered period's first day); the unit
must owe that occurrence (``engine.runtime.owing``), for the items it names with ``per:
item`` (all of its items that owe it and have not filed when it names none); a party that
filed it already, an unknown period and a period not begun yet are refused, each naming
what to do. Each filing is one ``file-report`` event and one ``report_filings`` row
(``engine.runtime.filings``); no item changes state.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

from engine.clock import Clock
from engine.definition.index import ProgrammeIndex
from engine.definition.loader import Definition
from engine.definition.reports import find_occurrence
from engine.definition.schema import CO, Report
from engine.errors import Named
from engine.refusals import (
    AlreadyFiled,
    NoPeriodGiven,
    NotOwed,
    PeriodNotBegun,
    PeriodNotTaken,
    PointsNotTaken,
    UnknownPeriod,
)
from engine.runtime.documents import StoredDocument
from engine.runtime.filings import FILE_REPORT
from engine.runtime.moves import event_data
from engine.runtime.owing import (
    ITEM_ROLES,
    by_items,
    histories_of,
    owed,
    start_moment,
    state_histories,
    while_states,
)
from engine.runtime.records import EventDraft, EventRow, FilingRow
from engine.runtime.store import Store, Transaction
from engine.runtime.userinput import check_text

__all__ = ["file_report", "report_named"]


class Runtime(Protocol):
    """What filing needs of :class:`engine.runtime.service.Runtime`."""

    definition: Definition
    index: ProgrammeIndex
    store: Store
    clock: Clock
    pid: str
    operator: str | None

    def _pin(self, tx: Transaction) -> None: ...

    def _store_file(self, file: Path | None) -> StoredDocument: ...


def report_named(definition: Definition, task: str, period: str | None) -> Report | None:
    """The recurring report ``task`` names (None for another task); a period given for a
    task that is not one is refused."""
    check_text(period or "", "报送期")
    found = definition.index.reports.get(task)
    if found is None and period is not None:
        index = definition.index
        kinds = index.point_tasks.get(task)
        label = (
            index.tasks[task].label if task in index.tasks else kinds[0].label if kinds else task
        )
        raise PeriodNotTaken(Named(task, label))
    return found


def file_report(
    rt: Runtime,
    unit: str,
    task: str,
    period: str | None,
    points: Sequence[str],
    file: Path,
    effective: datetime | None,
) -> list[EventRow]:
    """Record ``file`` as ``unit``'s report on ``period`` of the recurring report ``task``."""
    report = rt.index.reports[task]
    named = Named(report.id, report.label)
    found = rt.definition.report_occurrences.get(report.id, [])
    if period is None:
        raise NoPeriodGiven(named, found[0].key, found[-1].key)
    occ = find_occurrence(period, found)
    if occ is None:
        raise UnknownPeriod(named, period, [o.key for o in found])
    if points and (not by_items(report) or report.per != "item"):
        raise PointsNotTaken(named)
    zone = rt.definition.zone
    index = rt.index
    moment = effective or rt.clock.now()
    if moment < start_moment(occ, zone):
        raise PeriodNotBegun(named, occ.label, occ.covered_first)
    document = rt._store_file(file)
    with rt.store.transaction() as tx:
        rt._pin(tx)
        if CO in report.owed_by:  # a unit may owe for any item it shares
            mine = [p for p in tx.points(rt.pid) if p.unit_id == unit or unit in p.co]
            histories = histories_of(tx.state_moves(rt.pid))
        else:
            mine = tx.points(rt.pid, unit) if by_items(report) else []
            histories = state_histories(e for p in mine for e in tx.events(rt.pid, p.point_id))
        parties = [p for p in owed(report, occ, index, zone, mine, histories) if p[0] == unit]
        if points:
            wanted = [(unit, point) for point in dict.fromkeys(points)]  # each item once
            for party in wanted:
                if party not in parties:
                    raise _not_owed(rt, report, occ.label, unit, party[1])
            parties = wanted
        if not parties:
            raise _not_owed(rt, report, occ.label, unit, None)
        filed = {(f.unit_id, f.point_id): f for f in tx.filings(rt.pid, report.id, occ.key)}
        already = [p for p in parties if p in filed]
        if already and (points or len(already) == len(parties)):
            f = filed[already[0]]
            raise AlreadyFiled(
                named,
                occ.label,
                index.named_body(unit),
                f.point_id or None,
                f.event_seq,
                f.filed_at,
            )
        parties = [p for p in parties if p not in filed]
        now = rt.clock.now()
        tx.put_document(document, now)
        drafts = [
            EventDraft(
                programme_id=rt.pid,
                trigger=FILE_REPORT,
                actor=unit,
                point_id=point or None,
                unit_id=unit,
                document_sha256=document.sha256,
                data=event_data(
                    {"rule": report.id, "period": occ.key},
                    rt.operator,
                    document.original_name,
                ),
                effective_at=effective,
            )
            for _, point in parties
        ]
        events = tx.append_events(drafts, now)
        for event, (_, point) in zip(events, parties, strict=True):
            tx.add_filing(
                FilingRow(
                    rt.pid,
                    report.id,
                    occ.key,
                    unit,
                    point,
                    event.seq,
                    event.effective_at,
                )
            )
        return events


def _not_owed(rt: Runtime, report: Report, label: str, unit: str, point: str | None) -> NotOwed:
    index = rt.index
    roles = [r for r in report.owed_by if r not in ITEM_ROLES]
    named = [index.named_body(b) for b in index.expand(roles)]
    states = (
        [index.named_state(s) for s in index.states if s in while_states(report, index)]
        if by_items(report)
        else []
    )
    return NotOwed(
        Named(report.id, report.label), label, index.named_body(unit), point, named, states
    )
