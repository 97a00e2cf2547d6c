"""Whatever a programme file holds, reading and loading it returns or raises ``DefinitionError``.

Never another exception: an administrator's typo must become a message at a line and column,
not a traceback. The inputs are arbitrary text and minimal.yaml mutated in small ways.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.definition.loader import Definition, load_definition
from engine.definition.yamlio import read_yaml
from engine.errors import DefinitionError

VALID = Path(__file__).parent / "valid"
MINIMAL = (VALID / "minimal.yaml").read_text(encoding="utf-8")
LINES = MINIMAL.splitlines(keepends=True)

# Pieces that are likely to break a rule when they land in the wrong place.
TOKENS = [
    "",
    " ",
    "\n",
    "- ",
    ": ",
    ":",
    "#",
    "{",
    "}",
    "[",
    "]",
    ",",
    '"',
    "'",
    "*",
    "&a ",
    "*a",
    "<<: ",
    "!!python/object:os.system ",
    "!!binary ",
    "!foo ",
    "? ",
    "|\n",
    ">-\n",
    "~",
    "null",
    "true",
    "no",
    "on",
    "0",
    "-1",
    "2011",
    "1e400",
    "0x1F",
    "2011-02-30",
    "2011-04-26",
    "2011-04-26 10:00:00",
    "12:30",
    ".nan",
    "\t",
    "\x00",
    "\ufeff",
    "office",
    "city-a",
    "cities",
    "proposed",
    "concluded",
    "phase-1",
    "notice",
    "standard",
    "report",
    "proposals",
    "inspector",
    "owner",
    "*",
    "年中",
    "国庆节后",
    "2月29日",
    "13月",
    "元旦前",
    "春节后",
    "第一阶段",
    "../valid/source.txt",
    "/dev/null",
    "source.txt\x00",
]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """minimal.yaml with one to three small edits: a line dropped, doubled or moved, a token
    inserted or replacing a span, the indentation of a line changed."""
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["drop", "double", "move", "insert", "replace", "indent"]))
        if kind == "drop" and len(lines) > 1:
            del lines[i]
        elif kind == "double":
            lines.insert(i, lines[i])
        elif kind == "move":
            j = draw(st.integers(0, len(lines) - 1))
            lines.insert(j, lines.pop(i))
        elif kind == "indent":
            lines[i] = draw(st.sampled_from(["", " ", "  ", "    ", "\t"])) + lines[i].lstrip(" ")
        else:
            line = lines[i]
            a = draw(st.integers(0, len(line)))
            b = a if kind == "insert" else draw(st.integers(a, len(line)))
            token = draw(st.sampled_from(TOKENS) | st.text(max_size=6))
            lines[i] = line[:a] + token + line[b:]
    return "".join(lines)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("properties")
    shutil.copy(VALID / "source.txt", path / "source.txt")
    return path


def load_text(folder: Path, data: str | bytes) -> Definition | None:
    file = folder / "programme.yaml"
    if isinstance(data, str):
        file.write_text(data, encoding="utf-8")
    else:
        file.write_bytes(data)
    lines = file.read_bytes().count(b"\n") + 1
    try:
        return load_definition(file)
    except DefinitionError as exc:
        diagnostics = exc.diagnostics
    assert any(d.severity == "error" for d in diagnostics)
    for d in diagnostics:
        assert d.file == str(file)
        assert 1 <= d.line <= lines + 1, d
        assert d.column >= 1, d
        assert d.message
    return None


def read_or_report(text: str) -> None:
    """``read_yaml`` returns, or raises ``DefinitionError`` with at least one diagnostic."""
    try:
        read_yaml(text, "t.yaml")
    except DefinitionError as exc:
        diagnostics = exc.diagnostics
    else:
        return
    assert diagnostics
    lines = text.count("\n") + 1
    assert all(1 <= d.line <= lines + 1 for d in diagnostics), diagnostics


QUICK = settings(max_examples=300, deadline=None)


@QUICK
@given(st.text(max_size=300))
def test_read_yaml_on_arbitrary_text_returns_or_raises_definition_error(text: str) -> None:
    read_or_report(text)


@QUICK
@given(
    st.lists(
        st.sampled_from(TOKENS) | st.text(alphabet="abc-:[]{}&*!<>|? \n\"'#,", max_size=4),
        max_size=40,
    )
)
def test_read_yaml_on_yaml_like_text_returns_or_raises_definition_error(
    pieces: list[str],
) -> None:
    read_or_report("".join(pieces))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_load_on_arbitrary_text_returns_or_raises_definition_error(folder: Path, text: str) -> None:
    load_text(folder, text)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_load_on_arbitrary_bytes_returns_or_raises_definition_error(
    folder: Path, data: bytes
) -> None:
    load_text(folder, data)


@settings(max_examples=600, deadline=None)
@given(mutated())
def test_load_on_mutated_minimal_returns_or_raises_definition_error(
    folder: Path, text: str
) -> None:
    load_text(folder, text)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, len(MINIMAL.encode("utf-8"))), st.binary(min_size=1, max_size=4))
def test_load_on_minimal_with_foreign_bytes_returns_or_raises_definition_error(
    folder: Path, at: int, junk: bytes
) -> None:
    raw = MINIMAL.encode("utf-8")
    load_text(folder, raw[:at] + junk + raw[at:])


def test_the_unmutated_minimal_loads(folder: Path) -> None:
    assert load_text(folder, MINIMAL) is not None
