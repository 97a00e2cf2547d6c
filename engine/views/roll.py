"""Next year's programme from this year's: ``docflow roll PROGRAMME --year 2012 --out DIR``.

The new ``programme.yaml`` is this year's file edited as text, so that its comments and
layout survive: the positions of the values to change come from the YAML marks of
``engine.definition.yamlio.read_yaml``. What changes:

- ``programme.year`` becomes the new year and ``programme.id`` follows it (gd-2011 → gd-2012);
- every literal date (``programme.issued``, ``documents[].issued``, calendar holidays and
  调休 workdays) moves to the same month and day of the new year, and every 发文字号 gets the
  new year in its 〔〕 - each of these is only a guess, so it is marked ``# 待确认`` and its
  dotted path is listed under a top-level ``unconfirmed:`` key, which ``docflow validate``
  reports until the administrator has checked the value and removed the entry;
- deadline phrases stay as written: they are resolved again for the new year.

The source texts the quotes are checked against are copied as they are (they remain this
year's notice until the new notice is issued); example points and rehearsal scenarios are
not copied, because next year's points are proposed afresh. The report lists, for every
deadline, its date this year and next year with the weekday and whether it is a working day
by the new year's official calendar.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from engine.definition.loader import PROGRAMME_FILE, Definition, load_definition
from engine.definition.schema import Programme
from engine.definition.workcal import WorkCalendar
from engine.definition.yamlio import Marks, read_yaml
from engine.errors import DefinitionError, DocflowError, Refused, os_reason
from engine.refusals import CannotRewrite
from engine.views.calendar import calendar_rows
from engine.views.rolltext import (
    UNCONFIRMED_COMMENT,
    _CannotEdit,
    _Change,
    _dotted,
    _drop_block,
    _edit_text,
    _mark_lines,
    _relink_schema,
    _set,
    _top_note,
    _unconfirmed_block,
)
from engine.views.texttable import text_table
from engine.views.wording import weekday

__all__ = ["UNCONFIRMED_COMMENT", "render_roll_report", "roll_programme"]


_NOT_COPIED_REASONS = (
    (re.compile(r"^points.*\.(ya?ml|csv)$"), "示例{item}：新年度的{item}由各单位重新提出"),
    (re.compile(r"^scenario.*\.ya?ml$"), "演练情景：按新年度的日期另行编写"),
)


def _moved(day: date, years: int) -> tuple[date, str]:
    try:
        return day.replace(year=day.year + years), ""
    except ValueError:  # 2月29日 in a year without one
        moved = day.replace(year=day.year + years, day=28)
        return moved, f"{moved.year} 年没有 2 月 29 日，暂按 2 月 28 日"


_DOC_YEAR = r"([〔\[【（(]\s*){year}(\s*[〕\]】）)])"


def _changes(data: dict[str, Any], old_year: int, new_year: int) -> list[_Change]:
    """Every value roll edits, with the text to replace inside its scalar."""
    years = new_year - old_year
    header = data["programme"]
    found: list[_Change] = [
        _Change(("programme", "year"), old_year, new_year, str(old_year), str(new_year), False)
    ]
    old_id = str(header["id"])
    if str(old_year) in old_id:
        new_id = old_id.replace(str(old_year), str(new_year))
    else:
        new_id = f"{old_id}-{new_year}"
    found.append(_Change(("programme", "id"), old_id, new_id, old_id, new_id, False))

    def date_at(path: tuple[str | int, ...], value: Any) -> None:
        if isinstance(value, date):
            moved, note = _moved(value, years)
            found.append(
                _Change(path, value, moved, value.isoformat(), moved.isoformat(), True, note)
            )

    def doc_number_at(path: tuple[str | int, ...], value: Any) -> None:
        if not isinstance(value, str):
            return
        match = re.search(_DOC_YEAR.format(year=old_year), value)
        if match is None:
            found.append(
                _Change(path, value, value, "", "", True, f"文号中没有〔{old_year}〕，未改动")
            )
            return
        token = match.group(0)
        replacement = f"{match.group(1)}{new_year}{match.group(2)}"
        new = value[: match.start()] + replacement + value[match.end() :]
        found.append(_Change(path, value, new, token, replacement, True))

    def title_at(path: tuple[str | int, ...], value: Any) -> None:
        if isinstance(value, str) and str(old_year) in value:
            new = value.replace(str(old_year), str(new_year))
            found.append(_Change(path, value, new, str(old_year), str(new_year), True))

    title_at(("programme", "title"), header.get("title"))
    doc_number_at(("programme", "doc_number"), header.get("doc_number"))
    date_at(("programme", "issued"), header.get("issued"))
    for i, doc in enumerate(header.get("documents") or []):
        if isinstance(doc, dict):
            base: tuple[str | int, ...] = ("programme", "documents", i)
            title_at((*base, "title"), doc.get("title"))
            doc_number_at((*base, "doc_number"), doc.get("doc_number"))
            date_at((*base, "issued"), doc.get("issued"))
    calendar = header.get("calendar") or {}
    for i, holiday in enumerate(calendar.get("holidays") or []):
        if isinstance(holiday, dict):
            for key in ("first", "last"):
                date_at(("programme", "calendar", "holidays", i, key), holiday.get(key))
    for i, day in enumerate(calendar.get("workdays") or []):
        date_at(("programme", "calendar", "workdays", i), day)
    return found


# --- the roll ------------------------------------------------------------------------------


def _write_folder(
    definition: Definition, out_dir: Path, edited: str
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Write the new folder whole or not at all: built beside it, then renamed into place."""
    for ancestor in out_dir.parents:
        if ancestor.exists():
            if not ancestor.is_dir():
                raise Refused(f"无法创建新方案目录 {out_dir}：{ancestor} 是文件，不是目录")
            break
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    except OSError as exc:
        raise Refused(f"无法创建新方案目录 {out_dir}：{os_reason(exc)}") from None
    try:
        (staging / PROGRAMME_FILE).write_text(edited, encoding="utf-8")
        copied, not_copied = _copy_files(definition, staging)
        if out_dir.is_dir():
            out_dir.rmdir()  # checked empty above
        os.rename(staging, out_dir)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise Refused(f"无法写入新方案目录 {out_dir}：{os_reason(exc)}（未写入任何文件）") from None
    return copied, not_copied


def roll_programme(programme: str | Path, year: int, out: str | os.PathLike[str]) -> dict[str, Any]:
    """Write next year's programme folder from ``programme`` and report what moved."""
    definition = load_definition(programme)
    header = definition.programme.programme
    old_year = header.year
    if year == old_year:
        raise Refused(f"新年度 {year} 与原方案年度相同，无需滚动")
    out_dir = Path(out)
    if out_dir.exists() and not out_dir.is_dir():
        raise Refused(f"{out_dir} 已存在且不是目录")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        raise Refused(f"目录 {out_dir} 已存在且不为空：请换一个目录，或先清空它")
    if out_dir.resolve() == definition.folder.resolve():
        raise Refused("新方案目录不能与原方案目录相同")

    text = definition.file.read_text(encoding="utf-8")
    data, marks = read_yaml(text, str(definition.file))
    changes = _changes(data, old_year, year)
    try:
        edited, to_mark = _edit_text(text, marks, changes)
    except _CannotEdit as exc:
        raise CannotRewrite(str(definition.file), exc.path) from None
    edited = _mark_lines(edited, to_mark)
    previous = [str(p) for p in data.get("unconfirmed") or [] if isinstance(p, str)]
    edited = _drop_block(edited, marks, "unconfirmed")
    paths = list(dict.fromkeys([*previous, *(_dotted(c.path) for c in changes if c.confirm)]))
    if paths:
        edited = edited.rstrip("\n") + "\n" + _unconfirmed_block(paths, header.id, year)
    edited = _top_note(edited, header.id, year)
    edited = _relink_schema(edited, definition.folder, out_dir)

    # The edits must change exactly the values meant, nothing else.
    expected = copy.deepcopy(data)
    for change in changes:
        _set(expected, change.path, change.new)
    if paths:
        expected["unconfirmed"] = paths
    out_file = out_dir / PROGRAMME_FILE
    new_data, new_marks = read_yaml(edited, str(out_file))
    if new_data != expected:  # pragma: no cover - a bug in the text edits, never user input
        raise CannotRewrite(str(definition.file), None)

    copied, not_copied = _write_folder(definition, out_dir, edited)

    validation = _validate(out_dir)
    old_rows, _ = calendar_rows(definition)
    new_definition = validation.pop("definition", None) or _as_definition(
        new_data, new_marks, out_file, edited
    )
    new_rows: list[dict[str, Any]] | None = None
    calendar_notes: list[str] = []
    if new_definition is not None:
        try:
            rows, notes = calendar_rows(new_definition)
            new_rows = rows
            calendar_notes = [d.message for d in notes]
        except DocflowError as exc:
            calendar_notes = [f"无法按 {year} 年解析时限：{exc.message}"]
    shift = header.calendar.shift_to_working_day
    deadlines = _compare_deadlines(definition, new_definition, old_rows, new_rows, shift)
    new_id = next(c.new for c in changes if c.path == ("programme", "id"))
    return {
        "source": str(definition.file),
        "out": str(out_dir),
        "file": str(out_file),
        "from": {"id": header.id, "year": old_year},
        "to": {"id": new_id, "year": year},
        "official_calendar": WorkCalendar.has_official_data(year),
        "unconfirmed": [
            {
                "path": _dotted(c.path),
                "old": _plain(c.old),
                "new": _plain(c.new),
                "note": c.note,
            }
            for c in changes
            if c.confirm
        ],
        "kept_unconfirmed": [p for p in previous if p not in {_dotted(c.path) for c in changes}],
        "copied": copied,
        "not_copied": not_copied,
        "deadlines": deadlines,
        "calendar_notes": calendar_notes,
        "validation": validation,
    }


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _copy_files(
    definition: Definition, out_dir: Path
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    source = definition.folder
    copied: list[dict[str, str]] = []
    seen: set[Path] = set()
    for doc in definition.programme.programme.documents:
        if doc.text_file is None:
            continue
        src = (source / doc.text_file).resolve()
        if src in seen:
            continue
        seen.add(src)
        try:
            relative = src.relative_to(source.resolve())
        except ValueError:
            copied.append(
                {
                    "file": doc.text_file,
                    "note": "不在方案目录内，未复制：请把原文放入新方案目录并改写 text_file",
                }
            )
            continue
        target = out_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
        copied.append(
            {
                "file": relative.as_posix(),
                "note": f"原文照录（{definition.programme.programme.year} 年的文件）："
                "新年度文件印发后请替换原文，并核对各条引语",
            }
        )
    not_copied: list[dict[str, str]] = []
    for entry in sorted(source.iterdir()):
        resolved = entry.resolve()
        if resolved == definition.file.resolve() or resolved in seen:
            continue
        if entry.name.startswith("."):
            continue
        reason = "不属于方案定义，未复制"
        for pattern, why in _NOT_COPIED_REASONS:
            if pattern.match(entry.name):
                reason = why.format(item=definition.programme.programme.item)
        if entry.is_dir():
            inside = any(resolved in copied_file.parents for copied_file in seen)
            reason = "子目录，其中的原文已复制，其余未复制" if inside else "子目录，未复制"
        not_copied.append({"file": entry.name, "reason": reason})
    return copied, not_copied


def _validate(out_dir: Path) -> dict[str, Any]:
    try:
        loaded = load_definition(out_dir)
    except DefinitionError as exc:
        return {
            "ok": False,
            "errors": [str(d) for d in exc.diagnostics if d.severity == "error"],
            "warnings": [str(d) for d in exc.diagnostics if d.severity == "warning"],
        }
    return {
        "ok": True,
        "errors": [],
        "warnings": [str(d) for d in loaded.warnings],
        "definition": loaded,
    }


def _as_definition(data: Any, marks: Marks, file: Path, text: str) -> Definition | None:
    """The new programme for resolving its deadlines, when the full check did not pass."""
    shaped = dict(data)
    if "unconfirmed" not in Programme.model_fields:  # an older schema: the key is ours only
        shaped.pop("unconfirmed", None)
    try:
        programme = Programme.model_validate(shaped)
    except ValueError:
        return None
    return Definition(
        programme=programme,
        file=file,
        marks=marks,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def _day(row: dict[str, Any] | None, definition: Definition | None) -> dict[str, Any] | None:
    if row is None or definition is None:
        return None
    due = date.fromisoformat(row["due"])
    holiday = None
    if not row["is_working_day"]:
        from engine.definition.deadlines import calendar_for

        holiday = calendar_for(definition.programme.programme.calendar).holiday_name(due)
    return {
        "first": row["first"],
        "due": row["due"],
        "weekday": weekday(due),
        "is_working_day": row["is_working_day"],
        "last_working_day": row["last_working_day"],
        "holiday": holiday,
    }


def _compare_deadlines(
    old_definition: Definition,
    new_definition: Definition | None,
    old_rows: list[dict[str, Any]],
    new_rows: list[dict[str, Any]] | None,
    shift: bool,
) -> list[dict[str, Any]]:
    by_step = {r["step"]: r for r in new_rows or []}
    result = []
    for row in old_rows:
        old = _day(row, old_definition)
        new = _day(by_step.get(row["step"]), new_definition)
        assert old is not None
        result.append(
            {
                "step": row["step"],
                "label": row["label"],
                "phrase": row["phrase"],
                "original_phrase": row["original_phrase"],
                "old": old,
                "new": new,
                "moved": _what_moved(old, new, shift),
            }
        )
    return result


def _off(day: dict[str, Any]) -> str:
    why = f"，{day['holiday']}" if day["holiday"] else ""
    return f"{day['due']} 是{day['weekday']}（非工作日{why}）"


def _what_moved(old: dict[str, Any], new: dict[str, Any] | None, shift: bool) -> list[str]:
    if new is None:
        return ["新年度无法解析此时限"]
    notes = []
    if not new["is_working_day"]:
        rule = "；方案规定不顺延" if not shift else ""
        notes.append(f"{_off(new)}，此前最后一个工作日为 {new['last_working_day']}{rule}")
    elif not old["is_working_day"]:
        notes.append(f"原到期日 {_off(old)}，新到期日是工作日")
    if old["due"][5:] != new["due"][5:]:
        notes.append(f"到期日的月日由 {old['due'][5:]} 变为 {new['due'][5:]}")
    if old["first"][5:] != new["first"][5:]:
        notes.append(f"开始日的月日由 {old['first'][5:]} 变为 {new['first'][5:]}")
    return notes


def render_roll_report(report: dict[str, Any]) -> str:
    old, new = report["from"], report["to"]
    lines = [
        f"已以 {old['id']}（{old['year']} 年）为底稿生成 {new['id']}（{new['year']} 年）：{report['file']}",
        "",
    ]
    if report["unconfirmed"] or report["kept_unconfirmed"]:
        lines.append("待确认（文件中已标「# 待确认」并列入 unconfirmed；核实后删去相应条目）：")
        for item in report["unconfirmed"]:
            note = f"（{item['note']}）" if item["note"] else ""
            if item["old"] == item["new"]:
                lines.append(f"  {item['path']}：{item['old']}{note}")
            else:
                lines.append(f"  {item['path']}：{item['old']} → {item['new']}{note}")
        for path in report["kept_unconfirmed"]:
            lines.append(f"  {path}（原方案中即待确认）")
        lines.append("")
    for item in report["copied"]:
        lines.append(f"已复制：{item['file']}（{item['note']}）")
    for item in report["not_copied"]:
        lines.append(f"未复制：{item['file']}（{item['reason']}）")
    lines.append("")
    source = (
        " chinesecalendar 的官方节假日数据"
        if report["official_calendar"]
        else "周一至周五（无官方数据）"
    )
    lines.append(f"时限（{new['year']} 年按{source}判断工作日；表述按原文，不改）：")
    head = ["事项", "时限表述", f"{old['year']} 年到期", f"{new['year']} 年到期", "工作日", "变化"]
    rows = []
    for d in report["deadlines"]:
        o, n = d["old"], d["new"]
        rows.append(
            [
                d["label"],
                d["phrase"],
                f"{o['due']} {o['weekday']}",
                f"{n['due']} {n['weekday']}" if n else "—",
                ("是" if n["is_working_day"] else "否") if n else "—",
                "；".join(d["moved"]) or "—",
            ]
        )
    lines += ["  " + line for line in text_table(head, rows)]
    off = [d for d in report["deadlines"] if d["new"] and not d["new"]["is_working_day"]]
    lines.append("")
    lines.append(
        f"{len(report['deadlines'])} 个时限中，{len(off)} 个在 {new['year']} 年的到期日不是工作日"
        + (
            "："
            + "、".join(f"{d['label']}（{d['new']['due']}，{d['new']['weekday']}）" for d in off)
            if off
            else "。"
        )
    )
    for note in report["calendar_notes"]:
        lines.append(f"注意：{note}")
    validation = report["validation"]
    lines.append("")
    if validation["ok"]:
        lines.append(f"新方案校验通过，警告 {len(validation['warnings'])} 条：")
    else:
        lines.append(f"新方案未通过校验（{len(validation['errors'])} 处错误），请修改后再用：")
        lines += [f"  {e}" for e in validation["errors"]]
    lines += [f"  {w}" for w in validation["warnings"]]
    return "\n".join(lines).rstrip()
