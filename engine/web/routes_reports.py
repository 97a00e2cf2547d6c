"""Filing one period of a recurring report from a unit's page.

``POST /p/{pid}/units/{unit}/reports/{rule}`` with the period's key and the file: the unit
itself files it, or the coordinating office records a paper copy it received; any other
account is refused with 403 before the form is read. A report or period the programme does
not have is a 404 page; one the unit does not owe, has filed already or that has not begun
is refused by the engine (a 409 page in its words). The upload goes through the same check
and the same submit-and-receipt step as an item's.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from engine.web.problems import PageError
from engine.web.routes_unit import _filed, _upload_and, open_for
from engine.web.security import checked_form, require

__all__ = ["routes"]


async def file_report(request: Request) -> Response:
    account = require(request, "unit", "coordinator")  # the office records paper copies
    gd = open_for(request, account)
    unit, rule = request.path_params["unit"], request.path_params["rule"]
    definition = gd.definition
    if unit not in definition.index.bodies:
        raise PageError(404, f"没有单位 {unit}")
    if account.role == "unit" and account.body != unit:
        raise PageError(403, "这不是您单位的报送：每个单位只能报送本单位的周期性报送")
    report = definition.index.reports.get(rule)
    if report is None:
        raise PageError(404, f"本工作方案没有编号为 {rule} 的周期性报送")
    form = await checked_form(request, upload=True)
    try:
        upload, period = _upload_and(request, form, "period")
        keys = [o.key for o in definition.report_occurrences.get(rule, [])]
        if period not in keys:
            raise PageError(404, f"{report.label}没有报送期「{period}」")
        return await _filed(request, gd, unit, rule, [], upload, period)
    finally:
        await form.close()


routes = [
    Route("/p/{pid}/units/{unit}/reports/{rule}", file_report, methods=["POST"]),
]
