"""The function APScheduler calls, by text reference ``engine.delivery.jobs:run_reminders``.

A job receives plain data (the job store pickles it) and rebuilds what it needs: the
definition, the store, the clock, the mail queue. It then runs the same reminder code as
``docflow remind`` and ``docflow simulate``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from engine.clock import Clock, local_minute
from engine.delivery.dispatch import ReminderRunner
from engine.delivery.mail import MailQueue, OutboxTransport, SmtpTransport, Transport
from engine.errors import MailError
from engine.runtime.store import Store

__all__ = ["Service", "make_queue", "open_service", "run_reminders"]

log = logging.getLogger(__name__)


@dataclass
class Service:
    runner: ReminderRunner
    store: Store
    clock: Clock
    queue: MailQueue


def make_queue(outbox: str | Path, smtp: Mapping[str, Any] | None, clock: Clock) -> MailQueue:
    """The mail queue: straight into the outbox folder, or queued there for an SMTP server."""
    transport: Transport
    if smtp and smtp.get("host"):
        security = str(smtp.get("security") or "none")
        if security not in ("none", "starttls", "ssl"):
            raise MailError(f"SMTP 加密方式 {security} 无效，可用：none、starttls、ssl")
        port = smtp.get("port") or {"ssl": 465, "starttls": 587}.get(security, 25)
        user = smtp.get("user")
        transport = SmtpTransport(
            str(smtp["host"]),
            int(port),
            cast(Literal["none", "starttls", "ssl"], security),
            str(user) if user else None,
        )
    else:
        transport = OutboxTransport(Path(outbox))
    return MailQueue(Path(outbox), transport, clock)


@contextmanager
def open_service(config: Mapping[str, Any]) -> Iterator[Service]:
    from engine.definition.loader import load_definition
    from engine.delivery.scheduler import make_clock
    from engine.runtime.service import Runtime
    from engine.runtime.store import open_store

    definition = load_definition(config["programme"])
    clock = make_clock(config.get("clock"))
    store = open_store(config["db"], config.get("documents"), create=False)
    try:
        runtime = Runtime(definition, store, clock)
        runtime.require_registered()
        runtime.check_pinned()
        queue = make_queue(config.get("outbox") or "outbox", config.get("smtp"), clock)
        try:
            yield Service(ReminderRunner(definition, store, clock, queue), store, clock, queue)
        finally:
            queue.transport.close()
    finally:
        store.close()


def run_reminders(config: Mapping[str, Any], service: Service | None = None) -> str:
    """Send what is due now (and retry queued mail); return a one-line summary."""
    if service is None:
        with open_service(config) as fresh:
            return run_reminders(config, fresh)
    now = service.clock.now()
    result = service.runner.run(now)  # flushes the queue too
    summary = f"{local_minute(now)} 提醒：发出 {len(result.sent)} 封，跳过 {len(result.skipped)} 项"
    if service.queue is not None and not service.queue.direct:
        summary += f"；SMTP 投递 {result.delivered} 封，队列中待重试 {result.pending} 封"
    for problem in result.problems:
        log.warning("%s", problem)
    log.info("%s", summary)
    return summary
