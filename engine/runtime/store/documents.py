"""The ``documents`` table: which stored files the store knows, and by what name they came.

The files themselves live in a :class:`~engine.runtime.documents.DocumentFolder`.
"""

from __future__ import annotations

from datetime import datetime

from engine.runtime.documents import StoredDocument
from engine.runtime.records import DocumentRow, iso_timestamp
from engine.runtime.store.schema import DOCUMENTS
from engine.runtime.store.sql import TableAccess

__all__ = ["DocumentTable"]


class DocumentTable(TableAccess):
    """Registered documents (satisfies :class:`~engine.runtime.ports.DocumentRecords`)."""

    def put_document(self, stored: StoredDocument, at: datetime) -> bool:
        """Register a stored document; True if it was new, False if already registered."""
        return self._insert_if_absent(
            DOCUMENTS,
            {
                "sha256": stored.sha256,
                "size": stored.size,
                "original_name": stored.original_name,
                "stored_at": stored.relpath,
                "first_seen_at": iso_timestamp(at),
            },
        )

    def get_document(self, sha256: str) -> DocumentRow | None:
        stmt = DOCUMENTS.select().where(DOCUMENTS.c.sha256 == sha256)
        found = self._usable().execute(stmt).first()
        return DocumentRow(*found) if found else None

    def documents(self) -> list[DocumentRow]:
        stmt = DOCUMENTS.select().order_by(DOCUMENTS.c.first_seen_at, DOCUMENTS.c.sha256)
        return [DocumentRow(*r) for r in self._usable().execute(stmt)]
