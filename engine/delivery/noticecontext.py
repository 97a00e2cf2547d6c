"""What a notice template is given: one typed context, built in one place.

``NoticeContext`` is the whole shape every kind of notice draws on; a kind uses a subset.
``build_notice_context(definition, view, reminder, now)`` fills it from the definition and
the occurrence a reminder belongs to - the reminder runner sends it, and ``docflow validate``
checks each template against its fields (``template_attribute_problems``), so a template can
only use what the runner provides.

====================  ==========================================================================
field                 value
====================  ==========================================================================
``programme``         ``ProgrammeFacts``: ``title`` (the cover notice's title, without 《》),
                      ``doc_number`` (发文字号, or None), ``issuer`` (the issuing body's name, which also
                      signs reminders and 催报), ``issued`` (date), ``year``, ``topic`` (what
                      the programme is about: its title without the final 方案), ``item``
                      (what moves through it: 突破点, 任务 - ``programme.item``), ``id``
``date_style``        ``"auto"``, ``"chinese"`` or ``"arabic"``: the ``gongwen_date`` and
                      ``month_day`` filters' default
``today``             date: the 成文日期 written in the 落款
``recipient``         ``Addressee`` (``id``, ``short``, ``name``): the single addressee
``addressees``        body names: the 主送 line of notices to many bodies
``step``              ``StepFacts``: ``label`` (what is to be submitted: 整改后的… when
                      ``rectify``), ``phrase`` (the deadline as the notice writes it),
                      ``due`` (date), ``clause`` (the notice's sentence setting the step,
                      without the final 。)
``rectify``           whether the points owe the step again after a return, by its
                      整改期限 (``step.due``): the notice asks for the rectified document
``points``            ``PointLine`` each: ``id``, ``title``, ``state_label``, ``unit`` (the
                      point's unit, short name)
``working_days_left`` working days from today to the deadline (0: due today; < 0: late)
``stage``             escalation stage of a 催报 (1 first, 2 second ...)
``makeup_due``        date or None: the 补报 deadline (None: "尽快补报")
``shift``             whether the 补报 deadline shifts for holidays (顺延 / 不顺延)
``cc``                body names for the 抄送 line (may be empty)
``send_to``           short names of the bodies the document owed goes to (a step's or a
                      recurring report's ``recipients``), worked out for the recipient's
                      points (``recipients: [leader]``: each point's lead unit's own 分管领导;
                      ``co``: its co-responsible units), or for the recipient itself when it
                      owes for no point (a unit task)
``contacts``          ``ContactLine`` each: ``name``, ``body``, ``phone``, ``fax``, ``email``
                      (None: not shown)
``reported``          units that reported the step; ``total``: units that should
``missing_units``     names of the units that have not reported
``group``             ``InspectionGroupFacts``: ``name``, ``lead``, ``members``; in a
                      reminder or 催报 of a step an inspection lead owes, the groups it leads
                      (empty otherwise: the recipient owes its own points)
``dates``             ``InspectionDates``: ``first``, ``last`` (dates of the inspection)
``meeting``           ``MeetingFacts``: ``date`` (None: 另行通知), ``place``, ``name`` and
                      ``attendees`` (None: the template's defaults)
``desk_url``          the recipient's page on the desk (``网上报送``), or None when the
                      desk's address was not given (``--desk-url``)
====================  ==========================================================================

The renderer adds ``subject`` (the rendered subject line) for the two bodies.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any, Literal

from jinja2 import nodes

from engine.definition.loader import Definition
from engine.definition.schema import INSPECTOR, Transition
from engine.delivery.reminders import Reminder
from engine.runtime.progress import ProgressView

__all__ = [
    "Addressee",
    "ContactLine",
    "InspectionDates",
    "InspectionGroupFacts",
    "MeetingFacts",
    "NoticeContext",
    "PointLine",
    "ProgrammeFacts",
    "StepFacts",
    "build_notice_context",
    "programme_facts",
    "template_attribute_problems",
    "working_days_between",
]


@dataclass(frozen=True, slots=True)
class ProgrammeFacts:
    id: str
    title: str
    doc_number: str | None  # None: the notice has none, and the notices leave it out
    issuer: str
    issued: date
    year: int
    topic: str
    item: str  # what moves through the programme (programme.item): 突破点, 任务


@dataclass(frozen=True, slots=True)
class Addressee:
    id: str
    short: str
    name: str


@dataclass(frozen=True, slots=True)
class StepFacts:
    label: str
    phrase: str
    due: date
    clause: str


@dataclass(frozen=True, slots=True)
class PointLine:
    id: str
    title: str
    state_label: str
    unit: str = ""  # the point's unit (short name)


@dataclass(frozen=True, slots=True)
class ContactLine:
    name: str
    body: str
    phone: str
    fax: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class InspectionGroupFacts:
    name: str = ""
    lead: str = ""
    members: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class InspectionDates:
    first: date | None = None
    last: date | None = None


@dataclass(frozen=True, slots=True)
class MeetingFacts:
    date: date | None = None
    place: str = "另行通知"
    name: str | None = None
    attendees: str | None = None


@dataclass(frozen=True, slots=True)
class NoticeContext:
    """Everything a notice template may use (see the module's table)."""

    programme: ProgrammeFacts
    today: date
    date_style: Literal["auto", "chinese", "arabic"] = "auto"
    recipient: Addressee | None = None
    addressees: tuple[str, ...] = ()
    step: StepFacts | None = None
    points: tuple[PointLine, ...] = ()
    working_days_left: int = 0
    stage: int = 0
    makeup_due: date | None = None
    shift: bool = False
    cc: tuple[str, ...] = ()
    send_to: tuple[str, ...] = ()
    contacts: tuple[ContactLine, ...] = ()
    reported: int = 0
    total: int = 0
    missing_units: tuple[str, ...] = ()
    group: InspectionGroupFacts = field(default_factory=InspectionGroupFacts)
    dates: InspectionDates = field(default_factory=InspectionDates)
    meeting: MeetingFacts = field(default_factory=MeetingFacts)
    rectify: bool = False
    desk_url: str | None = None

    def variables(self) -> dict[str, Any]:
        """The top-level template variables: one per field."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def field_names(cls) -> frozenset[str]:
        return frozenset(f.name for f in dataclasses.fields(cls))


# --- building it ---------------------------------------------------------------------------


def working_days_between(view: ProgressView, today: date, due: date) -> int:
    """Working days from ``today`` to ``due``: positive ahead, 0 on the day, negative late."""
    calendar = view.calendar
    step = 1 if due >= today else -1
    count = 0
    day = today
    while day != due:
        day += timedelta(days=step)
        if calendar.is_working_day(day):
            count += step
    return count


def programme_facts(definition: Definition) -> ProgrammeFacts:
    """The programme as its notices cite it."""
    header = definition.programme.programme
    bodies = definition.index.bodies
    # The cover notice is the document carrying the programme's 发文字号; without one, the
    # programme is cited by its own title.
    cover = next(
        (d for d in header.documents if header.doc_number and d.doc_number == header.doc_number),
        None,
    )
    return ProgrammeFacts(
        id=header.id,
        title=cover.title if cover else header.title,
        doc_number=header.doc_number,
        issuer=bodies[header.issuer].name if header.issuer in bodies else header.issuer,
        issued=header.issued,
        year=header.year,
        topic=header.title.removesuffix("方案"),
        item=header.item,
    )


def build_notice_context(
    definition: Definition,
    view: ProgressView,
    reminder: Reminder,
    now: datetime,
    *,
    desk_url: str | None = None,
) -> NoticeContext:
    """The context of one reminder's notice: its programme, recipient, step and points;
    with the desk's base address ``desk_url``, the link to the recipient's page there."""
    index = definition.index
    header = definition.programme.programme
    occ = reminder.occurrence
    rule = occ.rule
    today = now.date()
    body = index.bodies[reminder.recipient]
    if rule.step_kind == "report":
        step_facts, group = _report_step(definition, occ.rule.step, occ.period, occ.due), None
        report = definition.index.reports[rule.step]
        recipients: tuple[str, ...] = report.recipients
    else:
        step = next(s for s in index.steps() if s.id == rule.step)
        deadline = step.deadline
        quote = deadline.governing_source.quote if deadline else None
        document = (
            step.transition.document
            if step.transition
            else (step.task.document if step.task else None)
        )
        step_facts = StepFacts(
            label=("整改后的" if reminder.rectify else "") + (document or step.label),
            phrase=deadline.governing_phrase if deadline else "",
            due=occ.due,
            clause=(quote or step.label).rstrip("。"),
        )
        group = _led_groups(definition, step.transition, body.id)
        owed = step.transition or step.task
        recipients = owed.recipients if owed else ()
    cc = [index.bodies[b].name for b in reminder.cc]
    if reminder.leadership:
        cc.append(index.leadership_of(rule.policy.leadership, body.id).name)
    makeup_due = None
    if rule.kind == "overdue":
        makeup_due = view.calendar.working_days_after(
            today + timedelta(days=1), rule.policy.makeup_days - 1
        )
    rate = reminder.rate
    return NoticeContext(
        programme=programme_facts(definition),
        today=today,
        date_style=header.date_style,
        recipient=Addressee(body.id, body.short, body.name),
        addressees=tuple(header.addressees),
        step=step_facts,
        points=tuple(
            PointLine(
                p.id,
                p.title,
                index.states[p.state].label if p.state in index.states else p.state,
                index.body_label(p.unit),
            )
            for p in reminder.points
        ),
        working_days_left=working_days_between(view, today, occ.due),
        stage=rule.stage,
        makeup_due=makeup_due,
        shift=header.calendar.shift_to_working_day,
        cc=tuple(cc),
        send_to=_send_to(definition, recipients, reminder),
        contacts=tuple(
            ContactLine(c.name, index.body_label(c.body), c.phone, c.fax, c.email)
            for c in header.contacts
        ),
        reported=len(rate.reported) if rate is not None else 0,
        total=rate.total if rate is not None else 0,
        missing_units=tuple(index.bodies[u].name for u in rate.missing) if rate else (),
        group=group or InspectionGroupFacts(),
        rectify=reminder.rectify,
        desk_url=_desk_page(desk_url, definition.id, body.id, group),
    )


def _desk_page(
    base: str | None, programme: str, unit: str, group: InspectionGroupFacts | None
) -> str | None:
    """The recipient's page on the desk: its own unit's items, or - for an inspection lead
    owing the reports of the groups it leads - its page of the programme, which lists the
    units it inspects."""
    if not base:
        return None
    if group is not None and group.name:
        return f"{base}/p/{programme}/"
    return f"{base}/p/{programme}/units/{unit}"


def _report_step(definition: Definition, rule: str, period: str | None, due: date) -> StepFacts:
    """A recurring report's occurrence as the notice's step: its document and period."""
    report = definition.index.reports[rule]
    found = definition.report_occurrences.get(report.id, ())
    occurrence = next((o for o in found if o.key == period), None)
    label = report.document or report.label
    quote = report.source.quote if report.source else None
    return StepFacts(
        label=f"{label}（{occurrence.label}）" if occurrence else label,
        phrase=report.every,
        due=due,
        clause=(quote or report.label).rstrip("。"),
    )


def _send_to(
    definition: Definition, recipients: tuple[str, ...], reminder: Reminder
) -> tuple[str, ...]:
    """Where the document owed goes (``recipients``, of a step or a recurring report), for
    the points ``reminder`` lists, or for its recipient when it lists none."""
    if not recipients:
        return ()
    index = definition.index
    found: dict[str, None] = {}
    owners = [(p.unit, p.co) for p in reminder.points] or [(reminder.recipient, ())]
    for unit, co in owners:
        for body in index.recipients_of(recipients, unit, co):
            found.setdefault(index.body_label(body), None)
    return tuple(found)


def _led_groups(
    definition: Definition, transition: Transition | None, lead: str
) -> InspectionGroupFacts:
    """The inspection groups ``lead`` leads, when it owes ``transition`` as their lead."""
    if transition is None or transition.actor != INSPECTOR:
        return InspectionGroupFacts()
    index = definition.index
    groups = [g for g in definition.programme.inspection_groups if g.lead == lead]
    if not groups:
        return InspectionGroupFacts()
    members = index.expand([m for g in groups for m in g.members])
    return InspectionGroupFacts(
        name="、".join(g.label for g in groups),
        lead=index.body_label(lead),
        members=tuple(index.body_label(m) for m in members),
    )


# --- checking templates against it ---------------------------------------------------------


@cache
def _fields_of(cls: type) -> dict[str, Any]:
    """A context class's fields and their types (``Optional`` and ``None`` unwrapped)."""
    # No class namespace: MeetingFacts.date must not hide the type ``date``.
    hints = typing.get_type_hints(cls, localns={})
    return {name: _unwrap(hint) for name, hint in hints.items()}


def _unwrap(hint: Any) -> Any:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return args[0] if len(args) == 1 else Any
    return hint


def _element(hint: Any) -> Any:
    """The element type of ``tuple[X, ...]``; ``Any`` for anything else."""
    if typing.get_origin(hint) is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return args[0]
    return Any


def _guarded(ast: nodes.Template) -> set[tuple[str, str]]:
    """The ``owner.attr`` lookups a template tests with ``is defined`` / ``is undefined``."""
    found: set[tuple[str, str]] = set()
    for test in ast.find_all(nodes.Test):
        target = test.node
        if (
            test.name in ("defined", "undefined")
            and isinstance(target, nodes.Getattr)
            and isinstance(target.node, nodes.Name)
        ):
            found.add((target.node.name, target.attr))
    return found


def template_attribute_problems(
    ast: nodes.Template, context: type = NoticeContext
) -> list[tuple[int, str]]:
    """Attribute lookups a template makes that the context's types do not have.

    Follows the top-level variables (``step.label``) and the variables of ``for`` loops over
    tuple fields (``{% for p in points %}{{ p.title }}``); a lookup the template tests with
    ``is defined`` somewhere is allowed (``{% if c.mobile is defined %}{{ c.mobile }}``). Returns ``(line, "step.lable")`` pairs, in the order found.
    """
    top = _fields_of(context)
    loops: dict[str, Any] = {}
    for loop in ast.find_all(nodes.For):
        if isinstance(loop.target, nodes.Name) and isinstance(loop.iter, nodes.Name):
            loops[loop.target.name] = _element(top.get(loop.iter.name, Any))
    guarded = _guarded(ast)
    found: list[tuple[int, str]] = []
    for lookup in ast.find_all(nodes.Getattr):
        owner = lookup.node
        if not isinstance(owner, nodes.Name) or (owner.name, lookup.attr) in guarded:
            continue
        kind = loops.get(owner.name, top.get(owner.name, Any))
        if dataclasses.is_dataclass(kind) and lookup.attr not in _fields_of(kind):  # type: ignore[arg-type]
            found.append((lookup.lineno, f"{owner.name}.{lookup.attr}"))
    return found
