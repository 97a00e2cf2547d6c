"""The SQLite store: opening, migrations, pragmas, locking, the document folder, errors.

What every store must do (rows, the trail, transactions) is the contract suite in
``tests/runtime/contract/``, run against SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from engine.errors import ConcurrentWrite, InputFileError, StoreError
from engine.runtime.store import (
    SCHEMA_VERSION,
    PointRow,
    Store,
    open_store,
    resolve_location,
)
from engine.runtime.store.schema import MIGRATIONS
from tests.runtime.conftest import PROGRAMME

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
    "report_filings",
    "accounts",
    "account_tokens",
    "logins",
    "desk_settings",
}

# -- opening and migrations -----------------------------------------------------------------


def test_new_store_has_every_table_and_records_schema_version(
    store: Store, raw_sql: Callable[..., list[tuple[Any, ...]]]
) -> None:
    names = {row[0] for row in raw_sql("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert TABLES <= names
    versions = raw_sql("SELECT version FROM schema_version ORDER BY version")
    assert versions == [(v,) for v in range(1, SCHEMA_VERSION + 1)]


def test_reopening_a_store_applies_no_migration_twice(
    db_path: Path, raw_sql: Callable[..., list[tuple[Any, ...]]]
) -> None:
    for _ in range(3):
        open_store(str(db_path)).close()
    versions = raw_sql("SELECT version FROM schema_version ORDER BY version")
    assert versions == [(v,) for v in range(1, SCHEMA_VERSION + 1)]
    assert raw_sql("SELECT seq, hash FROM trail_head") == [(0, "0" * 64)]


def test_a_version_1_store_gains_the_points_co_and_group_columns(
    db_path: Path, raw_sql: Callable[..., list[tuple[Any, ...]]]
) -> None:
    """A store written before co-responsible units keeps its points, each with none."""
    engine = sa.create_engine(f"sqlite:///{db_path}")
    with engine.begin() as conn:
        MIGRATIONS[0](conn)
        conn.exec_driver_sql("CREATE TABLE schema_version (version INTEGER PRIMARY KEY)")
        conn.exec_driver_sql("INSERT INTO schema_version VALUES (1)")
        conn.exec_driver_sql("INSERT INTO programmes VALUES ('p', '方案', 2021, 'h', 'at')")
        conn.exec_driver_sql("INSERT INTO units VALUES ('p', 'housing')")
        conn.exec_driver_sql(
            "INSERT INTO points VALUES ('p', 'housing-1', 'housing', '老旧小区改造', 'assigned', 1)"
        )
    engine.dispose()
    with open_store(str(db_path)) as store, store.transaction(readonly=True) as tx:
        assert tx.points("p") == [
            PointRow("p", "housing-1", "housing", "老旧小区改造", "assigned", 1, (), None)
        ]
    versions = raw_sql("SELECT version FROM schema_version ORDER BY version")
    assert versions == [(v,) for v in range(1, SCHEMA_VERSION + 1)]  # 2, then the desk's 3


def test_a_version_3_store_gains_the_filings_table(
    db_path: Path, raw_sql: Callable[..., list[tuple[Any, ...]]]
) -> None:
    store = open_store(str(db_path))
    store.close()
    raw_sql("DROP TABLE report_filings")
    raw_sql("DELETE FROM schema_version WHERE version > 3")
    open_store(str(db_path)).close()
    names = {row[0] for row in raw_sql("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "report_filings" in names
    assert raw_sql("SELECT max(version) FROM schema_version") == [(4,)]


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


# -- locking ----------------------------------------------------------------------------------


def test_locked_store_raises_concurrent_write_in_chinese(db_path: Path) -> None:
    with open_store(str(db_path), busy_timeout=0.1) as store:
        with closing(sqlite3.connect(db_path, isolation_level=None)) as other:
            other.execute("BEGIN IMMEDIATE")
            with pytest.raises(ConcurrentWrite, match="正被另一个进程写入"), store.transaction():
                pass
            other.execute("ROLLBACK")
        with store.transaction() as tx:  # and the store works again once released
            assert tx.programmes() == []


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


def test_missing_input_file_is_an_input_file_error(store: Store, tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="文件不存在"):
        store.documents.store_file(tmp_path / "nope.pdf")


def test_directory_as_input_file_is_an_input_file_error(store: Store, tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="目录"):
        store.documents.store_file(tmp_path)
