"""Benchmark: the desk (``docflow web``) served for real, with 52 and with 100,000 items.

    python bench/bench_desk.py                       # 52 and 100,000 items on SQLite
    python bench/bench_desk.py --quick               # 52 and 10,000 items
    python bench/bench_desk.py --postgres URL        # the same on PostgreSQL, both sizes
                                                     # (or DOCFLOW_TEST_POSTGRES set)

For each size a store is prepared through ``Programme`` (the 2011 programme's 52 example
items, or the synthetic programme of ``_programme.py`` with 100,000; all screened in and
approved, so that every one owes its work plan; one coordinator and 50 unit accounts). The
desk is then served by uvicorn in a child process (this script with ``--serve``: the same
``Desk`` and ``create_app`` as ``docflow web``, on a fixed clock at 2011-05-06 10:00), and
driven over HTTP by httpx clients signed in through the login form:

1. *Pages.* Round after round, in turn: the bare route ``/healthz`` (the same server, its
   middleware, no store read), the unit's page (the unit with the most items, page 1), the
   office's dashboard (as the coordinator: the decision queue, 上报率 and 缺报名单, the
   matrix, the notification record). Target: the p99 of each page under 5 times the p99
   of the bare route, measured in the same run. The first (cold) request of each page is
   printed apart: it reads the store; the rounds after it are served from the pages kept
   while the store's head and sent-log do not change (``engine.web.desk.ViewCache``).
2. *Submissions.* 50 clients, each signed in as its own unit account and holding the
   upload form of one distinct item, submit its work plan at the same moment (a barrier,
   one thread each). Target: every one answered with its receipt, and the trail holding
   exactly one work-plan event for each of the 50 items afterwards (0 lost, 0 duplicated),
   counted in the store.
3. *After each event* (once the submissions are counted). Round after round, the
   coordinator records an event through the desk (a work plan received on paper for an
   item, then its return with a reason, and again), and that item's unit page and the
   dashboard are read right after it: the first read of a new state, which no kept page
   serves. The pages are built from the snapshot and rows kept in the process
   (``engine.app.live``), advanced by the new events only; the figures are printed against
   the same bare route (no target: at 100,000 items a view still passes over every item).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _programme import GD_2011, flush, machine_line, new_points, synthetic_programme, verdict

NOW = datetime.fromisoformat("2011-05-06T10:00:00+08:00")
PASSWORD = "bench password 2011"
RATIO = 5.0
CLIENTS = 50
BATCH = 1000  # items per decision while preparing


def _clock() -> Any:
    from engine.clock import FixedClock

    return FixedClock(NOW)


def prepare(
    programme: Path, db: str, documents: Path, count: int
) -> tuple[list[tuple[str, str]], tuple[str, str]]:
    """A store with ``count`` items, all approved; accounts; return (point, unit) of the
    50 items the clients submit for, and of an item none of them submits for (the events
    between reads)."""
    from engine.app import Programme
    from engine.app.accounts import Accounts
    from engine.runtime.pointsfile import read_points_file

    with Programme.open(
        programme, db=db, documents=documents, clock=_clock(), create=True, operator="演练"
    ) as gd:
        if count == 52:
            gd.enrol(read_points_file(GD_2011 / "points-example.yaml"))
        else:
            points = new_points(gd.definition, count)
            for start in range(0, count, 20_000):
                gd.enrol(points[start : start + 20_000])
        ids = [p.point_id for p in gd.snapshot().points]
        for task, reason in (("screen", "符合筛选条件"), ("approve", "省政府审定同意")):
            for start in range(0, len(ids), BATCH):
                gd.decide(task, ids[start : start + BATCH], "accept", reason)
        rows = gd.snapshot().points
        assert gd.store is not None
        accounts = Accounts(gd.store, gd.clock)
        chosen = [(p.point_id, p.unit_id) for p in rows[:: max(1, len(rows) // CLIENTS)]]
        chosen = chosen[:CLIENTS]
        taken = {p for p, _u in chosen}
        spare = next(p for p in rows if p.point_id not in taken)  # the events between reads
        for name, body, role in [("统筹", "eic", "coordinator")] + [
            (f"填报员{n:02d}", unit, "unit") for n, (_p, unit) in enumerate(chosen)
        ]:
            _, token = accounts.add(name, body, role)
            accounts.set_password(token, PASSWORD, PASSWORD)
    return chosen, (spare.point_id, spare.unit_id)


def serve(programme: str, db: str, documents: str, port: int) -> None:
    """The child process: the desk on the store, as ``docflow web`` builds it."""
    import gc

    from engine.app import Programme
    from engine.web import Desk, create_app, run

    gc.set_threshold(50_000, 20, 100)  # as ``docflow``'s entry point sets it

    gd = Programme.open(programme, db=db, documents=documents, clock=_clock())
    assert gd.store is not None
    work = Path(tempfile.mkdtemp(prefix="bench-desk-"))
    desk = Desk({gd.id: gd.definition}, gd.store, gd.clock, work_dir=work)
    app = create_app(desk, desk.accounts.session_secret())
    desk.warm()  # as ``docflow web`` does before it serves
    run(app, "127.0.0.1", port)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, programme: Path, db: str, documents: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        import httpx2 as httpx

        args = [__file__, "--serve", str(programme), db, str(documents), str(self.port)]
        self.proc = subprocess.Popen([sys.executable, *args])

        for _ in range(600):
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise SystemExit("bench: the desk did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _csrf(page: str) -> str:
    import re

    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if found is None:
        raise SystemExit("bench: no CSRF token on the page")
    return found.group(1)


def signed_in(base: str, name: str) -> Any:
    import httpx2 as httpx

    client = httpx.Client(base_url=base, timeout=120)
    token = _csrf(client.get("/login").text)
    done = client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token})
    if done.status_code != 303 or "/login" in done.headers.get("location", "/login"):
        raise SystemExit(f"bench: {name} could not sign in ({done.status_code})")
    return client


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def pages(server: Server, pid: str, unit: str, rounds: int) -> bool:
    office = signed_in(server.base, "统筹")
    who = signed_in(server.base, "填报员00")
    bare = signed_in(server.base, "填报员00")
    urls = {
        "bare /healthz": (bare, "/healthz"),
        "unit's page": (who, f"/p/{pid}/units/{unit}"),
        "office's dashboard": (office, f"/p/{pid}/office"),
    }
    cold: dict[str, float] = {}
    for name, (client, url) in urls.items():
        t0 = time.perf_counter()
        response = client.get(url)
        cold[name] = time.perf_counter() - t0
        if response.status_code != 200:
            raise SystemExit(f"bench: {url} answered {response.status_code}")
    times: dict[str, list[float]] = {name: [] for name in urls}
    sizes: dict[str, int] = {}
    for _ in range(rounds):
        for name, (client, url) in urls.items():
            t0 = time.perf_counter()
            response = client.get(url)
            times[name].append(time.perf_counter() - t0)
            sizes[name] = len(response.content)
    base = _p99(times["bare /healthz"])
    ok = True
    for name, values in times.items():
        ordered = sorted(values)
        p50, p99 = ordered[len(ordered) // 2], _p99(values)
        line = (
            f"  {name:20s} p50 {p50 * 1000:7.2f} ms  p99 {p99 * 1000:7.2f} ms  "
            f"cold {cold[name] * 1000:8.1f} ms  {sizes[name] / 1024:6.1f} KiB"
        )
        if name != "bare /healthz":
            ratio = p99 / base
            ok = ok and ratio < RATIO
            line += f"  p99 ratio {ratio:4.2f}"
        print(line)
    for client, _url in urls.values():
        client.close()
    return ok


def after_events(server: Server, pid: str, spare: tuple[str, str], rounds: int) -> None:
    """The coordinator records an event (a paper work plan for ``spare``, then its return,
    and again); the item's unit page and the dashboard are read right after each."""
    office = signed_in(server.base, "统筹")
    bare = signed_in(server.base, "填报员00")
    point, unit = spare
    urls = {"unit's page": f"/p/{pid}/units/{unit}", "office's dashboard": f"/p/{pid}/office"}
    times: dict[str, list[float]] = {"bare /healthz": [], **{name: [] for name in urls}}
    form = _csrf(office.get(f"/p/{pid}/units/{unit}").text)  # the session's token
    for n in range(rounds):
        if n % 2 == 0:
            done = office.post(
                f"/p/{pid}/points/{point}/submit",
                data={"csrf_token": form, "task": "work-plan"},
                files={"file": (f"{point}-工作方案-{n}.txt", f"第{n}稿\n".encode() * 100)},
                follow_redirects=False,
            )
        else:
            done = office.post(
                f"/p/{pid}/decide",
                data={
                    "csrf_token": form,
                    "task": "work-plan",
                    "outcome": "return",
                    "reason": f"第{n}次退回：请补充负责人",
                    "point": point,
                },
                follow_redirects=False,
            )
        if done.status_code != 303:
            raise SystemExit(f"bench: the event of round {n} answered {done.status_code}")
        for name, url in urls.items():
            t0 = time.perf_counter()
            response = office.get(url)
            times[name].append(time.perf_counter() - t0)
            if response.status_code != 200:
                raise SystemExit(f"bench: {url} answered {response.status_code}")
        t0 = time.perf_counter()
        bare.get("/healthz")
        times["bare /healthz"].append(time.perf_counter() - t0)
    base = _p99(times["bare /healthz"])
    for name, values in times.items():
        ordered = sorted(values)
        line = (
            f"  after an event: {name:20s} p50 {ordered[len(ordered) // 2] * 1000:8.2f} ms  "
            f"p99 {_p99(values) * 1000:8.2f} ms"
        )
        if name != "bare /healthz":
            line += f"  p99 ratio {_p99(values) / base:6.1f}"
        print(line)
    office.close()
    bare.close()


def submissions(
    server: Server, pid: str, chosen: list[tuple[str, str]], db: str, programme: Path
) -> bool:
    """50 clients submit at once; count the trail's work-plan events afterwards."""
    clients = [signed_in(server.base, f"填报员{n:02d}") for n in range(len(chosen))]
    forms = [
        _csrf(c.get(f"/p/{pid}/units/{unit}").text)
        for c, (_p, unit) in zip(clients, chosen, strict=False)
    ]
    barrier = threading.Barrier(len(chosen))
    answers: list[int] = [0] * len(chosen)
    taken: list[float] = [0.0] * len(chosen)

    def one(n: int) -> None:
        point = chosen[n][0]
        body = f"关于{point}的工作方案\n".encode() * 200
        barrier.wait()
        t0 = time.perf_counter()
        response = clients[n].post(
            f"/p/{pid}/points/{point}/submit",
            data={"csrf_token": forms[n], "task": "work-plan"},
            files={"file": (f"{point}-工作方案.txt", body)},
            follow_redirects=False,
        )
        taken[n] = time.perf_counter() - t0
        answers[n] = (
            response.status_code
            if "/receipts/" in response.headers.get("location", "")
            else -response.status_code
        )

    threads = [threading.Thread(target=one, args=(n,)) for n in range(len(chosen))]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    for c in clients:
        c.close()
    counted = _work_plans(db, pid, programme)
    wanted = {p for p, _u in chosen}
    lost = sum(1 for p in wanted if counted[p] == 0)
    duplicated = sum(n - 1 for p, n in counted.items() if n > 1)
    stray = sum(n for p, n in counted.items() if p not in wanted)
    receipts = sum(1 for a in answers if a == 303)
    print(
        f"  {len(chosen)} clients at once: {receipts} receipts in {wall:.2f} s "
        f"(slowest {max(taken):.2f} s); trail: {sum(counted.values())} work-plan events, "
        f"{lost} lost, {duplicated} duplicated, {stray} for other items"
    )
    if receipts != len(chosen):
        print(f"  answers: {Counter(answers)}")
    return receipts == len(chosen) and lost == 0 and duplicated == 0 and stray == 0


def _work_plans(db: str, pid: str, programme: Path) -> Counter[str]:
    """Work-plan submissions in the trail, by item."""
    from engine.definition.loader import load_definition
    from engine.runtime.store import open_store

    index = load_definition(programme).index
    triggers = {t.trigger for t in index.transitions.values() if t.task == "work-plan"}

    with tempfile.TemporaryDirectory() as docs:
        store = open_store(db, Path(docs))
        try:
            with store.transaction(readonly=True) as tx:
                events = [e for t in triggers for e in tx.events_for(pid, t)]
        finally:
            store.close()
    return Counter(e.point_id for e in events if e.point_id)


def run(
    folder: Path, count: int, db: str | None, rounds: int, label: str, events: int = 40
) -> list[str]:
    folder.mkdir(parents=True)
    programme = GD_2011 if count == 52 else synthetic_programme(folder / "programme")
    db = db or str(folder / "docflow.db")
    documents = folder / "documents"
    t0 = time.perf_counter()
    chosen, spare = prepare(programme, db, documents, count)
    print(f"{label}: {count:,} items prepared in {time.perf_counter() - t0:.1f} s")
    flush()
    from engine.definition.loader import load_definition

    pid = load_definition(programme).id
    server = Server(programme, db, documents)
    results = []
    try:
        units = Counter(u for _p, u in chosen)
        if rounds:
            ok = pages(server, pid, chosen[0][1], rounds)
            results.append(verdict(ok, f"{label}, {count:,} items: pages' p99 < {RATIO:g}x bare"))
            del units
        ok = submissions(server, pid, chosen, db, programme)
        results.append(verdict(ok, f"{label}, {count:,} items: 50 submissions, 0 lost / 0 dup"))
        if rounds:  # after the count of the submissions: these are events too
            after_events(server, pid, spare, events)
    finally:
        server.stop()
    flush()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 items instead of 100,000")
    parser.add_argument("--rounds", type=int, default=300, help="requests per page (300)")
    parser.add_argument(
        "--postgres", help="a PostgreSQL server URL (default: DOCFLOW_TEST_POSTGRES)"
    )
    parser.add_argument("--serve", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(*args.serve[:3], int(args.serve[3]))
        return 0
    print(machine_line())
    large = 10_000 if args.quick else 100_000
    results: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-desk-") as tmp:
        for count in (52, large):
            results += run(Path(tmp) / f"sqlite-{count}", count, None, args.rounds, "SQLite")
        postgres = args.postgres or os.environ.get("DOCFLOW_TEST_POSTGRES")
        if postgres:
            for count in (52, large):
                with _postgres_database(postgres) as url:
                    results += run(Path(tmp) / f"pg-{count}", count, url, args.rounds, "PostgreSQL")
        else:
            print("PostgreSQL: skipped (give --postgres URL or set DOCFLOW_TEST_POSTGRES)")
    print("\n".join(results))
    return 0 if all(r.startswith("PASS") for r in results) else 1


def _postgres_database(server_url: str) -> Any:
    """A new database on ``server_url`` for the run, dropped afterwards."""
    import uuid
    from contextlib import contextmanager

    import sqlalchemy as sa

    @contextmanager
    def made() -> Any:
        server = sa.make_url(server_url)
        name = f"docflow_bench_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            try:
                yield server.set(database=name).render_as_string(hide_password=False)
            finally:
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            admin.dispose()

    return made()


if __name__ == "__main__":
    sys.exit(main())
