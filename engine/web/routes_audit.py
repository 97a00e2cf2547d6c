"""The auditor's view: the trail with filters, each event's document and hash, ``audit
verify`` on demand, the report of ``docflow render`` served live, the accounts and the
sign-in record."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from engine.app import Programme
from engine.app.desk import TrailQuery, store_mark, trail_page
from engine.definition.labels import ENGINE_TRIGGER_LABELS
from engine.errors import DocflowError, os_reason
from engine.views.status import step_label
from engine.web.pages import render
from engine.web.problems import PageError, refused, small_number
from engine.web.routes_unit import event_view, open_for
from engine.web.security import blocking, checked_form, desk_of, require

__all__ = ["routes"]

_FILTERS = ("point", "unit", "step", "operator", "since", "until")
#: Events on one page of the trail.
PAGE = 200


def _day(text: str, name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PageError(400, f"{name}「{text}」不是日期：请写作 2011-05-10") from None


def _query(gd: Programme, given: dict[str, str]) -> TrailQuery:
    """The filters as the store applies them: a unit or step named by id or label."""
    definition = gd.definition
    index = definition.index
    units = triggers = None
    if given["unit"]:
        units = frozenset(b for b in index.bodies if given["unit"] in (b, index.body_label(b)))
    if given["step"]:
        known = {*index.transitions, *index.tasks, *ENGINE_TRIGGER_LABELS}
        triggers = frozenset(t for t in known if given["step"] in (t, step_label(definition, t)))
    return TrailQuery(
        point=given["point"] or None,
        units=units,
        triggers=triggers,
        operator=given["operator"] or None,
        since=_day(given["since"], "起始日期"),
        until=_day(given["until"], "截止日期"),
    )


def filtered_trail(
    gd: Programme, given: dict[str, str], after: int = 0
) -> tuple[list[dict[str, Any]], int | None]:
    """One page of the trail's events, as the desk shows them, that match every filter
    given, and the seq the next page starts after (None: the last page)."""
    events, more = trail_page(gd, _query(gd, given), after, PAGE)
    return [event_view(gd, e) for e in events], more


async def trail(request: Request) -> Response:
    account = require(request, "auditor", "coordinator")
    gd = open_for(request, account)
    given = {k: request.query_params.get(k, "").strip() for k in _FILTERS}
    text = request.query_params.get("after", "0")
    after = small_number(text, 0, 19)
    events, more = await blocking(filtered_trail, gd, given, after)
    following = (
        urlencode({**{k: v for k, v in given.items() if v}, "after": more}) if more else None
    )
    return render(
        request, "trail.html", pid=gd.id, given=given, events=events, more=following, after=after
    )


async def verify(request: Request) -> Response:
    account = require(request, "auditor")
    gd = open_for(request, account)
    if request.method == "POST":
        await checked_form(request)
        report = await blocking(gd.verify)
        return render(request, "verify.html", pid=gd.id, report=report)
    return render(request, "verify.html", pid=gd.id, report=None)


def _rendered(gd: Programme, work: Path) -> Path:
    """The report's folder for the store's state and the day it is judged on (the chain's
    head, the sent-log, today: what the desk's pages are kept by), made once for each.

    It is rendered into a scratch folder beside it and renamed into place in one step, so
    a folder under a state's name is always complete. Of requests rendering the same state
    at once (threads of one desk or desks sharing the folder), the first rename wins; the
    others discard their copies and serve the winner's. Older folders are removed but the
    one before (a page of it may still be open)."""
    seq, _hash, sent = store_mark(gd)
    today = gd.now().astimezone(gd.definition.zone).date()
    name = f"{today.isoformat()}-{seq}-{sent}"
    folder = work / "report" / gd.id / name
    if (folder / "index.html").is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=folder.parent))
    try:
        gd.render(scratch, warn=lambda _text: None)
        _publish(scratch, folder)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)  # the loser's copy (gone once renamed)
    _prune(folder)
    return folder


def _prune(current: Path, keep: int = 2) -> None:
    """Remove the report folders beside ``current`` but the ``keep`` newest."""
    made = [f for f in current.parent.iterdir() if f.is_dir() and not f.name.startswith(".")]
    made.sort(key=lambda f: f.stat().st_mtime, reverse=True)
    for old in made[keep:]:
        if old != current:
            shutil.rmtree(old, ignore_errors=True)


def _publish(scratch: Path, folder: Path) -> None:
    """``scratch`` renamed to ``folder`` (atomic on one file system), unless another copy
    is there already: a rename onto a folder that is not empty fails."""
    try:
        scratch.rename(folder)
    except OSError as exc:
        if not (folder / "index.html").is_file():
            raise DocflowError(f"无法写入报告目录 {folder}：{os_reason(exc)}") from None


async def report(request: Request) -> Response:
    account = require(request, "auditor", "coordinator")
    gd = open_for(request, account)
    name = request.path_params.get("path") or "index.html"
    folder = (await blocking(_rendered, gd, desk_of(request).work_dir)).resolve()
    target = (folder / name).resolve()
    if folder not in target.parents or not target.is_file():
        raise PageError(404, "报告中没有这个文件")
    return FileResponse(target)


async def as_of(request: Request) -> Response:
    """The status as the trail stood at a moment: states, lights and 上报率 then."""
    from engine.clock import parse_moment

    account = require(request, "auditor", "coordinator")
    gd = open_for(request, account)
    text = request.query_params.get("at", "").strip()
    report = None
    if text:
        try:
            moment = parse_moment(text, "查看时刻", gd.definition.zone)
            report = await blocking(gd.status, None, None, moment)
        except DocflowError as exc:
            raise refused(400, exc, gd.definition) from None
    return render(request, "asof.html", pid=gd.id, at=text, report=report)


async def summary(request: Request) -> Response:
    """The 汇总表 as csv or xlsx, as ``docflow export summary`` writes it."""
    account = require(request, "auditor", "coordinator")
    gd = open_for(request, account)
    fmt = request.path_params["fmt"]
    if fmt not in ("csv", "xlsx"):
        raise PageError(404, "汇总表只有 csv 和 xlsx 两种格式")
    work = desk_of(request).work_dir
    target = Path(tempfile.mkdtemp(prefix="summary-", dir=work)) / f"汇总表.{fmt}"
    try:
        await blocking(gd.export_summary, fmt, target)
    except BaseException:  # nothing left behind; the error's own page says why
        shutil.rmtree(target.parent, ignore_errors=True)
        raise
    return FileResponse(
        target,
        filename=f"{gd.id}-汇总表.{fmt}",
        background=BackgroundTask(shutil.rmtree, target.parent, ignore_errors=True),
    )


async def accounts(request: Request, made: str | None = None) -> Response:
    require(request, "auditor", "administrator")
    desk = desk_of(request)
    found = await blocking(desk.accounts.all)
    logins = await blocking(desk.accounts.logins)
    record = await blocking(desk.accounts.record)
    names = {a.id: a.name for a in found}
    bodies = {b: d.index.body_label(b) for d in desk.definitions.values() for b in d.index.bodies}
    return render(
        request,
        "accounts.html",
        accounts=found,
        logins=logins,
        names=names,
        record=record,
        bodies=bodies,
        made=made,
    )


async def administer(request: Request) -> Response:
    """The administrator adds an account (its one-time link shown once) or disables one."""
    from engine.web.desk import operator_of

    account = require(request, "administrator")
    desk = desk_of(request)
    form = await checked_form(request)
    by = operator_of(account, next(iter(desk.definitions.values()), None))
    text = {k: str(form.get(k, "")).strip() for k in ("name", "body", "role", "email", "id")}
    try:
        if form.get("action") == "disable":
            chosen = small_number(text["id"], 0, 19)
            if not chosen:
                raise PageError(400, "请选择要停用的账户")
            await blocking(desk.accounts.disable, by, chosen)
            return RedirectResponse("/accounts", status_code=303)
        bodies = {b for d in desk.definitions.values() for b in d.index.bodies}
        if text["body"] not in bodies:
            raise PageError(400, f"没有单位「{text['body']}」：请从列表中选择")
        if not text["name"]:
            raise PageError(400, "请填写账户名")
        token = await blocking(
            desk.accounts.add_by,
            by,
            text["name"],
            text["body"],
            text["role"],
            text["email"] or None,
        )
    except DocflowError as exc:
        raise PageError(409, exc.message) from None
    return await accounts(request, f"{request.base_url}set-password?token={token}")


async def report_root(request: Request) -> Response:
    return RedirectResponse(f"/p/{request.path_params['pid']}/report/index.html", status_code=303)


routes = [
    Route("/p/{pid}/trail", trail),
    Route("/p/{pid}/verify", verify, methods=["GET", "POST"]),
    Route("/p/{pid}/report/", report_root),
    Route("/p/{pid}/report/{path:path}", report),
    Route("/p/{pid}/as-of", as_of),
    Route("/p/{pid}/summary.{fmt}", summary),
    Route("/accounts", accounts),
    Route("/accounts/manage", administer, methods=["POST"]),
]
