"""``docflow serve`` as a real process: start it, wait for its output, kill or stop it.

Its output goes to files (a pipe could fill up and block). Shared by the serve tests.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest


class Service:
    """One ``docflow serve`` process, its output in files (a pipe could fill up and block)."""

    def __init__(self, args: Sequence[str], folder: Path, name: str) -> None:
        self.stdout = folder / f"{name}.out"
        self.stderr = folder / f"{name}.err"
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCFLOW_")}
        env.pop("COVERAGE_PROCESS_START", None)
        with self.stdout.open("wb") as out, self.stderr.open("wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "engine", "serve", *args],
                stdout=out,
                stderr=err,
                cwd=folder,
                env=env,
            )

    def output(self) -> str:
        return self.stdout.read_text(encoding="utf-8")

    def log(self) -> str:
        return self.stderr.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float = 15) -> None:
        wait_for(lambda: "已登记" in self.output(), timeout, self)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self, timeout: float = 15) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)

    def describe(self) -> str:
        log = self.stderr.read_text(encoding="utf-8", errors="replace")
        return f"stdout:\n{self.output()}\nstderr (tail):\n{log[-3000:]}"


def wait_for(condition: Callable[[], bool], timeout: float, service: Service) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if service.proc.poll() is not None:
            pytest.fail(
                f"docflow serve exited with {service.proc.returncode}\n{service.describe()}"
            )
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s\n{service.describe()}")
        time.sleep(0.02)


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Callable[..., Service]]:
    started: list[Service] = []

    def start(args: Sequence[str], name: str) -> Service:
        service = Service(args, tmp_path, name)
        started.append(service)
        return service

    yield start
    for service in started:
        service.close()


def serve_args(
    desk: Any, *, real_start: datetime, virtual_start: str, speed: float, sweep: float
) -> list[str]:
    """The command line of a rehearsal on ``desk`` (a ``Desk``, or anything with a
    programme, a store location ``db``, an outbox and, if not beside the store, documents)."""
    documents = getattr(desk, "documents", None)
    return [
        str(desk.programme),
        "--db",
        str(desk.url if hasattr(desk, "url") else desk.db),
        *(["--documents", str(documents)] if documents else []),
        "--outbox",
        str(desk.outbox),
        "--speed",
        str(speed),
        "--virtual-start",
        virtual_start,
        "--real-start",
        real_start.isoformat(),
        "--sweep-seconds",
        str(sweep),
    ]
