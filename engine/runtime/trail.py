"""The tamper-evident trail: how the chain of events is audited.

How events are hashed and chained is in :mod:`engine.runtime.chain` (re-exported here):
every event row carries ``prev_hash`` and ``hash``, the SHA-256 of the canonical JSON of
every other column of the row. The whole store has one chain. ``seq`` starts at 1 and has no
gaps; a single-row ``trail_head`` table remembers the last ``seq`` and ``hash``, so that
deleting the newest events is detected too.

:func:`verify` recomputes every hash in ``seq`` order, checks every link, compares the end
of the chain with ``trail_head``, replays the trail into the tables it answers for (points,
extensions, units, documents' places: :mod:`engine.runtime.replay`) and compares them with the
store, and re-hashes every stored document file. It reads the
store through its ports only (:class:`~engine.runtime.ports.StorePort`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from engine.errors import TrailBroken, os_reason
from engine.runtime.chain import (
    CONTENT_COLUMNS,
    GENESIS_HASH,
    HASHED_COLUMNS,
    canonical_json,
    chain_rows,
    event_hash,
)
from engine.runtime.documents import hash_file
from engine.runtime.ports import StorePort
from engine.runtime.replay import TableReplay

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

#: Failures kept in a report beyond the first (the audit goes on to count them all).
_MAX_LISTED_FAILURES = 100


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
    tables: TableReplay,
) -> int:
    """Walk the chain in seq order, feeding ``tables``; return how many events were checked."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    doc_index = 1 + CONTENT_COLUMNS.index("document_sha256")
    for row in rows:
        checked += 1
        tables.feed(row)
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


def _check_documents(store: StorePort, documents: Sequence[Any], found: _Findings) -> int:
    checked = 0
    for doc in documents:
        checked += 1
        # By its content hash, never by the stored_at column: a changed column must not make
        # the audit read a file outside the documents folder (the replay reports it).
        path = store.documents.path_for(doc.sha256)
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


def verify(store: StorePort, *, tables: bool = True) -> VerifyReport:
    """Audit the whole store: the event chain first, then every stored document.

    Runs inside one read transaction, so it sees a consistent snapshot while other processes
    keep writing.
    """
    found = _Findings(failures=[])
    replay = TableReplay()
    with store.transaction(readonly=True) as tx:
        documents = tx.documents()
        registered = {doc.sha256 for doc in documents}
        events_checked = _check_events(
            tx.iter_event_values(), tx.chain_head(), registered, found, replay
        )
        if tables:
            for text in replay.compare(tx, store.documents):
                found.add(text)
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
