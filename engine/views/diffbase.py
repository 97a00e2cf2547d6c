"""The parts of a definition comparison that every section uses: how values and bodies are
worded, how a change is recorded, and the deadlines of each side resolved for its own year."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from engine.definition.index import ProgrammeIndex
from engine.definition.loader import Definition
from engine.definition.schema import Deadline, SourceRef
from engine.errors import DocflowError
from engine.views.calendar import calendar_rows
from engine.views.wording import weekday

__all__ = [
    "_LEVELS",
    "DiffRecorder",
    "_deadline_parts",
    "_due_words",
    "_file_hash",
    "_fmt",
    "_names",
    "_rows",
    "_source",
]

_LEVELS = {"unit": "各单位各自完成", "programme": "全省层面由一个单位完成"}


# --- formatting values ---------------------------------------------------------------------


def _fmt(value: Any) -> str:
    if value is None or value == () or value == []:
        return "（无）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return "、".join(_fmt(v) for v in value)
    return str(value)


def _names(index: ProgrammeIndex, ids: Iterable[str]) -> str:
    """Bodies and groups by their Chinese names, the id in brackets when it differs."""
    names = []
    for ident in ids:
        if ident == "owner":
            names.append(f"{index.programme.programme.item}所属单位（owner）")
        elif ident == "inspector":
            names.append("检查组组长单位（inspector）")
        elif ident in index.bodies:
            names.append(f"{index.bodies[ident].short}（{ident}）")
        elif ident in index.groups:
            names.append(f"{index.groups[ident].label}（{ident}）")
        elif ident in index.relations:
            names.append(f"牵头单位的{index.relations[ident].label}（{ident}）")
        elif ident == "co":
            names.append("各责任单位（co）")
        else:
            names.append(ident)
    return "、".join(names) or "（无）"


def _source(ref: SourceRef | None) -> str:
    if ref is None:
        return "（无）"
    quote = f"「{ref.quote}」" if ref.quote else ""
    return f"{ref.document} {ref.clause}{quote}"


class DiffRecorder:
    """Collects the changes of one comparison, section by section."""

    def __init__(self, old: Definition, new: Definition) -> None:
        self.old = old
        self.new = new
        self.a = old.programme
        self.b = new.programme
        self.ia = old.index
        self.ib = new.index
        self.sections: list[dict[str, Any]] = []
        self._current: list[dict[str, str]] = []

    # -- recording -------------------------------------------------------------------------

    def section(self, key: str, title: str, build: Callable[[], None]) -> None:
        self._current = []
        build()
        self.sections.append({"key": key, "title": title, "changes": self._current})

    def add(self, kind: str, subject: str, text: str) -> None:
        self._current.append({"kind": kind, "subject": subject, "text": text})

    def fields(
        self,
        subject: str,
        old: Any,
        new: Any,
        spec: Sequence[tuple[str, str]],
        *,
        ids: Sequence[str] = (),
        labels: dict[str, dict[str, str]] | None = None,
    ) -> None:
        """One sentence for the fields of ``spec`` (attribute, Chinese name) that differ.

        Attributes in ``ids`` hold body or group ids: they are compared as sets of members
        ("增加 …；减少 …"). ``labels`` maps an attribute's codes to Chinese words.
        """
        parts = self.changed_fields(old, new, spec, ids=ids, labels=labels)
        if parts:
            self.add("changed", subject, f"{subject}：" + "；".join(parts))

    def changed_fields(
        self,
        old: Any,
        new: Any,
        spec: Sequence[tuple[str, str]],
        *,
        ids: Sequence[str] = (),
        labels: dict[str, dict[str, str]] | None = None,
    ) -> list[str]:
        parts = []
        for attr, name in spec:
            before, after = getattr(old, attr), getattr(new, attr)
            if before == after:
                continue
            if attr in ids:
                parts.append(f"{name}{self.members(before, after)}")
            elif isinstance(before, SourceRef) or isinstance(after, SourceRef):
                parts.append(f"{name} {_source(before)} → {_source(after)}")
            else:
                words = (labels or {}).get(attr, {})
                parts.append(
                    f"{name} {words.get(str(before), _fmt(before))} → "
                    f"{words.get(str(after), _fmt(after))}"
                )
        return parts

    def members(self, before: Sequence[str], after: Sequence[str]) -> str:
        """How a list of body/group ids changed, in names."""
        if isinstance(before, str):
            before = (before,)
        if isinstance(after, str):
            after = (after,)
        added = [m for m in after if m not in before]
        removed = [m for m in before if m not in after]
        parts = []
        if added:
            parts.append(f"增加 {_names(self.ib, added)}")
        if removed:
            parts.append(f"减少 {_names(self.ia, removed)}")
        if not parts:
            return f"顺序调整为 {_names(self.ib, after)}"
        return "，".join(parts)

    def keyed(
        self,
        what: str,
        old: Sequence[Any],
        new: Sequence[Any],
        key: Callable[[Any], str],
        describe: Callable[[Any, ProgrammeIndex], str],
        compare: Callable[[str, Any, Any], None],
    ) -> None:
        """Added, removed and changed items of two lists matched by ``key``."""
        before = {key(x): x for x in old}
        after = {key(x): x for x in new}
        for k, item in before.items():
            if k not in after:
                self.add("removed", f"{what} {k}", f"删除{what} {k}（{describe(item, self.ia)}）")
        for k, item in after.items():
            if k not in before:
                self.add("added", f"{what} {k}", f"新增{what} {k}（{describe(item, self.ib)}）")
        for k, item in before.items():
            if k in after and item != after[k]:
                compare(k, item, after[k])

    # -- the header ------------------------------------------------------------------------


def _file_hash(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _rows(definition: Definition) -> dict[str, dict[str, Any]]:
    try:
        rows, _ = calendar_rows(definition)
    except DocflowError:  # pragma: no cover - a loaded definition resolves its deadlines
        return {}
    return {r["step"]: r for r in rows}


def _due_words(row: dict[str, Any] | None) -> str:
    return row["due"] if row else "—"


def _deadline_parts(
    old: Deadline | None,
    new: Deadline | None,
    row_a: dict[str, Any] | None,
    row_b: dict[str, Any] | None,
) -> list[str]:
    if old is None and new is None:
        return []
    if old is None:
        assert new is not None
        return [f"新增时限 {new.governing_phrase}（{_due_words(row_b)}）"]
    if new is None:
        return [f"删除时限 {old.governing_phrase}（原为 {_due_words(row_a)}）"]
    parts = []
    due_a, due_b = _due_words(row_a), _due_words(row_b)
    dates = f"日期 {due_a} → {due_b}" if due_a != due_b else f"日期未变（{due_b}）"
    if old.governing_phrase == new.governing_phrase:
        if due_a != due_b:
            parts.append(f"时限表述未变（{new.governing_phrase}），{dates}")
    else:
        parts.append(f"时限表述 {old.governing_phrase} → {new.governing_phrase}，{dates}")
    if row_b and due_a != due_b and not row_b["is_working_day"]:
        parts.append(
            f"{row_b['due']} 为{weekday(date.fromisoformat(row_b['due']))}，非工作日"
            f"（此前最后一个工作日 {row_b['last_working_day']}）"
        )
    if old.phrase != new.phrase and (old.amendments or new.amendments):
        parts.append(f"原定时限表述 {old.phrase} → {new.phrase}")
    if old.starts != new.starts:
        parts.append(f"开始时间表述 {_fmt(old.starts)} → {_fmt(new.starts)}")
    elif new.starts and row_a and row_b and row_a["first"] != row_b["first"]:
        parts.append(f"开始日 {row_a['first']} → {row_b['first']}")
    amend_a = [(a.phrase, _source(a.source)) for a in old.amendments]
    amend_b = [(a.phrase, _source(a.source)) for a in new.amendments]
    if amend_a != amend_b:
        added = [a for a in amend_b if a not in amend_a]
        removed = [a for a in amend_a if a not in amend_b]
        words = []
        if added:
            words.append("增加 " + "、".join(f"「{p}」（{s}）" for p, s in added))
        if removed:
            words.append("删除 " + "、".join(f"「{p}」（{s}）" for p, s in removed))
        parts.append("时限改定：" + ("，".join(words) or "顺序调整"))
    if old.source != new.source:
        parts.append(f"时限出处 {_source(old.source)} → {_source(new.source)}")
    return parts
