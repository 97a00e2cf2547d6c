"""Shared helpers for the benchmarks: a synthetic programme built from the 2011 one.

The 2011 programme lets each unit propose at most 2 points (41 proposing units). The
benchmarks need tens of thousands of points, so :func:`synthetic_programme` copies
``workflows/gd-2011`` (``programme.yaml`` and the ``notice.txt`` its quotes are checked
against) into a folder and raises ``points.enrolment.max_per_unit``; everything else - the
bodies, the life cycle, the tasks - is the real programme. The copy must still pass
``engine.definition.loader.load_definition``.

Not a benchmark itself (the leading underscore); imported by the ``bench_*.py`` scripts,
which put this folder on ``sys.path`` by being run as ``python bench/X.py``.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import statistics
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GD_2011 = ROOT / "workflows" / "gd-2011"

#: When the benchmarks "happen" (the clock is fixed; no deadline check depends on it).
BENCH_NOW = datetime(2011, 5, 5, 10, 0)


def synthetic_programme(folder: Path, max_per_unit: int = 1_000_000) -> Path:
    """Write the 2011 programme with a larger ``max_per_unit`` into ``folder``; return it.

    The result is checked with ``load_definition`` so that a benchmark never runs on a
    definition the engine would refuse.
    """
    from engine.definition.loader import load_definition

    folder.mkdir(parents=True, exist_ok=True)
    text = (GD_2011 / "programme.yaml").read_text(encoding="utf-8")
    text, count = re.subn(
        r"^(\s*max_per_unit:\s*)\d+", rf"\g<1>{max_per_unit}", text, flags=re.MULTILINE
    )
    if count != 1:
        raise SystemExit("bench: points.enrolment.max_per_unit not found in programme.yaml")
    (folder / "programme.yaml").write_text(text, encoding="utf-8")
    for extra in GD_2011.iterdir():  # notice.txt and anything else the programme refers to
        if extra.is_file() and extra.name != "programme.yaml":
            shutil.copy2(extra, folder / extra.name)
    definition = load_definition(folder)
    if definition.programme.points.enrolment.max_per_unit != max_per_unit:
        raise SystemExit("bench: the synthetic programme did not take the new max_per_unit")
    return folder


def new_points(definition: Any, count: int) -> list[Any]:
    """``count`` points spread round-robin over the programme's proposing units."""
    from engine.runtime.service import NewPoint

    units = definition.index.proposers
    return [NewPoint(units[i % len(units)], f"突破点 {i + 1:06d}") for i in range(count)]


def fixed_clock(moment: datetime = BENCH_NOW) -> Any:
    from engine.clock import FixedClock

    return FixedClock(moment)


def machine_line() -> str:
    """One line naming the machine, for the printed figures."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 0
    import sqlite3

    return (
        f"Python {platform.python_version()} on {platform.machine()}, {cpus} CPU(s), "
        f"SQLite {sqlite3.sqlite_version}"
    )


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds taken by ``fn()`` (wall clock, ``perf_counter``) and its result."""
    import time

    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def median(values: list[float]) -> float:
    return statistics.median(values)


def verdict(ok: bool, text: str) -> str:
    return f"{'PASS' if ok else 'FAIL'}: {text}"


def flush() -> None:
    sys.stdout.flush()


def in_child(script: str, *args: str) -> Any:
    """Run ``python script *args`` in a fresh interpreter; return the JSON it prints last.

    The baselines run this way, so that the objects they leave behind (transitions' machines
    hold their models in reference cycles) neither slow the engine's run through the
    garbage collector nor the other way round.
    """
    import json
    import subprocess

    done = subprocess.run(
        [sys.executable, script, *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"bench: {Path(script).name} {' '.join(args)} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])
