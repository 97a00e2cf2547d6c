"""How events are hashed and chained: canonical JSON, an event's hash, sealing new rows.

Every event row carries ``prev_hash`` (the ``hash`` of the event before it; 64 zeros for the
first event) and ``hash``: the SHA-256 of the canonical JSON of every other column of the
row, ``seq`` and ``prev_hash`` included::

    canonical JSON = json.dumps(fields, sort_keys=True, ensure_ascii=False,
                                separators=(",", ":"))  encoded as UTF-8

This module knows nothing of the store: the store seals the rows it appends with
:func:`chain_rows`, and the audit (:mod:`engine.runtime.trail`) recomputes them with
:func:`event_hash`. Changing anything here changes every trail hash.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from hashlib import sha256
from typing import Any

__all__ = [
    "CONTENT_COLUMNS",
    "GENESIS_HASH",
    "HASHED_COLUMNS",
    "canonical_json",
    "chain_rows",
    "event_hash",
]

GENESIS_HASH = "0" * 64

#: Columns a caller supplies for an event, in table order.
CONTENT_COLUMNS: tuple[str, ...] = (
    "programme_id",
    "point_id",
    "unit_id",
    "trigger",
    "source_state",
    "dest_state",
    "actor",
    "document_sha256",
    "decision",
    "reason",
    "data",
    "recorded_at",
    "effective_at",
)

#: Columns covered by an event's hash, in table order: everything except ``hash`` itself.
HASHED_COLUMNS: tuple[str, ...] = ("seq", *CONTENT_COLUMNS, "prev_hash")


def _json_default(value: object) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable in event data")


_ENCODE = json.JSONEncoder(
    sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_json_default
).encode


def canonical_json(value: Any) -> str:
    """Canonical JSON text: sorted keys, UTF-8 characters kept, no spaces.

    Dates and datetimes are written in ISO 8601.
    """
    return _ENCODE(value)


def event_hash(values: Sequence[object]) -> str:
    """Hash of one event given its :data:`HASHED_COLUMNS` values, in that order."""
    return sha256(_ENCODE(dict(zip(HASHED_COLUMNS, values, strict=True))).encode()).hexdigest()


def chain_rows(
    contents: Iterable[Sequence[object]], last_seq: int, last_hash: str
) -> list[tuple[Any, ...]]:
    """Number and seal events after the chain head ``(last_seq, last_hash)``.

    Each item of ``contents`` holds the :data:`CONTENT_COLUMNS` values of one event. Returns
    full rows ``(seq, *content, prev_hash, hash)`` ready for ``executemany``. This is the hot
    loop of a bulk append, hence the local names.
    """
    encode = _ENCODE
    digest = sha256
    columns = HASHED_COLUMNS
    rows: list[tuple[Any, ...]] = []
    append = rows.append
    seq = last_seq
    prev = last_hash
    for content in contents:
        seq += 1
        values = (seq, *content, prev)
        prev = digest(encode(dict(zip(columns, values, strict=True))).encode()).hexdigest()
        append((*values, prev))
    return rows
