"""``docflow simulate``: the whole programme year on a virtual clock, through the real code.

Nothing here decides who owes what or who is reminded: enrolment, submissions and decisions
go through ``engine.runtime.service.Runtime`` (what ``enrol``, ``submit`` and ``decide`` use),
reminders through ``ReminderRunner.run(now)`` (what ``remind`` and ``serve`` use), mail
through ``make_queue(..., None, clock)`` (see below). The simulation only plays the part of
the people: it moves a ``VirtualClock`` day by day and, on each day, lets units submit, the
province decide, and then runs the reminders at the policy hour.

The year
--------
1. Programme-level tasks dated before the enrolment day (the call for points) are done first.
2. Enrolment day (scenario ``enrol_on``; default: the day before the enrolment task's due
   day, e.g. 2011-03-19): every point of the points file is enrolled.
3. ``screen_on`` (default: the first working day after the enrolment task's due day): the
   screening body accepts every point except ``screened_out``. ``approve_on`` (default: the
   date the programme was issued, if later; else the working day after screening): the
   approving body accepts every screened point.
4. Every calendar day from the enrolment day to 12-31, at 08:30: the day's actions -
   withdrawals, extension requests and grants, returns, then submissions of point steps in
   the order of their deadlines, then programme-level tasks. Then, on working days at each
   reminder policy's hour (09:00), ``runner.run(now)`` - skipped when no occurrence's send
   time falls between the previous run and now (from ``runner.schedule()``, read again after
   each extension, which may add occurrences): after a run every occurrence due by then is
   processed, so such a run would send nothing. The first run, and the first after an
   extension, always happen.
5. On 12-31, after the day's actions, the points whose summary was submitted are concluded
   (the accepting decision that ends in a final state), before the last reminder run.

By default every point's step is submitted ``default_lead_days`` working days before its due
day (one document per unit and day, covering its points; inspection reports by each
inspection group's lead body); a submission that is due while the point is not yet waiting
(an earlier step is late) goes out as soon as the point reaches the step. Programme-level
tasks are done by their (first) responsible body on the last working day on or before their
due day (a task set "<节日>后", such as 国庆节后 for the inspection notice, on the first
working day after the holiday), unless ``task_days`` or ``late`` says otherwise; a task the
engine refuses (what it waits for is missing and not yet overdue) is tried again on the next
working days.

Scenario file (YAML; every key optional; see workflows/gd-2011/scenario-example.yaml)
-------------------------------------------------------------------------------------
==================  ===========================================================================
``title``           text shown in the report
``enrol_on``        date: enrolment day
``screen_on``       date: screening day
``approve_on``      date: approval day
``default_lead_days``  int >= 0 (default 3): working days before the due day units submit
``task_days``       mapping task id -> date: when a programme-level task is done
``screened_out``    list of point ids, or ``{point, reason}``: not accepted at screening
``late``            list of ``{unit, task, on}``: the unit submits ``task`` on that date (for
                    a programme-level task: its responsible body does it then)
``never``           list of ``{unit, task}``: the unit never submits ``task``
``returns``         list of ``{point, task, on, reason, resubmit_on?}``: the submission is
                    returned on ``on``; resubmitted on ``resubmit_on`` (omitted: never)
``extensions``      list of ``{point, task, request_on, grant_on, until, submit_on?,
                    reason?}``: an extension requested (before the due day), granted with the
                    new due day ``until``; submitted on ``submit_on`` (default: the usual lead
                    before ``until``)
``withdrawals``     list of ``{point, on, reason}``: the point is withdrawn
==================  ===========================================================================
``task`` is a task name as ``docflow submit --task`` takes it (``work-plan``, ``progress``,
``inspection`` ...) or a programme-level task id (``aggregate-progress`` ...). Dates are
``YYYY-MM-DD`` within the programme year and not before the enrolment day. Every problem is
reported as ``file:line:column`` (``ScenarioError``); an action the engine refuses while the
year runs is reported at the line of the scenario entry that asked for it.

The outbox must not hold .eml files already - simulated mail is never mixed with real mail
(the default outbox is the same folder ``remind`` writes to) - unless every one of them is
from an earlier simulation: a simulation leaves a list of the files it wrote
(``.docflow-simulation.json``), and running it again replaces exactly those files, once the
new year has run. The store is a
fresh SQLite file in a temporary directory, deleted at the end, unless ``db`` is given (it
must not hold the programme yet; it is kept).

Defaults: points ``points-example.yaml`` and scenario ``scenario-example.yaml`` in the
programme's folder. The example scenario names example points, so it is the default only
with the example points: with another points file and no scenario, every unit is on time.

Mail goes through ``make_queue(<staging>, None, clock)`` - the queue ``remind`` and ``serve``
use - into a staging folder beside the temporary store; when the year has run, the .eml files
(names unchanged) are moved into the outbox. Every stored document and message is written with
an fsync; on a disk a few hundred of them cost seconds, so the temporary folder is put in
memory (``/dev/shm``) when there is one and ``$TMPDIR`` is not set. A run that fails leaves
the outbox untouched.
"""

from __future__ import annotations

import bisect
import sys
import tempfile
import time as _time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TextIO

from engine.clock import SHANGHAI, VirtualClock
from engine.definition.loader import Definition, load_definition
from engine.definition.schema import ANY_STATE, INSPECTOR, OWNER, Transition
from engine.definition.yamlio import Marks, read_yaml
from engine.delivery.gongwen import format_month_day
from engine.errors import (
    DefinitionError,
    Diagnostic,
    DocflowError,
    InputFileError,
    Refused,
    os_reason,
)

__all__ = [
    "SCENARIO_FILE",
    "Scenario",
    "ScenarioError",
    "SimulationReport",
    "load_scenario",
    "point_ids_of",
    "render_report",
    "run_simulation",
]

SCENARIO_FILE = "scenario-example.yaml"
POINTS_FILE = "points-example.yaml"
DEFAULT_LEAD_DAYS = 3
ACTION_TIME = time(8, 30)  # the day's submissions and decisions, before the reminders
_COLLAPSE = 5  # more plain on-time submissions of a step on one day: one timeline line

Echo = Callable[[str], Any]


class ScenarioError(InputFileError):
    """A scenario file with problems (every one at ``file:line:column``), or an action of it
    the engine refused while the simulated year ran."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = sorted(diagnostics)
        first = self.diagnostics[0]
        where = f"{first.file}:{first.line}:{first.column}"
        lines = [f"{d.file}:{d.line}:{d.column}: {d.message}" for d in self.diagnostics]
        if len(lines) == 1:
            reason = first.message
        else:
            reason = f"情景文件有 {len(lines)} 处错误：\n" + "\n".join(lines)
        DocflowError.__init__(self, lines[0] if len(lines) == 1 else reason)
        self.path = where
        self.reason = reason


# --- the scenario ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Where:
    file: str
    line: int
    column: int

    def diagnostic(self, message: str) -> Diagnostic:
        return Diagnostic(self.file, self.line, self.column, message)


@dataclass(frozen=True, slots=True)
class ScreenOut:
    point: str
    reason: str
    where: Where


@dataclass(frozen=True, slots=True)
class Late:
    unit: str
    task: str  # as written: task name or programme task id
    step: str  # transition trigger or programme task id
    on: date
    where: Where


@dataclass(frozen=True, slots=True)
class Never:
    unit: str
    task: str
    step: str
    where: Where


@dataclass(frozen=True, slots=True)
class Return:
    point: str
    task: str
    step: str
    on: date
    reason: str
    resubmit_on: date | None
    where: Where


@dataclass(frozen=True, slots=True)
class Extension:
    point: str
    task: str
    step: str
    request_on: date
    grant_on: date
    until: date
    submit_on: date | None
    reason: str
    where: Where


@dataclass(frozen=True, slots=True)
class Withdrawal:
    point: str
    on: date
    reason: str
    where: Where


@dataclass
class Scenario:
    file: str | None = None
    title: str | None = None
    enrol_on: date | None = None
    screen_on: date | None = None
    approve_on: date | None = None
    default_lead_days: int = DEFAULT_LEAD_DAYS
    task_days: dict[str, tuple[date, Where]] = field(default_factory=dict)
    screened_out: list[ScreenOut] = field(default_factory=list)
    late: list[Late] = field(default_factory=list)
    never: list[Never] = field(default_factory=list)
    returns: list[Return] = field(default_factory=list)
    extensions: list[Extension] = field(default_factory=list)
    withdrawals: list[Withdrawal] = field(default_factory=list)
    where: dict[str, Where] = field(default_factory=dict)  # top-level key -> its place


_LISTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # key: (required fields, optional fields)
    "screened_out": (("point",), ("reason",)),
    "late": (("unit", "task", "on"), ()),
    "never": (("unit", "task"), ()),
    "returns": (("point", "task", "on", "reason"), ("resubmit_on",)),
    "extensions": (
        ("point", "task", "request_on", "grant_on", "until"),
        ("submit_on", "reason"),
    ),
    "withdrawals": (("point", "on", "reason"), ()),
}
_SCALARS = ("title", "enrol_on", "screen_on", "approve_on", "default_lead_days", "task_days")
_TOP_KEYS = (*_SCALARS, *_LISTS)


def point_ids_of(points: Sequence[Any]) -> list[str]:
    """The ids ``Runtime.enrol`` gives these points in a fresh store (``unit-n`` by default)."""
    counts: Counter[str] = Counter()
    ids = []
    for p in points:
        counts[p.unit] += 1
        ids.append(p.point_id or f"{p.unit}-{counts[p.unit]}")
    return ids


class _ScenarioReader:
    def __init__(
        self, definition: Definition, file: str, marks: Marks, points: Mapping[str, str]
    ) -> None:
        self.definition = definition
        self.index = definition.index
        self.file = file
        self.marks = marks
        self.points = points  # point id -> unit
        self.year = definition.programme.programme.year
        self.problems: list[Diagnostic] = []

    # --- places and problems -----------------------------------------------------------

    def where(self, path: Sequence[str | int], *, key: bool = False) -> Where:
        line, column = self.marks.at(path, key=key)
        return Where(self.file, line, column)

    def problem(self, path: Sequence[str | int], message: str, *, key: bool = False) -> None:
        self.problems.append(self.where(path, key=key).diagnostic(message))

    # --- values ------------------------------------------------------------------------

    def date(self, path: tuple[str | int, ...], value: Any, name: str) -> date | None:
        if isinstance(value, date) and not isinstance(value, datetime):
            if value.year != self.year:
                self.problem(path, f"{name} {value} 不在方案年度 {self.year} 年内")
                return None
            return value
        self.problem(path, f"{name} 应是日期（YYYY-MM-DD），而不是 {value!r}")
        return None

    def text(self, path: tuple[str | int, ...], value: Any, name: str) -> str | None:
        if isinstance(value, str) and value.strip():
            return value.strip()
        self.problem(path, f"{name} 应是非空的文字")
        return None

    def point(self, path: tuple[str | int, ...], value: Any) -> str | None:
        if not isinstance(value, str) or value not in self.points:
            sample = "、".join(list(self.points)[:4])
            self.problem(path, f"未知的突破点 {value!r}：应是要登记的突破点编号（如 {sample}）")
            return None
        return value

    def unit(self, path: tuple[str | int, ...], value: Any) -> str | None:
        if not isinstance(value, str) or value not in self.index.bodies:
            sample = "、".join(list(self.index.proposers)[:4])
            self.problem(
                path, f"未定义的单位 {value!r}：应是工作方案 bodies 中的 id（如 {sample}）"
            )
            return None
        return value

    def step(self, path: tuple[str | int, ...], value: Any, *, programme: bool) -> str | None:
        """The step a ``task`` value names: a point document step's trigger, or a task id."""
        steps = point_steps(self.definition)
        if isinstance(value, str):
            if value in steps:
                return steps[value].trigger
            task = self.index.tasks.get(value)
            if programme and task is not None and task.level == "programme":
                return value
        names = list(steps)
        if programme:
            names += [t.id for t in self.index.tasks.values() if t.level == "programme"]
        self.problem(path, f"未知的事项 {value!r}，可用：{'、'.join(names)}")
        return None

    def mapping(
        self,
        path: tuple[str | int, ...],
        item: Any,
        required: Sequence[str],
        optional: Sequence[str],
    ) -> dict[str, Any] | None:
        if not isinstance(item, dict):
            self.problem(path, f"每一项应是映射（{'、'.join(required)} 等键）")
            return None
        ok = True
        for key in item:
            if key not in required and key not in optional:
                allowed = "、".join([*required, *optional])
                self.problem((*path, key), f"未知的键 {key}（可用：{allowed}）", key=True)
                ok = False
        for key in required:
            if key not in item:
                self.problem(path, f"缺少 {key}")
                ok = False
        return item if ok else None

    # --- the file ----------------------------------------------------------------------

    def read(self, data: Any) -> Scenario:
        scenario = Scenario(file=self.file)
        if data is None:
            return scenario
        if not isinstance(data, dict):
            self.problem((), f"情景文件顶层应是映射（{'、'.join(_TOP_KEYS)} 等键）")
            return scenario
        for key in data:
            if key not in _TOP_KEYS:
                self.problem((key,), f"未知的键 {key}（可用：{'、'.join(_TOP_KEYS)}）", key=True)
            else:
                scenario.where[key] = self.where((key,), key=True)
        if data.get("title") is not None:
            scenario.title = self.text(("title",), data["title"], "title")
        for key in ("enrol_on", "screen_on", "approve_on"):
            if data.get(key) is not None:
                setattr(scenario, key, self.date((key,), data[key], key))
        if "default_lead_days" in data:
            lead = data["default_lead_days"]
            if isinstance(lead, bool) or not isinstance(lead, int) or not 0 <= lead <= 60:
                self.problem(("default_lead_days",), "default_lead_days 应是 0 到 60 之间的整数")
            else:
                scenario.default_lead_days = lead
        self._task_days(data.get("task_days"), scenario)
        for key in _LISTS:
            items = data.get(key)
            if items is None:
                continue
            if not isinstance(items, list):
                self.problem((key,), f"{key} 应是列表")
                continue
            for i, item in enumerate(items):
                self._item(key, i, item, scenario)
        self._cross_checks(scenario)
        return scenario

    def _task_days(self, value: Any, scenario: Scenario) -> None:
        if value is None:
            return
        if not isinstance(value, dict):
            self.problem(("task_days",), "task_days 应是映射（任务 id: 日期）")
            return
        for task_id, day in value.items():
            path = ("task_days", task_id)
            task = self.index.tasks.get(task_id)
            if task is None or task.level != "programme":
                names = "、".join(t.id for t in self.index.tasks.values() if t.level == "programme")
                self.problem(path, f"{task_id} 不是全省层面事项，可用：{names}", key=True)
                continue
            when = self.date(path, day, f"task_days.{task_id}")
            if when is not None:
                scenario.task_days[task_id] = (when, self.where(path))

    def _item(self, key: str, i: int, item: Any, scenario: Scenario) -> None:
        path: tuple[str | int, ...] = (key, i)
        required, optional = _LISTS[key]
        if key == "screened_out" and isinstance(item, str):
            item = {"point": item}
        fields = self.mapping(path, item, required, optional)
        if fields is None:
            return
        where = self.where(path)

        def get(name: str, kind: str) -> Any:
            value = fields.get(name)
            sub = (*path, name)
            if kind == "point":
                return self.point(sub, value)
            if kind == "unit":
                return self.unit(sub, value)
            if kind == "date":
                return self.date(sub, value, name)
            if kind == "text":
                return self.text(sub, value, name)
            if kind == "step":
                return self.step(sub, value, programme=key == "late")
            raise AssertionError(kind)  # pragma: no cover

        values: dict[str, Any] = {}
        for name in required:
            kind = {
                "point": "point",
                "unit": "unit",
                "task": "step",
                "reason": "text",
            }.get(name, "date")
            values[name] = get(name, kind)
        for name in optional:
            if fields.get(name) is not None:
                values[name] = get(name, "text" if name == "reason" else "date")
            else:
                values[name] = None
        if any(values[name] is None for name in required):
            return
        if key == "screened_out":
            scenario.screened_out.append(
                ScreenOut(values["point"], values["reason"] or "初步筛选未入选", where)
            )
        elif key == "late":
            self._check_actor(path, values["unit"], values["task"], fields["task"])
            scenario.late.append(
                Late(values["unit"], fields["task"], values["task"], values["on"], where)
            )
        elif key == "never":
            self._check_actor(path, values["unit"], values["task"], fields["task"])
            scenario.never.append(Never(values["unit"], fields["task"], values["task"], where))
        elif key == "returns":
            step = values["task"]
            if _return_of(self.definition, step) is None:
                self.problem((*path, "task"), f"事项 {fields['task']} 没有退回的决定")
                return
            if values["resubmit_on"] is not None and values["resubmit_on"] <= values["on"]:
                self.problem((*path, "resubmit_on"), "resubmit_on 应晚于退回日期 on")
            scenario.returns.append(
                Return(
                    values["point"],
                    fields["task"],
                    step,
                    values["on"],
                    values["reason"],
                    values["resubmit_on"],
                    where,
                )
            )
        elif key == "extensions":
            self._extension(path, fields, values, where, scenario)
        elif key == "withdrawals":
            if _withdrawal_of(self.definition) is None:
                self.problem(path, "工作方案中没有撤销突破点的事项（来源为 * 的决定）")
                return
            scenario.withdrawals.append(
                Withdrawal(values["point"], values["on"], values["reason"], where)
            )

    def _check_actor(self, path: tuple[str | int, ...], unit: str, step: str, task: str) -> None:
        """The unit must be one that does ``step``."""
        if step in self.index.tasks:
            allowed = self.index.expand(self.index.tasks[step].responsible)
            what = "负责该事项的单位"
        else:
            transition = self.index.transitions[step]
            if transition.actor == OWNER:
                allowed = [u for u in self.index.proposers if u in set(self.points.values())]
                what = "有突破点要登记的单位"
            elif transition.actor == INSPECTOR:
                allowed = sorted(set(self.index.inspector_of.values()))
                what = "检查组组长单位"
            else:
                allowed = self.index.expand([transition.actor])
                what = "负责该事项的单位"
        if unit not in allowed:
            names = "、".join(allowed[:8]) + ("……" if len(allowed) > 8 else "")
            self.problem(
                (*path, "unit"),
                f"单位 {unit} 不报送「{task}」：应是{what}（{names}）",
            )

    def _extension(
        self,
        path: tuple[str | int, ...],
        fields: Mapping[str, Any],
        values: Mapping[str, Any],
        where: Where,
        scenario: Scenario,
    ) -> None:
        step = values["task"]
        if step in self.index.tasks or _extension_task(self.definition, "request") is None:
            self.problem((*path, "task"), f"事项 {fields['task']} 不能申请延期")
            return
        transition = self.index.transitions[step]
        if transition.actor != OWNER:
            self.problem(
                (*path, "task"), f"「{transition.label}」不由突破点所属单位报送，不能申请延期"
            )
            return
        from engine.runtime.progress import ProgressView

        due = ProgressView(self.definition).due_of(step)
        request_on, grant_on, until = values["request_on"], values["grant_on"], values["until"]
        ok = True
        if due is not None and request_on > due:
            self.problem((*path, "request_on"), f"延期申请须在到期（{due}）前提出")
            ok = False
        if grant_on < request_on:
            self.problem((*path, "grant_on"), "grant_on 不应早于 request_on")
            ok = False
        if due is not None and until <= due:
            self.problem((*path, "until"), f"新的期限 until 应晚于原期限 {due}")
            ok = False
        if ok:
            scenario.extensions.append(
                Extension(
                    values["point"],
                    fields["task"],
                    step,
                    request_on,
                    grant_on,
                    until,
                    values["submit_on"],
                    values["reason"] or "工作量大，申请延期报送",
                    where,
                )
            )

    def _cross_checks(self, s: Scenario) -> None:
        out = {x.point: x for x in s.screened_out}
        for point, entry in out.items():
            if sum(1 for x in s.screened_out if x.point == point) > 1:
                self.problems.append(entry.where.diagnostic(f"突破点 {point} 重复列出"))
        never = {(n.unit, n.step): n for n in s.never}
        seen: dict[tuple[str, str], Late] = {}
        for late in s.late:
            if (late.unit, late.step) in never:
                self.problems.append(
                    late.where.diagnostic(
                        f"单位 {late.unit} 的「{late.task}」已列在 never 中（第 "
                        f"{never[(late.unit, late.step)].where.line} 行），不能同时列为 late"
                    )
                )
            if (late.unit, late.step) in seen:
                self.problems.append(
                    late.where.diagnostic(
                        f"单位 {late.unit} 的「{late.task}」重复列出（第 "
                        f"{seen[(late.unit, late.step)].where.line} 行已有）"
                    )
                )
            seen[(late.unit, late.step)] = late
        acts: list[Return | Extension | Withdrawal] = [*s.returns, *s.extensions, *s.withdrawals]
        for act in acts:
            if act.point in out:
                self.problems.append(
                    act.where.diagnostic(
                        f"突破点 {act.point} 已列在 screened_out 中（第 "
                        f"{out[act.point].where.line} 行），不会进入后续事项"
                    )
                )
        withdrawn: dict[str, Withdrawal] = {}
        for w in s.withdrawals:
            if w.point in withdrawn:
                self.problems.append(w.where.diagnostic(f"突破点 {w.point} 重复撤销"))
            withdrawn[w.point] = w
        extended: set[tuple[str, str]] = set()
        for e in s.extensions:
            if (e.point, e.step) in extended:
                self.problems.append(
                    e.where.diagnostic(f"突破点 {e.point} 的「{e.task}」重复申请延期")
                )
            extended.add((e.point, e.step))
        # Dates in order: nothing happens before enrolment; screening before approval.
        first = s.enrol_on or default_enrol_day(self.definition)
        which = "enrol_on" if s.enrol_on else "默认"
        dated: list[tuple[date | None, Where | None]] = [
            (s.screen_on, s.where.get("screen_on")),
            (s.approve_on, s.where.get("approve_on")),
            *((x.on, x.where) for x in s.late if x.step not in self.index.tasks),
            *((x.on, x.where) for x in s.returns),
            *((x.request_on, x.where) for x in s.extensions),
            *((x.on, x.where) for x in s.withdrawals),
        ]
        for day, where in dated:
            if day is not None and where is not None and day < first:
                self.problems.append(
                    where.diagnostic(f"日期 {day} 早于登记突破点的日期（{which}：{first}）")
                )
        if s.screen_on and s.approve_on and s.approve_on < s.screen_on:
            self.problems.append(
                s.where["approve_on"].diagnostic(
                    f"approve_on（{s.approve_on}）不应早于 screen_on（{s.screen_on}）"
                )
            )


def default_enrol_day(definition: Definition) -> date:
    """The day before the enrolment task's due day (else 1 January)."""
    from engine.runtime.progress import ProgressView

    task = definition.programme.points.enrolment.task
    due = ProgressView(definition).due_of(task) if task else None
    return due - timedelta(days=1) if due else date(definition.programme.programme.year, 1, 1)


def point_steps(definition: Definition) -> dict[str, Transition]:
    """Task name -> the point document step with a deadline it submits (in deadline order)."""
    from engine.runtime.progress import ProgressView

    return {t.task_id: t for t in ProgressView(definition).steps}


def _return_of(definition: Definition, step: str) -> Transition | None:
    """The decision that returns a submission of ``step`` (its dest back to its source)."""
    transition = definition.index.transitions.get(step)
    if transition is None or transition.dest is None:
        return None
    for t in definition.programme.points.transitions:
        if t.takes == "decision" and t.outcome == "return" and transition.dest in t.source:
            return t
    return None


def _withdrawal_of(definition: Definition) -> Transition | None:
    for t in definition.programme.points.transitions:
        if ANY_STATE in t.source and t.takes == "decision" and t.outcome == "accept":
            return t
    return None


def _extension_task(definition: Definition, kind: str) -> Transition | None:
    for t in definition.programme.points.transitions:
        if t.extension == kind:
            return t
    return None


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
        return Scenario(file=shown)  # comments only: every default
    try:
        data, marks = read_yaml(text, shown)
    except DefinitionError as exc:
        raise ScenarioError(exc.diagnostics) from None
    reader = _ScenarioReader(definition, shown, marks, point_ids)
    scenario = reader.read(data)
    if reader.problems:
        raise ScenarioError(reader.problems)
    return scenario


# --- the report --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    day: date
    text: str

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {self.text}"


@dataclass(frozen=True, slots=True)
class LateUnit:
    unit: str
    name: str
    points: tuple[str, ...]
    due: date  # the (latest) due day of its late points
    submitted: date | None  # the day its last late point was submitted; None: never


@dataclass(frozen=True, slots=True)
class StepSummary:
    step: str
    label: str
    due: date | None
    reported: int
    total: int
    missing: tuple[str, ...]
    late: tuple[LateUnit, ...]

    @property
    def rate(self) -> float:
        return self.reported / self.total if self.total else 0.0


@dataclass(frozen=True, slots=True)
class TaskSummary:
    task: str
    label: str
    by: str
    due: date | None
    done: date | None
    missing: tuple[str, ...]  # units recorded as missing when it was done
    note: str | None = None  # why it was not done


@dataclass
class SimulationReport:
    programme: str
    title: str
    year: int
    scenario: str | None
    scenario_title: str | None
    first_day: date
    last_day: date
    points: int
    units: int
    final_states: dict[str, int]
    timeline: list[TimelineEntry] = field(default_factory=list)
    sent: list[Any] = field(default_factory=list)  # dispatch.Outgoing, in sending order
    steps: list[StepSummary] = field(default_factory=list)
    tasks: list[TaskSummary] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    outbox: str = ""
    outbox_files: int = 0
    replaced: int = 0  # files of an earlier simulation removed from the outbox
    store: str | None = None  # kept store (``db``); None: a temporary one, deleted
    runs: int = 0  # reminder runs made

    def messages_by_kind(self) -> dict[str, int]:
        from engine.views.reminders import KIND_LABELS

        counts = Counter(KIND_LABELS.get(o.kind, o.kind) for o in self.sent)
        return dict(sorted(counts.items(), key=lambda kv: _KIND_ORDER.get(kv[0], 99)))

    def as_dict(self) -> dict[str, Any]:
        from engine.views.reminders import outgoing_dict

        return {
            "programme": self.programme,
            "title": self.title,
            "year": self.year,
            "scenario": self.scenario,
            "scenario_title": self.scenario_title,
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "points": self.points,
            "units": self.units,
            "final_states": self.final_states,
            "timeline": [{"day": e.day.isoformat(), "text": e.text} for e in self.timeline],
            "messages": {
                "total": len(self.sent),
                "by_kind": self.messages_by_kind(),
                "list": [{**outgoing_dict(o), "send_at": o.send_at.isoformat()} for o in self.sent],
            },
            "steps": [
                {
                    "step": s.step,
                    "label": s.label,
                    "due": _iso(s.due),
                    "reported": s.reported,
                    "total": s.total,
                    "rate": round(s.rate, 4),
                    "missing": list(s.missing),
                    "late": [
                        {
                            "unit": u.unit,
                            "name": u.name,
                            "points": list(u.points),
                            "due": u.due.isoformat(),
                            "submitted": _iso(u.submitted),
                        }
                        for u in s.late
                    ],
                }
                for s in self.steps
            ],
            "tasks": [
                {
                    "task": t.task,
                    "label": t.label,
                    "by": t.by,
                    "due": _iso(t.due),
                    "done": _iso(t.done),
                    "missing": list(t.missing),
                    "note": t.note,
                }
                for t in self.tasks
            ],
            "problems": list(self.problems),
            "outbox": self.outbox,
            "outbox_files": self.outbox_files,
            "replaced_files": self.replaced,
            "store": self.store,
            "reminder_runs": self.runs,
        }


_KIND_ORDER = {"临近提醒": 0, "催报通知": 1, "汇总提醒": 2}


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _md(day: date) -> str:
    return format_month_day(day, "arabic")


def render_report(report: SimulationReport) -> str:
    """The closing summary (the day-by-day timeline is echoed while the year runs)."""
    lines = [
        f"演练结束：{report.title}（{report.year} 年），{report.first_day} 至 {report.last_day}，"
        f"{report.points} 个突破点、{report.units} 个单位；情景："
        + (
            f"{report.scenario_title or ''}（{report.scenario}）"
            if report.scenario
            else "默认（各单位均按期报送）"
        )
    ]
    states = "、".join(f"{label} {n}" for label, n in report.final_states.items())
    lines.append(f"突破点年底状态：{states}")
    kinds = "、".join(f"{k} {n} 封" for k, n in report.messages_by_kind().items())
    lines.append(f"发出邮件 {len(report.sent)} 封" + (f"：{kinds}" if kinds else ""))
    lines.append("逾期或未报送的单位：")
    any_late = False
    for s in report.steps:
        if not s.late:
            continue
        any_late = True
        parts = []
        for u in s.late:
            when = f"{_md(u.submitted)}报送" if u.submitted else "未报送"
            parts.append(f"{u.name}（{when}）")
        lines.append(f"  {s.label}（期限 {_md(s.due) if s.due else '—'}）：{'、'.join(parts)}")
    if not any_late:
        lines.append("  无")
    lines.append("年底上报率：")
    width = max((_width(s.label) for s in report.steps), default=0)
    for s in report.steps:
        pad = " " * (width - _width(s.label))
        missing = f"  缺报：{'、'.join(s.missing)}" if s.missing else ""
        lines.append(f"  {s.label}{pad}  {s.reported}/{s.total}  {s.rate * 100:5.1f}%{missing}")
    if report.tasks:
        lines.append("全省层面事项：")
        for t in report.tasks:
            due = f"期限 {_md(t.due)}" if t.due else "无期限"
            if t.done is None:
                done = f"未完成（{t.note}）" if t.note else "未完成"
            else:
                done = f"{_md(t.done)}完成" + ("（逾期）" if t.due and t.done > t.due else "")
            missing = f"，缺报 {len(t.missing)} 个单位" if t.missing else ""
            lines.append(f"  {t.label}（{t.by}，{due}）：{done}{missing}")
    for problem in report.problems:
        lines.append(f"问题：{problem}")
    replaced = f"，替换了上次演练的 {report.replaced} 封" if report.replaced else ""
    lines.append(f"发件箱：{report.outbox}（{report.outbox_files} 封 .eml{replaced}）")
    if report.store:
        lines.append(f"存储库：{report.store}（已保留，可用 docflow status、log 查看）")
    return "\n".join(lines)


def _width(text: str) -> int:
    return sum(2 if ord(c) > 0x2E80 else 1 for c in text)


# --- the run -----------------------------------------------------------------------------


def run_simulation(
    programme: str | Path,
    *,
    points_file: str | Path | None = None,
    scenario_file: str | Path | None = None,
    outbox: str | Path = "outbox",
    db: str | None = None,
    echo: Echo | None = None,
) -> SimulationReport:
    """Run the programme's year on a virtual clock; see the module docstring."""
    from engine.runtime.pointsfile import read_points_file

    definition = load_definition(programme)
    points_path = Path(points_file) if points_file else definition.folder / POINTS_FILE
    points = read_points_file(points_path)
    ids = point_ids_of(points)
    units_of = dict(zip(ids, (p.unit for p in points), strict=True))
    if scenario_file is not None:
        scenario_path: Path | None = Path(scenario_file)
    else:
        # The example scenario names the example points: it goes with them only.
        default = definition.folder / SCENARIO_FILE
        scenario_path = default if default.is_file() and not points_file else None
    scenario = load_scenario(scenario_path, definition, units_of)
    outbox_dir = Path(outbox)
    earlier = _check_outbox(outbox_dir)
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(**_work_dir_options())))
        store = _open_store(db, work, definition)
        stack.callback(store.close)
        staging = work / "outbox"
        sim = _Simulation(definition, store, scenario, points, ids, staging, work, echo)
        stack.callback(sim.close)
        report = sim.run()
        report.outbox = str(outbox_dir.absolute())
        for old in earlier:
            old.unlink(missing_ok=True)
        report.replaced = len(earlier)
        report.outbox_files = _move_mail(staging, outbox_dir)
        report.store = str(Path(db).absolute()) if db and "://" not in db else db
        return report


def _work_dir_options() -> dict[str, Any]:
    """Where the temporary store, documents and staged mail go: memory when there is some.

    Every stored document and every message is written with an fsync (the store and the
    outbox are built to survive a crash); a simulated year writes a few hundred of each,
    which on a disk costs seconds. ``/dev/shm`` (RAM) makes those free; ``$TMPDIR``, when
    set, is respected.
    """
    import os

    options: dict[str, Any] = {"prefix": "docflow-simulate-"}
    shm = Path("/dev/shm")
    if not os.environ.get("TMPDIR") and shm.is_dir() and os.access(shm, os.W_OK | os.X_OK):
        options["dir"] = str(shm)
    return options


_MARKER = ".docflow-simulation.json"  # in the outbox: the files a simulation wrote there


def _move_mail(staging: Path, outbox: Path) -> int:
    """Move the year's messages (same names) from the staging folder into the outbox.

    The outbox then gets the list of what was moved (``_MARKER``), so that the next
    simulation may replace these files and only these.
    """
    import json
    import shutil

    outbox.mkdir(parents=True, exist_ok=True)
    moved: list[str] = []
    if staging.is_dir():
        for source in sorted(staging.rglob("*.eml")):
            name = source.relative_to(staging)
            target = outbox / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(source, target)
            moved.append(name.as_posix())
    marker = {"note": "docflow simulate 写入的演练邮件；再次演练时替换这些文件", "files": moved}
    (outbox / _MARKER).write_text(
        json.dumps(marker, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return len(moved)


def _check_outbox(outbox: Path) -> list[Path]:
    """Refuse an outbox with mail in it, unless all of it is an earlier simulation's.

    Returns the earlier simulation's files, to be removed once the new year has run.
    """
    import json

    if outbox.exists() and not outbox.is_dir():
        raise Refused(f"发件箱位置 {outbox} 不是目录，请用 --outbox 给出一个目录")
    if not outbox.is_dir():
        return []
    found = sorted(outbox.rglob("*.eml"))
    if not found:
        return []
    try:
        listed = json.loads((outbox / _MARKER).read_text(encoding="utf-8"))["files"]
        simulated = {outbox / name for name in listed if isinstance(name, str)}
    except (OSError, ValueError, KeyError, TypeError):
        simulated = set()
    others = [path for path in found if path not in simulated]
    if others:
        raise Refused(
            f"发件箱 {outbox} 中已有 {len(others)} 封不是演练生成的邮件（.eml，如 "
            f"{others[0].name}）。演练不与其他邮件混在一起：请用 --outbox 指定一个空目录"
            "（或不存在的目录），或先清空该目录"
        )
    return found


def _open_store(db: str | None, work: Path, definition: Definition) -> Any:
    from engine.runtime.store import open_store

    if db is None:
        return open_store(work / "simulate.db", work / "documents")
    store = open_store(db)
    try:
        with store.transaction(readonly=True) as tx:
            if tx.get_programme(definition.id) is not None:
                raise Refused(
                    f"存储库 {store.location} 中已有工作方案 {definition.id} 的数据："
                    f"演练须使用新的存储库（--db 给出一个新文件，或不给 --db 使用临时存储库）"
                )
    except BaseException:
        store.close()
        raise
    return store


class _Progress:
    """A one-line progress bar on stderr: only on a terminal, only once a second has passed."""

    def __init__(self, first: date, last: date, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.first = first
        self.span = max((last - first).days, 1)
        self.started = _time.perf_counter()
        self.visible = False

    def update(self, day: date) -> None:
        if not self.enabled or _time.perf_counter() - self.started < 1.0:
            return
        done = min(max((day - self.first).days / self.span, 0.0), 1.0)
        bar = "#" * int(done * 30)
        self.stream.write(f"\r演练进度 [{bar:<30}] {day.isoformat()}")
        self.stream.flush()
        self.visible = True

    def clear(self) -> None:
        if self.visible:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.visible = False


@dataclass
class _Planned:
    """A point's submission of a step, due from ``day`` on, fired once the point waits."""

    day: date
    where: Where | None = None  # the scenario entry that set it (None: the default)
    note: str | None = None


@dataclass
class _PendingTask:
    task: str
    by: str
    day: date
    where: Where | None
    last_refusal: str | None = None


class _Simulation:
    def __init__(
        self,
        definition: Definition,
        store: Any,
        scenario: Scenario,
        points: Sequence[Any],
        ids: Sequence[str],
        outbox: Path,
        work: Path,
        echo: Echo | None,
    ) -> None:
        from engine.app.mail import MailSettings, open_queue
        from engine.delivery.dispatch import ReminderRunner
        from engine.runtime.progress import ProgressView
        from engine.runtime.service import Runtime

        self.definition = definition
        self.index = definition.index
        self.pid = definition.id
        self.store = store
        self.scenario = scenario
        self.points = list(points)
        self.ids = list(ids)
        self.outbox = outbox
        self.drafts = work / "drafts"
        self.drafts.mkdir()
        self.echo = echo
        self.view = ProgressView(definition)
        self.calendar = self.view.calendar
        self.year = definition.programme.programme.year
        self.first_day = self._enrol_day()
        self.last_day = date(self.year, 12, 31)
        self.clock = VirtualClock(datetime(self.year, 1, 1, tzinfo=SHANGHAI))
        self.runtime = Runtime(definition, store, self.clock)
        self.queue = open_queue(MailSettings(str(outbox)), self.clock)
        self.runner = ReminderRunner(definition, store, self.clock, self.queue)
        self.hours = sorted({r.policy.hour for r in self.runner.rules})
        self.steps = list(self.view.steps)  # point document steps, by due day
        self.states: dict[str, str] = {}
        self.unit_of = dict(zip(self.ids, (p.unit for p in self.points), strict=True))
        # step -> point -> its planned submission (removed once submitted)
        self.planned: dict[str, dict[str, _Planned]] = {t.trigger: {} for t in self.steps}
        self.order = {p: i for i, p in enumerate(self.ids)}
        self.overrides: dict[tuple[str, str], date] = {}  # (point, step) -> extended due day
        self.tasks: list[_PendingTask] = []
        self.done_tasks: dict[str, date] = {}
        self.timeline: list[TimelineEntry] = []
        self.sent: list[Any] = []
        self.problems: list[str] = []
        self.send_times: list[datetime] | None = None  # every occurrence's send time, sorted
        self.last_run: datetime | None = None
        self.force_run = True
        self.runs = 0
        self.documents = 0
        self.progress = _Progress(self.first_day, self.last_day)

    def close(self) -> None:
        self.progress.clear()
        self.queue.transport.close()

    # --- days --------------------------------------------------------------------------

    def _enrol_day(self) -> date:
        return self.scenario.enrol_on or default_enrol_day(self.definition)

    def _screen_day(self) -> date:
        if self.scenario.screen_on is not None:
            return self.scenario.screen_on
        task = self.definition.programme.points.enrolment.task
        due = self.view.due_of(task) if task else None
        after = max(due or self.first_day, self.first_day)
        return self.calendar.next_working_day(after, inclusive=False)

    def _approve_day(self, screen: date) -> date:
        if self.scenario.approve_on is not None:
            return self.scenario.approve_on
        issued = self.definition.programme.programme.issued
        if issued is not None and issued > screen:
            return issued
        return self.calendar.next_working_day(screen, inclusive=False)

    def _at(self, day: date, moment: time) -> datetime:
        return datetime.combine(day, moment, tzinfo=SHANGHAI)

    def say(self, day: date, text: str) -> None:
        entry = TimelineEntry(day, text)
        self.timeline.append(entry)
        if self.echo is not None:
            self.progress.clear()
            self.echo(str(entry))

    # --- the year ----------------------------------------------------------------------

    def run(self) -> SimulationReport:
        self._plan_tasks()
        screen_day = self._screen_day()
        approve_day = self._approve_day(screen_day)
        if approve_day < screen_day:
            where = self.scenario.where.get("approve_on") or self.scenario.where.get("screen_on")
            assert where is not None  # the defaults are in order
            raise ScenarioError(
                [where.diagnostic(f"审定日期 {approve_day} 早于初步筛选日期 {screen_day}")]
            )
        # The scenario's dated actions, in this order within a day.
        by_day: dict[date, list[tuple[str, Any]]] = defaultdict(list)
        s = self.scenario
        for w in s.withdrawals:
            by_day[w.on].append(("withdraw", w))
        for e in s.extensions:
            by_day[e.request_on].append(("request", e))
            by_day[e.grant_on].append(("grant", e))
        for r in s.returns:
            by_day[r.on].append(("return", r))
        actions: dict[str, Callable[[date, Any], None]] = {
            "withdraw": self._withdraw,
            "request": self._request_extension,
            "grant": self._grant_extension,
            "return": self._return,
        }

        # Programme-level tasks dated before enrolment (the call for points).
        for task in sorted(self.tasks, key=lambda t: t.day):
            if task.day < self.first_day:
                self.clock.set(self._at(task.day, ACTION_TIME))
                self._do_task(task.day, task)
        self.tasks = [t for t in self.tasks if t.task not in self.done_tasks]

        day = self.first_day
        while day <= self.last_day:
            self.progress.update(day)
            self.clock.set(max(self.clock.now(), self._at(day, ACTION_TIME)))
            if day == self.first_day:
                self._enrol(day)
            if day == screen_day:
                self._screen(day)
            if day == approve_day:
                self._approve(day)
            for kind, entry in by_day.get(day, ()):
                actions[kind](day, entry)
            self._submit_due(day)
            self._run_tasks(day)
            if day == self.last_day:
                self._conclude(day)
            if self.calendar.is_working_day(day):
                for hour in self.hours:
                    self._remind(day, self._at(day, time(hour)))
            day += timedelta(days=1)
        return self._report()

    # --- enrolment, screening, approval -------------------------------------------------

    def _enrol(self, day: date) -> None:
        rows = self.runtime.enrol(self.points)
        for row in rows:
            self.states[row.point_id] = row.state
        units = len({r.unit_id for r in rows})
        self.say(day, f"登记突破点 {len(rows)} 个（{units} 个单位提出）")
        self._plan_points()

    def _decide_all(self, task: Transition, ids: list[str], outcome: str, reason: str) -> list[Any]:
        if not ids:
            return []
        events = self.runtime.decide(task.task_id, ids, outcome, reason)
        self._apply(events)
        return events

    def _screen(self, day: date) -> None:
        out = {x.point: x for x in self.scenario.screened_out}
        accept = self._decision(self.index.initial_state, "accept")
        reject = self._decision(self.index.initial_state, "reject")
        if accept is None:
            return
        waiting = [p for p in self.ids if self.states.get(p) in self.index.sources_of(accept)]
        self._decide_all(accept, [p for p in waiting if p not in out], "accept", "初步筛选入选")
        rejected = []
        for point, entry in out.items():
            if reject is None:
                raise ScenarioError([entry.where.diagnostic("工作方案中没有初步筛选不入选的决定")])
            with self._scenario_action(entry.where, day):
                self._decide_all(reject, [point], "reject", entry.reason)
            rejected.append(point)
        who = self.index.body_label(self.index.expand([accept.actor])[0])
        text = f"{who} {accept.label.split('（')[0]}：入选 {len(waiting) - len(rejected)} 个突破点"
        if rejected:
            text += f"，未入选 {len(rejected)} 个（{'、'.join(rejected)}）"
        self.say(day, text)

    def _approve(self, day: date) -> None:
        screened = self._decision(self.index.initial_state, "accept")
        state = screened.dest if screened else None
        approve = self._decision(state, "accept") if state else None
        if approve is None or approve.dest is None or approve.dest == state:
            return
        waiting = [p for p in self.ids if self.states.get(p) == state]
        self._decide_all(approve, waiting, "accept", "审定同意")
        who = self.index.body_label(self.index.expand([approve.actor])[0])
        self.say(day, f"{who} 审定同意 {len(waiting)} 个突破点")

    def _decision(self, state: str | None, outcome: str) -> Transition | None:
        """The decision with ``outcome`` that leaves ``state`` (not withdrawal nor extension)."""
        for t in self.definition.programme.points.transitions:
            if (
                t.takes == "decision"
                and t.outcome == outcome
                and t.extension is None
                and ANY_STATE not in t.source
                and state in t.source
            ):
                return t
        return None

    def _apply(self, events: Sequence[Any]) -> None:
        for e in events:
            if e.point_id is not None and e.dest_state is not None:
                self.states[e.point_id] = e.dest_state

    @contextmanager
    def _scenario_action(self, where: Where | None, day: date) -> Iterator[None]:
        try:
            yield
        except Refused as exc:
            if where is None:
                raise
            raise ScenarioError([where.diagnostic(f"{day} 无法执行：{exc.message}")]) from None

    # --- plans -------------------------------------------------------------------------

    def _plan_points(self) -> None:
        lead = self.scenario.default_lead_days
        for step in self.steps:
            due = self.view.due_of(step.trigger)
            if due is None:
                continue
            day = self.calendar.working_days_before(due, lead)
            for point in self.ids:
                self.planned[step.trigger][point] = _Planned(day)
        for late in self.scenario.late:
            if late.step in self.index.tasks:
                continue
            for point in self._points_of_actor(late.unit, late.step):
                self.planned[late.step][point] = _Planned(late.on, late.where)
        for never in self.scenario.never:
            if never.step in self.index.tasks:
                continue
            for point in self._points_of_actor(never.unit, never.step):
                self.planned[never.step].pop(point, None)
        for e in self.scenario.extensions:
            self.planned[e.step].pop(e.point, None)  # planned once the extension is granted

    def _points_of_actor(self, actor: str, step: str) -> list[str]:
        transition = self.index.transitions[step]
        return [p for p in self.ids if self._actor(transition, p) == actor]

    def _actor(self, transition: Transition, point: str) -> str | None:
        unit = self.unit_of[point]
        if transition.actor == OWNER:
            return unit
        if transition.actor == INSPECTOR:
            return self.index.inspector_of.get(unit)
        bodies = self.index.expand([transition.actor])
        return bodies[0] if bodies else None

    def _plan_tasks(self) -> None:
        late = {x.step: x for x in self.scenario.late if x.step in self.index.tasks}
        never = {x.step for x in self.scenario.never if x.step in self.index.tasks}
        for task in self.index.tasks.values():
            if task.level != "programme" or task.id in never:
                continue
            responsible = self.index.expand(task.responsible)
            where: Where | None = None
            if task.id in late:
                day, by, where = late[task.id].on, late[task.id].unit, late[task.id].where
            else:
                by = responsible[0]
                if task.id in self.scenario.task_days:
                    day, where = self.scenario.task_days[task.id]
                else:
                    found = self._default_task_day(task.id)
                    if found is None:
                        continue
                    day = found
            self.tasks.append(_PendingTask(task.id, by, day, where))

    def _default_task_day(self, task_id: str) -> date | None:
        """The last working day on or before the due day; for "<节日>后" (a start, not a
        deadline: 国庆节后发出检查工作通知) the first working day after the holiday."""
        from engine.definition.phrases import parse_phrase

        task = self.index.tasks[task_id]
        resolved = self.view.deadlines.get(task_id)
        if task.deadline is None or resolved is None:
            return None
        phrase = parse_phrase(task.deadline.governing_phrase)
        if phrase.kind == "holiday" and not phrase.before:
            return self.calendar.next_working_day(resolved.first)
        return self.calendar.previous_working_day(resolved.due)

    # --- actions -----------------------------------------------------------------------

    def _draft(self, day: date, by: str, label: str, points: Sequence[str]) -> Path:
        """A small text file standing in for the document a unit sends."""
        self.documents += 1
        name = self.index.body_label(by)
        lines = [f"（演练）{name} {label} 报送材料", f"日期：{day.isoformat()}"]
        if points:
            lines.append(f"突破点：{'、'.join(points)}")
        path = self.drafts / f"{self.documents:04d}-{by}.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def _submit_due(self, day: date) -> None:
        """Every planned submission due by ``day`` whose point waits for its step."""
        for step in self.steps:
            planned = self.planned[step.trigger]
            if not planned:
                continue
            sources = set(self.index.sources_of(step))
            groups: dict[str, list[str]] = defaultdict(list)
            plans: dict[str, list[_Planned]] = defaultdict(list)
            for point, plan in list(planned.items()):
                if plan.day > day or self.states.get(point) not in sources:
                    continue
                actor = self._actor(step, point)
                if actor is None:
                    continue
                groups[actor].append(point)
                plans[actor].append(plan)
                del planned[point]
            plain: list[tuple[str, list[str]]] = []
            for actor, points in groups.items():
                points.sort(key=self.order.__getitem__)
                where = next((p.where for p in plans[actor] if p.where is not None), None)
                file = self._draft(day, actor, step.document or step.label, points)
                with self._scenario_action(where, day):
                    self._apply(self.runtime.submit(actor, step.task_id, file, points))
                notes = self._submission_notes(day, step, points, plans[actor])
                if notes or step.actor != OWNER:
                    self.say(day, self._submission_text(step, actor, points, notes))
                else:
                    plain.append((actor, points))
            if len(plain) > _COLLAPSE:
                count = sum(len(points) for _, points in plain)
                self.say(day, f"{len(plain)} 个单位{step.label}（{count} 个突破点）")
            else:
                for actor, points in plain:
                    self.say(day, self._submission_text(step, actor, points, []))

    def _submission_notes(
        self, day: date, step: Transition, points: list[str], plans: list[_Planned]
    ) -> list[str]:
        """What is worth saying about a submission: late, extended, resubmitted."""
        notes: list[str] = []
        extended = sorted(
            {
                self.overrides[(p, step.trigger)]
                for p in points
                if (p, step.trigger) in self.overrides
            }
        )
        if extended:
            notes.append(f"延期至 {'、'.join(_md(d) for d in extended)}")
        base = self._due(step)
        late = [p for p in points if day > self.overrides.get((p, step.trigger), base)]
        if late:
            notes.append("逾期补报" if len(late) == len(points) else f"{len(late)} 个逾期补报")
        notes.extend(p.note for p in plans if p.note)
        return list(dict.fromkeys(notes))

    def _submission_text(
        self, step: Transition, actor: str, points: list[str], notes: list[str]
    ) -> str:
        who = self.index.body_label(actor)
        if step.actor == INSPECTOR:
            group = next(
                (g for g in self.index.programme.inspection_groups if g.lead == actor), None
            )
            if group is not None:
                who += f"（{group.label}组长单位）"
        return f"{who} {step.label}（{'，'.join([f'{len(points)} 个突破点', *notes])}）"

    def _due(self, step: Transition) -> date:
        due = self.view.due_of(step.trigger)
        assert due is not None
        return due

    def _withdraw(self, day: date, w: Withdrawal) -> None:
        transition = _withdrawal_of(self.definition)
        assert transition is not None
        with self._scenario_action(w.where, day):
            self._apply(self.runtime.decide(transition.task_id, [w.point], "accept", w.reason))
        who = self.index.body_label(self.index.expand([transition.actor])[0])
        self.say(day, f"{who} 撤销突破点 {w.point}（{w.reason}）")

    def _request_extension(self, day: date, e: Extension) -> None:
        transition = _extension_task(self.definition, "request")
        assert transition is not None
        pending = self.index.pending_step(self.states.get(e.point, ""))
        if pending is None or pending.trigger != e.step:
            now = pending.label if pending else "没有有期限的事项"
            raise ScenarioError(
                [
                    e.where.diagnostic(
                        f"{day} 无法申请延期：突破点 {e.point} 当时待办的是「{now}」，而不是「{e.task}」"
                    )
                ]
            )
        unit = self.unit_of[e.point]
        file = self._draft(day, unit, transition.document or transition.label, [e.point])
        with self._scenario_action(e.where, day):
            self._apply(self.runtime.submit(unit, transition.task_id, file, [e.point]))
        self.say(
            day,
            f"{self.index.body_label(unit)} 申请延期：{e.point}「{pending.label}」"
            f"（原期限 {_md(self._due(pending))}，{e.reason}）",
        )

    def _grant_extension(self, day: date, e: Extension) -> None:
        transition = _extension_task(self.definition, "grant")
        if transition is None or transition.outcome is None:
            raise ScenarioError([e.where.diagnostic("工作方案中没有批准延期的决定")])
        with self._scenario_action(e.where, day):
            self._apply(
                self.runtime.decide(
                    transition.task_id, [e.point], transition.outcome, "同意延期", until=e.until
                )
            )
        submit = e.submit_on or self.calendar.working_days_before(
            e.until, self.scenario.default_lead_days
        )
        self.overrides[(e.point, e.step)] = e.until
        self.planned[e.step][e.point] = _Planned(max(submit, day), e.where)
        who = self.index.body_label(self.index.expand([transition.actor])[0])
        self.say(day, f"{who} 批准延期：{e.point} 新期限 {_md(e.until)}")
        self._refresh_schedule()

    def _return(self, day: date, r: Return) -> None:
        transition = _return_of(self.definition, r.step)
        assert transition is not None
        with self._scenario_action(r.where, day):
            self._apply(self.runtime.decide(transition.task_id, [r.point], "return", r.reason))
        if r.resubmit_on is not None:
            self.planned[r.step][r.point] = _Planned(r.resubmit_on, r.where, "退回后重报")
        else:
            self.planned[r.step].pop(r.point, None)
        who = self.index.body_label(self.index.expand([transition.actor])[0])
        label = self.index.transitions[r.step].document or self.index.transitions[r.step].label
        self.say(day, f"{who} 退回 {r.point} 的{label}（{r.reason}）")

    def _run_tasks(self, day: date) -> None:
        for task in list(self.tasks):
            if task.day > day:
                continue
            if task.day < day and not self.calendar.is_working_day(day):
                continue  # a postponed task is tried again on working days
            self._do_task(day, task)
        self.tasks = [t for t in self.tasks if t.task not in self.done_tasks]

    def _do_task(self, day: date, pending: _PendingTask) -> None:
        task = self.index.tasks[pending.task]
        file = self._draft(day, pending.by, task.document or task.label, ())
        try:
            events = self.runtime.submit(pending.by, task.id, file)
        except Refused as exc:
            pending.last_refusal = exc.message
            return
        self.done_tasks[task.id] = day
        missing = events[0].extras.get("missing") if events else None
        text = f"{self.index.body_label(pending.by)} {task.label}"
        due = self.view.due_of(task.id)
        notes = []
        if due is not None and day > due:
            notes.append("逾期")
        if missing:
            notes.append(f"缺报 {len(missing)} 个单位")
        self.say(day, text + (f"（{'，'.join(notes)}）" if notes else ""))

    def _conclude(self, day: date) -> None:
        """The accepting decision that ends a point's run (e.g. 总结审核通过，办结)."""
        last = self.steps[-1] if self.steps else None
        if last is None or last.dest is None:
            return
        conclude = self._decision(last.dest, "accept")
        if conclude is None or conclude.dest not in self.index.final_states:
            return
        ready = [p for p in self.ids if self.states.get(p) == last.dest]
        if not ready:
            return
        self._decide_all(conclude, ready, "accept", "总结审核通过，突破点办结")
        who = self.index.body_label(self.index.expand([conclude.actor])[0])
        self.say(day, f"{who} {conclude.label}（{len(ready)} 个突破点）")

    # --- reminders ---------------------------------------------------------------------

    def _refresh_schedule(self) -> None:
        """Send times of every occurrence; a new due day may add some already past."""
        with self.store.transaction(readonly=True) as tx:
            self.send_times = sorted({o.send_at for o in self.runner.schedule(tx)})
        self.force_run = True

    def _due_since_last_run(self, now: datetime) -> bool:
        """Whether an occurrence's send time falls in (last run, now].

        After a run every occurrence sent at or before it is processed (sent or skipped), so
        a run with nothing new in between would send nothing: skipping it changes nothing.
        """
        if self.force_run or self.last_run is None or self.send_times is None:
            return True
        i = bisect.bisect_right(self.send_times, self.last_run)
        return i < len(self.send_times) and self.send_times[i] <= now

    def _remind(self, day: date, now: datetime) -> None:
        if self.send_times is None:
            self._refresh_schedule()
        if not self._due_since_last_run(now):
            return
        self.clock.set(now)
        result = self.runner.run(now)
        self.runs += 1
        self.last_run = now
        self.force_run = False
        self.sent.extend(result.sent)
        for problem in result.problems:
            self.problems.append(f"{day} {problem}")
            self.say(day, f"发送问题：{problem}")
        self._say_messages(day, result.sent)

    def _say_messages(self, day: date, sent: Sequence[Any]) -> None:
        from engine.views.reminders import KIND_LABELS

        groups: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
        for o in sent:
            groups[(o.kind, o.rule, o.occurrence)].append(o)
        rules = {r.id: r for r in self.runner.rules}
        for (kind, rule_id, occurrence), items in groups.items():
            rule = rules[rule_id]
            label = self._step_label(rule.step)
            parts = [label]
            if rule.kind == "overdue":
                parts.append(f"第 {rule.offset} 次催报")
            due = date.fromisoformat(occurrence)
            base = self.view.due_of(rule.step)
            parts.append(f"期限 {_md(due)}" + ("（延期后）" if base and due != base else ""))
            cc = sorted({b for o in items for b in o.cc}, key=list(self.index.bodies).index)
            if cc:
                lead = (
                    "及单位分管领导" if rule.last_stage and rule.policy.leadership_at_last else ""
                )
                parts.append(f"抄送{'、'.join(self.index.body_label(b) for b in cc)}{lead}")
            elif rule.last_stage and rule.policy.leadership_at_last:
                parts.append("抄送单位分管领导")
            text = f"{KIND_LABELS.get(kind, kind)} {len(items)} 封（{'，'.join(parts)}）"
            if len(items) <= 5:
                text += "：" + "、".join(o.recipient_name for o in items)
            self.say(day, text)

    def _step_label(self, step: str) -> str:
        if step in self.index.transitions:
            return self.index.transitions[step].label
        return self.index.tasks[step].label

    # --- the report --------------------------------------------------------------------

    def _report(self) -> SimulationReport:
        header = self.definition.programme.programme
        with self.store.transaction(readonly=True) as tx:
            rows = tx.points(self.pid)
            events = tx.events(self.pid)
            overrides = {(o.point_id, o.step): o.due for o in tx.deadline_overrides(self.pid)}
            enrolled = tx.count_points_by_unit(self.pid)
        pairs = [(p.unit_id, p.state) for p in rows]
        states = Counter(p.state for p in rows)
        final_states = {
            self.index.states[s].label if s in self.index.states else s: n
            for s, n in sorted(
                states.items(),
                key=lambda kv: (
                    list(self.index.states).index(kv[0]) if kv[0] in self.index.states else 99
                ),
            )
        }
        steps: list[StepSummary] = []
        proposals = self.view.proposals_rate(enrolled)
        if proposals is not None:
            steps.append(self._summary_of(proposals, ()))
        for step in self.steps:
            rate = self.view.step_rate(step.trigger, pairs)
            late = self._late_units(step, rows, events, overrides)
            steps.append(self._summary_of(rate, late))
        tasks = []
        for task in self.index.tasks.values():
            if task.level != "programme":
                continue
            done_event = next((e for e in events if e.trigger == task.id), None)
            pending = next((t for t in self.tasks if t.task == task.id), None)
            tasks.append(
                TaskSummary(
                    task=task.id,
                    label=task.label,
                    by=self.index.body_label(
                        done_event.actor if done_event else self.index.expand(task.responsible)[0]
                    ),
                    due=self.view.due_of(task.id),
                    done=self.done_tasks.get(task.id),
                    missing=tuple(done_event.extras.get("missing", ())) if done_event else (),
                    note=pending.last_refusal
                    if pending
                    else (None if done_event else "情景中设为不办理"),
                )
            )
        return SimulationReport(
            programme=self.pid,
            title=header.title,
            year=self.year,
            scenario=self.scenario.file,
            scenario_title=self.scenario.title,
            first_day=self.first_day,
            last_day=self.last_day,
            points=len(rows),
            units=len({p.unit_id for p in rows}),
            final_states=final_states,
            timeline=self.timeline,
            sent=self.sent,
            steps=steps,
            tasks=tasks,
            problems=self.problems,
            outbox=str(self.outbox.absolute()),
            runs=self.runs,
        )

    def _summary_of(self, rate: Any, late: Sequence[LateUnit]) -> StepSummary:
        return StepSummary(
            step=rate.step,
            label=rate.label,
            due=rate.due,
            reported=len(rate.reported),
            total=rate.total,
            missing=tuple(self.index.body_label(u) for u in rate.missing),
            late=tuple(late),
        )

    def _late_units(
        self,
        step: Transition,
        rows: Sequence[Any],
        events: Sequence[Any],
        overrides: Mapping[tuple[str, str], date],
    ) -> list[LateUnit]:
        """Actors that submitted ``step`` for a point after its due day, or never did though
        the point was waiting for it at the end of the year."""
        last: dict[str, date] = {}
        for e in events:
            if e.trigger == step.trigger and e.point_id is not None:
                last[e.point_id] = self.view.local_date(datetime.fromisoformat(e.effective_at))
        sources = set(self.index.sources_of(step))
        base = self._due(step)
        found: dict[str, list[tuple[str, date, date | None]]] = defaultdict(list)
        for p in rows:
            due = overrides.get((p.point_id, step.trigger), base)
            actor = self._actor(step, p.point_id) if p.point_id in self.unit_of else p.unit_id
            if actor is None:
                continue
            if p.point_id in last:
                if last[p.point_id] > due:
                    found[actor].append((p.point_id, due, last[p.point_id]))
            elif p.state in sources:
                found[actor].append((p.point_id, due, None))
        order = list(self.index.bodies)
        result = []
        for actor in sorted(found, key=order.index):
            items = found[actor]
            submitted = (
                None if any(s is None for _, _, s in items) else max(s for _, _, s in items if s)
            )
            result.append(
                LateUnit(
                    unit=actor,
                    name=self.index.body_label(actor),
                    points=tuple(p for p, _, _ in items),
                    due=max(d for _, d, _ in items),
                    submitted=submitted,
                )
            )
        return result
