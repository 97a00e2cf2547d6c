"""The function APScheduler calls, by text reference ``engine.serve.jobs:run_reminders``.

A job receives plain data (the job store pickles it) and opens the programme through the
application layer - definition, store, clock, mail - then runs the same reminder code as
``docflow remind`` and ``docflow simulate``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from engine.app import MailSettings, Programme
from engine.clock import Clock, ScaledClock, SystemClock, local_minute
from engine.delivery.dispatch import ReminderRunner
from engine.delivery.mail import MailQueue

__all__ = ["Service", "clock_of", "mail_of", "open_service", "run_reminders"]

log = logging.getLogger(__name__)


@dataclass
class Service:
    programme: Programme
    runner: ReminderRunner
    clock: Clock
    queue: MailQueue


def clock_of(spec: Mapping[str, Any] | None) -> Clock:
    """The service's clock: real, or the compressed clock of a rehearsal."""
    return ScaledClock.from_spec(spec) if spec else SystemClock()


def mail_of(config: Mapping[str, Any]) -> MailSettings:
    smtp = config.get("smtp") or {}
    return MailSettings(
        outbox=str(config.get("outbox") or "outbox"),
        smtp_host=smtp.get("host"),
        smtp_port=smtp.get("port"),
        smtp_security=str(smtp.get("security") or "none"),
        smtp_user=smtp.get("user"),
    )


@contextmanager
def open_service(config: Mapping[str, Any]) -> Iterator[Service]:
    """The programme a job works on, opened from its plain-data configuration."""
    programme = Programme.open(
        config["programme"],
        db=config["db"],
        documents=config.get("documents"),
        clock=clock_of(config.get("clock")),
        mail=mail_of(config),
    )
    with programme:
        programme.runtime.check_pinned()
        queue = programme.open_queue()
        try:
            yield Service(programme, programme.reminder_runner(queue), programme.clock, queue)
        finally:
            queue.transport.close()


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
