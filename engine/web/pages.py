"""Rendering the desk's pages: one Jinja2 environment (autoescaped, strict), the error page.

Every page gets the signed-in account, the CSRF token its forms carry and the lights' words.
A ``PageError`` (``engine.web.problems``) raised anywhere becomes a page with its status and its Chinese message.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from engine.definition.labels import COLOUR_LABELS, COLOUR_LAMPS
from engine.refusals.accounts import ROLE_LABELS
from engine.web.problems import PageError
from engine.web.security import blocking, csrf_token, desk_of, signed_in_or_none

if TYPE_CHECKING:
    from engine.app import Programme

__all__ = ["PageError", "error_page", "render", "render_kept"]

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("engine.web", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _minute(value: str | datetime | None) -> str:
    """An ISO time as the desk shows it: ``2011-05-06 10:00``."""
    if value is None:
        return "—"
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return text[:16].replace("T", " ")


def _days(due: str | None, today: date) -> str:
    """``还有 3 天``, ``今天到期`` or ``已逾期 2 天`` for an ISO due day."""
    if not due:
        return ""
    left = (date.fromisoformat(due) - today).days
    if left > 0:
        return f"还有 {left} 天"
    if left == 0:
        return "今天到期"
    return f"已逾期 {-left} 天"


_ENV.filters["minute"] = _minute
_ENV.globals.update(
    lamps=COLOUR_LAMPS,
    colour_labels=COLOUR_LABELS,
    role_labels=ROLE_LABELS,
    days_words=_days,
)


def _page(request: Request, template: str, context: dict[str, Any]) -> str:
    return _ENV.get_template(template).render(
        request=request,
        account=signed_in_or_none(request),
        csrf=csrf_token(request),
        **context,
    )


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(_page(request, template, context), status_code=status)


async def render_kept(
    request: Request,
    gd: Programme,
    template: str,
    context: Callable[[], dict[str, Any]],
) -> HTMLResponse:
    """``template`` rendered with ``context()``, kept (``Desk.views``) for this person's
    session and this address while the store's mark and the day stay the same: a page read
    again and again by the same person is rendered once."""
    account = signed_in_or_none(request)
    key = (
        "page",
        template,
        account.id if account is not None else None,
        csrf_token(request),
        request.url.path,
        request.url.query,
    )
    views = desk_of(request).views
    text = await blocking(views.get, gd, key, lambda: _page(request, template, context()))
    return HTMLResponse(text)


def error_page(request: Request, exc: PageError) -> HTMLResponse:
    return render(request, "error.html", exc.status, title=exc.title, message=exc.message)
