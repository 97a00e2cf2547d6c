"""E-mail: building messages, two transports, and a durable queue.

Building
    ``build_message`` makes a standard ``email.message.EmailMessage``: multipart/alternative
    with text/plain then text/html (both UTF-8, base64), the Chinese subject and display
    names as RFC 2047 encoded-words, a Message-ID and a Date. Every header value is checked
    first: a line break anywhere raises ``HeaderInjection``; a malformed address raises
    ``MailError``.

Transports (``Transport``: ``send(msg)`` and ``close()``)
    ``OutboxTransport(directory)``  writes each message as one ``.eml`` file (atomically). It
        is how the embedded default "sends": the files are the outbox an operator can read,
        forward or archive.
    ``SmtpTransport(host, ...)``    hands messages to an SMTP server over one reused
        connection. The password is read from an environment variable only, at login, and is
        never stored, logged or put in an error message.

Queue
    ``MailQueue(outbox_dir, transport, clock)`` makes delivery durable. Two modes:

    * *direct* — the transport is an ``OutboxTransport`` writing into ``outbox_dir`` itself.
      Writing the file is both enqueuing and delivering, so ``enqueue`` writes the final
      ``outbox_dir/<name>.eml`` and returns it; ``flush`` has nothing to do.
    * *queued* — any other transport. ``enqueue`` first writes ``outbox_dir/queue/<name>.eml``
      (atomically) and a sidecar ``outbox_dir/queue/<name>.json``
      (``{"attempts", "next_try", "last_error", "queued_at"}``). ``flush`` hands every due
      message to the transport; a delivered one moves (with its sidecar) to ``outbox_dir/sent/``;
      a failed one (``OSError``, ``smtplib.SMTPException``, ``MailError``) stays queued with
      its attempt count raised and its next try put off by the backoff (1, 2, 4 ... 300 s of
      clock time). Nothing is deleted. Delivery is at-least-once: a crash between the
      server's acceptance and the move to ``sent/`` resends the message with the same
      Message-ID on the next flush.

File names: ``<YYYYmmdd-HHMMSS>-<slug of the Message-ID>.eml`` (the date from the Date header),
so a listing sorts by date and the same message always lands in the same file.
"""

from __future__ import annotations

import contextlib
import email
import email.errors
import email.parser
import email.policy
import json
import logging
import os
import random
import re
import smtplib
import ssl
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address as _HeaderAddress
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, Literal, Protocol

from engine.clock import Clock
from engine.errors import HeaderInjection, MailError

__all__ = [
    "DEFAULT_BACKOFF",
    "Address",
    "FlushResult",
    "MailQueue",
    "OutboxTransport",
    "SmtpTransport",
    "Transport",
    "build_message",
    "message_filename",
    "read_message",
    "stored_key",
    "sync_files",
]

log = logging.getLogger(__name__)

#: Seconds of clock time before the 1st, 2nd, 3rd ... retry; the last value repeats.
DEFAULT_BACKOFF: tuple[float, ...] = (1, 2, 4, 8, 16, 32, 64, 128, 256, 300)

# Everything ``str.splitlines`` treats as a line break: any of them could end a header line
# in some consumer.
_LINE_BREAKS = frozenset("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_ADDRESS_FORBIDDEN = frozenset('<>()[]\\,;:"')
_FIELD_NAME = re.compile(r"[!-9;-~]+")  # printable ASCII except ":" (RFC 5322 ftext)
_RESERVED_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
    }
)
_SLUG_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# msg-id = "<" id-left "@" id-right ">", both dot-atom-text (RFC 5322 3.6.4).
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_MSG_ID = re.compile(rf"{_ATOM}@{_ATOM}")
_DOMAIN = re.compile(_ATOM)


# ---------------------------------------------------------------------------------------------
# Building


@dataclass(frozen=True)
class Address:
    """A mailbox: display name (Chinese is fine) and address (ASCII, one ``@``)."""

    name: str
    email: str

    def __str__(self) -> str:
        return str(_header_address(self, "Address"))


def _check_value(header: str, value: str) -> str:
    if not isinstance(value, str):
        raise MailError(f"邮件头 {header} 的值必须是文本，而不是 {type(value).__name__}")
    if any(ch in _LINE_BREAKS for ch in value):
        raise HeaderInjection(header, value)
    if "\x00" in value:
        raise MailError(f"邮件头 {header} 的值含有空字符，已拒绝：{value!r}")
    return value


def _check_address(header: str, value: str) -> str:
    _check_value(header, value)
    problem = None
    if value.count("@") != 1:
        problem = "必须恰好含有一个 @"
    elif any(ch.isspace() for ch in value):
        problem = "不能含有空格"
    elif not value.isascii():
        problem = "只能使用 ASCII 字符"
    elif any(ch in _ADDRESS_FORBIDDEN or ord(ch) < 32 for ch in value):
        problem = "含有不允许的字符"
    else:
        local, domain = value.split("@")
        if not local or not domain or domain.startswith(".") or domain.endswith("."):
            problem = "@ 前后都必须有内容"
    if problem:
        raise MailError(f"邮件头 {header} 中的地址 {value!r} 无效：{problem}")
    return value


def _header_address(address: Address, header: str) -> _HeaderAddress:
    if not isinstance(address, Address):
        raise MailError(f"邮件头 {header} 需要 Address，而不是 {type(address).__name__}")
    _check_value(header, address.name)
    _check_address(header, address.email)
    try:
        return _HeaderAddress(display_name=address.name, addr_spec=address.email)
    except (ValueError, IndexError, email.errors.HeaderParseError) as exc:
        raise MailError(f"邮件头 {header} 中的地址 {address.email!r} 无效：{exc}") from exc


def _message_id(message_id: str | None, domain: str) -> str:
    _check_value("Message-ID", domain)
    if not _DOMAIN.fullmatch(domain):
        raise MailError(f"Message-ID 的域名 {domain!r} 无效")
    if message_id is None:
        return make_msgid(domain=domain)
    _check_value("Message-ID", message_id)
    bare = message_id.strip()
    if bare.startswith("<") and bare.endswith(">"):
        bare = bare[1:-1]
    if not _MSG_ID.fullmatch(bare):
        raise MailError(f"Message-ID {message_id!r} 无效：应为 <唯一标识@域名> 的形式")
    return f"<{bare}>"


# Shared header objects. Making a header object (the email package parses its value, and
# makes a new header class every time) and folding it (RFC 2047 encoded-words for Chinese
# names and subjects) is most of the cost of a message, and the messages of a run share most
# headers: From, each unit's To and Cc, each step's Subject, Date, the X-Docflow headers and
# the MIME headers of the parts. ``build_message`` therefore builds with ``_BUILD``, which is
# ``email.policy.SMTP`` with a header factory that makes each header class once and keeps
# the (immutable) header object made from the same name and value, so that every message
# that needs it gets the same object; then it gives the message and its parts
# ``email.policy.SMTP`` itself. ``_message_bytes`` serialises with ``_SERIALISE``, equal to
# ``email.policy.SMTP`` but keeping the folded form of those shared objects. Messages and
# bytes are exactly what they would be without the caches.
_SHARED_LIMIT = 4096  # header objects kept; both caches are emptied when it is reached
_NOT_SHARED = frozenset({"message-id"})  # unique per message: not worth keeping
_shared: dict[tuple[Any, ...], Any] = {}  # (name, value) -> header object
_folded: dict[int, tuple[Any, dict[tuple[Any, ...], bytes]]] = {}  # id -> (object, folds)


def _share(key: tuple[Any, ...], header: Any) -> Any:
    if len(_shared) >= _SHARED_LIMIT:
        _shared.clear()
        _folded.clear()
    _shared[key] = header
    _folded[id(header)] = (header, {})
    return header


class _SharedHeaders:
    """The header factory of ``_BUILD``: that of ``email.policy.SMTP``, with the caches."""

    def __init__(self, registry: Any) -> None:
        self._registry = registry
        self._classes: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        key = name.lower()
        cls = self._classes.get(key)
        if cls is None:
            cls = self._classes[key] = self._registry[name]
        return cls

    def __call__(self, name: str, value: Any) -> Any:
        if type(value) is not str or name.lower() in _NOT_SHARED:
            return self[name](name, value)
        found = _shared.get((name, value))
        return found if found is not None else _share((name, value), self[name](name, value))


_SHARED_HEADERS = _SharedHeaders(email.policy.SMTP.header_factory)
_BUILD = email.policy.SMTP.clone(header_factory=_SHARED_HEADERS)


def _address_header(name: str, addresses: Sequence[Address], *, single: bool) -> Any:
    """What to set as From (``single``: one address) or To / Cc, every address checked.

    Plain ``Address`` values give a shared header object (found again without checking: the
    same values passed the same checks before); anything else is checked and returned as the
    ``email.headerregistry.Address`` value(s) to set.
    """
    addresses = list(addresses)
    key: tuple[Any, ...] | None = None
    if all(type(a) is Address and type(a.name) is str and type(a.email) is str for a in addresses):
        key = (name, single, *((a.name, a.email) for a in addresses))
        found = _shared.get(key)
        if found is not None:
            return found
    checked = [_header_address(a, name) for a in addresses]
    value = checked[0] if single else checked
    if key is None or not checked:
        return value
    return _share(key, _SHARED_HEADERS[name](name, value))


class _SmtpPolicy(email.policy.EmailPolicy):
    """``email.policy.SMTP`` reusing the folded form of the shared header objects."""

    def fold_binary(self, name: str, value: Any) -> bytes:
        entry = _folded.get(id(value))
        if entry is None or entry[0] is not value:
            return super().fold_binary(name, value)
        key = (name, self.linesep, self.max_line_length, self.utf8, self.cte_type)
        folded = entry[1].get(key)
        if folded is None:
            folded = entry[1][key] = super().fold_binary(name, value)
        return folded


_SERIALISE = _SmtpPolicy(
    **{**vars(email.policy.SMTP), "header_factory": email.policy.SMTP.header_factory}
)


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
    from_header = _address_header("From", (sender,), single=True)
    to_header = _address_header("To", to, single=False)
    cc_header = _address_header("Cc", cc, single=False)
    _check_value("Subject", subject)
    extra: list[tuple[str, str]] = []
    for name, value in (headers or {}).items():
        _check_value("（邮件头名称）", name)
        if not _FIELD_NAME.fullmatch(name):
            raise MailError(f"邮件头名称 {name!r} 无效")
        if name.lower() in _RESERVED_HEADERS:
            raise MailError(f"邮件头 {name} 由系统生成，不能通过附加邮件头设置")
        extra.append((name, _check_value(name, value)))
    msg_id = _message_id(message_id, message_id_domain)

    msg = EmailMessage(policy=_BUILD)
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
        part.policy = email.policy.SMTP  # built with _BUILD, which differs only in its caches
    return msg


_HEADERS_ONLY = email.parser.BytesHeaderParser(policy=email.policy.default)


def read_message(data: bytes) -> EmailMessage:
    """Parse a stored message back (``email.policy.default``: decoded headers)."""
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


_STAMP = len("YYYYmmdd-HHMMSS")  # the date that starts a message's file name


def stored_key(msg: EmailMessage) -> str:
    """What identifies ``msg`` among stored files whatever its date: its name without it."""
    return message_filename(msg)[_STAMP:]


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


# ---------------------------------------------------------------------------------------------
# Transports


class Transport(Protocol):
    """Something that takes messages: an outbox folder, an SMTP server ..."""

    def send(self, msg: EmailMessage) -> None: ...

    def close(self) -> None: ...


def _atomic_write(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one.

    With ``sync`` the data is on disk when this returns. Without it the caller makes the file
    durable later, with :func:`sync_files`, before it records the file as written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if sync:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _load_syncfs() -> Any:
    """Linux's ``syncfs(2)`` through the C library, or ``None`` where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        function = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int]
    function.restype = ctypes.c_int
    return function


_SYNCFS = _load_syncfs()


def sync_files(paths: Sequence[Path]) -> None:
    """Put files written with ``sync=False`` - their data and their names - on disk.

    A batch of messages is written first and made durable once: on Linux with one
    ``syncfs`` per file system (one journal commit and one device flush for the batch,
    where an ``fsync`` per file costs one each: about six times the time for a batch of
    2,000 here); elsewhere with an ``fsync`` of each file and then of each folder.
    """
    if not paths:
        return
    folders = {path.parent for path in paths}
    if _SYNCFS is not None:
        devices: set[int] = set()
        for folder in folders:
            fd = os.open(folder, os.O_RDONLY)
            try:
                device = os.fstat(fd).st_dev
                if device in devices:
                    continue
                devices.add(device)
                if _SYNCFS(fd) != 0:
                    import ctypes

                    error = ctypes.get_errno()
                    raise OSError(error, os.strerror(error), str(folder))
            finally:
                os.close(fd)
        return
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    for folder in folders:
        with contextlib.suppress(OSError):  # some systems cannot open or fsync a folder
            fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def _message_bytes(msg: EmailMessage) -> bytes:
    _give_boundary(msg)
    return msg.as_bytes(policy=_SERIALISE)


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
    shared = _shared.get(("Content-Type", "multipart/alternative"))
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
    msg.replace_header("Content-Type", _SHARED_HEADERS["Content-Type"]("Content-Type", value))


class OutboxTransport:
    """Delivers by writing each message to ``directory`` as one ``.eml`` file."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    def write(self, msg: EmailMessage, *, name: str | None = None, sync: bool = True) -> Path:
        """Write ``msg`` and return its file; the same Message-ID overwrites the same file.

        ``name`` writes it under that file name instead (a file an earlier run left for the
        same Message-ID); ``sync=False`` leaves it to :func:`sync_files`.
        """
        path = self.directory / (name or message_filename(msg))
        _atomic_write(path, _message_bytes(msg), sync=sync)
        return path

    def send(self, msg: EmailMessage) -> None:
        self.write(msg)

    def close(self) -> None:
        pass


def _envelope(msg: EmailMessage) -> tuple[str, list[str]]:
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


class SmtpTransport:
    """Sends through one SMTP server, reusing a single connection.

    The connection opens on the first ``send`` and is reused; if the server has dropped it,
    the transport reconnects once and retries. ``security``: ``"none"`` (plain),
    ``"starttls"`` (upgrade after EHLO) or ``"ssl"`` (TLS from the start, usually port 465).
    With ``user`` set, the password is read from the environment variable ``password_env``
    at login; it is never kept on the object, logged or written into an error.
    Failures surface as ``OSError`` / ``smtplib.SMTPException`` (what ``MailQueue`` retries)
    or ``MailError`` (no password in the environment).
    """

    def __init__(
        self,
        host: str,
        port: int = 25,
        security: Literal["none", "starttls", "ssl"] = "none",
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

    def _context(self) -> ssl.SSLContext:
        return self.ssl_context or ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        password = None
        if self.user is not None:
            password = os.environ.get(self.password_env)
            if not password:
                raise MailError(
                    f"未设置环境变量 {self.password_env}，无法以用户 {self.user} 登录 "
                    f"SMTP 服务器 {self.host}:{self.port}"
                )
            if not password.isascii():
                raise MailError(
                    f"环境变量 {self.password_env} 中的 SMTP 密码含有非 ASCII 字符，"
                    "SMTP 登录无法使用"
                )
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

    def send(self, msg: EmailMessage) -> None:
        sender, recipients = _envelope(msg)
        message_id = str(msg.get("Message-ID", "?"))
        self._send(lambda c: c.send_message(msg, sender, recipients), message_id)

    def send_raw(self, data: bytes, sender: str, recipients: list[str], message_id: str) -> None:
        """Send a message as stored (ASCII, CRLF line ends, no Bcc): no parse, no re-flatten.

        ``MailQueue.flush`` uses this for the files it wrote itself: re-building each message
        from its file costs three times what sending it does.
        """
        self._send(lambda c: c.sendmail(sender, recipients, data), message_id)

    def _send(self, deliver: Any, message_id: str) -> None:
        if self._connection is not None:
            try:
                self._deliver(self._connection, deliver, message_id)
                return
            except (smtplib.SMTPServerDisconnected, ConnectionError):
                # The server dropped the idle connection: open a new one and retry once.
                log.info("与 SMTP 服务器 %s:%s 的连接已断开，重新连接", self.host, self.port)
        self._connection = self._connect()
        self._deliver(self._connection, deliver, message_id)

    def _deliver(self, connection: smtplib.SMTP, deliver: Any, message_id: str) -> None:
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


# ---------------------------------------------------------------------------------------------
# Queue


@dataclass(frozen=True)
class FlushResult:
    """What one ``flush`` did: delivered, failed (and kept), and still queued afterwards."""

    sent: int
    failed: int
    pending: int


@dataclass
class _Status:
    attempts: int
    next_try: datetime | None
    last_error: str | None
    queued_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "attempts": self.attempts,
            "next_try": self.next_try.isoformat() if self.next_try else None,
            "last_error": self.last_error,
            "queued_at": self.queued_at.isoformat() if self.queued_at else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> _Status:
        def moment(key: str) -> datetime | None:
            value = data.get(key)
            return datetime.fromisoformat(value) if isinstance(value, str) else None

        attempts = data.get("attempts", 0)
        return cls(
            attempts=attempts if isinstance(attempts, int) and attempts >= 0 else 0,
            next_try=moment("next_try"),
            last_error=data.get("last_error") if isinstance(data.get("last_error"), str) else None,
            queued_at=moment("queued_at"),
        )


class MailQueue:
    """Durable delivery: a message is on disk before any attempt, and stays until delivered.

    See the module docstring for the two modes (direct to the outbox, or queued for another
    transport) and the folder layout.
    """

    def __init__(
        self,
        outbox_dir: Path | str,
        transport: Transport,
        clock: Clock,
        backoff: Sequence[float] = DEFAULT_BACKOFF,
    ) -> None:
        if not backoff or any(step < 0 for step in backoff):
            raise MailError("重试间隔必须是非空的非负秒数序列")
        self.outbox_dir = Path(outbox_dir)
        self.transport = transport
        self.clock = clock
        self.backoff = tuple(float(step) for step in backoff)
        self.queue_dir = self.outbox_dir / "queue"
        self.sent_dir = self.outbox_dir / "sent"

    @property
    def direct(self) -> bool:
        """True when the transport writes into ``outbox_dir``: enqueuing is delivering."""
        transport = self.transport
        return isinstance(transport, OutboxTransport) and _same_dir(
            transport.directory, self.outbox_dir
        )

    def delay(self, attempts: int) -> timedelta:
        """How long to wait after the ``attempts``-th failed attempt."""
        index = min(max(attempts, 1), len(self.backoff)) - 1
        return timedelta(seconds=self.backoff[index])

    def enqueue(self, msg: EmailMessage, *, name: str | None = None, sync: bool = True) -> Path:
        """Store ``msg`` and return its file (final in direct mode, queued otherwise).

        ``name`` reuses the file name an earlier, unfinished run gave the same message. With
        ``sync=False`` the caller passes the files to :meth:`make_durable` before it records
        the messages as sent: one flush to disk for a batch instead of one per message.
        """
        if self.direct:
            assert isinstance(self.transport, OutboxTransport)
            return self.transport.write(msg, name=name, sync=sync)
        path = self.queue_dir / (name or message_filename(msg))
        _atomic_write(path, _message_bytes(msg), sync=sync)
        now = self.clock.now()
        self._write_status(path, _Status(0, now, None, now), sync=sync)
        log.info("已放入发件队列：%s", path.name)
        return path

    def stored(self) -> dict[str, str | None]:
        """The messages already on disk, by Message-ID (as in file names, without the date).

        The value is the file name where the message waits (in the outbox, or in ``queue/``),
        or ``None`` once the queue has handed it to the transport (``sent/``). A run killed
        between writing a message and recording it leaves such a file; see
        :func:`stored_key`.
        """
        folders = [self.outbox_dir] if self.direct else [self.queue_dir, self.sent_dir]
        found: dict[str, str | None] = {}
        for folder in folders:
            if not folder.is_dir():
                continue
            for path in sorted(folder.iterdir()):
                if path.suffix == ".eml" and not path.name.startswith("."):
                    found[path.name[_STAMP:]] = None if folder == self.sent_dir else path.name
        return found

    def make_durable(self, paths: Sequence[Path]) -> None:
        """Put messages ``enqueue(..., sync=False)`` returned on disk, sidecars included."""
        if self.direct:
            sync_files(paths)
        else:
            sync_files([*paths, *(self._sidecar(p) for p in paths)])

    def queued(self) -> list[Path]:
        """The messages waiting in the queue, oldest name first."""
        if self.direct or not self.queue_dir.is_dir():
            return []
        return sorted(p for p in self.queue_dir.glob("*.eml") if not p.name.startswith("."))

    def status(self, path: Path) -> dict[str, Any]:
        """The sidecar of a queued message (attempts, next_try, last_error, queued_at)."""
        return self._read_status(path).to_json()

    def flush(self, now: datetime | None = None) -> FlushResult:
        """Try every due message once; return what was sent, what failed and what remains.

        The bookkeeping (moving a delivered message to ``sent/``, a failed one's sidecar)
        is flushed to disk once at the end: a crash before that can only leave a delivered
        message in the queue, to be sent again (delivery is at-least-once, see above).
        """
        if self.direct:
            return FlushResult(sent=0, failed=0, pending=0)
        moment = now if now is not None else self.clock.now()
        sent = failed = 0
        touched: list[Path] = []
        with self._lock():
            try:
                for path in self.queued():
                    status = self._read_status(path)
                    if status.next_try is not None and status.next_try > moment:
                        continue
                    try:
                        self._hand_over(path.read_bytes())
                    except (OSError, smtplib.SMTPException, MailError) as exc:
                        failed += 1
                        status.attempts += 1
                        status.next_try = moment + self.delay(status.attempts)
                        status.last_error = _describe(exc)
                        self._write_status(path, status, sync=False)
                        touched.append(self._sidecar(path))
                        log.warning(
                            "邮件 %s 发送失败（第 %d 次，下次重试 %s）：%s",
                            path.name,
                            status.attempts,
                            status.next_try.isoformat(),
                            status.last_error,
                        )
                        continue
                    status.attempts += 1
                    status.next_try = None
                    status.last_error = None
                    target = self._archive(path, status, moment)
                    touched += [target, self._sidecar(target)]
                    sent += 1
                    log.info("已投递：%s", path.name)
            finally:
                sync_files(touched)
        return FlushResult(sent=sent, failed=failed, pending=len(self.queued()))

    # -- internals ----------------------------------------------------------------------------

    def _hand_over(self, data: bytes) -> None:
        """Give one stored message to the transport, as stored where it can take bytes."""
        send_raw = getattr(self.transport, "send_raw", None)
        if send_raw is not None and data.isascii():
            headers = _HEADERS_ONLY.parsebytes(data)
            if headers.get("Bcc") is None:  # a Bcc header must not travel: re-flatten then
                sender, recipients = _envelope(headers)
                send_raw(data, sender, recipients, str(headers.get("Message-ID", "?")))
                return
        self.transport.send(read_message(data))

    @staticmethod
    def _sidecar(path: Path) -> Path:
        return path.with_suffix(".json")

    def _read_status(self, path: Path) -> _Status:
        sidecar = self._sidecar(path)
        try:
            data = json.loads(sidecar.read_text(encoding="utf-8"))
            return _Status.from_json(data if isinstance(data, dict) else {})
        except FileNotFoundError:
            return _Status(0, None, None, None)
        except (OSError, ValueError, TypeError) as exc:
            log.warning("发件队列记录 %s 无法读取（%s），立即重试该邮件", sidecar, exc)
            return _Status(0, None, None, None)

    def _write_status(self, path: Path, status: _Status, *, sync: bool = True) -> None:
        payload = json.dumps(status.to_json(), ensure_ascii=False, indent=2) + "\n"
        _atomic_write(self._sidecar(path), payload.encode("utf-8"), sync=sync)

    def _archive(self, path: Path, status: _Status, moment: datetime) -> Path:
        """Move a delivered message and a record of it to ``sent/`` (flushed by the caller)."""
        self.sent_dir.mkdir(parents=True, exist_ok=True)
        record = status.to_json()
        record["sent_at"] = moment.isoformat()
        target = self.sent_dir / path.name
        _atomic_write(
            self._sidecar(target),
            (json.dumps(record, ensure_ascii=False, indent=2) + "\n").encode("utf-8"),
            sync=False,
        )
        os.replace(path, target)
        with contextlib.suppress(FileNotFoundError):
            self._sidecar(path).unlink()
        return target

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """Keep two processes from flushing the same queue at once (POSIX only)."""
        self.queue_dir.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            yield
            return
        with open(self.queue_dir / ".lock", "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _same_dir(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def _describe(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {text}"[:500]
