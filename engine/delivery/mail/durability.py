"""Files that are whole or absent, and on disk before anything records them as written.

``atomic_write`` writes a temporary file beside the target and renames it over the target:
a reader, or the next run after a crash, sees the old file or the whole new one, never a
part. Writing a message again under the name a crashed run left (see ``MailQueue.stored``)
therefore replaces that file whole.

Writing a batch without a flush per file (``sync=False``) and then ``sync_files`` once for
the batch is what lets a reminder run put an occurrence's messages on disk together before
it commits their sent-log rows.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["atomic_write", "sync_files"]


def atomic_write(path: Path, data: bytes, *, sync: bool = True) -> None:
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
