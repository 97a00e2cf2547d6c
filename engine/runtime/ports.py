"""The store as the use cases see it: small ports, one per group of records.

Each port is a :class:`typing.Protocol` holding exactly the operations a use case calls on
that group; the SQL store (:mod:`engine.runtime.store`) satisfies every one of them
structurally, and so must any other implementation (the contract suite in
``tests/runtime/contract/`` runs the same tests against each). Which use case needs which
port is listed in the docstring of :mod:`engine.runtime.store`.

Everything a port takes or returns is a plain row from :mod:`engine.runtime.records`; no
port exposes a connection or SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Any, Protocol

from engine.runtime.documents import DocumentFolder, StoredDocument
from engine.runtime.records import (
    DeadlineOverride,
    DocumentRow,
    EventDraft,
    EventRow,
    Filed,
    FilingRow,
    PointRow,
    ProgrammeRow,
    SentRow,
)

__all__ = [
    "DocumentRecords",
    "EventRecords",
    "FilingRecords",
    "OverrideRecords",
    "PointRecords",
    "ProgrammeRecords",
    "SentLog",
    "StorePort",
    "StoreTransaction",
]


class ProgrammeRecords(Protocol):
    """Programmes enrolled in the store (pinned by their definition hash) and their units."""

    def get_programme(self, programme_id: str) -> ProgrammeRow | None: ...

    def programmes(self) -> list[ProgrammeRow]: ...

    def put_programme(
        self, programme_id: str, title: str, year: int, definition_hash: str, at: datetime
    ) -> ProgrammeRow: ...

    def set_definition_hash(self, programme_id: str, definition_hash: str) -> None: ...

    def ensure_units(self, programme_id: str, unit_ids: Iterable[str]) -> int: ...

    def units(self, programme_id: str) -> list[str]: ...


class PointRecords(Protocol):
    """Breakthrough points and their current states."""

    def add_points(self, points: Iterable[PointRow]) -> None: ...

    def get_point(self, programme_id: str, point_id: str) -> PointRow | None: ...

    def points(
        self,
        programme_id: str,
        unit: str | None = None,
        state: str | None = None,
        *,
        units: Iterable[str] | None = None,
    ) -> list[PointRow]: ...

    def count_points_by_unit(self, programme_id: str) -> dict[str, int]: ...

    def point_ids(self, programme_id: str, candidates: Iterable[str]) -> set[str]: ...

    def set_states(self, programme_id: str, states: Mapping[str, str]) -> None: ...


class EventRecords(Protocol):
    """The append-only, hash-chained trail: append, read, and the head of the chain."""

    def chain_head(self, *, for_update: bool = False) -> tuple[int, str]: ...

    def append_events(self, drafts: Iterable[EventDraft], at: datetime) -> list[EventRow]: ...

    def events(
        self,
        programme_id: str | None = None,
        point_id: str | None = None,
        *,
        after_seq: int = 0,
        limit: int | None = None,
    ) -> list[EventRow]: ...

    def state_moves(self, programme_id: str) -> list[tuple[str, str, str]]: ...

    def events_with_document(self, programme_id: str, sha256: str) -> list[EventRow]: ...

    def events_for(self, programme_id: str, trigger: str) -> list[EventRow]: ...

    def task_done(self, programme_id: str, task_id: str) -> bool: ...

    def last_event(self) -> EventRow | None: ...

    def iter_event_values(self, batch: int = 10_000) -> Iterator[tuple[Any, ...]]: ...


class DocumentRecords(Protocol):
    """Which documents the store holds (the files themselves are in a DocumentFolder)."""

    def put_document(self, stored: StoredDocument, at: datetime) -> bool: ...

    def get_document(self, sha256: str) -> DocumentRow | None: ...

    def documents(self) -> list[DocumentRow]: ...


class OverrideRecords(Protocol):
    """Deadlines moved for one point and step by a granted extension (removed again when
    the grant is withdrawn: ``engine.runtime.corrections``)."""

    def add_deadline_override(
        self, programme_id: str, point_id: str, step: str, due: date, event_seq: int
    ) -> DeadlineOverride: ...

    def deadline_overrides(
        self, programme_id: str, point_id: str | None = None
    ) -> list[DeadlineOverride]: ...

    def remove_deadline_overrides(
        self, programme_id: str, point_id: str, event_seq: int
    ) -> int: ...


class SentLog(Protocol):
    """The idempotency log of notices: one row per (programme, rule, unit, occurrence)."""

    def record_sent(
        self,
        programme_id: str,
        rule: str,
        unit_id: str,
        occurrence: str,
        status: str,
        message_id: str | None,
        at: datetime,
    ) -> bool: ...

    def get_sent(
        self, programme_id: str, rule: str, unit_id: str, occurrence: str
    ) -> SentRow | None: ...

    def sent(self, programme_id: str) -> list[SentRow]: ...


class FilingRecords(Protocol):
    """The filed occurrences of recurring reports (one row per programme, rule, period,
    unit and point), each carried by its ``file-report`` event."""

    def add_filing(self, row: FilingRow) -> bool: ...

    def filings(
        self, programme_id: str, rule: str | None = None, period: str | None = None
    ) -> list[FilingRow]: ...

    def filed(
        self, programme_id: str, rule: str | None = None, period: str | None = None
    ) -> list[Filed]: ...

    def remove_filings(self, programme_id: str, event_seq: int) -> int: ...


class StoreTransaction(
    ProgrammeRecords,
    PointRecords,
    EventRecords,
    DocumentRecords,
    OverrideRecords,
    SentLog,
    FilingRecords,
    Protocol,
):
    """One transaction of the store: every record port, committed or rolled back as one."""


class StorePort(Protocol):
    """An open store: transactions, the document folder beside it, and closing."""

    @property
    def location(self) -> str: ...

    @property
    def documents(self) -> DocumentFolder: ...

    def transaction(
        self, *, readonly: bool = False
    ) -> AbstractContextManager[StoreTransaction]: ...

    def close(self) -> None: ...
