"""The outbox folder as a transport: each message one ``.eml`` file, written atomically.

It is how the embedded default "sends": the files are the outbox an operator can read,
forward or archive. A Bcc header is not written into them (as ``smtplib`` does not send it):
a file forwarded as it is must not show who else received it.
"""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from engine.delivery.mail.durability import atomic_write
from engine.delivery.mail.message import message_bytes, message_filename, without_bcc
from engine.delivery.mail.transport import TransportUnavailable

__all__ = ["OutboxTransport"]


class OutboxTransport:
    """Delivers by writing each message to ``directory`` as one ``.eml`` file."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    def __repr__(self) -> str:
        return f"OutboxTransport({str(self.directory)!r})"

    def write(self, msg: EmailMessage, *, name: str | None = None, sync: bool = True) -> Path:
        """Write ``msg`` and return its file; the same Message-ID overwrites the same file.

        ``name`` writes it under that file name instead (a file an earlier run left for the
        same Message-ID); ``sync=False`` leaves it to :func:`sync_files`. A failed write
        raises the ``OSError``: the queue, which stores through this, reports it as such.
        """
        path = self.directory / (name or message_filename(msg))
        atomic_write(path, message_bytes(without_bcc(msg)), sync=sync)
        return path

    def send(self, msg: EmailMessage) -> None:
        try:
            self.write(msg)
        except OSError as exc:
            where = f"发件箱 {self.directory}"
            raise TransportUnavailable(where, str(msg.get("Message-ID", "?")), exc) from exc

    def close(self) -> None:
        pass
