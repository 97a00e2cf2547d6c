"""Contract: a transaction is all or nothing; a read-only one writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from engine.errors import StoreError
from engine.runtime.documents import StoredDocument
from engine.runtime.ports import StorePort, StoreTransaction
from engine.runtime.store import EventRow, PointRow
from tests.runtime.conftest import AT, PROGRAMME, draft


def _everything(store: StorePort) -> tuple[Any, ...]:
    with store.transaction(readonly=True) as tx:
        return (
            tx.programmes(),
            tx.units(PROGRAMME),
            tx.points(PROGRAMME),
            tx.events(),
            tx.chain_head(),
            tx.documents(),
            tx.deadline_overrides(PROGRAMME),
            tx.sent(PROGRAMME),
        )


def test_transaction_that_raises_leaves_every_table_unchanged(
    enrolled: StorePort, append: Callable[..., list[EventRow]]
) -> None:
    (grant,) = append(1)
    append(4)
    before = _everything(enrolled)
    stored = enrolled.documents.store_bytes(b"doc", "d.txt")

    def fail_midway() -> None:
        with enrolled.transaction() as tx:
            tx.put_programme("other", "另一方案", 2025, "d" * 64, AT)
            tx.set_definition_hash(PROGRAMME, "e" * 64)
            tx.ensure_units(PROGRAMME, ["财政局"])
            tx.add_points([PointRow(PROGRAMME, "9", "财政局", "新增", "draft")])
            tx.set_states(PROGRAMME, {"1": "accepted", "2": "accepted"})
            tx.append_events([draft(i) for i in range(50)], AT)
            tx.put_document(stored, AT)
            tx.add_deadline_override(PROGRAMME, "1", "submit", date(2025, 5, 1), grant.seq)
            tx.record_sent(PROGRAMME, "催报", "发改委", "2025-03", "sent", "<m@x>", AT)
            _ = 1 / 0

    with pytest.raises(ZeroDivisionError):
        fail_midway()
    assert _everything(enrolled) == before


def test_failed_database_write_rolls_back_and_becomes_store_error(enrolled: StorePort) -> None:
    def append_then_violate_a_constraint() -> None:
        with enrolled.transaction() as tx:
            tx.append_events([draft(1)], AT)
            tx.add_points([PointRow(PROGRAMME, "9", "不存在的单位", "标题", "draft")])

    with pytest.raises(StoreError, match="违反了数据约束"):
        append_then_violate_a_constraint()
    with enrolled.transaction(readonly=True) as tx:
        assert tx.events() == []
        assert tx.get_point(PROGRAMME, "9") is None


A_DOCUMENT = StoredDocument("a" * 64, 1, "a.txt", f"aa/{'a' * 64}")

WRITES: dict[str, Callable[[StoreTransaction], object]] = {
    "put_programme": lambda tx: tx.put_programme("x", "x", 2025, "f" * 64, AT),
    "set_definition_hash": lambda tx: tx.set_definition_hash(PROGRAMME, "f" * 64),
    "ensure_units": lambda tx: tx.ensure_units(PROGRAMME, ["财政局"]),
    "add_points": lambda tx: tx.add_points([PointRow(PROGRAMME, "9", "发改委", "t", "draft")]),
    "set_states": lambda tx: tx.set_states(PROGRAMME, {"1": "accepted"}),
    "append_events": lambda tx: tx.append_events([draft(1)], AT),
    "put_document": lambda tx: tx.put_document(A_DOCUMENT, AT),
    "add_deadline_override": lambda tx: tx.add_deadline_override(
        PROGRAMME, "1", "submit", date(2025, 5, 1), 1
    ),
    "remove_deadline_overrides": lambda tx: tx.remove_deadline_overrides(PROGRAMME, "1", 1),
    "record_sent": lambda tx: tx.record_sent(PROGRAMME, "r", "发改委", "o", "sent", None, AT),
}


@pytest.mark.parametrize("write", sorted(WRITES))
def test_readonly_transaction_refuses_every_write(enrolled: StorePort, write: str) -> None:
    before = _everything(enrolled)
    with pytest.raises(RuntimeError, match="read-only"), enrolled.transaction(readonly=True) as tx:
        WRITES[write](tx)
    assert _everything(enrolled) == before


def test_transactions_do_not_nest(store: StorePort) -> None:
    with store.transaction(), pytest.raises(RuntimeError, match="nest"), store.transaction():
        pass


def test_transaction_object_is_unusable_after_the_block(store: StorePort) -> None:
    with store.transaction() as tx:
        pass
    with pytest.raises(RuntimeError, match="ended"):
        tx.programmes()


def test_closed_store_refuses_transactions(store: StorePort) -> None:
    store.close()
    with pytest.raises(StoreError, match="已关闭"), store.transaction():
        pass


def test_a_commit_is_seen_by_another_handle_on_the_store(
    enrolled: StorePort, open_again: Callable[[], StorePort]
) -> None:
    other = open_again()
    with enrolled.transaction() as tx:
        tx.set_states(PROGRAMME, {"2": "submitted"})
    with other.transaction(readonly=True) as tx:
        point = tx.get_point(PROGRAMME, "2")
    assert point is not None
    assert point.state == "submitted"
