"""The message itself: building it from a notice, its bytes, its file name, its envelope.

``build_message`` makes a standard ``email.message.EmailMessage``: multipart/alternative
with text/plain then text/html (both UTF-8, base64), the Chinese subject and display names
as RFC 2047 encoded-words, a Message-ID and a Date, every header value checked first (see
``headers``). ``message_bytes`` is what every transport and the queue store or send.

File names: ``<YYYYmmdd-HHMMSS>-<slug of the Message-ID>.eml`` (the date from the Date
header), so a listing sorts by date and the same message always lands in the same file.
"""

from __future__ import annotations

import copy
import email
import email.parser
import email.policy
import random
import re
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from engine.delivery.mail.headers import (
    BUILD_POLICY,
    SERIALISE_POLICY,
    SHARED_HEADERS,
    Address,
    address_header,
    check_header_name,
    check_value,
    make_message_id,
    shared_header,
)
from engine.errors import MailError

__all__ = [
    "HEADERS_ONLY",
    "STAMP",
    "build_message",
    "envelope",
    "message_bytes",
    "message_filename",
    "read_message",
    "stored_key",
    "without_bcc",
]

_SLUG_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_HIDDEN = ("Bcc", "Resent-Bcc")  # recipients that travel in the envelope only

#: Parses the header block only (enough for the envelope), decoded as ``read_message`` does.
HEADERS_ONLY = email.parser.BytesHeaderParser(policy=email.policy.default)

#: Length of the date that starts a message's file name.
STAMP = len("YYYYmmdd-HHMMSS")


def build_message(
    *,
    sender: Address,
    to: Sequence[Address],
    cc: Sequence[Address] = (),
    subject: str,
    text: str,
    html: str,
    date: datetime,
    message_id_domain: str,
    headers: Mapping[str, str] | None = None,
    message_id: str | None = None,
) -> EmailMessage:
    """A multipart/alternative message (text/plain, then text/html), every header checked.

    ``date`` must be timezone-aware. ``message_id`` makes the Message-ID deterministic
    (``<id@domain>`` or ``id@domain``); otherwise one is made under ``message_id_domain``.
    ``headers`` adds extra headers (e.g. ``X-Docflow-Point``); the structural ones (From, To,
    Subject, Date, Message-ID, MIME and Content headers) cannot be set this way.
    """
    if isinstance(to, Address) or isinstance(cc, Address):
        raise MailError("收件人和抄送人必须是 Address 的列表")
    if not to:
        raise MailError("邮件至少需要一个收件人")
    if not isinstance(date, datetime) or date.tzinfo is None or date.utcoffset() is None:
        raise MailError("邮件的日期必须是带时区的 datetime")
    from_header = address_header("From", (sender,), single=True)
    to_header = address_header("To", to, single=False)
    cc_header = address_header("Cc", cc, single=False)
    check_value("Subject", subject)
    extra = [
        (check_header_name(name), check_value(name, value))
        for name, value in (headers or {}).items()
    ]
    msg_id = make_message_id(message_id, message_id_domain)

    msg = EmailMessage(policy=BUILD_POLICY)
    msg["From"] = from_header
    msg["To"] = to_header
    if cc_header:
        msg["Cc"] = cc_header
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = msg_id
    for name, value in extra:
        msg[name] = value
    msg.set_content(text, subtype="plain", charset="utf-8", cte="base64")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="base64")
    for part in msg.walk():
        part.policy = email.policy.SMTP  # built with BUILD_POLICY: it differs only in caches
    return msg


def read_message(data: bytes) -> EmailMessage:
    """Parse a stored message back (``email.policy.default``: decoded headers)."""
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def message_bytes(msg: EmailMessage) -> bytes:
    """The message as stored and sent: ASCII headers, CRLF line ends (``email.policy.SMTP``)."""
    _give_boundary(msg)
    return msg.as_bytes(policy=SERIALISE_POLICY)


def without_bcc(msg: EmailMessage) -> EmailMessage:
    """``msg`` itself, or a copy without its Bcc headers (as ``smtplib`` sends a message)."""
    if not any(name in msg for name in _HIDDEN):
        return msg
    visible = copy.copy(msg)  # deleting a header gives the copy its own header list
    for name in _HIDDEN:
        del visible[name]
    return visible


def stored_key(msg: EmailMessage) -> str:
    """What identifies ``msg`` among stored files whatever its date: its name without it."""
    return message_filename(msg)[STAMP:]


def message_filename(msg: EmailMessage) -> str:
    """``<YYYYmmdd-HHMMSS>-<slug>.eml`` from the Date header and the Message-ID."""
    stamp = "00000000-000000"
    date_header = msg.get("Date")
    if date_header is not None:
        moment = getattr(date_header, "datetime", None)
        if isinstance(moment, datetime):
            stamp = moment.strftime("%Y%m%d-%H%M%S")
    message_id = str(msg.get("Message-ID", "")).strip().strip("<>")
    if not message_id:
        raise MailError("邮件缺少 Message-ID，无法保存")
    slug = _SLUG_UNSAFE.sub("_", message_id).strip("._-")[:120] or "message"
    return f"{stamp}-{slug}.eml"


def envelope(msg: EmailMessage) -> tuple[str, list[str]]:
    """Envelope sender and recipients (To + Cc + Bcc) from a message's headers."""

    def addresses(name: str) -> list[str]:
        found: list[str] = []
        for header in msg.get_all(name, []):
            found.extend(a.addr_spec for a in getattr(header, "addresses", ()))
        return found

    senders = addresses("From")
    recipients = list(dict.fromkeys(addresses("To") + addresses("Cc") + addresses("Bcc")))
    if len(senders) != 1:
        raise MailError("邮件必须恰好有一个发件人（From）")
    if not recipients:
        raise MailError("邮件没有收件人")
    return senders[0], recipients


_BOUNDARY_DIGITS = len(repr(sys.maxsize - 1))  # as email.generator writes the random number


def _give_boundary(msg: EmailMessage) -> None:
    """Give a message ``build_message`` made its MIME boundary, as the generator would.

    Serialising a multipart message without a boundary, the generator draws
    ``random.randrange(sys.maxsize)``, compiles a regular expression for that boundary to
    check that no line of the parts is ``--<boundary>``, and calls ``set_boundary``, which
    parses the Content-Type again: together about as much as the rest of serialising. For
    the message ``build_message`` makes (one Content-Type, the shared
    ``multipart/alternative``; parts with text payloads) this makes the same draw, checks
    with a substring test (a line equal to ``--<boundary>`` contains it) and sets the same
    Content-Type. Any other message, or a boundary found in a part, is left to the generator.
    """
    shared = shared_header("Content-Type", "multipart/alternative")
    if shared is None or msg.policy is not email.policy.SMTP:
        return
    types = msg.get_all("Content-Type") or []
    if len(types) != 1 or types[0] is not shared:
        return
    parts = msg.get_payload()
    if not isinstance(parts, list) or not all(
        isinstance(p, EmailMessage) and isinstance(p.get_payload(), str) for p in parts
    ):
        return
    boundary = "=" * 15 + f"{random.randrange(sys.maxsize):0{_BOUNDARY_DIGITS}d}" + "=="
    marker = "--" + boundary
    for part in parts:
        assert isinstance(part, EmailMessage)
        if marker in part.get_payload() or any(
            marker in name or marker in str(value) for name, value in part.items()
        ):
            return
    value = f'multipart/alternative; boundary="{boundary}"'
    msg.replace_header("Content-Type", SHARED_HEADERS["Content-Type"]("Content-Type", value))
