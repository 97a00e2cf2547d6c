"""The scenario of a simulated year: what happens otherwise than everyone on time.

A scenario file is loaded in stages, like a programme: the YAML is read with its line marks
(``read_yaml``), its shape and every reference (units, points, task names, the decisions an
entry needs) are checked by pydantic against the definition, then the entries against each
other (duplicates, contradictions, dates before enrolment). Every problem is reported at
once, each at ``file:line:column`` (``ScenarioError``).

The models are frozen and reject unknown keys. ``Scenario.where`` says where an entry is
written, so that an action the engine refuses while the year runs names the scenario's line.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, overload

from pydantic import (
    BaseModel,
    ConfigDict,
    PlainValidator,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from engine.definition.loader import Definition
from engine.definition.schema import INSPECTOR, OWNER
from engine.definition.yamlio import Marks, read_yaml
from engine.errors import DefinitionError, Diagnostic, InputFileError, ScenarioError, os_reason
from engine.simulation.decisions import decision_steps
from engine.simulation.enrolling import late_enrolment_problems
from engine.simulation.lifecycle import (
    decision_leaving,
    default_enrol_day,
    extension_task,
    return_of,
    withdrawal_of,
)
from engine.simulation.scenario_fields import (
    CONTEXT_KEY,
    PROBLEM,
    Day,
    DecisionTask,
    LateEnrolment,
    LeadDays,
    NoneIsEmpty,
    PointId,
    PointStep,
    Problem,
    ScenarioContext,
    StepRef,
    TaskDays,
    TaskOrStep,
    Text,
    UnitId,
    Where,
    context_of,
    fail,
    text_or,
)
from engine.simulation.scenario_reports import ReportException

__all__ = [
    "DEFAULT_LEAD_DAYS",
    "SCENARIO_FILE",
    "Decision",
    "Extension",
    "Late",
    "Never",
    "Return",
    "Scenario",
    "ScreenOut",
    "StepRef",
    "Where",
    "Withdrawal",
    "load_scenario",
]

SCENARIO_FILE = "scenario-example.yaml"
DEFAULT_LEAD_DAYS = 3
SCREENED_OUT_REASON = "初步筛选未入选"
EXTENSION_REASON = "工作量大，申请延期报送"
DECISION_REASON = "演练情景中的决定"


_E = TypeVar("_E")
_ALONE = "alone"  # in the validation context: a part checked alone, not against the others


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- the entries -------------------------------------------------------------------------


class ScreenOut(_Model):
    """A point not accepted at screening (written as its id alone, or with a reason)."""

    point: PointId
    reason: Annotated[str, PlainValidator(text_or(SCREENED_OUT_REASON))] = SCREENED_OUT_REASON

    @model_validator(mode="before")
    @classmethod
    def _bare_id(cls, data: Any) -> Any:
        return {"point": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _has_decision(self, info: ValidationInfo) -> ScreenOut:
        context = context_of(info)
        if context is not None:
            initial = context.index.initial_state
            if decision_leaving(context.definition, initial, "reject") is None:
                fail("工作方案中没有初步筛选不入选的决定")
        return self


def _check_actor(context: ScenarioContext, unit: str, task: StepRef) -> None:
    """The unit must be one that does the step (or the programme-level task)."""
    index = context.index
    if task.step in index.tasks:
        allowed = index.expand(index.tasks[task.step].responsible)
        what = "负责该事项的单位"
    else:
        transition = index.transitions[task.step]
        if transition.actor == OWNER:
            units = set(context.points.values())
            allowed = [u for u in index.proposers if u in units]
            what = f"有{context.item}要登记的单位"
        elif transition.actor == INSPECTOR:
            allowed = sorted(set(index.inspector_of.values()))
            what = "检查组组长单位"
        else:
            allowed = index.acting_bodies(transition.actor)
            what = "负责该事项的单位"
    if unit not in allowed:
        names = "、".join(allowed[:8]) + ("……" if len(allowed) > 8 else "")
        fail((("unit",), f"单位 {unit} 不报送「{task}」：应是{what}（{names}）", False))


class Late(_Model):
    """The unit submits ``task`` on ``on`` (a programme-level task: its body does it then)."""

    unit: UnitId
    task: TaskOrStep
    on: Day

    @property
    def step(self) -> str:
        return self.task.step

    @model_validator(mode="after")
    def _actor(self, info: ValidationInfo) -> Late:
        context = context_of(info)
        if context is not None:
            _check_actor(context, self.unit, self.task)
        return self


class Never(_Model):
    """The unit never submits ``task``."""

    unit: UnitId
    task: PointStep

    @property
    def step(self) -> str:
        return self.task.step

    @model_validator(mode="after")
    def _actor(self, info: ValidationInfo) -> Never:
        context = context_of(info)
        if context is not None:
            _check_actor(context, self.unit, self.task)
        return self


class Return(_Model):
    """The point's submission of ``task`` is returned on ``on`` with the 整改期限 ``until``
    (else the return's ``rectify_within``, if any); resubmitted on ``resubmit_on`` (by
    default, with a 整改期限, the usual lead before it; without one, never)."""

    point: PointId
    task: PointStep
    on: Day
    reason: Text
    resubmit_on: Day | None = None
    until: Day | None = None

    @property
    def step(self) -> str:
        return self.task.step

    @model_validator(mode="after")
    def _returnable(self, info: ValidationInfo) -> Return:
        context = context_of(info)
        if context is None:
            return self
        if return_of(context.definition, self.step) is None:
            fail((("task",), f"事项 {self.task} 没有退回的决定", False))
        if self.resubmit_on is not None and self.resubmit_on <= self.on:
            fail((("resubmit_on",), "resubmit_on 应晚于退回日期 on", False))
        if self.until is not None and self.until <= self.on:
            fail((("until",), "整改期限 until 应晚于退回日期 on", False))
        return self


class Extension(_Model):
    """An extension of the point's ``task``: requested, granted with the new due day
    ``until``, then submitted on ``submit_on`` (default: the usual lead before ``until``)."""

    point: PointId
    task: PointStep
    request_on: Day
    grant_on: Day
    until: Day
    submit_on: Day | None = None
    reason: Annotated[str, PlainValidator(text_or(EXTENSION_REASON))] = EXTENSION_REASON

    @property
    def step(self) -> str:
        return self.task.step

    @model_validator(mode="after")
    def _extensible(self, info: ValidationInfo) -> Extension:
        context = context_of(info)
        if context is None:
            return self
        index = context.index
        if self.step in index.tasks or extension_task(context.definition, "request") is None:
            fail((("task",), f"事项 {self.task} 不能申请延期", False))
        transition = index.transitions[self.step]
        if transition.actor != OWNER:
            fail(
                (
                    ("task",),
                    f"「{transition.label}」不由{context.item}所属单位报送，不能申请延期",
                    False,
                )
            )
        grant = extension_task(context.definition, "grant")
        if grant is None or grant.outcome is None:
            fail("工作方案中没有批准延期的决定")
        due = context.view.due_of(self.step)
        problems: list[Problem] = []
        if due is not None and self.request_on > due:
            problems.append((("request_on",), f"延期申请须在到期（{due}）前提出", False))
        if self.grant_on < self.request_on:
            problems.append((("grant_on",), "grant_on 不应早于 request_on", False))
        if due is not None and self.until <= due:
            problems.append((("until",), f"新的期限 until 应晚于原期限 {due}", False))
        if problems:
            fail(*problems)
        return self


class Decision(_Model):
    """The point's decision of ``task`` has ``outcome`` (instead of the default, accept);
    made on ``on``, or on the day the step is decided by default."""

    point: PointId
    task: DecisionTask
    outcome: str
    on: Day | None = None
    reason: Annotated[str, PlainValidator(text_or(DECISION_REASON))] = DECISION_REASON

    @model_validator(mode="after")
    def _decidable(self, info: ValidationInfo) -> Decision:
        context = context_of(info)
        if context is None:
            return self
        outcomes = list(dict.fromkeys(str(t.outcome) for t in context.decision_tasks[self.task]))
        if self.outcome == "return" and "return" in outcomes:
            fail((("outcome",), "退回写在 returns 中（报送的事项名、退回日期和重报日期）", False))
        if self.outcome not in outcomes:
            fail(
                (
                    ("outcome",),
                    f"事项 {self.task} 没有「{self.outcome}」的决定（可用：{'、'.join(outcomes)}）",
                    False,
                )
            )
        return self


class Withdrawal(_Model):
    """The point is withdrawn on ``on``."""

    point: PointId
    on: Day
    reason: Text

    @model_validator(mode="after")
    def _withdrawable(self, info: ValidationInfo) -> Withdrawal:
        context = context_of(info)
        if context is not None and withdrawal_of(context.definition) is None:
            fail(f"工作方案中没有撤销{context.item}的事项（来源为 * 的决定）")
        return self


# --- the scenario ------------------------------------------------------------------------


class Scenario(_Model):
    """A checked scenario. ``Scenario()`` is the default year: every unit on time."""

    title: Text | None = None
    enrol_on: Day | None = None
    screen_on: Day | None = None
    approve_on: Day | None = None
    default_lead_days: LeadDays = DEFAULT_LEAD_DAYS
    task_days: TaskDays = {}
    late_enrolment: LateEnrolment = {}
    screened_out: Annotated[tuple[ScreenOut, ...], NoneIsEmpty] = ()
    late: Annotated[tuple[Late, ...], NoneIsEmpty] = ()
    never: Annotated[tuple[Never, ...], NoneIsEmpty] = ()
    returns: Annotated[tuple[Return, ...], NoneIsEmpty] = ()
    extensions: Annotated[tuple[Extension, ...], NoneIsEmpty] = ()
    withdrawals: Annotated[tuple[Withdrawal, ...], NoneIsEmpty] = ()
    decisions: Annotated[tuple[Decision, ...], NoneIsEmpty] = ()
    reports: Annotated[tuple[ReportException, ...], NoneIsEmpty] = ()

    _file: str | None = PrivateAttr(default=None)
    _marks: Marks | None = PrivateAttr(default=None)

    @property
    def file(self) -> str | None:
        """The scenario file as the user named it (None: no file, every unit on time)."""
        return self._file

    def where(self, *path: str | int, key: bool = False) -> Where:
        """Where ``path`` (``"late", 0`` or ``"approve_on"``) is written in the file."""
        if self._marks is None:
            return Where(self._file or "", 1, 1)
        line, column = self._marks.at(path, key=key)
        return Where(self._marks.file, line, column)

    @overload
    def placed(self, key: Literal["screened_out"]) -> Iterator[tuple[ScreenOut, Where]]: ...
    @overload
    def placed(self, key: Literal["late"]) -> Iterator[tuple[Late, Where]]: ...
    @overload
    def placed(self, key: Literal["never"]) -> Iterator[tuple[Never, Where]]: ...
    @overload
    def placed(self, key: Literal["returns"]) -> Iterator[tuple[Return, Where]]: ...
    @overload
    def placed(self, key: Literal["extensions"]) -> Iterator[tuple[Extension, Where]]: ...
    @overload
    def placed(self, key: Literal["withdrawals"]) -> Iterator[tuple[Withdrawal, Where]]: ...
    @overload
    def placed(self, key: Literal["decisions"]) -> Iterator[tuple[Decision, Where]]: ...
    def placed(self, key: str) -> Iterator[tuple[Any, Where]]:
        """The entries of the list ``key``, each with where it is written."""
        for i, entry in enumerate(getattr(self, key)):
            yield entry, self.where(key, i)

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Scenario:
        context = context_of(info)
        if context is not None and not (info.context or {}).get(_ALONE):
            self._file, self._marks = context.file, context.marks
            problems = list(_contradictions(self, context))
            if problems:
                fail(*problems)
        return self


def _each(entries: Sequence[_E | None]) -> Iterator[tuple[int, _E]]:
    """The entries with their index, leaving out the places of wrong ones (``None``)."""
    return ((i, x) for i, x in enumerate(entries) if x is not None)


def _contradictions(s: Scenario, context: ScenarioContext) -> Iterator[Problem]:
    """Entries that contradict one another, and dates before enrolment or out of order."""

    def line(key: str, i: int) -> int:
        return context.where((key, i)).line

    item = context.item

    out = {x.point: i for i, x in _each(s.screened_out)}  # the last entry of each point
    for point, i in out.items():
        if sum(1 for _, x in _each(s.screened_out) if x.point == point) > 1:
            yield ("screened_out", i), f"{item} {point} 重复列出", False
    never = {(n.unit, n.step): i for i, n in _each(s.never)}
    seen: dict[tuple[str, str], int] = {}
    for i, late in _each(s.late):
        which = (late.unit, late.step)
        if which in never:
            yield (
                ("late", i),
                f"单位 {late.unit} 的「{late.task}」已列在 never 中（第 "
                f"{line('never', never[which])} 行），不能同时列为 late",
                False,
            )
        if which in seen:
            yield (
                ("late", i),
                f"单位 {late.unit} 的「{late.task}」重复列出（第 {line('late', seen[which])} 行已有）",
                False,
            )
        seen[which] = i
    decided: dict[tuple[str, str], int] = {}
    for i, d in _each(s.decisions):
        if (d.point, d.task) in decided:
            yield (
                ("decisions", i),
                f"{item} {d.point} 的「{d.task}」重复列出（第 "
                f"{line('decisions', decided[(d.point, d.task)])} 行已有）",
                False,
            )
        decided[(d.point, d.task)] = i
    for key in ("returns", "extensions", "withdrawals", "decisions"):
        for i, act in _each(getattr(s, key)):
            if act.point in out:
                yield (
                    (key, i),
                    f"{item} {act.point} 已列在 screened_out 中（第 "
                    f"{line('screened_out', out[act.point])} 行），不会进入后续事项",
                    False,
                )
    withdrawn: set[str] = set()
    for i, w in _each(s.withdrawals):
        if w.point in withdrawn:
            yield ("withdrawals", i), f"{item} {w.point} 重复撤销", False
        withdrawn.add(w.point)
    extended: set[tuple[str, str]] = set()
    for i, e in _each(s.extensions):
        if (e.point, e.step) in extended:
            yield ("extensions", i), f"{item} {e.point} 的「{e.task}」重复申请延期", False
        extended.add((e.point, e.step))
    # Dates in order: nothing happens before enrolment; screening before approval.
    first = s.enrol_on or default_enrol_day(context.definition, context.view)
    which_day = "enrol_on" if s.enrol_on else "默认"
    dated: list[tuple[date | None, tuple[str | int, ...], bool]] = [
        (s.screen_on, ("screen_on",), True),
        (s.approve_on, ("approve_on",), True),
        *(
            (x.on, ("late", i), False)
            for i, x in _each(s.late)
            if x.step not in context.index.tasks
        ),
        *((x.on, ("returns", i), False) for i, x in _each(s.returns)),
        *((x.request_on, ("extensions", i), False) for i, x in _each(s.extensions)),
        *((x.on, ("withdrawals", i), False) for i, x in _each(s.withdrawals)),
        *((x.on, ("decisions", i), False) for i, x in _each(s.decisions)),
    ]
    for day, path, at_key in dated:
        if day is not None and day < first:
            yield path, f"日期 {day} 早于登记{item}的日期（{which_day}：{first}）", at_key
    yield from late_enrolment_problems(s, context, first)
    whens = {step.when for step in decision_steps(context.definition).values()}
    for key, when, what in (
        ("screen_on", "screen", "初步筛选（离开初始状态的决定）"),
        ("approve_on", "approve", "审定（初步筛选入选之后、报送之前的决定）"),
    ):
        if getattr(s, key) is not None and when not in whens:
            yield (key,), f"工作方案中没有{what}：{key} 无从适用", True
    if s.screen_on and s.approve_on and s.approve_on < s.screen_on:
        yield (
            ("approve_on",),
            f"approve_on（{s.approve_on}）不应早于 screen_on（{s.screen_on}）",
            True,
        )


# --- loading -----------------------------------------------------------------------------


def load_scenario(
    path: str | Path | None, definition: Definition, point_ids: Mapping[str, str]
) -> Scenario:
    """Read and check a scenario file; ``point_ids`` maps the points to enrol to their units.

    ``None`` is the empty scenario (every unit on time). Raises ``ScenarioError`` with every
    problem found, or ``InputFileError`` when the file cannot be read.
    """
    if path is None:
        return Scenario()
    file = Path(path)
    if not file.is_file():
        raise InputFileError(str(file), "情景文件不存在")
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputFileError(str(file), "情景文件不是 UTF-8 编码：请以 UTF-8 保存") from None
    except OSError as exc:
        raise InputFileError(str(file), f"无法读取（{os_reason(exc)}）") from None
    shown = str(file)
    if all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()):
        data: Any = {}  # comments only: every default
        marks = Marks(shown)
    else:
        try:
            data, marks = read_yaml(text, shown)
        except DefinitionError as exc:
            raise ScenarioError(exc.diagnostics) from None
    context = ScenarioContext(definition, point_ids, shown, marks)
    try:
        return Scenario.model_validate({} if data is None else data, context={CONTEXT_KEY: context})
    except ValidationError as exc:
        found = _diagnostics(exc, marks)
    if isinstance(data, dict):  # the entries that are fine may still contradict each other
        for where, message, key in _contradictions(_valid_parts(data, context), context):
            found.append(marks.diagnostic(where, message, key=key))
    raise ScenarioError(sorted(set(found)))


def _valid_parts(data: dict[str, Any], context: ScenarioContext) -> Scenario:
    """A scenario of the values and entries of ``data`` that are valid on their own.

    When some part of a file is wrong, the rest is still checked for contradictions, so that
    every problem is reported at once. An entry keeps its index, so that it is named at its
    own line; a wrong one is left out of the checks.
    """
    ctx = {CONTEXT_KEY: context, _ALONE: True}
    parts: dict[str, Any] = {}
    for key, value in data.items():
        if key in _ENTRIES and isinstance(value, list):
            entries: list[_Model | None] = []
            for item in value:
                try:
                    entries.append(_ENTRIES[key].model_validate(item, context=ctx))
                except ValidationError:
                    entries.append(None)
            parts[key] = tuple(entries)
        elif key in Scenario.model_fields:
            try:
                parts[key] = getattr(Scenario.model_validate({key: value}, context=ctx), key)
            except ValidationError:
                continue
    return Scenario.model_construct(**parts)


def _diagnostics(exc: ValidationError, marks: Marks) -> list[Diagnostic]:
    """Pydantic's findings as diagnostics at their places in the file, in Chinese."""
    found: list[Diagnostic] = []
    for err in exc.errors(include_url=False):
        loc: tuple[str | int, ...] = tuple(err["loc"])
        kind = err["type"]
        at_key = bool(loc) and loc[-1] == "[key]"
        if at_key:
            loc = loc[:-1]
        if kind == PROBLEM:
            for sub, message, key in (err.get("ctx") or {})["problems"]:
                text = message.replace("{name}", _name(loc))
                found.append(marks.diagnostic((*loc, *sub), text, key=key or at_key))
        elif kind == "extra_forbidden":
            allowed = "、".join(_fields_at(loc[:-1]))
            found.append(marks.diagnostic(loc, f"未知的键 {loc[-1]}（可用：{allowed}）", key=True))
        else:
            found.append(marks.diagnostic(loc, _shape_message(kind, loc, err)))
    return found


def _shape_message(kind: str, loc: Sequence[str | int], err: Any) -> str:
    if kind == "missing":
        return f"缺少 {loc[-1]}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        if not loc:
            return f"情景文件顶层应是映射（{'、'.join(_fields_at(()))} 等键）"
        required = [name for name, f in _model_at(loc).model_fields.items() if f.is_required()]
        return f"每一项应是映射（{'、'.join(required)} 等键）"
    if kind in ("tuple_type", "list_type"):
        return f"{_name(loc)} 应是列表"
    return f"{_name(loc)}：{err['msg']}"  # pragma: no cover - every field has its own check


def _name(loc: Sequence[str | int]) -> str:
    """How a message names the value at ``loc``: its key (``task_days.<id>`` for a day)."""
    if len(loc) == 2 and loc[0] == "task_days":
        return f"task_days.{loc[1]}"
    parts = [str(x) for x in loc if not isinstance(x, int)]
    return parts[-1] if parts else "（顶层）"


_ENTRIES: dict[str, type[_Model]] = {
    "screened_out": ScreenOut,
    "late": Late,
    "never": Never,
    "returns": Return,
    "extensions": Extension,
    "withdrawals": Withdrawal,
    "decisions": Decision,
}


def _model_at(loc: Sequence[str | int]) -> type[_Model]:
    """The model of the mapping at ``loc``: the scenario, or one of its entries."""
    return _ENTRIES[str(loc[0])] if loc and str(loc[0]) in _ENTRIES else Scenario


def _fields_at(loc: Sequence[str | int]) -> list[str]:
    return list(_model_at(loc).model_fields)
