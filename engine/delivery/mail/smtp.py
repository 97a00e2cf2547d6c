"""SMTP as a transport: one server, one reused connection, none / STARTTLS / SSL, login.

The password is read from an environment variable only, at login, and is never stored,
logged or put in an error message.
"""

from __future__ import annotations

import contextlib
import logging
import os
import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any, Literal

from engine.delivery.mail.message import envelope
from engine.delivery.mail.transport import (
    DeliveryFailed,
    LoginRefused,
    RecipientsRefused,
    TransportUnavailable,
)
from engine.errors import MailError

__all__ = ["SmtpTransport"]

log = logging.getLogger(__name__)

#: Errors that mean the server could not be reached or the session is gone.
_UNAVAILABLE = (OSError, smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected)

Security = Literal["none", "starttls", "ssl"]


class SmtpTransport:
    """Sends through one SMTP server, reusing a single connection.

    The connection opens on the first ``send`` and is reused; if the server has dropped it,
    the transport reconnects once and retries. ``security``: ``"none"`` (plain),
    ``"starttls"`` (upgrade after EHLO) or ``"ssl"`` (TLS from the start, usually port 465).
    With ``user`` set, the password is read from the environment variable ``password_env``
    at login; it is never kept on the object, logged or written into an error.
    Failures surface as ``DeliveryFailed`` (its ``reason`` the ``OSError`` or
    ``smtplib.SMTPException``: what ``MailQueue`` retries) or ``MailError`` (no password in
    the environment).
    """

    def __init__(
        self,
        host: str,
        port: int = 25,
        security: Security = "none",
        user: str | None = None,
        password_env: str = "DOCFLOW_SMTP_PASSWORD",
        timeout: float = 10,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if security not in ("none", "starttls", "ssl"):
            raise MailError(f"SMTP 安全方式 {security!r} 无效：应为 none、starttls 或 ssl")
        self.host = host
        self.port = port
        self.security = security
        self.user = user
        self.password_env = password_env
        self.timeout = timeout
        self.ssl_context = ssl_context
        self._connection: smtplib.SMTP | None = None

    def __repr__(self) -> str:
        return (
            f"SmtpTransport(host={self.host!r}, port={self.port}, security={self.security!r}, "
            f"user={self.user!r}, password_env={self.password_env!r})"
        )

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def connected(self) -> bool:
        return self._connection is not None

    @property
    def where(self) -> str:
        """The server, as errors name it."""
        return f"SMTP 服务器 {self.host}:{self.port}"

    def send(self, msg: EmailMessage) -> None:
        sender, recipients = envelope(msg)
        message_id = str(msg.get("Message-ID", "?"))
        self._send(lambda c: c.send_message(msg, sender, recipients), message_id)

    def send_raw(self, data: bytes, sender: str, recipients: list[str], message_id: str) -> None:
        """Send a message as stored (ASCII, CRLF line ends, no Bcc): no parse, no re-flatten.

        ``MailQueue.flush`` uses this for the files it wrote itself: re-building each message
        from its file costs three times what sending it does.
        """
        self._send(lambda c: c.sendmail(sender, recipients, data), message_id)

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            self._discard(connection)

    # -- the session ----------------------------------------------------------------------

    def _context(self) -> ssl.SSLContext:
        return self.ssl_context or ssl.create_default_context()

    def _password(self) -> str | None:
        if self.user is None:
            return None
        password = os.environ.get(self.password_env)
        if not password:
            raise MailError(
                f"未设置环境变量 {self.password_env}，无法以用户 {self.user} 登录 "
                f"SMTP 服务器 {self.host}:{self.port}"
            )
        if not password.isascii():
            raise MailError(
                f"环境变量 {self.password_env} 中的 SMTP 密码含有非 ASCII 字符，SMTP 登录无法使用"
            )
        return password

    def _connect(self) -> smtplib.SMTP:
        password = self._password()
        connection: smtplib.SMTP
        if self.security == "ssl":
            connection = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=self._context()
            )
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            connection.ehlo()
            if self.security == "starttls":
                connection.starttls(context=self._context())
                connection.ehlo()
            if self.user is not None and password is not None:
                connection.login(self.user, password)
        except BaseException:
            self._discard(connection)
            raise
        log.info("已连接 SMTP 服务器 %s:%s", self.host, self.port)
        return connection

    @staticmethod
    def _discard(connection: smtplib.SMTP) -> None:
        with contextlib.suppress(Exception):
            connection.close()

    def _drop(self) -> None:
        if self._connection is not None:
            self._discard(self._connection)
            self._connection = None

    def _send(self, deliver: Callable[[smtplib.SMTP], Any], message_id: str) -> None:
        try:
            if self._connection is not None:
                try:
                    self._deliver(self._connection, deliver, message_id)
                    return
                except (smtplib.SMTPServerDisconnected, ConnectionError):
                    # The server dropped the idle connection: open a new one and retry once.
                    log.info("与 SMTP 服务器 %s:%s 的连接已断开，重新连接", self.host, self.port)
            self._connection = self._connect()
            self._deliver(self._connection, deliver, message_id)
        except (OSError, smtplib.SMTPException) as exc:
            raise self._failure(exc, message_id) from exc

    def _deliver(
        self, connection: smtplib.SMTP, deliver: Callable[[smtplib.SMTP], Any], message_id: str
    ) -> None:
        try:
            refused = deliver(connection)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError):
            # The server answered (and smtplib reset the transaction): the connection is
            # still good for the next message.
            raise
        except BaseException:
            self._drop()
            raise
        if refused:
            # Some recipients were accepted, so the message counts as sent; resending would
            # duplicate it for them. The refusals are logged for the operator.
            log.warning(
                "SMTP 服务器 %s:%s 拒收邮件 %s 的部分收件人：%s",
                self.host,
                self.port,
                message_id,
                ", ".join(sorted(refused)),
            )

    def _failure(self, exc: OSError | smtplib.SMTPException, message_id: str) -> DeliveryFailed:
        """The project's error for what ``smtplib`` or the socket raised."""
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            return RecipientsRefused(self.where, message_id, exc, exc.recipients)
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return LoginRefused(self.where, message_id, exc)
        if isinstance(exc, _UNAVAILABLE):
            return TransportUnavailable(self.where, message_id, exc)
        return DeliveryFailed(self.where, message_id, exc)
