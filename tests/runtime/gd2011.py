"""Helpers for the tests that run the 2011 programme (workflows/gd-2011) through the engine.

``Year`` wraps one store in ``tmp_path`` with the real definition and a clock the test moves
by hand; ``snapshot`` reads every row of every table behind the engine's back, so a test can
show that a refused command left the store exactly as it was; ``run_cli`` calls the
``docflow`` command in-process and ``docflow_process`` starts it as a real process.

``BACKENDS`` parametrizes a test over the two stores docflow supports: a SQLite file, and a
fresh database on the PostgreSQL server named by ``DOCFLOW_TEST_POSTGRES`` (a URL of a
database to connect to for creating others; ``scripts/test.sh`` starts Debian's cluster and
sets it). ``Year(folder, db=url)`` runs on such a database.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from engine.app import Programme
from engine.clock import FixedClock, aware
from engine.definition.loader import Definition
from engine.definition.loader import load_definition as _REAL_LOAD
from engine.runtime.pointsfile import read_points_file
from engine.runtime.service import Runtime
from engine.runtime.store import EventRow, Store, open_store

ROOT = Path(__file__).resolve().parents[2]
PROGRAMME_DIR = ROOT / "workflows" / "gd-2011"
EXAMPLE_POINTS = PROGRAMME_DIR / "points-example.yaml"
PROGRAMME_ID = "gd-2011"
POINT_COUNT = 52

POSTGRES = os.environ.get("DOCFLOW_TEST_POSTGRES")
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(
            not POSTGRES,
            reason="DOCFLOW_TEST_POSTGRES is not set (scripts/test.sh starts PostgreSQL and sets it)",
        ),
    ),
]


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty database on the test server, as a URL; dropped afterwards."""
    import uuid

    import sqlalchemy as sa

    assert POSTGRES, "DOCFLOW_TEST_POSTGRES is not set"
    server = sa.make_url(POSTGRES)
    name = f"docflow_test_{uuid.uuid4().hex[:16]}"
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


@contextmanager
def database(backend: str, folder: Path) -> Iterator[str]:
    """Where a test's store lives: a SQLite file in ``folder``, or a new PostgreSQL database."""
    if backend == "postgresql":
        with postgres_database() as url:
            yield url
    else:
        folder.mkdir(parents=True, exist_ok=True)
        yield str(folder / "docflow.db")


def table_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of a store (SQLite path or URL), sorted: for before/after."""
    import sqlalchemy as sa

    engine = sa.create_engine(url if "://" in url else f"sqlite:///{url}")
    try:
        meta = sa.MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            return {
                name: sorted((tuple(row) for row in conn.execute(table.select())), key=repr)
                for name, table in sorted(meta.tables.items())
            }
    finally:
        engine.dispose()


def run_sql(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """SQL (``?`` placeholders) on a store behind docflow's back, SQLite path or URL."""
    if "://" not in url:
        return raw_sql(Path(url), sql, *params)
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.exec_driver_sql(sql.replace("?", "%s"), params)
            return [tuple(r) for r in result] if result.returns_rows else []
    finally:
        engine.dispose()


# Bodies the tests name often: the EIC screens, decides on documents and aggregates; the
# general office sends the inspection notice and calls the meeting; the government approves.
EIC = "eic"
GENERAL_OFFICE = "general-office"
GOVERNMENT = "provincial-government"


def moment(text: str) -> datetime:
    """An ISO 8601 time; naive times are Beijing time, as on the command line."""
    return aware(datetime.fromisoformat(text))


def example_ids() -> list[str]:
    """The point ids enrolment gives the example points: ``unit-n`` in file order."""
    seen: dict[str, int] = {}
    ids = []
    for p in read_points_file(EXAMPLE_POINTS):
        seen[p.unit] = seen.get(p.unit, 0) + 1
        ids.append(f"{p.unit}-{seen[p.unit]}")
    return ids


def snapshot(db: Path) -> list[str]:
    """Every row of every table (and the schema), as SQL text, read with plain sqlite3."""
    with closing(sqlite3.connect(db)) as conn:
        return list(conn.iterdump())


def raw_sql(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Run SQL on the store behind docflow's back (as a tamperer would)."""
    with closing(sqlite3.connect(db)) as conn, conn:
        return conn.execute(sql, params).fetchall()


class Year:
    """One store running the 2011 programme, with a clock set by hand."""

    def __init__(
        self, folder: Path, programme: Path = PROGRAMME_DIR, db: str | None = None
    ) -> None:
        self.folder = folder
        self.db = folder / "docflow.db"
        self.url = db or str(self.db)  # the store: this SQLite file, or a database URL
        self.documents = folder / "documents"
        self.inbox = folder / "inbox"
        self.inbox.mkdir(parents=True, exist_ok=True)
        self.programme = programme
        self.definition: Definition = load_cached(programme)
        self.clock = FixedClock(moment("2011-03-01T09:00"))
        self.store: Store = open_store(self.url, self.documents)
        self.runtime = Runtime(self.definition, self.store, self.clock)
        self._files = 0

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Year:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @classmethod
    def copy_of(cls, template: Year, folder: Path) -> Year:
        """A new store in ``folder`` holding what ``template`` holds (closed before copying)."""
        template.close()
        shutil.copytree(template.folder, folder, dirs_exist_ok=True)
        copy = cls(folder, template.programme)
        copy.clock.moment = template.clock.moment
        copy._files = template._files
        return copy

    def reopen(self) -> None:
        """A fresh definition, store and runtime (as the next command would have)."""
        self.store.close()
        self.definition = load_cached(self.programme)
        self.store = open_store(self.url, self.documents)
        self.runtime = Runtime(self.definition, self.store, self.clock)

    def at(self, text: str) -> Year:
        self.clock.moment = moment(text)
        return self

    @property
    def app(self) -> Programme:
        """The same definition, store and clock through the application layer."""
        return Programme(self.definition, self.store, self.clock)

    def file(self, text: str | None = None, name: str | None = None) -> Path:
        """A new document in the inbox; distinct content unless ``text`` is given."""
        self._files += 1
        path = self.inbox / (name or f"doc-{self._files}.txt")
        path.write_text(text if text is not None else f"文件第 {self._files} 号", encoding="utf-8")
        return path

    # -- commands ------------------------------------------------------------------------

    def enrol_example(self) -> None:
        self.runtime.enrol(read_points_file(EXAMPLE_POINTS))

    def approved_spring(self) -> Year:
        """The call for points (03-02), the example points enrolled (03-15), all screened in
        (04-06) and approved (04-20): the spring every later step starts from."""
        self.at("2011-03-02T09:00").submit(EIC, "call-for-points")
        self.at("2011-03-15T10:00").enrol_example()
        self.at("2011-04-06T10:00").decide("screen", self.points_in("proposed"), reason="符合条件")
        self.at("2011-04-20T10:00").decide("approve", self.points_in("screened"), reason="同意")
        return self

    def submit(
        self, unit: str, task: str, points: Sequence[str] = (), file: Path | None = None
    ) -> list[EventRow]:
        return self.runtime.submit(unit, task, file or self.file(), points)

    def decide(
        self,
        task: str,
        points: Sequence[str],
        outcome: str = "accept",
        reason: str = "经研究同意",
        actor: str | None = None,
        until: date | None = None,
    ) -> list[EventRow]:
        return self.runtime.decide(task, points, outcome, reason, actor, until)

    # -- reading -------------------------------------------------------------------------

    def states(self) -> dict[str, str]:
        with self.store.transaction(readonly=True) as tx:
            return {p.point_id: p.state for p in tx.points(PROGRAMME_ID)}

    def state(self, point: str) -> str:
        return self.states()[point]

    def events(self, point: str | None = None) -> list[EventRow]:
        with self.store.transaction(readonly=True) as tx:
            return tx.events(PROGRAMME_ID, point)

    def events_of(self, trigger: str) -> list[EventRow]:
        """The programme's events with one trigger, in order."""
        with self.store.transaction(readonly=True) as tx:
            return tx.events_for(PROGRAMME_ID, trigger)

    def snapshot(self) -> list[str]:
        return snapshot(self.db)

    def env(self, **more: str) -> dict[str, str]:
        """What a ``docflow`` command needs to run on this store."""
        return {"DOCFLOW_DB": self.url, "DOCFLOW_DOCUMENTS": str(self.documents), **more}

    def units_in(self, *states: str) -> list[str]:
        """Units with at least one point in one of ``states``, in enrolment order."""
        found = self.states()
        with self.store.transaction(readonly=True) as tx:
            points = tx.points(PROGRAMME_ID)
        return list(dict.fromkeys(p.unit_id for p in points if found[p.point_id] in states))

    def points_in(self, *states: str) -> list[str]:
        return [p for p, s in self.states().items() if s in states]


# -- the command line ---------------------------------------------------------------------


_DEFINITIONS: dict[tuple[str, tuple[tuple[str, bytes], ...]], Definition] = {}


def load_cached(path: str | Path, **options: Any) -> Definition:
    """``load_definition``, reusing an earlier result while the folder's files are unchanged.

    The key is the path and the bytes of every file in the programme's folder, so an edited
    definition is loaded afresh, exactly as a new process would load it.
    """
    given = Path(path)
    folder = given if given.is_dir() else given.parent
    if options or not folder.is_dir():  # extra checks (validate's templates): not cached
        return _REAL_LOAD(path, **options)
    files = tuple((f.name, f.read_bytes()) for f in sorted(folder.iterdir()) if f.is_file())
    key = (str(given.resolve()), files)
    if key not in _DEFINITIONS:
        _DEFINITIONS[key] = _REAL_LOAD(path)
    return _DEFINITIONS[key]


@contextmanager
def definitions_cached() -> Iterator[None]:
    """Let in-process ``docflow`` commands reuse parsed definitions (see ``load_cached``):
    parsing the YAML is most of what a short command costs."""
    from engine.definition import loader

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loader, "load_definition", load_cached)
        yield


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None = None


def run_cli(args: Sequence[str], env: Mapping[str, str]) -> CliResult:
    """``docflow ARGS`` in this process, with ``env`` (DOCFLOW_DB, DOCFLOW_NOW ...) set.

    Definitions are parsed once per content (``load_cached``), as the test's own ``Year``
    does; everything else runs as in a fresh process.
    """
    from engine.cli import cli

    with definitions_cached():
        result = CliRunner().invoke(cli, list(args), env=dict(env), catch_exceptions=True)
    exception = result.exception
    if isinstance(exception, SystemExit):
        exception = None
    return CliResult(result.exit_code, result.stdout, result.stderr, exception)


def docflow_process(
    args: Sequence[str], env: Mapping[str, str], **popen: Any
) -> subprocess.Popen[str]:
    """``docflow ARGS`` as a separate process (same interpreter as the tests)."""
    full_env = {**os.environ, **env}
    full_env.pop("COVERAGE_PROCESS_START", None)
    return subprocess.Popen(
        [sys.executable, "-m", "engine", *args],
        env=full_env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def run_process(args: Sequence[str], env: Mapping[str, str], timeout: float = 60) -> CliResult:
    with docflow_process(args, env) as proc:
        out, err = proc.communicate(timeout=timeout)
    return CliResult(proc.returncode, out, err)
