"""Corrections, never edits: 撤回 (withdraw) and 更正 (amend) are events of their own.

A record keyed in by mistake is never changed or deleted. A correcting event, chained like
every other, names the event it corrects by its ``seq`` (``corrects`` in its data) and carries
a reason and who keyed it in (``operator``); the trail keeps both.

- 撤回 (``WITHDRAW``) undoes a submission or decision on a point: the correcting event moves
  the point back to the state it was in before that event (its ``source_state`` is the state
  the withdrawn event led to, its ``dest_state`` the one it left), and the extension a
  withdrawn grant made is taken out of the deadline overrides. Only the latest standing
  event of its point is withdrawn: later ones go first, newest first.
- 更正 (``AMEND``) keeps the state: it replaces a record's document with the right file (the
  correcting event carries the new document and its name) or a decision's reason
  (``decision_reason`` in its data). A later 更正 of the same record wins.

A programme-level task's record is withdrawn too (the task is open again), while no task
waiting for it is recorded. Neither an enrolment (a point is 撤销 by the programme's own
withdrawal step), a migration nor a correcting event is withdrawn: a mistaken 更正 is
corrected by another 更正, a mistaken 撤回 by recording the submission or decision again.

The functions here are pure: ``standing(events)`` is the trail as it now stands, what the
views that count submissions and decisions read (withdrawn events and the correcting events
left out, amended events carrying the corrected document, file name or reason).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace

from engine.runtime.chain import canonical_json
from engine.runtime.records import EventRow

__all__ = [
    "AMEND",
    "CORRECTING",
    "WITHDRAW",
    "corrected_seq",
    "corrections",
    "standing",
    "withdrawn",
]

#: The triggers of correcting events: outside the definition's identifiers (no ``.`` in
#: them), so that no programme's own step can be mistaken for one.
WITHDRAW = "correction.withdraw"
AMEND = "correction.amend"
CORRECTING = frozenset({WITHDRAW, AMEND})


def corrected_seq(event: EventRow) -> int | None:
    """The ``seq`` a correcting event corrects; ``None`` for any other event."""
    if event.trigger not in CORRECTING:
        return None
    value = event.extras.get("corrects")
    return value if isinstance(value, int) else None


def corrections(events: Iterable[EventRow]) -> dict[int, list[EventRow]]:
    """Corrected ``seq`` -> the events correcting it, in trail order."""
    found: dict[int, list[EventRow]] = defaultdict(list)
    for event in events:
        seq = corrected_seq(event)
        if seq is not None:
            found[seq].append(event)
    return dict(found)


def withdrawn(events: Iterable[EventRow]) -> dict[int, int]:
    """Withdrawn ``seq`` -> the ``seq`` of the event that withdrew it."""
    return {
        seq: event.seq
        for event in events
        if event.trigger == WITHDRAW and (seq := corrected_seq(event)) is not None
    }


def _amended(event: EventRow, fix: EventRow) -> EventRow:
    """``event`` as its 更正 ``fix`` leaves it: the new document (and name) or reason."""
    extras = fix.extras
    data = event.extras
    document = event.document_sha256
    if fix.document_sha256 is not None:
        document = fix.document_sha256
        if isinstance(extras.get("file"), str):
            data["file"] = extras["file"]
    reason = event.reason
    if isinstance(extras.get("decision_reason"), str):
        reason = extras["decision_reason"]
    text = canonical_json(data) if data else event.data
    return replace(event, document_sha256=document, reason=reason, data=text)


def standing(events: Sequence[EventRow]) -> list[EventRow]:
    """The events that still stand, in order: withdrawn and correcting events left out,
    each amended event as its latest 更正 leaves it (its own ``seq``, hash and times)."""
    if not any(e.trigger in CORRECTING for e in events):
        return list(events)
    fixes = corrections(events)
    found = []
    for event in events:
        if event.trigger in CORRECTING:
            continue
        mine = fixes.get(event.seq, ())
        if any(f.trigger == WITHDRAW for f in mine):
            continue
        for fix in mine:
            event = _amended(event, fix)
        found.append(event)
    return found
