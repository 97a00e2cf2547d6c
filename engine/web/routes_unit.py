"""A unit's page, an item's history, uploads with their receipts, and document downloads.

A unit account reads and submits for its own body's items only, and reads (never submits
for) the items it shares as a co-responsible unit (责任单位); an inspection lead reads the
items of the units it inspects; the office and auditors read every unit's. Anything else
is refused with 403 on every route, before anything is read or written.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from engine.app import Programme
from engine.app.accounts import AccountRow
from engine.app.desk import FoundDocument, find_document, find_event, find_point
from engine.app.live import LiveReads
from engine.definition.schema import OWNER
from engine.errors import DocflowError
from engine.runtime.progress import ProgressView
from engine.runtime.store import EventRow
from engine.views.recurring import filing_of
from engine.views.status import state_label, step_label
from engine.web.pages import render, render_kept
from engine.web.problems import PageError, refused, small_number
from engine.web.recurring import unit_reports
from engine.web.security import blocking, checked_form, desk_of, require

__all__ = ["event_view", "open_for", "routes"]


def open_for(request: Request, account: AccountRow) -> Programme:
    """The programme named in the path, opened for ``account`` (404 for one not served)."""
    desk = desk_of(request)
    pid = request.path_params["pid"]
    if desk.definition(pid) is None:
        raise PageError(404, f"本系统没有工作方案 {pid}")
    return desk.programme(pid, account)


def _point_row(gd: Programme, point: str) -> Any:
    found = find_point(gd, point)
    if found is None:
        raise PageError(404, f"没有编号为 {point} 的事项")
    return found


def _allowed(request: Request, account: AccountRow, gd: Programme, unit: str) -> None:
    if not desk_of(request).may_see_unit(account, gd.id, unit):
        raise PageError(403, "这不是您单位的事项：每个单位只能查看和报送本单位的事项")


def _readable(
    request: Request, account: AccountRow, gd: Programme, unit: str, co: Sequence[str]
) -> None:
    """403 unless ``account`` reads the item led by ``unit`` with 责任单位 ``co``."""
    if not desk_of(request).may_read_item(account, gd.id, unit, co):
        raise PageError(403, "这不是您单位的事项：每个单位只能查看本单位牵头或参与的事项")


def _co_of(gd: Programme, point: str | None) -> tuple[str, ...]:
    """The co-responsible units of item ``point`` (none for no item, or one not stored)."""
    found = find_point(gd, point) if point is not None else None
    return found.co if found is not None else ()


def event_view(gd: Programme, e: EventRow) -> dict[str, Any]:
    """An event as the desk's pages show it."""
    index = gd.definition.index
    filing = filing_of(gd.definition, e)  # a recurring report's: its report and period
    return {
        "seq": e.seq,
        "point": e.point_id,
        "unit": e.unit_id,
        "unit_name": index.body_label(e.unit_id) if e.unit_id else "全省",
        "step": filing[0] if filing else step_label(gd.definition, e.trigger),
        "period": filing[1] if filing else None,
        "from": state_label(gd.definition, e.source_state),
        "to": state_label(gd.definition, e.dest_state),
        "moved": bool(e.dest_state and e.source_state != e.dest_state),
        "decision": e.decision,
        "returned": e.decision == "return",
        "reason": e.reason,
        "actor": index.body_label(e.actor) if e.actor in index.bodies else e.actor,
        "operator": e.extras.get("operator") or "—",
        "document": e.document_sha256,
        "recorded_at": e.recorded_at,
        "effective_at": e.effective_at,
        "hash": e.hash,
    }


def _upload_step(gd: Programme, state: str) -> Any:
    """The document step a unit submits next from ``state``, or None (a decision, another
    party's report, or nothing left)."""
    t = ProgressView.of(gd.definition).next_move(state)
    if t is None or t.takes != "document" or t.actor != OWNER or t.task is None:
        return None
    return t


def _extension_step(gd: Programme, state: str) -> Any:
    """The unit's extension request open from ``state`` (a document it submits), or None."""
    for t in gd.definition.index.transitions_from(state):
        if t.extension == "request" and t.takes == "document" and t.actor == OWNER and t.task:
            return t
    return None


#: Items on one page of a unit's list.
PAGE = 50


def _items(
    gd: Programme,
    unit: str,
    page: int,
    live: LiveReads,
    readable: Callable[[str, Sequence[str]], bool],
) -> dict[str, Any]:
    """Page ``page`` (from 1) of the unit's items by due day - those it leads and those it
    shares as a 责任单位, as far as ``readable(lead, co)`` lets the reader see them - each
    with its history's returns and last event, and how many pages there are. Only the lead
    unit files, so only its own items carry the upload and extension forms."""
    rows = sorted(
        (p for p in live.items(gd, unit) if readable(p["unit"], p["co"])),
        key=lambda i: (i["due"] or "9999", i["id"]),
    )
    pages = max(1, -(-len(rows) // PAGE))
    page = min(max(page, 1), pages)
    items = []
    shown = rows[(page - 1) * PAGE : page * PAGE]
    trails = live.trails(p["id"] for p in shown)
    for p in shown:
        lead = p["unit"] == unit
        step = _upload_step(gd, p["state"]) if lead else None
        extension = _extension_step(gd, p["state"]) if step is not None else None
        events = trails[p["id"]]
        items.append(
            {
                **p,
                "lead": lead,
                "upload": {"task": step.task, "document": step.document or step.label}
                if step is not None
                else None,
                "extension": {
                    "task": extension.task,
                    "document": extension.document or extension.label,
                }
                if extension is not None
                else None,
                "returns": [event_view(gd, e) for e in events if e.decision == "return"],
                "last": event_view(gd, events[-1]) if events else None,
            }
        )
    return {"items": items, "page": page, "pages": pages, "count": len(rows)}


def _page_number(request: Request) -> int:
    text = request.query_params.get("page", "1")
    return small_number(text, 1, 7)


async def unit_page(request: Request) -> Response:
    account = require(request)
    gd = open_for(request, account)
    unit = request.path_params["unit"]
    if unit not in gd.definition.index.bodies:
        raise PageError(404, f"没有单位 {unit}")
    _allowed(request, account, gd, unit)
    page = _page_number(request)
    desk = desk_of(request)

    def readable(lead: str, co: Sequence[str]) -> bool:
        return desk.may_read_item(account, gd.id, lead, co)

    def context() -> dict[str, Any]:
        live = desk.live(gd.id)
        key = ("unit", unit, page, account.role, account.body)  # what ``readable`` reads
        shown = desk.views.get(gd, key, lambda: _items(gd, unit, page, live, readable))
        recurring = desk.views.get(gd, ("unit-reports", unit), lambda: unit_reports(gd, unit, live))
        return {
            "pid": gd.id,
            "title": gd.definition.programme.programme.title,
            "unit": unit,
            "unit_name": gd.definition.index.body_label(unit),
            **shown,
            "recurring": recurring,
            "today": gd.now().astimezone(gd.definition.zone).date(),
            "may_submit": (account.role == "unit" and account.body == unit)
            or account.role == "coordinator",
            "on_paper": account.role == "coordinator",
            "max_mb": desk.max_upload / (1 << 20),
        }

    return await render_kept(request, gd, "unit.html", context)


async def point_page(request: Request) -> Response:
    account = require(request)
    gd = open_for(request, account)
    point = await blocking(_point_row, gd, request.path_params["point"])
    _readable(request, account, gd, point.unit_id, point.co)
    events = await blocking(gd.trail, point.point_id)
    index = gd.definition.index
    return render(
        request,
        "point.html",
        pid=gd.id,
        point=point,
        unit_name=index.body_label(point.unit_id),
        co_names=[index.body_label(u) for u in point.co],
        state=state_label(gd.definition, point.state),
        events=[event_view(gd, e) for e in events],
    )


def _safe_name(filename: str | None) -> str:
    """The upload's own name without any folder part (as either system writes one)."""
    name = PureWindowsPath(PurePosixPath(filename or "").name).name.strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*')
    return name.lstrip(".")[:200] or "报送文件"


def _submit(
    gd: Programme,
    unit: str,
    task: str,
    points: list[str],
    upload: Any,
    work: Path,
    period: str | None = None,
) -> list[EventRow]:
    from engine.runtime.userinput import check_text

    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=work))
    try:
        target = folder / check_text(_safe_name(upload.filename), "文件名")
        with target.open("wb") as out:
            upload.file.seek(0)
            shutil.copyfileobj(upload.file, out)
        return gd.submit(unit, task, target, points, period=period)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def submit(request: Request) -> Response:
    account = require(request, "unit", "coordinator")  # the office records paper copies
    gd = open_for(request, account)
    point = await blocking(_point_row, gd, request.path_params["point"])
    if account.role == "unit" and point.unit_id != account.body:
        raise PageError(403, "这不是您单位的事项：每个单位只能查看和报送本单位的事项")
    form = await checked_form(request, upload=True)
    try:
        upload, task = _upload_and(request, form, "task")
        return await _filed(request, gd, point.unit_id, task, [point.point_id], upload)
    finally:
        await form.close()


def _upload_and(request: Request, form: FormData, field: str) -> tuple[UploadFile, str]:
    """The form's uploaded file, within the desk's size limit, and its ``field`` (the task
    or step it is for); a 400 or 413 page otherwise."""
    upload = form.get("file")
    value = form.get(field)
    if not isinstance(upload, UploadFile) or not upload.filename or not isinstance(value, str):
        raise PageError(400, "请选择要报送的文件")
    limit = desk_of(request).max_upload
    if upload.size is not None and upload.size > limit:
        raise PageError(413, f"上传的文件超过 {limit / (1 << 20):g} MB 的上限")
    return upload, value


async def _filed(
    request: Request,
    gd: Programme,
    unit: str,
    task: str,
    points: list[str],
    upload: UploadFile,
    period: str | None = None,
) -> Response:
    """``upload`` submitted by ``unit`` for ``task`` on ``points`` (a recurring report's:
    for ``period``); the receipt's address, or the refusal as a 409 page."""
    work = desk_of(request).work_dir
    try:
        events = await blocking(_submit, gd, unit, task, points, upload, work, period)
    except DocflowError as exc:
        raise refused(409, exc, gd.definition) from None
    return RedirectResponse(f"/p/{gd.id}/receipts/{events[0].seq}", status_code=303)


def _lead_duties(gd: Programme, lead: str, live: LiveReads) -> list[dict[str, Any]]:
    """The reports ``lead`` owes on the units it inspects (a document step, points waiting),
    each with the task it submits."""
    index = gd.definition.index
    found = []
    for d in live.status(gd, lead)["duties"]:
        t = index.transitions.get(d["step"])
        if t is None or t.takes != "document" or t.task is None or not d["points"]:
            continue
        found.append({**d, "task": t.task, "document": t.document or t.label})
    return found


async def lead_submit(request: Request) -> Response:
    """An inspection lead's report on the units it inspects: one document for every point
    its duty covers (read here, never from the form)."""
    account = require(request, "inspector")
    gd = open_for(request, account)
    form = await checked_form(request, upload=True)
    try:
        upload, step = _upload_and(request, form, "step")
        duties = await blocking(_lead_duties, gd, account.body, desk_of(request).live(gd.id))
        duty = next((d for d in duties if d["step"] == step), None)
        if duty is None:
            raise PageError(409, "本单位目前没有需要报送的这项检查材料")
        return await _filed(request, gd, account.body, duty["task"], duty["points"], upload)
    finally:
        await form.close()


async def receipt(request: Request) -> Response:
    account = require(request)
    gd = open_for(request, account)
    try:
        seq = int(request.path_params["seq"])
    except ValueError:
        raise PageError(404, "没有这条记录") from None
    event = await blocking(find_event, gd, seq)
    if event is None or event.document_sha256 is None:
        raise PageError(404, "没有这份报送的记录")
    document = await blocking(find_document, gd, event.document_sha256)  # with its items
    if document is not None:
        co = _co_in(document, event.point_id)
    else:  # the file is not in the documents folder: the item read by itself
        co = await blocking(_co_of, gd, event.point_id)
    _readable(request, account, gd, event.unit_id or "", co)
    return render(
        request,
        "receipt.html",
        pid=gd.id,
        title=gd.definition.programme.programme.title,
        event=event_view(gd, event),
        document=document.row if document else None,
    )


async def download(request: Request) -> Response:
    account = require(request)
    gd = open_for(request, account)
    found = await blocking(find_document, gd, request.path_params["sha"])
    if found is None:
        raise PageError(404, "没有这份文件")
    desk = desk_of(request)
    if not any(
        desk.may_read_item(account, gd.id, e.unit_id or "", _co_in(found, e.point_id))
        for e in found.events
    ):
        raise PageError(403, "这份文件不属于您单位牵头或参与的事项")
    return FileResponse(
        found.path,
        filename=found.row.original_name,
        media_type="application/octet-stream",
        headers={"X-Content-SHA256": found.row.sha256},  # nosniff: on every response
    )


def _co_in(found: FoundDocument, point: str | None) -> tuple[str, ...]:
    item = found.points.get(point) if point is not None else None
    return item.co if item is not None else ()


async def my_page(request: Request) -> Response:
    account = require(request)
    gd = open_for(request, account)
    if account.role == "unit":
        return RedirectResponse(f"/p/{gd.id}/units/{account.body}", status_code=303)
    if account.role in ("coordinator", "auditor"):
        return RedirectResponse(f"/p/{gd.id}/office", status_code=303)
    if account.role == "inspector":
        index = gd.definition.index
        units = [u for u, lead in index.inspector_of.items() if lead == account.body]
        return render(
            request,
            "inspected.html",
            pid=gd.id,
            title=gd.definition.programme.programme.title,
            units=[(u, index.body_label(u)) for u in units],
            duties=await blocking(_lead_duties, gd, account.body, desk_of(request).live(gd.id)),
            max_mb=desk_of(request).max_upload / (1 << 20),
        )
    raise PageError(403, "您的账户无权查看此工作方案")


routes = [
    Route("/p/{pid}/", my_page),
    Route("/p/{pid}/units/{unit}", unit_page),
    Route("/p/{pid}/points/{point}", point_page),
    Route("/p/{pid}/points/{point}/submit", submit, methods=["POST"]),
    Route("/p/{pid}/inspections", lead_submit, methods=["POST"]),
    Route("/p/{pid}/receipts/{seq}", receipt),
    Route("/p/{pid}/documents/{sha}", download),
]
