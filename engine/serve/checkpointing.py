"""Signed checkpoints taken by ``docflow serve``: once at start, then once a day.

With ``--checkpoint-key KEY --checkpoints FILE`` the service signs the head of the store's
chain (the application layer's checkpoint use case, as ``docflow audit checkpoint`` does)
when it becomes the active service, after sending what it missed, and then every day at
:data:`CHECKPOINT_TIME` in the programme's time zone: an APScheduler cron job, registered by
text reference (``engine.serve.checkpointing:take``) like the reminder jobs. On a
compressed clock a day is ``86400 / speed`` real seconds, so the job runs at that interval
from the next virtual checkpoint time.

The key is read before the service waits for its lock or starts its scheduler: a missing or
unusable key stops ``serve`` at once (``KeyFileError``, in Chinese, naming the file). A trail
that no longer verifies is not signed: the job logs the audit's finding at ERROR and the
service goes on sending reminders; ``audit verify`` tells the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any

from engine.clock import Clock, ScaledClock

__all__ = [
    "CHECKPOINT_FUNC",
    "CHECKPOINT_TIME",
    "add_checkpoint_job",
    "check_key",
    "checkpoint_job_id",
    "next_virtual",
    "take",
    "wanted",
]

log = logging.getLogger(__name__)

CHECKPOINT_FUNC = "engine.serve.checkpointing:take"
#: When the daily checkpoint is signed, in the programme's zone: after the day's work.
CHECKPOINT_TIME = time(23, 30)


def checkpoint_job_id(programme_id: str) -> str:
    return f"docflow:{programme_id}:checkpoint"


def wanted(config: Mapping[str, Any]) -> bool:
    """Whether the service was given a key to sign checkpoints with."""
    return bool(config.get("checkpoint_key"))


def check_key(config: Mapping[str, Any]) -> None:
    """Refuse (``KeyFileError``) a checkpoint key that cannot sign, before anything runs."""
    if wanted(config):
        from engine.app import check_signing_key

        check_signing_key(config["checkpoint_key"])


def take(config: Mapping[str, Any], service: Any = None) -> str:
    """Sign the chain's head into the checkpoints file; return a one-line summary."""
    from engine.errors import TrailBroken

    if service is None:
        from engine.serve.jobs import open_service

        with open_service(config) as fresh:
            return take(config, fresh)
    try:
        signed = service.programme.checkpoint(config["checkpoint_key"], config["checkpoints"])
    except TrailBroken as exc:
        summary = f"未签发检查点：{exc.message}"
        log.error("%s", summary)
        return summary
    mark = signed.checkpoint
    summary = (
        f"{mark.moment} 已签发检查点：留痕第 {mark.seq} 条（哈希 {mark.hash[:12]}…），"
        f"已追加到 {config['checkpoints']}"
    )
    log.info("%s", summary)
    return summary


def next_virtual(clock: Clock, zone: Any) -> datetime:
    """The next checkpoint time after the clock's now, in ``zone``."""
    now = clock.now().astimezone(zone)
    at = datetime.combine(now.date(), CHECKPOINT_TIME, tzinfo=zone)
    if at <= now:
        at = datetime.combine(now.date() + timedelta(days=1), CHECKPOINT_TIME, tzinfo=zone)
    return at


def add_checkpoint_job(
    scheduler: Any, programme_id: str, zone: Any, clock: Clock, config: Mapping[str, Any]
) -> str:
    """Register the daily checkpoint job; return when it first runs, in words."""
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    first = next_virtual(clock, zone)
    trigger: Any
    if isinstance(clock, ScaledClock):
        trigger = IntervalTrigger(
            seconds=86400 / clock.speed, start_date=clock.to_real(first), timezone=zone
        )
    else:
        trigger = CronTrigger(
            hour=CHECKPOINT_TIME.hour, minute=CHECKPOINT_TIME.minute, timezone=zone
        )
    job_id = checkpoint_job_id(programme_id)
    scheduler.add_job(
        CHECKPOINT_FUNC,
        trigger=trigger,
        id=job_id,
        name="checkpoint",
        kwargs={"config": dict(config)},
        replace_existing=True,
    )
    return f"每天 {CHECKPOINT_TIME:%H:%M} 签发检查点（下一次 {first:%Y-%m-%d %H:%M}）"
