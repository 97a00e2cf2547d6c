"""The tamper-evident trail: how events are hashed and chained, and how the chain is audited.

Every event row carries ``prev_hash`` (the ``hash`` of the event before it; 64 zeros for the
first event) and ``hash``: the SHA-256 of the canonical JSON of every other column of the
row, ``seq`` and ``prev_hash`` included::

    canonical JSON = json.dumps(fields, sort_keys=True, ensure_ascii=False,
                                separators=(",", ":"))  encoded as UTF-8

The whole store has one chain. ``seq`` starts at 1 and has no gaps; a single-row
``trail_head`` table remembers the last ``seq`` and ``hash``, so that deleting the newest
events is detected too.

:func:`verify` recomputes every hash in ``seq`` order, checks every link, compares the end
of the chain with ``trail_head``, and re-hashes every stored document file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from hashlib import sha256
from typing import TYPE_CHECKING, Any

from engine.errors import TrailBroken, os_reason

if TYPE_CHECKING:
    from engine.runtime.store import Store

__all__ = [
    "CONTENT_COLUMNS",
    "GENESIS_HASH",
    "HASHED_COLUMNS",
    "VerifyReport",
    "canonical_json",
    "chain_rows",
    "event_hash",
    "verify",
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

#: Failures kept in a report beyond the first (the audit goes on to count them all).
_MAX_LISTED_FAILURES = 100


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


# -- audit ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """Outcome of an audit. ``first_failure`` describes, in Chinese, the first problem."""

    ok: bool
    events_checked: int
    documents_checked: int
    first_failure: str | None = None
    failing_seq: int | None = None  # seq of the first failing event, if an event failed
    failing_document: str | None = None  # sha256 of the first failing document, if any
    failures: tuple[str, ...] = ()  # the first failures found, events before documents
    failure_count: int = 0

    def raise_if_broken(self) -> None:
        """Raise :class:`TrailBroken` carrying ``first_failure`` when the audit failed."""
        if not self.ok:
            more = self.failure_count - 1
            suffix = f"（另有 {more} 处问题）" if more > 0 else ""
            raise TrailBroken(f"留痕校验未通过：{self.first_failure}{suffix}")


@dataclass(slots=True)
class _Findings:
    failures: list[str]
    count: int = 0
    seq: int | None = None
    document: str | None = None

    def add(self, text: str, *, seq: int | None = None, document: str | None = None) -> None:
        if self.count == 0:
            self.seq, self.document = seq, document
        self.count += 1
        if len(self.failures) < _MAX_LISTED_FAILURES:
            self.failures.append(text)


def _check_events(
    rows: Iterator[Sequence[Any]],
    head: tuple[int, str],
    registered: set[str],
    found: _Findings,
) -> int:
    """Walk the chain in seq order; return how many events were checked."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    doc_index = 1 + CONTENT_COLUMNS.index("document_sha256")
    for row in rows:
        checked += 1
        seq = row[0]
        stored_hash = row[-1]
        if seq != expected_seq:
            if seq > expected_seq:
                missing = (
                    f"#{expected_seq}"
                    if seq == expected_seq + 1
                    else f"#{expected_seq}～#{seq - 1}"
                )
                text = f"事件序号不连续：事件 #{seq} 之前缺少 {missing}，事件被删除"
            else:
                text = f"事件序号错乱：在事件 #{expected_seq - 1} 之后出现 #{seq}"
            found.add(text, seq=seq)
        elif row[-2] != prev_hash:
            before = "链首的全零值" if seq == 1 else f"事件 #{seq - 1} 的哈希"
            found.add(
                f"事件 #{seq} 记录的前一哈希 {str(row[-2])[:12]}… 与{before} "
                f"{prev_hash[:12]}… 不一致，链条在此断开",
                seq=seq,
            )
        else:
            recomputed = event_hash(row[:-1])
            if recomputed != stored_hash:
                found.add(
                    f"事件 #{seq} 的内容与其哈希不符：记录的哈希为 {str(stored_hash)[:12]}…，"
                    f"按现有内容重算为 {recomputed[:12]}…，该事件写入后被改动",
                    seq=seq,
                )
        document = row[doc_index]
        if document is not None and document not in registered:
            found.add(f"事件 #{seq} 引用的文件 {document} 未在文件表中登记", seq=seq)
        expected_seq = seq + 1
        prev_hash = stored_hash
    last_seq, last_hash = head
    if expected_seq - 1 != last_seq or (last_seq and prev_hash != last_hash):
        found.add(
            f"留痕链末尾与链头记录不一致：链头记录最后一个事件为 #{last_seq}，"
            f"库中最后一个事件为 #{expected_seq - 1}，末尾的事件被删除或链头被改动",
            seq=last_seq if last_seq >= expected_seq else expected_seq - 1,
        )
    return checked


def _check_documents(store: Store, documents: Sequence[Any], found: _Findings) -> int:
    from engine.runtime.documents import hash_file

    checked = 0
    for doc in documents:
        checked += 1
        path = store.documents.path_of(doc.stored_at)
        try:
            actual, size = hash_file(path)
        except FileNotFoundError:
            found.add(f"文件 {doc.sha256} 已不存在（应位于 {path}）", document=doc.sha256)
            continue
        except OSError as exc:
            found.add(
                f"文件 {doc.sha256} 无法读取（{path}：{os_reason(exc)}）",
                document=doc.sha256,
            )
            continue
        if actual != doc.sha256:
            found.add(
                f"文件 {doc.sha256} 的内容已改变：现在的哈希为 {actual[:12]}…，"
                f"大小 {size} 字节（登记时 {doc.size} 字节）",
                document=doc.sha256,
            )
        elif size != doc.size:
            found.add(
                f"文件 {doc.sha256} 的登记大小 {doc.size} 字节与实际 {size} 字节不符",
                document=doc.sha256,
            )
    return checked


def verify(store: Store) -> VerifyReport:
    """Audit the whole store: the event chain first, then every stored document.

    Runs inside one read transaction, so it sees a consistent snapshot while other processes
    keep writing.
    """
    found = _Findings(failures=[])
    with store.transaction(readonly=True) as tx:
        documents = tx.documents()
        registered = {doc.sha256 for doc in documents}
        events_checked = _check_events(tx.iter_event_values(), tx.chain_head(), registered, found)
    documents_checked = _check_documents(store, documents, found)
    return VerifyReport(
        ok=found.count == 0,
        events_checked=events_checked,
        documents_checked=documents_checked,
        first_failure=found.failures[0] if found.failures else None,
        failing_seq=found.seq,
        failing_document=found.document,
        failures=tuple(found.failures),
        failure_count=found.count,
    )
