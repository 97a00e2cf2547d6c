"""Contract: deadlines moved by granted extensions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from engine.runtime.ports import StorePort
from engine.runtime.store import DeadlineOverride, EventRow
from tests.runtime.conftest import PROGRAMME


def test_deadline_overrides_round_trip(
    enrolled: StorePort, append: Callable[..., list[EventRow]]
) -> None:
    (grant,) = append(1, trigger="extend", decision="grant")
    with enrolled.transaction() as tx:
        added = tx.add_deadline_override(PROGRAMME, "2", "submit", date(2025, 5, 15), grant.seq)
    with enrolled.transaction() as tx:
        assert tx.deadline_overrides(PROGRAMME) == [added]
        assert added == DeadlineOverride(PROGRAMME, "2", "submit", date(2025, 5, 15), grant.seq)
        assert tx.deadline_overrides(PROGRAMME, "1") == []


def test_deadline_overrides_come_in_the_order_granted(
    enrolled: StorePort, append: Callable[..., list[EventRow]]
) -> None:
    first, second = append(2, trigger="extend", decision="grant")
    with enrolled.transaction() as tx:
        tx.add_deadline_override(PROGRAMME, "1", "submit", date(2025, 6, 1), second.seq)
        tx.add_deadline_override(PROGRAMME, "1", "submit", date(2025, 5, 20), first.seq)
        tx.add_deadline_override(PROGRAMME, "2", "plan", date(2025, 5, 1), first.seq)
    with enrolled.transaction(readonly=True) as tx:
        got = [(o.event_seq, o.point_id, o.due) for o in tx.deadline_overrides(PROGRAMME)]
        assert got == [
            (first.seq, "1", date(2025, 5, 20)),
            (first.seq, "2", date(2025, 5, 1)),
            (second.seq, "1", date(2025, 6, 1)),
        ]
        assert [o.due for o in tx.deadline_overrides(PROGRAMME, "1")] == [
            date(2025, 5, 20),
            date(2025, 6, 1),
        ]


def test_removing_a_grants_overrides_leaves_the_others(
    enrolled: StorePort, append: Callable[..., list[EventRow]]
) -> None:
    """A withdrawn grant takes out exactly the extensions it made, of its point."""
    first, second = append(2, trigger="extend", decision="grant")
    with enrolled.transaction() as tx:
        tx.add_deadline_override(PROGRAMME, "1", "submit", date(2025, 5, 20), first.seq)
        tx.add_deadline_override(PROGRAMME, "2", "plan", date(2025, 5, 1), first.seq)
        tx.add_deadline_override(PROGRAMME, "1", "submit", date(2025, 6, 1), second.seq)
    with enrolled.transaction() as tx:
        assert tx.remove_deadline_overrides(PROGRAMME, "1", first.seq) == 1
        assert tx.remove_deadline_overrides(PROGRAMME, "1", first.seq) == 0
    with enrolled.transaction(readonly=True) as tx:
        got = [(o.event_seq, o.point_id, o.due) for o in tx.deadline_overrides(PROGRAMME)]
        assert got == [(first.seq, "2", date(2025, 5, 1)), (second.seq, "1", date(2025, 6, 1))]
