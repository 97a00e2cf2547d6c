"""What the runtime can run: definitions whose shape and references are sound but that
the engine would refuse, never remind, or never let finish.

``runnable_problems`` is one stage of the meaning checks (``engine.definition.checks`` calls
it); like them it reports every problem at its place and leaves alone what an earlier check
already reports (an undefined reference, a dead-end state), so that one broken rule gives one
error. The checks:

- a ``level: unit`` task is only the enrolment task: the engine completes a unit's task by its
  enrolling points and has no other way to (``submit`` refuses any other, ``remind`` skips
  it); the enrolment task's responsible bodies are the proposers the engine reminds;
- a programme task waits for nothing that can never be recorded as done: not the enrolment
  task (enrolling records points, not the task), not tasks that wait for one another;
- every reachable state can still reach a final state (no loop that never ends);
- an extension request leaves from a state that owes a step with a deadline, and a grant
  or refusal from a state a request leaves from (else each is refused every time);
- a ``rectify_within`` (整改期限) sits on a return decision only, is a phrase counted from the
  return day, and the state the return goes back to owes a step it can be the due day of;
- each unit is inspected by one inspection group (``actor: inspector`` names one lead);
- a reminder policy with ``cc`` copies from a 催报 stage it reaches.
"""

from __future__ import annotations

from collections import deque

from engine.definition.index import ProgrammeIndex
from engine.definition.paths import PathT
from engine.definition.periodic import rectify_period
from engine.definition.schema import Programme, Task
from engine.definition.yamlio import Marks
from engine.errors import Diagnostic, PhraseError

__all__ = ["runnable_problems"]


def runnable_problems(
    programme: Programme, marks: Marks, index: ProgrammeIndex
) -> list[Diagnostic]:
    """Every problem that would keep the runtime from running ``programme`` as written."""
    check = _Runnable(programme, marks, index)
    check.unit_tasks()
    check.waits()
    check.endings()
    check.extensions()
    check.rectifications()
    check.inspection()
    check.policies()
    return check.found


class _Runnable:
    def __init__(self, programme: Programme, marks: Marks, index: ProgrammeIndex) -> None:
        self.p = programme
        self.item = programme.programme.item  # the programme's noun in messages: 任务
        self.marks = marks
        self.index = index
        self.found: list[Diagnostic] = []

    def error(self, path: PathT, message: str) -> None:
        self.found.append(self.marks.diagnostic(path, message))

    def named(self, ids: list[str] | tuple[str, ...]) -> str:
        return "、".join(f"{b}（{self.index.body_label(b)}）" for b in ids)

    def _known(self, ids: tuple[str, ...]) -> bool:
        return all(i in self.index.bodies or i in self.index.groups for i in ids)

    # --- unit tasks --------------------------------------------------------------------

    def unit_tasks(self) -> None:
        enrolment = self.p.points.enrolment
        if enrolment.task is not None and enrolment.task not in self.index.tasks:
            return  # an undefined enrolment task: reported at points.enrolment.task
        for i, task in enumerate(self.p.tasks):
            if task.level != "unit":
                continue
            if task.id != enrolment.task:
                how = (
                    f"（本方案为 {enrolment.task}）"
                    if enrolment.task is not None
                    else "（本方案未在 points.enrolment.task 中指定）"
                )
                self.error(
                    ("tasks", i, "level"),
                    f"单位事项 {task.id}（{task.label}）无法办理：level: unit 只用于登记{self.item}即"
                    f"完成的事项{how}，报送命令不接受、也不会提醒这样的事项。每个{self.item}各报一次"
                    f"的材料，请写成 points.transitions 中 actor: owner、takes: document 的事项；"
                    f"由一个单位完成的，请写 level: programme",
                )
            elif self._known(task.responsible):
                proposers = self.index.proposers
                responsible = self.index.expand(task.responsible)
                if set(responsible) != set(proposers):
                    self.error(
                        ("tasks", i, "responsible"),
                        f"事项 {task.id}（{task.label}）由登记{self.item}完成，提醒发给提出{self.item}的单位"
                        f"（points.enrolment.proposers）；负责单位应与之相同，"
                        + self._difference(responsible, proposers),
                    )

    def _difference(self, responsible: list[str], proposers: list[str]) -> str:
        extra = [b for b in responsible if b not in proposers]
        missing = [b for b in proposers if b not in responsible]
        parts = []
        if extra:
            parts.append(f"多出 {self.named(extra)}")
        if missing:
            parts.append(f"缺少 {self.named(missing)}")
        return "，".join(parts) + "：请把 responsible 写成与 proposers 相同"

    # --- what programme tasks wait for -------------------------------------------------

    def waits(self) -> None:
        tasks = self.index.tasks
        enrolment_task = self.p.points.enrolment.task
        for i, task in enumerate(self.p.tasks):
            for j, name in enumerate(task.waits_for):
                waited = tasks.get(name)
                if waited is None or name == task.id:
                    continue  # a point task, or reported by the reference checks
                if waited.level == "unit" and name == enrolment_task:
                    self.error(
                        ("tasks", i, "waits_for", j),
                        f"事项 {task.id}（{task.label}）等待的 {name}（{waited.label}）由登记{self.item}"
                        f"完成，不会记作已办，{task.id} 将永远无法报送：请删去这一项"
                        f"（登记{self.item}之后的{self.item}事项可以等待）",
                    )
                elif waited.level == "programme" and task.level == "programme":
                    cycle = self._cycle(task, name)
                    if cycle:
                        chain = " → ".join([task.id, *cycle])
                        self.error(
                            ("tasks", i, "waits_for", j),
                            f"事项之间相互等待（{chain}），其中每一项都永远无法报送："
                            f"请删去其中一项等待",
                        )

    def _cycle(self, task: Task, first: str) -> list[str]:
        """The waits from ``first`` back to ``task`` (programme tasks only), if there are."""
        tasks = self.index.tasks
        previous: dict[str, str | None] = {first: None}
        queue = deque([first])
        while queue:
            name = queue.popleft()
            if name == task.id:
                path = [name]
                back = previous[name]
                while back is not None:
                    path.append(back)
                    back = previous[back]
                return list(reversed(path))
            waited = tasks.get(name)
            if waited is None or waited.level != "programme":
                continue
            for nxt in waited.waits_for:
                if nxt not in previous and nxt != name:
                    previous[nxt] = name
                    queue.append(nxt)
        return []

    # --- every state can end -----------------------------------------------------------

    def endings(self) -> None:
        states = self.index.states
        initial = [s.id for s in self.p.points.states if s.initial]
        if len(initial) != 1:
            return  # reported by the life-cycle checks
        moves: dict[str, set[str]] = {s: set() for s in states}
        for t in self.p.points.transitions:
            if t.dest is None:
                continue
            for src in self.index.sources_of(t):
                if src in moves and src != t.dest:
                    moves[src].add(t.dest)
        reached = {initial[0]}
        queue = deque(initial)
        while queue:
            for nxt in moves[queue.popleft()]:
                if nxt in states and nxt not in reached:
                    reached.add(nxt)
                    queue.append(nxt)
        # States that end: final ones, and those the life-cycle checks already report (a dead
        # end) or that lead to an undefined state (reported at the transition).
        ends = {s for s, st in states.items() if st.final or not moves[s]}
        ends |= {s for s, dests in moves.items() if any(d not in states for d in dests)}
        changed = True
        while changed:
            changed = False
            for s, dests in moves.items():
                if s not in ends and dests & ends:
                    ends.add(s)
                    changed = True
        finals = "、".join(f"{f.id}（{f.label}）" for f in self.p.points.states if f.final)
        for i, state in enumerate(self.p.points.states):
            if state.id in reached and state.id not in ends:
                self.error(
                    ("points", "states", i, "id"),
                    f"从状态 {state.id}（{state.label}）出发，无论办理哪些事项都到不了终止状态 {finals}："
                    f"处于该状态的{self.item}永远无法办结；请加一个通往终止状态的事项（如办结、撤销）",
                )

    # --- extensions -------------------------------------------------------------------

    def extensions(self) -> None:
        index = self.index
        requested = {
            s
            for t in self.p.points.transitions
            if t.extension == "request"
            for s in index.sources_of(t)
        }
        for i, t in enumerate(self.p.points.transitions):
            if t.extension is None:
                continue
            for j, src in enumerate(t.source):
                if src not in index.states or index.states[src].final:
                    continue  # reported by the life-cycle checks
                state = index.named_state(src)
                where = ("points", "transitions", i, "source", j)
                if t.extension == "request" and index.pending_step(src) is None:
                    self.error(
                        where,
                        f"{t.trigger}（{t.label}）在状态 {src}（{state.label}）下无从办理："
                        f"该状态没有带时限的报送事项可以延期；请从 source 中删去 {src}",
                    )
                elif t.extension in ("grant", "refuse") and src not in requested:
                    self.error(
                        where,
                        f"{t.trigger}（{t.label}）在状态 {src}（{state.label}）下无从办理："
                        f"没有从该状态提出的延期申请（extension: request）；请加上延期申请事项，"
                        f"或从 source 中删去 {src}",
                    )

    # --- rectification deadlines --------------------------------------------------------

    def rectifications(self) -> None:
        index = self.index
        for i, t in enumerate(self.p.points.transitions):
            if t.rectify_within is None:
                continue
            where = ("points", "transitions", i, "rectify_within")
            if t.takes != "decision" or t.outcome != "return":
                self.error(
                    where,
                    f"{t.trigger}（{t.label}）不是退回的决定（outcome: return），不能规定整改期限"
                    "：请删去 rectify_within，或写在退回的事项上",
                )
                continue
            try:
                rectify_period(t.rectify_within)
            except PhraseError as exc:
                self.error(where, f"{exc}；请改写 rectify_within")
                continue
            if t.dest is not None and t.dest in index.states and index.pending_step(t.dest) is None:
                self.error(
                    where,
                    f"{t.trigger}（{t.label}）退回到的状态 {t.dest}"
                    f"（{index.named_state(t.dest).label}）没有需要重新报送的事项，整改期限无从适用"
                    "：请删去 rectify_within",
                )

    # --- inspection groups -------------------------------------------------------------

    def inspection(self) -> None:
        by: dict[str, int] = {}
        groups = self.p.inspection_groups
        for i, group in enumerate(groups):
            for j, member in enumerate(group.inspects):
                units = self.index.expand([member])
                taken = [u for u in units if by.get(u, i) != i]
                if taken:
                    others = "、".join(
                        dict.fromkeys(f"{groups[by[u]].id}（{groups[by[u]].label}）" for u in taken)
                    )
                    self.error(
                        ("inspection_groups", i, "inspects", j),
                        f"单位 {self.named(taken)}已在 {others}的检查范围内，"
                        f"又列在 {group.id}（{group.label}）中：一个单位只能由一个检查组检查"
                        f"（actor: inspector 只认一个组长单位），请只保留一处",
                    )
                for u in units:
                    by.setdefault(u, i)

    # --- reminder policies -------------------------------------------------------------

    def policies(self) -> None:
        for i, policy in enumerate(self.p.reminder_policies):
            if not policy.cc or not self._known(policy.cc):
                continue
            if policy.copy_from_stage > policy.overdue_times:
                times = (
                    f"至多催报 {policy.overdue_times} 次"
                    if policy.overdue_times
                    else "不催报（overdue_times: 0）"
                )
                self.error(
                    ("reminder_policies", i, "copy_from_stage"),
                    f"提醒规则 {policy.id}（{policy.label}）从第 {policy.copy_from_stage} 次催报起"
                    f"抄送，但{times}：cc 中的 {self.named(self.index.expand(policy.cc))}"
                    f"永远收不到抄送；请把 copy_from_stage 改为不大于 overdue_times，或删去 cc",
                )
