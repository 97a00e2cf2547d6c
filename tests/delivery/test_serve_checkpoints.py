"""``docflow serve --checkpoint-key KEY --checkpoints FILE`` signs the chain's head at start
and once a day at 23:30 in the programme's zone."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from engine.app import generate_audit_keys, verify_store
from engine.clock import SHANGHAI, FixedClock, ScaledClock
from engine.serve import checkpointing
from engine.serve.scheduler import ServeConfig

from .serve_process import Service, serve_args, wait_for
from .serve_process import services as services  # the fixture
from .year2011 import PROGRAMME_DIR, Desk, moment, run_cli


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    with Desk(tmp_path / "desk") as opened:
        opened.enrol_example()
        yield opened


@pytest.fixture
def key(tmp_path: Path) -> Path:
    """An audit key pair kept outside the store's folder; the private key's path."""
    folder = tmp_path / "keys"
    folder.mkdir()
    return Path(generate_audit_keys(folder / "audit.key").private)


def config(desk: Desk, key: Path, marks: Path) -> dict[str, object]:
    return ServeConfig(
        programme=str(desk.programme),
        db=str(desk.db),
        outbox=str(desk.outbox),
        checkpoint_key=str(key),
        checkpoints=str(marks),
    ).as_dict()


def lines(marks: Path) -> list[str]:
    return marks.read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize(
    "given", [["--checkpoint-key", "audit.key"], ["--checkpoints", "checkpoints.jsonl"]]
)
def test_serve_wants_both_checkpoint_options_or_neither(given: list[str]) -> None:
    result = run_cli(["serve", str(PROGRAMME_DIR), "--db", "/nonexistent/docflow.db", *given])

    assert result.exit_code == 2, result.stderr
    first = result.stderr.splitlines()[0]
    assert first == "错误：--checkpoint-key 与 --checkpoints 须同时给出（或都不给出）"


def test_serve_refuses_a_missing_key_before_it_opens_the_store(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.key"
    marks = tmp_path / "checkpoints.jsonl"
    args = ["serve", str(PROGRAMME_DIR), "--db", str(tmp_path / "docflow.db")]

    result = run_cli([*args, "--checkpoint-key", str(missing), "--checkpoints", str(marks)])

    assert result.exit_code == 1, result.stderr
    assert f"私钥文件 {missing} 无法使用：文件不存在" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "docflow.db").exists()  # nothing opened, nothing scheduled
    assert not marks.exists()


def test_serve_refuses_a_file_that_is_not_a_private_key(tmp_path: Path) -> None:
    bad = tmp_path / "audit.key"
    bad.write_text("不是密钥\n", encoding="utf-8")
    args = ["serve", str(PROGRAMME_DIR), "--db", str(tmp_path / "docflow.db")]

    result = run_cli([*args, "--checkpoint-key", str(bad), "--checkpoints", "c.jsonl"])

    assert result.exit_code == 1
    assert f"私钥文件 {bad} 无法使用：不是 PEM 格式的私钥" in result.stderr


def test_the_checkpoint_job_appends_a_checkpoint_that_audit_verify_accepts(
    desk: Desk, key: Path, tmp_path: Path
) -> None:
    marks = tmp_path / "checkpoints.jsonl"
    with desk.store.transaction(readonly=True) as tx:
        head = tx.chain_head()

    said = checkpointing.take(config(desk, key, marks))

    assert f"已签发检查点：留痕第 {head[0]} 条（哈希 {head[1][:12]}…）" in said
    (line,) = lines(marks)
    assert f'"seq":{head[0]}' in line
    assert f'"hash":"{head[1]}"' in line
    report = verify_store(str(desk.db), None, marks, Path(f"{key}.pub"))
    assert report.ok, report.checkpoints.summary()


def test_a_trail_that_no_longer_verifies_is_not_signed_and_the_service_goes_on(
    desk: Desk, key: Path, tmp_path: Path
) -> None:
    import sqlite3
    from contextlib import closing

    marks = tmp_path / "checkpoints.jsonl"
    with closing(sqlite3.connect(desk.db)) as conn, conn:
        conn.execute("UPDATE points SET state = 'concluded' WHERE point_id = 'ndrc-1'")

    said = checkpointing.take(config(desk, key, marks))

    assert said.startswith("未签发检查点：留痕校验未通过：突破点 gd-2011/ndrc-1 的状态")
    assert not marks.exists()


def registered(clock: FixedClock | ScaledClock, desk: Desk, key: Path, marks: Path) -> object:
    scheduler = BackgroundScheduler(
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(1)},
        timezone=SHANGHAI,
    )
    scheduler.start(paused=True)
    try:
        said = checkpointing.add_checkpoint_job(
            scheduler, "gd-2011", SHANGHAI, clock, config(desk, key, marks)
        )
        job = scheduler.get_job("docflow:gd-2011:checkpoint")
        assert job is not None
        assert job.func_ref == "engine.serve.checkpointing:take"
        return said, job.trigger, job.next_run_time
    finally:
        scheduler.shutdown(wait=False)


def test_on_the_real_clock_the_checkpoint_is_a_cron_job_at_23_30_beijing_time(
    desk: Desk, key: Path, tmp_path: Path
) -> None:
    clock = FixedClock(moment("2011-05-06T10:00"))

    said, trigger, _next = registered(clock, desk, key, tmp_path / "c.jsonl")  # type: ignore[misc]

    assert said == "每天 23:30 签发检查点（下一次 2011-05-06 23:30）"
    assert isinstance(trigger, CronTrigger)
    assert str(trigger.timezone) == "Asia/Shanghai"
    fields = {f.name: str(f) for f in trigger.fields}
    assert (fields["hour"], fields["minute"]) == ("23", "30")
    after = trigger.get_next_fire_time(None, datetime(2011, 5, 6, 23, 31, tzinfo=SHANGHAI))
    assert after == datetime(2011, 5, 7, 23, 30, tzinfo=SHANGHAI)


def test_on_a_compressed_clock_a_checkpoint_is_taken_every_virtual_day_at_23_30(
    desk: Desk, key: Path, tmp_path: Path
) -> None:
    clock = ScaledClock(datetime.now(SHANGHAI), moment("2011-05-06T10:00"), 86400.0)

    said, trigger, next_run = registered(clock, desk, key, tmp_path / "c.jsonl")  # type: ignore[misc]

    assert said == "每天 23:30 签发检查点（下一次 2011-05-06 23:30）"
    assert isinstance(trigger, IntervalTrigger)
    assert trigger.interval == timedelta(seconds=1)  # a virtual day
    assert next_run == clock.to_real(moment("2011-05-06T23:30"))


@pytest.mark.slow
def test_serve_signs_a_checkpoint_at_start_and_every_virtual_day(
    desk: Desk, key: Path, tmp_path: Path, services: Callable[..., Service]
) -> None:
    marks = tmp_path / "checkpoints.jsonl"
    desk.close()
    args = serve_args(
        desk,
        real_start=datetime.now(SHANGHAI),
        virtual_start="2011-05-01T20:00",
        speed=86400.0,
        sweep=3600.0,
    )
    service = services([*args, "--checkpoint-key", str(key), "--checkpoints", str(marks)], "a")

    service.wait_ready()
    wait_for(lambda: marks.exists() and len(lines(marks)) >= 3, 20, service)
    assert service.terminate() == 0

    assert "docflow serve：每天 23:30 签发检查点" in service.output()
    signed = lines(marks)
    times = [json.loads(line)["checkpoint"]["at"] for line in signed]
    assert times == sorted(times)
    assert times[0].startswith("2011-05-0")  # on the rehearsal's clock, from the start
    report = verify_store(str(desk.db), None, marks, Path(f"{key}.pub"))
    assert report.ok, report.checkpoints.summary()
    assert report.checkpoints.checked == len(signed)
