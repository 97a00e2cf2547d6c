"""Sessions, CSRF tokens and who is signed in.

The session is Starlette's signed cookie (itsdangerous; HttpOnly, SameSite=Lax, eight
hours), holding only the account's id and the CSRF token. Every form carries that token
and every POST is checked against it before anything else is read: a missing or wrong one
is refused with 403. Uploads are limited before they are read: a request without a
``Content-Length`` or with one over the limit is refused (411, 413).
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request

from engine.web.problems import PageError

if TYPE_CHECKING:
    from engine.app.accounts import AccountRow
    from engine.web.desk import Desk

__all__ = [
    "SESSION_COOKIE",
    "SESSION_SECONDS",
    "blocking",
    "checked_form",
    "csrf_token",
    "desk_of",
    "require",
    "sign_in_session",
    "sign_out_session",
    "signed_in_or_none",
]

SESSION_COOKIE = "docflow_desk"
SESSION_SECONDS = 8 * 3600
_FORM_SLACK = 64 * 1024  # the form's other fields and multipart framing beside the file


def desk_of(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


async def blocking(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a store or hashing call off the event loop."""
    return await run_in_threadpool(fn, *args, **kwargs)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def checked_form(request: Request, *, upload: bool = False) -> FormData:
    """The POSTed form once its CSRF token matches the session's (403 otherwise); with
    ``upload``, only within the desk's upload limit (411, 413 otherwise)."""
    limit = desk_of(request).max_upload + _FORM_SLACK if upload else _FORM_SLACK
    length = request.headers.get("content-length")
    if length is None or not (length.isascii() and length.isdigit()):
        raise PageError(411, "请求没有给出大小：请用浏览器的表单提交")
    if int(length) > limit:
        if not upload:
            raise PageError(413, "提交的表单过大：请分几次提交")
        megabytes = desk_of(request).max_upload / (1 << 20)
        raise PageError(413, f"上传的文件超过 {megabytes:g} MB 的上限：请压缩或拆分后再报送")
    form = await request.form(max_files=1 if upload else 0, max_fields=200)
    expected = request.session.get("csrf")
    given = form.get("csrf_token")
    if (
        not isinstance(expected, str)
        or not isinstance(given, str)
        or not secrets.compare_digest(expected, given)
    ):
        await form.close()
        raise PageError(403, "表单已失效或来源不明（CSRF 校验未通过）：请返回，刷新页面后重新提交")
    return form


def signed_in_or_none(request: Request) -> AccountRow | None:
    """The signed-in account, read once per request."""
    if "account" in request.scope.get("state", {}):
        found: AccountRow | None = request.state.account
        return found
    account_id = request.session.get("account")
    found = desk_of(request).accounts.get(account_id) if isinstance(account_id, int) else None
    if found is None or found.password_hash is None:
        found = None
    request.state.account = found
    return found


def require(request: Request, *roles: str) -> AccountRow:
    """The signed-in account if its role is one of ``roles`` (any, without them)."""
    account = signed_in_or_none(request)
    if account is None:
        raise PageError(403, "请先登录", title="需要登录")
    if roles and account.role not in roles:
        raise PageError(403, "您的账户无权办理此事项")
    return account


def sign_in_session(request: Request, account: AccountRow) -> None:
    """A fresh session for ``account`` (a new CSRF token: the old one is not carried over)."""
    request.session.clear()
    request.session["account"] = account.id
    request.session["csrf"] = secrets.token_urlsafe(32)
    request.state.account = account


def sign_out_session(request: Request) -> None:
    request.session.clear()
    request.state.account = None
