"""The store: opening, migrations, transactions, rows, documents, errors."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from engine.errors import ConcurrentWrite, InputFileError, StoreError
from engine.runtime.store import (
    SCHEMA_VERSION,
    DeadlineOverride,
    EventRow,
    PointRow,
    Store,
    open_store,
    resolve_location,
)
from tests.runtime.conftest import AT, PROGRAMME, draft

TABLES = {
    "schema_version",
    "programmes",
    "units",
    "points",
    "documents",
    "events",
    "trail_head",
    "deadline_overrides",
    "sent_log",
}

# -- opening and migrations -----------------------------------------------------------------


def test_new_store_has_every_table_and_records_schema_version(
    store: Store, raw_sql: Callable[..., list[tuple[Any, ...]]]
) -> None:
    names = {row[0] for row in raw_sql("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert TABLES <= names
    assert raw_sql("SELECT version FROM schema_version") == [(SCHEMA_VERSION,)]


def test_reopening_a_store_applies_no_migration_twice(
    db_path: Path, raw_sql: Callable[..., list[tuple[Any, ...]]]
) -> None:
    for _ in range(3):
        open_store(str(db_path)).close()
    assert raw_sql("SELECT version FROM schema_version") == [(SCHEMA_VERSION,)]
    assert raw_sql("SELECT seq, hash FROM trail_head") == [(0, "0" * 64)]


def test_reopening_keeps_the_data(enrolled: Store, db_path: Path) -> None:
    enrolled.close()
    with open_store(str(db_path)) as again, again.transaction() as tx:
        assert len(tx.points(PROGRAMME)) == 3


def test_store_newer_than_the_code_is_refused_in_chinese(
    store: Store, db_path: Path, raw_sql: Callable[..., list[tuple[Any, ...]]]
) -> None:
    store.close()
    raw_sql("INSERT INTO schema_version (version) VALUES (?)", SCHEMA_VERSION + 1)
    with pytest.raises(StoreError, match="高于本程序支持的版本"):
        open_store(str(db_path))


def test_sqlite_store_runs_in_wal_mode_with_foreign_keys(store: Store) -> None:
    with store.transaction(readonly=True) as tx:
        conn = tx.connection
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000


def test_documents_folder_defaults_to_beside_the_database(store: Store, db_path: Path) -> None:
    assert store.documents.root == db_path.parent / "documents"


def test_url_location_opens_sqlite_with_documents_in_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with open_store("sqlite:///via-url.db") as store:
        assert store.documents.root == tmp_path / "documents"
    assert (tmp_path / "via-url.db").is_file()


def test_no_location_means_docflow_db_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with open_store(None) as store:
        assert store.location == str(tmp_path / "docflow.db")
        assert store.documents.root == tmp_path / "documents"
    assert (tmp_path / "docflow.db").is_file()


def test_missing_directory_is_a_clear_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"目录 .* 不存在"):
        open_store(str(tmp_path / "nowhere" / "docflow.db"))


def test_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are not the tables you are looking for" * 100)
    with pytest.raises(StoreError, match="不是可用的 docflow 存储库"):
        open_store(str(path))


def test_missing_store_is_an_error_when_creation_is_not_wanted(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="不存在"):
        open_store(str(tmp_path / "docflow.db"), create=False)
    assert not (tmp_path / "docflow.db").exists()


def test_unknown_database_url_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="不支持的数据库地址"):
        open_store("nosuchdb://host/db")


def test_resolve_location_prefers_cli_then_environment_then_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCFLOW_DB", "/srv/env.db")
    assert resolve_location("cli.db") == "cli.db"
    assert resolve_location(None) == "/srv/env.db"
    monkeypatch.delenv("DOCFLOW_DB")
    assert resolve_location(None) == "docflow.db"


def test_importing_the_store_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys, engine.runtime.store, engine.runtime.trail;"
        "heavy = {'pydantic', 'transitions', 'jinja2', 'apscheduler'} & set(sys.modules);"
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_closed_store_refuses_transactions(store: Store) -> None:
    store.close()
    with pytest.raises(StoreError, match="已关闭"), store.transaction():
        pass


# -- transactions ---------------------------------------------------------------------------


def test_transaction_that_raises_leaves_rows_and_trail_unchanged(
    enrolled: Store, append: Callable[..., list[EventRow]]
) -> None:
    append(5)
    with enrolled.transaction(readonly=True) as tx:
        before = (tx.points(PROGRAMME), tx.events(), tx.chain_head(), tx.sent(PROGRAMME))

    def fail_midway() -> None:
        with enrolled.transaction() as tx:
            tx.set_states(PROGRAMME, {"1": "accepted", "2": "accepted"})
            tx.append_events([draft(i) for i in range(50)], AT)
            tx.record_sent(PROGRAMME, "催报", "发改委", "2025-03", "sent", "<m@x>", AT)
            _ = 1 / 0

    with pytest.raises(ZeroDivisionError):
        fail_midway()

    with enrolled.transaction(readonly=True) as tx:
        after = (tx.points(PROGRAMME), tx.events(), tx.chain_head(), tx.sent(PROGRAMME))
    assert after == before


def test_failed_database_write_rolls_back_and_becomes_store_error(enrolled: Store) -> None:
    def append_then_violate_a_constraint() -> None:
        with enrolled.transaction() as tx:
            tx.append_events([draft(1)], AT)
            tx.add_points([PointRow(PROGRAMME, "9", "不存在的单位", "标题", "draft")])

    with pytest.raises(StoreError, match="违反了数据约束"):
        append_then_violate_a_constraint()
    with enrolled.transaction(readonly=True) as tx:
        assert tx.events() == []
        assert tx.get_point(PROGRAMME, "9") is None


def test_write_in_readonly_transaction_is_refused(enrolled: Store) -> None:
    with pytest.raises(RuntimeError, match="read-only"), enrolled.transaction(readonly=True) as tx:
        tx.set_states(PROGRAMME, {"1": "accepted"})


def test_transactions_do_not_nest(store: Store) -> None:
    with store.transaction(), pytest.raises(RuntimeError, match="nest"), store.transaction():
        pass


def test_transaction_object_is_unusable_after_the_block(store: Store) -> None:
    with store.transaction() as tx:
        pass
    with pytest.raises(RuntimeError, match="ended"):
        tx.programmes()


def test_locked_store_raises_concurrent_write_in_chinese(db_path: Path) -> None:
    with open_store(str(db_path), busy_timeout=0.1) as store:
        with closing(sqlite3.connect(db_path, isolation_level=None)) as other:
            other.execute("BEGIN IMMEDIATE")
            with pytest.raises(ConcurrentWrite, match="正被另一个进程写入"), store.transaction():
                pass
            other.execute("ROLLBACK")
        with store.transaction() as tx:  # and the store works again once released
            assert tx.programmes() == []


# -- programmes, units, points --------------------------------------------------------------


def test_programme_round_trip(enrolled: Store) -> None:
    with enrolled.transaction() as tx:
        row = tx.get_programme(PROGRAMME)
        assert row is not None
        assert (row.title, row.year, row.enrolled_at) == (
            "优化营商环境工作方案",
            2025,
            "2025-03-03T09:30:00+08:00",
        )
        assert tx.get_programme("other") is None


def test_enrolling_a_programme_twice_is_refused(enrolled: Store) -> None:
    with pytest.raises(StoreError, match="已经登记"), enrolled.transaction() as tx:
        tx.put_programme(PROGRAMME, "again", 2025, "b" * 64, AT)


def test_set_definition_hash_replaces_the_stored_hash(enrolled: Store) -> None:
    with enrolled.transaction() as tx:
        tx.set_definition_hash(PROGRAMME, "c" * 64)
        assert tx.get_programme(PROGRAMME) == tx.programmes()[0]
        assert tx.programmes()[0].definition_hash == "c" * 64


def test_ensure_units_adds_only_unknown_units(enrolled: Store) -> None:
    with enrolled.transaction() as tx:
        assert tx.ensure_units(PROGRAMME, ["发改委", "财政局", "财政局"]) == 1
        assert tx.units(PROGRAMME) == sorted(["发改委", "市场监管局", "财政局"])


def test_points_can_be_filtered_by_unit_and_state(enrolled: Store) -> None:
    with enrolled.transaction() as tx:
        assert [p.point_id for p in tx.points(PROGRAMME, unit="发改委")] == ["1", "2"]
        assert [p.point_id for p in tx.points(PROGRAMME, state="submitted")] == ["3"]
        assert tx.points(PROGRAMME, unit="发改委", state="submitted") == []


def test_set_states_updates_several_points_at_once(enrolled: Store) -> None:
    with enrolled.transaction() as tx:
        tx.set_states(PROGRAMME, {"1": "submitted", "3": "accepted"})
    with enrolled.transaction() as tx:
        states = {p.point_id: p.state for p in tx.points(PROGRAMME)}
    assert states == {"1": "submitted", "2": "draft", "3": "accepted"}


def test_set_states_with_an_unknown_point_changes_nothing(enrolled: Store) -> None:
    with pytest.raises(StoreError, match="没有突破点：99"), enrolled.transaction() as tx:
        tx.set_states(PROGRAMME, {"1": "accepted", "99": "accepted"})
    with enrolled.transaction() as tx:
        point = tx.get_point(PROGRAMME, "1")
    assert point is not None
    assert point.state == "draft"


# -- events, overrides, send log ----------------------------------------------------------


def test_events_are_filtered_by_programme_and_point(
    enrolled: Store, append: Callable[..., list[EventRow]]
) -> None:
    append(6)
    with enrolled.transaction() as tx:
        assert [e.seq for e in tx.events(PROGRAMME, "1")] == [1, 4]
        assert [e.seq for e in tx.events(after_seq=4)] == [5, 6]
        last = tx.last_event()
    assert last is not None
    assert last.seq == 6


def test_event_data_is_stored_as_canonical_json(
    enrolled: Store, append: Callable[..., list[EventRow]]
) -> None:
    (row,) = append(1, data={"due": date(2025, 4, 30), "by": "局长"})
    assert row.data == '{"by":"局长","due":"2025-04-30"}'
    assert row.extras == {"by": "局长", "due": "2025-04-30"}


def test_event_effective_time_defaults_to_the_recording_time(
    append: Callable[..., list[EventRow]],
) -> None:
    earlier = datetime(2025, 2, 28, 17, 0, tzinfo=AT.tzinfo)
    plain, backdated = append(1)[0], append(1, effective_at=earlier)[0]
    assert plain.effective_at == plain.recorded_at == "2025-03-03T09:30:00+08:00"
    assert backdated.effective_at == "2025-02-28T17:00:00+08:00"


def test_naive_timestamps_are_rejected(enrolled: Store) -> None:
    with pytest.raises(ValueError, match="time zone"), enrolled.transaction() as tx:
        tx.append_events([draft(1)], datetime(2025, 3, 3, 9, 30))


def test_deadline_overrides_round_trip(
    enrolled: Store, append: Callable[..., list[EventRow]]
) -> None:
    (grant,) = append(1, trigger="extend", decision="grant")
    with enrolled.transaction() as tx:
        tx.add_deadline_override(PROGRAMME, "2", "submit", date(2025, 5, 15), grant.seq)
    with enrolled.transaction() as tx:
        assert tx.deadline_overrides(PROGRAMME) == [
            DeadlineOverride(PROGRAMME, "2", "submit", date(2025, 5, 15), grant.seq)
        ]
        assert tx.deadline_overrides(PROGRAMME, "1") == []


def test_record_sent_is_idempotent(enrolled: Store) -> None:
    key = (PROGRAMME, "逾期提醒", "发改委", "2025-03-10")
    with enrolled.transaction() as tx:
        assert tx.record_sent(*key, "sent", "<a@docflow>", AT) is True
    with enrolled.transaction() as tx:
        assert tx.record_sent(*key, "queued", "<b@docflow>", AT) is False
        sent = tx.sent(PROGRAMME)
        assert [(s.status, s.message_id) for s in sent] == [("sent", "<a@docflow>")]
        assert tx.get_sent(*key) == sent[0]


def test_record_sent_rejects_an_unknown_status(enrolled: Store) -> None:
    with pytest.raises(ValueError, match="status"), enrolled.transaction() as tx:
        tx.record_sent(PROGRAMME, "r", "发改委", "x", "delivered", None, AT)


# -- documents ------------------------------------------------------------------------------


def test_document_is_stored_under_its_sha256(store: Store, tmp_path: Path) -> None:
    source = tmp_path / "报送材料.pdf"
    source.write_bytes(b"%PDF-1.7 content")
    stored = store.documents.store_file(source)
    assert stored.original_name == "报送材料.pdf"
    assert stored.size == len(b"%PDF-1.7 content")
    assert stored.relpath == f"{stored.sha256[:2]}/{stored.sha256}"
    assert store.documents.path_for(stored.sha256).read_bytes() == b"%PDF-1.7 content"


def test_same_content_is_stored_once(store: Store, tmp_path: Path) -> None:
    first = store.documents.store_bytes(b"same bytes", "a.docx")
    (tmp_path / "b.docx").write_bytes(b"same bytes")
    second = store.documents.store_file(tmp_path / "b.docx")
    assert first.sha256 == second.sha256
    files = [p for p in store.documents.root.rglob("*") if p.is_file()]
    assert files == [store.documents.path_for(first.sha256)]  # no stray temporary files


def test_registering_a_document_twice_keeps_the_first_record(store: Store) -> None:
    stored = store.documents.store_bytes(b"x", "first.txt")
    again = store.documents.store_bytes(b"x", "second.txt")
    with store.transaction() as tx:
        assert tx.put_document(stored, AT) is True
        assert tx.put_document(again, AT) is False
        row = tx.get_document(stored.sha256)
    assert row is not None
    assert row.original_name == "first.txt"


def test_missing_input_file_is_an_input_file_error(store: Store, tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="文件不存在"):
        store.documents.store_file(tmp_path / "nope.pdf")


def test_directory_as_input_file_is_an_input_file_error(store: Store, tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="目录"):
        store.documents.store_file(tmp_path)
