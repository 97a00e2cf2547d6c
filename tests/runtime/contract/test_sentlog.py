"""Contract: the send log records each notice key once, however many runs race for it."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest

from engine.runtime.ports import StorePort
from engine.runtime.store import SentRow
from tests.runtime.conftest import AT, PROGRAMME


def test_record_sent_is_idempotent(enrolled: StorePort) -> None:
    key = (PROGRAMME, "逾期提醒", "发改委", "2025-03-10")
    with enrolled.transaction() as tx:
        assert tx.record_sent(*key, "sent", "<a@docflow>", AT) is True
    with enrolled.transaction() as tx:
        assert tx.record_sent(*key, "queued", "<b@docflow>", AT) is False
        sent = tx.sent(PROGRAMME)
        assert [(s.status, s.message_id) for s in sent] == [("sent", "<a@docflow>")]
        assert tx.get_sent(*key) == sent[0]


def test_the_same_key_twice_in_one_transaction_is_recorded_once(enrolled: StorePort) -> None:
    key = (PROGRAMME, "催报", "*", "2025-03-10")
    with enrolled.transaction() as tx:
        assert tx.record_sent(*key, "skipped", None, AT) is True
        assert tx.record_sent(*key, "sent", "<m@docflow>", AT) is False
    with enrolled.transaction(readonly=True) as tx:
        assert tx.get_sent(*key) == SentRow(*key, "skipped", None, "2025-03-03T09:30:00+08:00")


def test_an_unlogged_key_is_not_found(enrolled: StorePort) -> None:
    with enrolled.transaction(readonly=True) as tx:
        assert tx.get_sent(PROGRAMME, "催报", "发改委", "2025-03-10") is None
        assert tx.sent(PROGRAMME) == []


def test_the_log_is_listed_in_the_order_recorded(enrolled: StorePort) -> None:
    with enrolled.transaction() as tx:
        tx.record_sent(PROGRAMME, "b", "发改委", "1", "sent", None, AT + timedelta(hours=1))
        tx.record_sent(PROGRAMME, "a", "市场监管局", "1", "queued", None, AT)
        tx.record_sent(PROGRAMME, "a", "发改委", "1", "sent", None, AT)
    with enrolled.transaction(readonly=True) as tx:
        assert [(s.rule, s.unit_id) for s in tx.sent(PROGRAMME)] == [
            ("a", "发改委"),
            ("a", "市场监管局"),
            ("b", "发改委"),
        ]


def test_record_sent_rejects_an_unknown_status(enrolled: StorePort) -> None:
    with pytest.raises(ValueError, match="status"), enrolled.transaction() as tx:
        tx.record_sent(PROGRAMME, "r", "发改委", "x", "delivered", None, AT)


def test_of_four_runs_recording_the_same_keys_at_once_exactly_one_wins_each(
    enrolled: StorePort, open_again: Callable[[], StorePort]
) -> None:
    """Four writers, each with its own store handle and connections, as four processes."""
    keys = [
        ("催报", unit, f"2025-03-{day:02d}")
        for unit in ("发改委", "市场监管局")
        for day in range(1, 11)
    ]
    stores = [open_again() for _ in range(4)]
    start = threading.Barrier(len(stores))
    won: Counter[tuple[str, str, str]] = Counter()
    failures: list[BaseException] = []
    lock = threading.Lock()

    def run(store: StorePort, name: str) -> None:
        try:
            start.wait(timeout=30)
            for rule, unit, occurrence in keys:
                with store.transaction() as tx:
                    if tx.record_sent(PROGRAMME, rule, unit, occurrence, "sent", name, AT):
                        with lock:
                            won[(rule, unit, occurrence)] += 1
        except BaseException as exc:
            failures.append(exc)

    threads = [
        threading.Thread(target=run, args=(store, f"<run-{n}@docflow>"))
        for n, store in enumerate(stores)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    assert dict(won) == dict.fromkeys(keys, 1)
    with enrolled.transaction(readonly=True) as tx:
        logged = tx.sent(PROGRAMME)
    assert len(logged) == len(keys)
    winners = {(s.rule, s.unit_id, s.occurrence): s.message_id for s in logged}
    assert set(winners) == set(keys)
