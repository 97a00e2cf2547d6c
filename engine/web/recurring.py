"""Recurring reports on the desk's pages: what a unit owes period by period.

A unit's periods (``unit_reports``) are read here: one snapshot narrowed to the items the
unit leads or shares (only those can make it owe), and the trail's filing events of the
unit, which give each filing its receipt.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from engine.app import Programme
from engine.app.desk import TrailQuery, trail_page
from engine.views.recurring import FILE_REPORT, occurrence_duties, unit_periods

__all__ = ["RECENT", "unit_reports"]

#: Periods filed that a unit's page still lists, per report (every unfiled one is listed).
RECENT = 6


def unit_reports(gd: Programme, unit: str) -> dict[str, Any]:
    """Per recurring report ``unit`` owes: its periods begun, newest first (every one not
    filed, and the ``RECENT`` newest filed), each filing with its receipt's trail seq and
    the file's name."""
    definition = gd.definition
    found: dict[str, Any] = {"reports": [], "item": definition.programme.programme.item}
    if not definition.programme.reports:
        return found
    gd.runtime.check_pinned()
    snapshot = gd.snapshot()
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
