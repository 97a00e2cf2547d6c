"""The reads the desk needs beyond the command line's: one trail event, and a stored
document with the events that carry it.

Each is one read-only transaction of the programme's store. A document is looked up by its
SHA-256 only (never by a path a user gave) and read at the place its hash gives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from engine.app.programme import Programme
from engine.errors import StoreError
from engine.runtime.store import DocumentRow, EventRow, Store

__all__ = ["FoundDocument", "find_document", "find_event"]

_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class FoundDocument:
    row: DocumentRow
    path: Path
    events: tuple[EventRow, ...]  # the programme's events that carry it


def _store_of(programme: Programme) -> Store:
    if programme.store is None:
        raise StoreError("未打开存储库：此操作需要存储库")
    return programme.store


def find_event(programme: Programme, seq: int) -> EventRow | None:
    """Event ``seq`` of this programme, or None."""
    store = _store_of(programme)
    with store.transaction(readonly=True) as tx:
        found = tx.events(programme.id, after_seq=seq - 1, limit=1)
    return found[0] if found and found[0].seq == seq else None


def find_document(programme: Programme, sha256: str) -> FoundDocument | None:
    """The document with digest ``sha256`` that an event of this programme carries, or None
    (also for anything that is not a lower-case SHA-256 hex digest)."""
    if not _SHA256.fullmatch(sha256):
        return None
    store = _store_of(programme)
    with store.transaction(readonly=True) as tx:
        events = tx.events_with_document(programme.id, sha256)
        row = tx.get_document(sha256) if events else None
    if row is None:
        return None
    root = store.documents.root.resolve()
    path = store.documents.path_for(sha256).resolve()
    if root not in path.parents or not path.is_file():
        return None
    return FoundDocument(row, path, tuple(events))
