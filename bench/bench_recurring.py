"""Benchmark: who owes 1.2 million occurrences of a recurring report.

    python bench/bench_recurring.py            # 100,000 items x 12 monthly reports
    python bench/bench_recurring.py --quick    # 10,000 items

The programme is the test programme ``tests/programmes/city-tasks`` with its monthly
progress report (每月28日前, owed by each task's lead unit while the task is plan-filed or in
progress) made to run all twelve months and ``max_per_unit`` raised. The store is built in
bulk: the N items enrolled through ``Runtime.enrol`` (one event each), then every item moved
to 推进中 by one bulk append of N hash-chained events (effective 2021-01-04, the day they are enrolled), then the
filings inserted directly into ``report_filings`` with one ``executemany`` - every item files
every month except that every 10th misses March and every 7th misses July - all pointing at
one event (the bench reads the table, it does not audit it). N x 12 obligations in all.

Timed (median of 3), each against a bare ``sqlite3`` fetch of the same rows in the same run
(the points, the items' state moves, the filings):

1. ``status``: the snapshot a view reads (points, state histories, filings) and the rows of
   every occurrence's 上报率 and 缺报名单 (``engine.views.recurring.occurrence_rows``) at
   2021-12-31;
2. the recipients of one occurrence (``monthly-progress/overdue-1`` of 2021-03):
   ``ReminderRunner._gather_report``, against the fetch of the rows for that period.

Targets: each under 3 times its bare fetch. Printed beside them: the scheduler's jobs for
the programme with 10 items and with N items (the same count).
"""

from __future__ import annotations

import argparse
import re
import shutil
import sqlite3
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from _programme import ROOT, flush, machine_line, median, timed, verdict

CITY = ROOT / "tests" / "programmes" / "city-tasks"
RULE = "monthly-progress"
UNITS = ("housing", "transport", "education")


def programme(folder: Path, max_per_unit: int) -> Path:
    """The test programme with twelve monthly periods and room for the items."""
    from engine.definition.loader import load_definition

    folder.mkdir(parents=True, exist_ok=True)
    text = (CITY / "programme.yaml").read_text(encoding="utf-8")
    text = re.sub(r"^\s*(from|until): 2021年\d+月\n", "", text, flags=re.MULTILINE)
    text = re.sub(r"(max_per_unit:\s*)\d+", rf"\g<1>{max_per_unit}", text)
    (folder / "programme.yaml").write_text(text, encoding="utf-8")
    shutil.copy2(CITY / "source.txt", folder / "source.txt")
    definition = load_definition(folder)
    if len(definition.report_occurrences[RULE]) != 12:
        raise SystemExit("bench: the monthly report should have twelve periods")
    return folder


def build_store(folder: Path, db: Path, count: int) -> Any:
    from engine.app.programme import Programme
    from engine.clock import SHANGHAI, FixedClock
    from engine.runtime.records import EventDraft
    from engine.runtime.service import NewPoint

    clock = FixedClock(datetime(2021, 12, 31, 10, tzinfo=SHANGHAI))
    gd = Programme.open(folder, db=str(db), documents=db.parent / "docs", clock=clock, create=True)
    points = [NewPoint(UNITS[i % 3], f"任务{i}") for i in range(count)]
    seconds, rows = timed(lambda: gd.enrol(points, datetime(2021, 1, 4, 9, tzinfo=SHANGHAI)))
    print(f"  enrolled {count:,} items in {seconds:.2f} s")
    moved = datetime(2021, 1, 4, 10, tzinfo=SHANGHAI)
    store = gd.store
    assert store is not None

    def move() -> int:
        with store.transaction() as tx:
            drafts = [
                EventDraft(
                    programme_id=gd.id,
                    trigger="start",
                    actor="gov-office",
                    point_id=r.point_id,
                    unit_id=r.unit_id,
                    source_state="assigned",
                    dest_state="in-progress",
                    decision="accept",
                    reason="同意",
                    effective_at=moved,
                )
                for r in rows
            ]
            events = tx.append_events(drafts, moved)
            tx.set_states(gd.id, {r.point_id: "in-progress" for r in rows})
            return events[-1].seq

    seconds, seq = timed(move)
    print(f"  moved them to 推进中 ({count:,} events) in {seconds:.2f} s")
    filed = [
        (
            gd.id,
            RULE,
            f"2021-{m:02d}",
            r.unit_id,
            r.point_id,
            seq,
            f"2021-{m:02d}-20T10:00:00+08:00",
        )
        for m in range(1, 13)
        for i, r in enumerate(rows)
        if not (m == 3 and i % 10 == 0) and not (m == 7 and i % 7 == 0)
    ]

    def insert() -> None:
        with sqlite3.connect(db) as conn:
            conn.executemany("INSERT INTO report_filings VALUES (?, ?, ?, ?, ?, ?, ?)", filed)

    seconds, _ = timed(insert)
    print(f"  inserted {len(filed):,} filings in {seconds:.2f} s")
    return gd


def bare_fetch(db: Path, programme_id: str, period: str | None = None) -> int:
    """The same rows, fetched with sqlite3 and nothing else."""
    with sqlite3.connect(db) as conn:
        points = conn.execute(
            "SELECT point_id, unit_id, state FROM points WHERE programme_id = ?", (programme_id,)
        ).fetchall()
        moves = conn.execute(
            "SELECT point_id, dest_state, effective_at FROM events WHERE programme_id = ? "
            "AND point_id IS NOT NULL AND dest_state IS NOT NULL ORDER BY seq",
            (programme_id,),
        ).fetchall()
        sql = "SELECT rule, period, unit_id, point_id, filed_at FROM report_filings WHERE programme_id = ?"
        args: tuple[str, ...] = (programme_id,)
        if period is not None:
            sql += " AND rule = ? AND period = ?"
            args = (programme_id, RULE, period)
        filings = conn.execute(sql, args).fetchall()
    return len(points) + len(moves) + len(filings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 items")
    parser.add_argument("--items", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    count = args.items or (10_000 if args.quick else 100_000)
    from engine.views.recurring import occurrence_duties, occurrence_rows

    print(f"bench_recurring: {count:,} items x 12 monthly reports; {machine_line()}")
    flush()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = programme(Path(tmp) / "programme", count)
        db = Path(tmp) / "store.db"
        gd = build_store(folder, db, count)
        now = gd.now()
        definition = gd.definition

        def status() -> tuple[int, int]:
            rows = occurrence_rows(definition, occurrence_duties(definition, gd.snapshot(), now))
            return sum(r["owing"] for r in rows), sum(len(r["missing"]) for r in rows)

        status_times, bare_times = [], []
        for _ in range(args.repeat):
            seconds, (owing, missing) = timed(status)
            status_times.append(seconds)
            bare_times.append(timed(lambda: bare_fetch(db, definition.id))[0])
        s, b = median(status_times), median(bare_times)
        print(
            f"  status (who owes, 上报率, 缺报名单 of 12 occurrences): {s:.2f} s for "
            f"{owing:,} obligations ({missing} units missing in all); bare fetch {b:.2f} s"
        )
        results.append(verdict(s < 3 * b, f"status under 3x the bare fetch ({s / b:.2f}x)"))

        runner = gd.reminder_runner()
        occ = next(
            o
            for o in runner.job_occurrences()
            if o.rule.id == f"{RULE}/overdue-1" and o.period == "2021-03"
        )
        gather_times, bare_times = [], []
        for _ in range(args.repeat):
            seconds, found = timed(lambda: runner._gather_report(occ))
            gather_times.append(seconds)
            bare_times.append(timed(lambda: bare_fetch(db, definition.id, "2021-03"))[0])
        g, b = median(gather_times), median(bare_times)
        items = sum(len(r.points) for r in found)
        print(
            f"  recipients of {occ.rule.id} ({occ.period}): {g:.2f} s, {len(found)} units "
            f"owing {items:,} items; bare fetch {b:.2f} s"
        )
        results.append(verdict(g < 3 * b, f"recipients under 3x the bare fetch ({g / b:.2f}x)"))
        jobs = len(runner.job_occurrences())
        gd.close()
        small = Path(tmp) / "small.db"
        few = build_store(folder, small, 10)
        jobs_few = len(few.reminder_runner().job_occurrences())
        few.close()
        print(f"  scheduler jobs: {jobs_few} with 10 items, {jobs} with {count:,}")
        results.append(verdict(jobs == jobs_few, "scheduler jobs independent of the items"))
    for line in results:
        print(line)
    return 0 if all(line.startswith("PASS") for line in results) else 1


if __name__ == "__main__":
    sys.exit(main())
