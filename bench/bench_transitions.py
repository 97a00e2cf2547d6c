"""Benchmark: a bulk run of transitions through the engine, the chained trail written durably.

    python bench/bench_transitions.py            # 100,000 points x 10 transitions = 1,000,000
    python bench/bench_transitions.py --quick    #  10,000 points x 10 transitions =   100,000

The work is the 2011 programme's forward path, driven through the engine's public API
(``Runtime.submit`` and ``Runtime.decide``) as the units and the coordinators would:

    screen       decide   eic accepts the proposals, --decision-batch points per decision
    approve      decide   the provincial government approves them, likewise
    work-plan    submit   each unit files one document covering all its approved points
    work-plan    decide   eic returns the plans (--decision-batch points per decision)
    work-plan    submit   each unit files its plan again (a new document)
    measures     submit   each unit, one document
    progress     submit   each unit, one document
    inspection   submit   each inspection group's lead, one report covering its units
    summary      submit   each unit, one document
    summary      decide   eic accepts the summaries: the points are concluded

Every call is one committed SQLite transaction (WAL, ``synchronous=NORMAL``, as the store
sets it: a committed batch survives a process crash) writing the points' new states and the
hash-chained events; every document is copied into the content-addressed folder with
``fsync``. The points are enrolled first (not timed), each unit's in one call. The programme
is a synthetic copy of the 2011 one with ``max_per_unit`` raised (41 proposing units).

Every move is fired through the programme's transitions machine, whose conditions check
the input, the actor and the extension rules and whose ``after`` callback drafts the event.

Baseline, measured in the same run (after each of the engine's 10 stages, one stage's
worth of triggers in a fresh interpreter, so that both see the same load on a shared
machine; the rate over all samples is taken): the same 10 triggers fired on a plain transitions
``Machine`` (``auto_transitions=False``) with the engine's own conditions and callbacks
(``MoveRules.transitions()``) and up to 10,000 plain model objects, in memory, no store:
per fire, the point's row and an attempt are made as the engine makes them; rounds are
repeated (the models put back in the first state) until as many triggers have fired as one
stage of the engine's run. 10,000 models, not 100,000, because ``add_model`` is quadratic (see
bench_enrol.py); the trigger rate does not depend on the number of models.

Target (issue "One engine core"): the durable run at least 0.2 of that baseline's rate.
The events per second are printed beside it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _programme import (
    fixed_clock,
    in_child,
    machine_line,
    new_points,
    synthetic_programme,
    verdict,
)

TARGET = 0.2  # the durable run's rate over bare transitions with the same checks
TRANSITIONS_PER_POINT = 10
FORWARD = [
    "screen-in",
    "approve",
    "submit-plan",
    "return-plan",
    "submit-plan",
    "report-measures",
    "report-progress",
    "inspect",
    "submit-summary",
    "conclude",
]
BASELINE_MODELS = 10_000


#: The forward path as the baseline fires it: (trigger, decision outcome or None).
OUTCOMES = {
    "screen-in": "accept",
    "approve": "accept",
    "return-plan": "return",
    "conclude": "accept",
}


def bare_transitions_rate(definition, triggers: int) -> tuple[float, int]:
    """Triggers per second of a plain transitions machine on the same forward path, with the
    engine's own conditions and callbacks (``MoveRules.transitions()``) and no store."""
    from transitions import Machine

    from engine.runtime.machine import Attempt
    from engine.runtime.moves import MoveRules
    from engine.runtime.store import PointRow

    index = definition.index
    machine = Machine(
        model=None,
        states=[s.id for s in definition.programme.points.states],
        transitions=MoveRules(definition).transitions(),
        initial=index.initial_state,
        auto_transitions=False,
    )

    class Point:
        def __init__(self, number: int, unit: str) -> None:
            self.point_id = f"{unit}-{number}"
            self.unit = unit
            self.lead = index.inspector_of[unit]

    units = index.proposers
    size = max(1, min(BASELINE_MODELS, triggers // len(FORWARD)))
    models = [Point(i, units[i % len(units)]) for i in range(size)]
    machine.add_model(models)  # not timed: see bench_enrol.py
    pid = definition.id
    document = "ab" * 32
    initial = index.initial_state
    rounds = max(1, triggers // (size * len(FORWARD)))
    fired = 0
    drafted = 0
    t0 = time.perf_counter()
    for _ in range(rounds):
        for trigger in FORWARD:
            outcome = OUTCOMES.get(trigger)
            for model in models:
                # As the engine does per point: the row read, an attempt, the trigger.
                point = PointRow(pid, model.point_id, model.unit, "突破点", model.state, 1)
                if outcome is not None:
                    attempt = Attempt(point, None, None, outcome, "经审核")
                else:
                    actor = model.lead if trigger == "inspect" else model.unit
                    attempt = Attempt(point, actor, document)
                if not model.trigger(trigger, attempt):
                    raise SystemExit(f"bench: the baseline refused {trigger}: {attempt.refusal}")
                drafted += attempt.draft is not None
        fired += len(models) * len(FORWARD)
        for model in models:  # back to the start for the next round
            model.state = initial
    seconds = time.perf_counter() - t0
    if models[0].state != initial or drafted != fired:
        raise SystemExit("bench: the baseline models did not go round")
    return fired / seconds, fired


class Run:
    """The engine's bulk run on one store."""

    def __init__(self, definition, folder: Path, count: int, decision_batch: int) -> None:
        from engine.runtime.service import Runtime
        from engine.runtime.store import open_store

        self.definition = definition
        self.folder = folder
        self.store = open_store(folder / "bench.db", folder / "documents")
        self.runtime = Runtime(definition, self.store, fixed_clock())
        self.count = count
        self.batch = decision_batch
        self.units = definition.index.proposers
        self.leads = list(dict.fromkeys(definition.index.inspector_of.values()))
        self.point_ids: list[str] = []
        self.transactions = 0
        self.documents = 0

    def enrol(self) -> float:
        groups: dict[str, list] = {}
        for p in new_points(self.definition, self.count):
            groups.setdefault(p.unit, []).append(p)
        t0 = time.perf_counter()
        for batch in groups.values():
            self.point_ids += [row.point_id for row in self.runtime.enrol(batch)]
        return time.perf_counter() - t0

    def _document(self, task: str, who: str) -> Path:
        self.documents += 1
        path = self.folder / "outgoing" / f"{self.documents:05d}-{who}-{task}.txt"
        path.parent.mkdir(exist_ok=True)
        body = f"{who}：{task}（第 {self.documents} 份）\n" + "突破点工作材料。" * 200
        path.write_text(body, encoding="utf-8")
        return path

    def decide(self, task: str, outcome: str) -> int:
        moved = 0
        ids = self.point_ids
        for start in range(0, len(ids), self.batch):
            events = self.runtime.decide(task, ids[start : start + self.batch], outcome, "经审核")
            moved += len(events)
            self.transactions += 1
        return moved

    def submit(self, task: str, units: list[str]) -> int:
        moved = 0
        for unit in units:
            moved += len(self.runtime.submit(unit, task, self._document(task, unit)))
            self.transactions += 1
        return moved

    def stages(self) -> list[tuple[str, object]]:
        return [
            ("screen       decide", lambda: self.decide("screen", "accept")),
            ("approve      decide", lambda: self.decide("approve", "accept")),
            ("work-plan    submit", lambda: self.submit("work-plan", self.units)),
            ("work-plan    return", lambda: self.decide("work-plan", "return")),
            ("work-plan    submit", lambda: self.submit("work-plan", self.units)),
            ("measures     submit", lambda: self.submit("measures", self.units)),
            ("progress     submit", lambda: self.submit("progress", self.units)),
            ("inspection   submit", lambda: self.submit("inspection", self.leads)),
            ("summary      submit", lambda: self.submit("summary", self.units)),
            ("summary      decide", lambda: self.decide("summary", "accept")),
        ]

    def check(self, events: int) -> None:
        """Every point concluded, the trail holds exactly what was written."""
        with self.store.transaction(readonly=True) as tx:
            concluded = len(tx.points(self.definition.id, state="concluded"))
            head = tx.chain_head()[0]
            pragmas = {
                name: tx.connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "synchronous")
            }
        if concluded != self.count:
            raise SystemExit(f"bench: {concluded} of {self.count} points concluded")
        if head != self.count + events:
            raise SystemExit(
                f"bench: the trail holds {head} events, expected {self.count + events}"
            )
        if pragmas != {"journal_mode": "wal", "synchronous": 1}:
            raise SystemExit(f"bench: unexpected durability settings {pragmas}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 points (100,000 events)")
    parser.add_argument("--points", type=int, help="points to run (default 100,000)")
    parser.add_argument(
        "--decision-batch", type=int, default=1000, help="points named per decision"
    )
    parser.add_argument("--verify", action="store_true", help="audit the whole trail at the end")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the timed run")
    parser.add_argument("--baseline-only", type=int, metavar="TRIGGERS", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    count = args.points or (10_000 if args.quick else 100_000)

    from engine.definition.loader import load_definition

    if args.baseline_only:  # the child process of baseline() below
        import json

        with tempfile.TemporaryDirectory(prefix="docflow-bench-baseline-") as tmp:
            definition = load_definition(synthetic_programme(Path(tmp) / "programme"))
            rate, fired = bare_transitions_rate(definition, args.baseline_only)
        print(json.dumps({"rate": rate, "fired": fired}))
        return 0

    def baseline(triggers: int) -> tuple[float, int]:
        found = in_child(__file__, "--baseline-only", str(triggers))
        return float(found["rate"]), int(found["fired"])

    print("bench_transitions:", machine_line())
    with tempfile.TemporaryDirectory(prefix="docflow-bench-transitions-") as tmp:
        root = Path(tmp)
        definition = load_definition(synthetic_programme(root / "programme"))
        expected = count * TRANSITIONS_PER_POINT

        # The baseline is sampled after each stage of the engine's run (one stage's worth
        # of triggers, in a fresh interpreter), so that both see the same load on the
        # machine; the engine's time is the stages' time only.
        sample = max(count, 10_000)
        samples: list[tuple[int, float]] = []

        def sample_baseline() -> float:
            found_rate, found_fired = baseline(sample)
            samples.append((found_fired, found_fired / found_rate))
            return found_rate

        print(
            f"baseline  transitions, in memory, same conditions and callbacks, "
            f"{min(BASELINE_MODELS, sample // len(FORWARD)):,} models, "
            f"{sample:,} triggers after each stage"
        )
        sys.stdout.flush()

        (root / "run").mkdir()
        run = Run(definition, root / "run", count, args.decision_batch)
        try:
            enrol_seconds = run.enrol()
            print(
                f"enrolled  {count:,} points in {enrol_seconds:.2f} s "
                f"({len(run.units)} calls, not counted below)"
            )
            print(f"run       {count:,} points x {TRANSITIONS_PER_POINT} transitions:")
            profiler = None
            if args.profile:
                import cProfile

                profiler = cProfile.Profile()
            events = 0
            elapsed = 0.0
            for label, stage in run.stages():
                if profiler is not None:
                    profiler.enable()
                t0 = time.perf_counter()
                moved = stage()
                seconds = time.perf_counter() - t0
                if profiler is not None:
                    profiler.disable()
                elapsed += seconds
                events += moved
                bare = sample_baseline()
                print(
                    f"  {label}  {moved:>9,} events  {seconds:7.2f} s  "
                    f"{moved / seconds:>9,.0f} events/s   bare {bare:>9,.0f} triggers/s"
                )
                sys.stdout.flush()
            if profiler is not None:
                profiler.dump_stats(args.profile)
            run.check(events)
            size = (root / "run" / "bench.db").stat().st_size
            if args.verify:
                from engine.runtime.trail import verify

                t0 = time.perf_counter()
                report = verify(run.store)
                print(
                    f"verify    {report.events_checked:,} events, {report.documents_checked} "
                    f"documents in {time.perf_counter() - t0:.2f} s: ok={report.ok}"
                )
                if not report.ok:
                    print(report.first_failure, file=sys.stderr)
                    return 1
        finally:
            run.store.close()

    fired = sum(n for n, _ in samples)
    baseline_rate = fired / sum(t for _, t in samples)
    rate = events / elapsed
    if events != expected:
        raise SystemExit(f"bench: {events} events, expected {expected}")

    print()
    print(f"docflow   {events:,} transitions in {elapsed:.2f} s: {rate:,.0f} events/s")
    print(
        f"          {run.transactions:,} committed transactions, {run.documents} documents "
        f"stored, database {size / 1e6:.0f} MB; WAL, synchronous=NORMAL"
    )
    print(
        f"baseline  transitions in memory, same conditions and callbacks: "
        f"{fired:,} triggers at {baseline_rate:,.0f} triggers/s "
        f"(slowest sample {min(n / t for n, t in samples):,.0f}, "
        f"fastest {max(n / t for n, t in samples):,.0f})"
    )
    ratio = rate / baseline_rate
    print(f"ratio     docflow / bare transitions = {ratio:.2f}")
    ok = ratio >= TARGET
    print(
        verdict(
            ok,
            f"ratio {ratio:.2f} >= {TARGET} (durable, trail chained, over bare transitions "
            "with the same conditions and callbacks)",
        )
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
