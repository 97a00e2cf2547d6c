"""Keeping a programme's pin in the store: register it, compare it, upgrade it, migrate it.

The ``programmes`` row's ``definition_hash`` is the SHA-256 of the programme's manifest
(``engine.definition.pin``); the manifest itself is kept as a content-addressed document
(``definition-manifest.json`` in the documents table and folder, checked by ``audit verify``
like every document), so that a refusal and ``migrate`` can name what changed.

Stores pinned before the manifest hold the SHA-256 of ``programme.yaml``'s bytes. Such a pin
is accepted while it equals the hash of the current file, and replaced by the manifest's on
the next write; when the file differs the older pin cannot say more than that it did.

The trail carries the pin: registering a programme appends a ``register-programme`` event
with its hash (as does taking over an older pin), and a migration's event carries the new
one, so that ``audit verify`` checks the ``programmes`` row against the latest of them
(:mod:`engine.runtime.carried`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from engine.definition.loader import Definition
from engine.definition.pin import Change, Manifest
from engine.errors import DefinitionChanged
from engine.runtime.carried import register_draft
from engine.runtime.store import EventRow, ProgrammeRow, Store, Transaction

__all__ = ["MANIFEST_NAME", "Migration", "Pin", "changes_since_pinned", "ensure_pinned", "keep"]

#: The name the manifest document is registered under.
MANIFEST_NAME = "definition-manifest.json"


@dataclass(frozen=True, slots=True)
class Pin:
    """The current definition's manifest, its bytes and its hash (the pin)."""

    manifest: Manifest
    data: bytes
    sha256: str

    @classmethod
    def of(cls, definition: Definition) -> Pin:
        manifest = definition.manifest()
        data = manifest.to_json()
        return cls(manifest, data, manifest.sha256)


@dataclass(frozen=True, slots=True)
class Migration(EventRow):
    """The trail event a migration recorded, with what changed (``str()`` of each: Chinese)."""

    changes: tuple[Change, ...] = ()

    @classmethod
    def of(cls, event: EventRow, changes: tuple[Change, ...]) -> Migration:
        values = {f.name: getattr(event, f.name) for f in fields(EventRow)}
        return cls(**values, changes=changes)


def _pinned_manifest(store: Store, tx: Transaction, sha256: str) -> Manifest | None:
    """The manifest stored under ``sha256``, or None (an older pin, a lost document)."""
    if tx.get_document(sha256) is None or not store.documents.contains(sha256):
        return None
    try:
        return Manifest.from_json(store.documents.read_bytes(sha256))
    except (OSError, ValueError):
        return None


def changes_since_pinned(
    store: Store, tx: Transaction, definition: Definition, row: ProgrammeRow, pin: Pin
) -> tuple[Change, ...]:
    """What differs between the pinned and the current definition; empty when nothing does."""
    if row.definition_hash in (pin.sha256, definition.sha256):  # an older pin of this file too
        return ()
    old = _pinned_manifest(store, tx, row.definition_hash)
    if old is None:
        return (Change("file", definition.file.name),)
    # Equal parts with a different hash: the manifest's layout itself changed.
    return pin.manifest.changes_since(old) or (Change("definition"),)


def keep(store: Store, tx: Transaction, pin: Pin, at: datetime) -> None:
    """Store the manifest document (idempotent) and register it in this transaction."""
    tx.put_document(store.documents.store_bytes(pin.data, MANIFEST_NAME), at)


def ensure_pinned(
    store: Store,
    tx: Transaction,
    definition: Definition,
    at: datetime | None = None,
    operator: str | None = None,
) -> None:
    """Refuse (``DefinitionChanged``) a definition other than the pinned one.

    With ``at`` the transaction writes: a programme seen for the first time is registered
    under the current pin, and an older pin of the same file is replaced by it; either is
    recorded by a ``register-programme`` event (keyed in by ``operator``).
    """
    pin = Pin.of(definition)
    row = tx.get_programme(definition.id)
    header = definition.programme.programme
    if row is None:
        if at is not None:
            keep(store, tx, pin, at)
            tx.put_programme(definition.id, header.title, header.year, pin.sha256, at)
            tx.append_events(
                [register_draft(definition.id, header.issuer, pin.sha256, operator)], at
            )
        return
    changes = changes_since_pinned(store, tx, definition, row, pin)
    if changes:
        raise DefinitionChanged(definition.id, row.definition_hash, pin.sha256, changes)
    if at is not None and row.definition_hash != pin.sha256:
        keep(store, tx, pin, at)
        tx.set_definition_hash(definition.id, pin.sha256)
        draft = register_draft(
            definition.id, header.issuer, pin.sha256, operator, replaces=row.definition_hash
        )
        tx.append_events([draft], at)
