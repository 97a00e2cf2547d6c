"""Contract: the filed occurrences of recurring reports, one row per occurrence and party."""

from __future__ import annotations

from engine.runtime.ports import StorePort
from engine.runtime.records import FilingRow
from tests.runtime.conftest import AT, PROGRAMME, draft


def _event(store: StorePort) -> int:
    with store.transaction() as tx:
        (event,) = tx.append_events([draft(1)], AT)
    return event.seq


def test_a_filing_is_recorded_once_and_listed(enrolled: StorePort) -> None:
    seq = _event(enrolled)
    row = FilingRow(PROGRAMME, "monthly", "2025-03", "发改委", "1", seq, AT.isoformat())
    with enrolled.transaction() as tx:
        assert tx.add_filing(row) is True
        assert tx.add_filing(row) is False
    other = FilingRow(PROGRAMME, "monthly", "2025-04", "发改委", "", seq, AT.isoformat())
    with enrolled.transaction() as tx:
        assert tx.add_filing(other) is True
    with enrolled.transaction(readonly=True) as tx:
        assert tx.filings(PROGRAMME) == [other, row]  # by event, then point ("" first)
        assert tx.filings(PROGRAMME, "monthly", "2025-03") == [row]
        assert tx.filings(PROGRAMME, "quarterly") == []


def test_filings_of_a_withdrawn_event_are_removed(enrolled: StorePort) -> None:
    seq = _event(enrolled)
    with enrolled.transaction() as tx:
        for unit in ("发改委", "市场监管局"):
            tx.add_filing(FilingRow(PROGRAMME, "m", "2025-03", unit, "", seq, AT.isoformat()))
    with enrolled.transaction() as tx:
        assert tx.remove_filings(PROGRAMME, seq) == 2
    with enrolled.transaction(readonly=True) as tx:
        assert tx.filings(PROGRAMME) == []


def test_a_failed_transaction_leaves_no_filing(enrolled: StorePort) -> None:
    seq = _event(enrolled)
    try:
        with enrolled.transaction() as tx:
            tx.add_filing(FilingRow(PROGRAMME, "m", "2025-03", "发改委", "", seq, AT.isoformat()))
            raise RuntimeError("stop")
    except RuntimeError:
        pass
    with enrolled.transaction(readonly=True) as tx:
        assert tx.filings(PROGRAMME) == []


def test_the_lean_reads_give_the_same_rows(enrolled: StorePort) -> None:
    seq = _event(enrolled)
    rows = [
        FilingRow(PROGRAMME, "m", "2025-04", "发改委", "1", seq, AT.isoformat()),
        FilingRow(PROGRAMME, "m", "2025-03", "市场监管局", "", seq, AT.isoformat()),
    ]
    with enrolled.transaction() as tx:
        for row in rows:
            tx.add_filing(row)
    with enrolled.transaction(readonly=True) as tx:
        assert tx.filed(PROGRAMME) == [
            ("m", "2025-03", "市场监管局", "", AT.isoformat()),
            ("m", "2025-04", "发改委", "1", AT.isoformat()),
        ]
        assert tx.filed(PROGRAMME, "m", "2025-04") == [
            ("m", "2025-04", "发改委", "1", AT.isoformat())
        ]
        moves = tx.state_moves(PROGRAMME)
    # The event of ``_event`` moves point 2 to submitted (draft(1): point 1 % 3 + 1).
    assert moves == [("2", "submitted", AT.isoformat())]
