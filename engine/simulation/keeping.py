"""Keeping a simulated year's store (``--db``): moved into place only once the year ran.

The year always runs on a fresh SQLite store in the temporary folder. With ``db`` its
file and its documents are moved beside the place ``db`` names once the year has run, so
a run that fails (a scenario action the engine refuses, an interruption) leaves no
half-written store behind that the next run would refuse. The documents go first (copied
under a temporary name and renamed, each; documents are stored by their SHA-256, so a
file already there is the same one), the database file last, by one rename: until that
rename there is no store at ``db``; a failure before it removes what was copied.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from engine.errors import OutputFileError, Refused, os_reason

__all__ = ["DOCUMENTS", "STORE_FILE", "check_target", "install_store"]

STORE_FILE = "simulate.db"  # the temporary store, in the work folder
DOCUMENTS = "documents"  # its documents, beside it (the default of every SQLite store)


def check_target(db: str | None) -> Path | None:
    """Where the store is to be kept, checked before the year runs (None: not kept)."""
    if db is None:
        return None
    if "://" in db:
        raise Refused(
            f"演练的存储库须是一个新的 SQLite 文件路径，而不是数据库地址（{db}）：演练先在临时"
            "存储库中进行，全年演练成功后才移到该处"
        )
    target = Path(db).absolute()
    if target.exists():
        raise Refused(
            f"存储库 {db} 已存在：演练须使用新的存储库（--db 给出一个不存在的文件，"
            "或不给 --db 使用临时存储库）"
        )
    if not target.parent.is_dir():
        raise Refused(f"存储库 {db} 所在的目录 {target.parent} 不存在")
    return target


def install_store(work: Path, target: Path) -> None:
    """Move the closed store of ``work`` (``STORE_FILE`` and ``DOCUMENTS``) to ``target``."""
    copied: list[Path] = []
    partial = target.with_name(f".{target.name}.partial")
    try:
        source_docs = work / DOCUMENTS
        documents = target.parent / DOCUMENTS
        if source_docs.is_dir():
            for source in sorted(p for p in source_docs.rglob("*") if p.is_file()):
                dest = documents / source.relative_to(source_docs)
                if dest.exists():
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                _copy(source, dest.with_name(f".{dest.name}.partial"), dest)
                copied.append(dest)
        if target.exists():
            raise Refused(f"存储库 {target} 在演练期间被创建：演练的存储库没有移入")
        _copy(work / STORE_FILE, partial, target)
    except OSError as exc:
        _remove([partial, *copied])
        raise OutputFileError(str(target), os_reason(exc)) from None
    except BaseException:
        _remove([partial, *copied])
        raise


def _copy(source: Path, partial: Path, dest: Path) -> None:
    shutil.copyfile(source, partial)
    with partial.open("rb") as f:
        os.fsync(f.fileno())
    os.replace(partial, dest)


def _remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
