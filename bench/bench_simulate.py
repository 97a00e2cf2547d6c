"""Benchmark: the simulated 2011 year with its 52 points, as a user runs it.

    python bench/bench_simulate.py            # median of 3 runs
    python bench/bench_simulate.py --quick    # 1 run

Target: ``docflow simulate workflows/gd-2011 --outbox <tmp> -q`` under 3 s of wall-clock time,
interpreter start included (median of the runs, each a fresh process with a fresh outbox;
one untimed run first, which also writes the bytecode caches). Baselines in the same run:
``python -c pass`` (the interpreter alone) and ``docflow --help`` (interpreter, imports of
the command-line entry point).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _programme import GD_2011, ROOT, flush, machine_line, median, verdict

LIMIT = 3.0


def docflow_command() -> list[str]:
    """The installed ``docflow`` script beside this interpreter, else ``python -m engine``."""
    script = Path(sys.executable).with_name("docflow")
    return [str(script)] if script.exists() else [sys.executable, "-m", "engine"]


def run(command: list[str], timeout: float = 300) -> tuple[float, subprocess.CompletedProcess[str]]:
    t0 = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    return time.perf_counter() - t0, done


def timings(command: list[str], repeat: int) -> tuple[float, list[float]]:
    runs = []
    for _ in range(repeat):
        elapsed, done = run(command)
        if done.returncode != 0:
            raise SystemExit(f"bench: {' '.join(command)} failed:\n{done.stderr[-2000:]}")
        runs.append(elapsed)
    return median(runs), runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one timed run")
    parser.add_argument("--repeat", type=int, help="timed runs (default 3, --quick 1)")
    args = parser.parse_args(argv)
    repeat = args.repeat or (1 if args.quick else 3)
    docflow = docflow_command()
    print(f"bench_simulate: {' '.join(docflow)} simulate  ({machine_line()})")

    with tempfile.TemporaryDirectory(prefix="docflow-bench-simulate-") as tmp_name:
        tmp = Path(tmp_name)

        def simulate(n: int) -> list[str]:
            return [*docflow, "simulate", str(GD_2011), "--outbox", str(tmp / f"outbox-{n}"), "-q"]

        elapsed, done = run(simulate(0))
        if done.returncode != 0:
            print(f"docflow simulate exited with {done.returncode} after {elapsed:.2f} s:")
            print((done.stderr or done.stdout)[-3000:])
            print(verdict(False, "docflow simulate is not runnable"))
            return 1

        python, python_runs = timings([sys.executable, "-c", "pass"], repeat)
        cli, cli_runs = timings([*docflow, "--help"], repeat)
        runs = []
        output = ""
        for n in range(1, repeat + 1):
            t, done = run(simulate(n))
            if done.returncode != 0:
                print(done.stderr[-3000:])
                print(verdict(False, f"docflow simulate failed on run {n}"))
                return 1
            runs.append(t)
            output = done.stdout
        wall = median(runs)
        messages = len(list((tmp / f"outbox-{repeat}").rglob("*.eml")))
        sent = re.search(r"发出邮件\s*(\d+)\s*封", output)
        summary = next((line for line in output.splitlines() if line.startswith("发出邮件")), "")

        def shown(values: list[float]) -> str:
            return ", ".join(f"{v:.2f}" for v in values)

        print(f"   python -c pass        {python:>6.3f} s  ({shown(python_runs)})")
        print(f"   docflow --help        {cli:>6.3f} s  ({shown(cli_runs)})")
        print(f"   docflow simulate -q   {wall:>6.3f} s  ({shown(runs)}) - first, untimed run "
              f"{elapsed:.2f} s")  # fmt: skip
        print(f"   beyond python -c pass {wall - python:>6.3f} s; beyond docflow --help "
              f"{wall - cli:.3f} s")  # fmt: skip
        print(f"   outbox: {messages} .eml files; {summary}")
        ok = wall < LIMIT and messages > 0 and (sent is None or int(sent.group(1)) == messages)
        print(
            verdict(
                ok,
                f"simulated 2011 year with 52 points in {wall:.2f} s wall, interpreter start "
                f"included (median of {repeat}; limit {LIMIT:g} s; python -c pass {python:.3f} s)",
            )
        )
        flush()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
