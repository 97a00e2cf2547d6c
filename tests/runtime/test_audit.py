"""``docflow audit verify`` after a real run: it passes, and names what was tampered with."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.errors import TrailBroken
from engine.runtime.trail import verify
from tests.runtime.gd2011 import EIC, Year, raw_sql, run_cli


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Year:
    year = Year(tmp_path_factory.mktemp("template"))
    year.at("2011-03-02T09:00").submit(EIC, "call-for-points")
    year.at("2011-03-15T10:00").enrol_example()
    year.at("2011-04-06T10:00").decide("screen", ["guangzhou-1", "guangzhou-2"], reason="ok-1")
    year.at("2011-04-20T10:00").decide("approve", ["guangzhou-1", "guangzhou-2"], reason="ok-2")
    year.at("2011-05-05T10:00").submit("guangzhou", "work-plan")
    year.close()
    return year


@pytest.fixture
def year(template: Year, tmp_path: Path) -> Iterator[Year]:
    with Year.copy_of(template, tmp_path / "store") as copy:
        yield copy


def seq_of(year: Year, trigger: str, point: str) -> int:
    (seq,) = [e.seq for e in year.events(point) if e.trigger == trigger]
    return seq


def audit(year: Year, *extra: str) -> tuple[int, str, str]:
    result = run_cli(["audit", "verify", *extra], {"DOCFLOW_DB": str(year.db)})
    assert result.exception is None, result.exception
    return result.exit_code, result.stdout, result.stderr


def test_the_trail_of_a_real_run_verifies(year: Year) -> None:
    events = len(year.events())

    code, out, err = audit(year)

    assert (code, err) == (0, "")
    # Two submitted documents and the manifest the programme is pinned to.
    assert out.strip() == f"留痕校验通过：{events} 条留痕、3 份文件均与哈希相符。"


def test_one_changed_byte_in_a_reason_is_found_and_its_event_named(year: Year) -> None:
    seq = seq_of(year, "approve", "guangzhou-2")
    raw_sql(year.db, "UPDATE events SET reason = 'ok-3' WHERE seq = ?", seq)

    code, out, err = audit(year)

    assert (code, out) == (TrailBroken.exit_code, "")
    assert err.startswith(f"留痕校验未通过：事件 #{seq} 的内容与其哈希不符")
    assert len(err.strip().splitlines()) == 1


def test_one_changed_byte_in_a_destination_state_is_found_and_its_event_named(
    year: Year,
) -> None:
    seq = seq_of(year, "screen-in", "guangzhou-1")
    raw_sql(year.db, "UPDATE events SET dest_state = 'screenee' WHERE seq = ?", seq)

    report = verify(year.store)

    assert (report.ok, report.failing_seq) == (False, seq)
    assert f"事件 #{seq}" in (report.first_failure or "")


def test_the_json_audit_names_the_failing_event_and_exits_1(year: Year) -> None:
    seq = seq_of(year, "enrol", "eic-1")
    raw_sql(year.db, "UPDATE events SET dest_state = 'proposee' WHERE seq = ?", seq)

    code, out, _ = audit(year, "--json")

    assert code == 1
    report = json.loads(out)
    assert (report["ok"], report["failing_seq"]) == (False, seq)


def test_one_changed_byte_in_a_stored_document_is_found_and_the_document_named(
    year: Year,
) -> None:
    (event, _) = [e for e in year.events() if e.trigger == "submit-plan"]
    sha = event.document_sha256
    assert sha is not None
    stored = year.store.documents.path_for(sha)
    data = bytearray(stored.read_bytes())
    data[0] ^= 0x01
    stored.write_bytes(bytes(data))

    code, out, err = audit(year)

    assert (code, out) == (TrailBroken.exit_code, "")
    assert err.startswith(f"留痕校验未通过：文件 {sha} 的内容已改变")
    assert verify(year.store).failing_document == sha


def test_a_deleted_stored_document_is_found(year: Year) -> None:
    (event,) = [e for e in year.events() if e.trigger == "call-for-points"]
    assert event.document_sha256 is not None
    year.store.documents.path_for(event.document_sha256).unlink()

    code, _, err = audit(year)

    assert code == TrailBroken.exit_code
    assert f"文件 {event.document_sha256} 已不存在" in err
