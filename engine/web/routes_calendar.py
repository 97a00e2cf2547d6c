"""iCalendar per unit, subscribable by address: the office or an administrator makes (or
revokes) a unit's token on the calendars page; the feed answers anyone holding the token,
without signing in, with the unit's deadlines as ``docflow export ical`` writes them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from engine.app.calendars import CalendarTokens
from engine.web.pages import render
from engine.web.problems import PageError
from engine.web.routes_unit import open_for
from engine.web.security import blocking, checked_form, desk_of, require

__all__ = ["routes"]

_MANAGERS = ("coordinator", "administrator")


def _unit(request: Request, gd: object) -> str:
    unit = request.path_params["unit"]
    if unit not in gd.definition.index.bodies:  # type: ignore[attr-defined]
        raise PageError(404, f"没有单位 {unit}")
    return str(unit)


async def calendars(request: Request) -> Response:
    """Each unit, whether its calendar address works, and the forms to make or revoke it."""
    account = require(request, *_MANAGERS)
    gd = open_for(request, account)
    tokens = CalendarTokens(desk_of(request).store)
    index = gd.definition.index
    units = [u for u in index.bodies if u in index.proposers or u in index.inspector_of]
    working = await blocking(tokens.units_with_token, gd.id)
    rows = [(u, index.body_label(u), u in working) for u in units]
    return render(request, "calendars.html", pid=gd.id, rows=rows, made=None)


async def manage(request: Request) -> Response:
    account = require(request, *_MANAGERS)
    gd = open_for(request, account)
    unit = _unit(request, gd)
    form = await checked_form(request)
    tokens = CalendarTokens(desk_of(request).store)
    if form.get("action") == "revoke":
        await blocking(tokens.revoke, gd.id, unit)
        made = None
    else:
        token = await blocking(tokens.make, gd.id, unit)
        made = f"{request.base_url}p/{gd.id}/units/{unit}/calendar.ics?token={token}"
    index = gd.definition.index
    return render(
        request,
        "calendar.html",
        pid=gd.id,
        unit_name=index.body_label(unit),
        made=made,
    )


async def feed(request: Request) -> Response:
    """The unit's calendar for whoever holds its token (404 otherwise: nothing is told)."""
    desk = desk_of(request)
    pid = request.path_params["pid"]
    if desk.definition(pid) is None:
        raise PageError(404, "没有这个日历")
    gd = desk.programme(pid)
    unit = _unit(request, gd)
    token = request.query_params.get("token", "")
    if not token or not await blocking(CalendarTokens(desk.store).valid, pid, unit, token):
        raise PageError(404, "没有这个日历：订阅地址有误，或已停用")
    text = await blocking(gd.export_ical, unit)
    return Response(
        text,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'inline; filename="{pid}-{unit}.ics"'},
    )


routes = [
    Route("/p/{pid}/calendars", calendars),
    Route("/p/{pid}/units/{unit}/calendar", manage, methods=["POST"]),
    Route("/p/{pid}/units/{unit}/calendar.ics", feed),
]
