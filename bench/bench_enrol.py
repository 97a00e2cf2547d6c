"""Benchmark: enrolling many points costs the same per point, however many there are.

    python bench/bench_enrol.py            # docflow: 10,000 and 100,000 points; baseline 10k/20k/40k
    python bench/bench_enrol.py --quick    # docflow: 10,000 and 100,000 points; baseline 2.5k/5k/10k

transitions' ``Machine.add_model`` is quadratic in the number of models (pytransitions
issue #434: about 79 s for 100,000). docflow keeps one machine per programme with a single
model and the points' states in the store, so enrolment should be linear.

What is timed: ``Runtime.enrol`` on a synthetic copy of the 2011 programme (the same
bodies and life cycle, ``max_per_unit`` raised), each proposing unit enrolling its own
points in one call (41 calls, as each unit would file its list), on a fresh SQLite store
in a temporary folder for every run; the batches are built before the clock starts. Each
size is run ``--repeat`` times and the median is taken (the machines here are noisy).

Baseline, measured in the same run (each size in a fresh interpreter, so that its garbage
does not slow the engine's runs): a plain transitions ``Machine`` with the programme's
states and transitions (``auto_transitions=False``), given N plain objects with
``add_model``. Its 100,000-point cost is extrapolated from a fit ``a·n + b·n²``.

Targets (issue "Run breakthrough points through the programme"): per point, 100,000 costs
at most 1.5 times 10,000; and 100,000 takes at most 5 s in all.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _programme import (
    fixed_clock,
    in_child,
    machine_line,
    median,
    new_points,
    synthetic_programme,
    timed,
    verdict,
)

MAX_RATIO = 1.5
MAX_SECONDS = 5.0
SMALL, LARGE = 10_000, 100_000


def enrol_once(definition, points_by_unit, folder: Path) -> float:
    """Seconds to enrol every unit's points (one ``enrol`` call per unit) in a new store."""
    from engine.runtime.service import Runtime
    from engine.runtime.store import open_store

    folder.mkdir(parents=True)
    store = open_store(folder / "bench.db", folder / "documents")
    try:
        runtime = Runtime(definition, store, fixed_clock())

        def run() -> int:
            return sum(len(runtime.enrol(batch)) for batch in points_by_unit)

        seconds, enrolled = timed(run)
        expected = sum(len(b) for b in points_by_unit)
        if enrolled != expected:
            raise SystemExit(f"bench: enrolled {enrolled} points, expected {expected}")
        with store.transaction(readonly=True) as tx:
            recorded = len(tx.events_for(definition.id, "enrol"))
        if recorded != expected:
            raise SystemExit(f"bench: the trail holds {recorded} enrolments, expected {expected}")
    finally:
        store.close()
        shutil.rmtree(folder, ignore_errors=True)
    return seconds


def by_unit(points: list) -> list[list]:
    groups: dict[str, list] = {}
    for p in points:
        groups.setdefault(p.unit, []).append(p)
    return list(groups.values())


def add_model_seconds(definition, count: int) -> float:
    """Seconds for transitions' ``Machine.add_model`` to take ``count`` plain models."""
    from transitions import Machine

    index = definition.index
    states = [s.id for s in definition.programme.points.states]
    transitions = [
        {"trigger": t.trigger, "source": index.sources_of(t), "dest": t.dest}
        for t in definition.programme.points.transitions
    ]
    machine = Machine(
        model=None,
        states=states,
        transitions=transitions,
        initial=index.initial_state,
        auto_transitions=False,
    )

    class Point:
        pass

    models = [Point() for _ in range(count)]
    seconds, _ = timed(lambda: machine.add_model(models))
    return seconds


def fit_quadratic(samples: list[tuple[int, float]]) -> tuple[float, float]:
    """Least squares ``t = a·n + b·n²`` (no constant term) through the samples."""
    s11 = sum(n * n for n, _ in samples)
    s12 = sum(n**3 for n, _ in samples)
    s22 = sum(n**4 for n, _ in samples)
    t1 = sum(n * t for n, t in samples)
    t2 = sum(n * n * t for n, t in samples)
    det = s11 * s22 - s12 * s12
    a = (t1 * s22 - t2 * s12) / det
    b = (s11 * t2 - s12 * t1) / det
    return a, b


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller baseline (about 10 s)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size (median taken)")
    parser.add_argument("--baseline-only", type=int, metavar="MODELS", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    from engine.definition.loader import load_definition

    if args.baseline_only:  # the child process: one add_model measurement
        import json

        with tempfile.TemporaryDirectory(prefix="docflow-bench-baseline-") as tmp:
            definition = load_definition(synthetic_programme(Path(tmp) / "programme"))
            print(json.dumps({"seconds": add_model_seconds(definition, args.baseline_only)}))
        return 0

    baseline_sizes = [2_500, 5_000, 10_000] if args.quick else [10_000, 20_000, 40_000]
    print("bench_enrol:", machine_line())
    with tempfile.TemporaryDirectory(prefix="docflow-bench-enrol-") as tmp:
        root = Path(tmp)
        definition = load_definition(synthetic_programme(root / "programme"))
        units = len(definition.index.proposers)
        print(
            f"programme: synthetic copy of gd-2011, {units} proposing units, "
            f"max_per_unit {definition.programme.points.enrolment.max_per_unit:,}"
        )

        # Baseline first: transitions' add_model.
        print("\nbaseline: transitions Machine.add_model (one machine, N plain models)")
        samples = []
        for n in baseline_sizes:
            seconds = float(in_child(__file__, "--baseline-only", str(n))["seconds"])
            samples.append((n, seconds))
            print(f"  {n:>9,} models  {seconds:8.2f} s  {seconds / n * 1e6:9.1f} µs/model")
            sys.stdout.flush()
        a, b = fit_quadratic(samples)
        projected = a * LARGE + b * LARGE * LARGE
        first_n, first_t = samples[0]
        last_n, last_t = samples[-1]
        print(
            f"  per model, {last_n:,} vs {first_n:,}: x{(last_t / last_n) / (first_t / first_n):.2f}"
            f"  (linear would be x1.00)"
        )
        print(
            f"  fit t = {a * 1e6:.1f} µs·n + {b * 1e9:.3f} ns·n²  ->  {LARGE:,} models "
            f"≈ {projected:.0f} s ({projected / LARGE * 1e6:.0f} µs/model), extrapolated"
        )

        # docflow.
        print(
            f"\ndocflow: Runtime.enrol, one call per unit, fresh SQLite store "
            f"(median of {args.repeat})"
        )
        results: dict[int, float] = {}
        for n in (SMALL, LARGE):
            batches = by_unit(new_points(definition, n))
            runs = [
                enrol_once(definition, batches, root / f"store-{n}-{i}") for i in range(args.repeat)
            ]
            results[n] = median(runs)
            shown = ", ".join(f"{r:.2f}" for r in runs)
            print(
                f"  {n:>9,} points  {results[n]:8.2f} s  {results[n] / n * 1e6:9.1f} µs/point"
                f"  (runs: {shown} s)"
            )
            sys.stdout.flush()

    per_small = results[SMALL] / SMALL
    per_large = results[LARGE] / LARGE
    ratio = per_large / per_small
    print(f"  per point, {LARGE:,} vs {SMALL:,}: x{ratio:.2f}")
    docflow_vs_baseline = projected / results[LARGE]
    print(
        f"\n{LARGE:,} points: docflow {results[LARGE]:.2f} s (trail and store included) vs "
        f"transitions add_model ≈ {projected:.0f} s (extrapolated, in memory): "
        f"{docflow_vs_baseline:.0f}x faster"
    )
    ok_ratio = ratio <= MAX_RATIO
    ok_total = results[LARGE] <= MAX_SECONDS
    print(verdict(ok_ratio, f"per-point cost ratio {ratio:.2f} <= {MAX_RATIO}"))
    print(verdict(ok_total, f"{LARGE:,} points in {results[LARGE]:.2f} s <= {MAX_SECONDS:g} s"))
    return 0 if ok_ratio and ok_total else 1


if __name__ == "__main__":
    sys.exit(main())
