"""Contract: the trail - append, chain, read by point, trigger or document, iterate.
These stores are written through the store alone (points without enrolment events), so
the audit runs on the chain and the documents only (``tables=False``); the replay of the
tables is tested in ``tests/runtime/test_tampering.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from hashlib import sha256
from itertools import pairwise

import pytest

from engine.runtime.chain import GENESIS_HASH, HASHED_COLUMNS, event_hash
from engine.runtime.ports import StorePort
from engine.runtime.store import EventRow
from engine.runtime.trail import verify
from tests.runtime.conftest import AT, PROGRAMME, draft

Append = Callable[..., list[EventRow]]


def _values(row: EventRow) -> list[object]:
    return [getattr(row, name) for name in HASHED_COLUMNS]


def test_the_same_events_get_the_same_hashes_on_every_store(enrolled: StorePort) -> None:
    """Hashes recorded before the store was split into modules, for the same input."""
    with enrolled.transaction() as tx:
        rows = tx.append_events(
            [draft(1), draft(2, data={"due": date(2025, 4, 30), "by": "局长"}, decision="accept")],
            AT,
        )
    assert [r.hash for r in rows] == [
        "8cf6760e54f96b93d16b15da1dc6335778dea85df2bcda7511a6f5cbf3ba1945",
        "cd05f2340cf989a62d95017888c59359737677dd1a29c260cce5120795c6d083",
    ]


def test_event_hash_is_sha256_of_the_canonical_json_of_every_other_column(
    append: Append,
) -> None:
    (row,) = append(1)
    fields = {name: getattr(row, name) for name in HASHED_COLUMNS}
    text = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert row.hash == sha256(text.encode("utf-8")).hexdigest()
    assert set(HASHED_COLUMNS) == set(EventRow.__slots__) - {"hash"}


def test_first_event_links_to_the_genesis_hash(append: Append) -> None:
    (first,) = append(1)
    assert first.seq == 1
    assert first.prev_hash == GENESIS_HASH == "0" * 64


def test_events_chain_across_transactions_without_gaps(append: Append) -> None:
    rows = append(3) + append(2)
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert all(b.prev_hash == a.hash for a, b in pairwise(rows))
    assert all(event_hash(_values(r)) == r.hash for r in rows)


def test_stored_events_match_what_append_returned(enrolled: StorePort, append: Append) -> None:
    rows = append(4, data={"old": "a" * 64, "new": "b" * 64})
    with enrolled.transaction(readonly=True) as tx:
        assert tx.events() == rows
        assert tx.chain_head() == (4, rows[-1].hash)


def test_an_empty_trail_has_the_genesis_head(store: StorePort) -> None:
    with store.transaction(readonly=True) as tx:
        assert tx.chain_head() == (0, GENESIS_HASH)
        assert tx.last_event() is None
        assert tx.events() == []


def test_appending_nothing_writes_nothing(enrolled: StorePort) -> None:
    with enrolled.transaction() as tx:
        assert tx.append_events([], AT) == []
        assert tx.chain_head() == (0, GENESIS_HASH)


def test_events_are_filtered_by_programme_and_point(enrolled: StorePort, append: Append) -> None:
    append(6)
    with enrolled.transaction() as tx:
        assert [e.seq for e in tx.events(PROGRAMME, "1")] == [1, 4]
        assert [e.seq for e in tx.events(after_seq=4)] == [5, 6]
        assert [e.seq for e in tx.events(PROGRAMME, limit=2)] == [1, 2]
        assert tx.events("other") == []
        last = tx.last_event()
    assert last is not None
    assert last.seq == 6


def test_events_are_read_by_trigger_and_tasks_found_done(
    enrolled: StorePort, append: Append
) -> None:
    append(2)
    append(1, trigger="call-for-points", point_id=None)
    append(1)
    with enrolled.transaction(readonly=True) as tx:
        assert [e.seq for e in tx.events_for(PROGRAMME, "call-for-points")] == [3]
        assert [e.seq for e in tx.events_for(PROGRAMME, "submit")] == [1, 2, 4]
        assert tx.task_done(PROGRAMME, "call-for-points")
        assert not tx.task_done(PROGRAMME, "inspection-notice")


def test_events_are_read_by_the_document_they_carry(enrolled: StorePort, append: Append) -> None:
    stored = enrolled.documents.store_bytes("实施方案".encode(), "方案.docx")
    with enrolled.transaction() as tx:
        tx.put_document(stored, AT)
    append(1)
    append(2, document_sha256=stored.sha256)
    with enrolled.transaction(readonly=True) as tx:
        assert [e.seq for e in tx.events_with_document(PROGRAMME, stored.sha256)] == [2, 3]
        assert tx.events_with_document(PROGRAMME, "f" * 64) == []


def test_every_event_is_iterated_as_column_values_in_batches(
    enrolled: StorePort, append: Append
) -> None:
    rows = append(7)
    with enrolled.transaction(readonly=True) as tx:
        values = list(tx.iter_event_values(batch=3))
    assert values == [(*_values(r), r.hash) for r in rows]


def test_event_data_is_stored_as_canonical_json(append: Append) -> None:
    (row,) = append(1, data={"due": date(2025, 4, 30), "by": "局长"})
    assert row.data == '{"by":"局长","due":"2025-04-30"}'
    assert row.extras == {"by": "局长", "due": "2025-04-30"}


def test_event_effective_time_defaults_to_the_recording_time(append: Append) -> None:
    earlier = datetime(2025, 2, 28, 17, 0, tzinfo=AT.tzinfo)
    plain, backdated = append(1)[0], append(1, effective_at=earlier)[0]
    assert plain.effective_at == plain.recorded_at == "2025-03-03T09:30:00+08:00"
    assert backdated.effective_at == "2025-02-28T17:00:00+08:00"


def test_naive_timestamps_are_rejected(enrolled: StorePort) -> None:
    with pytest.raises(ValueError, match="time zone"), enrolled.transaction() as tx:
        tx.append_events([draft(1)], datetime(2025, 3, 3, 9, 30))


def test_an_untouched_trail_with_documents_verifies(enrolled: StorePort, append: Append) -> None:
    stored = enrolled.documents.store_bytes("正文".encode(), "正文.docx")
    with enrolled.transaction() as tx:
        tx.put_document(stored, AT)
    append(20)
    append(1, document_sha256=stored.sha256)
    report = verify(enrolled, tables=False)
    assert report.ok, report.first_failure
    assert (report.events_checked, report.documents_checked) == (21, 1)
    report.raise_if_broken()  # does nothing
