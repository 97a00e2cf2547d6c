"""Recurring reports in the views: each occurrence owed now, its 上报率 and 缺报名单.

``occurrence_rows`` turns the duties of :mod:`engine.runtime.owing` (the occurrences whose
window has begun) into plain rows for the status table, the HTML report and the 汇总表;
``unit_rows`` lists what one unit owes: its open and late occurrences (and those filed
late). ``report_lines`` prints both for ``status``. ``filing_label`` names a
``file-report`` event in the trail (报送任务推进情况（2021年3月）), ``filing_of`` gives its
report and period apart (a receipt's lines).

``unit_periods`` is what the desk shows a unit: every occurrence begun that it owes, filed
or not, with its filings and a light as items have one - green once filed, red past the due
moment, yellow within the warning days of the report's reminder policy, blue before.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from engine.definition.loader import Definition
from engine.runtime.filings import FILE_REPORT
from engine.runtime.owing import Duty, duties
from engine.runtime.progress import ProgressView
from engine.runtime.records import EventRow
from engine.runtime.snapshot import Snapshot

__all__ = [
    "FILE_REPORT",
    "filing_label",
    "filing_of",
    "occurrence_duties",
    "occurrence_rows",
    "occurrence_table",
    "report_lines",
    "unit_periods",
    "unit_rows",
]


def occurrence_duties(
    definition: Definition,
    snapshot: Snapshot,
    now: datetime,
    *,
    rule: str | None = None,
    period: str | None = None,
) -> list[Duty]:
    """Every occurrence begun by ``now`` (or the one ``rule``/``period`` names)."""
    return duties(
        definition.programme.reports,
        definition.report_occurrences,
        definition.index,
        definition.zone,
        snapshot.points,
        snapshot.histories,
        snapshot.filings,
        now,
        rule=rule,
        period=period,
    )


def _row(definition: Definition, d: Duty) -> dict[str, Any]:
    index = definition.index
    occ = d.occurrence
    filed, owing = d.rate
    missing = d.missing_units()
    return {
        "rule": d.report.id,
        "label": d.report.label,
        "period": occ.key,
        "period_label": occ.label,
        "covered": [occ.covered_first.isoformat(), occ.covered_last.isoformat()],
        "due": occ.due.isoformat(),
        "due_text": occ.due_text,
        "is_due": d.is_due,
        "filed": filed,
        "owing": owing,
        "rate": round(filed / owing, 4) if owing else None,
        "missing": missing,
        "missing_names": [index.body_label(u) for u in missing],
        "filed_late": len(d.filed_late),
    }


def occurrence_rows(definition: Definition, duties: Sequence[Duty]) -> list[dict[str, Any]]:
    """One row per occurrence of ``duties`` (``occurrence_duties``): 上报率 and 缺报名单."""
    return [_row(definition, d) for d in duties]


def unit_rows(
    definition: Definition, duties: Sequence[Duty], unit: str | None = None
) -> list[dict[str, Any]]:
    """Per unit (or ``unit`` alone), each occurrence it owes and has not filed (open or
    late) or filed after its due moment."""
    index = definition.index
    found = []
    for d in duties:
        late_filed = set(d.filed_late)
        by_unit: dict[str, dict[str, list[str]]] = {}
        for party in d.owing:
            who, point = party
            if unit is not None and who != unit:
                continue
            if party in d.filed and party not in late_filed:
                continue
            kind = "filed_late" if party in d.filed else ("late" if d.is_due else "open")
            by_unit.setdefault(who, {}).setdefault(kind, []).append(point)
        for who, kinds in by_unit.items():
            for kind, points in kinds.items():
                found.append(
                    {
                        "unit": who,
                        "unit_name": index.body_label(who),
                        "rule": d.report.id,
                        "label": d.report.label,
                        "period": d.occurrence.key,
                        "period_label": d.occurrence.label,
                        "due": d.occurrence.due.isoformat(),
                        "due_text": d.occurrence.due_text,
                        "status": kind,
                        "points": [p for p in points if p],
                    }
                )
    return found


def occurrence_table(rows: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """The 汇总表's table of recurring reports: one line per occurrence begun."""
    head = ["报送事项", "报送期", "期限", "应报", "已报", "上报率", "其中逾期报送", "缺报单位"]
    table = [
        [
            r["label"],
            r["period_label"],
            r["due_text"],
            r["owing"],
            r["filed"],
            "—" if r["rate"] is None else f"{r['rate'] * 100:.1f}%",
            r["filed_late"],
            "、".join(r["missing_names"]) if r["is_due"] else "（未到期）",
        ]
        for r in rows
    ]
    return head, table


_STATUS_WORDS = {"open": "待报", "late": "逾期未报", "filed_late": "逾期已报", "filed": "已报送"}


def report_lines(report: dict[str, Any]) -> list[str]:
    """The status table's lines on recurring reports."""
    rows = report.get("occurrences") or []
    owed = report.get("owed_occurrences") or []
    if not rows and not owed:
        return []
    lines = ["", "周期性报送（各期上报率）："] if rows else []
    for r in rows:
        line = f"  {r['label']} {r['period_label']}（期限 {r['due_text']}）："
        if not r["owing"]:
            lines.append(line + "本期没有须报送的单位")
            continue
        line += f"{r['filed']}/{r['owing']}，{r['rate'] * 100:.0f}%"
        if r["missing_names"]:
            line += f"；缺报：{'、'.join(r['missing_names'][:12])}"
            if len(r["missing_names"]) > 12:
                line += f"等 {len(r['missing_names'])} 个单位"
        lines.append(line)
    if owed:
        lines += ["", "各单位待报和逾期的周期性报送："]
        for o in owed:
            items = (
                f"，{len(o['points'])} 个{report['item']}：{'、'.join(o['points'][:6])}"
                if o["points"]
                else ""
            )
            lines.append(
                f"  {_STATUS_WORDS[o['status']]} {o['unit_name']}：{o['label']} "
                f"{o['period_label']}（期限 {o['due_text']}）{items}"
            )
    elif report.get("unit") is not None:
        lines.append("  本单位没有待报或逾期的周期性报送。")
    return lines


def unit_periods(
    definition: Definition, duties: Sequence[Duty], unit: str, today: date
) -> list[dict[str, Any]]:
    """Each occurrence of ``duties`` that ``unit`` owes (itself, or for its items as lead
    or co-responsible unit), in their order: its status (``open``, ``late``, ``filed``,
    ``filed_late``) and words, its light, the items it covers (``per: item``) and each
    filing made (item, time, whether late)."""
    view = ProgressView.of(definition)
    found = []
    for d in duties:
        parties = [p for p in d.owing if p[0] == unit]
        if not parties:
            continue
        late = set(d.filed_late)
        filed = [
            {"point": point, "at": d.filed[(who, point)], "late": (who, point) in late}
            for who, point in parties
            if (who, point) in d.filed
        ]
        done = len(filed) == len(parties)
        status = _period_status(d, done, bool(late & set(parties)))
        occ = d.occurrence
        found.append(
            {
                "rule": d.report.id,
                "label": d.report.label,
                "period": occ.key,
                "period_label": occ.label,
                "due": occ.due.isoformat(),
                "due_text": occ.due_text,
                "status": status,
                "status_words": _STATUS_WORDS[status],
                "colour": _period_light(view, d, done, today),
                "done": done,
                "owing": len(parties),
                "points": [point for _, point in parties if point],
                "filed": filed,
            }
        )
    return found


def _period_status(d: Duty, done: bool, any_late: bool) -> str:
    if done:
        return "filed_late" if any_late else "filed"
    return "late" if d.is_due else "open"


def _period_light(view: ProgressView, d: Duty, done: bool, today: date) -> str:
    if done:
        return "green"
    if d.is_due:
        return "red"
    limit = view.calendar.working_days_after(today, view.warn_days(d.report.reminders))
    return "yellow" if d.occurrence.due <= limit else "blue"


def filing_of(definition: Definition, e: EventRow) -> tuple[str, str] | None:
    """The report's label and the period's for a ``file-report`` event (None for another
    event): ``("报送任务推进情况", "2021年3月")``."""
    if e.trigger != FILE_REPORT:
        return None
    data = e.extras
    rule, period = data.get("rule"), data.get("period")
    occurrences = definition.report_occurrences.get(str(rule), [])
    found = definition.index.reports.get(str(rule))
    label = found.label if found is not None else str(rule)
    shown = next((o.label for o in occurrences if o.key == period), str(period))
    return label, shown


def filing_label(definition: Definition, e: EventRow) -> str | None:
    """The words for a ``file-report`` event (None for another event)."""
    found = filing_of(definition, e)
    return None if found is None else f"{found[0]}（{found[1]}）"
