"""The records the store keeps, as plain frozen rows: what every store port reads and writes.

These types carry no database code, so that the ports (:mod:`engine.runtime.ports`), the use
cases and any store implementation share them without importing SQLAlchemy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

__all__ = [
    "SENT_STATUSES",
    "DeadlineOverride",
    "DocumentRow",
    "EventDraft",
    "EventRow",
    "Filed",
    "FilingRow",
    "PointRow",
    "ProgrammeRow",
    "SentRow",
    "iso_timestamp",
]

#: What the sent-log may say of a notice.
SENT_STATUSES = frozenset({"sent", "skipped", "queued"})


@dataclass(frozen=True, slots=True)
class ProgrammeRow:
    id: str
    title: str
    year: int
    definition_hash: str
    enrolled_at: str  # ISO 8601 with offset


@dataclass(frozen=True, slots=True)
class PointRow:
    programme_id: str
    point_id: str
    unit_id: str
    title: str
    state: str
    created_seq: int | None = None  # seq of the event that created the point
    co: tuple[str, ...] = ()  # the co-responsible units (责任单位) beside the lead unit
    group_id: str | None = None  # the group whose entry enrolled it (各县区政府), if any


@dataclass(frozen=True, slots=True)
class DocumentRow:
    sha256: str
    size: int
    original_name: str
    stored_at: str  # path relative to the documents folder
    first_seen_at: str


@dataclass(frozen=True, slots=True)
class EventDraft:
    """An event to append; ``seq``, hashes and ``recorded_at`` are added by the store."""

    programme_id: str
    trigger: str
    actor: str
    point_id: str | None = None
    unit_id: str | None = None
    source_state: str | None = None
    dest_state: str | None = None
    document_sha256: str | None = None
    decision: str | None = None
    reason: str | None = None
    data: Mapping[str, Any] | None = None  # stored as canonical JSON text
    effective_at: datetime | None = None  # defaults to the moment the event is recorded


@dataclass(frozen=True, slots=True)
class EventRow:
    """One stored event, exactly as its columns hold it."""

    seq: int
    programme_id: str
    point_id: str | None
    unit_id: str | None
    trigger: str
    source_state: str | None
    dest_state: str | None
    actor: str
    document_sha256: str | None
    decision: str | None
    reason: str | None
    data: str | None  # JSON text
    recorded_at: str
    effective_at: str
    prev_hash: str
    hash: str

    @property
    def extras(self) -> dict[str, Any]:
        """``data`` parsed (an empty dict when the event has none)."""
        return {} if self.data is None else dict(json.loads(self.data))


@dataclass(frozen=True, slots=True)
class DeadlineOverride:
    programme_id: str
    point_id: str
    step: str  # the transition trigger whose deadline moved
    due: date
    event_seq: int  # the event that granted the extension


@dataclass(frozen=True, slots=True)
class SentRow:
    programme_id: str
    rule: str
    unit_id: str
    occurrence: str
    status: str  # sent / skipped / queued
    message_id: str | None
    recorded_at: str


class FilingRow(NamedTuple):
    """One filed occurrence of a recurring report: a party's report for one period (and,
    per item, for one point; ``point_id`` is ``""`` otherwise). A named tuple: a view of who
    owes reads one per obligation (1.2 million in the benchmark)."""

    programme_id: str
    rule: str
    period: str  # the period key: 2021-03, 2021-Q1 ...
    unit_id: str
    point_id: str
    event_seq: int
    filed_at: str  # ISO 8601 with offset: when the report arrived (the event's effective_at)


#: A filed occurrence as the views of who owes read it: rule, period, unit, point, filed_at.
Filed = tuple[str, str, str, str, str]


def iso_timestamp(moment: datetime) -> str:
    """``moment`` as stored: ISO 8601 with its offset; a naive time is a ``ValueError``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"timestamp without a time zone: {moment!r}")
    return moment.isoformat()
