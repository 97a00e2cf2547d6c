"""Invalid programmes: each file in ``invalid/`` breaks one rule of a minimal valid programme.

Every file starts with comment lines; those of the form ``# expect: LINE:COLUMN: TEXT`` say
which diagnostics loading it must give (TEXT is a substring of the message). A file may carry
several when one broken rule legitimately yields several errors. The test requires both ways:
every expected diagnostic is reported, and every error reported is expected - so a rule that
is broken once is reported at its own place, without a trail of follow-on errors.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import cli
from engine.definition.loader import load_definition
from engine.errors import DefinitionError, Diagnostic

HERE = Path(__file__).parent
INVALID = HERE / "invalid"
FILES = sorted(INVALID.glob("*.yaml"))
_EXPECT = re.compile(r"^# expect: (\d+):(\d+): (.+)$")


@dataclass(frozen=True)
class Expect:
    line: int
    column: int
    text: str

    def matches(self, d: Diagnostic) -> bool:
        return (d.line, d.column) == (self.line, self.column) and self.text in d.message


def expectations(path: Path) -> list[Expect]:
    """The ``# expect:`` lines of the leading comment block (read line by line as UTF-8, so a
    file whose body is in another encoding still has a readable header)."""
    found: list[Expect] = []
    for raw in path.read_bytes().splitlines():
        if not raw.startswith(b"#"):
            break
        match = _EXPECT.match(raw.decode("utf-8").rstrip())
        if match:
            found.append(Expect(int(match[1]), int(match[2]), match[3]))
    return found


def load_errors(path: Path) -> list[Diagnostic]:
    with pytest.raises(DefinitionError) as info:
        load_definition(path)
    return info.value.diagnostics


def test_there_are_enough_invalid_programmes() -> None:
    assert len(FILES) >= 35


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_file_says_what_it_expects(path: Path) -> None:
    assert expectations(path), f"{path.name} has no '# expect: LINE:COLUMN: TEXT' line"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_loading_reports_exactly_the_expected_errors(path: Path) -> None:
    expected = expectations(path)
    diagnostics = load_errors(path)
    shown = "\n".join(str(d) for d in diagnostics)
    for e in expected:
        assert any(e.matches(d) for d in diagnostics), f"missing {e}\n{shown}"
    errors = [d for d in diagnostics if d.severity == "error"]
    assert errors
    unexpected = [d for d in errors if not any(e.matches(d) for e in expected)]
    assert not unexpected, "unexpected errors:\n" + "\n".join(map(str, unexpected))
    # The exception's own text carries every diagnostic as file:line:column.
    assert all(d.file == str(path) for d in diagnostics)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_validate_command_reports_file_line_column(path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == DefinitionError.exit_code, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    for e in expectations(path):
        assert f"{path}:{e.line}:{e.column}:" in result.output, result.output
    assert "错误" in result.output


@pytest.mark.parametrize(
    "name", ["yaml-python-tag", "state-undefined-source", "file-not-utf8", "yaml-alias-bomb"]
)
def test_validate_in_a_real_process(name: str) -> None:
    path = INVALID / f"{name}.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "engine", "validate", str(path)],
        capture_output=True,
        timeout=120,
        check=False,
    )
    err = done.stderr.decode("utf-8")
    assert done.returncode == DefinitionError.exit_code, err
    assert "Traceback" not in err
    assert done.stdout == b""
    first = expectations(path)[0]
    assert f"{path}:{first.line}:{first.column}: 错误: " in err


def test_python_tag_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = (INVALID / "yaml-python-tag.yaml").read_text(encoding="utf-8")
    file = tmp_path / "programme.yaml"
    file.write_text(text.replace("echo pwned", f"touch {marker}"), encoding="utf-8")
    load_errors(file)
    assert not marker.exists()
