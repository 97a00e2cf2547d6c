"""The functions APScheduler calls, by text reference ``engine.serve.jobs:run_reminders``
(one occurrence's job) and ``engine.serve.jobs:sweep``.

A job receives plain data (the job store pickles it) and opens the programme through the
application layer - definition, store, clock, mail - then runs the same reminder code as
``docflow remind`` and ``docflow simulate``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.app import MailSettings, Programme
from engine.clock import Clock, ScaledClock, SystemClock, local_minute
from engine.delivery.dispatch import ALL, ReminderRunner, RunResult
from engine.delivery.mail import MailQueue

__all__ = [
    "Service",
    "clock_of",
    "mail_of",
    "open_service",
    "run_reminders",
    "sweep",
    "unprocessed",
]

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
        desk_url=config.get("desk_url"),
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


_WHY = {
    "superseded": "同一期限已有更晚的一次提醒到期，只发最新的一次",
    "closed": "该事项已无人需要提醒",
    "unreached": "尚无单位到达此环节",
}


def run_reminders(
    config: Mapping[str, Any], service: Service | None = None, at: str | None = None
) -> str:
    """Send what is due (and retry queued mail); return a one-line summary.

    ``at`` is the scheduled (virtual) time of the occurrence the job was registered for:
    the job sends what was due then, however late it runs (the executor may be busy, the
    definition and store take time to load, the clock may run 86400 times faster). Without
    it (the start-up run and the sweep) the clock decides: the start-up run sends what is
    due now, the newest per step; the sweep goes through the times still unprocessed in
    order, as ``docflow remind`` run at each of them would.
    """
    if service is None:
        with open_service(config) as fresh:
            return run_reminders(config, fresh, at)
    if at is not None:
        moment = datetime.fromisoformat(at)
        return _report(service, moment, service.runner.run(moment))
    return _report(service, service.clock.now(), service.runner.run(service.clock.now()))


def sweep(config: Mapping[str, Any], service: Service | None = None) -> str:
    """The sweep job: every time whose occurrences are still unprocessed, in order, then now
    (extended due days, mail the server did not take)."""
    if service is None:
        with open_service(config) as fresh:
            return sweep(config, fresh)
    now = service.clock.now()
    summaries = [_report(service, t, service.runner.run(t)) for t in unprocessed(service, now)]
    summaries.append(_report(service, now, service.runner.run(now)))
    return "；".join(summaries)


def unprocessed(service: Service, now: datetime) -> list[datetime]:
    """The send times, up to ``now``, of occurrences the sent-log has no marker for."""
    runner = service.runner
    with runner.store.transaction(readonly=True) as tx:
        return sorted(
            {
                occ.send_at
                for occ in runner.schedule(tx)
                if occ.send_at <= now and tx.get_sent(runner.pid, occ.rule.id, ALL, occ.key) is None
            }
        )


def _report(service: Service, now: datetime, result: RunResult) -> str:
    summary = f"{local_minute(now)} 提醒：发出 {len(result.sent)} 封，跳过 {len(result.skipped)} 项"
    if service.queue is not None and not service.queue.direct:
        summary += f"；SMTP 投递 {result.delivered} 封，队列中待重试 {result.pending} 封"
    for rule, key, why in result.skipped:
        log.warning("未发送 %s（%s）：%s", rule, key, _WHY.get(why, why))
    for problem in result.problems:
        log.warning("%s", problem)
    log.info("%s", summary)
    return summary
