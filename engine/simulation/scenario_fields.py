"""The value types of a scenario file, checked against the programme while they load.

A scenario is validated by pydantic with a ``ScenarioContext`` (the definition, the points
to enrol, the file's marks) as its validation context, so a unit, point or task that does
not exist is reported where it is written, in the same pass as a malformed date. Every
problem is raised as one ``scenario`` error whose context lists ``(path, message, key)``
triples, relative to where pydantic found it: one validator can report several problems
at their own places (``engine.simulation.scenario`` turns them into ``Diagnostic`` s). A
message may name the value's key with ``{name}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Annotated, Any, NoReturn

from pydantic import BeforeValidator, PlainValidator, ValidationInfo
from pydantic_core import PydanticCustomError

from engine.definition.index import ProgrammeIndex
from engine.definition.loader import Definition
from engine.definition.schema import ANY_STATE, Transition
from engine.definition.yamlio import Marks
from engine.errors import Diagnostic
from engine.runtime.progress import ProgressView
from engine.simulation.lifecycle import point_steps

__all__ = [
    "CONTEXT_KEY",
    "PROBLEM",
    "Day",
    "DecisionTask",
    "LateEnrolment",
    "LeadDays",
    "NoneIsEmpty",
    "PointId",
    "PointStep",
    "Problem",
    "ScenarioContext",
    "StepRef",
    "TaskDays",
    "TaskOrStep",
    "Text",
    "UnitId",
    "Where",
    "context_of",
    "fail",
    "text_or",
]

CONTEXT_KEY = "scenario"  # the key of the ``ScenarioContext`` in the validation context
PROBLEM = "scenario"  # the error type every check of a scenario raises

#: One problem: where (relative to the value checked), what, and whether at the key.
Problem = tuple[tuple[str | int, ...], str, bool]


@dataclass(frozen=True, slots=True)
class Where:
    """A place in the scenario file (1-based line and column)."""

    file: str
    line: int
    column: int

    def diagnostic(self, message: str) -> Diagnostic:
        return Diagnostic(self.file, self.line, self.column, message)


@dataclass(frozen=True, slots=True)
class StepRef:
    """A ``task`` as written (a task name or a programme task id) and the step it names:
    the trigger of a point's document step, or the programme-level task's id."""

    name: str
    step: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class ScenarioContext:
    """What a scenario is checked against: the programme, its points, the file's marks."""

    definition: Definition
    points: Mapping[str, str]  # point id -> unit, as the points file enrols them
    file: str
    marks: Marks = field(repr=False)

    @property
    def index(self) -> ProgrammeIndex:
        return self.definition.index

    @property
    def year(self) -> int:
        return self.definition.programme.programme.year

    @property
    def item(self) -> str:
        """The programme's word for its items (任务), as its messages say it."""
        return self.definition.programme.programme.item

    @cached_property
    def view(self) -> ProgressView:
        return ProgressView.of(self.definition)

    @cached_property
    def steps(self) -> dict[str, Transition]:
        return point_steps(self.view)

    @cached_property
    def decision_tasks(self) -> dict[str, tuple[Transition, ...]]:
        """Task name -> its decisions (not withdrawal nor the extension decisions)."""
        found: dict[str, tuple[Transition, ...]] = {}
        for name, transitions in self.index.point_tasks.items():
            plain = tuple(
                t
                for t in transitions
                if t.takes == "decision" and t.extension is None and ANY_STATE not in t.source
            )
            if plain:
                found[name] = plain
        return found

    @cached_property
    def programme_tasks(self) -> list[str]:
        return [t.id for t in self.index.tasks.values() if t.level == "programme"]

    def where(self, path: Sequence[str | int], *, key: bool = False) -> Where:
        line, column = self.marks.at(path, key=key)
        return Where(self.file, line, column)


def context_of(info: ValidationInfo) -> ScenarioContext | None:
    """The scenario context of this validation (None: a scenario built in code)."""
    found = (info.context or {}).get(CONTEXT_KEY)
    return found if isinstance(found, ScenarioContext) else None


def _required_context(info: ValidationInfo) -> ScenarioContext:
    found = context_of(info)
    if found is None:
        raise TypeError("scenario values are checked by load_scenario, with the programme")
    return found


def fail(*problems: Problem | str) -> NoReturn:
    """Raise the problems found in one value (a bare message: at the value itself)."""
    found = [(((), p, False) if isinstance(p, str) else p) for p in problems]
    raise PydanticCustomError(PROBLEM, "{message}", {"message": found[0][1], "problems": found})


# --- plain values ------------------------------------------------------------------------


def _day(value: Any, info: ValidationInfo) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        year = _required_context(info).year
        if value.year != year:
            fail(f"{{name}} {value} 不在方案年度 {year} 年内")
        return value
    fail(f"{{name}} 应是日期（YYYY-MM-DD），而不是 {value!r}")


def _text(value: Any) -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    fail("{name} 应是非空的文字")


def text_or(default: str) -> Callable[[Any], str]:
    """Text that may be left empty (``null``): then ``default``."""

    def check(value: Any) -> str:
        return default if value is None else _text(value)

    return check


def _lead_days(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 60:
        fail("default_lead_days 应是 0 到 60 之间的整数")
    return value


def _empty_if_none(value: Any) -> Any:
    """A key written with no value (``late:``) means the same as leaving it out."""
    return () if value is None else value


# --- references to the programme and the points ------------------------------------------


def _point(value: Any, info: ValidationInfo) -> str:
    context = _required_context(info)
    points = context.points
    if not isinstance(value, str) or value not in points:
        sample = "、".join(list(points)[:4])
        fail(f"未知的{context.item} {value!r}：应是要登记的{context.item}编号（如 {sample}）")
    return value


def _unit(value: Any, info: ValidationInfo) -> str:
    index = _required_context(info).index
    if not isinstance(value, str) or value not in index.bodies:
        sample = "、".join(index.proposers[:4])
        fail(f"未定义的单位 {value!r}：应是工作方案 bodies 中的 id（如 {sample}）")
    return value


def _step(programme: bool) -> Callable[[Any, ValidationInfo], StepRef]:
    """A task name of a point step; with ``programme``, a programme-level task id too."""

    def check(value: Any, info: ValidationInfo) -> StepRef:
        context = _required_context(info)
        steps = context.steps
        if isinstance(value, str):
            if value in steps:
                return StepRef(value, steps[value].trigger)
            if programme and value in context.programme_tasks:
                return StepRef(value, value)
        names = [*steps, *(context.programme_tasks if programme else ())]
        fail(f"未知的事项 {value!r}，可用：{'、'.join(names)}")

    return check


def _decision_task(value: Any, info: ValidationInfo) -> str:
    tasks = _required_context(info).decision_tasks
    if not isinstance(value, str) or value not in tasks:
        names = "、".join(tasks) or "（工作方案中没有）"
        fail(f"未知的决定事项 {value!r}，可用：{names}")
    return value


def _programme_task(value: Any, info: ValidationInfo) -> str:
    tasks = _required_context(info).programme_tasks
    if value not in tasks:
        fail(f"{value} 不是全省层面事项，可用：{'、'.join(tasks)}")
    return str(value)


def _task_days(value: Any) -> Any:
    if value is None:
        return {}
    if not isinstance(value, dict):
        fail("task_days 应是映射（任务 id: 日期）")
    return value


Day = Annotated[date, PlainValidator(_day)]
Text = Annotated[str, PlainValidator(_text)]
LeadDays = Annotated[int, PlainValidator(_lead_days)]
PointId = Annotated[str, PlainValidator(_point)]
UnitId = Annotated[str, PlainValidator(_unit)]
PointStep = Annotated[StepRef, PlainValidator(_step(programme=False))]
TaskOrStep = Annotated[StepRef, PlainValidator(_step(programme=True))]
DecisionTask = Annotated[str, PlainValidator(_decision_task)]
TaskDays = Annotated[
    dict[Annotated[str, PlainValidator(_programme_task)], Day], BeforeValidator(_task_days)
]


def _mapping(value: Any) -> Any:
    if value is None:
        return {}
    if not isinstance(value, dict):
        fail("late_enrolment 应是映射（单位 id: 登记日期）")
    return value


def _proposer(value: Any, info: ValidationInfo) -> str:
    context = _required_context(info)
    unit = _unit(value, info)
    if unit not in set(context.points.values()):
        fail(f"单位 {unit} 在{context.item}文件中没有要登记的{context.item}，无从逾期登记")
    return unit


#: A unit -> the day it enrols its points, after the enrolment day (逾期登记).
LateEnrolment = Annotated[
    dict[Annotated[str, PlainValidator(_proposer)], Day], BeforeValidator(_mapping)
]
#: A list of entries; ``key:`` with no value is an empty list.
NoneIsEmpty = BeforeValidator(_empty_if_none)
