"""The chained trail: hashing, linking, and the audit of events and documents."""

from __future__ import annotations

import json
from collections.abc import Callable
from hashlib import sha256
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from engine.errors import TrailBroken
from engine.runtime.store import EventRow, Store
from engine.runtime.trail import (
    GENESIS_HASH,
    HASHED_COLUMNS,
    canonical_json,
    event_hash,
    verify,
)
from tests.runtime.conftest import AT

RawSql = Callable[..., list[tuple[Any, ...]]]


def _values(row: EventRow) -> list[object]:
    return [getattr(row, name) for name in HASHED_COLUMNS]


def _store_document(store: Store, content: bytes, name: str) -> str:
    stored = store.documents.store_bytes(content, name)
    with store.transaction() as tx:
        tx.put_document(stored, AT)
    return stored.sha256


# -- hashing --------------------------------------------------------------------------------


def test_canonical_json_sorts_keys_keeps_chinese_and_has_no_spaces() -> None:
    assert canonical_json({"b": 1, "a": "审核"}) == '{"a":"审核","b":1}'


def test_event_hash_is_sha256_of_the_canonical_json_of_every_other_column(
    append: Callable[..., list[EventRow]],
) -> None:
    (row,) = append(1)
    fields = {name: getattr(row, name) for name in HASHED_COLUMNS}
    text = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert row.hash == sha256(text.encode("utf-8")).hexdigest()
    assert set(HASHED_COLUMNS) == set(EventRow.__slots__) - {"hash"}


def test_first_event_links_to_the_genesis_hash(append: Callable[..., list[EventRow]]) -> None:
    (first,) = append(1)
    assert first.seq == 1
    assert first.prev_hash == GENESIS_HASH == "0" * 64


def test_events_chain_across_transactions_without_gaps(
    append: Callable[..., list[EventRow]],
) -> None:
    rows = append(3) + append(2)
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert all(b.prev_hash == a.hash for a, b in pairwise(rows))
    assert all(event_hash(_values(r)) == r.hash for r in rows)


def test_stored_events_match_what_append_returned(
    enrolled: Store, append: Callable[..., list[EventRow]]
) -> None:
    rows = append(4, data={"old": "a" * 64, "new": "b" * 64})
    with enrolled.transaction(readonly=True) as tx:
        assert tx.events() == rows
        assert tx.chain_head() == (4, rows[-1].hash)


# -- verification: passing ------------------------------------------------------------------


def test_empty_store_verifies(store: Store) -> None:
    report = verify(store)
    assert report.ok
    assert (report.events_checked, report.documents_checked) == (0, 0)
    assert report.first_failure is None


def test_untouched_trail_and_documents_verify(
    enrolled: Store, append: Callable[..., list[EventRow]]
) -> None:
    sha = _store_document(enrolled, "实施方案正文".encode(), "方案.docx")
    append(20)
    append(1, document_sha256=sha, trigger="submit_document")
    report = verify(enrolled)
    assert report.ok, report.first_failure
    assert (report.events_checked, report.documents_checked) == (21, 1)
    report.raise_if_broken()  # does nothing


# -- verification: tampering ----------------------------------------------------------------


def test_one_changed_byte_in_an_event_reason_fails_at_that_seq(
    enrolled: Store, append: Callable[..., list[EventRow]], raw_sql: RawSql
) -> None:
    append(10)
    raw_sql("UPDATE events SET reason = '某' || substr(reason, 2) WHERE seq = 7")
    report = verify(enrolled)
    assert not report.ok
    assert report.failing_seq == 7
    assert report.first_failure is not None
    assert "事件 #7" in report.first_failure
    assert "哈希不符" in report.first_failure
    assert report.failure_count == 1  # the events after it still link to its stored hash


def test_changed_event_with_recomputed_hash_fails_at_the_next_link(
    enrolled: Store, append: Callable[..., list[EventRow]], raw_sql: RawSql
) -> None:
    rows = append(5)
    forged = _values(rows[2])
    forged[HASHED_COLUMNS.index("actor")] = "冒名者"
    raw_sql("UPDATE events SET actor = ?, hash = ? WHERE seq = 3", "冒名者", event_hash(forged))
    report = verify(enrolled)
    assert report.failing_seq == 4
    assert report.first_failure is not None
    assert "链条在此断开" in report.first_failure


def test_first_failure_is_the_lowest_failing_seq(
    enrolled: Store, append: Callable[..., list[EventRow]], raw_sql: RawSql
) -> None:
    append(10)
    raw_sql("UPDATE events SET dest_state = 'accepted' WHERE seq IN (8, 3)")
    report = verify(enrolled)
    assert report.failing_seq == 3
    assert report.failure_count == 2


def test_deleted_event_in_the_middle_fails(
    enrolled: Store, append: Callable[..., list[EventRow]], raw_sql: RawSql
) -> None:
    append(6)
    raw_sql("DELETE FROM events WHERE seq = 4")
    report = verify(enrolled)
    assert not report.ok
    assert report.failing_seq == 5
    assert report.first_failure is not None
    assert "缺少 #4" in report.first_failure


def test_deleted_newest_event_fails(
    enrolled: Store, append: Callable[..., list[EventRow]], raw_sql: RawSql
) -> None:
    append(6)
    raw_sql("DELETE FROM events WHERE seq = 6")
    report = verify(enrolled)
    assert not report.ok
    assert report.first_failure is not None
    assert "末尾的事件被删除" in report.first_failure


def test_one_changed_byte_in_a_document_file_fails_naming_its_sha(enrolled: Store) -> None:
    sha = _store_document(enrolled, "第一份材料".encode(), "a.docx")
    _store_document(enrolled, "第二份材料".encode(), "b.docx")
    path = enrolled.documents.path_for(sha)
    data = bytearray(path.read_bytes())
    data[0] ^= 0x01
    path.write_bytes(bytes(data))
    report = verify(enrolled)
    assert not report.ok
    assert report.failing_document == sha
    assert report.first_failure is not None
    assert sha in report.first_failure
    assert "内容已改变" in report.first_failure
    assert report.documents_checked == 2


def test_missing_document_file_fails_naming_its_sha(enrolled: Store) -> None:
    sha = _store_document(enrolled, b"will vanish", "gone.pdf")
    Path(enrolled.documents.path_for(sha)).unlink()
    report = verify(enrolled)
    assert report.failing_document == sha
    assert report.first_failure is not None
    assert "不存在" in report.first_failure


def test_event_failures_are_reported_before_document_failures(
    enrolled: Store, append: Callable[..., list[EventRow]], raw_sql: RawSql
) -> None:
    sha = _store_document(enrolled, b"doc", "d.txt")
    append(3)
    enrolled.documents.path_for(sha).write_bytes(b"DOC")
    raw_sql("UPDATE events SET actor = 'x' WHERE seq = 2")
    report = verify(enrolled)
    assert report.failing_seq == 2
    assert report.failure_count == 2


def test_broken_report_raises_trail_broken_in_chinese(
    enrolled: Store, append: Callable[..., list[EventRow]], raw_sql: RawSql
) -> None:
    append(3)
    raw_sql("UPDATE events SET recorded_at = '2025-03-03T09:31:00+08:00' WHERE seq = 1")
    with pytest.raises(TrailBroken, match="留痕校验未通过：事件 #1"):
        verify(enrolled).raise_if_broken()
