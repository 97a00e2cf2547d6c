"""The desk's ASGI application: its routes, the signed session cookie, the error pages."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.errors import DocflowError
from engine.web import (
    routes_audit,
    routes_auth,
    routes_calendar,
    routes_office,
    routes_reports,
    routes_unit,
)
from engine.web.desk import Desk
from engine.web.pages import error_page
from engine.web.problems import PageError, refused
from engine.web.security import SESSION_COOKIE, SESSION_SECONDS

__all__ = ["create_app", "run"]


async def _page_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageError)
    return error_page(request, exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_page(
        request, PageError(exc.status_code, _HTTP_WORDS.get(exc.status_code, "请求无法处理"))
    )


async def _engine_error(request: Request, exc: Exception) -> Response:
    """What the engine refused or could not do on a read no route words itself (a changed
    definition not yet migrated, the store out of reach): its own words, worded with the
    programme's item noun (409)."""
    assert isinstance(exc, DocflowError)
    definition = request.app.state.desk.definition(request.path_params.get("pid", ""))
    if definition is None:
        return error_page(request, PageError(409, exc.message))
    return error_page(request, refused(409, exc, definition))


async def _server_error(request: Request, exc: Exception) -> Response:
    """Anything unforeseen: a page in Chinese (the traceback goes to the server's log only)."""
    return error_page(
        request, PageError(500, "系统内部错误，未能办理：请稍后再试，或联系系统管理员", "系统错误")
    )


class SecurityHeaders:
    """Headers on every response: no framing, no sniffing, no referrer leaving the site
    (a set-password link carries its token in the address), scripts only from here."""

    HEADERS = (
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (
            b"content-security-policy",
            b"default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        ),
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.HEADERS]
            await send(message)

        await self.app(scope, receive, sending)


_HTTP_WORDS = {404: "没有这个页面", 405: "此页面不接受这种请求", 400: "请求格式不正确"}


def create_app(desk: Desk, secret: str, *, https_only: bool = False) -> Starlette:
    """The desk on ``desk``'s programmes; sessions signed with ``secret``."""
    from pathlib import Path

    static = Path(__file__).parent / "static"
    app = Starlette(
        routes=[
            *routes_auth.routes,
            *routes_unit.routes,
            *routes_reports.routes,
            *routes_office.routes,
            *routes_audit.routes,
            *routes_calendar.routes,
            Mount("/static", StaticFiles(directory=static), name="static"),
        ],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=secret,
                session_cookie=SESSION_COOKIE,
                max_age=SESSION_SECONDS,
                same_site="lax",
                https_only=https_only,
            ),
        ],
        exception_handlers={
            PageError: _page_error,
            DocflowError: _engine_error,
            HTTPException: _http_error,
            Exception: _server_error,
        },
    )
    app.state.desk = desk
    return app


def run(app: Starlette, host: str, port: int, **options: Any) -> None:
    """Serve ``app`` with uvicorn until stopped (``docflow web``).

    What the process loaded before serving (the libraries, the programmes' definitions)
    lives as long as it does: frozen out of the collector's sight, so that a full
    collection during a request walks only what requests made (otherwise a pause of tens
    of milliseconds, seen at the pages' p99 in ``bench/bench_desk.py``)."""
    import gc

    import uvicorn

    gc.collect()
    gc.freeze()
    uvicorn.run(app, host=host, port=port, log_level="warning", **options)
