"""Contract: 撤回 and 更正 on every store - the point goes back, the extension goes, the audit
replays it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from engine.clock import FixedClock
from engine.runtime.correcting import Corrections
from engine.runtime.ports import StorePort
from engine.runtime.service import NewPoint, Runtime
from engine.runtime.trail import verify
from tests.runtime.gd2011 import PROGRAMME_DIR, PROGRAMME_ID, load_cached, moment


def _state(store: StorePort) -> str:
    with store.transaction(readonly=True) as tx:
        point = tx.get_point(PROGRAMME_ID, "guangzhou-1")
    assert point is not None
    return point.state


def test_withdrawals_and_a_correction_on_every_store(store: StorePort, tmp_path: Path) -> None:
    clock = FixedClock(moment("2011-04-06T10:00"))
    runtime = Runtime(load_cached(PROGRAMME_DIR), store, clock)  # type: ignore[arg-type]
    runtime.enrol([NewPoint("guangzhou", "汽车产业转型升级")])
    runtime.decide("screen", ["guangzhou-1"], "accept", "符合条件")
    (approve,) = runtime.decide("approve", ["guangzhou-1"], "accept", "同意")
    letter = tmp_path / "申请.txt"
    letter.write_text("延期申请", encoding="utf-8")
    (request,) = runtime.submit("guangzhou", "extension", letter, ["guangzhou-1"])
    (grant,) = runtime.decide(
        "extension", ["guangzhou-1"], "accept", "同意", until=date(2011, 5, 20)
    )
    corrections = Corrections(runtime)

    undone = corrections.withdraw(grant.seq, "误录")
    with store.transaction(readonly=True) as tx:
        assert tx.deadline_overrides(PROGRAMME_ID) == []
        assert [e.seq for e in tx.events(PROGRAMME_ID, "guangzhou-1")][-2:] == [
            grant.seq,
            undone.seq,
        ]
    right = tmp_path / "正式申请.txt"
    right.write_text("延期申请（盖章）", encoding="utf-8")
    corrections.amend(request.seq, "未盖章", file=right)
    corrections.withdraw(request.seq, "申请撤回")
    assert _state(store) == "approved"
    corrections.withdraw(approve.seq, "审定有误")
    assert _state(store) == "screened"
    assert verify(store).ok


def test_a_withdrawn_programme_task_is_no_longer_done_on_every_store(
    store: StorePort, tmp_path: Path
) -> None:
    runtime = Runtime(load_cached(PROGRAMME_DIR), store, FixedClock(moment("2011-03-02T09:00")))  # type: ignore[arg-type]
    notice = tmp_path / "征集通知.txt"
    notice.write_text("征集突破点的通知", encoding="utf-8")
    (call,) = runtime.submit("eic", "call-for-points", notice)
    with store.transaction(readonly=True) as tx:
        assert tx.task_done(PROGRAMME_ID, "call-for-points")
    Corrections(runtime).withdraw(call.seq, "尚未印发")
    with store.transaction(readonly=True) as tx:
        assert not tx.task_done(PROGRAMME_ID, "call-for-points")
    runtime.submit("eic", "call-for-points", notice)
    with store.transaction(readonly=True) as tx:
        assert tx.task_done(PROGRAMME_ID, "call-for-points")
    assert verify(store).ok
