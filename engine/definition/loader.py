"""Loading a programme in stages: file → YAML with marks → shape → meaning → one report.

``load_definition(path)`` accepts a programme folder (holding ``programme.yaml``) or a YAML
file. It returns a ``Definition`` - the frozen ``Programme`` plus where it came from, its
hash and its warnings - or raises ``DefinitionError`` with every problem found.

``Definition.sha256`` is the hash of the file's bytes (what the file is); ``manifest()`` is
what a programme running in the store is pinned to (what its mail is made of: the parsed
definition, its notice templates and source texts; see ``engine.definition.pin``).
"""

from __future__ import annotations

import hashlib
import re
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from engine.definition.checks import Extra, check_programme
from engine.definition.deadlines import DeadlineResolver
from engine.definition.index import ProgrammeIndex
from engine.definition.pin import Manifest, build_manifest, definition_digest
from engine.definition.reports import ReportOccurrence, safe_expand
from engine.definition.schema import Programme
from engine.definition.yamlio import Marks, read_yaml
from engine.errors import DefinitionError, Diagnostic

__all__ = ["PROGRAMME_FILE", "Definition", "find_programme_file", "load_definition"]

PROGRAMME_FILE = "programme.yaml"


@dataclass(frozen=True)
class Definition:
    """A checked programme and where it came from."""

    programme: Programme
    file: Path
    marks: Marks = field(repr=False, compare=False)
    sha256: str
    warnings: tuple[Diagnostic, ...] = ()

    @property
    def folder(self) -> Path:
        return self.file.parent

    @property
    def id(self) -> str:
        return self.programme.programme.id

    @cached_property
    def index(self) -> ProgrammeIndex:
        return ProgrammeIndex(self.programme)

    @cached_property
    def zone(self) -> ZoneInfo:
        """The programme's time zone: every local day and hour of it is read in this zone."""
        return ZoneInfo(self.programme.programme.timezone)

    @cached_property
    def content_sha256(self) -> str:
        """SHA-256 of the parsed programme: unchanged by comments and layout."""
        return definition_digest(self.programme)

    @cached_property
    def report_occurrences(self) -> dict[str, list[ReportOccurrence]]:
        """Each recurring report rule's occurrences in the programme year, by rule id."""
        header = self.programme.programme
        resolver = DeadlineResolver(header.calendar, header.year)
        return {
            r.id: safe_expand(r, header.year, resolver.calendar, resolver.conventions)
            for r in self.programme.reports
        }

    def manifest(self) -> Manifest:
        """What the programme is pinned to, its templates and source texts read now."""
        return build_manifest(self.programme, self.folder, self.content_sha256)


def find_programme_file(path: str | Path) -> Path:
    """The YAML file a user means by ``path`` (a folder or a file)."""
    candidate = Path(path)
    if candidate.is_dir():
        candidate = candidate / PROGRAMME_FILE
        if not candidate.is_file():
            raise DefinitionError(
                [Diagnostic(str(candidate), 1, 1, f"目录 {path} 中没有 {PROGRAMME_FILE}")]
            )
    elif not candidate.is_file():
        raise DefinitionError(
            [Diagnostic(str(candidate), 1, 1, "找不到该文件或目录：请给出工作方案目录或 YAML 文件")]
        )
    return candidate


def load_definition(path: str | Path, *, extra_checks: Iterable[Extra] = ()) -> Definition:
    """Load, shape-check and meaning-check a programme; raise with every problem found."""
    file = find_programme_file(path)
    shown = str(file)
    try:
        raw = file.read_bytes()
        text = raw.decode("utf-8")
    except OSError as exc:
        raise DefinitionError([Diagnostic(shown, 1, 1, f"无法读取文件：{exc.strerror}")]) from exc
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DefinitionError(
            [Diagnostic(shown, line, 1, "文件不是 UTF-8 编码：请以 UTF-8 保存")]
        ) from exc
    data, marks = read_yaml(text, shown)
    if not isinstance(data, dict):
        raise DefinitionError(
            [Diagnostic(shown, 1, 1, "文件顶层应是一个映射（programme、bodies 等键）")]
        )
    try:
        programme = Programme.model_validate(data)
    except ValidationError as exc:
        raise DefinitionError(_shape_problems(exc, marks)) from None
    found = check_programme(programme, marks, file.parent, extra_checks)
    if any(d.severity == "error" for d in found):
        raise DefinitionError(found)
    return Definition(
        programme=programme,
        file=file,
        marks=marks,
        sha256=hashlib.sha256(raw).hexdigest(),
        warnings=tuple(sorted(found)),
    )


# --- shape problems in Chinese ------------------------------------------------------------

_MESSAGES = {
    "missing": "缺少必填项 {name}",
    "string_type": "{name} 应是文字",
    "int_type": "{name} 应是整数",
    "int_parsing": "{name} 应是整数",
    "int_from_float": "{name} 应是整数",
    "bool_type": "{name} 应是 true 或 false",
    "bool_parsing": "{name} 应是 true 或 false",
    "date_type": "{name} 应是日期（YYYY-MM-DD）",
    "date_parsing": "{name} 应是日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "{name} 应是日期（YYYY-MM-DD）",
    "date_from_datetime_inexact": "{name} 应是日期（YYYY-MM-DD），不带时刻",
    "tuple_type": "{name} 应是列表",
    "list_type": "{name} 应是列表",
    "model_type": "{name} 应是映射（键: 值）",
    "model_attributes_type": "{name} 应是映射（键: 值）",
    "dict_type": "{name} 应是映射（键: 值）",
    "string_too_short": "{name} 不能为空",
    "too_short": "{name} 至少要有 {min_length} 项",
    "string_too_long": "{name} 过长（至多 {max_length} 个字符）",
    "greater_than_equal": "{name} 应不小于 {ge}",
    "less_than_equal": "{name} 应不大于 {le}",
    "string_pattern_mismatch": "标识符 {value} 不合规：应以小写英文字母开头，只含小写字母、数字、_ 和 -",
    "literal_error": "{name} 的值 {value} 不可用，可用的值：{expected}",
    "single_line": "{name} 只能写成一行：第 {at} 个字符是换行或控制字符（{char}），请删去",
    "date_range": "{name} 的值 {value} 超出可用的范围（{first} 至 {last}）：请核对年份",
    "item_noun": "{name} 的值 {value} 不能用：应是一个不超过 8 个字的名词，不含空格和标点，"
    "如 突破点、任务、项目、事项",
    "bracketed_doc_number": "{name} 的值 {value} 不要加括号：引用时会自动加上；"
    "原文未载发文字号的，删去 {name} 这一行即可",
    "email_address": "{name} 的值 {value} 不是电子邮箱地址（应形如 name@example.gov.cn）",
}


def _name(loc: Sequence[str | int]) -> str:
    parts = [str(x) for x in loc if not isinstance(x, int)]
    return parts[-1] if parts else "（顶层）"


def _allowed_keys(loc: Sequence[str | int]) -> list[str]:
    """The keys the model at ``loc`` accepts (for "unknown key" messages)."""
    model: Any = Programme
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return []
        model = _inner_model(fields[part].annotation)
    return list(getattr(model, "model_fields", {}))


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _shape_problems(exc: ValidationError, marks: Marks) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        kind = err["type"]
        ctx = dict(err.get("ctx") or {})
        if kind == "extra_forbidden":
            allowed = _allowed_keys(loc[:-1])
            hint = f"（可用的键：{'、'.join(allowed)}）" if allowed else ""
            message = f"未知的键 {loc[-1]}{hint}"
            problems.append(marks.diagnostic(loc, message, key=True))
            continue
        template = _MESSAGES.get(kind)
        if template is None:
            message = f"{_name(loc)}：{err['msg']}"
        else:
            if "expected" in ctx:  # pydantic writes "'a', 'b' or 'c'"
                ctx["expected"] = "、".join(
                    part.strip().strip("'") for part in re.split(r",| or ", str(ctx["expected"]))
                )
            message = template.format(name=_name(loc), value=err.get("input"), **ctx)
        problems.append(marks.diagnostic(loc, message, key=kind == "missing"))
    return problems
