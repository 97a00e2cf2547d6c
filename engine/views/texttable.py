"""Plain-text tables that line up Chinese text in a terminal (wide characters count 2)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

__all__ = ["display_width", "text_table"]


def display_width(text: str) -> int:
    """Columns ``text`` takes in a fixed-width font: East-Asian wide characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def text_table(head: Sequence[str], rows: Sequence[Sequence[str]], gap: str = "  ") -> list[str]:
    """Lines of a table, each column as wide as its widest cell."""
    every = [list(head), *(list(r) for r in rows)]
    widths = [max(display_width(r[i]) for r in every) for i in range(len(head))]
    return [
        gap.join(
            cell + " " * (widths[i] - display_width(cell)) for i, cell in enumerate(r)
        ).rstrip()
        for r in every
    ]
