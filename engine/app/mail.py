"""Where reminders go: the outbox folder, or an SMTP server with the outbox as its queue."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from engine.clock import Clock
from engine.errors import MailError

if TYPE_CHECKING:
    from engine.delivery.mail import MailQueue, Transport

__all__ = ["MailSettings", "check_desk_url", "open_queue"]

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
    # The desk's address (``https://desk.example.gov.cn``): each reminder and 催报 then
    # links to its unit's page there. None: no link (``check_desk_url``).
    desk_url: str | None = None


def check_desk_url(text: str | None) -> str | None:
    """The desk's base address as notices link to it (no trailing slash); None when not
    given. Anything but an http(s) address without spaces or markup is a ``MailError``."""
    from urllib.parse import urlsplit

    if text is None or not text.strip():
        return None
    url = text.strip().rstrip("/")
    parts = urlsplit(url)
    bad = any(ch.isspace() or not ch.isprintable() or ch in "<>\"'" for ch in url)
    if parts.scheme not in ("http", "https") or not parts.netloc or bad or parts.query:
        raise MailError(
            f"网上报送地址「{text}」无效：请写作 https://域名[/路径]，如 https://dubang.example.gov.cn"
        )
    return url


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
