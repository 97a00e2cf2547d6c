"""The rules of a point's move, as the conditions and callbacks of the lifecycle machine.

``MoveRules(definition).transitions()`` is the list of transitions handed to transitions'
``Machine``: for each step of the life cycle, ``conditions`` that check, in order,

1. the input the step takes is given: a document for a submission, a reason for a decision;
2. the actor may take the step for this point (``ProgrammeIndex.actors_for``): named, or
   the only body who may;
3. the extension rules: a request only before the step it extends is due; a grant or a
   refusal only of a pending request, a grant with a new due date later than the current
   one and within the programme's year; on a return, a 整改期限 (``--until`` after the day
   of the return, else the transition's ``rectify_within`` counted from it) becomes the due
   day of the step the point owes again; a new due date on no other decision;

and an ``after`` callback that drafts the trail event. Each condition and callback takes
the ``Attempt`` fired with the trigger. A condition that fails leaves its refusal on the
attempt and returns ``False``; the machine raises it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from engine.definition.periodic import rectify_period
from engine.errors import Named, Refused
from engine.refusals import (
    ActorNotAllowed,
    ActorNotGiven,
    BadNewDeadline,
    BadRectifyDeadline,
    ExtendedStepDone,
    ExtensionTooLate,
    InputNotAllowed,
    MissingInput,
    NoExtensionRequest,
    NothingToExtend,
    NotTheOwner,
)
from engine.runtime.store import EventDraft

if TYPE_CHECKING:
    from engine.definition.loader import Definition
    from engine.definition.schema import Transition
    from engine.runtime.attempt import Attempt, Deadlines
    from engine.runtime.store import PointRow

__all__ = ["MoveRules"]

Check = Callable[["Attempt"], bool]


def _refuse(attempt: Attempt, refusal: Refused) -> bool:
    attempt.refusal = refusal
    return False


class MoveRules:
    """The conditions and callbacks of every transition of a programme's life cycle."""

    def __init__(self, definition: Definition) -> None:
        self.definition = definition
        self.index = definition.index
        self.pid = definition.id
        self.year = definition.programme.programme.year

    def transitions(self) -> list[dict[str, Any]]:
        """The transitions for ``transitions.Machine``, each with its checks and callback."""
        index = self.index
        return [
            {
                "trigger": t.trigger,
                "source": index.sources_of(t),
                # An extension leaves the state as it is: an internal transition.
                "dest": t.dest,
                "conditions": self.conditions(t),
                "after": [self.drafter(t)],
            }
            for t in self.definition.programme.points.transitions
        ]

    def conditions(self, t: Transition) -> list[Check]:
        checks = [self._input_given(t), self._actor_allowed(t)]
        if t.extension == "request":
            checks.append(self._extension_request(t))
        elif t.extension in ("grant", "refuse"):
            checks.append(self._extension_decision(t))
        elif t.takes == "decision" and t.outcome == "return":
            checks.append(self._rectification(t))
        elif t.takes == "decision":
            checks.append(self._no_new_deadline(t))
        return checks

    # --- names for messages -----------------------------------------------------------

    def named_step(self, t: Transition) -> Named:
        return Named(t.trigger, t.label)

    def named_point(self, point: PointRow) -> Named:
        return Named(point.point_id, point.title)

    # --- the conditions ---------------------------------------------------------------

    def _input_given(self, t: Transition) -> Check:
        if t.takes == "document":

            def document_given(a: Attempt) -> bool:
                return a.document is not None or _refuse(a, MissingInput("file", "submission"))

            return document_given

        def reason_given(a: Attempt) -> bool:
            return bool(a.reason and a.reason.strip()) or _refuse(
                a, MissingInput("reason", "decision")
            )

        return reason_given

    def _actor_allowed(self, t: Transition) -> Check:
        index = self.index
        step = self.named_step(t)
        decision = t.takes == "decision"

        def actor_allowed(a: Attempt) -> bool:
            point = a.point
            allowed = index.actors_for(t, point.unit_id)
            if a.actor is None:
                if len(allowed) == 1:
                    a.who = allowed[0]
                    return True
                return _refuse(a, ActorNotGiven(step, [index.named_body(u) for u in allowed]))
            if a.actor in allowed:
                a.who = a.actor
                return True
            actor = index.named_body(a.actor)
            if decision:
                named = [index.named_body(u) for u in allowed]
                return _refuse(a, ActorNotAllowed(actor, step, named, "decision"))
            owner = index.named_body(point.unit_id)
            return _refuse(a, NotTheOwner(actor, self.named_point(point), owner, step))

        return actor_allowed

    def _no_new_deadline(self, t: Transition) -> Check:
        step = self.named_step(t)

        def no_new_deadline(a: Attempt) -> bool:
            return a.until is None or _refuse(a, InputNotAllowed("until", step, "not-a-grant"))

        return no_new_deadline

    def _extension_request(self, t: Transition) -> Check:
        index = self.index

        def before_due(a: Attempt) -> bool:
            point = a.point
            pending = index.pending_step(point.state)
            if pending is None:
                return _refuse(a, NothingToExtend(point.point_id))
            deadlines = _deadlines(a)
            due = deadlines.due(point.point_id, pending.trigger)
            if due is not None and deadlines.today() > due:
                return _refuse(a, ExtensionTooLate(point.point_id, self.named_step(pending), due))
            a.data = {"step": pending.trigger, "due": due.isoformat() if due else None}
            return True

        return before_due

    def _extension_decision(self, t: Transition) -> Check:
        index = self.index
        step = self.named_step(t)
        grant = t.extension == "grant"

        def of_a_pending_request(a: Attempt) -> bool:
            point = a.point
            deadlines = _deadlines(a)
            last = deadlines.last_extension(point.point_id)
            asked = index.transitions.get(last.trigger) if last is not None else None
            if last is None or asked is None or asked.extension != "request":
                return _refuse(a, NoExtensionRequest(point.point_id))
            extended = str(last.extras.get("step"))
            if not grant:
                if a.until is not None:
                    return _refuse(a, InputNotAllowed("until", step, "refusal"))
                a.data = {"step": extended, "request": last.seq}
                return True
            if a.until is None:
                return _refuse(a, MissingInput("until", "extension"))
            pending = index.pending_step(point.state)
            if pending is None or pending.trigger != extended:
                known = index.transitions.get(extended)
                named = Named(extended, known.label if known else extended)
                return _refuse(a, ExtendedStepDone(point.point_id, named, last.seq))
            current = deadlines.due(point.point_id, extended)
            if current is not None and a.until <= current:
                return _refuse(a, BadNewDeadline(a.until, current=current))
            if a.until.year != self.year:
                return _refuse(a, BadNewDeadline(a.until, year=self.year))
            a.data = {
                "step": extended,
                "request": last.seq,
                "until": a.until.isoformat(),
                "previous_due": current.isoformat() if current else None,
            }
            return True

        return of_a_pending_request

    def _rectification(self, t: Transition) -> Check:
        """A return's 整改期限: ``--until`` (after the day of the return), else the
        transition's ``rectify_within`` counted from that day, else none (the step's own
        due day stands). It is carried by the event as ``step``/``until`` like a grant,
        marked ``rectify``, and the runtime stores it as the step's due day override."""
        index = self.index
        step = self.named_step(t)
        within = rectify_period(t.rectify_within) if t.rectify_within is not None else None

        def rectify_by(a: Attempt) -> bool:
            owed = index.pending_step(t.dest or a.point.state)
            deadlines = _deadlines(a)
            today = deadlines.today()
            if owed is None:
                return a.until is None or _refuse(a, BadRectifyDeadline(a.until, today, step))
            if a.until is not None:
                if a.until <= today:
                    return _refuse(a, BadRectifyDeadline(a.until, today))
                if a.until.year > self.year + 1:
                    latest = date(self.year + 1, 12, 31)
                    return _refuse(a, BadRectifyDeadline(a.until, today, latest=latest))
                due = a.until
            elif within is not None:
                due = deadlines.counted(within, today)
            else:
                return True
            a.data = {"step": owed.trigger, "until": due.isoformat(), "rectify": True}
            return True

        return rectify_by

    # --- the callback -----------------------------------------------------------------

    def drafter(self, t: Transition) -> Callable[[Attempt], None]:
        pid = self.pid
        trigger = t.trigger
        dest = t.dest

        def draft_event(a: Attempt) -> None:
            point = a.point
            a.draft = EventDraft(
                programme_id=pid,
                trigger=trigger,
                actor=a.who,
                point_id=point.point_id,
                unit_id=point.unit_id,
                source_state=point.state,
                dest_state=dest or point.state,
                document_sha256=a.document,
                decision=a.decision,
                reason=a.reason,
                data=event_data(a.data, a.operator, a.document_name),
                effective_at=a.effective,
            )

        return draft_event


def _deadlines(a: Attempt) -> Deadlines:
    if a.deadlines is None:  # pragma: no cover - the runtime always gives them
        raise RuntimeError("an extension move needs the store's deadlines")
    return a.deadlines


def event_data(
    data: dict[str, Any] | None, operator: str | None, document_name: str | None = None
) -> dict[str, Any] | None:
    """An event's data with who keyed it in (``operator``) and the name the document it
    records came with (``file``), when known: the trail carries both, so that the audit can
    check the documents table's names against it."""
    if operator is None and document_name is None:
        return data
    found = dict(data or {})
    if operator is not None:
        found["operator"] = operator
    if document_name is not None:
        found["file"] = document_name
    return found
