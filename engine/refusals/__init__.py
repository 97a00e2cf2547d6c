"""The refusals: each names what was refused, as attributes, and builds its Chinese message.

These are the ``Refused`` branch of the tree drawn in ``engine.errors``; all exit with 1.
Units, steps, states and outcomes travel as ``Named`` values (equal to their ids, carrying
the Chinese label), so a test or a caller compares ``exc.actor == "guangzhou"`` while the
message reads 广州市. No message names a command-line flag: ``engine.hints`` says which flag
or command to use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from engine.errors import ITEM, Named, Refused
from engine.refusals.accounts import (
    AccountExists,
    LinkNotUsable,
    SignInRefused,
    SignInThrottled,
    UnknownAccount,
    UnknownRole,
    WeakPassword,
)
from engine.refusals.naming import labels_of, spaced, step_words, unit_words
from engine.refusals.records import CannotCorrect, LaterEvents, NotYetEnrolled, UnknownEvent
from engine.refusals.reports import (
    AlreadyFiled,
    NoPeriodGiven,
    NotOwed,
    PeriodNotBegun,
    PeriodNotTaken,
    PointsNotTaken,
    UnknownPeriod,
)

__all__ = [
    "AccountExists",
    "ActorNotAllowed",
    "ActorNotGiven",
    "AlreadyFiled",
    "AlreadySubmitted",
    "BadCoUnits",
    "BadIdentifier",
    "BadNewDeadline",
    "BadRectifyDeadline",
    "BeforeItExisted",
    "CannotCorrect",
    "CannotRewrite",
    "ExtendedStepDone",
    "ExtensionProblem",
    "ExtensionTooLate",
    "InTheFuture",
    "InputNotAllowed",
    "LaterEvents",
    "LinkNotUsable",
    "MissingInput",
    "NoExtensionRequest",
    "NoPeriodGiven",
    "NoSuchOutcome",
    "NotAProposer",
    "NotAnInspector",
    "NotOwed",
    "NotRegistered",
    "NotTheOwner",
    "NotYetEnrolled",
    "NothingToExtend",
    "NothingWaiting",
    "PeriodNotBegun",
    "PeriodNotTaken",
    "PointIdTaken",
    "PointsNotTaken",
    "SignInRefused",
    "SignInThrottled",
    "TaskAlreadyDone",
    "TooManyPoints",
    "UnitHasNoSteps",
    "UnknownAccount",
    "UnknownEvent",
    "UnknownFormat",
    "UnknownPeriod",
    "UnknownPoint",
    "UnknownRole",
    "UnknownState",
    "UnknownTask",
    "UnknownUnit",
    "UnsafeText",
    "WaitingFor",
    "WeakPassword",
    "WrongCommand",
    "WrongState",
]


# --- what is named -------------------------------------------------------------------------


class UnknownUnit(Refused):
    """A unit id that is not among the programme's bodies; ``known`` maps id -> names."""

    def __init__(self, unit: str, known: Mapping[str, tuple[str, ...]] | None = None) -> None:
        self.unit = unit
        self.known = dict(known or {})
        super().__init__(f"未定义的单位 {unit}")


class UnknownPoint(Refused):
    """A point id that is not enrolled."""

    def __init__(self, point: str) -> None:
        self.point = point
        super().__init__(f"未登记的{ITEM} {point}")


class UnknownTask(Refused):
    """A task name that is neither a point step nor a programme task."""

    def __init__(self, task: str, known: Sequence[str]) -> None:
        self.task = task
        self.known = tuple(known)
        super().__init__(f"未定义的事项 {task}。可用的事项：{'、'.join(self.known)}")


class UnknownState(Refused):
    """Points stand in states the (new) definition does not have."""

    def __init__(self, states: Sequence[str]) -> None:
        self.states = tuple(states)
        super().__init__(
            f"新定义中没有状态 {'、'.join(self.states)}，而已有{ITEM}处于这些状态，无法迁移"
        )


class NotRegistered(Refused):
    """The store has never seen the programme (``location`` given when reporting on it)."""

    def __init__(self, programme: str, location: str | None = None) -> None:
        self.programme = programme
        self.location = location
        super().__init__(
            f"存储库 {location} 中没有工作方案 {programme}"
            if location is not None
            else f"工作方案 {programme} 尚未在存储库中登记，无需迁移"
        )


# --- what is missing -----------------------------------------------------------------------

#: (what, for what) -> the message of a ``MissingInput``.
_MISSING = {
    ("reason", "decision"): "决定须说明理由",
    ("reason", "migration"): "迁移工作方案定义须说明理由",
    ("reason", "correction"): "撤回或更正记录须说明理由",
    ("decision_reason", "correction"): "更正后的决定理由不能为空",
    ("kind", "correction"): "须给出且只给出一种更正：撤回记录、换用文件或更正决定理由",
    ("points", "decision"): f"没有指明作出决定的{ITEM}",
    ("points", "enrolment"): f"没有要登记的{ITEM}",
    ("file", "submission"): "没有给出报送的文件",
    ("title", "enrolment"): f"{ITEM}没有名称",
    ("until", "extension"): "批准延期须给出新的期限",
    ("out", "xlsx"): "xlsx 格式须指定输出文件",
}


class MissingInput(Refused):
    """Something a command needs was not given: ``what`` (reason, points, file, title,
    until, out, kind, decision_reason) for ``purpose`` (decision, migration, enrolment,
    submission, extension, xlsx, correction); ``unit`` when it is one unit's input."""

    def __init__(self, what: str, purpose: str, unit: Named | None = None) -> None:
        self.what = what
        self.purpose = purpose
        self.unit = unit
        text = _MISSING.get((what, purpose), f"缺少 {what}")
        super().__init__(f"{unit_words(unit)} 的{text}" if unit is not None else text)


class InputNotAllowed(Refused):
    """Something was given that this command does not take: ``what`` (points, until)."""

    def __init__(self, what: str, step: Named, reason: str) -> None:
        self.what = what
        self.step = step
        self.reason = reason  # "programme-task", "not-a-grant", "refusal"
        texts = {
            "programme-task": f"{step_words(step)}是全省层面事项，不针对单个{ITEM}，不能指明{ITEM}",
            "not-a-grant": "只有批准延期的决定才能给出新期限",
            "refusal": "不批准延期时不能给出新期限",
        }
        super().__init__(texts[reason])


class InTheFuture(Refused):
    """An effective time later than now: documents are recorded after they arrive."""

    def __init__(self, at: datetime) -> None:
        self.at = at
        super().__init__(f"生效时间 {at.isoformat()} 晚于当前时间，不能预先登记")


# --- which command ---------------------------------------------------------------------------


class WrongCommand(Refused):
    """A task carried out another way: ``given`` is what was tried ("document" or
    "decision"), ``needs`` how it is done ("decide", "submit", "enrol" or "points": by the
    submissions for the unit's points)."""

    def __init__(self, task: Named, needs: str, given: str) -> None:
        self.task = task
        self.needs = needs
        self.given = given
        if given == "decision":
            how = {"enrol": f"由各单位登记{ITEM}完成"}.get(needs, "须报送文件")
            text = f"事项 {spaced(task)}不作决定，{how}"
        elif needs == "decide":
            text = f"事项 {spaced(task)}不接受报送文件，须作出决定"
        elif needs == "enrol":
            text = f"{step_words(task)}由各单位登记{ITEM}完成"
        else:
            text = f"{step_words(task)}是单位事项，由其{ITEM}的报送完成"
        super().__init__(text)


class NoSuchOutcome(Refused):
    """A decision outcome the task does not have; ``available`` are the ones it has."""

    def __init__(self, task: str, outcome: Named, available: Sequence[Named]) -> None:
        self.task = task
        self.outcome = outcome
        self.available = tuple(available)
        super().__init__(
            f"事项 {task} 没有「{outcome.label}」的决定，可用：{labels_of(self.available)}"
        )


# --- the point and its state ---------------------------------------------------------------


class WrongState(Refused):
    """The point's state is not one the step leaves from (a final state leaves to none)."""

    def __init__(
        self, point: Named, state: Named, step: Named, allowed_states: Sequence[Named]
    ) -> None:
        self.point = point
        self.state = state
        self.step = step
        self.allowed_states = tuple(allowed_states)
        super().__init__(
            f"{ITEM} {point}（{point.label}）当前状态为「{state.label}」，不能办理{step_words(step)}；"
            f"该事项只能在以下状态办理：{labels_of(self.allowed_states)}"
        )


class NothingWaiting(Refused):
    """None of the unit's points waits for the step; ``states`` maps point -> its state."""

    def __init__(self, unit: Named, step: Named, states: dict[str, Named]) -> None:
        self.unit = unit
        self.step = step
        self.states = dict(states)
        if not self.states:
            text = f"{unit_words(unit)}没有可报送{step_words(step)}的{ITEM}"
        else:
            listed = "；".join(f"{p} {s.label}" for p, s in self.states.items())
            text = (
                f"{unit_words(unit)}没有等待{step_words(step)}的{ITEM}"
                f"（已报送过，或尚未到这一步）。各{ITEM}当前状态：{listed}"
            )
        super().__init__(text)


class AlreadySubmitted(Refused):
    """The same document was already recorded for this step of the point (trail ``seq``)."""

    def __init__(
        self, document: str, point: str, step: Named, seq: int, recorded_at: object
    ) -> None:
        self.document = document
        self.point = point
        self.step = step
        self.seq = seq
        self.recorded_at = recorded_at
        super().__init__(
            f"重复报送：该文件（sha256 {document[:12]}）已于 {recorded_at} "
            f"就{ITEM} {point} 报送过{step_words(step)}（留痕第 {seq} 条）"
        )


class TaskAlreadyDone(Refused):
    """A programme-level task is recorded once."""

    def __init__(self, task: Named) -> None:
        self.task = task
        super().__init__(f"{step_words(task)}已经报送过，不能重复报送")


class WaitingFor(Refused):
    """A programme task whose prerequisite is not done: another task (``missing`` empty),
    or a step some units have not done while its deadline ``due`` has not passed."""

    def __init__(
        self, task: Named, waits_for: Named, missing: Sequence[Named] = (), due: date | None = None
    ) -> None:
        self.task = task
        self.waits_for = waits_for
        self.missing = tuple(missing)
        self.due = due
        if not self.missing:
            text = f"{step_words(task)}须等{step_words(waits_for)}完成后才能报送"
        else:
            text = (
                f"{step_words(task)}须等各单位完成{step_words(waits_for)}：尚有 {len(self.missing)} 个单位"
                f"未报送（{labels_of(self.missing)}），期限 {due} 过后方可在缺报的情况下报送"
            )
        super().__init__(text)


# --- who may act ---------------------------------------------------------------------------


class ActorNotAllowed(Refused):
    """The unit may not take this step; ``allowed`` are the bodies that may."""

    def __init__(self, actor: Named, step: Named, allowed: Sequence[Named], kind: str) -> None:
        self.actor = actor
        self.step = step
        self.allowed = tuple(allowed)
        self.kind = kind  # "decision", "document" or "task"
        if kind == "decision":
            text = f"{unit_words(actor)}无权作出{step_words(step)}的决定，应由 {labels_of(self.allowed)} 作出"
        elif kind == "task":
            text = (
                f"{step_words(step)}由 {labels_of(self.allowed)} 负责，{unit_words(actor)}无权报送"
            )
        else:
            text = f"{step_words(step)}应由 {labels_of(self.allowed)} 报送，{unit_words(actor)}无权报送"
        super().__init__(text)


class NotAnInspector(ActorNotAllowed):
    """Only the lead body of an inspection group reports on the units it inspected."""

    def __init__(self, actor: Named, step: Named) -> None:
        Refused.__init__(self, f"{unit_words(actor)}不是检查组组长单位，无权报送{step_words(step)}")
        self.actor = actor
        self.step = step
        self.allowed = ()
        self.kind = "document"


class NotTheOwner(ActorNotAllowed):
    """A unit naming a point it does not act for."""

    def __init__(self, actor: Named, point: Named, owner: Named, step: Named) -> None:
        Refused.__init__(
            self,
            f"{unit_words(actor)}无权就{ITEM} {point}（{point.label}，属 {owner.label}）"
            f"报送{step_words(step)}",
        )
        self.actor = actor
        self.point = point
        self.owner = owner
        self.step = step
        self.allowed = (owner,)
        self.kind = "document"


class ActorNotGiven(Refused):
    """Several bodies may take the decision: the one deciding must be named."""

    def __init__(self, step: Named, allowed: Sequence[Named]) -> None:
        self.step = step
        self.allowed = tuple(allowed)
        super().__init__(
            f"{step_words(step)}可由 {labels_of(self.allowed)} 作出，须指明作出决定的单位"
        )


class NotAProposer(Refused):
    """Points are proposed by the units the enrolment names."""

    def __init__(self, unit: Named) -> None:
        self.unit = unit
        super().__init__(f"{unit_words(unit)}不是提出{ITEM}的单位")


class BadCoUnits(Refused):
    """The co-responsible units of a point are other bodies than its lead, each named once."""

    def __init__(self, lead: Named, co: Named, why: str) -> None:
        self.lead = lead
        self.co = co
        super().__init__(f"{unit_words(lead)}牵头的{ITEM}的责任单位 {co.shown}{why}")


class TooManyPoints(Refused):
    """A unit would have more points than the programme allows."""

    def __init__(self, unit: Named, limit: int, count: int) -> None:
        self.unit = unit
        self.limit = limit
        self.count = count
        super().__init__(f"{unit_words(unit)}至多可提出 {limit} 个{ITEM}，登记后将有 {count} 个")


class PointIdTaken(Refused):
    """Point ids given twice in one enrolment, or already enrolled (``repeated`` False)."""

    def __init__(self, points: Sequence[str], repeated: bool = False) -> None:
        self.points = tuple(points)
        self.repeated = repeated
        names = "、".join(self.points)
        super().__init__(f"{ITEM}编号 {names} 重复" if repeated else f"{ITEM}编号 {names} 已存在")


# --- extensions ----------------------------------------------------------------------------


class ExtensionProblem(Refused):
    """An extension request or decision that breaks the programme's extension rules."""


class NothingToExtend(ExtensionProblem):
    def __init__(self, point: str) -> None:
        self.point = point
        super().__init__(f"{ITEM} {point} 当前没有有期限的事项，无需申请延期")


class ExtensionTooLate(ExtensionProblem):
    def __init__(self, point: str, step: Named, due: date) -> None:
        self.point = point
        self.step = step
        self.due = due
        super().__init__(
            f"延期申请须在到期前提出：{ITEM} {point} 的{step_words(step)}已于 {due} 到期"
        )


class NoExtensionRequest(ExtensionProblem):
    def __init__(self, point: str) -> None:
        self.point = point
        super().__init__(f"{ITEM} {point} 没有待审批的延期申请")


class ExtendedStepDone(ExtensionProblem):
    def __init__(self, point: str, step: Named, request: int) -> None:
        self.point = point
        self.step = step
        self.request = request
        super().__init__(
            f"{ITEM} {point} 的延期申请（留痕第 {request} 条）针对{step_words(step)}，"
            f"该事项已经办理，无需批准延期"
        )


class BadNewDeadline(ExtensionProblem):
    """The new due date is not later than the current one (``current``) or not in ``year``."""

    def __init__(self, until: date, current: date | None = None, year: int | None = None) -> None:
        self.until = until
        self.current = current
        self.year = year
        super().__init__(
            f"新的期限 {until} 应晚于原期限 {current}"
            if current is not None
            else f"新的期限 {until} 不在方案年度内"
        )


class BadRectifyDeadline(Refused):
    """A 整改期限 (``--until`` of a return) not after the day of the return or after
    ``latest`` (the end of the year after the programme's), or given on a return that sends
    the point back to no step it could be the due day of (``step``)."""

    def __init__(
        self, until: date, decided: date, step: Named | None = None, latest: date | None = None
    ) -> None:
        self.until = until
        self.decided = decided
        self.step = step
        self.latest = latest
        if step is not None:
            text = f"{step_words(step)}退回后没有需要重新报送的事项，不能给出整改期限（--until）"
        elif latest is not None:
            text = f"整改期限 {until} 晚于 {latest}：整改期限应在方案年度或次年之内"
        else:
            text = f"整改期限 {until} 应晚于退回之日 {decided}：请给出退回之后的日期（YYYY-MM-DD）"
        super().__init__(text)


# --- formats and files -----------------------------------------------------------------------


class UnknownFormat(Refused):
    """An export format docflow does not write; ``known`` are the ones it does."""

    def __init__(self, fmt: str, known: Sequence[str]) -> None:
        self.format = fmt
        self.known = tuple(known)
        super().__init__(f"不支持的导出格式 {fmt}：可用 {'、'.join(self.known)}")


class CannotRewrite(Refused):
    """``docflow roll`` cannot rewrite a value in place (keeping comments and layout)."""

    def __init__(self, file: str, where: str | None) -> None:
        self.file = file
        self.where = where
        super().__init__(
            f"{file} 中 {where} 的写法无法在保留注释和排版的情况下改写（如跨行书写）："
            "请把它写在一行内后重试"
            if where is not None
            else "改写后的方案与预期不符，已停止（未写入任何文件）：请报告此问题"
        )


class UnitHasNoSteps(Refused):
    """A unit that takes part in none of the programme's steps with a deadline."""

    def __init__(self, unit: Named) -> None:
        self.unit = unit
        super().__init__(f"{unit_words(unit)}不承担本方案中任何有期限的事项")


class OutOfSeason(Refused):
    """Reminders asked for long after the programme's last one (an old folder, a clock left
    at the real time): they would mail every unit a stale 催报."""

    def __init__(self, programme: str, year: int, last: date, today: date) -> None:
        self.programme = programme
        self.year = year
        self.last = last
        self.today = today
        super().__init__(
            f"工作方案 {programme}（{year} 年）的最后一次提醒应于 {last.isoformat()} 发出，"
            f"现在是 {today.isoformat()}：该方案已不再发送提醒"
        )


class BeforeItExisted(Refused):
    """An effective time before what it is recorded on existed: before the programme's year
    began, or before the point was enrolled."""

    def __init__(self, at: datetime, since: datetime, point: str | None = None) -> None:
        self.at = at
        self.since = since
        self.point = point
        what = f"{ITEM} {point} 的登记时间" if point is not None else "工作方案年度的开始"
        super().__init__(
            f"生效时间 {at.isoformat()} 早于{what}（{since.isoformat()}），不能登记在此之前"
        )


class BadIdentifier(Refused):
    """A point id outside the safe alphabet (letters, digits, ``-``, ``_``, ``.``), or one
    that is only dots: ids name files and appear in paths and links."""

    def __init__(self, value: str, where: str) -> None:
        self.value = value
        self.where = where
        super().__init__(
            f"{where}：{ITEM}编号 {value!r} 不可用，只能含字母、数字、-、_ 和 .，"
            "不能只由 . 组成，至多 64 个字符"
        )


class UnsafeText(Refused):
    """Text a user gave (a title, a reason, a unit name) holding a control, bidirectional or
    invisible character, which would reorder or hide what a reader sees, or drive their
    terminal."""

    def __init__(self, where: str, char: str, position: int) -> None:
        self.where = where
        self.char = char
        self.position = position
        super().__init__(
            f"{where}：第 {position} 个字符是控制字符、双向控制字符或不可见字符"
            f"（U+{ord(char):04X}），请删去"
        )
