"""Header values of a message: addresses, the checks against injection, the Message-ID.

Every value that goes into a header is checked before the message is built: a line break
anywhere (any character ``str.splitlines`` splits on) raises ``HeaderInjection``; a NUL, a
malformed address or Message-ID raises ``MailError``.

The header objects themselves are shared between messages. Making a header object (the email
package parses its value, and makes a new header class every time) and folding it (RFC 2047
encoded-words for Chinese names and subjects) is most of the cost of a message, and the
messages of a run share most headers: From, each unit's To and Cc, each step's Subject, Date,
the X-Docflow headers and the MIME headers of the parts. ``build_message`` therefore builds
with ``BUILD_POLICY``, which is ``email.policy.SMTP`` with a header factory that makes each
header class once and keeps the (immutable) header object made from the same name and value,
so that every message that needs it gets the same object; then it gives the message and its
parts ``email.policy.SMTP`` itself. ``SERIALISE_POLICY`` is equal to ``email.policy.SMTP``
but keeps the folded form of those shared objects. Messages and bytes are exactly what they
would be without the caches.
"""

from __future__ import annotations

import email.errors
import email.policy
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address as _HeaderAddress
from email.utils import make_msgid
from typing import Any

from engine.errors import HeaderInjection, MailError

__all__ = [
    "BUILD_POLICY",
    "SERIALISE_POLICY",
    "SHARED_HEADERS",
    "Address",
    "address_header",
    "check_header_name",
    "check_value",
    "make_message_id",
    "shared_header",
]

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
# msg-id = "<" id-left "@" id-right ">", both dot-atom-text (RFC 5322 3.6.4).
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_MSG_ID = re.compile(rf"{_ATOM}@{_ATOM}")
_DOMAIN = re.compile(_ATOM)


@dataclass(frozen=True)
class Address:
    """A mailbox: display name (Chinese is fine) and address (ASCII, one ``@``)."""

    name: str
    email: str

    def __str__(self) -> str:
        return str(_header_address(self, "Address"))


# --- checks -------------------------------------------------------------------------------


def check_value(header: str, value: str) -> str:
    """``value`` itself, once it is text with no line break and no NUL in it."""
    if not isinstance(value, str):
        raise MailError(f"邮件头 {header} 的值必须是文本，而不是 {type(value).__name__}")
    if any(ch in _LINE_BREAKS for ch in value):
        raise HeaderInjection(header, value)
    if "\x00" in value:
        raise MailError(f"邮件头 {header} 的值含有空字符，已拒绝：{value!r}")
    return value


def check_header_name(name: str) -> str:
    """An extra header's name: a valid field name that is not one the builder sets."""
    check_value("（邮件头名称）", name)
    if not _FIELD_NAME.fullmatch(name):
        raise MailError(f"邮件头名称 {name!r} 无效")
    if name.lower() in _RESERVED_HEADERS:
        raise MailError(f"邮件头 {name} 由系统生成，不能通过附加邮件头设置")
    return name


def _check_address(header: str, value: str) -> str:
    check_value(header, value)
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
    check_value(header, address.name)
    _check_address(header, address.email)
    try:
        return _HeaderAddress(display_name=address.name, addr_spec=address.email)
    except (ValueError, IndexError, email.errors.HeaderParseError) as exc:
        raise MailError(f"邮件头 {header} 中的地址 {address.email!r} 无效：{exc}") from exc


def make_message_id(message_id: str | None, domain: str) -> str:
    """``<id@domain>``: the given one checked and bracketed, or a new one under ``domain``."""
    check_value("Message-ID", domain)
    if not _DOMAIN.fullmatch(domain):
        raise MailError(f"Message-ID 的域名 {domain!r} 无效")
    if message_id is None:
        return make_msgid(domain=domain)
    check_value("Message-ID", message_id)
    bare = message_id.strip()
    if bare.startswith("<") and bare.endswith(">"):
        bare = bare[1:-1]
    if not _MSG_ID.fullmatch(bare):
        raise MailError(f"Message-ID {message_id!r} 无效：应为 <唯一标识@域名> 的形式")
    return f"<{bare}>"


# --- shared header objects ----------------------------------------------------------------

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


def shared_header(name: str, value: str) -> Any:
    """The shared header object made from ``name`` and ``value``, or ``None`` if none is kept."""
    return _shared.get((name, value))


class _SharedHeaders:
    """The header factory of ``BUILD_POLICY``: that of ``email.policy.SMTP``, with the caches."""

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


SHARED_HEADERS = _SharedHeaders(email.policy.SMTP.header_factory)
BUILD_POLICY = email.policy.SMTP.clone(header_factory=SHARED_HEADERS)


def address_header(name: str, addresses: Sequence[Address], *, single: bool) -> Any:
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
    return _share(key, SHARED_HEADERS[name](name, value))


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


SERIALISE_POLICY = _SmtpPolicy(
    **{**vars(email.policy.SMTP), "header_factory": email.policy.SMTP.header_factory}
)
