"""What a mail transport is, and how it says that it could not take a message.

A transport takes one message at a time (``send``) and lets go of what it holds
(``close``). ``close`` may be called any number of times, and a closed transport opens
again on its next ``send``. Any failure to take a message is a ``DeliveryFailed``::

    MailError
    └── DeliveryFailed            the transport did not take the message (refused, broken off)
        ├── TransportUnavailable  server unreachable or gone, outbox folder not writable
        ├── RecipientsRefused     the server refused every recipient
        └── LoginRefused          the server refused the login

Each keeps where it was going (``where``), the message's ``message_id`` and the underlying
``reason`` (the ``OSError`` or ``smtplib`` exception, also the ``__cause__``).
"""

from __future__ import annotations

from collections.abc import Mapping
from email.message import EmailMessage
from typing import Protocol

from engine.errors import MailError

__all__ = [
    "DeliveryFailed",
    "LoginRefused",
    "RecipientsRefused",
    "Transport",
    "TransportUnavailable",
    "describe_failure",
]


class Transport(Protocol):
    """Something that takes messages: an outbox folder, an SMTP server ...

    ``send`` raises ``DeliveryFailed`` when the message was not taken (``MailError`` when it
    cannot be sent at all, e.g. it has no recipient); ``close`` is idempotent.
    """

    def send(self, msg: EmailMessage) -> None: ...

    def close(self) -> None: ...


def _reason(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {text}"[:500]


def describe_failure(exc: BaseException) -> str:
    """One line for a failed attempt: the underlying error's class and text (at most 500)."""
    return _reason(exc.reason if isinstance(exc, DeliveryFailed) else exc)


class DeliveryFailed(MailError):
    """A transport did not take a message: the server refused it or the session broke off."""

    def __init__(
        self, where: str, message_id: str, reason: BaseException, message: str | None = None
    ) -> None:
        self.where = where
        self.message_id = message_id
        self.reason = reason
        super().__init__(message or f"{where} 未能接收邮件 {message_id}（{_reason(reason)}）")


class TransportUnavailable(DeliveryFailed):
    """The server cannot be reached or dropped the session; the outbox folder is unusable."""

    def __init__(self, where: str, message_id: str, reason: BaseException) -> None:
        text = f"{where} 无法使用，邮件 {message_id} 未能投递（{_reason(reason)}）"
        super().__init__(where, message_id, reason, text)


class RecipientsRefused(DeliveryFailed):
    """The server refused every recipient; ``recipients`` maps each address to its answer."""

    def __init__(
        self,
        where: str,
        message_id: str,
        reason: BaseException,
        recipients: Mapping[str, tuple[int, bytes | str]],
    ) -> None:
        self.recipients = dict(recipients)
        text = f"{where} 拒收邮件 {message_id} 的全部收件人：{'、'.join(sorted(self.recipients))}"
        super().__init__(where, message_id, reason, text)


class LoginRefused(DeliveryFailed):
    """The server refused the login (the password is never part of the message)."""

    def __init__(self, where: str, message_id: str, reason: BaseException) -> None:
        text = f"{where} 拒绝登录，邮件 {message_id} 未能投递（{_reason(reason)}）"
        super().__init__(where, message_id, reason, text)
