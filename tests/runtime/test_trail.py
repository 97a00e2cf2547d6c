"""The audit of the chained trail on SQLite: tampering found, by event and by document.

How events are hashed and linked, on every store, is in ``tests/runtime/contract/test_events.py``.

These stores are written through the store alone (points without enrolment events), so
the audit runs on the chain and the documents only (``tables=False``); the replay of the
tables is tested in ``tests/runtime/test_tampering.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.errors import TrailBroken
from engine.runtime.store import EventRow, Store
from engine.runtime.trail import (
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


# -- verification: passing ------------------------------------------------------------------


def test_empty_store_verifies(store: Store) -> None:
    report = verify(store, tables=False)
    assert report.ok
    assert (report.events_checked, report.documents_checked) == (0, 0)
    assert report.first_failure is None


# -- verification: tampering ----------------------------------------------------------------


def test_one_changed_byte_in_an_event_reason_fails_at_that_seq(
    enrolled: Store, append: Callable[..., list[EventRow]], raw_sql: RawSql
) -> None:
    append(10)
    raw_sql("UPDATE events SET reason = '某' || substr(reason, 2) WHERE seq = 7")
    report = verify(enrolled, tables=False)
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
    report = verify(enrolled, tables=False)
    assert report.failing_seq == 4
    assert report.first_failure is not None
    assert "链条在此断开" in report.first_failure


def test_first_failure_is_the_lowest_failing_seq(
    enrolled: Store, append: Callable[..., list[EventRow]], raw_sql: RawSql
) -> None:
    append(10)
    raw_sql("UPDATE events SET dest_state = 'accepted' WHERE seq IN (8, 3)")
    report = verify(enrolled, tables=False)
    assert report.failing_seq == 3
    assert report.failure_count == 2


def test_deleted_event_in_the_middle_fails(
    enrolled: Store, append: Callable[..., list[EventRow]], raw_sql: RawSql
) -> None:
    append(6)
    raw_sql("DELETE FROM events WHERE seq = 4")
    report = verify(enrolled, tables=False)
    assert not report.ok
    assert report.failing_seq == 5
    assert report.first_failure is not None
    assert "缺少 #4" in report.first_failure


def test_deleted_newest_event_fails(
    enrolled: Store, append: Callable[..., list[EventRow]], raw_sql: RawSql
) -> None:
    append(6)
    raw_sql("DELETE FROM events WHERE seq = 6")
    report = verify(enrolled, tables=False)
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
    report = verify(enrolled, tables=False)
    assert not report.ok
    assert report.failing_document == sha
    assert report.first_failure is not None
    assert sha in report.first_failure
    assert "内容已改变" in report.first_failure
    assert report.documents_checked == 2


def test_missing_document_file_fails_naming_its_sha(enrolled: Store) -> None:
    sha = _store_document(enrolled, b"will vanish", "gone.pdf")
    Path(enrolled.documents.path_for(sha)).unlink()
    report = verify(enrolled, tables=False)
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
    report = verify(enrolled, tables=False)
    assert report.failing_seq == 2
    assert report.failure_count == 2


def test_broken_report_raises_trail_broken_in_chinese(
    enrolled: Store, append: Callable[..., list[EventRow]], raw_sql: RawSql
) -> None:
    append(3)
    raw_sql("UPDATE events SET recorded_at = '2025-03-03T09:31:00+08:00' WHERE seq = 1")
    with pytest.raises(TrailBroken, match="留痕校验未通过：事件 #1"):
        verify(enrolled, tables=False).raise_if_broken()
