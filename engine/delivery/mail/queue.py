"""The mail queue: a message is on disk before any attempt, and stays until delivered.

``MailQueue(outbox_dir, transport, clock)`` makes delivery durable. Two modes:

* *direct* - the transport is an ``OutboxTransport`` writing into ``outbox_dir`` itself.
  Writing the file is both enqueuing and delivering, so ``enqueue`` writes the final
  ``outbox_dir/<name>.eml`` and returns it; ``flush`` has nothing to do.
* *queued* - any other transport. ``enqueue`` first writes ``outbox_dir/queue/<name>.eml``
  (atomically) and a sidecar ``outbox_dir/queue/<name>.json``
  (``{"attempts", "next_try", "last_error", "queued_at"}``). ``flush`` hands every due
  message to the transport over its one connection; a delivered one moves (with its
  sidecar) to ``outbox_dir/sent/``; a failed one (``OSError``, ``smtplib.SMTPException``,
  ``MailError``) stays queued with its attempt count raised and its next try put off by the
  backoff (1, 2, 4 ... 300 s of clock time). Nothing is deleted. Delivery is at-least-once:
  a crash between the server's acceptance and the move to ``sent/`` resends the message
  with the same Message-ID on the next flush.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import smtplib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from engine.clock import Clock
from engine.delivery.mail.durability import atomic_write, sync_files
from engine.delivery.mail.message import (
    HEADERS_ONLY,
    STAMP,
    envelope,
    message_bytes,
    message_filename,
    read_message,
)
from engine.delivery.mail.outbox import OutboxTransport
from engine.delivery.mail.transport import Transport, describe_failure
from engine.errors import MailError

__all__ = ["DEFAULT_BACKOFF", "FlushResult", "MailQueue"]

log = logging.getLogger(__name__)

#: Seconds of clock time before the 1st, 2nd, 3rd ... retry; the last value repeats.
DEFAULT_BACKOFF: tuple[float, ...] = (1, 2, 4, 8, 16, 32, 64, 128, 256, 300)


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
        atomic_write(path, message_bytes(msg), sync=sync)
        now = self.clock.now()
        self._write_status(path, _Status(0, now, None, now), sync=sync)
        log.info("已放入发件队列：%s", path.name)
        return path

    def stored(self) -> dict[str, str | None]:
        """The messages already on disk, by Message-ID (as in file names, without the date).

        The value is the file name where the message waits (in the outbox, or in ``queue/``),
        or ``None`` once the queue has handed it to the transport (``sent/``). A run killed
        between writing a message and recording it leaves such a file; see ``stored_key``.
        """
        folders = [self.outbox_dir] if self.direct else [self.queue_dir, self.sent_dir]
        found: dict[str, str | None] = {}
        for folder in folders:
            if not folder.is_dir():
                continue
            for path in sorted(folder.iterdir()):
                if path.suffix == ".eml" and not path.name.startswith("."):
                    found[path.name[STAMP:]] = None if folder == self.sent_dir else path.name
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
                        self._put_off(path, status, moment, exc)
                        touched.append(self._sidecar(path))
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
            headers = HEADERS_ONLY.parsebytes(data)
            if headers.get("Bcc") is None:  # a Bcc header must not travel: re-flatten then
                sender, recipients = envelope(headers)
                send_raw(data, sender, recipients, str(headers.get("Message-ID", "?")))
                return
        self.transport.send(read_message(data))

    def _put_off(self, path: Path, status: _Status, moment: datetime, exc: Exception) -> None:
        """Record a failed attempt in the sidecar (flushed by the caller) and log it."""
        status.attempts += 1
        status.next_try = moment + self.delay(status.attempts)
        status.last_error = describe_failure(exc)
        self._write_status(path, status, sync=False)
        log.warning(
            "邮件 %s 发送失败（第 %d 次，下次重试 %s）：%s",
            path.name,
            status.attempts,
            status.next_try.isoformat(),
            status.last_error,
        )

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
        atomic_write(self._sidecar(path), payload.encode("utf-8"), sync=sync)

    def _archive(self, path: Path, status: _Status, moment: datetime) -> Path:
        """Move a delivered message and a record of it to ``sent/`` (flushed by the caller)."""
        self.sent_dir.mkdir(parents=True, exist_ok=True)
        record = status.to_json()
        record["sent_at"] = moment.isoformat()
        target = self.sent_dir / path.name
        atomic_write(
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
