"""Signing in and out, setting a password from a one-time link, and the home page."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from engine.errors import Refused
from engine.refusals.accounts import SignInThrottled
from engine.web.pages import render
from engine.web.problems import PageError
from engine.web.security import (
    blocking,
    checked_form,
    desk_of,
    sign_in_session,
    sign_out_session,
    signed_in_or_none,
)

__all__ = ["routes"]


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def healthz(_request: Request) -> Response:
    """For a reverse proxy or a monitor: the server answers (nothing is read)."""
    return PlainTextResponse("ok")


async def home(request: Request) -> Response:
    account = signed_in_or_none(request)
    if account is None:
        return RedirectResponse("/login", status_code=303)
    desk = desk_of(request)
    programmes = [
        {
            "id": pid,
            "title": d.programme.programme.title,
            "unit": desk.may_see_unit(account, pid, account.body),
        }
        for pid, d in desk.definitions.items()
    ]
    return render(request, "home.html", programmes=programmes)


async def login_page(request: Request) -> Response:
    return render(request, "login.html", problem=None, name="")


async def login(request: Request) -> Response:
    form = await checked_form(request)
    name, password = _text(form, "name").strip(), _text(form, "password")
    remote = request.client.host if request.client else "未知"
    try:
        account = await blocking(desk_of(request).accounts.sign_in, name, password, remote)
    except Refused as exc:
        status = 429 if isinstance(exc, SignInThrottled) else 400
        return render(request, "login.html", status, problem=exc.message, name=name)
    sign_in_session(request, account)
    return RedirectResponse("/", status_code=303)


async def logout(request: Request) -> Response:
    await checked_form(request)
    sign_out_session(request)
    return RedirectResponse("/login", status_code=303)


async def password_page(request: Request) -> Response:
    token = request.query_params.get("token", "")
    if not token or not await blocking(desk_of(request).accounts.link_usable, token):
        raise PageError(404, "设置密码的链接已使用、已过期或不存在：请联系管理员重新生成链接")
    return render(request, "password.html", token=token, problem=None)


async def set_password(request: Request) -> Response:
    form = await checked_form(request)
    token = _text(form, "token")
    try:
        account = await blocking(
            desk_of(request).accounts.set_password,
            token,
            _text(form, "password"),
            _text(form, "again"),
        )
    except Refused as exc:
        return render(request, "password.html", 400, token=token, problem=exc.message)
    sign_in_session(request, account)
    return RedirectResponse("/", status_code=303)


routes = [
    Route("/", home),
    Route("/healthz", healthz),
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/set-password", password_page, methods=["GET"]),
    Route("/set-password", set_password, methods=["POST"]),
]
