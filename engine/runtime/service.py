"""Running a programme: enrol points, record submissions and decisions, migrate, report.

``Runtime(definition, store, clock)`` is what every command that changes the store goes
through. Each public method is one store transaction: it finds the points a command
covers, fires each point's move through the programme's lifecycle machine - whose
conditions check the actor, the document or decision and the extension rules, and whose
callback drafts the event (``engine.runtime.machine``) - then writes the points' new
states and the events together, or raises a ``Refused`` and leaves the store as it was.

A programme is pinned to the manifest of the definition its points were enrolled under (its
content, notice templates and source texts: ``engine.runtime.pinning``); a change is refused
(``DefinitionChanged``) until ``migrate`` records it as an event.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from engine.clock import Clock, aware
from engine.definition.loader import Definition
from engine.definition.schema import Task, Transition
from engine.errors import ITEM, Named
from engine.refusals import (
    ActorNotAllowed,
    AlreadySubmitted,
    BeforeItExisted,
    InputNotAllowed,
    InTheFuture,
    MissingInput,
    NoSuchOutcome,
    NotAnInspector,
    NotAProposer,
    NothingWaiting,
    NotRegistered,
    PointIdTaken,
    TaskAlreadyDone,
    TooManyPoints,
    UnknownPoint,
    UnknownState,
    UnknownTask,
    UnknownUnit,
    WaitingFor,
    WrongCommand,
)
from engine.runtime import pinning, reporting
from engine.runtime.corrections import WITHDRAW, withdrawn
from engine.runtime.documents import StoredDocument
from engine.runtime.enrolling import NewPoint, resolve_points
from engine.runtime.machine import Attempt, LifecycleMachine
from engine.runtime.moves import event_data
from engine.runtime.store import EventDraft, EventRow, PointRow, Store, Transaction
from engine.runtime.storedeadlines import StoreDeadlines
from engine.runtime.userinput import check_point_id, check_text

if TYPE_CHECKING:
    pass

__all__ = ["ENROL", "MIGRATE", "NewPoint", "Runtime", "new_point_id"]

#: Trigger names the engine itself writes into the trail.
ENROL = "enrol"
MIGRATE = "migrate-definition"

_OUTCOME_LABELS = {"accept": "同意", "reject": "不同意", "return": "退回"}


def _enrolled(point: NewPoint) -> dict[str, object]:
    """What an enrolment event records of the point beside its unit: title, co, group."""
    data: dict[str, object] = {"title": point.title.strip()}
    if point.co:
        data["co"] = list(point.co)
    if point.group:
        data["group"] = point.group
    return data


def new_point_id(point: NewPoint, unit: str, number: int) -> str:
    """The id a point is enrolled under: its own, else ``<unit id>-<n>`` for the unit's
    ``number``-th point in the store."""
    return point.point_id or f"{unit}-{number}"


class Runtime:
    def __init__(
        self, definition: Definition, store: Store, clock: Clock, operator: str | None = None
    ) -> None:
        self.definition = definition
        self.index = definition.index
        self.store = store
        self.clock = clock
        self.operator = operator  # 经办人, recorded in every event's data
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
        pinning.ensure_pinned(self.store, tx, self.definition, self.clock.now(), self.operator)

    def require_registered(self) -> None:
        """Refuse to report on a programme the store has never seen."""
        with self.store.transaction(readonly=True) as tx:
            if tx.get_programme(self.pid) is None:
                raise NotRegistered(self.pid, str(self.store.location))

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
            raise MissingInput("reason", "migration")
        with self.store.transaction() as tx:
            row = tx.get_programme(self.pid)
            if row is None:
                raise NotRegistered(self.pid)
            pin = pinning.Pin.of(self.definition)
            changes = pinning.changes_since_pinned(self.store, tx, self.definition, row, pin)
            if not changes:
                now = self.clock.now()
                pinning.ensure_pinned(self.store, tx, self.definition, now, self.operator)
                return None
            states = {p.state for p in tx.points(self.pid)}
            unknown = sorted(states - set(self.index.states))
            if unknown:
                raise UnknownState(unknown)
            now = self.clock.now()
            (event,) = tx.append_events(
                [
                    EventDraft(
                        programme_id=self.pid,
                        trigger=MIGRATE,
                        actor=actor or self.definition.programme.programme.issuer,
                        reason=reason,
                        data=event_data(
                            {"from": row.definition_hash, "to": pin.sha256}, self.operator
                        ),
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
            raise MissingInput("points", "enrolment")
        proposers = set(self.index.proposers)
        enrolment = self.definition.programme.points.enrolment
        units: dict[str, str] = {}

        def resolve(name: str) -> str:
            if name not in units:
                units[name] = self.resolve_unit(name)
            return units[name]

        for p in points:
            check_text(p.title, f"{ITEM}名称")
            if p.point_id is not None:
                check_point_id(p.point_id, f"{ITEM}编号")
        points = resolve_points(self.index, points, resolve)
        for p in points:
            unit = p.unit
            if unit not in proposers:
                raise NotAProposer(self.index.named_body(unit))
            if not p.title.strip():
                raise MissingInput("title", "enrolment", self.index.named_body(unit))
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
                unit = p.unit
                counts[unit] += 1
                if counts[unit] > enrolment.max_per_unit:
                    named = self.index.named_body(unit)
                    raise TooManyPoints(named, enrolment.max_per_unit, counts[unit])
                point_id = new_point_id(p, unit, counts[unit])
                if point_id in existing_ids:
                    raise PointIdTaken([point_id], repeated=True)
                existing_ids.add(point_id)
                rows.append(
                    PointRow(
                        self.pid, point_id, unit, p.title.strip(), initial, None, p.co, p.group
                    )
                )
                document = stored.get(p.file) if p.file is not None else None
                drafts.append(
                    EventDraft(
                        programme_id=self.pid,
                        trigger=ENROL,
                        actor=unit,
                        point_id=point_id,
                        unit_id=unit,
                        dest_state=initial,
                        document_sha256=document.sha256 if document else None,
                        data=event_data(
                            _enrolled(p),
                            self.operator,
                            document.original_name if document else None,
                        ),
                        effective_at=effective,
                    )
                )
            taken = tx.point_ids(self.pid, existing_ids)
            if taken:
                raise PointIdTaken(sorted(taken))
            tx.ensure_units(self.pid, sorted({p.unit for p in points}))
            now = self.clock.now()
            for document in stored.values():
                tx.put_document(document, now)
            events = tx.append_events(drafts, now)
            # PointRow(...) directly: dataclasses.replace costs ~5 µs a row (100,000 points).
            rows = [
                PointRow(
                    r.programme_id, r.point_id, r.unit_id, r.title, r.state, e.seq, r.co, r.group_id
                )
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
        period: str | None = None,
    ) -> list[EventRow]:
        """Record a document from ``unit`` for ``task``; it covers the unit's waiting points."""
        check_text(task, "事项")
        for point_id in points:
            check_text(point_id, f"{ITEM}编号")
        unit = self.resolve_unit(unit)
        effective = self._effective(at)
        if reporting.report_named(self.definition, task, period) is not None:
            return reporting.file_report(self, unit, task, period, points, file, effective)
        if task in self.index.tasks:
            programme_task = self.index.tasks[task]
            if points:
                raise InputNotAllowed("points", self._named_task(programme_task), "programme-task")
            document = self._store_file(file)
            return self._submit_task(unit, programme_task, document, effective)
        transitions = [t for t in self.index.point_tasks.get(task, []) if t.takes == "document"]
        if not transitions:
            raise self._unknown_task(task, "document")
        document = self._store_file(file)
        with self.store.transaction() as tx:
            self._pin(tx)
            targets = self._targets(tx, unit, transitions, points)
            self._refuse_duplicate(tx, document, targets)
            deadlines = StoreDeadlines(self.definition, self.clock, tx, effective)
            machine = self.machine
            drafts = []
            states: dict[str, str] = {}
            ended: dict[str, int] = {}  # point -> the return whose 整改期限 this submission ends
            for point, transition in targets:
                self._not_before_enrolment(tx, point, effective)
                ends = None
                if transition.extension is None:
                    ends = deadlines.rectification(point.point_id, transition.trigger)
                attempt = Attempt(
                    point,
                    unit,
                    document.sha256,
                    effective=effective,
                    deadlines=deadlines,
                    operator=self.operator,
                    document_name=document.original_name,
                    data={"ends": ends} if ends is not None else None,
                )
                draft = machine.fire(transition.trigger, attempt)
                states[point.point_id] = draft.dest_state or point.state
                drafts.append(draft)
                if ends is not None:
                    ended[point.point_id] = ends
            now = self.clock.now()
            tx.put_document(document, now)
            tx.set_states(self.pid, states)
            events = tx.append_events(drafts, now)
            for point_id, seq in ended.items():
                tx.remove_deadline_overrides(self.pid, point_id, seq)
            return events

    def _targets(
        self, tx: Transaction, unit: str, transitions: list[Transition], named: Sequence[str]
    ) -> list[tuple[PointRow, Transition]]:
        """The points a unit's document covers, each with the transition it fires.

        Named points are each fired (the machine refuses a point the unit does not act for
        or one in the wrong state); otherwise every point of the unit's waiting for the step.
        """
        if named:
            chosen = []
            for point_id in dict.fromkeys(named):
                point = tx.get_point(self.pid, point_id)
                if point is None:
                    raise UnknownPoint(point_id)
                chosen.append((point, self._transition_for(transitions, point.state)))
            return chosen
        allowed_points = self._points_for_actor(tx, unit, transitions[0])
        chosen = []
        can_fire = self.machine.can_fire
        for point in allowed_points:
            for t in transitions:
                if can_fire(t.trigger, point.state):
                    chosen.append((point, t))
                    break
        if not chosen:
            step = Named(transitions[0].trigger, transitions[0].label)
            states = {p.point_id: self.index.named_state(p.state) for p in allowed_points}
            raise NothingWaiting(self.index.named_body(unit), step, states)
        return chosen

    def _points_for_actor(self, tx: Transaction, unit: str, t: Transition) -> list[PointRow]:
        """The points ``unit`` may fire ``t`` for; refused if none can be (not who acts)."""
        units = self.index.units_acted_for(t, unit)
        if units is None:
            return tx.points(self.pid)
        if units:
            return (
                tx.points(self.pid, unit=unit)
                if units == {unit}
                else tx.points(self.pid, units=units)
            )
        step = Named(t.trigger, t.label)
        actor = self.index.named_body(unit)
        if t.actor == "inspector":
            raise NotAnInspector(actor, step)
        allowed = [self.index.named_body(b) for b in self.index.expand([t.actor])]
        raise ActorNotAllowed(actor, step, allowed, "document")

    def _refuse_duplicate(
        self,
        tx: Transaction,
        document: StoredDocument,
        targets: list[tuple[PointRow, Transition]],
    ) -> None:
        triggers = {t.trigger for _, t in targets}
        ids = {p.point_id for p, _ in targets}
        events = tx.events_with_document(self.pid, document.sha256)
        gone = withdrawn(tx.events_for(self.pid, WITHDRAW)) if events else {}
        for event in events:
            if event.trigger in triggers and event.point_id in ids and event.seq not in gone:
                step = self.index.transitions[event.trigger]
                raise AlreadySubmitted(
                    document.sha256,
                    event.point_id,
                    Named(step.trigger, step.label),
                    event.seq,
                    event.recorded_at,
                )

    def _submit_task(
        self, unit: str, task: Task, document: StoredDocument, effective: datetime | None
    ) -> list[EventRow]:
        named = self._named_task(task)
        if task.level == "unit":
            enrolled = task.id == self.definition.programme.points.enrolment.task
            raise WrongCommand(named, "enrol" if enrolled else "points", "document")
        responsible = self.index.expand(task.responsible)
        if unit not in responsible:
            allowed = [self.index.named_body(b) for b in responsible]
            raise ActorNotAllowed(self.index.named_body(unit), named, allowed, "task")
        with self.store.transaction() as tx:
            self._pin(tx)
            if tx.task_done(self.pid, task.id):
                raise TaskAlreadyDone(named)
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
                        data=event_data(
                            {"missing": missing} if missing else None,
                            self.operator,
                            document.original_name,
                        ),
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

        view = ProgressView.of(self.definition)
        missing: list[str] = []
        points = [(p.unit_id, p.state) for p in tx.points(self.pid)]
        for name in task.waits_for:
            if name in self.index.tasks:
                if not tx.task_done(self.pid, name):
                    waited = self._named_task(self.index.tasks[name])
                    raise WaitingFor(self._named_task(task), waited)
                continue
            for t in self.index.point_tasks.get(name, []):
                if t.trigger not in view.done_states:
                    continue
                rate = view.step_rate(t.trigger, points)
                due = view.due_of(t.trigger)
                if rate.missing and due is not None and view.local_date(moment) <= due:
                    raise WaitingFor(
                        self._named_task(task),
                        Named(t.trigger, t.label),
                        [self.index.named_body(u) for u in rate.missing],
                        due,
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
            raise MissingInput("reason", "decision")
        if not points:
            raise MissingInput("points", "decision")
        check_text(reason, "理由")
        check_text(task, "事项")
        for point_id in points:
            check_text(point_id, f"{ITEM}编号")
        transitions = [
            t
            for t in self.index.point_tasks.get(task, [])
            if t.takes == "decision" and t.outcome == outcome
        ]
        if not transitions:
            raise self._unknown_task(task, "decision", outcome)
        if actor is not None:
            actor = self.resolve_unit(actor)
        effective = self._effective(at)
        reason = reason.strip()
        with self.store.transaction() as tx:
            self._pin(tx)
            deadlines = StoreDeadlines(self.definition, self.clock, tx, effective)
            machine = self.machine
            drafts = []
            states: dict[str, str] = {}
            grants: list[tuple[str, str, date]] = []
            for point_id in dict.fromkeys(points):
                point = tx.get_point(self.pid, point_id)
                if point is None:
                    raise UnknownPoint(point_id)
                self._not_before_enrolment(tx, point, effective)
                transition = self._transition_for(transitions, point.state)
                attempt = Attempt(
                    point,
                    actor,
                    None,
                    outcome,
                    reason,
                    until,
                    effective,
                    deadlines,
                    operator=self.operator,
                )
                draft = machine.fire(transition.trigger, attempt)
                if attempt.data and "until" in attempt.data:  # a grant or a 整改期限
                    given = date.fromisoformat(str(attempt.data["until"]))
                    grants.append((point.point_id, str(attempt.data["step"]), given))
                states[point.point_id] = draft.dest_state or point.state
                drafts.append(draft)
            tx.set_states(self.pid, states)
            events = tx.append_events(drafts, self.clock.now())
            by_point = {e.point_id: e.seq for e in events}
            for point_id, step, due in grants:
                tx.add_deadline_override(self.pid, point_id, step, due, by_point[point_id])
            return events

    # --- helpers -----------------------------------------------------------------------

    def resolve_unit(self, unit: str) -> str:
        """The id of the body named by ``unit`` (its id, short or full name), or refused."""
        check_text(unit, "单位")
        found = self.index.resolve_body(unit)
        if found is None:
            raise UnknownUnit(unit, self.index.body_names)
        return found

    def _named_task(self, task: Task) -> Named:
        return Named(task.id, task.label)

    def _store_file(self, file: Path | None) -> StoredDocument:
        if file is None:
            raise MissingInput("file", "submission")
        return self.store.documents.store_file(file)

    def _effective(self, at: datetime | None) -> datetime | None:
        """The time a document arrived or a decision was made: not later than now, not
        before the programme's year began (nothing of it existed earlier)."""
        if at is None:
            return None
        at = aware(at)
        if at > self.clock.now():
            raise InTheFuture(at)
        start = datetime(
            self.definition.programme.programme.year, 1, 1, tzinfo=self.definition.zone
        )
        if at < start:
            raise BeforeItExisted(at, start)
        return at

    def _not_before_enrolment(
        self, tx: Transaction, point: PointRow, effective: datetime | None
    ) -> None:
        """Refuse an effective time before the point was enrolled."""
        if effective is None:
            return
        first = tx.events(self.pid, point.point_id, limit=1)
        if not first:
            return
        since = aware(datetime.fromisoformat(first[0].effective_at))
        if effective < since:
            raise BeforeItExisted(effective, since, point.point_id)

    def _transition_for(self, transitions: list[Transition], state: str) -> Transition:
        """The transition of a command that leaves from ``state``; the first if none does,
        for the machine to refuse the point's state."""
        can_fire = self.machine.can_fire
        for t in transitions:
            if can_fire(t.trigger, state):
                return t
        return transitions[0]

    def _unknown_task(
        self, task: str, takes: str, outcome: str | None = None
    ) -> UnknownTask | WrongCommand | NoSuchOutcome:
        if task in self.index.point_tasks:
            kinds = self.index.point_tasks[task]
            named = Named(task, kinds[0].label)
            if takes == "document":
                return WrongCommand(Named(task), "decide", "document")
            outcomes = sorted({t.outcome for t in kinds if t.outcome})
            if not outcomes:
                return WrongCommand(Named(task), "submit", "decision")
            return NoSuchOutcome(
                named.id,
                Named(outcome or "", _OUTCOME_LABELS.get(outcome or "", outcome or "")),
                [Named(o, _OUTCOME_LABELS.get(o, o)) for o in outcomes],
            )
        if task in self.index.tasks and takes == "decision":
            known = self.index.tasks[task]
            needs = "enrol" if known.level == "unit" else "submit"
            return WrongCommand(self._named_task(known), needs, "decision")
        return UnknownTask(task, sorted(set(self.index.point_tasks) | set(self.index.tasks)))
