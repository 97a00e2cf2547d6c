"""What a user types into the record: point ids from a safe alphabet, and text without
control, bidirectional or invisible characters.

A title, reason or unit name is shown by ``status``, ``log``, the report and the exports; an
ESC or CR in it drives the reader's terminal, a U+202E reverses what follows, a zero-width
space makes two names look the same. A point id also names links and rows, so it keeps to
letters, digits, ``-``, ``_`` and ``.`` (never ``/`` or ``..``). Each check names where the
value came from (an argument, or ``file:line``), so the refusal says what to correct.
"""

from __future__ import annotations

import re
import unicodedata

from engine.refusals import BadIdentifier, UnsafeText

__all__ = ["MAX_POINT_ID", "check_point_id", "check_text", "unsafe_character"]

MAX_POINT_ID = 64

_POINT_ID = re.compile(r"[A-Za-z0-9._-]+")
# Unicode categories that never belong in a name or reason: controls (Cc: ESC, CR, TAB ...),
# format characters (Cf: U+200B zero-width space, U+200E/F, U+202A-U+202E and U+2066-U+2069
# bidirectional controls, U+FEFF), line and paragraph separators, surrogates (an argument
# that was not valid UTF-8) and private-use characters.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
# Blank-looking letters that are not format characters but show as nothing.
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def unsafe_character(text: str) -> tuple[int, str] | None:
    """The first unsafe character of ``text`` as (1-based position, character), or None."""
    for position, char in enumerate(text, 1):
        if char in _INVISIBLE or unicodedata.category(char) in _UNSAFE_CATEGORIES:
            return position, char
    return None


def check_text(text: str, where: str) -> str:
    """``text`` unchanged, or :class:`UnsafeText` naming ``where`` and the character."""
    found = unsafe_character(text)
    if found is not None:
        position, char = found
        raise UnsafeText(where, char, position)
    return text


def check_point_id(point_id: str, where: str) -> str:
    """``point_id`` unchanged, or :class:`BadIdentifier` naming ``where``."""
    if len(point_id) > MAX_POINT_ID or not _POINT_ID.fullmatch(point_id) or not point_id.strip("."):
        raise BadIdentifier(point_id, where)
    return point_id
