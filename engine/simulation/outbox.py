"""Where a simulated year's mail goes: never mixed with real mail.

The outbox must not hold .eml files already (the default outbox is the folder ``remind``
writes to), unless every one of them is from an earlier simulation: a simulation leaves the
list of the files it wrote (``.docflow-simulation.json``), and the next one replaces exactly
those files, once its year has run. Until then the year's mail is written into a staging
folder; a run that fails leaves the outbox untouched.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from engine.errors import Refused

__all__ = ["MARKER", "OutboxStaging"]

MARKER = ".docflow-simulation.json"  # in the outbox: the files a simulation wrote there


class OutboxStaging:
    """An outbox checked before the year runs; ``publish`` moves the staged mail into it."""

    def __init__(self, outbox: Path) -> None:
        self.outbox = outbox
        self.earlier = _earlier_simulation(outbox)  # refuses mail no simulation wrote

    def publish(self, staging: Path) -> tuple[int, int]:
        """Replace the earlier simulation's files by the staged ones (names unchanged).

        Returns how many files were moved in and how many of the earlier ones removed. The
        outbox then gets the list of what was moved (``MARKER``), so that the next
        simulation may replace these files and only these. Before anything is removed the
        marker lists the earlier files and the new ones together: interrupted at any
        point, the outbox holds only files a marker lists, which the next run replaces.
        """
        self.outbox.mkdir(parents=True, exist_ok=True)
        staged = sorted(staging.rglob("*.eml")) if staging.is_dir() else []
        names = [source.relative_to(staging).as_posix() for source in staged]
        earlier = [old.relative_to(self.outbox).as_posix() for old in self.earlier]
        self._write_marker(sorted({*earlier, *names}))
        for old in self.earlier:
            old.unlink(missing_ok=True)
        for source, name in zip(staged, names, strict=True):
            target = self.outbox / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(source, target)
        self._write_marker(names)
        return len(names), len(self.earlier)

    def _write_marker(self, files: list[str]) -> None:
        """The list of simulated files, replaced in one rename (never half-written)."""
        marker = {"note": "docflow simulate 写入的演练邮件；再次演练时替换这些文件", "files": files}
        partial = self.outbox / f"{MARKER}.partial"
        with partial.open("w", encoding="utf-8") as f:
            f.write(json.dumps(marker, ensure_ascii=False, indent=1) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, self.outbox / MARKER)


def _earlier_simulation(outbox: Path) -> list[Path]:
    """Refuse an outbox with mail in it, unless all of it is an earlier simulation's.

    Returns the earlier simulation's files, to be removed once the new year has run.
    """
    if outbox.exists() and not outbox.is_dir():
        raise Refused(f"发件箱位置 {outbox} 不是目录，请用 --outbox 给出一个目录")
    if not outbox.is_dir():
        return []
    found = sorted(outbox.rglob("*.eml"))
    if not found:
        return []
    try:
        listed = json.loads((outbox / MARKER).read_text(encoding="utf-8"))["files"]
        simulated = {outbox / name for name in listed if isinstance(name, str)}
    except (OSError, ValueError, KeyError, TypeError):
        simulated = set()
    others = [path for path in found if path not in simulated]
    if others:
        raise Refused(
            f"发件箱 {outbox} 中已有 {len(others)} 封不是演练生成的邮件（.eml，如 "
            f"{others[0].name}）。演练不与其他邮件混在一起：请用 --outbox 指定一个空目录"
            "（或不存在的目录），或先清空该目录"
        )
    return found
