"""Generated arguments and files never make a docflow command raise: every exit is one of the
documented statuses (0-6) with a message, never an uncaught exception (hypothesis, bounded so
the whole module runs in well under a minute)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.runtime.gd2011 import EXAMPLE_POINTS, PROGRAMME_DIR, CliResult, run_cli

P = str(PROGRAMME_DIR)
EXITS = {0, 1, 2, 3, 4, 5, 6}

# Text a user might type or paste: Chinese, ids, paths, times, controls, bidi and
# invisible characters, surrogates from undecodable arguments.
_ODD = st.sampled_from(
    ["\x1b", "\r", "\n", "\x00", "\u202e", "\u2066", "\u200b", "\ufeff", "\udcff", "/", "..", "%"]
)
TEXT = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["eic", "ndrc-1", "广州市", "screen", "work-plan", "../../x", "", " "]),
    st.builds(lambda a, b, c: a + b + c, st.text(max_size=5), _ODD, st.text(max_size=5)),
).filter(lambda s: "\x00" not in s)  # no process can receive a NUL in an argument
TIME = st.one_of(
    st.sampled_from(
        [
            "9999-12-31T23:59:59+00:00",
            "0001-01-01T00:00+14:00",
            "9999-12-31T23:59",
            "0001-01-01",
            "2011-05-09",
            "2011-05-09T16:30+08:00",
            "2010-12-31",
            "2062-01-01",
            "nan",
            "",
        ]
    ),
    st.datetimes().map(lambda d: d.isoformat()),
    TEXT,
)
FLAG = st.sampled_from(["--accept", "--reject", "--return"])
FILE_BYTES = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=100).map(lambda t: t.encode("utf-8", "surrogatepass")),
)
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with the example points enrolled; each example works on a copy of it."""
    folder = tmp_path_factory.mktemp("store")
    env = {"DOCFLOW_DB": str(folder / "docflow.db"), "DOCFLOW_NOW": "2011-03-15"}
    result = run_cli(["enrol", P, "--from", str(EXAMPLE_POINTS)], env)
    assert result.exit_code == 0, result.stderr
    return folder


class Desk:
    def __init__(self, store: Path, work: Path) -> None:
        if work.exists():
            shutil.rmtree(work)
        shutil.copytree(store, work)
        self.work = work
        self.env = {
            "DOCFLOW_DB": str(work / "docflow.db"),
            "DOCFLOW_DOCUMENTS": str(work / "documents"),
            "DOCFLOW_NOW": "2011-05-20T10:00",
        }

    def file(self, name: str, data: bytes) -> str:
        path = self.work / "inbox" / (name or "x")
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        return str(path)

    def run(self, *args: str) -> CliResult:
        return run_cli(list(args), self.env)


def clean(result: CliResult) -> None:
    """A documented exit status, with a message on every failure, and no traceback."""
    assert result.exception is None, repr(result.exception)
    assert result.exit_code in EXITS, result.exit_code
    assert "Traceback" not in result.stderr
    if result.exit_code != 0:
        assert result.stderr.strip(), "a failure without a message"


def desk(store: Path, tmp_path: Path) -> Desk:
    return Desk(store, tmp_path / "work")


@SETTINGS
@given(unit=TEXT, title=TEXT, point_id=st.none() | TEXT, at=st.none() | TIME)
def test_enrol_never_raises(
    store: Path, tmp_path: Path, unit: str, title: str, point_id: str | None, at: str | None
) -> None:
    args = ["enrol", P, "--unit", unit, "--title", title]
    args += ["--id", point_id] if point_id is not None else []
    args += ["--at", at] if at is not None else []
    clean(desk(store, tmp_path).run(*args))


@SETTINGS
@given(
    rows=st.lists(st.tuples(TEXT, TEXT, TEXT, TEXT), max_size=4),
    as_csv=st.booleans(),
    big=st.booleans(),
)
def test_enrol_from_a_generated_file_never_raises(
    store: Path, tmp_path: Path, rows: list[tuple[str, str, str, str]], as_csv: bool, big: bool
) -> None:
    d = desk(store, tmp_path)
    if as_csv:
        lines = ["unit,title,id,file"] + [",".join(r) for r in rows]
        if big:
            lines.append("eic," + "长" * 140_000 + ",,")
        text, name = "\n".join(lines), "points.csv"
    else:
        items = [
            "  - {unit: %r, title: %r, id: %r, file: %r}" % r  # noqa: UP031 - YAML flow map
            for r in rows
        ]
        text, name = "points:\n" + "\n".join(items), "points.yaml"
    path = d.file(name, text.encode("utf-8", "surrogatepass"))
    clean(d.run("enrol", P, "--from", path))


@SETTINGS
@given(
    unit=TEXT,
    task=TEXT,
    point=st.none() | TEXT,
    at=st.none() | TIME,
    data=FILE_BYTES,
    device=st.sampled_from([None, "/dev/zero", "/dev/null", "/", "missing.pdf"]),
    size=st.none() | st.sampled_from(["0", "nan", "inf", "1e308", "-3", "0.0001", "abc"]),
)
def test_submit_never_raises(
    store: Path,
    tmp_path: Path,
    unit: str,
    task: str,
    point: str | None,
    at: str | None,
    data: bytes,
    device: str | None,
    size: str | None,
) -> None:
    d = desk(store, tmp_path)
    file = device or d.file("文件.pdf", data)
    args = ["submit", P, "--unit", unit, "--task", task, "--file", file]
    args += ["--point", point] if point is not None else []
    args += ["--at", at] if at is not None else []
    args += ["--max-file-size", size] if size is not None else []
    clean(d.run(*args))


@SETTINGS
@given(
    task=st.sampled_from(["screen", "approve", "extension", "work-plan"]) | TEXT,
    points=st.lists(st.sampled_from(["ndrc-1", "eic-1"]) | TEXT, min_size=1, max_size=3),
    flags=st.lists(FLAG, max_size=3),
    reason=TEXT,
    by=st.none() | TEXT,
    until=st.none() | TIME,
    at=st.none() | TIME,
)
def test_decide_never_raises(
    store: Path,
    tmp_path: Path,
    task: str,
    points: list[str],
    flags: list[str],
    reason: str,
    by: str | None,
    until: str | None,
    at: str | None,
) -> None:
    args = ["decide", P, "--task", task, *[a for p in points for a in ("--point", p)]]
    args += [*flags, "--reason", reason]
    args += ["--by", by] if by is not None else []
    args += ["--until", until] if until is not None else []
    args += ["--at", at] if at is not None else []
    clean(desk(store, tmp_path).run(*args))


@SETTINGS
@given(
    command=st.sampled_from(["status", "log", "remind", "export"]),
    now=st.none() | TIME,
    name=st.none() | TEXT,
    db=st.none() | st.sampled_from(["missing.db", "/", "sqlite:///nowhere/x.db", "x://y"]),
)
def test_reading_commands_never_raise(
    store: Path, tmp_path: Path, command: str, now: str | None, name: str | None, db: str | None
) -> None:
    d = desk(store, tmp_path)
    if command == "status":
        args = ["status", P] + (["--unit", name] if name is not None else [])
        args += ["--now", now] if now is not None else []
    elif command == "log":
        args = ["log", P] + (["--point", name] if name is not None else [])
    elif command == "remind":
        args = ["remind", P, "--dry-run"] + (["--now", now] if now is not None else [])
    else:
        args = ["export", "summary", P, "--format", "csv"]
    if db is not None:
        args += ["--db", db if "/" in db else str(d.work / db)]
    clean(d.run(*args))
