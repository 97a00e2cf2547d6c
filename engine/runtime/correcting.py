"""The 撤回 and 更正 use cases: a correcting event for a record keyed in by mistake.

What a correction is and how the views follow it is in :mod:`engine.runtime.corrections`.
``Corrections(runtime)`` writes them, each in one store transaction like every command of
:class:`~engine.runtime.service.Runtime`: the event to correct is found by its ``seq`` in
the programme's trail, checked (it exists and is this programme's; it is a record that can
be corrected so; it still stands; for a 撤回, nothing stands after it on its point, or no
task waiting for a programme task's record is recorded), and the correcting event is
appended with the point's state and overrides put back as they were.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.refusals import CannotCorrect, LaterEvents, MissingInput, UnknownEvent
from engine.runtime.corrections import AMEND, CORRECTING, WITHDRAW, standing, withdrawn
from engine.runtime.filings import FILE_REPORT
from engine.runtime.moves import event_data
from engine.runtime.records import EventDraft, EventRow
from engine.runtime.service import ENROL, MIGRATE, Runtime
from engine.runtime.userinput import check_text

if TYPE_CHECKING:
    from engine.runtime.ports import StoreTransaction

__all__ = ["Corrections"]


class Corrections:
    """撤回 and 更正 on one programme's trail, through a :class:`Runtime`."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.pid = runtime.pid

    def withdraw(self, seq: int, reason: str, actor: str | None = None) -> EventRow:
        """Withdraw event ``seq``: its point goes back to the state before it, and the
        extension it granted (if any) is taken out; recorded as a 撤回 event."""
        reason, actor = self._checked(reason, actor)
        rt = self.runtime
        with rt.store.transaction() as tx:
            rt._pin(tx)
            target = self._event(tx, seq)
            if target.trigger == ENROL:
                raise CannotCorrect(seq, "enrol")
            if target.trigger == FILE_REPORT:
                return self._withdraw_filing(tx, target, reason, actor)
            if target.point_id is None:
                return self._withdraw_task(tx, target, reason, actor)
            events = tx.events(self.pid, target.point_id)
            self._still_standing(target, events)
            later = [e.seq for e in standing(events) if e.seq > seq and e.trigger != FILE_REPORT]
            if later:
                raise LaterEvents(seq, target.point_id, later)
            point = tx.get_point(self.pid, target.point_id)
            before = target.source_state
            if point is None or before is None:  # pragma: no cover - every move records both
                raise CannotCorrect(seq, "engine")
            draft = EventDraft(
                programme_id=self.pid,
                trigger=WITHDRAW,
                actor=actor,
                point_id=target.point_id,
                unit_id=target.unit_id,
                source_state=point.state,
                dest_state=before,
                reason=reason,
                data=event_data({"corrects": seq}, rt.operator),
            )
            (event,) = tx.append_events([draft], rt.clock.now())
            if before != point.state:
                tx.set_states(self.pid, {point.point_id: before})
            tx.remove_deadline_overrides(self.pid, point.point_id, seq)
            self._restore_rectification(tx, target, events)
            return event

    def _withdraw_filing(
        self, tx: StoreTransaction, target: EventRow, reason: str, actor: str
    ) -> EventRow:
        """Withdraw a filed occurrence of a recurring report: it is owed again."""
        self._still_standing(target, tx.events_for(self.pid, WITHDRAW))
        draft = EventDraft(
            programme_id=self.pid,
            trigger=WITHDRAW,
            actor=actor,
            point_id=target.point_id,
            unit_id=target.unit_id,
            reason=reason,
            data=event_data({"corrects": target.seq}, self.runtime.operator),
        )
        (event,) = tx.append_events([draft], self.runtime.clock.now())
        tx.remove_filings(self.pid, target.seq)
        return event

    def _restore_rectification(
        self, tx: StoreTransaction, target: EventRow, events: list[EventRow]
    ) -> None:
        """A withdrawn resubmission that ended a return's 整改期限 puts it back in force."""
        ends = target.extras.get("ends")
        ret = next((e for e in events if e.seq == ends), None)
        if ret is None:
            return
        data = ret.extras
        step, until = data.get("step"), data.get("until")
        if isinstance(step, str) and isinstance(until, str) and target.point_id is not None:
            tx.add_deadline_override(
                self.pid, target.point_id, step, date.fromisoformat(until), ret.seq
            )

    def _withdraw_task(
        self, tx: StoreTransaction, target: EventRow, reason: str, actor: str
    ) -> EventRow:
        """Withdraw a programme task's record, unless a task waiting for it is recorded."""
        self._still_standing(target, tx.events_for(self.pid, WITHDRAW))
        gone = withdrawn(tx.events_for(self.pid, WITHDRAW))
        later = sorted(
            e.seq
            for task in self.runtime.definition.programme.tasks
            if target.trigger in task.waits_for
            for e in tx.events_for(self.pid, task.id)
            if e.seq not in gone
        )
        if later:
            raise LaterEvents(target.seq, None, later)
        draft = EventDraft(
            programme_id=self.pid,
            trigger=WITHDRAW,
            actor=actor,
            unit_id=target.unit_id,
            reason=reason,
            data=event_data({"corrects": target.seq}, self.runtime.operator),
        )
        (event,) = tx.append_events([draft], self.runtime.clock.now())
        return event

    def amend(
        self,
        seq: int,
        reason: str,
        *,
        file: Path | None = None,
        decision_reason: str | None = None,
        actor: str | None = None,
    ) -> EventRow:
        """Correct event ``seq`` keeping its point's state: its document replaced by
        ``file``, or its decision's reason by ``decision_reason`` (exactly one)."""
        if (file is None) == (decision_reason is None):
            raise MissingInput("kind", "correction")
        reason, actor = self._checked(reason, actor)
        if decision_reason is not None:
            check_text(decision_reason, "更正后的决定理由")
            decision_reason = decision_reason.strip()
            if not decision_reason:
                raise MissingInput("decision_reason", "correction")
        rt = self.runtime
        document = rt.store.documents.store_file(file) if file is not None else None
        with rt.store.transaction() as tx:
            rt._pin(tx)
            target = self._event(tx, seq)
            events = tx.events(self.pid, target.point_id)  # a programme task's: them all
            self._still_standing(target, events)
            (current,) = [e for e in standing(events) if e.seq == seq]
            more: dict[str, Any] = {"corrects": seq}
            if document is not None:
                if current.document_sha256 is None:
                    raise CannotCorrect(seq, "no-document")
                if current.document_sha256 == document.sha256:
                    raise CannotCorrect(seq, "same-document")
            else:
                if target.decision is None:
                    raise CannotCorrect(seq, "not-a-decision")
                more["decision_reason"] = decision_reason
            draft = EventDraft(
                programme_id=self.pid,
                trigger=AMEND,
                actor=actor,
                point_id=target.point_id,
                unit_id=target.unit_id,
                document_sha256=document.sha256 if document else None,
                reason=reason,
                data=event_data(more, rt.operator, document.original_name if document else None),
            )
            now = rt.clock.now()
            if document is not None:
                tx.put_document(document, now)
            (event,) = tx.append_events([draft], now)
            return event

    # --- checks ------------------------------------------------------------------------

    def _checked(self, reason: str, actor: str | None) -> tuple[str, str]:
        """The reason (given, safe) and who corrects: a named body, else the issuer."""
        check_text(reason, "理由")
        if not reason.strip():
            raise MissingInput("reason", "correction")
        rt = self.runtime
        who = rt.resolve_unit(actor) if actor is not None else None
        return reason.strip(), who or rt.definition.programme.programme.issuer

    def _event(self, tx: StoreTransaction, seq: int) -> EventRow:
        """Event ``seq`` of this programme, or refused; never one the engine itself wrote."""
        found = tx.events(after_seq=seq - 1, limit=1) if seq > 0 else []
        if not found or found[0].seq != seq:
            raise UnknownEvent(seq, self.pid)
        event = found[0]
        if event.programme_id != self.pid:
            raise UnknownEvent(seq, self.pid, event.programme_id)
        if event.trigger in CORRECTING:
            raise CannotCorrect(seq, "correction")
        if event.trigger == MIGRATE:
            raise CannotCorrect(seq, "engine")
        return event

    def _still_standing(self, target: EventRow, events: list[EventRow]) -> None:
        by = withdrawn(events).get(target.seq)
        if by is not None:
            raise CannotCorrect(target.seq, "withdrawn", by)
