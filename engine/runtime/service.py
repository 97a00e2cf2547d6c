"""Running a programme: enrol points, record submissions and decisions, migrate, report.

``Runtime(definition, store, clock)`` is what every command that changes the store goes
through. Each public method is one store transaction: it checks everything first (the
point's state, the actor, the document or decision), then writes the points' new states
and the events together, or raises ``Refused`` and leaves the store as it was.

A programme is pinned to the manifest of the definition its points were enrolled under (its
content, notice templates and source texts: ``engine.runtime.pinning``); a change is refused
(``DefinitionChanged``) until ``migrate`` records it as an event.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from engine.clock import Clock, aware
from engine.definition.loader import Definition
from engine.definition.schema import INSPECTOR, OWNER, Task, Transition
from engine.errors import Refused
from engine.runtime import pinning
from engine.runtime.documents import StoredDocument
from engine.runtime.machine import LifecycleMachine, MachineError
from engine.runtime.store import EventDraft, EventRow, PointRow, Store, Transaction

__all__ = ["ENROL", "MIGRATE", "NewPoint", "Runtime"]

#: Trigger names the engine itself writes into the trail.
ENROL = "enrol"
MIGRATE = "migrate-definition"

_OUTCOME_LABELS = {"accept": "同意", "reject": "不同意", "return": "退回"}


@dataclass(frozen=True, slots=True)
class NewPoint:
    unit: str
    title: str
    file: Path | None = None
    point_id: str | None = None


class Runtime:
    def __init__(self, definition: Definition, store: Store, clock: Clock) -> None:
        self.definition = definition
        self.index = definition.index
        self.store = store
        self.clock = clock
        self.pid = definition.id
        self._machine: LifecycleMachine | None = None

    @property
    def machine(self) -> LifecycleMachine:
        if self._machine is None:
            self._machine = LifecycleMachine(self.definition)
        return self._machine

    # --- pinning the definition --------------------------------------------------------

    def _pin(self, tx: Transaction) -> None:
        """Register the programme on first use; refuse a changed definition afterwards."""
        pinning.ensure_pinned(self.store, tx, self.definition, self.clock.now())

    def require_registered(self) -> None:
        """Refuse to report on a programme the store has never seen."""
        with self.store.transaction(readonly=True) as tx:
            if tx.get_programme(self.pid) is None:
                raise Refused(
                    f"存储库 {self.store.location} 中没有工作方案 {self.pid}："
                    f"请先用 docflow enrol 登记突破点，或用 --db 指定正确的存储库"
                )

    def check_pinned(self) -> None:
        """Raise ``DefinitionChanged`` if the store runs another version of the definition."""
        with self.store.transaction(readonly=True) as tx:
            pinning.ensure_pinned(self.store, tx, self.definition)

    def migrate(self, reason: str, actor: str | None = None) -> pinning.Migration | None:
        """Adopt the current definition for points already running; recorded as an event.

        The event records the pinned and the new manifest's hashes; the result names what
        changed. Nothing that makes the mail changed: nothing is recorded, ``None``.
        """
        if not reason.strip():
            raise Refused("迁移工作方案定义须说明理由（--reason）")
        with self.store.transaction() as tx:
            row = tx.get_programme(self.pid)
            if row is None:
                raise Refused(f"工作方案 {self.pid} 尚未在存储库中登记，无需迁移")
            pin = pinning.Pin.of(self.definition)
            changes = pinning.changes_since_pinned(self.store, tx, self.definition, row, pin)
            if not changes:
                pinning.ensure_pinned(self.store, tx, self.definition, self.clock.now())
                return None
            states = {p.state for p in tx.points(self.pid)}
            unknown = sorted(states - set(self.index.states))
            if unknown:
                raise Refused(
                    f"新定义中没有状态 {'、'.join(unknown)}，而已有突破点处于这些状态，无法迁移"
                )
            now = self.clock.now()
            (event,) = tx.append_events(
                [
                    EventDraft(
                        programme_id=self.pid,
                        trigger=MIGRATE,
                        actor=actor or self.definition.programme.programme.issuer,
                        reason=reason,
                        data={"from": row.definition_hash, "to": pin.sha256},
                    )
                ],
                now,
            )
            pinning.keep(self.store, tx, pin, now)
            tx.set_definition_hash(self.pid, pin.sha256)
            return pinning.Migration.of(event, changes)

    # --- enrolment ---------------------------------------------------------------------

    def enrol(self, points: Sequence[NewPoint], at: datetime | None = None) -> list[PointRow]:
        """Enrol points (a unit's proposals) in the initial state, all or none."""
        if not points:
            raise Refused("没有要登记的突破点")
        proposers = set(self.index.proposers)
        enrolment = self.definition.programme.points.enrolment
        for p in points:
            self._require_unit(p.unit)
            if p.unit not in proposers:
                raise Refused(
                    f"单位 {p.unit}（{self.index.body_label(p.unit)}）不是提出突破点的单位"
                )
            if not p.title.strip():
                raise Refused(f"单位 {p.unit} 的突破点没有名称（--title）")
        stored = {p.file: self._store_file(p.file) for p in points if p.file is not None}
        effective = self._effective(at)
        initial = self.index.initial_state
        with self.store.transaction() as tx:
            self._pin(tx)
            counts = Counter(
                {u: n for u, n in tx.count_points_by_unit(self.pid).items() if u in proposers}
            )
            existing_ids: set[str] = set()
            rows: list[PointRow] = []
            drafts: list[EventDraft] = []
            for p in points:
                counts[p.unit] += 1
                if counts[p.unit] > enrolment.max_per_unit:
                    raise Refused(
                        f"单位 {p.unit}（{self.index.body_label(p.unit)}）至多可提出 "
                        f"{enrolment.max_per_unit} 个突破点，登记后将有 {counts[p.unit]} 个"
                    )
                point_id = p.point_id or f"{p.unit}-{counts[p.unit]}"
                if point_id in existing_ids:
                    raise Refused(f"突破点编号 {point_id} 重复")
                existing_ids.add(point_id)
                rows.append(PointRow(self.pid, point_id, p.unit, p.title.strip(), initial))
                document = stored.get(p.file) if p.file is not None else None
                drafts.append(
                    EventDraft(
                        programme_id=self.pid,
                        trigger=ENROL,
                        actor=p.unit,
                        point_id=point_id,
                        unit_id=p.unit,
                        dest_state=initial,
                        document_sha256=document.sha256 if document else None,
                        data={"title": p.title.strip()},
                        effective_at=effective,
                    )
                )
            taken = tx.point_ids(self.pid, existing_ids)
            if taken:
                raise Refused(f"突破点编号 {'、'.join(sorted(taken))} 已存在")
            tx.ensure_units(self.pid, sorted({p.unit for p in points}))
            now = self.clock.now()
            for document in stored.values():
                tx.put_document(document, now)
            events = tx.append_events(drafts, now)
            # PointRow(...) directly: dataclasses.replace costs ~5 µs a row (100,000 points).
            rows = [
                PointRow(r.programme_id, r.point_id, r.unit_id, r.title, r.state, e.seq)
                for r, e in zip(rows, events, strict=True)
            ]
            tx.add_points(rows)
        return rows

    # --- submissions -------------------------------------------------------------------

    def submit(
        self,
        unit: str,
        task: str,
        file: Path,
        points: Sequence[str] = (),
        at: datetime | None = None,
    ) -> list[EventRow]:
        """Record a document from ``unit`` for ``task``; it covers the unit's waiting points."""
        self._require_unit(unit)
        effective = self._effective(at)
        if task in self.index.tasks:
            if points:
                raise Refused(
                    f"「{self.index.tasks[task].label}」是全省层面事项，不针对单个突破点，"
                    f"不能用 --point 指明突破点"
                )
            document = self._store_file(file)
            return self._submit_task(unit, self.index.tasks[task], document, effective)
        transitions = [t for t in self.index.point_tasks.get(task, []) if t.takes == "document"]
        if not transitions:
            raise Refused(self._unknown_task(task, "document"))
        document = self._store_file(file)
        with self.store.transaction() as tx:
            self._pin(tx)
            targets = self._targets(tx, unit, task, transitions, points)
            self._refuse_duplicate(tx, unit, task, document, targets)
            drafts = []
            states: dict[str, str] = {}
            overrides = {(o.point_id, o.step): o.due for o in tx.deadline_overrides(self.pid)}
            for point, transition in targets:
                data: dict[str, Any] | None = None
                if transition.extension == "request":
                    data = self._extension_request(point, overrides, effective)
                move = self._fire(transition, point)
                states[point.point_id] = move.dest
                drafts.append(
                    self._draft(
                        transition,
                        point,
                        unit,
                        move.source,
                        move.dest,
                        effective,
                        document=document,
                        data=data,
                    )
                )
            now = self.clock.now()
            tx.put_document(document, now)
            tx.set_states(self.pid, states)
            return tx.append_events(drafts, now)

    def _targets(
        self,
        tx: Transaction,
        unit: str,
        task: str,
        transitions: list[Transition],
        named: Sequence[str],
    ) -> list[tuple[PointRow, Transition]]:
        """The points a unit's document covers, each with the transition it fires."""
        label = transitions[0].label
        allowed_points = self._points_for_actor(tx, unit, transitions[0])
        if named:
            allowed_ids = {p.point_id for p in allowed_points}
            chosen = []
            for point_id in dict.fromkeys(named):
                point = tx.get_point(self.pid, point_id)
                if point is None:
                    raise Refused(f"未登记的突破点 {point_id}")
                if point.point_id not in allowed_ids:
                    raise Refused(
                        f"单位 {unit}（{self.index.body_label(unit)}）无权就突破点 {point_id}"
                        f"（{point.title}，属 {self.index.body_label(point.unit_id)}）报送「{label}」"
                    )
                transition = self._transition_for(transitions, point.state)
                if transition is None:
                    raise Refused(self._wrong_state(point, task, transitions))
                chosen.append((point, transition))
            return chosen
        chosen = []
        for point in allowed_points:
            transition = self._transition_for(transitions, point.state)
            if transition is not None:
                chosen.append((point, transition))
        if not chosen:
            if not allowed_points:
                raise Refused(
                    f"单位 {unit}（{self.index.body_label(unit)}）没有可报送「{label}」的突破点"
                )
            states = "；".join(
                f"{p.point_id} {self.index.states[p.state].label if p.state in self.index.states else p.state}"
                for p in allowed_points
            )
            raise Refused(
                f"单位 {unit}（{self.index.body_label(unit)}）没有等待「{label}」的突破点"
                f"（已报送过，或尚未到这一步）。各突破点当前状态：{states}"
            )
        return chosen

    def _points_for_actor(self, tx: Transaction, unit: str, t: Transition) -> list[PointRow]:
        if t.actor == OWNER:
            return tx.points(self.pid, unit=unit)
        if t.actor == INSPECTOR:
            inspected = {u for u, lead in self.index.inspector_of.items() if lead == unit}
            if not inspected:
                raise Refused(
                    f"单位 {unit}（{self.index.body_label(unit)}）不是检查组组长单位，"
                    f"无权报送「{t.label}」"
                )
            return tx.points(self.pid, units=inspected)
        if unit not in self.index.expand([t.actor]):
            raise Refused(
                f"「{t.label}」应由 {self.index.body_label(t.actor)} 报送，"
                f"单位 {unit}（{self.index.body_label(unit)}）无权报送"
            )
        return tx.points(self.pid)

    def _refuse_duplicate(
        self,
        tx: Transaction,
        unit: str,
        task: str,
        document: StoredDocument,
        targets: list[tuple[PointRow, Transition]],
    ) -> None:
        triggers = {t.trigger for _, t in targets}
        ids = {p.point_id for p, _ in targets}
        for event in tx.events_with_document(self.pid, document.sha256):
            if event.trigger in triggers and event.point_id in ids:
                raise Refused(
                    f"重复报送：该文件（sha256 {document.sha256[:12]}）已于 {event.recorded_at} "
                    f"就突破点 {event.point_id} 报送过「{self.index.transitions[event.trigger].label}」"
                    f"（留痕第 {event.seq} 条）"
                )

    def _submit_task(
        self, unit: str, task: Task, document: StoredDocument, effective: datetime | None
    ) -> list[EventRow]:
        if task.level == "unit":
            raise Refused(
                f"「{task.label}」由各单位登记突破点完成，请使用 docflow enrol"
                if task.id == self.definition.programme.points.enrolment.task
                else f"「{task.label}」是单位事项，由其突破点的报送完成"
            )
        if unit not in self.index.expand(task.responsible):
            names = "、".join(self.index.body_label(b) for b in self.index.expand(task.responsible))
            raise Refused(f"「{task.label}」由 {names} 负责，单位 {unit} 无权报送")
        with self.store.transaction() as tx:
            self._pin(tx)
            if tx.task_done(self.pid, task.id):
                raise Refused(f"「{task.label}」已经报送过，不能重复报送")
            missing = self._waiting_on(tx, task, effective or self.clock.now())
            now = self.clock.now()
            tx.put_document(document, now)
            return tx.append_events(
                [
                    EventDraft(
                        programme_id=self.pid,
                        trigger=task.id,
                        actor=unit,
                        unit_id=unit,
                        document_sha256=document.sha256,
                        data={"missing": missing} if missing else None,
                        effective_at=effective,
                    )
                ],
                now,
            )

    def _waiting_on(self, tx: Transaction, task: Task, moment: datetime) -> list[str]:
        """Units still missing what ``task`` waits for; refuse if it is not yet due.

        A programme-level task may go ahead when everything it waits for is done, or once
        the deadline of what it waits for has passed - then the missing units are recorded.
        """
        from engine.runtime.progress import ProgressView

        view = ProgressView(self.definition)
        missing: list[str] = []
        points = [(p.unit_id, p.state) for p in tx.points(self.pid)]
        for name in task.waits_for:
            if name in self.index.tasks:
                if not tx.task_done(self.pid, name):
                    waited = self.index.tasks[name]
                    raise Refused(f"「{task.label}」须等「{waited.label}」完成后才能报送")
                continue
            for t in self.index.point_tasks.get(name, []):
                if t.trigger not in view.done_states:
                    continue
                rate = view.step_rate(t.trigger, points)
                due = view.due_of(t.trigger)
                if rate.missing and due is not None and view.local_date(moment) <= due:
                    raise Refused(
                        f"「{task.label}」须等各单位完成「{t.label}」：尚有 {len(rate.missing)} 个单位"
                        f"未报送（{'、'.join(self.index.body_label(u) for u in rate.missing)}），"
                        f"期限 {due} 过后方可在缺报的情况下报送"
                    )
                missing.extend(u for u in rate.missing if u not in missing)
        return missing

    # --- decisions ---------------------------------------------------------------------

    def decide(
        self,
        task: str,
        points: Sequence[str],
        outcome: str,
        reason: str,
        actor: str | None = None,
        until: date | None = None,
        at: datetime | None = None,
    ) -> list[EventRow]:
        """Record a decision (accept, reject, return) on points for a task."""
        if not reason.strip():
            raise Refused("决定须说明理由（--reason）")
        if not points:
            raise Refused("请用 --point 指明作出决定的突破点")
        transitions = [
            t
            for t in self.index.point_tasks.get(task, [])
            if t.takes == "decision" and t.outcome == outcome
        ]
        if not transitions:
            raise Refused(self._unknown_task(task, "decision", outcome))
        if actor is not None:
            self._require_unit(actor)
        effective = self._effective(at)
        with self.store.transaction() as tx:
            self._pin(tx)
            overrides = {(o.point_id, o.step): o.due for o in tx.deadline_overrides(self.pid)}
            drafts = []
            states: dict[str, str] = {}
            grants: list[tuple[str, str, date]] = []
            for point_id in dict.fromkeys(points):
                point = tx.get_point(self.pid, point_id)
                if point is None:
                    raise Refused(f"未登记的突破点 {point_id}")
                transition = self._transition_for(transitions, point.state)
                if transition is None:
                    raise Refused(self._wrong_state(point, task, transitions))
                who = self._decider(transition, actor, point)
                data: dict[str, Any] | None = None
                if transition.extension in ("grant", "refuse"):
                    data = self._extension_decision(tx, transition, point, overrides, until)
                    if transition.extension == "grant":
                        grants.append((point.point_id, data["step"], until))  # type: ignore[arg-type]
                elif until is not None:
                    raise Refused("只有批准延期的决定才能给出新期限（--until）")
                move = self._fire(transition, point)
                states[point.point_id] = move.dest
                drafts.append(
                    self._draft(
                        transition,
                        point,
                        who,
                        move.source,
                        move.dest,
                        effective,
                        decision=outcome,
                        reason=reason.strip(),
                        data=data,
                    )
                )
            tx.set_states(self.pid, states)
            events = tx.append_events(drafts, self.clock.now())
            by_point = {e.point_id: e.seq for e in events}
            for point_id, step, due in grants:
                tx.add_deadline_override(self.pid, point_id, step, due, by_point[point_id])
            return events

    def _decider(self, transition: Transition, actor: str | None, point: PointRow) -> str:
        if transition.actor == OWNER:
            allowed = [point.unit_id]
        elif transition.actor == INSPECTOR:
            lead = self.index.inspector_of.get(point.unit_id)
            allowed = [lead] if lead else []
        else:
            allowed = self.index.expand([transition.actor])
        if actor is None:
            if len(allowed) == 1:
                return allowed[0]
            raise Refused(
                f"「{transition.label}」可由 {'、'.join(self.index.body_label(a) for a in allowed)} "
                f"作出，请用 --by 指明作出决定的单位"
            )
        if actor not in allowed:
            raise Refused(
                f"单位 {actor}（{self.index.body_label(actor)}）无权作出「{transition.label}」的决定，"
                f"应由 {'、'.join(self.index.body_label(a) for a in allowed)} 作出"
            )
        return actor

    # --- extensions --------------------------------------------------------------------

    def _extension_request(
        self, point: PointRow, overrides: dict[tuple[str, str], date], effective: datetime | None
    ) -> dict[str, Any]:
        step = self.index.pending_step(point.state)
        if step is None:
            raise Refused(f"突破点 {point.point_id} 当前没有有期限的事项，无需申请延期")
        from engine.runtime.progress import ProgressView

        view = ProgressView(self.definition)
        due = view.due_of(step.trigger, overrides.get((point.point_id, step.trigger)))
        moment = effective or self.clock.now()
        if due is not None and view.local_date(moment) > due:
            raise Refused(
                f"延期申请须在到期前提出：突破点 {point.point_id} 的「{step.label}」已于 {due} 到期"
            )
        return {"step": step.trigger, "due": due.isoformat() if due else None}

    def _extension_decision(
        self,
        tx: Transaction,
        transition: Transition,
        point: PointRow,
        overrides: dict[tuple[str, str], date],
        until: date | None,
    ) -> dict[str, Any]:
        request = None
        for event in reversed(tx.events(self.pid, point.point_id)):
            t = self.index.transitions.get(event.trigger)
            if t is None or t.extension is None:
                continue
            if t.extension == "request":
                request = event
            break
        if request is None:
            raise Refused(f"突破点 {point.point_id} 没有待审批的延期申请")
        step = str(request.extras.get("step"))
        if transition.extension == "refuse":
            if until is not None:
                raise Refused("不批准延期时不能给出新期限（--until）")
            return {"step": step, "request": request.seq}
        if until is None:
            raise Refused("批准延期须给出新的期限（--until YYYY-MM-DD）")
        pending = self.index.pending_step(point.state)
        if pending is None or pending.trigger != step:
            done = self.index.transitions[step].label if step in self.index.transitions else step
            raise Refused(
                f"突破点 {point.point_id} 的延期申请（留痕第 {request.seq} 条）针对「{done}」，"
                f"该事项已经办理，无需批准延期"
            )
        from engine.runtime.progress import ProgressView

        current = ProgressView(self.definition).due_of(step, overrides.get((point.point_id, step)))
        if current is not None and until <= current:
            raise Refused(f"新的期限 {until} 应晚于原期限 {current}")
        if until.year != self.definition.programme.programme.year:
            raise Refused(f"新的期限 {until} 不在方案年度内")
        return {
            "step": step,
            "request": request.seq,
            "until": until.isoformat(),
            "previous_due": current.isoformat() if current else None,
        }

    # --- helpers -----------------------------------------------------------------------

    def _require_unit(self, unit: str) -> None:
        if unit not in self.index.bodies:
            raise Refused(
                f"未定义的单位 {unit}：请使用工作方案 bodies 中的 id（如 {self._sample_units()}）"
            )

    def _sample_units(self) -> str:
        return "、".join(list(self.index.bodies)[:5])

    def _store_file(self, file: Path | None) -> StoredDocument:
        if file is None:
            raise Refused("请用 --file 给出报送的文件")
        return self.store.documents.store_file(file)

    def _effective(self, at: datetime | None) -> datetime | None:
        if at is None:
            return None
        at = aware(at)
        if at > self.clock.now():
            raise Refused(f"生效时间 {at.isoformat()} 晚于当前时间，不能预先登记")
        return at

    def _transition_for(self, transitions: Iterable[Transition], state: str) -> Transition | None:
        for t in transitions:
            if state in self.index.sources_of(t):
                return t
        return None

    def _fire(self, transition: Transition, point: PointRow) -> Any:
        try:
            return self.machine.fire(transition.trigger, point.state)
        except MachineError as exc:  # the checks above make this unreachable
            raise Refused(f"突破点 {point.point_id} 无法执行 {transition.trigger}：{exc}") from exc

    def _draft(
        self,
        transition: Transition,
        point: PointRow,
        actor: str,
        source: str,
        dest: str,
        effective: datetime | None,
        *,
        document: StoredDocument | None = None,
        decision: str | None = None,
        reason: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> EventDraft:
        return EventDraft(
            programme_id=self.pid,
            trigger=transition.trigger,
            actor=actor,
            point_id=point.point_id,
            unit_id=point.unit_id,
            source_state=source,
            dest_state=dest,
            document_sha256=document.sha256 if document else None,
            decision=decision,
            reason=reason,
            data=data,
            effective_at=effective,
        )

    def _wrong_state(self, point: PointRow, task: str, transitions: list[Transition]) -> str:
        state = self.index.states.get(point.state)
        label = state.label if state else point.state
        sources = sorted({s for t in transitions for s in self.index.sources_of(t)})
        need = "、".join(self.index.states[s].label for s in sources if s in self.index.states)
        what = f"「{transitions[0].label}」"
        return (
            f"突破点 {point.point_id}（{point.title}）当前状态为「{label}」，不能办理{what}；"
            f"该事项只能在以下状态办理：{need}"
        )

    def _unknown_task(self, task: str, takes: str, outcome: str | None = None) -> str:
        if task in self.index.point_tasks:
            kinds = self.index.point_tasks[task]
            if takes == "document":
                return f"事项 {task} 不接受报送文件，请用 docflow decide 作出决定"
            outcomes = sorted({t.outcome for t in kinds if t.outcome})
            if not outcomes:
                return f"事项 {task} 由报送文件办理，请用 docflow submit"
            shown = "、".join(f"--{o}" for o in outcomes)
            return f"事项 {task} 没有「{_OUTCOME_LABELS.get(outcome or '', outcome)}」的决定，可用：{shown}"
        if task in self.index.tasks and takes == "decision":
            known = self.index.tasks[task]
            how = "docflow enrol 登记突破点" if known.level == "unit" else "docflow submit 报送文件"
            return f"事项 {task}（{known.label}）不作决定，请用 {how}"
        names = sorted(set(self.index.point_tasks) | set(self.index.tasks))
        return f"未定义的事项 {task}。可用的事项：{'、'.join(names)}"
