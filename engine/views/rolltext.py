"""Editing a programme file as text for ``roll``: values rewritten in place at their YAML
marks, so that the administrator's comments and layout survive, with the lines roll itself
writes (the notes, the ``unconfirmed:`` list, the schema link)."""

import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from engine.definition.yamlio import Marks

__all__ = [
    "UNCONFIRMED_COMMENT",
    "_MARKER",
    "_CannotEdit",
    "_Change",
    "_dotted",
    "_drop_block",
    "_edit_text",
    "_mark_lines",
    "_relink_schema",
    "_set",
    "_top_note",
    "_unconfirmed_block",
]

#: The comment put on every line whose value the administrator must confirm.
UNCONFIRMED_COMMENT = "# 待确认"
_MARKER = "# docflow roll："  # starts the comment lines roll itself writes
_SCHEMA_LINE = re.compile(r"^(#\s*yaml-language-server:\s*\$schema=)(\S+)(.*)$")


def _dotted(path: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in path)


@dataclass
class _Change:
    path: tuple[str | int, ...]
    old: Any
    new: Any
    token: str  # the text to replace inside the scalar ("" = leave the text as it is)
    replacement: str
    confirm: bool  # listed under ``unconfirmed`` and marked ``# 待确认``
    note: str = ""


class _CannotEdit(Exception):
    """A value the text edits cannot rewrite in place; ``path`` is where (dotted)."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def _offsets(text: str) -> list[int]:
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    return starts


def _scalar_span(text: str, start: int, value: Any) -> tuple[int, int]:
    """Start and end (exclusive) of the scalar written at ``start``."""
    quote = text[start : start + 1]
    if quote == "'":
        i = start + 1
        while True:
            j = text.find("'", i)
            if j < 0:
                break
            if text[j + 1 : j + 2] == "'":
                i = j + 2
                continue
            return start, j + 1
    elif quote == '"':
        i = start + 1
        while i < len(text):
            if text[i] == "\\":
                i += 2
                continue
            if text[i] == '"':
                return start, i + 1
            i += 1
    else:
        raw = value.isoformat() if isinstance(value, date) else str(value)
        if text.startswith(raw, start):
            return start, start + len(raw)
    raise _CannotEdit("")


def _edit_text(text: str, marks: Marks, changes: list[_Change]) -> tuple[str, set[int]]:
    """``text`` with each change applied inside its scalar; the 0-based lines to mark."""
    lines = _offsets(text)
    edits: list[tuple[int, int, str]] = []
    to_mark: set[int] = set()
    for change in changes:
        if change.path not in marks.positions:
            raise _CannotEdit(_dotted(change.path))
        line, column = marks.positions[change.path]
        start = lines[line - 1] + column - 1
        try:
            first, end = _scalar_span(text, start, change.old)
        except _CannotEdit:
            raise _CannotEdit(_dotted(change.path)) from None
        if change.token:
            scalar = text[first:end]
            if change.path[-1] == "title":
                updated = scalar.replace(change.token, change.replacement)
            else:
                updated = scalar.replace(change.token, change.replacement, 1)
            if updated == scalar:
                raise _CannotEdit(_dotted(change.path))
            edits.append((first, end, updated))
        if change.confirm:
            to_mark.add(line - 1)
    for first, end, updated in sorted(edits, reverse=True):
        text = text[:first] + updated + text[end:]
    return text, to_mark


def _mark_lines(text: str, to_mark: set[int]) -> str:
    lines = text.split("\n")
    for number in to_mark:
        if UNCONFIRMED_COMMENT not in lines[number]:
            lines[number] = lines[number].rstrip() + "  " + UNCONFIRMED_COMMENT
    return "\n".join(lines)


def _drop_block(text: str, marks: Marks, key: str) -> str:
    """``text`` without the top-level ``key`` (and roll's own comments just above it)."""
    if (key,) not in marks.key_positions:
        return text
    lines = text.split("\n")
    first = marks.key_positions[(key,)][0] - 1
    last = first + 1
    while last < len(lines):
        line = lines[last]
        if line and not line[0].isspace() and not line.startswith(("#", "-")):
            break
        last += 1
    while first > 0 and lines[first - 1].startswith(_MARKER):
        first -= 1
    # Keep comments that belong to the next key (those directly above it).
    while last > first + 1 and lines[last - 1].startswith("#") and last < len(lines):
        last -= 1
    return "\n".join(lines[:first] + lines[last:])


def _unconfirmed_block(paths: list[str], old_id: str, new_year: int) -> str:
    lines = [
        "",
        f"{_MARKER}以下各项是以 {old_id} 为底稿推算的 {new_year} 年值（文件中标有「{UNCONFIRMED_COMMENT[2:]}」）：",
        f"{_MARKER}日期已移到 {new_year} 年的同月同日，发文字号已改为 {new_year} 年，均须按新年度的文件核实。",
        f"{_MARKER}核实一项，删去一项；全部核实后删去 unconfirmed。docflow validate 在此之前逐项警告。",
        "unconfirmed:",
        *(f"  - {p}" for p in paths),
        "",
    ]
    return "\n".join(lines)


def _top_note(text: str, old_id: str, new_year: int) -> str:
    lines = text.split("\n")
    at = 1 if lines and _SCHEMA_LINE.match(lines[0]) else 0
    while at < len(lines) and lines[at].startswith(_MARKER):  # an earlier roll's note
        del lines[at]
    note = [
        f"{_MARKER}本文件由 docflow roll 以 {old_id} 为底稿生成，年度改为 {new_year} 年；时限表述按原文保留，",
        f"{_MARKER}按 {new_year} 年日历重新解析。标「{UNCONFIRMED_COMMENT[2:]}」的值须核实，见文末 unconfirmed。",
    ]
    return "\n".join(lines[:at] + note + lines[at:])


def _relink_schema(text: str, source: Path, out: Path) -> str:
    lines = text.split("\n")
    match = _SCHEMA_LINE.match(lines[0]) if lines else None
    if match is None or "://" in match.group(2) or os.path.isabs(match.group(2)):
        return text
    target = (source / match.group(2)).resolve()
    if not target.exists():
        return text
    relative = Path(os.path.relpath(target, out.resolve())).as_posix()
    lines[0] = f"{match.group(1)}{relative}{match.group(3)}"
    return "\n".join(lines)


def _set(data: Any, path: tuple[str | int, ...], value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value
