"""Benchmark: reminder jobs and recipients do not grow with the number of points.

    python bench/bench_reminders.py            # 100,000 points
    python bench/bench_reminders.py --quick    # 10,000 points, limits scaled

1. Scheduler jobs. ``docflow serve`` is started for real (``engine.serve.scheduler.serve``
   in this process, on a clock running at normal speed from just before the programme's
   first reminder, so that every job lies ahead) against a store holding the 2011 programme
   with its 52 example points, then against one holding the same programme with N points
   (``max_per_unit`` raised, see ``_programme.py``); it is stopped with SIGTERM once its jobs
   are registered and the rows of its job table are counted. Target: the same count
   for both, equal to ``desired_jobs(...)`` + the sweep job. Printed beside it: the jobs a
   job-per-point-per-reminder design would need (points x the reminder rules that apply to
   a point) and the time APScheduler's SQLAlchemy job store would take to add them, from its
   add rate measured here on a sample (default 2,000 jobs, the same job store settings and
   job arguments as ``serve``).
2. Who gets a reminder. The N points are moved to the state the first deadline's step
   (``submit-plan``) leaves from, in bulk through the store, and the recipients of one
   occurrence (``submit-plan/before-5``) are worked out: ``ReminderRunner._gather`` (store
   query + ``reminders_for``). Target: under 1 s (median of 3). Printed beside it: the bare
   SQL fetch of the same rows (baseline, same run), ``reminders_for`` alone, the same with
   52 points, and a dry run ``runner.run(now, dry_run=True)`` of that one occurrence (which
   also renders each unit's notice listing all its points; no target).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import signal
import sqlite3
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from _programme import (
    GD_2011,
    fixed_clock,
    flush,
    machine_line,
    median,
    new_points,
    synthetic_programme,
    timed,
    verdict,
)

FIRST_RULE = "submit-plan/before-5"


def open_programme(folder: Path, db: Path) -> tuple[Any, Any, Any]:
    from engine.definition.loader import load_definition
    from engine.runtime.service import Runtime
    from engine.runtime.store import open_store

    definition = load_definition(folder)
    store = open_store(db, documents_dir=db.parent / f"{db.stem}-documents")
    return definition, store, Runtime(definition, store, fixed_clock())


def move_all(store: Any, definition: Any, state: str) -> float:
    """Put every point of the programme in ``state``, in one store transaction."""

    def move() -> None:
        with store.transaction() as tx:
            ids = [p.point_id for p in tx.points(definition.id)]
            tx.set_states(definition.id, dict.fromkeys(ids, state))

    return timed(move)[0]


# --- 1. scheduler jobs -------------------------------------------------------------------------


def virtual_start(runner: Any) -> datetime:
    """A moment just before the programme's first reminder: every job still lies ahead."""
    return min(o.send_at for o in runner.job_occurrences()) - timedelta(days=1)


def serve_and_count(folder: Path, db: Path, start: datetime, work: Path) -> dict[str, Any]:
    """Start the real ``serve``, stop it once its jobs are registered, count the job rows."""
    from engine.clock import SHANGHAI
    from engine.serve.jobtable import job_table
    from engine.serve.scheduler import ServeConfig, job_prefix, serve

    config = ServeConfig(
        programme=str(folder),
        db=str(db),
        documents=str(db.parent / f"{db.stem}-documents"),
        outbox=str(work / f"{db.stem}-outbox"),
        clock={
            "real_epoch": datetime.now(SHANGHAI).isoformat(),
            "virtual_epoch": start.isoformat(),
            "speed": 1.0,
        },
        sweep_seconds=3600.0,
    )
    ready = threading.Event()
    when: dict[str, float] = {}

    def stop_when_ready() -> None:
        if ready.wait(900):
            when["ready"] = time.perf_counter()
            os.kill(os.getpid(), signal.SIGTERM)

    stopper = threading.Thread(target=stop_when_ready, daemon=True)
    stopper.start()
    printed = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(printed):
        count = serve(config, ready=ready)
    stopper.join(5)
    with contextlib.closing(sqlite3.connect(db)) as conn:
        ids = [row[0] for row in conn.execute(f"SELECT id FROM {job_table('gd-2011')}")]
    prefix = job_prefix("gd-2011")
    return {
        "returned": count,
        "rows": len(ids),
        "ours": sum(1 for i in ids if i.startswith(prefix)),
        "start_s": when.get("ready", time.perf_counter()) - t0,
        "printed": printed.getvalue().strip().splitlines()[:1],
    }


def add_rate(work: Path, sample: int) -> float:
    """Jobs per second APScheduler's SQLAlchemy job store adds, as ``serve`` adds them."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.date import DateTrigger

    from engine.clock import SHANGHAI
    from engine.runtime.store import open_store
    from engine.serve.jobtable import job_table
    from engine.serve.scheduler import JOB_FUNC, ServeConfig

    store = open_store(work / "job-rate.db")  # a docflow store: WAL, as serve's database
    config = ServeConfig(programme=str(GD_2011), db=str(work / "job-rate.db"))
    scheduler = BackgroundScheduler(
        jobstores={
            "default": SQLAlchemyJobStore(
                url=store.url,
                tablename=job_table("gd-2011"),
                engine_options={"connect_args": {"timeout": 30}},
            )
        },
        executors={"default": ThreadPoolExecutor(1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        timezone=SHANGHAI,
    )
    scheduler.start(paused=True)
    kwargs = {"config": config.as_dict()}
    first = datetime.now(SHANGHAI) + timedelta(days=3650)
    try:
        t0 = time.perf_counter()
        for i in range(sample):
            job_id = f"docflow:gd-2011:point-{i:06d}/submit-plan/before-5:2011-05-10"
            scheduler.add_job(
                JOB_FUNC,
                trigger=DateTrigger(run_date=first + timedelta(minutes=i), timezone=SHANGHAI),
                id=job_id,
                name=job_id,
                kwargs=kwargs,
                replace_existing=True,
            )
        elapsed = time.perf_counter() - t0
    finally:
        scheduler.shutdown(wait=False)
        store.close()
    return sample / elapsed


def duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:,.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:,.0f} min"
    return f"{seconds / 3600:,.1f} h"


# --- 2. who gets a reminder ----------------------------------------------------------------------


def first_occurrence(runner: Any) -> Any:
    return next(o for o in runner.job_occurrences() if o.rule.id == FIRST_RULE)


def bare_fetch(db: Path, programme: str, states: list[str]) -> float:
    """The same rows straight from sqlite3: the floor for any query of them."""
    sql = (
        "SELECT point_id, unit_id, title, state FROM points "
        "WHERE programme_id = ? AND state = ? ORDER BY created_seq, point_id"
    )
    with contextlib.closing(sqlite3.connect(db)) as conn:
        t0 = time.perf_counter()
        rows = [row for state in states for row in conn.execute(sql, (programme, state))]
        elapsed = time.perf_counter() - t0
    assert rows
    return elapsed


def mark_others_processed(runner: Any, occ: Any) -> int:
    """Log every other occurrence due by ``occ`` as processed, as a running year would have."""
    from engine.delivery.dispatch import ALL

    now = occ.send_at
    done = 0
    with runner.store.transaction() as tx:
        for other in runner.schedule(tx):
            if other.send_at <= now and (other.rule.id, other.key) != (occ.rule.id, occ.key):
                done += tx.record_sent(
                    runner.pid, other.rule.id, ALL, other.key, "skipped", None, now
                )
    return done


# --- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 points, limits scaled")
    parser.add_argument("--points", type=int, help="points in the large store (default 100,000)")
    parser.add_argument("--sample", type=int, help="jobs for the add-rate sample (default 2,000)")
    parser.add_argument("--repeat", type=int, default=3, help="timings per figure (median)")
    args = parser.parse_args(argv)

    from engine.delivery.dispatch import ReminderRunner
    from engine.delivery.reminders import PointInfo, reminders_for
    from engine.runtime.pointsfile import read_points_file
    from engine.serve.scheduler import ServeConfig, desired_jobs

    points = args.points or (10_000 if args.quick else 100_000)
    sample = args.sample or (500 if args.quick else 2_000)
    limit = 1.0 * points / 100_000
    failed = False
    print(f"bench_reminders: 52 and {points:,} points  ({machine_line()})")

    with tempfile.TemporaryDirectory(prefix="docflow-bench-reminders-") as tmp_name:
        tmp = Path(tmp_name)
        small_def, small_store, small_rt = open_programme(GD_2011, tmp / "small.db")
        big_folder = synthetic_programme(tmp / "programme")
        big_def, big_store, big_rt = open_programme(big_folder, tmp / "big.db")
        try:
            small_rt.enrol(read_points_file(GD_2011 / "points-example.yaml"))
            t_enrol, _ = timed(lambda: big_rt.enrol(new_points(big_def, points)))
            occ_state = big_def.index.sources_of(big_def.index.transitions["submit-plan"])[0]
            t_move = move_all(big_store, big_def, occ_state)
            move_all(small_store, small_def, occ_state)
            print(
                f"setup: enrolled {points:,} points in {t_enrol:.1f} s, moved them all to "
                f"'{occ_state}' in {t_move:.1f} s"
            )
            flush()

            # 1. scheduler jobs
            small_runner = ReminderRunner(small_def, small_store, fixed_clock())
            big_runner = ReminderRunner(big_def, big_store, fixed_clock())
            start = virtual_start(small_runner)
            from engine.clock import ScaledClock

            clock = ScaledClock.from_spec(
                {"real_epoch": datetime.now().astimezone().isoformat(),
                 "virtual_epoch": start.isoformat(), "speed": 1.0}
            )  # fmt: skip
            config = ServeConfig(programme=str(GD_2011), db=str(tmp / "small.db"))
            wanted = {
                52: len(desired_jobs(small_runner, clock, config)) + 1,
                points: len(desired_jobs(big_runner, clock, config)) + 1,
            }
            small_store.close()
            big_store.close()
            served = {
                52: serve_and_count(GD_2011, tmp / "small.db", start, tmp),
                points: serve_and_count(big_folder, tmp / "big.db", start, tmp),
            }
            per_point_rules = sum(1 for r in big_runner.rules if r.step_kind == "transition")
            rate = add_rate(tmp, sample)
            print("\n1. Scheduler jobs (docflow serve started for real, then stopped)")
            print(f"   {'points':>9}  {'desired+sweep':>13}  {'serve says':>10}  "
                  f"{'apscheduler_jobs':>16}  {'serve start':>11}  "
                  f"{'job per point per rule':>22}  {'time to add those':>17}")  # fmt: skip
            for n in (52, points):
                s = served[n]
                naive = n * per_point_rules
                print(
                    f"   {n:>9,}  {wanted[n]:>13,}  {s['returned']:>10,}  {s['ours']:>16,}  "
                    f"{s['start_s']:>9.2f} s  {naive:>22,}  {duration(naive / rate):>17}"
                )
            print(
                f"   job-per-point design: points x {per_point_rules} reminder rules that apply "
                f"to a point; add rate of the SQLAlchemy job store measured on {sample:,} "
                f"jobs: {rate:,.0f} jobs/s"
            )
            counts = {served[n]["ours"] for n in served} | {served[n]["returned"] for n in served}
            ok = len(counts | set(wanted.values())) == 1
            failed |= not ok
            print(
                verdict(
                    ok,
                    f"jobs registered: {served[52]['ours']} for 52 points, "
                    f"{served[points]['ours']} for {points:,} points "
                    f"(desired_jobs + sweep: {wanted[52]} / {wanted[points]}); a job per point "
                    f"and rule would be {points * per_point_rules:,}, "
                    f"~{duration(points * per_point_rules / rate)} to add",
                )
            )
            flush()

            # 2. who gets a reminder
            from engine.runtime.store import open_store

            big_store = open_store(tmp / "big.db", documents_dir=tmp / "big-documents")
            small_store = open_store(tmp / "small.db", documents_dir=tmp / "small-documents")
            big_runner = ReminderRunner(big_def, big_store, fixed_clock())
            small_runner = ReminderRunner(small_def, small_store, fixed_clock())
            occ = first_occurrence(big_runner)
            gathered: list[Any] = []
            gather_times = []
            for _ in range(args.repeat):
                t, gathered = timed(lambda: big_runner._gather(occ))
                gather_times.append(t)
            recipients = len(gathered)
            listed = sum(len(r.points) for r in gathered)
            units = len({p.unit for r in gathered for p in r.points})

            with big_store.transaction(readonly=True) as tx:
                transition = big_def.index.transitions[occ.rule.step]
                states = list(big_def.index.sources_of(transition))
                waiting = [
                    PointInfo(p.point_id, p.unit_id, p.title, p.state)
                    for state in states
                    for p in tx.points(big_def.id, state=state)
                ]
            pure = median(
                [
                    timed(lambda: reminders_for(occ, big_runner.view, waiting, {}))[0]
                    for _ in range(args.repeat)
                ]
            )
            floor = median(
                [bare_fetch(tmp / "big.db", big_def.id, states) for _ in range(args.repeat)]
            )
            small_occ = first_occurrence(small_runner)
            small_gather = median(
                [timed(lambda: small_runner._gather(small_occ))[0] for _ in range(args.repeat)]
            )

            marked = mark_others_processed(big_runner, occ)
            dry_times = []
            result: Any = None
            for _ in range(args.repeat):
                t, result = timed(lambda: big_runner.run(occ.send_at, dry_run=True))
                dry_times.append(t)
            assert result is not None
            dry_ok = (
                len(result.sent) == recipients
                and not result.skipped
                and all(o.rule == occ.rule.id for o in result.sent)
            )
            gather = median(gather_times)
            print(f"\n2. Who gets {occ.rule.id} (due {occ.key}) over {points:,} points")
            print(
                f"   ReminderRunner._gather      {gather:>7.3f} s  median of {args.repeat} "
                f"({', '.join(f'{t:.3f}' for t in gather_times)}): {recipients} recipients, "
                f"{listed:,} points listed, {units} units"
            )
            print(
                f"     of which reminders_for    {pure:>7.3f} s  (points already fetched, median)"
            )
            print(f"   baseline: bare sqlite3 fetch {floor:>6.3f} s  (the same rows, no objects)")
            print(f"   the same with 52 points     {small_gather * 1e3:>7.2f} ms")
            print(
                f"   dry run of that occurrence  {median(dry_times):>7.3f} s  median of "
                f"{args.repeat} ({', '.join(f'{t:.2f}' for t in dry_times)}): "
                f"{len(result.sent)} messages, each notice rendered with its unit's points "
                f"({marked} earlier occurrences logged as processed first; no target)"
            )
            ok = gather < limit and recipients > 0 and listed == points
            failed |= not ok
            print(
                verdict(
                    ok,
                    f"recipients of one deadline over {points:,} points worked out in "
                    f"{gather:.3f} s (limit {limit:g} s; {recipients} recipients, "
                    f"{listed:,} points)",
                )
            )
            print(
                f"{'INFO' if dry_ok else 'FAIL'}: dry run of that occurrence "
                f"{median(dry_times):.2f} s ({len(result.sent)} messages would go out)"
            )
            failed |= not dry_ok
        finally:
            small_store.close()
            big_store.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
