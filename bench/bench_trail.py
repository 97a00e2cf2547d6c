"""Benchmark: bulk-append events to the chained trail, then audit it.

    python bench/bench_trail.py                    # 1,000,000 events
    python bench/bench_trail.py --events 100000    # quick

Durability: SQLite in WAL mode with ``synchronous=NORMAL`` (every batch is one committed
transaction; a committed batch survives a process crash, a power cut may lose the newest
batches but never breaks the chain). Each batch is one ``BEGIN IMMEDIATE`` transaction, as
a real command would do.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from engine.clock import SHANGHAI
from engine.runtime.store import EventDraft, open_store
from engine.runtime.trail import chain_rows, verify

UNITS = [f"单位{n:02d}" for n in range(40)]
TRIGGERS = ["submit", "accept", "reject", "return", "remind"]


def drafts(start: int, count: int) -> list[EventDraft]:
    out = []
    for i in range(start, start + count):
        unit = UNITS[i % len(UNITS)]
        out.append(
            EventDraft(
                programme_id="bench",
                trigger=TRIGGERS[i % len(TRIGGERS)],
                actor=f"{unit}联络员",
                point_id=f"P{i % 5000:04d}",
                unit_id=unit,
                source_state="submitted",
                dest_state="accepted",
                decision="accept" if i % 3 else None,
                reason="材料齐全，符合要求" if i % 7 == 0 else None,
                data={"n": i} if i % 11 == 0 else None,
            )
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000, help="events per transaction")
    parser.add_argument("--db", help="SQLite file (default: a temporary directory)")
    parser.add_argument("--skip-verify", action="store_true")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="docflow-bench-") as tmp:
        location = args.db or str(Path(tmp) / "bench.db")
        start_at = datetime(2025, 1, 1, 9, 0, tzinfo=SHANGHAI)
        store = open_store(location, documents_dir=Path(tmp) / "documents")
        try:
            with store.transaction() as tx:
                if tx.get_programme("bench") is None:
                    tx.put_programme("bench", "基准测试方案", 2025, "0" * 64, start_at)

            # Hashing alone, to show where the time goes.
            sample = drafts(0, min(args.events, 50_000))
            contents = [
                (d.programme_id, d.point_id, d.unit_id, d.trigger, d.source_state, d.dest_state,
                 d.actor, d.document_sha256, d.decision, d.reason, None, "t", "t")
                for d in sample
            ]  # fmt: skip
            t0 = time.perf_counter()
            chain_rows(contents, 0, "0" * 64)
            hash_rate = len(contents) / (time.perf_counter() - t0)

            done = 0
            build = 0.0
            t0 = time.perf_counter()
            while done < args.events:
                n = min(args.batch, args.events - done)
                b0 = time.perf_counter()
                batch = drafts(done, n)
                build += time.perf_counter() - b0
                with store.transaction() as tx:
                    tx.append_events(batch, start_at + timedelta(seconds=done))
                done += n
            elapsed = time.perf_counter() - t0
            size = Path(location).stat().st_size if Path(location).exists() else 0

            print(f"events appended      {done:>12,}")
            print(f"batch size           {args.batch:>12,} events per transaction")
            print(
                f"elapsed              {elapsed:>12.2f} s  (of which building drafts {build:.2f} s)"
            )
            print(f"append rate          {done / elapsed:>12,.0f} events/s  (drafts included)")
            print(f"append rate          {done / (elapsed - build):>12,.0f} events/s  (store only)")
            print(f"hash chaining only   {hash_rate:>12,.0f} events/s")
            print(f"database size        {size / 1e6:>12.1f} MB  (+ WAL)")
            print("durability           WAL, synchronous=NORMAL, one commit per batch")

            if not args.skip_verify:
                t0 = time.perf_counter()
                report = verify(store)
                elapsed = time.perf_counter() - t0
                print(f"verify               {elapsed:>12.2f} s  "
                      f"({report.events_checked / elapsed:,.0f} events/s, ok={report.ok})")  # fmt: skip
                if not report.ok:
                    print(report.first_failure, file=sys.stderr)
                    return 1
        finally:
            store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
