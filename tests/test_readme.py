"""The README's shell examples run exactly as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def shell_block_after(heading: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"```sh\n(.*?)```", text.split(heading, 1)[1], re.S)
    assert found is not None, f"no shell block after {heading!r}"
    return found.group(1)


def test_the_typical_cycle_runs_as_written_in_an_empty_folder(tmp_path: Path) -> None:
    script = shell_block_after("A typical cycle with the 2011 programme")
    # The block's own first lines find the checkout and its .venv; only the temporary folder
    # and the docflow on PATH are this test's (the interpreter running the tests).
    env = {
        **os.environ,
        "TMPDIR": str(tmp_path),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    env.pop("DOCFLOW_DB", None)
    env.pop("DOCFLOW_NOW", None)
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script + "\necho FOLDER=$PWD\n"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    folder = Path(result.stdout.rsplit("FOLDER=", 1)[1].strip())
    assert folder.parent == tmp_path
    for made in ("docflow.db", "report/index.html", "汇总表.xlsx", "guangzhou.ics"):
        assert (folder / made).is_file(), made
    assert "留痕校验通过" in result.stdout
    assert "已报送「报送突破点工作方案」：突破点 guangzhou-1（广州市）" in result.stdout
    assert "Traceback" not in result.stderr
