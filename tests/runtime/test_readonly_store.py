"""Reading a store that cannot be written: a read-only file system, a full disk.

The read-only commands (status, log, audit verify, render, export summary, remind
--dry-run) open the store read-only by construction and work on both; a command that
writes is refused with exit 4 and leaves the store as it was. The file systems are small
tmpfs mounts made by the test (as root even ``chmod a-w`` would not stop a write); where
mounting is not permitted the tests are skipped.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from engine.errors import StoreError, StoreMissing
from engine.runtime.store import open_store
from tests.runtime.gd2011 import (
    BACKENDS,
    EIC,
    PROGRAMME_DIR,
    Year,
    database,
    run_cli,
    table_rows,
)

P = str(PROGRAMME_DIR)
NOW = "2011-05-09T10:00"


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs mounted for the test, unmounted afterwards."""
    where = tmp_path / "fs"
    where.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command on this machine")
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4M", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if made.returncode != 0:
        pytest.skip(f"mounting a small file system is not permitted here: {made.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def spring(folder: Path, db: str | None = None) -> Year:
    """Points enrolled, two approved, guangzhou's work plan in: shenzhen's is still owed."""
    with Year(folder, db=db) as year:
        year.at("2011-03-02T09:00").submit(EIC, "call-for-points")
        year.at("2011-03-15T10:00").enrol_example()
        year.at("2011-04-06T10:00").decide("screen", ["guangzhou-1", "shenzhen-1"])
        year.decide("approve", ["guangzhou-1", "shenzhen-1"])
        year.at("2011-05-05T10:00").submit("guangzhou", "work-plan")
    return year


def digests(root: Path) -> dict[str, str]:
    """Every regular file under ``root`` (the store's own files), by SHA-256."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.endswith(("-wal", "-shm"))
    }


def fill(fs: Path) -> None:
    """Write zeros until the file system has no room left."""
    fd = os.open(fs / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 65536)
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
    finally:
        os.close(fd)


def check_reading_commands(year: Year, out: Path) -> None:
    """Each read-only command, run on the store, answers from it."""
    env = year.env(DOCFLOW_NOW=NOW)

    status = run_cli(["status", P, "--unit", "shenzhen"], env)
    assert status.exit_code == 0, status.stderr
    assert "shenzhen-1" in status.stdout
    assert "已审定" in status.stdout

    log = run_cli(["log", P, "--point", "guangzhou-1"], env)
    assert log.exit_code == 0, log.stderr
    assert "报送突破点工作方案 guangzhou-1（已审定 → 工作方案已备案）" in log.stdout

    audit = run_cli(["audit", "verify"], env)
    assert audit.exit_code == 0, audit.stderr
    assert "留痕校验通过：59 条留痕、3 份文件均与哈希相符" in audit.stdout

    keys = run_cli(["audit", "keygen", "--out", str(out / "audit.key")], env)
    assert keys.exit_code == 0, keys.stderr
    marks = out / "checkpoints.jsonl"
    signed = run_cli(
        ["audit", "checkpoint", "--key", str(out / "audit.key"), "--out", str(marks)], env
    )
    assert signed.exit_code == 0, signed.stderr
    assert "已签发检查点：留痕第 59 条" in signed.stdout
    checked = run_cli(
        [
            "audit",
            "verify",
            "--checkpoints",
            str(marks),
            "--public-key",
            str(out / "audit.key.pub"),
        ],
        env,
    )
    assert checked.exit_code == 0, checked.stderr

    render = run_cli(["render", P, "--out", str(out / "report"), "--db", year.url], env)
    assert render.exit_code == 0, render.stderr
    assert "shenzhen-1" in (out / "report" / "index.html").read_text(encoding="utf-8")

    summary = run_cli(["export", "summary", P, "--format", "csv"], env)
    assert summary.exit_code == 0, summary.stderr
    assert "guangzhou-1,广州市人民政府,工作方案已备案,2011-05-05,按时" in summary.stdout

    dry = run_cli(["remind", P, "--dry-run"], env)
    assert dry.exit_code == 0, dry.stderr
    assert "将发出 1 封提醒" in dry.stdout
    assert "「报送突破点工作方案」到期前第 2 个工作日 → 深圳市（shenzhen-1）" in dry.stdout


def check_writing_refused(year: Year, out: Path, reason: str) -> None:
    """A submit and a sending remind: exit 4, the reason, the hint, no traceback."""
    env = year.env(DOCFLOW_NOW=NOW)
    plan = out / "深圳市突破点工作方案.txt"
    plan.write_text("深圳市工作方案", encoding="utf-8")
    for args in (
        ["submit", P, "--unit", "shenzhen", "--task", "work-plan", "--file", str(plan)],
        ["remind", P, "--outbox", str(out / "outbox")],
    ):
        result = run_cli(args, env)
        assert result.exit_code == 4, (args, result.stderr)
        assert f"无法写入存储库 {year.db}：{reason}；未写入任何内容" in result.stderr
        assert (
            "只读的命令（status、log、audit verify、render、export、remind --dry-run）仍可使用"
            in (result.stderr)
        )
        assert result.exception is None
    assert not (out / "outbox").exists() or not list((out / "outbox").rglob("*.eml"))


def test_reading_commands_work_on_a_read_only_file_system_and_writing_ones_are_refused(
    small_fs: Path, tmp_path: Path
) -> None:
    year = spring(small_fs / "store")
    subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
    before = digests(small_fs)

    check_reading_commands(year, tmp_path)
    check_writing_refused(year, tmp_path, "它所在的文件系统是只读的")

    assert digests(small_fs) == before
    with open_store(year.url, year.documents, readonly=True) as store:
        assert store.immutable  # no -shm could be made: read as an immutable file


def test_reading_commands_work_on_a_full_disk_and_writing_ones_leave_the_store_as_it_was(
    small_fs: Path, tmp_path: Path
) -> None:
    year = spring(small_fs / "store")
    rows = table_rows(year.url)
    before = digests(small_fs / "store")
    fill(small_fs)

    check_reading_commands(year, tmp_path)
    check_writing_refused(year, tmp_path, "它所在的磁盘已满")
    with open_store(year.url, year.documents, readonly=True) as store:
        assert store.immutable

    (small_fs / "filler").unlink()
    assert digests(small_fs / "store") == before
    assert table_rows(year.url) == rows
    after = run_cli(["audit", "verify"], year.env())
    assert "留痕校验通过：59 条留痕、3 份文件均与哈希相符" in after.stdout, after.stderr


# --- open_store(readonly=True) ---------------------------------------------------------


def test_a_store_opened_read_only_refuses_a_write_transaction_and_migrates_nothing(
    tmp_path: Path,
) -> None:
    db = tmp_path / "docflow.db"
    with pytest.raises(StoreMissing):
        open_store(str(db), readonly=True)
    assert not db.exists()

    db.touch()  # an empty file: a read-only open does not make it a store
    with pytest.raises(StoreError, match="中没有 docflow 的数据表：它不是 docflow 存储库"):
        open_store(str(db), readonly=True)
    assert db.stat().st_size == 0

    open_store(str(db)).close()  # now a store
    with open_store(str(db), readonly=True) as store:
        with store.transaction(readonly=True) as tx:
            assert tx.chain_head()[0] == 0
        with pytest.raises(StoreError, match="是以只读方式打开的，不能写入"), store.transaction():
            pass
        with pytest.raises(StoreError, match="只读"), store.transaction(readonly=True) as tx:
            tx.connection.exec_driver_sql("CREATE TABLE intruder (x INTEGER)")
        assert not store.immutable  # the folder is writable: SQLite's own locking applies
    with closing(sqlite3.connect(db)) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "intruder" not in tables


@pytest.mark.parametrize("backend", BACKENDS)
def test_status_reads_through_a_read_only_session(backend: str, tmp_path: Path) -> None:
    with database(backend, tmp_path / "store") as url:
        year = spring(tmp_path / "store", db=url)
        rows = table_rows(url)
        with open_store(url, year.documents, readonly=True) as store:
            with store.transaction(readonly=True) as tx:
                if backend == "postgresql":
                    shown = tx.connection.exec_driver_sql("SHOW default_transaction_read_only")
                    assert shown.scalar() == "on"
            with pytest.raises(StoreError), store.transaction(readonly=True) as tx:
                tx.connection.exec_driver_sql("DELETE FROM sent_log")
        status = run_cli(["status", P, "--unit", "guangzhou"], year.env(DOCFLOW_NOW=NOW))
        assert status.exit_code == 0, status.stderr
        assert "guangzhou-1" in status.stdout
        assert "工作方案已备案" in status.stdout
        assert table_rows(url) == rows


# --- a store that does not exist ------------------------------------------------------


def test_submit_on_a_store_that_does_not_exist_offers_create(tmp_path: Path) -> None:
    plan = tmp_path / "征集突破点的通知.txt"
    plan.write_text("征集通知", encoding="utf-8")
    mistyped = tmp_path / "docflwo.db"
    env = {"DOCFLOW_DB": str(mistyped), "DOCFLOW_NOW": "2011-03-02T09:00"}

    submit = run_cli(
        ["submit", P, "--unit", EIC, "--task", "call-for-points", "--file", str(plan)], env
    )
    assert submit.exit_code == 4
    assert submit.stderr.strip() == (
        f"存储库 {mistyped} 不存在（尚未登记任何工作方案？）。"
        "请用 --db 或环境变量 DOCFLOW_DB 指定已有的存储库；"
        "如要以提交开始一个新的存储库，请加 --create"
    )
    status = run_cli(["status", P], env)
    assert status.exit_code == 4
    assert "请用 --db 或环境变量 DOCFLOW_DB 指定已有的存储库" in status.stderr
    assert "--create" not in status.stderr
    assert not mistyped.exists()

    created = run_cli(
        ["submit", P, "--unit", EIC, "--task", "call-for-points", "--file", str(plan), "--create"],
        env,
    )
    assert created.exit_code == 0, created.stderr
    assert mistyped.exists()


def test_a_programme_opened_read_only_reads_and_writes_nothing(tmp_path: Path) -> None:
    from engine.app import Programme
    from engine.clock import FixedClock
    from tests.runtime.gd2011 import moment

    year = spring(tmp_path / "store")
    rows, files = table_rows(year.url), digests(year.documents)
    plan = tmp_path / "深圳市突破点工作方案.txt"
    plan.write_text("深圳市工作方案", encoding="utf-8")
    clock = FixedClock(moment(NOW))
    with Programme.open(
        PROGRAMME_DIR, db=year.url, documents=year.documents, clock=clock, readonly=True
    ) as gd:
        assert gd.store is not None
        assert gd.store.readonly
        points = {p["id"]: p["state_label"] for p in gd.status()["points"]}
        assert points["shenzhen-1"] == "已审定"
        assert len(gd.trail("guangzhou-1")) == 4
        with pytest.raises(StoreError, match="属于以只读方式打开的存储库，不能写入"):
            gd.submit("shenzhen", "work-plan", plan)
        with pytest.raises(StoreError, match="是以只读方式打开的，不能写入"):
            gd.decide("work-plan", ["guangzhou-1"], "return", "缺少时间节点")
    assert table_rows(year.url) == rows
    assert digests(year.documents) == files
