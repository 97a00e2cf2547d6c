"""Every error docflow raises, in one tree, with the exit status the CLI gives each.

::

    DocflowError                 1  root; ``message`` is shown to the user
    ├── DefinitionError          3  a programme definition that fails loading or checking
    │   │                           (carries every ``Diagnostic`` found, not just the first)
    │   └── ScenarioError        3  a rehearsal scenario that fails loading or checking
    ├── PhraseError              1  a deadline phrase that is not one of the accepted forms
    ├── CalendarError            1  working-day arithmetic that cannot be done
    ├── StoreError               4  the store cannot be opened, migrated or written
    │   ├── StoreMissing         4  ... there is no store where one was named
    │   ├── StoreNotWritable     4  ... a read-only file system, a full disk: nothing written
    │   ├── DefinitionChanged    4  the programme's YAML changed while points run in it
    │   └── ConcurrentWrite      5  another process holds the store for too long
    ├── Refused                  1  a command docflow will not carry out; nothing written
    │   ├── UnknownUnit             a unit that is not among the bodies (``known`` for hints)
    │   ├── UnknownPoint            a point that is not enrolled
    │   ├── UnknownTask             a task that is neither a step nor a programme task
    │   ├── UnknownState            states of running points missing from a new definition
    │   ├── NotRegistered           the store has never seen the programme
    │   ├── MissingInput            a reason, points, a file, a title, a due date not given
    │   ├── InputNotAllowed         points or a due date given where none is taken
    │   ├── InTheFuture             an effective time later than now
    │   ├── WrongCommand            a task that is decided, submitted or enrolled otherwise
    │   ├── NoSuchOutcome           a decision outcome the task does not have
    │   ├── WrongState              the point's state is not one the step leaves from
    │   ├── NothingWaiting          none of the unit's points waits for the step
    │   ├── AlreadySubmitted        the same document already recorded for the step
    │   ├── TaskAlreadyDone         a programme task recorded a second time
    │   ├── WaitingFor              a programme task before what it waits for is done
    │   ├── ActorNotAllowed         a unit that may not take the step
    │   │   ├── NotAnInspector      ... an inspection report from a body leading no group
    │   │   └── NotTheOwner         ... a point the unit does not act for
    │   ├── ActorNotGiven           several bodies may decide: which one is not said
    │   ├── NotAProposer            a point from a unit that does not propose points
    │   ├── TooManyPoints           more points than ``max_per_unit``
    │   ├── PointIdTaken            a point id repeated or already enrolled
    │   ├── ExtensionProblem        extension rules: NothingToExtend, ExtensionTooLate,
    │   │                           NoExtensionRequest, ExtendedStepDone, BadNewDeadline
    │   ├── UnknownFormat           an export format docflow does not write
    │   ├── CannotRewrite           ``roll`` cannot rewrite a value in place
    │   ├── BeforeItExisted         an effective time before the year or the point began
    │   ├── BadIdentifier           a point id outside the safe alphabet
    │   └── UnsafeText              a control, bidi or invisible character in a user's text
    ├── OutputFileError          1  a file docflow writes cannot be written
    ├── BadMoment                2  DOCFLOW_NOW, --now or --at that is not a time (a usage error)
    │   └── MomentOutOfRange     2  ... a time outside the programme's span
    │       └── OutsideTheTrail  2  ... a moment to show the store as of, outside its trail
    ├── InputFileError           1  a file named on the command line is missing or unreadable
    │   ├── FileTooLarge         1  ... larger than the size limit of submitted files
    │   └── KeyFileError         1  an audit key file that cannot be used
    ├── TrailBroken              6  ``audit verify`` found a changed event or document
    │   └── CheckpointBroken     6  a signed checkpoint of the trail no longer holds
    ├── SchedulerFailed          7  ``serve`` stopped: a job failed, the job store or the lock was lost
    ├── YearStalled              8  ``simulate``: points no one could move (the year was played out)
    ├── BadServeSetting          2  a number or time given to ``serve`` out of its bounds
    ├── TemplateProblem          1  a notice template is missing, broken or needs more data
    └── MailError                1  a message cannot be built or handed to a transport
        └── HeaderInjection      1  a header value carries a line break

Usage errors (an unknown option, a missing argument) are click's and exit with 2. The
subclasses of ``Refused`` are defined in ``engine.refusals`` (this module stays the low one
every layer imports); ``exit_code`` is a class attribute, read by the CLI only.

Messages are in Simplified Chinese: administrators and auditors read them. Each error keeps
its inputs as attributes, so that callers and tests need not parse the text; units, steps
and states travel as ``Named`` (equal to the id, carrying the Chinese label). Domain
messages name no command-line flags: ``engine.hints`` adds which flag or command to use.
"""

from __future__ import annotations

import errno
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Self

__all__ = [
    "DEFAULT_ITEM",
    "ITEM",
    "BadMoment",
    "BadServeSetting",
    "CalendarError",
    "CheckpointBroken",
    "ConcurrentWrite",
    "DefinitionChanged",
    "DefinitionError",
    "Diagnostic",
    "DocflowError",
    "FileTooLarge",
    "HeaderInjection",
    "InputFileError",
    "KeyFileError",
    "MailError",
    "MomentOutOfRange",
    "Named",
    "OutputFileError",
    "OutsideTheTrail",
    "PhraseError",
    "Refused",
    "ScenarioError",
    "SchedulerFailed",
    "StoreError",
    "StoreMissing",
    "StoreNotWritable",
    "TemplateProblem",
    "TrailBroken",
    "YearStalled",
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


#: What moves through a programme when its definition does not say (``programme.item``).
DEFAULT_ITEM = "突破点"
#: Stands for the programme's word for its items in a message built where no definition is
#: at hand (a refusal raised deep in the runtime): the edge that knows the programme words
#: the error with ``DocflowError.worded``; unworded, it reads ``DEFAULT_ITEM``. A private-use
#: character, which no user's text can carry (``engine.runtime.userinput`` refuses them).
ITEM = "\ue000"


class DocflowError(Exception):
    """Root of every error a user can cause. The CLI shows ``message`` and exits.

    A message may say ``ITEM`` where the programme's item noun goes; ``message`` reads it
    as the noun the error was ``worded`` with (``突破点`` until then).
    """

    exit_code = 1
    item = DEFAULT_ITEM

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def message(self) -> str:
        return self._message.replace(ITEM, self.item)

    @message.setter
    def message(self, text: str) -> None:
        self._message = text

    def worded(self, item: str) -> Self:
        """This error, its message saying ``item`` (the programme's noun, 任务) for ITEM."""
        self.item = item
        return self

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

    exit_code = 3

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics: list[Diagnostic] = sorted(diagnostics)
        errors = [d for d in self.diagnostics if d.severity == "error"]
        head = f"工作方案定义有 {len(errors)} 处错误，未通过校验："
        super().__init__("\n".join([head, *(str(d) for d in self.diagnostics)]))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]


class PhraseError(DocflowError):
    """A deadline phrase docflow cannot read; the message names the closest accepted forms
    (``suggestions``) and lists them all (``accepted``)."""

    def __init__(
        self,
        phrase: str,
        reason: str,
        accepted: Sequence[str] = (),
        suggestions: Sequence[str] = (),
    ) -> None:
        self.phrase = phrase
        self.reason = reason
        self.accepted = tuple(accepted)
        self.suggestions = tuple(suggestions)
        # A phrase not read at all lists the forms; one read but unusable says why only.
        if self.accepted:
            text = f"无法识别的时间表述「{phrase}」：{reason}"
            text += "。可用的写法：" + "、".join(self.accepted)
        else:
            text = f"时间表述「{phrase}」不可用：{reason}"
        if self.suggestions:
            text += "。最接近的写法：" + "、".join(f"「{s}」" for s in self.suggestions)
        super().__init__(text)


class CalendarError(DocflowError):
    """Working-day arithmetic that cannot be carried out (e.g. a holiday with no dates)."""


class StoreError(DocflowError):
    """The store cannot be opened, migrated or written."""

    exit_code = 4


class StoreMissing(StoreError):
    """No store at ``path``, where a command needs one that exists (only a command that may
    start a store creates one). ``may_create`` says whether the command that was refused
    could have started one, had it been asked to (the hints name how)."""

    def __init__(self, path: str, *, may_create: bool = False) -> None:
        self.path = path
        self.may_create = may_create
        super().__init__(f"存储库 {path} 不存在（尚未登记任何工作方案？）")

    def creatable(self) -> StoreMissing:
        """The same error, for a command that could have started the store."""
        return StoreMissing(self.path, may_create=True)


class StoreNotWritable(StoreError):
    """A store that can be read but not written: its file system is read-only or full, or
    its file or folder may not be written. ``reason`` says which; nothing was written."""

    def __init__(self, location: str, reason: str) -> None:
        self.location = location
        self.reason = reason
        super().__init__(f"无法写入存储库 {location}：{reason}；未写入任何内容")


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
            f"当前定义的哈希 {current_hash[:12]}），而已有{ITEM}按原定义运行"
        )


class ConcurrentWrite(StoreError):
    """Another process held the store's write lock for longer than the wait allows."""

    exit_code = 5


class Refused(DocflowError):
    """A command docflow will not carry out; nothing was written."""


class Named(str):
    """An id that carries its Chinese label: equal to the id, shown by the label.

    ``Named("guangzhou", "广州市") == "guangzhou"``, so attributes compare with plain ids,
    while messages can name the thing the way its readers do.
    """

    label: str

    def __new__(cls, ident: str, label: str | None = None) -> Named:
        self = super().__new__(cls, ident)
        self.label = label if label else ident
        return self

    @property
    def id(self) -> str:
        return str.__str__(self)

    @property
    def shown(self) -> str:
        """The label with the id in parentheses (what a command needs), or the id alone."""
        return self.id if self.label == self.id else f"{self.label}（{self.id}）"

    def __repr__(self) -> str:
        return f"Named({self.id!r}, {self.label!r})"


# --- files docflow writes, times -------------------------------------------------------------


class OutputFileError(DocflowError):
    """A file or folder docflow writes cannot be written."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"无法写入 {path}：{reason}")


class BadMoment(DocflowError):
    """A time given on the command line or in the environment is not ISO 8601."""

    exit_code = 2  # a usage error, wherever the value came from

    def __init__(self, origin: str, value: str) -> None:
        self.origin = origin
        self.value = value
        self.detail = f"{value!r} 不是 ISO 8601 时间（如 2011-05-09 或 2011-05-09T16:30）"
        super().__init__(f"{origin} 的值无效：{self.detail}")


class InputFileError(DocflowError):
    """A file named by the user is missing, unreadable or malformed."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class TrailBroken(DocflowError):
    """The audit found an event or stored document that no longer matches its hash."""

    exit_code = 6


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


class KeyFileError(InputFileError):
    """An audit key file (the private key that signs checkpoints, or its public half) is
    missing, unreadable or holds no Ed25519 key. The message names the file and why, never
    anything read from it."""

    def __init__(self, path: str, reason: str, kind: str = "私钥") -> None:
        super().__init__(path, reason)
        self.kind = kind
        self.message = f"{kind}文件 {path} 无法使用：{reason}"
        self.args = (self.message,)


class CheckpointBroken(TrailBroken):
    """A signed checkpoint of the trail no longer holds: its signature is not valid for the
    given public key, or the store's chain no longer has the event it names at its seq.

    ``failures`` holds one ``engine.runtime.checkpoints.CheckpointFailure`` per checkpoint
    that failed (its line in the file, seq, what went wrong); ``message`` words them all.
    """

    def __init__(self, failures: Sequence[object], message: str) -> None:
        self.failures = tuple(failures)
        super().__init__(message)


class YearStalled(DocflowError):
    """The simulated year was played to its end, but points stopped where nobody can take
    their step (``stalls``: one line per step and reason, shown in the summary too)."""

    exit_code = 8

    def __init__(self, stalls: Sequence[str]) -> None:
        self.stalls = list(stalls)
        super().__init__(
            f"演练停滞：{len(self.stalls)} 处{ITEM}无法继续办理（见上方总结中的「演练停滞」）；"
            "请按所说的原因修改工作方案或情景后再演练"
        )


class SchedulerFailed(DocflowError):
    """The reminder service stopped because its scheduler failed: a job raised, a job was
    missed, the job store could not be read, the scheduler thread died, or the database
    connection holding the service's lock was lost. ``docflow serve`` exits with 7 so that a
    supervisor notices and restarts it; ``reason`` says what happened."""

    exit_code = 7

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"提醒服务因调度出错而停止：{reason}（请查看日志；重新启动即可接着发送）")


class BadServeSetting(DocflowError):
    """A number or time given to the reminder service that is out of its bounds (a usage
    error): ``option`` is where it came from, ``detail`` says what the bounds are."""

    exit_code = 2

    def __init__(self, option: str, value: object, detail: str) -> None:
        self.option = option
        self.value = value
        self.detail = detail
        super().__init__(f"{option} 的值无效：{detail}")


class MomentOutOfRange(BadMoment):
    """A time given by a user that is a time, but outside the span docflow reckons a
    programme in (``earliest`` to ``latest``): beyond it dates overflow (year 9999, year 1
    with a +14:00 offset) and reports would be meaningless."""

    def __init__(self, origin: str, value: str, earliest: str, latest: str) -> None:
        super().__init__(origin, value)
        self.earliest = earliest
        self.latest = latest
        self.detail = f"{value!r} 不在工作方案的时间范围内（{earliest} 至 {latest}）"
        self.message = f"{origin} 的值无效：{self.detail}"
        self.args = (self.message,)


class OutsideTheTrail(MomentOutOfRange):
    """A moment to show a programme's store as of (``earliest`` to ``latest``, as text) that
    its trail has no state for: before the programme's first event, or after now (``later``:
    the trail does not know yet what will be recorded)."""

    def __init__(self, value: str, earliest: str, latest: str, later: bool) -> None:
        super().__init__("查看时刻", value, earliest, latest)
        self.later = later
        if later:
            self.detail = f"{value} 晚于当前时间（{latest}），留痕中还没有那时的状态"
        else:
            self.detail = (
                f"{value} 早于存储库中本方案的第一条留痕（{earliest}），那时还没有状态可看"
            )
        self.message = f"查看时刻 {self.detail}"
        self.args = (self.message,)


class FileTooLarge(InputFileError):
    """A file to be kept in the documents folder is larger than the configured limit."""

    def __init__(self, path: str, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(path, f"文件过大（{_megabytes(size)}），超过上限 {_megabytes(limit)}")


def _megabytes(size: int) -> str:
    return f"{size / (1 << 20):.1f} MB" if size >= 1 << 20 else f"{size} 字节"
