"""The content-addressed document folder.

Every submitted document is kept once, under the SHA-256 of its bytes::

    documents/ab/ab12...ef      (two-character fan-out, then the full hex digest)

Files are written to a temporary name in the same directory and moved into place with
``os.replace``, so a reader never sees half a file and a crash leaves at most a stray
``.tmp-*`` file. Storing the same bytes again writes nothing.

Only regular files are taken (a device such as ``/dev/zero``, a FIFO or a directory is
refused before anything is read), up to ``max_size`` bytes (``DEFAULT_MAX_SIZE`` unless the
caller sets another limit); a file over the limit leaves nothing behind.

This module only handles files; the ``documents`` table (who submitted what, when) is kept
by :mod:`engine.runtime.store.documents`, and re-hashing for the audit is done by
:mod:`engine.runtime.trail`.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from engine.errors import FileTooLarge, InputFileError, StoreError, os_reason

__all__ = ["DEFAULT_MAX_SIZE", "DocumentFolder", "StoredDocument", "hash_file"]

_CHUNK = 1 << 20
#: The largest document kept unless configured otherwise (bytes): 100 MB.
DEFAULT_MAX_SIZE = 100 * (1 << 20)


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """A document kept in the folder: its digest, size, the name it came with, and where."""

    sha256: str
    size: int
    original_name: str
    relpath: str  # relative to the documents folder, always with "/" separators


def hash_file(path: Path) -> tuple[str, int]:
    """SHA-256 hex digest and size of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


class DocumentFolder:
    """A directory of documents named by their SHA-256."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        max_size: int = DEFAULT_MAX_SIZE,
        *,
        readonly: bool = False,
    ) -> None:
        self.root = Path(root)
        #: The largest file :meth:`store_file` takes, in bytes; callers may set another.
        self.max_size = max_size
        #: The folder of a store opened read-only: documents are read, never kept.
        self.readonly = readonly

    def __repr__(self) -> str:
        return f"DocumentFolder({str(self.root)!r})"

    @staticmethod
    def relpath_for(sha256: str) -> str:
        return f"{sha256[:2]}/{sha256}"

    def path_for(self, sha256: str) -> Path:
        """Absolute place of the document with this digest (whether or not it exists)."""
        return self.root / sha256[:2] / sha256

    def path_of(self, relpath: str) -> Path:
        """Absolute place of a ``stored_at`` value from the ``documents`` table."""
        return self.root.joinpath(*relpath.split("/"))

    def contains(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def store_bytes(self, data: bytes, original_name: str) -> StoredDocument:
        """Keep ``data``; return where it lives. Idempotent for the same bytes."""
        self._require_writable()
        sha = hashlib.sha256(data).hexdigest()
        target = self.path_for(sha)
        if not target.is_file():
            self._write_atomically(target, iter((data,)))
        return StoredDocument(sha, len(data), original_name, self.relpath_for(sha))

    def store_file(
        self, path: str | os.PathLike[str], original_name: str | None = None
    ) -> StoredDocument:
        """Copy the file at ``path`` into the folder (hashing while copying).

        Raises :class:`InputFileError` when the file is missing, is not a regular file or
        cannot be read, :class:`FileTooLarge` when it exceeds ``max_size``;
        :class:`StoreError` when the documents folder cannot be written.
        """
        self._require_writable()
        source = Path(path)
        name = original_name if original_name is not None else source.name
        try:
            handle = _open_regular(source, self.max_size)  # closed in the finally below
        except FileNotFoundError:
            raise InputFileError(str(source), "文件不存在") from None
        except IsADirectoryError:
            raise InputFileError(str(source), "这是一个目录，不是文件") from None
        except PermissionError:
            raise InputFileError(str(source), "没有读取权限") from None
        except OSError as exc:
            raise InputFileError(str(source), f"无法读取（{os_reason(exc)}）") from None
        try:
            digest = hashlib.sha256()
            size = 0

            def chunks() -> Iterator[bytes]:
                nonlocal size
                while True:
                    try:
                        chunk = handle.read(_CHUNK)
                    except OSError as exc:
                        raise InputFileError(str(source), f"读取中断（{os_reason(exc)}）") from None
                    if not chunk:
                        return
                    digest.update(chunk)
                    size += len(chunk)
                    if size > self.max_size:  # it grew while being read
                        raise FileTooLarge(str(source), size, self.max_size)
                    yield chunk

            # The digest is only known after reading, so copy into a temporary file in the
            # folder's root and move it to its content address afterwards.
            tmp = self._write_temp(self.root, chunks())
        finally:
            handle.close()
        sha = digest.hexdigest()
        target = self.path_for(sha)
        try:
            if target.is_file():
                tmp.unlink()
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, target)
                _fsync_dir(target.parent)
        except OSError as exc:
            _unlink_quietly(tmp)
            raise StoreError(f"无法写入文件夹 {self.root}：{os_reason(exc)}") from None
        return StoredDocument(sha, size, name, self.relpath_for(sha))

    def read_bytes(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    # -- internals ------------------------------------------------------------------------

    def _require_writable(self) -> None:
        if self.readonly:
            raise StoreError(f"文件夹 {self.root} 属于以只读方式打开的存储库，不能写入")

    def _write_atomically(self, target: Path, chunks: Iterator[bytes]) -> None:
        tmp = self._write_temp(target.parent, chunks)
        try:
            os.replace(tmp, target)
        except OSError as exc:
            _unlink_quietly(tmp)
            raise StoreError(f"无法写入文件夹 {self.root}：{os_reason(exc)}") from None
        _fsync_dir(target.parent)

    def _write_temp(self, directory: Path, chunks: Iterator[bytes]) -> Path:
        try:
            directory.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=".tmp-", dir=directory)
        except OSError as exc:
            raise StoreError(f"无法在文件夹 {directory} 中写入文件：{os_reason(exc)}") from None
        tmp = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException as exc:
            _unlink_quietly(tmp)
            if isinstance(exc, OSError):
                raise StoreError(f"无法在文件夹 {directory} 中写入文件：{os_reason(exc)}") from None
            raise
        return tmp


def _open_regular(source: Path, max_size: int) -> BinaryIO:
    """``source`` opened for reading if it is a regular file within ``max_size``.

    Opened without blocking (a FIFO would wait for a writer) and checked on the open
    descriptor, so what is checked is what is read.
    """
    fd = os.open(source, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, "is a directory", str(source))
        if not stat.S_ISREG(info.st_mode):
            raise InputFileError(str(source), "不是普通文件（设备、管道或套接字），不能报送")
        if info.st_size > max_size:
            raise FileTooLarge(str(source), info.st_size, max_size)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable (POSIX); harmless where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
