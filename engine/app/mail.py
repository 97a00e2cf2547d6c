"""Where reminders go: the outbox folder, or an SMTP server with the outbox as its queue."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from engine.clock import Clock
from engine.errors import MailError

if TYPE_CHECKING:
    from engine.delivery.mail import MailQueue, Transport

__all__ = ["MailSettings", "open_queue"]

Security = Literal["none", "starttls", "ssl"]
_DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}


@dataclass(frozen=True)
class MailSettings:
    """Where a programme's reminders go: an outbox folder, and an SMTP server if one is named."""

    outbox: str = "outbox"
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_security: str = "none"
    smtp_user: str | None = None  # the password comes only from DOCFLOW_SMTP_PASSWORD


def open_queue(settings: MailSettings, clock: Clock) -> MailQueue:
    """The mail queue: straight into the outbox folder, or queued there for an SMTP server."""
    from engine.delivery.mail import MailQueue, OutboxTransport, SmtpTransport

    transport: Transport
    if settings.smtp_host:
        security = settings.smtp_security or "none"
        if security not in _DEFAULT_PORTS:
            raise MailError(f"SMTP 加密方式 {security} 无效，可用：none、starttls、ssl")
        checked: Security = security  # type: ignore[assignment]
        transport = SmtpTransport(
            settings.smtp_host,
            int(settings.smtp_port or _DEFAULT_PORTS[security]),
            checked,
            settings.smtp_user or None,
        )
    else:
        transport = OutboxTransport(Path(settings.outbox))
    return MailQueue(Path(settings.outbox), transport, clock)
