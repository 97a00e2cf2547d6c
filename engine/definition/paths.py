"""Where a definition's parts are: a value by its path, and every source reference with the
path it sits at (so a quote that is not in the source text is reported at its line)."""

from __future__ import annotations

from engine.definition.schema import Deadline, Programme, SourceRef

__all__ = ["_MISSING", "PathT", "_lookup", "_source_refs", "_squeeze"]

PathT = tuple[str | int, ...]

_MISSING = object()


def _lookup(model: object, path: PathT) -> object:
    """The value at a dotted path of the definition, or ``_MISSING``."""
    current: object = model
    for part in path:
        if isinstance(part, int):
            if not isinstance(current, tuple) or not 0 <= part < len(current):
                return _MISSING
            current = current[part]
        else:
            fields = getattr(type(current), "model_fields", None)
            if not fields or part not in fields:
                return _MISSING
            current = getattr(current, part)
    return current


def _squeeze(text: str) -> str:
    return "".join(text.split())


def _source_refs(p: Programme) -> list[tuple[PathT, SourceRef]]:
    refs: list[tuple[PathT, SourceRef]] = []

    def deadline(path: PathT, d: Deadline | None) -> None:
        if d is None:
            return
        refs.append(((*path, "source"), d.source))
        refs.extend(
            ((*path, "amendments", j, "source"), a.source) for j, a in enumerate(d.amendments)
        )

    for i, g in enumerate(p.groups):
        if g.source:
            refs.append((("groups", i, "source"), g.source))
    if p.working_group and p.working_group.source:
        refs.append((("working_group", "source"), p.working_group.source))
    refs.extend((("phases", i, "source"), ph.source) for i, ph in enumerate(p.phases))
    refs.append((("points", "enrolment", "source"), p.points.enrolment.source))
    for i, t in enumerate(p.points.transitions):
        deadline(("points", "transitions", i, "deadline"), t.deadline)
        if t.source_clause:
            refs.append((("points", "transitions", i, "source_clause"), t.source_clause))
    for i, task in enumerate(p.tasks):
        deadline(("tasks", i, "deadline"), task.deadline)
        if task.source_clause:
            refs.append((("tasks", i, "source_clause"), task.source_clause))
    refs.extend((("reports", i, "source"), r.source) for i, r in enumerate(p.reports) if r.source)
    return refs
