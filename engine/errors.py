"""Every error docflow raises, in one tree.

::

    DocflowError                      root; ``exit_code`` 1, ``message`` is shown to the user
    ├── DefinitionError               a programme definition that fails loading or checking
    │   │                             (carries every ``Diagnostic`` found, not just the first)
    │   └── ScenarioError             a rehearsal scenario that fails loading or checking
    ├── PhraseError                   a deadline phrase that is not one of the accepted forms
    ├── CalendarError                 working-day arithmetic that cannot be done
    ├── StoreError                    the store cannot be opened, migrated or written
    │   ├── DefinitionChanged         the programme's YAML changed while points run in it
    │   └── ConcurrentWrite           another process holds the store for too long
    ├── Refused                       a command the store must not carry out (bad unit, wrong
    │                                 state, actor not allowed, duplicate submission ...)
    ├── InputFileError                a file named on the command line is missing or unreadable
    ├── TrailBroken                   ``audit verify`` found a changed event or document
    ├── TemplateProblem               a notice template is missing, broken or needs more data
    └── MailError                     a message cannot be built or handed to a transport
        └── HeaderInjection           a header value carries a line break

Messages are in Simplified Chinese: administrators and auditors read them. Each error keeps
its inputs as attributes so that callers and tests need not parse the text.
"""

from __future__ import annotations

import errno
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "BadMoment",
    "CalendarError",
    "ConcurrentWrite",
    "DefinitionChanged",
    "DefinitionError",
    "Diagnostic",
    "DocflowError",
    "HeaderInjection",
    "InputFileError",
    "MailError",
    "PhraseError",
    "Refused",
    "ScenarioError",
    "StoreError",
    "TemplateProblem",
    "TrailBroken",
    "os_reason",
]

# What the people reading the messages need to know about a failed file operation.
_OS_REASONS = {
    errno.ENOENT: "文件或目录不存在",
    errno.EACCES: "没有权限",
    errno.EPERM: "不允许此操作",
    errno.ENOSPC: "磁盘空间不足",
    errno.EROFS: "文件系统只读",
    errno.EISDIR: "这是一个目录",
    errno.ENOTDIR: "路径中有一段不是目录",
    errno.EEXIST: "已经存在",
    errno.ENOTEMPTY: "目录不为空",
    errno.EDQUOT: "超出磁盘配额",
    errno.ENAMETOOLONG: "文件名过长",
    errno.EIO: "磁盘读写错误",
}


def os_reason(exc: OSError) -> str:
    """Why a file operation failed, in Chinese (the system's own words where unknown)."""
    return _OS_REASONS.get(exc.errno or 0) or exc.strerror or str(exc)


class DocflowError(Exception):
    """Root of every error a user can cause. The CLI shows ``message`` and exits."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem (or warning) found in a programme definition, at ``file:line:column``."""

    file: str
    line: int
    column: int
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        tag = "警告" if self.severity == "warning" else "错误"
        return f"{self.file}:{self.line}:{self.column}: {tag}: {self.message}"


class DefinitionError(DocflowError):
    """A programme definition with one or more errors; all of them are reported together."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics: list[Diagnostic] = sorted(diagnostics)
        errors = [d for d in self.diagnostics if d.severity == "error"]
        head = f"工作方案定义有 {len(errors)} 处错误，未通过校验："
        super().__init__("\n".join([head, *(str(d) for d in self.diagnostics)]))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]


class PhraseError(DocflowError):
    """A deadline phrase docflow cannot read; the message lists the accepted forms."""

    def __init__(self, phrase: str, reason: str, accepted: Sequence[str] = ()) -> None:
        self.phrase = phrase
        self.reason = reason
        self.accepted = tuple(accepted)
        text = f"无法识别的时间表述「{phrase}」：{reason}"
        if self.accepted:
            text += "。可用的写法：" + "、".join(self.accepted)
        super().__init__(text)


class CalendarError(DocflowError):
    """Working-day arithmetic that cannot be carried out (e.g. a holiday with no dates)."""


class StoreError(DocflowError):
    """The store cannot be opened, migrated or written."""


class DefinitionChanged(StoreError):
    """What a programme's mail is made of changed while points run under the pinned version.

    ``changes`` lists what differs (``engine.definition.pin.Change``: the definition's
    content, a notice template, a source text), each named in Chinese by ``str()``.
    """

    def __init__(
        self,
        programme: str,
        stored_hash: str,
        current_hash: str,
        changes: Sequence[object] = (),
    ) -> None:
        self.programme = programme
        self.stored_hash = stored_hash
        self.current_hash = current_hash
        self.changes = tuple(changes)
        what = f"改动的是：{'、'.join(str(c) for c in self.changes)}；" if self.changes else ""
        super().__init__(
            f"工作方案 {programme} 的定义已改动（{what}库中登记的哈希 {stored_hash[:12]}，"
            f"当前定义的哈希 {current_hash[:12]}），而已有突破点按原定义运行。"
            f"如确需改用新定义，请执行 docflow migrate {programme}，该操作将记入留痕。"
        )


class ConcurrentWrite(StoreError):
    """Another process held the store's write lock for longer than the wait allows."""


class Refused(DocflowError):
    """A command docflow will not carry out; nothing was written."""


class InputFileError(DocflowError):
    """A file named by the user is missing, unreadable or malformed."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class TrailBroken(DocflowError):
    """The audit found an event or stored document that no longer matches its hash."""


class TemplateProblem(DocflowError):
    """A notice template is missing, has a syntax error, or needs data it is not given."""


class MailError(DocflowError):
    """A message cannot be built or handed over to a transport."""


class HeaderInjection(MailError):
    """A header value (a name, an address, a subject) carries a line break."""

    def __init__(self, header: str, value: str) -> None:
        self.header = header
        self.value = value
        super().__init__(f"邮件头 {header} 的值含有换行符，已拒绝发送：{value!r}")


class BadMoment(DocflowError):
    """A time given on the command line or in the environment is not ISO 8601."""

    exit_code = 2  # a usage error, wherever the value came from

    def __init__(self, origin: str, value: str) -> None:
        self.origin = origin
        self.value = value
        self.detail = f"{value!r} 不是 ISO 8601 时间（如 2011-05-09 或 2011-05-09T16:30）"
        super().__init__(f"{origin} 的值无效：{self.detail}")


class ScenarioError(DefinitionError):
    """A scenario file of ``docflow simulate`` with problems (every one at
    ``file:line:column``), or an entry of it the engine refused while the simulated year ran.

    ``diagnostics`` holds every problem; ``path`` is where the first one is and ``reason``
    what it says (or, with several, the list of them all).
    """

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        super().__init__(diagnostics)
        lines = [f"{d.file}:{d.line}:{d.column}: {d.message}" for d in self.diagnostics]
        first = self.diagnostics[0]
        self.path = f"{first.file}:{first.line}:{first.column}"
        if len(lines) == 1:
            self.reason = first.message
            self.message = lines[0]
        else:
            self.reason = f"情景文件有 {len(lines)} 处错误：\n" + "\n".join(lines)
            self.message = self.reason
        self.args = (self.message,)
