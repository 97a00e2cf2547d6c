"""How the refusals name units, steps, lists of names and moments in their messages."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from engine.errors import Named

__all__ = ["labels_of", "minute_of", "spaced", "step_words", "unit_words"]


def unit_words(unit: Named) -> str:
    return f"单位 {unit.shown}"


def labels_of(names: Iterable[Named]) -> str:
    return "、".join(n.label for n in names)


def spaced(name: Named) -> str:
    """The name as shown, with a space before the next word unless it ends in ``）``."""
    return name.shown if name.shown.endswith("）") else f"{name.shown} "


def step_words(step: Named) -> str:
    return f"「{step.label}」"


def minute_of(moment: datetime) -> str:
    return moment.isoformat(sep=" ", timespec="minutes")[:16]
