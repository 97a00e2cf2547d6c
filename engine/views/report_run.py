"""The store's half of the report: what happened, as an auditor reads it.

From a snapshot read with the trail (``RunInput``), ``build_run`` makes plain data for the
template:

- an overview: points by state and by colour, 上报率 per step, and who is late by how many
  days - units that have not reported, points that submitted after their due day (汕尾's
  work plan on 05-13 for 05-10 is 逾期3天) and programme-level tasks finished late;
- the colours with final states that are not a success (已撤销, 未入选) kept apart from
  已办结: their own grey lamp, not the green of a concluded point;
- the notification record: every reminder and 催报 of the sent-log, to whom, copied to whom
  (as the programme's reminder rules copy it), when, for which due day, and its status;
- the trail in words: labels instead of ids and JSON, each document by its original file
  name, linked to a copy beside the report.

Documents are copied into the report folder content-addressed, as
``documents/<sha256>/<original name>``: the copy is checked against its hash while it is
made, and a stored path that would leave the documents folder is never followed.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from engine.definition.labels import (
    COLOUR_LAMPS,
    COLOUR_MEANINGS,
    NOTICE_KIND_LABELS,
    OUTCOME_LABELS,
)
from engine.definition.loader import Definition
from engine.runtime.carried import NOTIFY, REGISTER
from engine.runtime.progress import ProgressView
from engine.runtime.records import DocumentRow, SentRow
from engine.runtime.snapshot import Snapshot
from engine.views.corrections import correction_marks
from engine.views.status import state_label, states_note, step_label
from engine.views.summary import build_summary, days_late_label, rate_label

__all__ = [
    "ENDED",
    "RUN_COLOUR_LAMPS",
    "RUN_COLOUR_MEANINGS",
    "DocumentLink",
    "RunInput",
    "RunView",
    "build_run",
    "copy_documents",
    "notification_rows",
]

#: The colour of a point that ended without success (已撤销, 未入选).
ENDED = "grey"
RUN_COLOUR_LAMPS = {**COLOUR_LAMPS, ENDED: "灰灯"}
RUN_COLOUR_MEANINGS = {**COLOUR_MEANINGS, ENDED: "已终止（未办结）"}
COLOUR_ORDER = ("green", ENDED, "blue", "yellow", "red")

DOCUMENTS_FOLDER = "documents"

_SENT_STATUS = {
    "sent": "已发出（已写入发件箱或发件队列）",
    "queued": "已排队，待投递",
    "skipped": "未发送",
}
_ALL = "*"  # the sent-log's marker of a whole occurrence


@dataclass(frozen=True)
class RunInput:
    """What the application layer read from the store for the report's run section."""

    snapshot: Snapshot  # read with the trail
    status: dict[str, Any] | None  # build_status at ``moment``; None when it cannot be built
    status_problem: str | None  # why not (the definition changed since the points enrolled)
    verify: Any  # the trail's VerifyReport
    moment: datetime
    note: str  # how the moment was chosen (report_moment)
    documents_root: Path | None = None  # the store's documents folder, to copy from
    head: Mapping[str, Any] | None = None  # the chain's head read with it (HeadMark.as_dict)


@dataclass(frozen=True)
class DocumentLink:
    sha256: str
    name: str  # the file's original name
    href: str | None  # relative to index.html; None when it could not be copied
    problem: str | None = None


@dataclass
class RunView:
    location: str
    now: datetime
    today: date
    now_note: str
    status: dict[str, Any] | None
    status_problem: str | None
    late_units: list[dict[str, Any]]
    events: list[dict[str, Any]]
    verify: Any
    overview: dict[str, Any] = field(default_factory=dict)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    states_note: str | None = None  # the states are not ``now``'s (see ``states_note``)
    head: Mapping[str, Any] | None = None


# --- documents ---------------------------------------------------------------------------------

_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


def _file_name(row: DocumentRow) -> str:
    name = _UNSAFE_NAME.sub("_", row.original_name.replace("\\", "/").rsplit("/", 1)[-1])
    return name.strip(" .") or row.sha256


def _link(row: DocumentRow | None, sha: str, root: Path | None, out: Path | None) -> DocumentLink:
    if row is None:
        return DocumentLink(sha, sha[:12], None, "存储库中没有这份文件的记录")
    name = _file_name(row)
    if root is None or out is None:
        return DocumentLink(sha, row.original_name, None)
    base = root.resolve()
    source = base.joinpath(*row.stored_at.split("/")).resolve()
    if not source.is_relative_to(base):
        return DocumentLink(sha, row.original_name, None, "存放路径越出文件目录，未复制")
    if not source.is_file():
        return DocumentLink(sha, row.original_name, None, "文件目录中找不到这份文件")
    data = source.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha:
        return DocumentLink(sha, row.original_name, None, "文件内容与哈希不符，未复制")
    target = out / DOCUMENTS_FOLDER / sha / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    href = f"{DOCUMENTS_FOLDER}/{sha}/{quote(name)}"
    return DocumentLink(sha, row.original_name, href)


def copy_documents(
    snapshot: Snapshot, root: Path | None, out: Path | None
) -> dict[str, DocumentLink]:
    """Every document the trail names, copied to ``out/documents/<sha256>/<name>`` (with
    ``root`` and ``out``; otherwise only named)."""
    named = dict.fromkeys(e.document_sha256 for e in snapshot.trail if e.document_sha256)
    return {sha: _link(snapshot.documents.get(sha), sha, root, out) for sha in named if sha}


# --- the overview ------------------------------------------------------------------------------


def _local_day(stamp: str, zone: ZoneInfo) -> date:
    return datetime.fromisoformat(stamp).astimezone(zone).date()


def _ended_states(view: ProgressView) -> set[str]:
    done = set().union(*view.done_states.values()) if view.done_states else set()
    return set(view.index.final_states) - done


def _overview(
    definition: Definition, given: RunInput, status: dict[str, Any], today: date
) -> dict[str, Any]:
    points = given.snapshot.points
    by_state = Counter(p.state for p in points)
    states = [
        {"label": st.label, "count": by_state[st.id], "final": st.final}
        for st in definition.programme.points.states
        if by_state[st.id]
    ]
    colours = Counter(p["colour"] for p in status["points"])
    summary = build_summary(definition, given.snapshot, given.moment)
    late_points: list[dict[str, Any]] = []
    labels = {s["step"]: s["document"] for s in summary["steps"]}
    for row in summary["points"]:
        for step, cell in row["steps"].items():
            if cell["overdue"] and cell["days_late"]:
                owed_by = cell.get("owed_by")
                late_points.append(
                    {
                        "point": row["point"],
                        "unit": definition.index.body_label(owed_by)
                        if owed_by
                        else row["unit_name"],
                        "step": labels[step] + ("（整改）" if cell.get("rectify") else ""),
                        "due": cell["due"],
                        "submitted": cell["submitted"],
                        "days": cell["days_late"],
                        "late": days_late_label(cell["days_late"]),
                    }
                )
    late_points.sort(key=lambda r: (r["submitted"] is not None, -r["days"], r["point"]))
    return {
        "points": len(points),
        "states": states,
        "colours": [(c, colours.get(c, 0)) for c in COLOUR_ORDER],
        "rates": [
            {
                "label": s["label"],
                "reported": s["reported"],
                "total": s["total"],
                "percent": s["percent"],
                "due": s["due"],
            }
            for s in status["steps"]
        ],
        "summary_totals": [
            {"label": labels[step], "rate": rate_label(t["rate"]), **t}
            for step, t in summary["totals"].items()
        ],
        "late_points": late_points,
        "late_submitted": [r for r in late_points if r["submitted"]],
        "late_tasks": [t for t in status["tasks"] if t.get("days_late")],
        "unit_count": len({p.unit_id for p in points}),
    }


# --- the notification record -------------------------------------------------------------------


def notification_rows(definition: Definition, sent: tuple[SentRow, ...]) -> list[dict[str, Any]]:
    """The sent-log in words, one row per notice: when, which step and kind, to whom,
    copied to whom, and what became of it (the report's and the desk's notification record)."""
    from engine.delivery.reminders import BY_HAND, rules

    index = definition.index
    known = {r.id: r for r in rules(definition)}
    rows = []
    for s in sent:
        if s.unit_id == _ALL and s.status == "sent":
            continue  # the marker that the occurrence was processed; its messages are rows
        rule = known.get(s.rule)
        step, _, kind = s.rule.partition("/")
        what = step_label(definition, rule.step if rule else step)
        cc: list[str] = []
        if rule is None:
            kind_label = "统筹办公室人工催报" if kind == BY_HAND else kind
        elif rule.kind == "before":
            kind_label = (
                f"临近提醒（到期前第{rule.offset}个工作日）"
                if rule.offset
                else "临近提醒（到期当天）"
            )
        else:
            kind_label = f"第{rule.offset}次催报"
            if rule.offset >= rule.policy.copy_from_stage:
                cc = [index.body_label(b) for b in index.expand(rule.policy.cc)]
            if rule.last_stage and rule.policy.leadership_at_last and s.unit_id != _ALL:
                cc.append(index.leadership_of(rule.policy.leadership, s.unit_id).name)
        status = _SENT_STATUS.get(s.status, s.status)
        if s.unit_id == _ALL:
            to, cc = "—", []
            status = "未发送：已被同一期限更新的提醒取代，或已无待报单位、尚无单位到达此环节"
        else:
            to = index.body_label(s.unit_id)
            if s.status == "skipped":
                status = "未发送：该单位没有收文邮箱"
        rows.append(
            {
                "when": s.recorded_at[:16].replace("T", " "),
                "step": what,
                "kind": kind_label,
                "occurrence": s.occurrence,
                "to": to,
                "cc": "、".join(cc) or "—",
                "status": status,
                "state": s.status,
                "message_id": s.message_id,
            }
        )
    return rows


# --- the trail in words ------------------------------------------------------------------------

_NOT_SENT = {"superseded": "已被同一期限更新的提醒取代", "closed": "已无待办的单位"}


def _notify_words(definition: Definition, data: dict[str, Any]) -> list[str]:
    """A ``notify`` event in words: which notice, for which step and due day, to whom."""
    index = definition.index
    kind = str(data.get("kind"))
    words = [
        f"{NOTICE_KIND_LABELS.get(kind, kind)}：{step_label(definition, str(data.get('step')))}"
        f"，期限 {data.get('occurrence')}"
    ]
    notices = [n for n in data.get("notices") or () if isinstance(n, dict)]
    sent = [index.body_label(str(n["unit"])) for n in notices if n.get("unit") != _ALL]
    if sent:
        words.append("发给 " + "、".join(sent))
    why = data.get("why")
    if why:
        words.append("未发送：" + _NOT_SENT.get(str(why), str(why)))
    return words


def _data_words(definition: Definition, trigger: str, data: dict[str, Any]) -> list[str]:
    index = definition.index
    if trigger == NOTIFY:
        return _notify_words(definition, data)
    words = []
    for key, value in data.items():
        if key == "title":
            words.append(f"题目：{value}")
        elif key == "missing" and isinstance(value, list):
            words.append("尚未报送：" + "、".join(index.body_label(str(v)) for v in value))
        elif trigger == "migrate-definition" and key in ("from", "to"):
            words.append(("原定义 " if key == "from" else "新定义 ") + str(value)[:12] + "…")
        elif trigger == REGISTER and key in ("definition_hash", "replaces"):
            words.append(("定义 " if key == "definition_hash" else "取代 ") + str(value)[:12] + "…")
        elif key == "until":
            words.append(f"延至 {value}")
        elif key == "operator":
            words.append(f"经办人：{value}")
        elif key == "file":
            words.append(f"文件名：{value}")
        elif key == "step":
            words.append(f"事项：{step_label(definition, str(value))}")
        elif key == "corrects":
            words.append(f"所撤回或更正的记录：第 {value} 条")
        elif key == "decision_reason":
            words.append(f"更正后的决定理由：{value}")
        else:
            words.append(f"{key}：{value}")
    return words


def _events(
    definition: Definition, given: RunInput, links: Mapping[str, DocumentLink]
) -> list[dict[str, Any]]:
    index = definition.index
    titles = {p.point_id: p.title for p in given.snapshot.points}
    failing = given.verify.failing_seq
    marks = correction_marks(given.snapshot.trail)
    rows = []
    for e in given.snapshot.trail:
        rows.append(
            {
                "seq": e.seq,
                "recorded_at": e.recorded_at[:19].replace("T", " "),
                "effective_at": e.effective_at[:19].replace("T", " ")
                if e.effective_at != e.recorded_at
                else None,
                "actor": index.body_label(e.actor),
                "what": step_label(definition, e.trigger),
                "trigger": e.trigger,
                "point": e.point_id,
                "point_title": titles.get(e.point_id) if e.point_id else None,
                "unit": index.body_label(e.unit_id) if e.unit_id else None,
                "move": (
                    f"{state_label(definition, e.source_state)} → "
                    f"{state_label(definition, e.dest_state)}"
                )
                if e.dest_state and e.source_state != e.dest_state
                else "—",
                "decision": OUTCOME_LABELS.get(e.decision, e.decision) if e.decision else None,
                "reason": e.reason,
                "details": _data_words(definition, e.trigger, e.extras)
                + ([marks[e.seq][1:-1]] if e.seq in marks else []),
                "corrected": marks.get(e.seq),
                "document": links.get(e.document_sha256) if e.document_sha256 else None,
                "hash": e.hash,
                "prev_hash": e.prev_hash,
                "failing": failing is not None and e.seq == failing,
            }
        )
    return rows


# --- the whole run -----------------------------------------------------------------------------


def build_run(definition: Definition, given: RunInput, out: Path | None = None) -> RunView:
    """The run section's data; with ``out``, the trail's documents are copied beside it."""
    moment, note = given.moment, given.note
    zone = ZoneInfo(definition.programme.programme.timezone)
    status = given.status
    today = moment.astimezone(zone).date()
    view = ProgressView.of(definition)
    ended = _ended_states(view)
    late: dict[str, list[str]] = defaultdict(list)
    overview: dict[str, Any] = {}
    if status is not None:
        for s in status["steps"]:
            s["percent"] = f"{s['rate'] * 100:.0f}%" if s["total"] else "—"
            s["width"] = f"{s['rate'] * 100:.1f}%"
            s["overdue"] = bool(s["due"] and date.fromisoformat(s["due"]) < today)
            if s["overdue"]:
                days = (today - date.fromisoformat(s["due"])).days
                for name in s["missing_names"]:
                    late[name].append(f"{s['label']}（期限 {s['due']}）{days_late_label(days)}")
        for o in status.get("occurrences", []):
            if o["is_due"]:
                for name in o["missing_names"]:
                    late[name].append(
                        f"{o['label']}（{o['period_label']}，期限 {o['due_text']}）未报"
                    )
        for p in status["points"]:
            if p["state"] in ended:
                p["colour"] = ENDED
            p["colour_label"] = RUN_COLOUR_LAMPS.get(p["colour"], p["colour"])
        status["colours"] = dict(Counter(p["colour"] for p in status["points"]))
        for d in status.get("duties", []):
            d["colour_label"] = RUN_COLOUR_LAMPS.get(d["colour"], d["colour"])
        for t in status["tasks"]:
            t["days_late"] = 0
            if t["done_at"] and t["due"]:
                days = (_local_day(t["done_at"], zone) - date.fromisoformat(t["due"])).days
                t["days_late"] = max(0, days)
            elif t["due"] and date.fromisoformat(t["due"]) < today:
                t["days_late"] = (today - date.fromisoformat(t["due"])).days
        overview = _overview(definition, given, status, today)
        late_by_point: dict[str, list[str]] = defaultdict(list)
        for r in overview["late_points"]:
            when = f"{r['submitted']} 报送，" if r["submitted"] else "未报送，"
            late_by_point[r["point"]].append(f"{r['step']}：{when}{r['late']}")
        for p in status["points"]:
            p["late"] = late_by_point.get(p["id"], [])
    # Units late for the same steps share a row: 36 units that did not propose are one line.
    grouped: dict[tuple[str, ...], list[str]] = {}
    for unit, steps in late.items():
        grouped.setdefault(tuple(steps), []).append(unit)
    late_rows = [{"units": units, "steps": list(steps)} for steps, units in grouped.items()]
    links = copy_documents(given.snapshot, given.documents_root, out)
    return RunView(
        location=given.snapshot.location,
        now=moment,
        today=today,
        now_note=note,
        status=status,
        status_problem=given.status_problem,
        late_units=late_rows,
        events=_events(definition, given, links),
        verify=given.verify,
        overview=overview,
        notifications=notification_rows(definition, given.snapshot.sent),
        states_note=states_note(given.snapshot, moment),
        head=given.head,
    )
