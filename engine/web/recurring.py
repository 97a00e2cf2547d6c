"""Recurring reports on the desk's pages: what a unit owes period by period, and each
report's periods with 上报率 and 缺报名单 for the office's dashboard and its 通报.

A unit's periods (``unit_reports``) are read here: the programme's kept snapshot
(``engine.app.live``) narrowed to the items the unit leads or shares (only those can make it owe), and the trail's filing events of the
unit, which give each filing its receipt. The office's (``office_reports``) and the 通报's
(``circular_reports``) come from the status its dashboard built already (its
``occurrences``): those pages read the store no more than before.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from engine.app import Programme
from engine.app.desk import TrailQuery, trail_page
from engine.app.live import LiveReads
from engine.views.recurring import FILE_REPORT, occurrence_duties, unit_periods

__all__ = ["RECENT", "SCREEN", "circular_reports", "office_reports", "unit_reports"]

#: Periods filed that a unit's page still lists, per report (every unfiled one is listed).
RECENT = 6
#: Periods per report on the office's page and in the 通报: a screenful, newest first.
SCREEN = 12


def unit_reports(gd: Programme, unit: str, live: LiveReads) -> dict[str, Any]:
    """Per recurring report ``unit`` owes: its periods begun, newest first (every one not
    filed, and the ``RECENT`` newest filed), each filing with its receipt's trail seq and
    the file's name."""
    definition = gd.definition
    found: dict[str, Any] = {"reports": [], "item": definition.programme.programme.item}
    if not definition.programme.reports:
        return found
    gd.runtime.check_pinned()
    snapshot = live.snapshot(gd)  # as the unit's items were read: kept, advanced
    mine = tuple(p for p in snapshot.points if p.unit_id == unit or unit in p.co)
    now = gd.now()
    duties = occurrence_duties(definition, replace(snapshot, points=mine), now)
    periods = unit_periods(definition, duties, unit, now.astimezone(definition.zone).date())
    receipts = _receipts(gd, unit) if any(p["filed"] for p in periods) else {}
    for report in definition.programme.reports:
        rows = [p for p in reversed(periods) if p["rule"] == report.id]
        if not rows:
            continue
        recent = {p["period"] for p in [p for p in rows if p["done"]][:RECENT]}
        shown = [p for p in rows if not p["done"] or p["period"] in recent]
        for p in shown:
            for f in p["filed"]:
                f["seq"], f["file"] = receipts.get(
                    (report.id, p["period"], f["point"], f["at"]), (None, None)
                )
        found["reports"].append(
            {
                "rule": report.id,
                "label": report.label,
                "every": report.every,
                "document": report.document or report.label,
                "periods": shown,
                "hidden": len(rows) - len(shown),
            }
        )
    return found


def _receipts(gd: Programme, unit: str) -> dict[tuple[str, str, str, str], tuple[int, Any]]:
    """The trail seq and file name of each of ``unit``'s filing events, by (rule, period,
    item, time filed): the time tells a standing filing from one withdrawn and filed again."""
    query = TrailQuery(units=frozenset({unit}), triggers=frozenset({FILE_REPORT}))
    found: dict[tuple[str, str, str, str], tuple[int, Any]] = {}
    after: int | None = 0
    while after is not None:
        events, after = trail_page(gd, query, after)
        for e in events:
            key = (str(e.extras.get("rule")), str(e.extras.get("period")), e.point_id or "")
            found[(*key, e.effective_at)] = (e.seq, e.extras.get("file"))
    return found


def office_reports(gd: Programme, status: dict[str, Any]) -> list[dict[str, Any]]:
    """Per recurring report, its periods begun (``status["occurrences"]``), newest first,
    at most ``SCREEN``, each with 上报率 and 缺报名单; ``hidden`` the older ones left out."""
    found = []
    rows = status.get("occurrences") or []
    for report in gd.definition.programme.reports:
        periods = [r for r in reversed(rows) if r["rule"] == report.id]
        if periods:
            found.append(
                {
                    "rule": report.id,
                    "label": report.label,
                    "every": report.every,
                    "periods": [_rated(r) for r in periods[:SCREEN]],
                    "hidden": max(0, len(periods) - SCREEN),
                }
            )
    return found


def _rated(row: dict[str, Any]) -> dict[str, Any]:
    percent = None if row["rate"] is None else f"{row['rate'] * 100:.1f}"
    return {**row, "percent": percent}


def circular_reports(gd: Programme, status: dict[str, Any], after: int) -> dict[str, Any]:
    """The 通报's paragraphs on recurring reports, numbered on from ``after`` paragraphs:
    per report, its periods past their due moment (newest first, at most ``SCREEN``) with
    上报率 and 缺报单位; ``missing`` whether any unit is in a 缺报名单."""
    from engine.delivery.gongwen import chinese_number

    found: list[dict[str, Any]] = []
    for report in office_reports(gd, status):
        due = [p for p in report["periods"] if p["is_due"] and p["owing"]]
        if due:
            n = after + len(found) + 1
            found.append({**report, "n": chinese_number(n) if n < 100 else str(n), "periods": due})
    missing = any(p["missing"] for r in found for p in r["periods"])
    return {"reports": found, "missing": missing}
