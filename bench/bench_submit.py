"""Benchmark: one ``docflow submit`` from the shell, interpreter start included.

    python bench/bench_submit.py            # 10 runs of each
    python bench/bench_submit.py --quick    #  5 runs of each
    python bench/bench_submit.py --importtime   # also show what the command imports

A store is prepared once through ``Runtime``: the 52 example points of
``workflows/gd-2011/points-example.yaml`` enrolled, screened in and approved (eic has two
points waiting for their work plan). Each timed run gets a fresh copy of that store (copied
before the clock starts) and runs, as a user would::

    docflow submit workflows/gd-2011 --unit eic --task work-plan --file F --db COPY

from the repository root: Python's start, the imports, loading and checking the
programme, opening the store, copying the document in, one transaction, the output. The
baseline, measured in the same run and alternating with it, is ``python -c pass`` on the
same interpreter.

Targets: under 0.5 s, and no more than 12 times ``python -c pass`` in the same run. PASS
when the median meets both; the maximum is printed too. When over the target, or with
``--importtime``, the modules the command spends most of its import time on are listed
(``python -X importtime``, cumulative, top level and their largest children).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _programme import GD_2011, ROOT, fixed_clock, machine_line, median, verdict

TARGET = 0.5  # seconds
RATIO = 12.0  # at most this many times ``python -c pass`` in the same run
PROGRAMME = "workflows/gd-2011"
DOCUMENT_TEXT = (
    "关于两化融合示范企业培育的突破点工作方案\n" + "一、工作目标。二、主要措施。\n" * 400
)


def prepare(folder: Path) -> Path:
    """A store with the 52 example points screened in and approved; return its folder."""
    from engine.definition.loader import load_definition
    from engine.runtime.pointsfile import read_points_file
    from engine.runtime.service import Runtime
    from engine.runtime.store import open_store

    store_dir = folder / "prepared"
    store_dir.mkdir(parents=True)
    definition = load_definition(GD_2011)
    store = open_store(store_dir / "docflow.db", store_dir / "documents")
    try:
        runtime = Runtime(definition, store, fixed_clock())
        rows = runtime.enrol(read_points_file(GD_2011 / "points-example.yaml"))
        ids = [r.point_id for r in rows]
        runtime.decide("screen", ids, "accept", "符合推荐条件")
        runtime.decide("approve", ids, "accept", "同意")
    finally:
        store.close()  # the last connection checkpoints the WAL into the file
    for name in ("docflow.db-wal", "docflow.db-shm"):
        if (store_dir / name).exists():
            raise SystemExit(f"bench: {name} left after closing the store")
    return store_dir


def docflow_command() -> list[str]:
    script = Path(sys.executable).with_name("docflow")
    if not script.exists():
        found = shutil.which("docflow")
        if found is None:
            raise SystemExit("bench: the docflow command is not installed (pip install -e .)")
        script = Path(found)
    return [str(script)]


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCFLOW_")}
    env["DOCFLOW_NOW"] = "2011-05-08T10:00"  # a day of the 2011 programme, as a rehearsal
    return env


def run_submit(command: list[str], prepared: Path, scratch: Path, document: Path) -> float:
    if scratch.exists():
        shutil.rmtree(scratch)
    shutil.copytree(prepared, scratch)
    argv = [
        *command,
        "submit",
        PROGRAMME,
        "--unit",
        "eic",
        "--task",
        "work-plan",
        "--file",
        str(document),
        "--db",
        str(scratch / "docflow.db"),
    ]
    t0 = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=environment(), capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode != 0 or done.stdout.count("已报送「报送突破点工作方案」") != 2:
        raise SystemExit(
            f"bench: docflow submit failed (exit {done.returncode}):\n{done.stdout}{done.stderr}"
        )
    return seconds


def run_pass() -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True, env=environment())
    return time.perf_counter() - t0


def import_report(command: list[str], prepared: Path, scratch: Path, document: Path) -> None:
    """Run the command once under ``-X importtime`` and list where the import time goes."""
    if scratch.exists():
        shutil.rmtree(scratch)
    shutil.copytree(prepared, scratch)
    code = "import sys; from engine.cli import main; sys.argv[0] = 'docflow'; main()"
    argv = [
        sys.executable,
        "-X",
        "importtime",
        "-c",
        code,
        "submit",
        PROGRAMME,
        "--unit",
        "eic",
        "--task",
        "work-plan",
        "--file",
        str(document),
        "--db",
        str(scratch / "docflow.db"),
    ]
    done = subprocess.run(argv, cwd=ROOT, env=environment(), capture_output=True, text=True)
    entries = []  # (cumulative µs, depth, name)
    for line in done.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
        if m:
            entries.append((int(m.group(2)), len(m.group(3)) // 2, m.group(4)))
    total = sum(c for c, depth, _ in entries if depth == 0)
    print(f"\nimports (python -X importtime, one run): {total / 1e3:.0f} ms in all")
    print("  top-level modules by cumulative import time:")
    for cumulative, _, name in sorted((e for e in entries if e[1] == 0), reverse=True)[:12]:
        print(f"    {cumulative / 1e3:7.1f} ms  {name}")
    print("  heaviest third-party packages (first import, cumulative):")
    seen: dict[str, int] = {}
    for cumulative, _, name in entries:
        top = name.split(".")[0]
        if top in ("engine", "encodings", "site") or top.startswith("_"):
            continue
        if "." not in name or top not in seen:
            seen[top] = max(seen.get(top, 0), cumulative)
    for name, cumulative in sorted(seen.items(), key=lambda kv: -kv[1])[:10]:
        print(f"    {cumulative / 1e3:7.1f} ms  {name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 runs instead of 10")
    parser.add_argument("--runs", type=int, help="runs of each (default 10)")
    parser.add_argument("--importtime", action="store_true", help="always list the imports")
    args = parser.parse_args(argv)
    runs = args.runs or (5 if args.quick else 10)

    print("bench_submit:", machine_line())
    command = docflow_command()
    with tempfile.TemporaryDirectory(prefix="docflow-bench-submit-") as tmp:
        root = Path(tmp)
        prepared = prepare(root)
        document = root / "eic-work-plan.txt"
        document.write_text(DOCUMENT_TEXT, encoding="utf-8")
        scratch = root / "run"

        run_submit(command, prepared, scratch, document)  # warm the OS file cache, untimed
        submit_times, pass_times = [], []
        for _ in range(runs):
            pass_times.append(run_pass())
            submit_times.append(run_submit(command, prepared, scratch, document))

        def line(name: str, times: list[float]) -> str:
            return (
                f"{name:<22} median {median(times) * 1e3:6.0f} ms   "
                f"min {min(times) * 1e3:6.0f} ms   max {max(times) * 1e3:6.0f} ms"
            )

        print(
            f"prepared store: 52 example points, screened in and approved; {runs} runs of each, "
            "each submit on a fresh copy"
        )
        print(line("python -c pass", pass_times))
        print(line("docflow submit", submit_times))
        over = median(submit_times) - median(pass_times)
        print(f"{'':<22} median over the bare interpreter: {over * 1e3:.0f} ms")
        under = sum(t < TARGET for t in submit_times)
        print(f"{'':<22} {under} of {runs} runs under {TARGET:g} s")
        ratio = median(submit_times) / median(pass_times)
        print(f"{'':<22} ratio to the bare interpreter: {ratio:.1f}x (target <= {RATIO:g}x)")
        ok = median(submit_times) < TARGET and ratio <= RATIO
        if not ok or args.importtime:
            import_report(command, prepared, scratch, document)
    print(
        verdict(
            ok,
            f"docflow submit median {median(submit_times):.3f} s < {TARGET:g} s "
            f"and {ratio:.1f}x <= {RATIO:g}x python -c pass",
        )
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
