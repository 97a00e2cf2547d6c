"""Rows of a view kept per item while what each is built from stays the same.

The status table and the 汇总表 build one row per item from that item alone (its row in the
store, its events, its extensions) and the day it is judged on. A front end that shows them
again and again after each new event (the desk) passes a ``RowMemo``: an item whose inputs
are unchanged gets the row built before, and only the items the new events touched are
built again. The key is the whole of a row's inputs, so a kept row is the row that would be
built; without a memo every row is built, as the command line does.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

__all__ = ["RowMemo"]


class RowMemo:
    """Each item's last row with the inputs it was built from. Not thread-safe: one view
    builds at a time (the caller holds its lock)."""

    def __init__(self) -> None:
        self._rows: dict[str, tuple[Hashable, Any]] = {}

    def row(self, item: str, key: Hashable, build: Callable[..., Any], *args: Any) -> Any:
        """The row of ``item`` for inputs ``key``: kept, or ``build(*args)`` and kept."""
        found = self._rows.get(item)
        if found is not None and found[0] == key:
            return found[1]
        value = build(*args)
        self._rows[item] = (key, value)
        return value

    def __len__(self) -> int:
        return len(self._rows)
