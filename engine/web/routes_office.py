"""The coordinating office: the decisions to make, taken one by one or many at once, and
the status matrix of units by steps with lights, 上报率 per step and the 缺报名单 (and per
period of each recurring report: ``engine.web.recurring``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import date
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from engine.app import Programme
from engine.app.desk import read_office, stuck_items, urge_by_hand
from engine.app.live import LiveReads
from engine.definition.labels import OUTCOME_LABELS
from engine.errors import DocflowError
from engine.runtime.progress import ProgressView
from engine.runtime.userinput import check_text
from engine.views.report_run import notification_rows
from engine.views.status import state_label
from engine.web.pages import render, render_kept
from engine.web.problems import PageError, refused, small_number
from engine.web.recurring import circular_reports, office_reports
from engine.web.routes_unit import open_for
from engine.web.security import blocking, checked_form, desk_of, require

__all__ = ["routes"]

#: Lights from worst to best: a unit's cell shows the worst of its points'.
_ORDER = ("red", "yellow", "blue", "green", "none")


#: The points of one decision group listed on the page (the rest are decided with 全部).
SHOWN = 200
#: Working days in one state after which an item is listed as stuck (``?stuck=N``).
STUCK_DAYS = 10


def _extension_requested(gd: Programme, snapshot: Any) -> set[str]:
    """The points whose latest extension record is a request (awaiting grant or refusal)."""
    kinds = {t.trigger: t.extension for t in gd.definition.index.transitions.values()}
    latest: dict[str, str | None] = {}
    for e in snapshot.trail:
        if e.point_id is not None and kinds.get(e.trigger):
            latest[e.point_id] = kinds[e.trigger]
    return {point for point, kind in latest.items() if kind == "request"}


def decision_queue(gd: Programme, snapshot: Any) -> list[dict[str, Any]]:
    """Points waiting on a decision, by task: what may be decided and which points (rows of
    the store; an extension's grant or refusal only for the points that asked for one)."""
    index = gd.definition.index
    requested = _extension_requested(gd, snapshot)
    by_task: dict[str, dict[str, Any]] = {}
    decisions: dict[str, list[Any]] = {}  # by state: the few states, worked out once each
    for p in snapshot.points:
        if p.state not in decisions:
            decisions[p.state] = [
                t
                for t in index.transitions_from(p.state)
                if t.takes == "decision" and t.task is not None
            ]
        for t in decisions[p.state]:
            if t.extension is not None and p.point_id not in requested:
                continue
            group = by_task.setdefault(
                t.task,
                {
                    "task": t.task,
                    "label": index.tasks[t.task].label if t.task in index.tasks else t.label,
                    "outcomes": {},
                    "points": {},
                    "until": False,  # a grant sets the new due day
                },
            )
            group["until"] = group["until"] or t.extension == "grant"
            if t.outcome:
                group["outcomes"].setdefault(t.outcome, OUTCOME_LABELS[t.outcome])
            group["points"].setdefault(p.point_id, p)
    return [
        {**g, "outcomes": list(g["outcomes"].items()), "points": list(g["points"].values())}
        for g in by_task.values()
    ]


def status_matrix(gd: Programme, summary: dict[str, Any]) -> dict[str, Any]:
    """Units by document steps: each cell the worst light of the unit's points there."""
    definition = gd.definition
    view = ProgressView.of(definition)
    today = date.fromisoformat(summary["today"])
    triggers = [s["step"] for s in summary["steps"]]
    cells: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    lights: dict[tuple[str, str, bool, Any, Any], str] = {}  # many cells share one light
    for unit, state, tallied in summary["tally"]:  # points that stand alike, counted once
        for step, (submitted, overdue, due, _decision) in zip(triggers, tallied, strict=True):
            key = (state, step, submitted, overdue, due)
            if key not in lights:
                cell = {"submitted": submitted, "overdue": overdue, "due": due}
                lights[key] = _light(view, state, step, cell, today)
            cells[unit][step].add(lights[key])
    order = {body: n for n, body in enumerate(definition.index.bodies)}
    units = [
        {
            "id": unit,
            "name": definition.index.body_label(unit),
            "cells": [_worst(cells[unit].get(s["step"], ())) for s in summary["steps"]],
        }
        for unit in sorted(cells, key=order.__getitem__)
    ]
    return {"steps": summary["steps"], "units": units, "totals": summary["totals"]}


def notification_record(gd: Programme, sent: Any, limit: int = 200) -> list[dict[str, Any]]:
    """Who was reminded or urged when, newest first (the report's notification record)."""
    return list(reversed(notification_rows(gd.definition, sent)))[:limit]


def dashboard(gd: Programme, stuck_days: int, live: LiveReads) -> dict[str, Any]:
    """Everything the office's page shows, from one read of the store."""
    read = read_office(gd, live)
    queue = decision_queue(gd, read.snapshot)
    index = gd.definition.index
    for group in queue:
        group["count"] = len(group["points"])
        group["points"] = [
            {
                "id": p.point_id,
                "unit_name": index.body_label(p.unit_id),
                "title": p.title,
                "state": state_label(gd.definition, p.state),
            }
            for p in group["points"][:SHOWN]
        ]
    stuck = stuck_items(gd, read.snapshot, stuck_days)
    return {
        "stuck": [
            {
                "id": s.point,
                "unit_name": index.body_label(s.unit),
                "title": s.title,
                "state": state_label(gd.definition, s.state),
                "since": s.since.isoformat(),
                "days": s.working_days,
            }
            for s in stuck[:SHOWN]
        ],
        "stuck_count": len(stuck),
        "stuck_days": stuck_days,
        "queue": queue,
        "report": read.status,
        "matrix": status_matrix(gd, read.summary),
        "notices": notification_record(gd, read.snapshot.sent),
    }


def _light(view: ProgressView, state: str, step: str, cell: dict[str, Any], today: date) -> str:
    if cell["submitted"]:
        return "green"
    if cell["overdue"] is None:
        return "none"
    due = date.fromisoformat(cell["due"])
    return view.colour(state, view.index.transitions[step], due, today)


def _worst(lights: Collection[str]) -> str:
    return min(lights, key=_ORDER.index) if lights else "none"


async def office(request: Request) -> Response:
    account = require(request, "coordinator", "auditor")
    gd = open_for(request, account)
    desk = desk_of(request)
    text = request.query_params.get("stuck", "")
    days = small_number(text, STUCK_DAYS, 4)

    def context() -> dict[str, Any]:
        live = desk.live(gd.id)
        shown = desk.views.get(gd, ("office", days), lambda: dashboard(gd, days, live))
        return {
            "pid": gd.id,
            "title": gd.definition.programme.programme.title,
            "shown": SHOWN,
            "today": gd.now().astimezone(gd.definition.zone).date().isoformat(),
            "urged": request.query_params.get("urged"),
            **shown,
            "recurring": office_reports(gd, shown["report"]),
            "queue": shown["queue"] if account.role == "coordinator" else [],
        }

    return await render_kept(request, gd, "office.html", context)


async def decide(request: Request) -> Response:
    account = require(request, "coordinator")
    gd = open_for(request, account)
    form = await checked_form(request)
    task, outcome = str(form.get("task", "")), str(form.get("outcome", ""))
    reason = str(form.get("reason", "")).strip()
    points = [str(p) for p in form.getlist("point")]
    if form.get("all") == "1":  # every point of the group, listed on the page or not
        snapshot = await blocking(desk_of(request).live(gd.id).snapshot, gd)
        group = [g for g in decision_queue(gd, snapshot) if g["task"] == task]
        points = [p.point_id for p in group[0]["points"]] if group else []
    until_text = str(form.get("until", "")).strip()
    try:
        until = date.fromisoformat(until_text) if until_text else None
    except ValueError:
        raise PageError(400, f"新期限「{until_text}」不是日期：请写作 2011-07-15") from None
    if not points:
        raise PageError(400, "请至少选择一个事项")
    if not reason:
        raise PageError(400, "请写明决定的理由（退回时写明需补充或修改的内容）")
    try:
        check_text(reason, "理由")
        await blocking(gd.decide, task, points, outcome, reason, None, until)
    except DocflowError as exc:
        raise refused(409, exc, gd.definition) from None
    return RedirectResponse(f"/p/{gd.id}/office?done={len(points)}", status_code=303)


def circular(gd: Programme, report: dict[str, Any]) -> dict[str, Any]:
    """A 通报 of the current state, as a 公文: 主送, the 上报率 and 缺报名单 of each step
    already due, 落款 and date (the programme's date style)."""
    from engine.delivery.gongwen import chinese_number, format_date
    from engine.delivery.noticecontext import programme_facts

    facts = programme_facts(gd.definition)
    header = gd.definition.programme.programme
    today = gd.now().astimezone(gd.definition.zone).date()
    due = [s for s in report["steps"] if s["total"] and s["due"] and s["due"] < today.isoformat()]
    steps = [
        {
            **s,
            "n": chinese_number(n) if n < 100 else str(n),
            "due_words": format_date(date.fromisoformat(s["due"]), "arabic"),
            "percent": f"{s['rate'] * 100:.1f}",
        }
        for n, s in enumerate(due, start=1)
    ]
    return {
        "facts": facts,
        "addressees": [str(a) for a in header.addressees],
        "today": format_date(today, "arabic"),
        "signed": format_date(today, header.date_style),
        "steps": steps,
        "missing": any(s["missing"] for s in steps),
    }


async def circular_page(request: Request) -> Response:
    account = require(request, "coordinator", "auditor")
    gd = open_for(request, account)
    desk = desk_of(request)
    live = desk.live(gd.id)
    build = partial(dashboard, gd, STUCK_DAYS, live)
    shown = await blocking(desk.views.get, gd, ("office", STUCK_DAYS), build)
    found = circular(gd, shown["report"])
    recurring = circular_reports(gd, shown["report"], len(found["steps"]))
    return render(request, "circular.html", pid=gd.id, **found, recurring=recurring)


async def urge(request: Request) -> Response:
    """A 催报 sent now to the units owing a step past its due day (as ``remind`` sends it)."""
    account = require(request, "coordinator")
    gd = open_for(request, account)
    form = await checked_form(request)
    step = str(form.get("step", ""))
    try:
        result = await blocking(urge_by_hand, gd, step)
    except DocflowError as exc:
        raise refused(409, exc, gd.definition) from None
    return RedirectResponse(f"/p/{gd.id}/office?urged={len(result.sent)}", status_code=303)


routes = [
    Route("/p/{pid}/office", office),
    Route("/p/{pid}/urge", urge, methods=["POST"]),
    Route("/p/{pid}/circular", circular_page),
    Route("/p/{pid}/decide", decide, methods=["POST"]),
]
