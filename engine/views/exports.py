"""What auditors and next year's administrators take away: the summary table and a calendar.

The 《全省产业转型升级突破点汇总表》 (the notice's attachment, "略" in the published text) is
built by ``engine.views.summary`` (one row per enrolled point with its unit, state and, for
each document step, the date the submission took effect and how it stands against its due
day) and written by ``engine.views.summary_files`` (CSV, and xlsx ready to print); their
names are re-exported here.

``export_ical`` writes every deadline of the programme for its year (the rows of
``docflow calendar``) as an RFC 5545 iCalendar file, optionally only the steps one unit
takes part in.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from engine.definition.deadlines import DeadlineResolver
from engine.definition.index import ProgrammeIndex, Step
from engine.definition.labels import BODY_KIND_LABELS as KIND_LABELS
from engine.definition.loader import Definition
from engine.definition.schema import CO, OWNER, Report
from engine.refusals import UnitHasNoSteps, UnknownUnit
from engine.views.calendar import calendar_rows
from engine.views.summary import build_summary, summary_table, summary_title
from engine.views.summary_files import (
    summary_csv,
    write_summary,
    write_summary_xlsx,
    write_text,
)
from engine.views.wording import actor_label, ids_label, source_document_label, weekday

__all__ = [
    "KIND_LABELS",
    "build_ical",
    "build_summary",
    "summary_csv",
    "summary_table",
    "summary_title",
    "write_summary",
    "write_summary_xlsx",
    "write_text",
]


# --- the iCalendar file --------------------------------------------------------------------


def _unit_steps(index: ProgrammeIndex, step: Step, unit: str) -> bool:
    """Whether ``unit`` takes part in ``step``: submits it, carries it out or inspects for it."""
    if step.transition is not None:
        t = step.transition
        if t.actor == OWNER:
            return unit in index.proposers
        return unit in index.acting_bodies(t.actor)
    if step.task is not None:
        return unit in index.expand(step.task.responsible)
    return False  # pragma: no cover - a step is a transition or a task


def _event_description(
    definition: Definition, step: Step, row: dict[str, Any], befores: list[int]
) -> str:
    index = definition.index
    lines = [f"事项：{step.label}"]
    if step.transition is not None:
        t = step.transition
        lines.append(f"办理：{actor_label(index, t.actor)}")
        if t.document:
            to = f"，报 {ids_label(index, t.recipients)}" if t.recipients else ""
            lines.append(f"文件：{t.document}{to}")
    elif step.task is not None:
        task = step.task
        lines.append(f"负责：{ids_label(index, task.responsible)}")
        if task.document:
            to = f"，报 {ids_label(index, task.recipients)}" if task.recipients else ""
            lines.append(f"文件：{task.document}{to}")
    phrase = row["phrase"]
    if row["original_phrase"]:
        phrase += f"（原定「{row['original_phrase']}」，后发文件改定）"
    lines.append(f"时限：{phrase}")
    due = date.fromisoformat(row["due"])
    work = (
        "工作日"
        if row["is_working_day"]
        else f"非工作日，此前最后一个工作日为 {row['last_working_day']}"
    )
    lines.append(f"时段：{row['first']} 至 {row['due']}（到期日{weekday(due)}，{work}）")
    source = step.deadline.governing_source if step.deadline else None
    cited = source_document_label(index, source) if source else row["document"]
    lines.append(f"出处：{cited} {row['clause']}")
    if row["quote"]:
        lines.append(f"原文：「{row['quote']}」")
    if befores:
        lines.append(
            "提醒：" + "、".join(f"到期前第 {n} 个工作日" if n else "到期当天" for n in befores)
        )
    return "\n".join(lines)


def build_ical(
    definition: Definition,
    now: datetime,
    unit: str | None = None,
    head: Mapping[str, Any] | None = None,
) -> str:
    """Every deadline of the programme for its year as an iCalendar (RFC 5545) text.

    One all-day VEVENT per step on its due day, UID ``<programme>-<step>@docflow`` (stable, so
    a re-exported calendar updates the same events), with VALARM reminders at the working
    days the step's reminder policy names (at the policy's hour). ``unit`` keeps only the
    steps that unit takes part in.

    ``head`` (``HeadMark.as_dict``: the chain's head of the store it was read with) is
    carried as the calendar's ``X-DOCFLOW-TRAIL-SEQ``, ``-HASH`` and ``-AT`` properties,
    the signed checkpoint as ``X-DOCFLOW-CHECKPOINT``, and named in its description.
    """
    from icalendar import Calendar, Event

    index = definition.index
    header = definition.programme.programme
    rows, _notes = calendar_rows(definition)
    steps = {s.id: s for s in index.steps()}
    if unit is not None:
        found = index.resolve_body(unit)
        if found is None:
            raise UnknownUnit(unit, index.body_names)
        unit = found
        rows = [r for r in rows if _unit_steps(index, steps[r["step"]], unit)]
    reports = _unit_reports(definition, unit)  # the unit's (every one without a unit)
    if unit is not None and not rows and not reports:
        raise UnitHasNoSteps(index.named_body(unit))
    calendar = DeadlineResolver(header.calendar, header.year).calendar
    stamp = now.astimezone(UTC).replace(microsecond=0)

    cal = Calendar()
    cal.add("prodid", "-//docflow//docflow//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    name = f"{header.title}（{header.year}年）时限"
    if unit is not None:
        name += f"：{index.body_label(unit)}"
    cal.add("x-wr-calname", name)
    number = f"（{header.doc_number}）" if header.doc_number else ""
    description = f"{header.title}{number}各项时限，由 docflow 生成"
    if head is not None:
        description += f"；数据截至留痕第 {head['seq']} 条（哈希 {head['hash']}）"
        cal.add("x-docflow-trail-seq", str(head["seq"]))
        cal.add("x-docflow-trail-hash", head["hash"])
        if head.get("at"):
            cal.add("x-docflow-trail-at", head["at"])
        if head.get("checkpoint"):
            cal.add("x-docflow-checkpoint", head["checkpoint"])
            description += f"，附签名检查点（密钥 {head['key']}）"
    cal.add("x-wr-caldesc", description)
    cal.add("x-wr-timezone", header.timezone)
    for row in rows:
        step = steps[row["step"]]
        due = date.fromisoformat(row["due"])
        befores, hour = _reminding(index, step.reminders)
        event = Event()
        event.add("uid", f"{definition.id}-{step.id}@docflow")
        event.add("dtstamp", stamp)
        event.add("dtstart", due)
        event.add("dtend", due + timedelta(days=1))
        event.add("summary", f"【截止】{step.label}")
        event.add("description", _event_description(definition, step, row, befores))
        if row["phase_label"]:
            event.add("categories", [row["phase_label"]])
        event.add("transp", "TRANSPARENT")
        event.add("x-docflow-phrase", row["phrase"])
        event.add("x-docflow-window", f"{row['first']}/{row['due']}")
        _alarms(event, due, befores, hour, calendar, f"{step.label}：{row['phrase']}")
        cal.add_component(event)
    for report in reports:
        befores, hour = _reminding(index, report.reminders)
        for occ in definition.report_occurrences.get(report.id, ()):
            event = Event()
            event.add("uid", f"{definition.id}-{report.id}-{occ.key}@docflow")
            event.add("dtstamp", stamp)
            event.add("dtstart", occ.due)
            event.add("dtend", occ.due + timedelta(days=1))
            event.add("summary", f"【截止】{report.label}（{occ.label}）")
            event.add(
                "description",
                f"{report.label}（{occ.label}，{occ.covered_first} 至 {occ.covered_last}）："
                f"{report.every}，{occ.due_text}到期",
            )
            event.add("transp", "TRANSPARENT")
            event.add("x-docflow-phrase", report.every)
            event.add("x-docflow-window", f"{occ.first.isoformat()}/{occ.due.isoformat()}")
            text = f"{report.label}（{occ.label}）：{report.every}"
            _alarms(event, occ.due, befores, hour, calendar, text)
            cal.add_component(event)
    return cal.to_ical().decode("utf-8")


def _reminding(index: Any, policy_id: str | None) -> tuple[list[int], int]:
    """The working days before a due day its reminders come (latest first) and their hour:
    the step's reminder policy, or 3 days ahead at 9 o'clock without one."""
    policy = index.policies.get(policy_id) if policy_id else None
    if policy is None:
        return [3], 9
    return sorted(set(policy.before), reverse=True), policy.hour


def _alarms(event: Any, due: date, befores: list[int], hour: int, calendar: Any, text: str) -> None:
    """The VALARMs of an all-day deadline event: one per reminder day, at ``hour``."""
    from icalendar import Alarm

    for n in befores:
        day = calendar.working_days_before(due, n)
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        # Relative to the start of the all-day event (00:00 of the due day).
        alarm.add("trigger", timedelta(days=(day - due).days, hours=hour))
        ahead = f"（提前 {n} 个工作日提醒）" if n else ""
        alarm.add("description", f"{text}，{due.isoformat()} 到期{ahead}")
        event.add_component(alarm)


def _unit_reports(definition: Definition, unit: str | None) -> list[Report]:
    """The recurring reports ``unit`` may owe (all of them without a unit): a body the rule
    names, or for ``owner`` a unit that can own items."""
    index = definition.index
    found = []
    for report in definition.programme.reports:
        named = index.expand([r for r in report.owed_by if r not in (OWNER, CO)])
        owner = OWNER in report.owed_by and unit in index.proposers
        if unit is None or unit in named or owner or CO in report.owed_by:
            found.append(report)
    return found
