"""Playing the simulated year, day by day, on the virtual clock.

The driver plays the part of the people: on each day, at 08:30, it lets units submit and
the bodies the definition names decide, through the application layer; then, on working
days at each reminder policy's hour, it runs the ``ReminderRunner``. It keeps no copy of
the points' states: whenever it needs to know who waits for what, it reads the store.
Decisions are made by ``engine.simulation.deciding``; a point that cannot move is
reported as a stall when the year ends.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from engine.definition.schema import OWNER, Transition
from engine.delivery.dispatch import Outgoing
from engine.errors import Refused, ScenarioError
from engine.runtime.progress import ProgressView
from engine.runtime.rectifying import rectified, return_triggers
from engine.runtime.service import NewPoint
from engine.simulation.deciding import Decider, scenario_action
from engine.simulation.decisions import Stuck, When, no_actor_reason, stall_lines
from engine.simulation.filing import ReportFiler
from engine.simulation.lifecycle import (
    actor_for,
    decided_by,
    default_enrol_day,
    extension_task,
    return_of,
    withdrawal_of,
)
from engine.simulation.narration import (
    month_day,
    reminder_lines,
    submission_notes,
    submission_text,
)
from engine.simulation.plans import PendingTask, Planned, plan_submissions, plan_tasks
from engine.simulation.progress import Echo, ProgressBar, Timeline
from engine.simulation.report import SimulationReport
from engine.simulation.scenario import Decision, Extension, Return, Scenario, Where, Withdrawal
from engine.simulation.summary import YearRecord, build_report
from engine.simulation.wiring import OpenProgramme

__all__ = ["ACTION_TIME", "YearDriver"]

ACTION_TIME = time(8, 30)  # the day's submissions and decisions, before the reminders
_COLLAPSE = 5  # more plain on-time submissions of a step on one day: one timeline line

Overrides = dict[tuple[str, str], date]


class YearDriver:
    """The simulated year of an open programme, as a scenario has it."""

    def __init__(
        self,
        programme: OpenProgramme,
        scenario: Scenario,
        points: Sequence[NewPoint],
        drafts: Path,
        echo: Echo | None,
    ) -> None:
        self.programme = programme
        self.definition = programme.definition
        self.index = self.definition.index
        self._item = self.definition.programme.programme.item  # the programme's noun: 任务
        self.pid = self.definition.id
        self.scenario = scenario
        self.points = list(points)
        self.drafts = drafts
        self.drafts.mkdir()
        self.view = ProgressView.of(self.definition)
        self.calendar = self.view.calendar
        self.year = self.definition.programme.programme.year
        self.first_day = scenario.enrol_on or default_enrol_day(self.definition, self.view)
        self.last_day = date(self.year, 12, 31)
        self.hours = sorted({r.policy.hour for r in programme.runner.rules})
        self.steps = list(self.view.steps)  # point document steps, by due day
        self.units: dict[str, str] = {}  # point -> unit, as enrolled (in enrolment order)
        self.order: dict[str, int] = {}
        # step -> point -> its planned submission (removed once submitted)
        self.planned: dict[str, dict[str, Planned]] = {t.trigger: {} for t in self.steps}
        self.tasks: list[PendingTask] = []
        self.sent: list[Outgoing] = []
        self.problems: list[str] = []
        self.runs = 0
        self.documents = 0
        self.timeline = Timeline(echo, ProgressBar(self.first_day, self.last_day))
        self.decider = Decider(programme, scenario, lambda: self.units, self.say)
        self.filer = ReportFiler(programme, scenario, self._draft, self.say)
        # late_enrolment: day -> the points enrolled then; the decisions that follow enrolment
        # (screen, approve) made again for them on the working days after
        self.late: dict[date, list[NewPoint]] = defaultdict(list)
        for point in self.points:
            unit = self.index.resolve_body(point.unit) or point.unit
            if unit in scenario.late_enrolment:
                self.late[scenario.late_enrolment[unit]].append(point)
        self.catch_up: dict[date, list[When]] = defaultdict(list)
        self.returns = return_triggers(self.definition)
        # document steps without a deadline: submitted the working day after they are owed
        self.undated = [
            t
            for t in self.definition.programme.points.transitions
            if t.takes == "document" and t.deadline is None and t.extension is None
        ]

    def close(self) -> None:
        self.timeline.close()

    # --- the store ---------------------------------------------------------------------

    def _snapshot(self) -> tuple[dict[str, str], Overrides]:
        """Every point's state and the extended due days in force, as the store has them."""
        with self.programme.store.transaction(readonly=True) as tx:
            states = {p.point_id: p.state for p in tx.points(self.pid)}
            overrides = {(o.point_id, o.step): o.due for o in tx.deadline_overrides(self.pid)}
        return states, overrides

    def _rectified(self) -> frozenset[tuple[str, str]]:
        """The (point, step) whose due day in force is a return's 整改期限."""
        with self.programme.store.transaction(readonly=True) as tx:
            return rectified(tx, self.pid, self.returns)

    def _state_of(self, point: str) -> str | None:
        with self.programme.store.transaction(readonly=True) as tx:
            row = tx.get_point(self.pid, point)
        return row.state if row else None

    # --- days --------------------------------------------------------------------------

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
        return datetime.combine(day, moment, tzinfo=self.definition.zone)

    def say(self, day: date, text: str) -> None:
        self.timeline.say(day, text)

    # --- the year ----------------------------------------------------------------------

    def run(self) -> SimulationReport:
        clock = self.programme.clock
        self.tasks = plan_tasks(self.definition, self.view, self.scenario)
        screen_day = self._screen_day()
        approve_day = self._approve_day(screen_day)
        if approve_day < screen_day and self.decider.has("approve"):
            where = self.scenario.where("approve_on", key=True)
            raise ScenarioError(
                [where.diagnostic(f"审定日期 {approve_day} 早于初步筛选日期 {screen_day}")]
            )
        # The scenario's dated actions, in this order within a day.
        by_day: dict[date, list[tuple[Callable[[date, Any, Where], None], Any, Where]]]
        by_day = defaultdict(list)
        for w, where in self.scenario.placed("withdrawals"):
            by_day[w.on].append((self._withdraw, w, where))
        for e, where in self.scenario.placed("extensions"):
            by_day[e.request_on].append((self._request_extension, e, where))
            by_day[e.grant_on].append((self._grant_extension, e, where))
        for r, where in self.scenario.placed("returns"):
            by_day[r.on].append((self._return, r, where))
        for d, where in self.scenario.placed("decisions"):
            if d.on is not None:
                by_day[d.on].append((self._decide_on, d, where))

        # Programme-level tasks dated before enrolment (the call for points).
        for task in sorted(self.tasks, key=lambda t: t.day):
            if task.day < self.first_day:
                clock.set(self._at(task.day, ACTION_TIME))
                self._do_task(task.day, task)

        day = self.first_day
        while day <= self.last_day:
            self.timeline.bar.update(day)
            clock.set(max(clock.now(), self._at(day, ACTION_TIME)))
            if day == self.first_day:
                self._enrol(day)
            if day in self.late:
                self._enrol_late(day, screen_day, approve_day)
            if day == screen_day or "screen" in self.catch_up.get(day, ()):
                self._decide(day, "screen")
            if day == approve_day or "approve" in self.catch_up.get(day, ()):
                self._decide(day, "approve")
            for action, entry, where in by_day.get(day, ()):
                action(day, entry, where)
            if self.calendar.is_working_day(day):
                self._decide(day, "next-day")
                self._submit_undated(day)
            self._submit_due(day)
            self.filer.file_due(day, clock.now())
            self._run_tasks(day)
            if day == self.last_day:
                self._decide(day, "year-end")
            if self.calendar.is_working_day(day):
                for hour in self.hours:
                    self._remind(day, self._at(day, time(hour)))
            day += timedelta(days=1)
        # Recurring reports on December fall due in January: their filings and reminders.
        while self.filer.last_day is not None and day <= self.filer.last_day:
            clock.set(max(clock.now(), self._at(day, ACTION_TIME)))
            self.filer.file_due(day, clock.now())
            if self.calendar.is_working_day(day):
                for hour in self.hours:
                    self._remind(day, self._at(day, time(hour)))
            day += timedelta(days=1)
        states, _ = self._snapshot()
        self.decider.dead_ends(states)
        stalls = stall_lines(self.definition, self.decider.stuck, self.units, self.decider.arrived)
        record = YearRecord(
            scenario=self.scenario,
            first_day=self.first_day,
            last_day=self.last_day,
            steps=self.steps,
            tasks=self.tasks,
            timeline=self.timeline.entries,
            sent=self.sent,
            problems=self.problems,
            runs=self.runs,
            stalls=stalls,
        )
        return build_report(self.programme, self.view, record)

    # --- enrolment and decisions --------------------------------------------------------

    def _enrol(self, day: date) -> None:
        late = {id(p) for points in self.late.values() for p in points}
        rows = self.programme.app.enrol([p for p in self.points if id(p) not in late])
        self.units = {row.point_id: row.unit_id for row in rows}
        self.order = {p: i for i, p in enumerate(self.units)}
        units = len({r.unit_id for r in rows})
        self.say(day, f"登记{self._item} {len(rows)} 个（{units} 个单位提出）")
        self.planned = plan_submissions(
            self.definition, self.view, self.scenario, self.steps, self.units
        )

    def _enrol_late(self, day: date, screen_day: date, approve_day: date) -> None:
        """A unit of ``late_enrolment`` enrols its points: they owe every later step from
        now on, screened and approved on the working days after if that was done already."""
        rows = self.programme.app.enrol(self.late[day])
        new = {row.point_id: row.unit_id for row in rows}
        self.units.update(new)
        self.order = {p: i for i, p in enumerate(self.units)}
        planned = plan_submissions(self.definition, self.view, self.scenario, self.steps, new)
        for step, points in planned.items():
            self.planned[step].update(points)
        for unit in dict.fromkeys(new.values()):
            task = self.definition.programme.points.enrolment.task
            due = self.view.due_of(task) if task else None
            late = f"，登记期限 {month_day(due)}，逾期登记" if due and day > due else ""
            count = sum(1 for u in new.values() if u == unit)
            self.say(day, f"{self.index.body_label(unit)} 登记{self._item} {count} 个{late}")
        screened = screen_day
        if self.decider.has("screen") and screen_day < day:  # its day has passed: catch up
            screened = self.calendar.next_working_day(day, inclusive=False)
            self.catch_up[screened].append("screen")
        if self.decider.has("approve") and approve_day <= screened:
            self.catch_up[self.calendar.next_working_day(screened, inclusive=False)].append(
                "approve"
            )

    def _decide(self, day: date, when: When) -> None:
        if not self.decider.has(when):
            return
        states, _ = self._snapshot()
        self.decider.decide(day, when, states)

    def _decide_on(self, day: date, entry: Decision, where: Where) -> None:
        self.decider.decide_on(day, entry, where, self._state_of(entry.point))

    # --- submissions -------------------------------------------------------------------

    def _draft(self, day: date, by: str, label: str, points: Sequence[str]) -> Path:
        """A small text file standing in for the document a unit sends."""
        self.documents += 1
        name = self.index.body_label(by)
        lines = [f"（演练）{name} {label} 报送材料", f"日期：{day.isoformat()}"]
        if points:
            lines.append(f"{self._item}：{'、'.join(points)}")
        path = self.drafts / f"{self.documents:04d}-{by}.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def _submit_due(self, day: date) -> None:
        """Every planned submission due by ``day`` whose point waits for its step."""
        final = self.index.final_states
        for step in self.steps:
            planned = self.planned[step.trigger]
            due_now = [(point, plan) for point, plan in planned.items() if plan.day <= day]
            if not due_now:
                continue
            states, overrides = self._snapshot()
            # Read before submitting: a resubmission ends the 整改期限 it answers.
            rectifying = self._rectified() if self.returns else frozenset()
            sources = set(self.index.sources_of(step))
            groups: dict[str, list[str]] = defaultdict(list)
            plans: dict[str, list[Planned]] = defaultdict(list)
            for point, plan in due_now:
                state = states.get(point)
                if state in final:  # withdrawn, not accepted, concluded: never waits again
                    del planned[point]
                    continue
                if state not in sources:
                    continue
                actor = actor_for(self.index, step, self.units[point])
                if actor is None:
                    why = no_actor_reason(self.index, step, self.units[point])
                    self.decider.stuck[point] = Stuck(state, step, why)
                    continue
                groups[actor].append(point)
                plans[actor].append(plan)
                del planned[point]
            plain: list[tuple[str, list[str]]] = []
            for actor, points in groups.items():
                points.sort(key=self.order.__getitem__)
                where = next((p.where for p in plans[actor] if p.where is not None), None)
                file = self._draft(day, actor, step.document or step.label, points)
                with scenario_action(where, day, self._item):
                    events = self.programme.app.submit(actor, step.task_id, file, points)
                self.decider.moved(day, events)
                notes = submission_notes(
                    day,
                    step,
                    points,
                    overrides,
                    self._due(step),
                    (p.note for p in plans[actor]),
                    rectifying,
                )
                if notes or step.actor != OWNER:
                    self.say(day, submission_text(self.index, step, actor, points, notes))
                else:
                    plain.append((actor, points))
            if len(plain) > _COLLAPSE:
                count = sum(len(points) for _, points in plain)
                self.say(day, f"{len(plain)} 个单位{step.label}（{count} 个{self._item}）")
            else:
                for actor, points in plain:
                    self.say(day, submission_text(self.index, step, actor, points, []))

    def _submit_undated(self, day: date) -> None:
        """Document steps without a deadline: each on the working day after it is owed."""
        if not self.undated:
            return
        states, _ = self._snapshot()
        arrived = self.decider.arrived
        groups: dict[tuple[str, str], list[str]] = defaultdict(list)
        for point, unit in self.units.items():
            state = states.get(point)
            if state is None or day <= arrived.get(point, date.min):
                continue
            if self.index.pending_step(state) is not None:
                continue  # a step with a deadline is owed first
            step = next((t for t in self.undated if state in self.index.sources_of(t)), None)
            if step is None:
                continue
            actor = actor_for(self.index, step, unit)
            if actor is None:
                why = no_actor_reason(self.index, step, unit)
                self.decider.stuck[point] = Stuck(state, step, why)
                continue
            groups[(step.trigger, actor)].append(point)
        for (trigger, actor), points in groups.items():
            step = self.index.transitions[trigger]
            file = self._draft(day, actor, step.document or step.label, points)
            events = self.programme.app.submit(actor, step.task_id, file, points)
            self.decider.moved(day, events)
            self.say(day, submission_text(self.index, step, actor, points, []))

    def _due(self, step: Transition) -> date:
        due = self.view.due_of(step.trigger)
        assert due is not None
        return due

    # --- the scenario's dated actions ----------------------------------------------------

    def _withdraw(self, day: date, w: Withdrawal, where: Where) -> None:
        transition = withdrawal_of(self.definition)
        assert transition is not None  # checked when the scenario was loaded
        actor = self.decider.actor_at(day, transition, w.point, where)
        with scenario_action(where, day, self._item):
            events = self.programme.app.decide(
                transition.task_id, [w.point], "accept", w.reason, actor=actor
            )
        self.decider.moved(day, events)
        who = decided_by(self.index, events)
        self.say(day, f"{who} 撤销{self._item} {w.point}（{w.reason}）")

    def _request_extension(self, day: date, e: Extension, where: Where) -> None:
        transition = extension_task(self.definition, "request")
        assert transition is not None  # checked when the scenario was loaded
        pending = self.index.pending_step(self._state_of(e.point) or "")
        if pending is None or pending.trigger != e.step:
            now = pending.label if pending else "没有有期限的事项"
            raise ScenarioError(
                [
                    where.diagnostic(
                        f"{day} 无法申请延期：{self._item} {e.point} 当时待办的是「{now}」，而不是「{e.task}」"
                    )
                ]
            )
        unit = self.units[e.point]
        file = self._draft(day, unit, transition.document or transition.label, [e.point])
        with scenario_action(where, day, self._item):
            self.programme.app.submit(unit, transition.task_id, file, [e.point])
        self.say(
            day,
            f"{self.index.body_label(unit)} 申请延期：{e.point}「{pending.label}」"
            f"（原期限 {month_day(self._due(pending))}，{e.reason}）",
        )

    def _grant_extension(self, day: date, e: Extension, where: Where) -> None:
        transition = extension_task(self.definition, "grant")
        assert transition is not None  # checked when the scenario was loaded
        assert transition.outcome is not None
        actor = self.decider.actor_at(day, transition, e.point, where)
        with scenario_action(where, day, self._item):
            events = self.programme.app.decide(
                transition.task_id,
                [e.point],
                transition.outcome,
                "同意延期",
                actor=actor,
                until=e.until,
            )
        submit = e.submit_on or self.calendar.working_days_before(
            e.until, self.scenario.default_lead_days
        )
        self.planned[e.step][e.point] = Planned(max(submit, day), where)
        who = decided_by(self.index, events)
        self.say(day, f"{who} 批准延期：{e.point} 新期限 {month_day(e.until)}")

    def _return(self, day: date, r: Return, where: Where) -> None:
        transition = return_of(self.definition, r.step)
        assert transition is not None  # checked when the scenario was loaded
        actor = self.decider.actor_at(day, transition, r.point, where)
        with scenario_action(where, day, self._item):
            events = self.programme.app.decide(
                transition.task_id, [r.point], "return", r.reason, actor=actor, until=r.until
            )
        self.decider.moved(day, events)
        self.decider.done(r.point, r.on)
        until = events[0].extras.get("until") if events else None
        rectify = date.fromisoformat(until) if isinstance(until, str) else None
        resubmit = r.resubmit_on
        if resubmit is None and rectify is not None:  # before the 整改期限, as usual
            lead = self.calendar.working_days_before(rectify, self.scenario.default_lead_days)
            resubmit = max(lead, self.calendar.next_working_day(day, inclusive=False))
        if resubmit is not None:
            self.planned[r.step][r.point] = Planned(resubmit, where, "退回后重报")
        else:
            self.planned[r.step].pop(r.point, None)
        who = decided_by(self.index, events)
        step = self.index.transitions[r.step]
        limit = f"，整改期限 {month_day(rectify)}" if rectify is not None else ""
        self.say(day, f"{who} 退回 {r.point} 的{step.document or step.label}（{r.reason}{limit}）")

    # --- programme-level tasks -----------------------------------------------------------

    def _run_tasks(self, day: date) -> None:
        for task in self.tasks:
            if task.done is not None or task.day > day:
                continue
            if task.day < day and not self.calendar.is_working_day(day):
                continue  # a postponed task is tried again on working days
            self._do_task(day, task)

    def _do_task(self, day: date, pending: PendingTask) -> None:
        task = self.index.tasks[pending.task]
        file = self._draft(day, pending.by, task.document or task.label, ())
        try:
            events = self.programme.app.submit(pending.by, task.id, file)
        except Refused as exc:
            pending.last_refusal = exc.worded(self._item).message
            return
        pending.done = day
        missing = events[0].extras.get("missing") if events else None
        text = f"{self.index.body_label(pending.by)} {task.label}"
        due = self.view.due_of(task.id)
        notes = []
        if due is not None and day > due:
            notes.append("逾期")
        if missing:
            notes.append(f"缺报 {len(missing)} 个单位")
        self.say(day, text + (f"（{'，'.join(notes)}）" if notes else ""))

    # --- reminders ---------------------------------------------------------------------

    def _remind(self, day: date, now: datetime) -> None:
        self.programme.clock.set(now)
        result = self.programme.runner.run(now)
        self.runs += 1
        self.sent.extend(result.sent)
        for problem in result.problems:
            self.problems.append(f"{day} {problem}")
            self.say(day, f"发送问题：{problem}")
        rules = self.programme.runner.rules
        rectifying: set[tuple[str, date]] = set()
        if result.sent and self.returns:
            _, overrides = self._snapshot()
            rectifying = {(step, overrides[(p, step)]) for p, step in self._rectified()}
        for line in reminder_lines(self.index, self.view, rules, result.sent, rectifying):
            self.say(day, line)
