"""Contract: the documents the store has registered."""

from __future__ import annotations

from datetime import timedelta

from engine.runtime.ports import StorePort
from engine.runtime.store import DocumentRow
from tests.runtime.conftest import AT


def test_a_registered_document_is_read_back(store: StorePort) -> None:
    stored = store.documents.store_bytes("报送材料".encode(), "材料.pdf")
    with store.transaction() as tx:
        assert tx.put_document(stored, AT) is True
    with store.transaction(readonly=True) as tx:
        assert tx.get_document(stored.sha256) == DocumentRow(
            stored.sha256, stored.size, "材料.pdf", stored.relpath, "2025-03-03T09:30:00+08:00"
        )
        assert tx.get_document("f" * 64) is None


def test_registering_a_document_twice_keeps_the_first_record(store: StorePort) -> None:
    stored = store.documents.store_bytes(b"x", "first.txt")
    again = store.documents.store_bytes(b"x", "second.txt")
    with store.transaction() as tx:
        assert tx.put_document(stored, AT) is True
    with store.transaction() as tx:
        assert tx.put_document(again, AT + timedelta(days=1)) is False
        row = tx.get_document(stored.sha256)
    assert row is not None
    assert (row.original_name, row.first_seen_at) == ("first.txt", "2025-03-03T09:30:00+08:00")


def test_documents_are_listed_in_the_order_first_seen(store: StorePort) -> None:
    later = store.documents.store_bytes(b"later", "b.txt")
    first = store.documents.store_bytes(b"first", "a.txt")
    with store.transaction() as tx:
        tx.put_document(later, AT + timedelta(hours=1))
        tx.put_document(first, AT)
    with store.transaction(readonly=True) as tx:
        assert [d.original_name for d in tx.documents()] == ["a.txt", "b.txt"]
