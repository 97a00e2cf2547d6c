"""One move asked of the life-cycle machine, and what its rules read from the store.

The machine (``engine.runtime.machine``) fires it; the rules (``engine.runtime.moves``)
check it and draft its event. Both import it from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from engine.definition.periodic import Relative
    from engine.errors import Refused
    from engine.runtime.store import EventDraft, EventRow, PointRow

__all__ = ["Attempt", "Deadlines"]


class Deadlines(Protocol):
    """What the extension rules read from the store for one command."""

    def due(self, point_id: str, step: str) -> date | None:
        """The step's due date for the point, a granted extension included."""
        ...

    def today(self) -> date:
        """The programme's local date of the moment the move takes effect."""
        ...

    def last_extension(self, point_id: str) -> EventRow | None:
        """The point's latest extension event (request, grant or refusal), if any."""
        ...

    def counted(self, within: Relative, day: date) -> date:
        """The due day of ``within`` (a 整改期限 such as 5个工作日内) counted from ``day``,
        by the programme's working-day calendar and conventions."""
        ...


@dataclass(slots=True)
class Attempt:
    """One move asked of the machine; the conditions and callbacks fill in the rest."""

    point: PointRow
    actor: str | None = None  # the acting unit as given (``None``: the one who may)
    document: str | None = None  # sha256 of the document a submission carries
    decision: str | None = None  # the outcome of a decision
    reason: str | None = None
    until: date | None = None  # the new due date of an extension grant, or a 整改期限
    effective: datetime | None = None
    deadlines: Deadlines | None = None  # needed by extension requests and decisions
    operator: str | None = None  # the person who keyed the command in (经办人)
    document_name: str | None = None  # the name the document came with
    # Filled in by the machine:
    who: str = ""
    data: dict[str, Any] | None = None
    refusal: Refused | None = None
    draft: EventDraft | None = None
