"""The meaning of a programme: everything its shape cannot say.

Each check reads the frozen ``Programme`` and appends ``Diagnostic``s; none stops at the
first problem, so an administrator sees every problem of a file in one run. The checks:

- identifiers are unique, and every reference (bodies, groups, states, steps, policies,
  phases, source documents) resolves; groups do not contain themselves;
- the life cycle has one initial state, final states, every state reachable, no dead end
  except a final state, and each step's document/decision fields agree with its kind;
- every deadline phrase resolves in the programme year; no step is due before the step it
  follows; each phase covers its steps' deadlines (a warning where an amendment or a stated
  exception moved a step out of its phase); a due day that is not a working day is a warning;
- every quote is found word for word in the source document shipped beside the programme;
- reminder policies and notice templates are usable;
- actors, recipients and relations resolve (``engine.definition.checks_roles``);
- the runtime can run what is written (``engine.definition.checks_runnable``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

from engine.definition.checks_reports import report_problems
from engine.definition.checks_roles import per_point_only, role_problems
from engine.definition.checks_runnable import runnable_problems
from engine.definition.deadlines import DeadlineResolver, ResolvedDeadline, calendar_for
from engine.definition.index import ProgrammeIndex, Step
from engine.definition.paths import _MISSING, PathT, _lookup, _source_refs, _squeeze
from engine.definition.phrases import Conventions
from engine.definition.schema import (
    ANY_STATE,
    INSPECTOR,
    MAX_REMINDERS_BEFORE,
    CalendarSettings,
    Deadline,
    Programme,
    SourceRef,
)
from engine.definition.workcal import WorkCalendar, weekday_name
from engine.definition.yamlio import Marks
from engine.errors import CalendarError, Diagnostic, PhraseError

__all__ = ["check_programme"]


class _Checker:
    def __init__(self, programme: Programme, marks: Marks, folder: Path) -> None:
        self.p = programme
        self.item = programme.programme.item  # the programme's noun in messages: 任务
        self.marks = marks
        self.folder = folder
        self.index = ProgrammeIndex(programme)
        self.found: list[Diagnostic] = []
        # Calendar settings the resolver cannot use are reported here and left out, so that
        # the remaining checks still run (and the loader never sees a bare CalendarError).
        self.settings = self.usable_settings(programme.programme.calendar)
        self.resolver = DeadlineResolver(self.settings, programme.programme.year)
        self.resolved: dict[str, ResolvedDeadline] = {}

    def usable_settings(self, settings: CalendarSettings) -> CalendarSettings:
        base: PathT = ("programme", "calendar")
        try:
            calendar_for(settings)
        except CalendarError as exc:
            for i, h in enumerate(settings.holidays):
                try:
                    WorkCalendar(holiday_spans={(h.first.year, h.key): (h.first, h.last)})
                except CalendarError as one:
                    self.error((*base, "holidays", i), one.message)
                    break
            else:
                self.error((*base, "workdays"), exc.message)
            settings = settings.model_copy(update={"holidays": (), "workdays": ()})
        if settings.midyear is not None:
            try:
                Conventions(midyear=settings.midyear)
            except (PhraseError, CalendarError) as exc:
                self.error((*base, "midyear"), exc.message)
                settings = settings.model_copy(update={"midyear": None})
        return settings

    def error(self, path: PathT, message: str, *, key: bool = False) -> None:
        self.found.append(self.marks.diagnostic(path, message, key=key))

    def warn(self, path: PathT, message: str) -> None:
        self.found.append(self.marks.diagnostic(path, message, severity="warning"))

    # --- identifiers and references ----------------------------------------------------

    def unique(self, what: str, items: Iterable[tuple[str, PathT]]) -> None:
        seen: dict[str, PathT] = {}
        for ident, path in items:
            if ident in seen:
                line, _ = self.marks.at(seen[ident])
                self.error(path, f"{what} {ident} 重复定义（第 {line} 行已定义）")
            else:
                seen[ident] = path

    def check_identifiers(self) -> None:
        p = self.p
        self.unique(
            "单位或组",
            [(b.id, ("bodies", i, "id")) for i, b in enumerate(p.bodies)]
            + [(g.id, ("groups", i, "id")) for i, g in enumerate(p.groups)],
        )
        self.unique(
            "检查组",
            [(g.id, ("inspection_groups", i, "id")) for i, g in enumerate(p.inspection_groups)],
        )
        self.unique("阶段", [(x.id, ("phases", i, "id")) for i, x in enumerate(p.phases)])
        self.unique(
            "状态", [(s.id, ("points", "states", i, "id")) for i, s in enumerate(p.points.states)]
        )
        self.unique(
            "触发名",
            [
                (t.trigger, ("points", "transitions", i, "trigger"))
                for i, t in enumerate(p.points.transitions)
            ],
        )
        self.unique(
            "事项",
            [(t.id, ("tasks", i, "id")) for i, t in enumerate(p.tasks)],
        )
        task_names = {t.task_id for t in p.points.transitions}
        task_names |= {t.trigger for t in p.points.transitions}
        for i, task in enumerate(p.tasks):
            if task.id in task_names:
                self.error(
                    ("tasks", i, "id"), f"事项 {task.id} 与{self.item}事项同名，命令行无法区分"
                )
        self.unique(
            "提醒规则",
            [(r.id, ("reminder_policies", i, "id")) for i, r in enumerate(p.reminder_policies)],
        )
        self.unique(
            "文件",
            [
                (d.id, ("programme", "documents", i, "id"))
                for i, d in enumerate(p.programme.documents)
            ],
        )

    def body(self, path: PathT, ident: str) -> None:
        if ident not in self.index.bodies:
            self.error(path, f"未定义的单位 {ident}（请在 bodies 中定义）")

    def body_or_group(self, path: PathT, ident: str) -> None:
        if ident not in self.index.bodies and ident not in self.index.groups:
            role = per_point_only(self.index, ident)
            self.error(path, role or f"未定义的单位或组 {ident}（请在 bodies 或 groups 中定义）")

    def document_ref(self, path: PathT, ref: SourceRef) -> None:
        if ref.document not in self.index.documents:
            known = "、".join(self.index.documents) or "（无）"
            self.error((*path, "document"), f"未定义的出处文件 {ref.document}（已定义：{known}）")

    def check_references(self) -> None:
        p = self.p
        header = p.programme
        self.body(("programme", "issuer"), header.issuer)
        for i, doc in enumerate(header.documents):
            self.body(("programme", "documents", i, "issuer"), doc.issuer)
        for i, contact in enumerate(header.contacts):
            self.body(("programme", "contacts", i, "body"), contact.body)
        for i, group in enumerate(p.groups):
            for j, member in enumerate(group.members):
                self.body_or_group(("groups", i, "members", j), member)
            if group.source:
                self.document_ref(("groups", i, "source"), group.source)
        self.check_group_cycles()
        for i, ig in enumerate(p.inspection_groups):
            self.body(("inspection_groups", i, "lead"), ig.lead)
            for j, member in enumerate(ig.inspects):
                self.body_or_group(("inspection_groups", i, "inspects", j), member)
            for j, member in enumerate(ig.members):
                self.body_or_group(("inspection_groups", i, "members", j), member)
        if p.working_group:
            self.body(("working_group", "daily_work"), p.working_group.daily_work)
            for j, member in enumerate(p.working_group.members):
                self.body_or_group(("working_group", "members", j), member)
            if p.working_group.source:
                self.document_ref(("working_group", "source"), p.working_group.source)
        for i, phase in enumerate(p.phases):
            self.document_ref(("phases", i, "source"), phase.source)
        enrolment = p.points.enrolment
        for j, member in enumerate(enrolment.proposers):
            self.body_or_group(("points", "enrolment", "proposers", j), member)
        self.document_ref(("points", "enrolment", "source"), enrolment.source)
        if enrolment.min_per_unit > enrolment.max_per_unit:
            self.error(
                ("points", "enrolment", "min_per_unit"),
                f"每个单位至少 {enrolment.min_per_unit} 个，多于至多的 {enrolment.max_per_unit} 个",
            )
        if enrolment.task is not None:
            task = self.index.tasks.get(enrolment.task)
            if task is None:
                self.error(("points", "enrolment", "task"), f"未定义的事项 {enrolment.task}")
            elif task.level != "unit":
                self.error(
                    ("points", "enrolment", "task"),
                    f"事项 {enrolment.task} 须为单位事项（level: unit），登记{self.item}才能完成它",
                )
        for i, policy in enumerate(p.reminder_policies):
            for j, ident in enumerate(policy.cc):
                self.body_or_group(("reminder_policies", i, "cc", j), ident)
            if len(set(policy.before)) != len(policy.before):
                self.error(("reminder_policies", i, "before"), "提醒日重复")
            elif len(policy.before) > MAX_REMINDERS_BEFORE:
                self.error(
                    ("reminder_policies", i, "before"),
                    f"提醒日有 {len(policy.before)} 个，至多 {MAX_REMINDERS_BEFORE} 个",
                )
            for j, days in enumerate(policy.before):
                if days < 0:
                    self.error(("reminder_policies", i, "before", j), f"提醒日 {days} 不能为负数")

    def check_group_cycles(self) -> None:
        for i, group in enumerate(self.p.groups):
            seen: set[str] = set()
            queue = deque(group.members)
            while queue:
                name = queue.popleft()
                if name == group.id:
                    self.error(("groups", i, "members"), f"组 {group.id} 直接或间接包含了它自己")
                    break
                if name in seen or name not in self.index.groups:
                    continue
                seen.add(name)
                queue.extend(self.index.groups[name].members)

    # --- the life cycle ----------------------------------------------------------------

    def check_lifecycle(self) -> None:
        p = self.p
        states = self.index.states
        initial = [i for i, s in enumerate(p.points.states) if s.initial]
        if not initial:
            self.error(("points", "states"), "没有初始状态：请在一个状态上写 initial: true")
        for i in initial[1:]:
            self.error(
                ("points", "states", i, "initial"),
                f"初始状态只能有一个（{p.points.states[initial[0]].id} 已是初始状态）",
            )
        if not any(s.final for s in p.points.states):
            self.error(("points", "states"), "没有终止状态：请至少在一个状态上写 final: true")
        for i, s in enumerate(p.points.states):
            if s.initial and s.final:
                self.error(("points", "states", i), f"状态 {s.id} 不能既是初始状态又是终止状态")
        for i, t in enumerate(p.points.transitions):
            base: PathT = ("points", "transitions", i)
            for j, src in enumerate(t.source):
                if src != ANY_STATE and src not in states:
                    self.error((*base, "source", j), f"未定义的状态 {src}")
                elif src in states and states[src].final:
                    self.error((*base, "source", j), f"状态 {src} 是终止状态，不能再从它出发")
            if t.dest is not None and t.dest not in states:
                self.error((*base, "dest"), f"未定义的状态 {t.dest}")
            if t.dest is None and t.extension is None:
                self.error((*base, "dest"), f"{t.trigger} 没有目标状态：只有延期事项可以不改变状态")
            if t.actor == INSPECTOR and not p.inspection_groups:
                self.error((*base, "actor"), "actor 为 inspector，但方案没有定义检查组")
            elif t.actor == INSPECTOR:
                for unit in self.index.proposers:
                    if unit not in self.index.inspector_of:
                        self.error(
                            (*base, "actor"),
                            f"actor 为 inspector，但提出{self.item}的单位 {unit}"
                            f"（{self.index.body_label(unit)}）不在任何检查组的检查范围内"
                            f"（请在 inspection_groups 的 inspects 中列出）",
                        )
            if t.takes == "decision" and t.outcome is None:
                self.error(
                    (*base, "takes"),
                    f"{t.trigger} 由决定触发，须写明 outcome（accept/reject/return）",
                )
            if t.takes == "document" and t.outcome is not None:
                self.error((*base, "outcome"), f"{t.trigger} 由文件触发，不应写 outcome")
            if t.takes == "document" and t.document is None:
                self.error(
                    (*base, "takes"), f"{t.trigger} 由文件触发，须写明报送的文件（document）"
                )
            if t.extension == "request" and t.takes != "document":
                self.error((*base, "extension"), "延期申请须由文件（申请书）触发")
            if t.extension in ("grant", "refuse") and t.takes != "decision":
                self.error((*base, "extension"), "批准或不批准延期须由决定触发")
            if t.reminders is not None and t.reminders not in self.index.policies:
                self.error((*base, "reminders"), f"未定义的提醒规则 {t.reminders}")
            if t.reminders is not None and t.deadline is None:
                self.error((*base, "reminders"), f"{t.trigger} 没有时限，无法按提醒规则提醒")
            if t.source_clause is not None:
                self.document_ref((*base, "source_clause"), t.source_clause)
        self.check_ambiguity()
        if initial:
            self.check_reachability(p.points.states[initial[0]].id)

    def check_ambiguity(self) -> None:
        seen: dict[tuple[str, str, str | None, str], int] = {}
        for i, t in enumerate(self.p.points.transitions):
            for src in self.index.sources_of(t):
                key = (t.task_id, t.takes, t.outcome, src)
                if key in seen:
                    other = self.p.points.transitions[seen[key]].trigger
                    self.error(
                        ("points", "transitions", i, "source"),
                        f"{t.trigger} 与 {other} 在状态 {src} 下是同一事项的同一结果，无法区分",
                    )
                else:
                    seen[key] = i

    def check_reachability(self, initial: str) -> None:
        reached = {initial}
        queue = deque([initial])
        while queue:
            state = queue.popleft()
            for t in self.index.transitions_from(state):
                if t.dest is not None and t.dest in self.index.states and t.dest not in reached:
                    reached.add(t.dest)
                    queue.append(t.dest)
        for i, s in enumerate(self.p.points.states):
            path: PathT = ("points", "states", i, "id")
            if s.id not in reached:
                self.error(path, f"状态 {s.id}（{s.label}）从初始状态无法到达")
            if not s.final:
                leaving = [
                    t for t in self.index.transitions_from(s.id) if t.dest not in (None, s.id)
                ]
                if not leaving:
                    self.error(path, f"状态 {s.id}（{s.label}）不是终止状态，却没有离开它的事项")

    # --- tasks -------------------------------------------------------------------------

    def check_tasks(self) -> None:
        known = set(self.index.tasks) | set(self.index.transitions) | set(self.index.point_tasks)
        for i, task in enumerate(self.p.tasks):
            base: PathT = ("tasks", i)
            for j, r in enumerate(task.responsible):
                self.body_or_group((*base, "responsible", j), r)
            if task.level == "programme" and len(self.index.expand(task.responsible)) > 1:
                if not all(r in self.index.bodies for r in task.responsible):
                    self.error(
                        (*base, "responsible"), "全省层面的事项应由具体单位负责，而不是一个组"
                    )
            for j, r in enumerate(task.recipients):
                self.body_or_group((*base, "recipients", j), r)
            for j, w in enumerate(task.waits_for):
                if w not in known:
                    self.error((*base, "waits_for", j), f"未定义的事项 {w}")
                elif w == task.id:
                    self.error((*base, "waits_for", j), f"事项 {task.id} 不能等待它自己")
            if task.reminders is not None and task.reminders not in self.index.policies:
                self.error((*base, "reminders"), f"未定义的提醒规则 {task.reminders}")
            if task.reminders is not None and task.deadline is None:
                self.error((*base, "reminders"), f"{task.id} 没有时限，无法按提醒规则提醒")
            if task.source_clause is not None:
                self.document_ref((*base, "source_clause"), task.source_clause)

    # --- deadlines, order, phases ------------------------------------------------------

    def resolve(self, path: PathT, deadline: Deadline) -> ResolvedDeadline | None:
        ok = True
        phrases: list[tuple[PathT, str]] = [((*path, "phrase"), deadline.phrase)]
        if deadline.starts is not None:
            phrases.append(((*path, "starts"), deadline.starts))
        phrases += [
            ((*path, "amendments", j, "phrase"), a.phrase)
            for j, a in enumerate(deadline.amendments)
        ]
        for where, phrase in phrases:
            try:
                self.resolver.window(phrase)
            except (PhraseError, CalendarError) as exc:
                self.error(where, exc.message)
                ok = False
        self.document_ref((*path, "source"), deadline.source)
        for j, a in enumerate(deadline.amendments):
            self.document_ref((*path, "amendments", j, "source"), a.source)
        if not ok:
            return None
        resolved = self.resolver.deadline(deadline)
        year = self.p.programme.year
        if resolved.first > resolved.due:
            self.error((*path, "starts"), f"开始时间 {resolved.first} 晚于到期日 {resolved.due}")
        if resolved.due.year != year:
            self.error((*path, "phrase"), f"到期日 {resolved.due} 不在方案年度 {year} 年内")
        self.check_amendment_order(path, deadline)
        if deadline.amendments:
            last = deadline.amendments[-1]
            self.warn(
                (*path, "amendments", len(deadline.amendments) - 1, "phrase"),
                f"时限已改定：原定「{deadline.phrase}」（{resolved.original_due}），"
                f"以 {last.source.document} 的「{last.phrase}」（{resolved.due}）为准",
            )
        if not resolved.is_working_day:
            self.warn(
                (*path, "phrase"),
                f"到期日 {resolved.due}（{weekday_name(resolved.due)}）不是工作日，"
                f"此前最后一个工作日为 {resolved.last_working_day}",
            )
        return resolved

    def check_amendment_order(self, path: PathT, deadline: Deadline) -> None:
        order = {d.id: i for i, d in enumerate(self.p.programme.documents)}
        previous = order.get(deadline.source.document)
        for j, a in enumerate(deadline.amendments):
            current = order.get(a.source.document)
            if previous is not None and current is not None and current < previous:
                self.error(
                    (*path, "amendments", j, "source", "document"),
                    f"改定时限的文件 {a.source.document} 早于被改定的文件，后发文件才能改定先发文件",
                )
            previous = current if current is not None else previous

    def check_deadlines(self) -> None:
        steps = list(self.index.steps())
        for step in steps:
            if step.deadline is not None:
                resolved = self.resolve((*step.path, "deadline"), step.deadline)
                if resolved is not None:
                    self.resolved[step.id] = resolved
        self.check_order()
        self.check_phases(steps)

    def following(self, trigger: str) -> list[str]:
        """Steps with deadlines that come after ``trigger``, looking through steps without one."""
        start = self.index.transitions[trigger]
        found: list[str] = []
        seen: set[str] = set()
        queue = deque([start.dest] if start.dest else [])
        while queue:
            state = queue.popleft()
            if state in seen:
                continue
            seen.add(state)
            for t in self.index.transitions_from(state):
                if t.trigger == trigger or (t.takes == "decision" and t.outcome == "return"):
                    continue
                if t.deadline is not None and t.extension is None:
                    found.append(t.trigger)
                elif t.dest:
                    queue.append(t.dest)
        return found

    def check_order(self) -> None:
        for t in self.p.points.transitions:
            if t.trigger not in self.resolved or t.extension is not None:
                continue
            due = self.resolved[t.trigger].due
            for later in self.following(t.trigger):
                if later in self.resolved and self.resolved[later].due < due:
                    j = next(
                        k for k, x in enumerate(self.p.points.transitions) if x.trigger == later
                    )
                    self.error(
                        ("points", "transitions", j, "deadline", "phrase"),
                        f"{later} 的到期日 {self.resolved[later].due} 早于它之前的一步 "
                        f"{t.trigger} 的到期日 {due}",
                    )
        for i, task in enumerate(self.p.tasks):
            if task.id not in self.resolved:
                continue
            for w in task.waits_for:
                waited = self.resolved.get(w) or self._task_due(w)
                if waited is not None and self.resolved[task.id].due < waited.due:
                    self.error(
                        ("tasks", i, "deadline", "phrase"),
                        f"{task.id} 的到期日 {self.resolved[task.id].due} 早于它所等待的 "
                        f"{w} 的到期日 {waited.due}",
                    )

    def _task_due(self, name: str) -> ResolvedDeadline | None:
        for t in self.index.point_tasks.get(name, []):
            if t.trigger in self.resolved:
                return self.resolved[t.trigger]
        return None

    def check_phases(self, steps: list[Step]) -> None:
        windows: dict[str, tuple[date, date]] = {}
        for i, phase in enumerate(self.p.phases):
            try:
                w = self.resolver.window(phase.window)
                windows[phase.id] = (w.first, w.due)
            except (PhraseError, CalendarError) as exc:
                self.error(("phases", i, "window"), exc.message)
        for step in steps:
            if step.phase is None:
                continue
            if step.phase not in {ph.id for ph in self.p.phases}:
                self.error((*step.path, "phase"), f"未定义的阶段 {step.phase}")
                continue
            resolved = self.resolved.get(step.id)
            if resolved is None or step.phase not in windows:
                continue
            first, last = windows[step.phase]
            if first <= resolved.due <= last:
                continue
            where = (
                f"{step.id} 的到期日 {resolved.due} 不在所属阶段 {step.phase}（{first}～{last}）内"
            )
            original = resolved.original_due
            if original is not None and first <= original <= last:
                self.warn(
                    (*step.path, "deadline"), f"{where}：原定时限在阶段内，由后发文件改定移出"
                )
            elif step.phase_exception:
                self.warn((*step.path, "phase"), f"{where}：{step.phase_exception}")
            else:
                self.error(
                    (*step.path, "deadline"),
                    f"{where}；如原文如此，请在 phase_exception 中说明",
                )

    # --- quotes and the calendar -------------------------------------------------------

    def check_quotes(self) -> None:
        texts: dict[str, str | None] = {}
        unreadable: set[str] = set()  # already reported once, at text_file
        for i, doc in enumerate(self.p.programme.documents):
            if doc.text_file is None:
                texts[doc.id] = None
                continue
            path = self.folder / doc.text_file
            try:
                texts[doc.id] = _squeeze(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                texts[doc.id] = None
                unreadable.add(doc.id)
                self.error(
                    ("programme", "documents", i, "text_file"),
                    f"无法读取原文文件 {path}：{exc.__class__.__name__}",
                )
        for where, ref in _source_refs(self.p):
            if ref.quote is None or ref.document not in texts or ref.document in unreadable:
                continue
            text = texts[ref.document]
            if text is None:
                self.error((*where, "quote"), f"出处文件 {ref.document} 没有原文文件，无法核对引语")
            elif _squeeze(ref.quote) not in text:
                self.error(
                    (*where, "quote"), f"引语「{ref.quote}」在出处文件 {ref.document} 中找不到"
                )

    def check_calendar(self) -> None:
        year = self.p.programme.year
        settings = self.settings
        if not self.resolver.calendar.has_official_data(year):
            self.warn(
                ("programme", "year"),
                f"节假日数据不含 {year} 年：按周一至周五工作，并加上 programme.calendar 中列出的"
                f"节假日（{len(settings.holidays)} 项）和调休上班日（{len(settings.workdays)} 项）",
            )
        if settings.midyear is not None:
            try:
                self.resolver.window(settings.midyear)
            except (PhraseError, CalendarError) as exc:
                self.error(("programme", "calendar", "midyear"), exc.message)

    def run(self) -> list[Diagnostic]:
        self.check_identifiers()
        self.check_references()
        self.check_lifecycle()
        self.check_tasks()
        self.found.extend(role_problems(self.p, self.marks, self.index))
        self.found.extend(runnable_problems(self.p, self.marks, self.index))
        self.check_calendar()
        self.check_deadlines()
        self.found.extend(report_problems(self.p, self.marks, self.index, self.resolver))
        self.check_quotes()
        self.check_unconfirmed()
        return self.found

    def check_unconfirmed(self) -> None:
        """Values an administrator still has to confirm: a warning each, at the value."""
        for i, dotted in enumerate(self.p.unconfirmed):
            path: PathT = tuple(int(x) if x.isdigit() else x for x in dotted.split("."))
            value = _lookup(self.p, path)
            if value is _MISSING:
                self.error(("unconfirmed", i), f"待确认的路径 {dotted} 在定义中不存在")
                continue
            self.warn(
                path,
                f"待确认：{dotted} 的值 {value} 须由管理员核对，核对后从 unconfirmed 中删去",
            )


Extra = Callable[[Programme, Marks, Path], list[Diagnostic]]


def check_programme(
    programme: Programme, marks: Marks, folder: Path, extra: Iterable[Extra] = ()
) -> list[Diagnostic]:
    """Every problem and warning of a programme whose shape is valid."""
    found = _Checker(programme, marks, folder).run()
    for check in extra:
        found.extend(check(programme, marks, folder))
    return found
