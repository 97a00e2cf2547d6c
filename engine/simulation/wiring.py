"""The one place a simulated year's objects are built.

The programme is opened through the application layer (``engine.app.Programme``, what every
front end uses) on a fresh store and a virtual clock; its mail queue and its
``ReminderRunner`` (what ``remind`` and ``serve`` use) come from it. This is the only place
``engine.simulation`` builds them: the driver only uses the ``OpenProgramme`` this yields.
Mail goes through the outbox queue ``remind`` uses, into a staging folder beside the store.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from engine.app import MailSettings, Programme
from engine.clock import VirtualClock
from engine.definition.loader import Definition, load_definition
from engine.delivery.dispatch import ReminderRunner
from engine.runtime.store import Store, open_store
from engine.simulation.keeping import DOCUMENTS, STORE_FILE

__all__ = ["OpenProgramme", "Wiring", "work_dir_options"]


@dataclass(frozen=True)
class OpenProgramme:
    """A programme open on a store, with its clock, commands, reminders and mail."""

    definition: Definition
    store: Store
    clock: VirtualClock
    app: Programme  # the use cases: enrol, submit, decide ...
    runner: ReminderRunner  # writes through the programme's mail queue
    staging: Path  # where the queue writes the year's .eml files


class Wiring:
    """Loads the programme; ``open`` then builds everything its year runs on."""

    def __init__(self, programme: str | Path, desk_url: str | None = None) -> None:
        self.definition = load_definition(programme)
        self.desk_url = desk_url

    @contextmanager
    def open(self, *, work: Path) -> Iterator[OpenProgramme]:
        """The programme on a fresh SQLite store in ``work`` (kept, if at all, afterwards:
        ``engine.simulation.keeping``)."""
        definition = self.definition
        store = open_store(work / STORE_FILE, work / DOCUMENTS)
        try:
            year = definition.programme.programme.year
            clock = VirtualClock(datetime(year, 1, 1, tzinfo=definition.zone))
            staging = work / "outbox"
            app = Programme(
                definition, store, clock, MailSettings(str(staging), desk_url=self.desk_url)
            )
            queue = app.open_queue()
            try:
                runner = app.reminder_runner(queue)
                yield OpenProgramme(definition, store, clock, app, runner, staging)
            finally:
                queue.transport.close()
        finally:
            store.close()


def work_dir_options() -> dict[str, Any]:
    """Where the temporary store, documents and staged mail go: memory when there is some.

    Every stored document and every message is written with an fsync (the store and the
    outbox are built to survive a crash); a simulated year writes a few hundred of each,
    which on a disk costs seconds. ``/dev/shm`` (RAM) makes those free; ``$TMPDIR``, when
    set, is respected.
    """
    options: dict[str, Any] = {"prefix": "docflow-simulate-"}
    shm = Path("/dev/shm")
    if not os.environ.get("TMPDIR") and shm.is_dir() and os.access(shm, os.W_OK | os.X_OK):
        options["dir"] = str(shm)
    return options
