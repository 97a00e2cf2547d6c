"""The uninterrupted reference for the serve tests: ``docflow remind`` at each send time.

A fresh store with the same points runs the reminder code at every send time up to a
moment, on a fixed clock set to that time, as an operator running ``docflow remind`` at
each of them would. What it writes is what a service must have sent, once each.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from engine.app import MailSettings, open_queue
from engine.clock import FixedClock

from .year2011 import Desk, read_outbox


def reference(folder: Path, until: datetime) -> list[tuple[str, str, str]]:
    """(rule, recipient, due day) of every message sent by ``remind`` at each send time up
    to ``until``, for the standard desk (52 points, five approved, foshan's plan in)."""
    with Desk(folder) as desk:
        desk.standard()
        with desk.store.transaction(readonly=True) as tx:
            times = sorted({o.send_at for o in desk.runner().schedule(tx) if o.send_at <= until})
        for moment in times:
            clock = FixedClock(moment)
            queue = open_queue(MailSettings(str(desk.outbox)), clock)
            desk.runner(queue, clock).run(moment)
        return sorted(m.key for m in read_outbox(desk.outbox))
